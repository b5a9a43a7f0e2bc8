"""Before a sale of goods gets its invoice number: does KRA have the stock on record for it?

KRA's quantity per device and item is `stock_levels` (accepted stock IO in minus out). Movements of this device
not yet accepted (a stock-out waiting after an earlier sale, a stock-in still in flight) are counted too: out
ones reduce what is available, in ones do not add until KRA has them. A short sale becomes needs-fix with a
reason naming item, quantities and how to report the stock; it is queued again by itself when stock-in for the
device is accepted (connector/stock/sending.py looks for REQUEUE_MARK in the reason).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from connector.adapters import ReportsStock
from connector.ledger.schema import DISCARDED, SIGNED, STATES
from connector.models import Invoice
from connector.stock.after_sale import is_goods
from connector.stock.ledger import KIND, levels, move_of
from connector.stock.models import INCOMING

if TYPE_CHECKING:
    from connector.ledger import Document
    from connector.sending import DeviceSender

REQUEUE_MARK = "in stock on record for device"


def _plain(number: Decimal) -> str:
    return format(number.normalize(), "f")


def pending_out(sender: DeviceSender) -> dict[str, Decimal]:
    """Quantities per KRA item code of this device's outgoing movements KRA has not accepted yet."""
    from connector.ledger import items as item_store

    pin, pending = sender.device.pin.upper(), {}
    open_states = [state for state in STATES if state not in (*SIGNED, DISCARDED)]  # IN: the index, not a scan
    marks = ", ".join("?" for _ in open_states)
    waiting = sender.ledger.documents(f"device_key = ? AND state IN ({marks}) AND kind = ?",
                                      [sender.key, *open_states, KIND])  # fmt: skip
    for doc in waiting:
        if doc.canonical is None:
            continue
        move = move_of(doc)
        if move.kind in INCOMING:
            continue
        for line in move.lines:
            known = item_store.registered_code(sender.ledger.db, pin, line.item.code)
            if known is not None:
                pending[known[0]] = pending.get(known[0], Decimal(0)) + line.quantity
    return pending


def how_to_report(sender: DeviceSender, source_name: str) -> str:
    source = sender.pipeline.sources.get(source_name)
    adapter = source.adapter if source else None
    if isinstance(adapter, ReportsStock) and source_name != "csv" and getattr(adapter, "name", "") != "csv":
        return f"record the receipt or stock adjustment in {source_name}: it is reported to KRA from there"
    return "drop a stock file (<name>.stock.csv, e.g. kind opening or receipt) in the CSV folder's inbox"


def shortage(sender: DeviceSender, doc: Document, invoice: Invoice, codes: dict[str, str]) -> str | None:
    """None when KRA has the stock for every goods line of this sale; else the needs-fix reason."""
    if doc.kind != "invoice":
        return None  # a credit note brings goods back: it needs no stock
    needed: dict[str, tuple[str, Decimal]] = {}
    for line in invoice.lines:
        code = codes.get(line.item.code)
        if is_goods(code):
            assert code is not None
            _, quantity = needed.get(code, (line.item.code, Decimal(0)))
            needed[code] = (line.item.code, quantity + line.quantity)
    if not needed:
        return None
    on_record = levels(sender.ledger, sender.key)
    pending = pending_out(sender)
    problems = []
    for code, (source_code, quantity) in needed.items():
        level = on_record.get(code)
        available = (level.quantity if level else Decimal(0)) - pending.get(code, Decimal(0))
        if quantity > available:
            problems.append(
                f"item {source_code} ({code}): KRA has {_plain(max(available, Decimal(0)))} {REQUEUE_MARK} "
                f"{sender.device.name}, this sale needs {_plain(quantity)}; report "
                f"{_plain(quantity - max(available, Decimal(0)))} more stock-in first"
            )
    if not problems:
        return None
    return f"{doc.label}: " + "; ".join(problems) + f" ({how_to_report(sender, doc.source)})"
