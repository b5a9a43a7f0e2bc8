"""What a printed receipt shows, assembled from one ledger document.

Every figure comes from the signed KRA request (`documents.request`, in KES, exactly as KRA signed it)
and KRA's answer (`documents.receipt`); the canonical invoice only adds what KRA does not carry
(document currency, exchange rate, the ERP's own totals). Nothing is recomputed except the display
of a foreign-currency total when the ERP gave none (KES total ÷ rate, shown as such).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from connector.clock import EAT
from connector.errors import ConnectorError
from connector.ledger import Document, Ledger
from connector.ledger.schema import SIGNED
from connector.money import ZERO, round_money, to_decimal

BANDS = ("A", "B", "C", "D", "E")
ISSUED_NOTE = "receipt issued"  # the ledger event that makes every later print a COPY
CREDIT_NOTE_SENTENCE = "CREDIT NOTE IS APPROVED ONLY FOR ORIGINAL SALES RECEIPT"


class ReceiptError(ConnectorError):
    """The document cannot be printed (unknown, or not signed by KRA)."""


@dataclass(frozen=True)
class ReceiptLine:
    number: int
    item_code: str
    name: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    discount: Decimal
    tax: Decimal  # taxAmt
    amount: Decimal  # the line's totAmt as signed
    band: str


@dataclass(frozen=True)
class BandTotal:
    band: str
    rate: Decimal
    taxable: Decimal
    tax: Decimal


@dataclass(frozen=True)
class ReceiptData:
    document_id: int
    document_label: str  # source:number
    trader_invoice_number: str  # trdInvcNo, the ERP's number
    credit_note: bool
    copy: bool
    # seller
    seller_pin: str
    branch: str
    trade_name: str | None
    branch_name: str | None
    address: str | None
    top_message: str | None
    bottom_message: str | None
    # buyer
    buyer_name: str | None
    buyer_pin: str | None
    buyer_mobile: str | None
    # what was sold, in KES as signed
    lines: list[ReceiptLine]
    bands: list[BandTotal]
    total_taxable: Decimal
    total_tax: Decimal
    total: Decimal
    currency: str
    exchange_rate: Decimal  # KES per 1 unit of `currency`
    total_in_currency: Decimal | None  # None when the document is in KES
    total_in_currency_from_erp: bool
    # KRA's signature block
    scu_id: str
    mrc_number: str | None
    invoice_number: int
    receipt_number: int
    total_receipt_number: int
    label: str  # NS, NC, CS, CC, TS, …
    signed_at: datetime  # EAT
    internal_data: str
    signature: str
    qr_url: str
    original_cu_invoice_number: str | None = None  # credit notes
    issued_at: datetime | None = None  # the ERP's document date
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def cu_invoice_number(self) -> str:
        """CU invoice number as Odoo prints it: SCU id / invcNo (spec §6.2)."""
        return f"{self.scu_id}/{self.invoice_number}"

    @property
    def receipt_counter(self) -> str:
        return f"{self.receipt_number}/{self.total_receipt_number} {self.label}"

    @property
    def title(self) -> str:
        return "CREDIT NOTE" if self.credit_note else "TAX INVOICE"

    def shown(self, amount: Decimal) -> Decimal:
        """Credit notes are signed with positive amounts and printed negative (spec §6.2)."""
        return -amount if self.credit_note and amount else amount


def grouped(text: str, size: int = 4) -> str:
    """Internal data and signature are printed with a hyphen every 4 characters."""
    return "-".join(text[i : i + size] for i in range(0, len(text), size))


def find_document(ledger: Ledger, ref: str) -> Document:
    """A ledger id, or SOURCE:NUMBER (the newest document with that number)."""
    try:
        return ledger.lookup(ref)
    except ConnectorError as exc:
        raise ReceiptError(str(exc)) from None


def was_issued(ledger: Ledger, document_id: int) -> bool:
    return any((e.get("detail") or "").startswith(ISSUED_NOTE) for e in ledger.events(document_id))


def mark_issued(ledger: Ledger, data: ReceiptData, how: str) -> None:
    kind = "copy" if data.copy else "original"
    ledger.note(data.document_id, f"{ISSUED_NOTE} ({kind}, {how})")


def receipt_data(ledger: Ledger, doc: Document, *, copy: bool | None = None) -> ReceiptData:
    """The receipt of a signed document. `copy` None: a COPY when a receipt was issued before."""
    if doc.state not in SIGNED or not doc.receipt or not doc.request:
        why = f": {doc.reason}" if doc.reason else ""
        raise ReceiptError(f"{doc.label} (id {doc.id}) is not signed by KRA yet (state {doc.state}{why})")
    if copy is None:
        copy = was_issued(ledger, doc.id)
    request, receipt = doc.request, doc.receipt
    canonical = json.loads(doc.canonical) if doc.canonical else {}
    device = _device_row(ledger, doc.device_key)
    slip = request.get("receipt") or {}
    credit = request.get("rcptTyCd") == "R"
    currency = str(canonical.get("currency") or "KES").upper()
    rate = to_decimal(str(canonical.get("exchange_rate") or "1"), what="exchange_rate")
    total = _amount(request, "totAmt")
    in_currency, from_erp = _total_in_currency(canonical, currency, rate, total)
    return ReceiptData(
        document_id=doc.id,
        document_label=doc.label,
        trader_invoice_number=str(request.get("trdInvcNo") or doc.number or doc.external_id),
        credit_note=credit,
        copy=copy,
        seller_pin=str(request.get("tin") or doc.device_key.split("/")[0]),
        branch=str(request.get("bhfId") or doc.device_key.split("/")[-1]),
        trade_name=slip.get("trdeNm") or device.get("taxpayer_name"),
        branch_name=device.get("branch_name"),
        address=slip.get("adrs"),
        top_message=slip.get("topMsg"),
        bottom_message=slip.get("btmMsg"),
        buyer_name=request.get("custNm") or (canonical.get("buyer") or {}).get("name"),
        buyer_pin=request.get("custTin"),
        buyer_mobile=slip.get("custMblNo"),
        lines=[_line(i, item) for i, item in enumerate(request.get("itemList") or [], start=1)],
        bands=[
            BandTotal(
                b, _amount(request, f"taxRt{b}"), _amount(request, f"taxblAmt{b}"), _amount(request, f"taxAmt{b}")
            )
            for b in BANDS
        ],
        total_taxable=_amount(request, "totTaxblAmt"),
        total_tax=_amount(request, "totTaxAmt"),
        total=total,
        currency=currency,
        exchange_rate=rate,
        total_in_currency=in_currency,
        total_in_currency_from_erp=from_erp,
        scu_id=str(receipt.get("scu_id") or device.get("scu_id") or ""),
        mrc_number=receipt.get("mrc_number") or device.get("mrc_number"),
        invoice_number=int(receipt.get("invoice_number") or request.get("invcNo") or 0),
        receipt_number=int(receipt.get("receipt_number") or 0),
        total_receipt_number=int(receipt.get("total_receipt_number") or 0),
        label=receipt_label(str(request.get("salesTyCd") or "N"), credit, copy),
        signed_at=datetime.fromisoformat(receipt["signed_at"]).astimezone(EAT),
        internal_data=str(receipt.get("internal_data") or ""),
        signature=str(receipt.get("signature") or ""),
        qr_url=str(receipt.get("qr_url") or ""),
        original_cu_invoice_number=_original_cu_number(ledger, doc, request) if credit else None,
        issued_at=_issued_at(canonical),
    )


def receipt_label(sales_type: str, credit_note: bool, copy: bool) -> str:
    """TIS receipt labels: N normal, C copy, T training, P proforma + S sale / C credit note."""
    first = "C" if copy and sales_type == "N" else (sales_type[:1] or "N")
    return first + ("C" if credit_note else "S")


def _amount(values: dict[str, Any], key: str) -> Decimal:
    value = values.get(key)
    if value is None:
        return ZERO
    return to_decimal(value if not isinstance(value, float) else str(value), what=key)


def _line(number: int, item: dict[str, Any]) -> ReceiptLine:
    return ReceiptLine(
        number=int(item.get("itemSeq") or number),
        item_code=str(item.get("itemCd") or ""),
        name=str(item.get("itemNm") or ""),
        quantity=_amount(item, "qty"),
        unit=str(item.get("qtyUnitCd") or ""),
        unit_price=_amount(item, "prc"),
        discount=_amount(item, "dcAmt"),
        tax=_amount(item, "taxAmt"),
        amount=_amount(item, "totAmt"),
        band=str(item.get("taxTyCd") or ""),
    )


def _total_in_currency(
    canonical: dict[str, Any], currency: str, rate: Decimal, total_kes: Decimal
) -> tuple[Decimal | None, bool]:
    if currency == "KES":
        return None, False
    erp_total = (canonical.get("erp_totals") or {}).get("total")
    if erp_total is not None:
        return to_decimal(str(erp_total), what="erp_totals.total"), True
    return (round_money(total_kes / rate) if rate else None), False


def _issued_at(canonical: dict[str, Any]) -> datetime | None:
    text = canonical.get("issued_at")
    try:
        return datetime.fromisoformat(text).astimezone(EAT) if text else None
    except ValueError:
        return None


def _device_row(ledger: Ledger, device_key: str) -> dict[str, Any]:
    rows = list(ledger.db["devices"].rows_where("key = ?", [device_key]))
    return rows[0] if rows else {}


def _original_cu_number(ledger: Ledger, doc: Document, request: dict[str, Any]) -> str | None:
    number = request.get("orgInvcNo")
    if not number:
        return None
    found = ledger.documents("device_key = ? AND invoice_number = ?", [doc.device_key, int(number)])
    scu_id = (found[0].receipt or {}).get("scu_id") if found and found[0].receipt else None
    return f"{scu_id or (doc.receipt or {}).get('scu_id') or ''}/{number}"
