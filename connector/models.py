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

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from connector import jsonio
from connector.money import to_decimal

_DECIMAL_SCHEMA = {
    "type": "string",
    "pattern": r"^-?\d+(\.\d+)?$",
    "description": 'A decimal number written as text (e.g. "1160.00"); JSON floats are refused.',
}


def _exact_decimal(value: object) -> Decimal:
    try:
        return to_decimal(value, what="number")
    except TypeError as error:  # pydantic reports ValueErrors as validation errors
        raise ValueError(str(error)) from None


ExactDecimal = Annotated[Decimal, BeforeValidator(_exact_decimal), WithJsonSchema(_DECIMAL_SCHEMA)]
Text = Annotated[str, Field(min_length=1)]
TaxKind = Literal["vat", "excise", "withholding", "other"]
DocumentKind = Literal["invoice", "credit_note"]


class CanonicalModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Party(CanonicalModel):
    """The buyer. `pin` is the KRA PIN (letter + 9 digits + letter) when the buyer has one."""

    name: Text
    pin: str | None = None
    mobile: str | None = None
    address: str | None = None
    email: str | None = None


class ItemRef(CanonicalModel):
    """The product or service sold. `category` is looked up in the mapping's [categories]."""

    code: Text
    name: Text
    barcode: str | None = None
    category: str | None = None
    origin_country: str | None = None  # ISO 3166 alpha-2; overrides the category's default


class Tax(CanonicalModel):
    """One tax on a line. Exactly one `vat` tax per line; `code` is the ERP's tax code.

    `price_included` None means "as the line says" (`Line.price_includes_vat`).
    """

    code: Text
    rate: ExactDecimal | None = None  # percent, as the ERP knows it
    kind: TaxKind = "vat"
    price_included: bool | None = None


class Line(CanonicalModel):
    line_id: str | None = None
    item: ItemRef
    description: str
    quantity: ExactDecimal
    unit: Text  # the ERP's unit of measure, looked up in the mapping's [units]
    unit_price: ExactDecimal
    price_includes_vat: bool
    discount_percent: ExactDecimal = Decimal("0")
    taxes: list[Tax] = Field(default_factory=list)


class DocumentRef(CanonicalModel):
    """Points at another canonical document (a credit note's original invoice)."""

    source: Text
    external_id: Text
    number: Text


class Invoice(CanonicalModel):
    """An invoice or credit note as the ERP issued it."""

    source: Text  # "csv", "odoo", "quickbooks", …
    external_id: Text  # the ERP's own id
    number: Text  # the ERP's document number
    kind: DocumentKind = "invoice"
    issued_at: AwareDatetime
    currency: str = "KES"
    exchange_rate: ExactDecimal = Decimal("1")  # KES per 1 unit of `currency`
    branch: str | None = None  # seller branch / device name; None = the default device
    buyer: Party | None = None
    lines: list[Line] = Field(min_length=1)
    payment_method: str | None = None  # ERP value, looked up in the mapping
    original: DocumentRef | None = None  # credit notes: the invoice being credited
    refund_reason: str | None = None  # ERP value, looked up in the mapping
    remark: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes a document unique in the ledger."""
        return (self.source, self.external_id, self.kind)

    @property
    def is_credit_note(self) -> bool:
        return self.kind == "credit_note"

    def content_hash(self) -> str:
        """sha256 of the canonical JSON: equal values give equal hashes (1.0 == 1.00, any timezone)."""
        canonical = json.dumps(
            _canonical_value(self.model_dump(mode="python")),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @classmethod
    def from_json(cls, text: str | bytes) -> Invoice:
        """Parse JSON with numbers read as exact decimals."""
        return cls.model_validate(jsonio.loads(text))


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
