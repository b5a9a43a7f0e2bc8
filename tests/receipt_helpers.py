"""A ledger with documents really signed by the KRA simulator, for the receipt and report tests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from connector.clock import EAT
from connector.context import Context
from connector.ledger import Document
from connector.models import DocumentRef, Invoice, ItemRef, Line, Party, Tax
from connector.pipeline import Pipeline, Source, default_mapping

SCRIPT_BUYER = "<script>alert(1)</script>"


def line(code: str, price: str, tax: str, quantity: str = "1", discount: str = "0") -> Line:
    return Line(
        item=ItemRef(code=code, name=f"Item {code}", category="goods"),
        description=f"Item {code}",
        quantity=Decimal(quantity),
        unit="pcs",
        unit_price=Decimal(price),
        price_includes_vat=True,
        discount_percent=Decimal(discount),
        taxes=[Tax(code=tax)],
    )


def invoice(
    number: str,
    lines: list[Line],
    *,
    buyer: str | None = "Ralph Jr Trading",
    buyer_pin: str | None = "A000123456F",
    currency: str = "KES",
    rate: str = "1",
    kind: str = "invoice",
    original: str | None = None,
    branch: str | None = None,
    issued_at: datetime | None = None,
) -> Invoice:
    return Invoice(
        source="test",
        external_id=number,
        number=number,
        kind=kind,  # type: ignore[arg-type]
        issued_at=issued_at or datetime(2026, 11, 20, 9, 0, tzinfo=EAT),
        currency=currency,
        exchange_rate=Decimal(rate),
        branch=branch,
        buyer=Party(name=buyer, pin=buyer_pin) if buyer else None,
        lines=lines,
        original=DocumentRef(source="test", external_id=original, number=original) if original else None,
        refund_reason="06" if kind == "credit_note" else None,
    )


def sign(context: Context, invoices: list[Invoice], *, send: bool = True) -> list[Document]:
    """Record each invoice and (with `send`) send it through the pipeline to the simulator."""
    pipeline = Pipeline(context, {})
    ids = []
    for inv in invoices:
        device = pipeline.device_for(inv, context.settings.device())
        source = Source("test", None, default_mapping("test"), device)
        ids.append(pipeline.record_invoice(inv, source, {"test": inv.number}))
        if send:
            pipeline.drain(device.key, budget_seconds=30)
    return [context.ledger.get(i) for i in ids]


def five_band_sale(number: str = "INV-001", buyer: str = "Ralph Jr Trading") -> Invoice:
    return invoice(
        number,
        [
            line("SOAP", "116.00", "VAT16", quantity="3"),
            line("BREAD", "58.00", "ZERO", quantity="2", discount="10"),
            line("BOOK", "250.00", "EXEMPT"),
            line("FUEL", "108.00", "VAT8", quantity="1.5"),
            line("STAMP", "40.00", "NON-VAT"),
        ],
        buyer=buyer,
    )
