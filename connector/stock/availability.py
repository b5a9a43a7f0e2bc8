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

from connector.adapters import KnowsStockOnHand, ReportsStock
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


HOW_TO_REPORT = {  # per adapter: where a person records the stock that reaches KRA from there
    "csv": "drop a stock file (<name>.stock.csv, kind opening or receipt) in the {source} folder's inbox",
    "odoo": "validate the receipt or inventory adjustment in Odoo's Inventory app ({source})",
    "quickbooks": ("raise the item's quantity on hand in QuickBooks ({source}); a non-inventory item has none: "
                   "make it an Inventory item, or report its stock with a CSV stock file"),
}
NO_STOCK_SOURCE = ("{source} does not report stock: drop a stock file (<name>.stock.csv, kind opening or "
                   "receipt) in the inbox of a CSV source for this device (docs/stock.md)")  # fmt: skip


def how_to_report(sender: DeviceSender, source_name: str) -> str:
    """Where the missing stock-in is recorded, for this document's source."""
    source = sender.pipeline.sources.get(source_name)
    adapter = source.adapter if source else None
    if not isinstance(adapter, (ReportsStock, KnowsStockOnHand)):
        return NO_STOCK_SOURCE.format(source=source_name)
    advice = HOW_TO_REPORT.get(getattr(adapter, "name", ""), "record the receipt or stock adjustment in {source}")
    return advice.format(source=source_name)


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
        recorded, going_out = (level.quantity if level else Decimal(0)), pending.get(code, Decimal(0))
        available = max(recorded - going_out, Decimal(0))
        if quantity > available:
            earlier = (
                f" ({_plain(recorded)} less {_plain(going_out)} in stock-outs KRA has not yet accepted)"
                if going_out
                else ""
            )
            problems.append(
                f"item {source_code} ({code}): KRA has {_plain(available)} {REQUEUE_MARK} {sender.device.name}"
                f"{earlier}, this sale needs {_plain(quantity)}; report {_plain(quantity - available)} more "
                "stock-in first"
            )
    if not problems:
        return None
    return f"{doc.label}: " + "; ".join(problems) + f" ({how_to_report(sender, doc.source)})"
