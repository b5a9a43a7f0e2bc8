"""A confirmed purchase's goods as a stock-in (purchase, 02), unless the source's own stock moves include them.

Goods are items of KRA type 1 or 2 (the 3rd character of our registered item code); services never move stock.
The movement goes through the stock ledger (`connector.stock.ledger.record_move`), which numbers and sends it.
`bills.stock_move` says what happened: the movement's external id, "none" (nothing to report), "off" (stock
not reported when it was confirmed), or NULL (not yet: tried again each round).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from connector.adapters import KnowsStockOnHand, ReportsStock
from connector.ledger import items as item_store
from connector.purchases import schema as s

if TYPE_CHECKING:
    from connector.pipeline import Pipeline
    from connector.purchases.store import PurchaseLedger, StoredBill

log = logging.getLogger("connector.purchases")
GOODS_TYPES = ("1", "2")
NOTHING = "none"
OFF = "off"  # stock is not reported: a purchase never becomes a stock-in (not even later)


def stock_move_of(stored: StoredBill, pin: str, db: Any) -> Any:
    """The StockMove for the bill's goods lines, or None when it has none."""
    from connector.stock.models import StockLine, StockMove

    bill = stored.bill
    goods = []
    for line in bill.lines:
        known = item_store.registered_code(db, pin, line.item.code)
        if known is None or len(known[0]) < 3 or known[0][2] not in GOODS_TYPES:
            continue
        goods.append(StockLine(line_id=line.line_id, item=line.item, quantity=line.quantity, unit=line.unit,
                               unit_cost=line.unit_cost, taxes=line.taxes,
                               units_per_package=line.units_per_package))  # fmt: skip
    if not goods:
        return None
    return StockMove(source=bill.source, external_id=f"purchase-in:{stored.id}", number=bill.number, kind="purchase",
                     moved_at=bill.billed_at, branch=bill.branch, lines=goods,
                     remark=f"purchase {stored.purchase_number} from {bill.supplier_pin}")  # fmt: skip


def _counts_its_own_receipts(adapter: object) -> bool:
    """A source whose movements include goods received on bills, or whose quantity on hand does (QuickBooks):
    a stock-in of the purchase as well would count those goods twice."""
    if isinstance(adapter, KnowsStockOnHand):
        return True
    return isinstance(adapter, ReportsStock) and adapter.stock_includes_purchases


def record_stock_in(pipeline: Pipeline, store: PurchaseLedger, stored: StoredBill, device_key: str) -> None:
    """Never raises: a stock ledger that refuses now leaves `stock_move` NULL, to be tried again next round."""
    if not stock_in_reported(pipeline.settings):
        _mark(store, stored, OFF, "stock is not reported to KRA: no stock-in from the purchase")
        return
    source = pipeline.sources.get(stored.source)
    if source is not None and _counts_its_own_receipts(source.adapter):
        _mark(store, stored, NOTHING, "the source reports its own stock: no stock-in from the purchase")
        return
    try:
        from connector.stock.ledger import record_move  # the stock ledger (issue 13, STOCK-SEND)
    except ImportError:
        return  # this version has no stock ledger: stays NULL, recorded once it has one
    try:
        move = stock_move_of(stored, device_key.split("/")[0], pipeline.ledger.db)
        if move is None:
            _mark(store, stored, NOTHING, "no goods on the bill: no stock-in")
            return
        record_move(pipeline.ledger, device_key, move)
    except Exception as exc:  # the purchase is confirmed whatever happens here; the stock-in is tried again
        log.warning("%s: stock-in not recorded yet (%s: %s)", stored.label, type(exc).__name__, exc)
        return
    _mark(store, stored, move.external_id, f"stock-in {move.external_id} (purchase, 02) recorded for the sender")
    pipeline.enqueue_drain(device_key, 0)


def stock_in_reported(settings: Any) -> bool:
    """[purchases] stock_in when set; else whether stock is reported at all ([stock] report: "on", or "auto"
    with the GavaConnect profile); a version without [stock] settings reports none."""
    if settings.purchases.stock_in is not None:
        return bool(settings.purchases.stock_in)
    stock = getattr(settings, "stock", None)
    if stock is None:
        return False
    mode = getattr(stock, "report", "auto")
    return settings.kra.profile == "gavaconnect" if mode == "auto" else mode == "on"


def record_missing_stock_ins(pipeline: Pipeline, store: PurchaseLedger, device_key: str) -> None:
    for stored in store.bills("device_key = ? AND state = ? AND stock_move IS NULL", [device_key, s.CONFIRMED]):
        record_stock_in(pipeline, store, stored, device_key)


def _mark(store: PurchaseLedger, stored: StoredBill, value: str, detail: str) -> None:
    store.db.execute("UPDATE bills SET stock_move = ? WHERE id = ?", [value, stored.id])
    store.note(stored.id, detail)
