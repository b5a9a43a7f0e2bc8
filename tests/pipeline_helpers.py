"""Building canonical invoices and waiting on the ledger, for the pipeline tests and benchmarks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from connector.clock import EAT
from connector.config import DeviceSettings
from connector.context import Context
from connector.ledger import SENDING, Document, Ledger
from connector.ledger.schema import SIGNED
from connector.models import DocumentRef, Invoice, ItemRef, Line, Party, Tax
from connector.pipeline import Pipeline, default_mapping
from connector.sending import DeviceSender


def make_invoice(
    number: str,
    *,
    price: str = "116.00",
    quantity: str = "1",
    item: str = "SOAP",
    branch: str | None = None,
    buyer_pin: str | None = "A000123456F",
    kind: str = "invoice",
    original: str | None = None,
    tax: str = "VAT16",
) -> Invoice:
    line = Line(
        item=ItemRef(code=item, name=f"Item {item}", category="goods"),
        description=f"Item {item}",
        quantity=Decimal(quantity),
        unit="pcs",
        unit_price=Decimal(price),
        price_includes_vat=True,
        taxes=[Tax(code=tax)],
    )
    return Invoice(
        source="test",
        external_id=number,
        number=number,
        kind=kind,  # type: ignore[arg-type]
        issued_at=datetime(2026, 11, 20, 9, 0, tzinfo=EAT),
        branch=branch,
        buyer=Party(name="Ralph Jr", pin=buyer_pin) if buyer_pin else None,
        lines=[line],
        original=DocumentRef(source="test", external_id=original, number=original) if original else None,
        refund_reason="06" if kind == "credit_note" else None,
    )


def all_final(ledger: Ledger, count: int) -> bool:
    rows = ledger.db.execute("SELECT state FROM documents").fetchall()
    final = (*SIGNED, "needs-fix")
    return len(rows) == count and all(r[0] in final for r in rows)


def numbers_by_device(ledger: Ledger) -> dict[str, list[int]]:
    """invcNo of signed documents per device, in ledger (recording) order."""
    result: dict[str, list[int]] = {}
    for doc in ledger.documents():
        if doc.state in SIGNED:
            result.setdefault(doc.device_key, []).append(doc.invoice_number or 0)
    return result


def leave_in_flight(context: Context, device: DeviceSettings, doc: Document) -> Document:
    """What a crash between "request stored" and "request sent" leaves: number allocated, state sending."""
    sender = DeviceSender(Pipeline(context, {}), device)
    invoice = Invoice.model_validate_json(doc.canonical or "{}")
    mapping = default_mapping(doc.source)
    codes = sender.register_items(doc, invoice, mapping)
    number = context.ledger.allocate_number(doc.id, doc.device_key, "allocated")
    request = sender._build(invoice, mapping, number, None, codes)
    return context.ledger.transition(doc.id, SENDING, "sending", request=request)
