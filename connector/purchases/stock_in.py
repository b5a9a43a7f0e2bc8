"""A confirmed purchase's goods as a stock-in (purchase, 02), when the source does not report its own stock.

Goods are items of KRA type 1 or 2 (the 3rd character of our registered item code); services never move stock.
The movement goes through the stock ledger (`connector.stock.ledger.record_move`), which numbers and sends it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from connector.adapters import ReportsStock
from connector.ledger import items as item_store

if TYPE_CHECKING:
    from connector.pipeline import Pipeline
    from connector.purchases.store import PurchaseLedger, StoredBill

log = logging.getLogger("connector.purchases")
GOODS_TYPES = ("1", "2")


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


def record_stock_in(pipeline: Pipeline, store: PurchaseLedger, stored: StoredBill, device_key: str) -> None:
    source = pipeline.sources.get(stored.source)
    if source is not None and isinstance(source.adapter, ReportsStock):
        return  # the source reports its own receipts
    try:
        from connector.stock.ledger import record_move  # the stock ledger (issue 13, STOCK-SEND)
    except ImportError:
        store.note(stored.id, "no stock ledger in this version: the purchase's stock-in is not reported")
        return
    move = stock_move_of(stored, device_key.split("/")[0], pipeline.ledger.db)
    if move is None:
        return
    record_move(pipeline.ledger, device_key, move)
    store.note(stored.id, f"stock-in {move.external_id} recorded for the stock sender")
