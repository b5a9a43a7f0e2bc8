"""The stock a signed document moves: a sale's stock-out (11) and a credit note's return-in (03).

Recorded right after KRA signs the document (DeviceSender._accept), for its goods lines only: items whose KRA
code says type 1 or 2 (country(2) + type(1) + …); services never move stock. Quantities are the document's;
the cost is the line's taxable amount per unit in KES (what KRA signed, VAT and discount excluded), as no sale
knows its cost. Every credit note of goods is taken as its goods coming back. Documents issued before
`[stock] start_date` move nothing.

A crash between the signature and this record is caught up at the device's next drain (`catch_up`): invcNo is
allocated in signing order, one in flight at a time, so the documents signed since the last check are those
numbered above a per-device mark (cursor "stock-checked:<device>"), read through the (device_key,
invoice_number) index; the mark only moves past documents whose movement is recorded (or that move nothing).
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connector.clock import EAT
from connector.ledger.schema import SIGNED
from connector.models import Invoice
from connector.stock.ledger import KIND, record_move
from connector.stock.models import StockLine, StockMove

if TYPE_CHECKING:
    from connector.ledger import Document
    from connector.sending import DeviceSender

log = logging.getLogger("connector.stock")

GOODS_TYPES = ("1", "2")
CATCH_UP_BATCH = 500  # numbered documents per device looked at by one `catch_up`
COST_PLACES = Decimal("0.0001")


def is_goods(item_code: Any) -> bool:
    code = str(item_code or "")
    return len(code) >= 3 and code[2] in GOODS_TYPES


def external_id_of(doc: Document) -> str:
    return f"{'return-in' if doc.kind == 'credit_note' else 'sale-out'}:{doc.id}"


def movement_of(doc: Document, start_date: date | None = None) -> StockMove | None:
    """The StockMove of a signed document's goods lines, or None when it moves no stock."""
    if doc.kind not in ("invoice", "credit_note") or not doc.canonical or not doc.request:
        return None
    invoice = Invoice.model_validate_json(doc.canonical)
    if start_date is not None and invoice.issued_at.astimezone(EAT).date() < start_date:
        return None
    sent = doc.request.get("itemList") or []
    if len(sent) != len(invoice.lines):
        log.warning("%s: %d lines sent for %d canonical lines: no stock movement", doc.label, len(sent),
                    len(invoice.lines))  # fmt: skip
        return None
    lines = []
    for line, kra in zip(invoice.lines, sent, strict=True):
        if not is_goods(kra.get("itemCd")):
            continue
        quantity = Decimal(str(kra.get("qty") or line.quantity))
        cost = (Decimal(str(kra.get("taxblAmt") or 0)) / quantity).quantize(COST_PLACES) if quantity else Decimal(0)
        lines.append(StockLine(line_id=line.line_id, item=line.item, quantity=quantity, unit=line.unit,
                               unit_cost=cost, taxes=line.taxes, units_per_package=line.units_per_package))  # fmt: skip
    if not lines:
        return None
    kind = "customer_return" if doc.kind == "credit_note" else "sale"
    signed_at = (doc.receipt or {}).get("signed_at") or invoice.issued_at
    return StockMove(source=doc.source, external_id=external_id_of(doc), number=invoice.number, kind=kind,
                     moved_at=signed_at, branch=invoice.branch, lines=lines,
                     remark=f"invcNo {doc.invoice_number}")  # fmt: skip


def record_after_signing(sender: DeviceSender, doc: Document) -> None:
    """Record the stock the document just signed moves. Never raises: `catch_up` tries again next drain."""
    try:
        signed = sender.ledger.get(doc.id)
        move = movement_of(signed, sender.pipeline.settings.stock.start_date)
        if move is not None:
            record_move(sender.ledger, sender.key, move)
    except Exception:  # the sale is signed whatever happens here; the movement is caught up later
        log.exception("%s: its stock movement could not be recorded now; it is caught up at the next drain",
                      doc.label)  # fmt: skip


def checked_mark(device_key: str) -> str:
    return f"stock-checked:{device_key}"


def catch_up(sender: DeviceSender) -> int:
    """Record the movements of documents signed since the device's mark that have none (after a crash).

    The first time (no mark yet, stock reporting just turned on) the mark is set below the next invcNo: what was
    signed before reporting started is history and moves nothing at KRA."""
    ledger, key = sender.ledger, sender.key
    name = checked_mark(key)
    mark = ledger.cursor(name)
    if mark is None:
        ledger.set_cursor(name, str(ledger.next_number(key) - 1))
        return 0
    done = int(mark)
    recorded = 0
    numbered = ledger.documents("device_key = ? AND invoice_number IS NOT NULL AND invoice_number > ?", [key, done],
                                order_by="invoice_number", limit=CATCH_UP_BATCH)  # fmt: skip
    for doc in numbered:
        if doc.invoice_number != done + 1 or doc.state not in SIGNED:
            break  # the one in flight (or waiting with its number): checked once KRA signed it
        if ledger.find(doc.source, external_id_of(doc), KIND) is None:
            move = movement_of(doc, sender.pipeline.settings.stock.start_date)
            if move is not None:
                record_move(ledger, key, move)
                recorded += 1
                log.warning("%s: its stock movement was missing (a crash after KRA signed it?): recorded now",
                            doc.label)  # fmt: skip
        done = doc.invoice_number
    if done != int(mark):
        ledger.set_cursor(name, str(done))
    return recorded
