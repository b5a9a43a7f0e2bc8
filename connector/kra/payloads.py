"""Pydantic models of every KRA eTIMS OSCU request and response (spec §2–§3).

Python names are plain English; KRA's abbreviations exist only as aliases. Requests are strict
(lengths, formats, required fields, 2-decimal amounts); responses are tolerant (counters as
strings or numbers, `data: null`, unknown keys kept). `to_wire()` gives the JSON-ready dict.
"""

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


class KraResponse(BaseModel):
    """A response part. Tolerant: extra keys are kept, missing optional keys are `None`."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")


class AuditFields(KraRequest):
    """Who registered / modified the record (required on every save, spec §2.2)."""

    registrant_id: text(20, min_length=1) = Field(alias="regrId")
    registrant_name: text(60, min_length=1) = Field(alias="regrNm")
    modifier_id: text(20, min_length=1) = Field(alias="modrId")
    modifier_name: text(60, min_length=1) = Field(alias="modrNm")


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


# ---------------------------------------------------------------- device initialisation


class InitRequest(KraRequest):
    tin: Pin = Field(alias="tin")
    branch_id: BranchId = Field(alias="bhfId")
    device_serial: text(100, min_length=1) = Field(alias="dvcSrlNo")


class InitInfo(KraResponse):
    tin: str | None = Field(default=None, alias="tin")
    taxpayer_name: str | None = Field(default=None, alias="taxprNm")
    business_activity: str | None = Field(default=None, alias="bsnsActv")
    branch_id: str | None = Field(default=None, alias="bhfId")
    branch_name: str | None = Field(default=None, alias="bhfNm")
    branch_open_date: str | None = Field(default=None, alias="bhfOpenDt")
    province: str | None = Field(default=None, alias="prvncNm")
    district: str | None = Field(default=None, alias="dstrtNm")
    sector: str | None = Field(default=None, alias="sctrNm")
    location: str | None = Field(default=None, alias="locDesc")
    head_office: str | None = Field(default=None, alias="hqYn")
    manager_name: str | None = Field(default=None, alias="mgrNm")
    manager_phone: str | None = Field(default=None, alias="mgrTelNo")
    manager_email: str | None = Field(default=None, alias="mgrEmail")
    device_id: str | None = Field(default=None, alias="dvcId")
    scu_id: str | None = Field(default=None, alias="sdcId")
    mrc_number: str | None = Field(default=None, alias="mrcNo")
    cmc_key: str | None = Field(default=None, alias="cmcKey", repr=False)


class InitData(KraResponse):
    info: InitInfo


# ---------------------------------------------------------------- code lists


class CodeDetail(KraResponse):
    code: str = Field(alias="cd")
    name: str | None = Field(default=None, alias="cdNm")
    description: str | None = Field(default=None, alias="cdDesc")
    in_use: str | None = Field(default="Y", alias="useYn")
    sort_order: Counter | None = Field(default=None, alias="srtOrd")
    user_defined_1: str | None = Field(default=None, alias="userDfnCd1")
    user_defined_2: str | None = Field(default=None, alias="userDfnCd2")
    user_defined_3: str | None = Field(default=None, alias="userDfnCd3")


class CodeClass(KraResponse):
    code_class: str = Field(alias="cdCls")
    name: str | None = Field(default=None, alias="cdClsNm")
    description: str | None = Field(default=None, alias="cdClsDesc")
    in_use: str | None = Field(default="Y", alias="useYn")
    details: list[CodeDetail] = Field(default_factory=list, alias="dtlList")


class CodeListData(KraResponse):
    classes: list[CodeClass] = Field(default_factory=list, alias="clsList")


class ItemClass(KraResponse):
    code: str = Field(alias="itemClsCd")
    name: str | None = Field(default=None, alias="itemClsNm")
    level: Counter | None = Field(default=None, alias="itemClsLvl")
    tax_type: str | None = Field(default=None, alias="taxTyCd")
    major_target: str | None = Field(default=None, alias="mjrTgYn")
    in_use: str | None = Field(default="Y", alias="useYn")


class ItemClassListData(KraResponse):
    item_classes: list[ItemClass] = Field(default_factory=list, alias="itemClsList")


# ---------------------------------------------------------------- items


class SaveItemRequest(AuditFields):
    item_code: text(20, min_length=1) = Field(alias="itemCd")
    item_class: text(10, min_length=1) = Field(alias="itemClsCd")
    item_type: text(5, min_length=1) = Field(alias="itemTyCd")
    name: text(200, min_length=1) = Field(alias="itemNm")
    standard_name: text(200) | None = Field(default=None, alias="itemStdNm")
    origin_country: text(5, min_length=2) = Field(alias="orgnNatCd")
    packaging_unit: text(5, min_length=1) = Field(alias="pkgUnitCd")
    quantity_unit: text(5, min_length=1) = Field(alias="qtyUnitCd")
    tax_type: text(5, min_length=1) = Field(alias="taxTyCd")
    batch_number: text(10) | None = Field(default=None, alias="btchNo")
    barcode: text(20) | None = Field(default=None, alias="bcd")
    default_price: Amount = Field(alias="dftPrc")
    group_price_1: Amount | None = Field(default=None, alias="grpPrcL1")
    group_price_2: Amount | None = Field(default=None, alias="grpPrcL2")
    group_price_3: Amount | None = Field(default=None, alias="grpPrcL3")
    group_price_4: Amount | None = Field(default=None, alias="grpPrcL4")
    group_price_5: Amount | None = Field(default=None, alias="grpPrcL5")
    additional_info: text(7) | None = Field(default=None, alias="addInfo")
    safety_quantity: Quantity | None = Field(default=None, alias="sftyQty")
    insurance_applicable: YesNo = Field(default="N", alias="isrcAplcbYn")
    in_use: YesNo = Field(default="Y", alias="useYn")


# ---------------------------------------------------------------- sales (saveTrnsSalesOsdc)


class SaleReceipt(KraRequest):
    customer_pin: text(11) | None = Field(default=None, alias="custTin")
    customer_mobile: text(20) | None = Field(default=None, alias="custMblNo")
    published_at: DateTime14 = Field(alias="rcptPbctDt")
    trade_name: text(20) | None = Field(default=None, alias="trdeNm")
    address: text(200) | None = Field(default=None, alias="adrs")
    top_message: text(20) | None = Field(default=None, alias="topMsg")
    bottom_message: text(20) | None = Field(default=None, alias="btmMsg")
    purchaser_accepted: YesNo = Field(default="N", alias="prchrAcptcYn")


class SaleLine(KraRequest):
    sequence: Annotated[int, Field(ge=1, le=999)] = Field(alias="itemSeq")
    item_code: text(20, min_length=1) = Field(alias="itemCd")
    item_class: text(10) | None = Field(default=None, alias="itemClsCd")
    name: text(200, min_length=1) = Field(alias="itemNm")
    barcode: text(20) | None = Field(default=None, alias="bcd")
    packaging_unit: text(5, min_length=1) = Field(alias="pkgUnitCd")
    packages: Quantity = Field(alias="pkg")
    quantity_unit: text(5, min_length=1) = Field(alias="qtyUnitCd")
    quantity: Quantity = Field(alias="qty")
    unit_price: Amount = Field(alias="prc")
    supply_amount: Amount = Field(alias="splyAmt")
    discount_rate: Rate = Field(alias="dcRt")
    discount_amount: Amount = Field(alias="dcAmt")
    insurance_code: text(10) | None = Field(default=None, alias="isrccCd")
    insurance_name: text(100) | None = Field(default=None, alias="isrccNm")
    insurance_rate: Rate | None = Field(default=None, alias="isrcRt")
    insurance_amount: Amount | None = Field(default=None, alias="isrcAmt")
    tax_type: text(5, min_length=1) = Field(alias="taxTyCd")
    taxable_amount: Amount = Field(alias="taxblAmt")
    tax_amount: Amount = Field(alias="taxAmt")
    total_amount: Amount = Field(alias="totAmt")


class SaleRequest(AuditFields):
    """`saveTrnsSalesOsdc` (a sale, `rcptTyCd` S, or a credit note, `rcptTyCd` R)."""

    tin: Pin | None = Field(default=None, alias="tin")
    branch_id: BranchId | None = Field(default=None, alias="bhfId")
    trader_invoice_number: text(50, min_length=1) = Field(alias="trdInvcNo")
    invoice_number: Annotated[int, Field(ge=1)] = Field(alias="invcNo")
    original_invoice_number: Annotated[int, Field(ge=0)] = Field(default=0, alias="orgInvcNo")
    customer_pin: text(11) | None = Field(default=None, alias="custTin")
    customer_name: text(60) | None = Field(default=None, alias="custNm")
    sales_type: text(5) = Field(default="N", alias="salesTyCd")
    receipt_type: Annotated[str, StringConstraints(pattern=r"^[SR]$")] = Field(alias="rcptTyCd")
    payment_type: text(5) | None = Field(default=None, alias="pmtTyCd")
    sales_status: text(5) = Field(default="02", alias="salesSttsCd")
    confirmed_at: DateTime14 = Field(alias="cfmDt")
    sales_date: Date8 = Field(alias="salesDt")
    stock_released_at: DateTime14 | None = Field(default=None, alias="stockRlsDt")
    cancel_requested_at: DateTime14 | None = Field(default=None, alias="cnclReqDt")
    cancelled_at: DateTime14 | None = Field(default=None, alias="cnclDt")
    refunded_at: DateTime14 | None = Field(default=None, alias="rfdDt")
    refund_reason: text(5) | None = Field(default=None, alias="rfdRsnCd")
    item_count: Annotated[int, Field(ge=1)] = Field(alias="totItemCnt")
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
    purchaser_accepted: YesNo = Field(default="N", alias="prchrAcptcYn")
    remark: text(400) | None = Field(default=None, alias="remark")
    receipt: SaleReceipt = Field(alias="receipt")
    lines: list[SaleLine] = Field(alias="itemList", min_length=1)


class SaleResponseData(KraResponse):
    """What KRA signs: the receipt counters, internal data and signature."""

    receipt_number: Counter | None = Field(default=None, alias="curRcptNo")
    total_receipt_number: Counter | None = Field(default=None, alias="totRcptNo")
    internal_data: str | None = Field(default=None, alias="intrlData")
    signature: str | None = Field(default=None, alias="rcptSign")
    signed_at: str | None = Field(default=None, alias="sdcDateTime")
    # VSCU answers (spec §7.5) carry these too.
    vscu_receipt_number: Counter | None = Field(default=None, alias="rcptNo")
    scu_id: str | None = Field(default=None, alias="sdcId")
    mrc_number: str | None = Field(default=None, alias="mrcNo")


# ---------------------------------------------------------------- read-back (selectInvoiceDetails)


class InvoiceDetailsRequest(KraRequest):
    tin: Pin | None = Field(default=None, alias="tin")
    branch_id: BranchId | None = Field(default=None, alias="bhfId")
    invoice_number: Annotated[int, Field(ge=1)] = Field(alias="invcNo")


class StoredReceipt(SaleResponseData):
    customer_pin: str | None = Field(default=None, alias="custTin")


class StoredSale(KraResponse):
    invoice_number: Counter | None = Field(default=None, alias="invcNo")
    original_invoice_number: Counter | None = Field(default=None, alias="orgInvcNo")
    trader_invoice_number: str | None = Field(default=None, alias="trdInvcNo")
    customer_pin: str | None = Field(default=None, alias="custTin")
    receipt_type: str | None = Field(default=None, alias="rcptTyCd")
    total_amount: LooseDecimal | None = Field(default=None, alias="totAmt")
    receipt: StoredReceipt | None = Field(default=None, alias="receipt")


class InvoiceDetailsData(KraResponse):
    sales: list[StoredSale] = Field(default_factory=list, alias="salesList")
