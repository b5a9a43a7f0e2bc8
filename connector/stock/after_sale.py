"""The stock a signed document moves: a sale's stock-out (11) and a credit note's return-in (03).

Recorded right after KRA signs the document (DeviceSender._accept), for its goods lines only: items whose KRA
code says type 1 or 2 (country(2) + type(1) + …); services never move stock. Quantities are the document's;
the cost is the line's taxable amount per unit in KES (what KRA signed), as no sale knows its cost.
A crash between the signature and this record is caught up at the device's next drain (`catch_up`): the
device's most recent signed documents are checked, an index-backed, bounded query.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connector.ledger.schema import SIGNED
from connector.models import Invoice
from connector.stock.ledger import KIND, record_move
from connector.stock.models import StockLine, StockMove

if TYPE_CHECKING:
    from connector.ledger import Document
    from connector.sending import DeviceSender

log = logging.getLogger("connector.stock")

GOODS_TYPES = ("1", "2")
CATCH_UP_LAST = 50  # signed documents per device looked at by `catch_up`
COST_PLACES = Decimal("0.0001")


def is_goods(item_code: Any) -> bool:
    code = str(item_code or "")
    return len(code) >= 3 and code[2] in GOODS_TYPES


def external_id_of(doc: Document) -> str:
    return f"{'return-in' if doc.kind == 'credit_note' else 'sale-out'}:{doc.id}"


def movement_of(doc: Document) -> StockMove | None:
    """The StockMove of a signed document's goods lines, or None when it moves no stock."""
    if doc.kind not in ("invoice", "credit_note") or not doc.canonical or not doc.request:
        return None
    invoice = Invoice.model_validate_json(doc.canonical)
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
        move = movement_of(signed)
        if move is not None:
            record_move(sender.ledger, sender.key, move)
    except Exception:  # the sale is signed whatever happens here; the movement is caught up later
        log.exception("%s: its stock movement could not be recorded now; it is caught up at the next drain",
                      doc.label)  # fmt: skip


def catch_up(sender: DeviceSender) -> int:
    """Record the movements of the device's latest signed documents that have none (after a crash)."""
    ledger = sender.ledger
    recent = [doc for state in SIGNED  # one query per state: each walks the (device_key, state, id) index
              for doc in ledger.documents("device_key = ? AND state = ?", [sender.key, state], order_by="id DESC",
                                          limit=CATCH_UP_LAST)]  # fmt: skip
    recorded = 0
    for doc in sorted(recent, key=lambda d: d.id)[-CATCH_UP_LAST:]:
        if ledger.find(doc.source, external_id_of(doc), KIND) is not None:
            continue
        move = movement_of(doc)
        if move is not None:
            record_move(ledger, sender.key, move)
            recorded += 1
    return recorded
