"""Field types and base classes of the KRA payload models (conventions in the package docstring)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

# ---------------------------------------------------------------- field types

Amount = Annotated[Decimal, Field(max_digits=20, decimal_places=2)]  # NUMBER(18,2)
Quantity = Annotated[Decimal, Field(max_digits=15, decimal_places=2)]  # NUMBER(13,2)
Rate = Annotated[Decimal, Field(ge=0, max_digits=9, decimal_places=2)]  # NUMBER(7,2) / (5,2)
DateTime14 = Annotated[str, StringConstraints(pattern=r"^\d{14}$")]  # yyyyMMddHHmmss
Date8 = Annotated[str, StringConstraints(pattern=r"^\d{8}$")]  # yyyyMMdd
YesNo = Annotated[str, StringConstraints(pattern=r"^[YN]$")]
Pin = Annotated[str, StringConstraints(min_length=11, max_length=11)]
BranchId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{2}$")]


def text(max_length: int, *, min_length: int = 0) -> Any:
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length)]


def _to_int(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def _to_decimal(value: Any) -> Any:
    if isinstance(value, int | str) and not isinstance(value, bool):
        try:
            return Decimal(str(value))
        except ArithmeticError:
            return value
    return value


Counter = Annotated[int, BeforeValidator(_to_int)]
LooseDecimal = Annotated[Decimal, BeforeValidator(_to_decimal)]


class KraRequest(BaseModel):
    """A request body. Strict: unknown fields and bad formats are errors before anything is sent."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", validate_assignment=True)

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="python")

    def __setattr__(self, name: str, value: Any) -> None:
        global assignments
        assignments += 1  # a wire dict kept from before this (SaleRequest.to_wire) is no longer trusted
        super().__setattr__(name, value)


assignments = 0  # how many field assignments any request has seen (a race only adds, never hides, one)


class KraResponse(BaseModel):
    """A response part. Tolerant: extra keys are kept, missing optional keys are `None`."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")


class AuditFields(KraRequest):
    """Who registered / modified the record (required on every save, spec §2.2)."""

    registrant_id: text(20, min_length=1) = Field(alias="regrId")
    registrant_name: text(60, min_length=1) = Field(alias="regrNm")
    modifier_id: text(20, min_length=1) = Field(alias="modrId")
    modifier_name: text(60, min_length=1) = Field(alias="modrNm")


class TaxTotals(KraRequest):
    """The five tax-type buckets (A–E) and the totals, shared by sales and purchases (spec §3.1)."""

    taxable_amount_a: Amount = Field(alias="taxblAmtA")
    taxable_amount_b: Amount = Field(alias="taxblAmtB")
    taxable_amount_c: Amount = Field(alias="taxblAmtC")
    taxable_amount_d: Amount = Field(alias="taxblAmtD")
    taxable_amount_e: Amount = Field(alias="taxblAmtE")
    tax_rate_a: Rate = Field(alias="taxRtA")
    tax_rate_b: Rate = Field(alias="taxRtB")
    tax_rate_c: Rate = Field(alias="taxRtC")
    tax_rate_d: Rate = Field(alias="taxRtD")
    tax_rate_e: Rate = Field(alias="taxRtE")
    tax_amount_a: Amount = Field(alias="taxAmtA")
    tax_amount_b: Amount = Field(alias="taxAmtB")
    tax_amount_c: Amount = Field(alias="taxAmtC")
    tax_amount_d: Amount = Field(alias="taxAmtD")
    tax_amount_e: Amount = Field(alias="taxAmtE")
    total_taxable_amount: Amount = Field(alias="totTaxblAmt")
    total_tax_amount: Amount = Field(alias="totTaxAmt")
    total_amount: Amount = Field(alias="totAmt")


# ---------------------------------------------------------------- envelope


class Envelope(KraResponse):
    """`{"resultCd","resultMsg","resultDt","data"}` around every answer."""

    result_code: Annotated[str, BeforeValidator(lambda v: v if isinstance(v, str) else str(v))] = Field(
        alias="resultCd"
    )
    result_message: str | None = Field(default=None, alias="resultMsg")
    result_datetime: str | None = Field(default=None, alias="resultDt")
    data: Any = None


class LastRequestQuery(KraRequest):
    """Every `select…List` look-up: records changed after `lastReqDt`."""

    tin: Pin | None = Field(default=None, alias="tin")
    branch_id: BranchId | None = Field(default=None, alias="bhfId")
    last_request: DateTime14 = Field(alias="lastReqDt")


# ---------------------------------------------------------------- helpers for the remaining endpoints


def _to_text(value: Any) -> Any:
    """Codes KRA documents as CHAR but sometimes sends as JSON numbers (`taskCd`, `itemTyCd`)."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    return value


LooseText = Annotated[str, BeforeValidator(_to_text)]
UnitPrice = Annotated[Decimal, Field(max_digits=17, decimal_places=2)]  # NUMBER(15,2), stock I/O `prc`
ItemSequence = Annotated[int, Field(ge=1, le=999)]  # NUMBER(3)
DocumentNumber = Annotated[int, Field(ge=1)]  # NUMBER(38) sequences: invcNo, sarNo
OriginalNumber = Annotated[int, Field(ge=0)]  # NUMBER(38), 0 = none
