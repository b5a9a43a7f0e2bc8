"""The canonical, ERP-neutral invoice: what every adapter produces and the KRA builder consumes.

Money, quantities, rates and percentages are `Decimal`; floats are refused (give them as text or
`Decimal`). Datetimes must carry a timezone. No ERP and no KRA field names appear here.

Sign convention: quantities and prices are positive on credit notes too; `kind` says which way
the document goes. Amounts are in the document `currency`; `exchange_rate` is KES per 1 unit.

This is also a public interchange format: `invoice_json_schema()` describes it and
`docs/examples/invoice.json` / `credit-note.json` are valid examples.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from connector import jsonio
from connector.model_bounds import (
    ExchangeRate,
    Percent,
    Price,
    Quantity,
    Total,
    UnitsPerPackage,
    check_issued_at,
    text,
)

MAX_LINES = 999  # KRA's itemSeq is NUMBER(3)
MAX_TAXES_PER_LINE = 10

Code = text(100, required=True)  # ERP codes and numbers
Name = text(500, required=True)
Short = text(100)
FreeText = text(4000, free=True)  # descriptions, addresses, remarks (cut to KRA's lengths when sent)
IssuedAt = Annotated[AwareDatetime, AfterValidator(check_issued_at)]
TaxKind = Literal["vat", "excise", "withholding", "other"]
DocumentKind = Literal["invoice", "credit_note"]


class CanonicalModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Party(CanonicalModel):
    """The buyer. `pin` is the KRA PIN (letter + 9 digits + letter) when the buyer has one."""

    name: Name
    pin: text(20) | None = None
    mobile: text(50) | None = None
    address: FreeText | None = None
    email: text(254) | None = None


class ItemRef(CanonicalModel):
    """The product or service sold. `category` is looked up in the mapping's [categories]."""

    code: Code
    name: Name
    barcode: Short | None = None
    category: Short | None = None
    origin_country: text(10) | None = None  # ISO 3166 alpha-2; overrides the category's default


class Tax(CanonicalModel):
    """One tax on a line. Exactly one `vat` tax per line; `code` is the ERP's tax code.

    `price_included` None means "as the line says" (`Line.price_includes_vat`).
    """

    code: Code
    rate: Percent | None = None  # percent, as the ERP knows it
    kind: TaxKind = "vat"
    price_included: bool | None = None


class Line(CanonicalModel):
    line_id: Short | None = None
    item: ItemRef
    description: FreeText
    quantity: Quantity
    unit: Code  # the ERP's unit of measure, looked up in the mapping's [units]
    unit_price: Price
    price_includes_vat: bool
    discount_percent: Percent = Decimal("0")
    taxes: list[Tax] = Field(default_factory=list, max_length=MAX_TAXES_PER_LINE)
    units_per_package: UnitsPerPackage = Decimal("1")  # KRA's pkg = quantity / units_per_package


class ErpTotals(CanonicalModel):
    """What the ERP itself computed for the document, in its currency (cross-checked before sending)."""

    untaxed: Total
    tax: Total
    total: Total


class DocumentRef(CanonicalModel):
    """Points at another canonical document (a credit note's original invoice)."""

    source: Code
    external_id: Code
    number: Code


class Invoice(CanonicalModel):
    """An invoice or credit note as the ERP issued it."""

    source: Code  # "csv", "odoo", "quickbooks", …
    external_id: Code  # the ERP's own id
    number: Code  # the ERP's document number
    kind: DocumentKind = "invoice"
    issued_at: IssuedAt  # 2000-01-01 .. a year from now (connector/model_bounds.py)
    currency: text(10) = "KES"
    exchange_rate: ExchangeRate = Decimal("1")  # KES per 1 unit of `currency`
    branch: Short | None = None  # seller branch / device name; None = the default device
    buyer: Party | None = None
    lines: list[Line] = Field(min_length=1, max_length=MAX_LINES)
    payment_method: Short | None = None  # ERP value, looked up in the mapping
    original: DocumentRef | None = None  # credit notes: the invoice being credited
    refund_reason: Short | None = None  # ERP value, looked up in the mapping
    remark: FreeText | None = None
    erp_totals: ErpTotals | None = None  # what the ERP computed; the KRA request is checked against it

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes a document unique in the ledger."""
        return (self.source, self.external_id, self.kind)

    @property
    def is_credit_note(self) -> bool:
        return self.kind == "credit_note"

    def content_hash(self) -> str:
        """sha256 of the canonical JSON: equal values give equal hashes (1.0 == 1.00, any timezone).

        Never raises: a value that cannot be made canonical (only possible for an invoice built
        without validation) is hashed as it is written.
        """
        try:
            canonical = json.dumps(
                _canonical_value(self.model_dump(mode="python")),
                sort_keys=True,
                separators=(",", ":"),
                ensure_ascii=False,
            ).encode("utf-8")
        except (ArithmeticError, ValueError, TypeError):
            canonical = repr(self).encode("utf-8", "backslashreplace")
        return hashlib.sha256(canonical).hexdigest()

    @classmethod
    def from_json(cls, text: str | bytes) -> Invoice:
        """Parse the interchange JSON: a number with a decimal point must be written as text (refused here)."""
        return cls.model_validate(jsonio.loads_strict(text))


def _canonical_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {key: _canonical_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_canonical_value(item) for item in value]
    return value


class Receipt(CanonicalModel):
    """What KRA returned for an accepted document: stored, printed and written back to the ERP."""

    invoice_number: int  # invcNo
    receipt_number: int  # curRcptNo
    total_receipt_number: int  # totRcptNo
    internal_data: str
    signature: str
    signed_at: AwareDatetime  # sdcDateTime, East Africa Time
    scu_id: str
    mrc_number: str | None = None
    qr_url: str


RECEIPT_HOSTS = {True: "https://etims.kra.go.ke", False: "https://etims-sbx.kra.go.ke"}
RECEIPT_PATH = "/common/link/etims/receipt/indexEtimsReceiptData?Data="


def receipt_qr_url(pin: str, branch: str, signature: str, production: bool) -> str:
    """The receipt verification URL printed as a QR code (spec §6.1): PIN + branch + signature."""
    return f"{RECEIPT_HOSTS[production]}{RECEIPT_PATH}{pin}{branch}{signature}"


def invoice_json_schema() -> dict[str, Any]:
    """JSON Schema of the canonical invoice (the interchange format)."""
    schema = Invoice.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Canonical invoice (kra-etims-connector)"
    return schema
