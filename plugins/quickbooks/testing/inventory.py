"""What saving a transaction does to Inventory items, as QBO does it: an Invoice lowers the QtyOnHand of
the Inventory items on its lines (bundles included), a CreditMemo raises it, and so does a Bill (its
ItemBasedExpenseLineDetail lines: goods received on the bill); an update applies the difference
between the old and the new version, a void (quantities zeroed) or delete gives the quantities back.

Assumptions (the spec and samples are silent): a line without Qty counts 1; only items with TrackQtyOnHand;
QtyOnHand may go negative (QBO lets a sale go beyond the quantity on hand); the Item's SyncToken and
LastUpdatedTime do not change and no Item webhook or CDC entry follows (the quantity moves with the transaction).
An inventory adjustment is an Item update of QtyOnHand (`realm.edit("Item", id, QtyOnHand=...)`).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING

from .tax import sales_lines

if TYPE_CHECKING:
    from .realm import Realm

SIGN = {"Invoice": Decimal(-1), "CreditMemo": Decimal(1), "Bill": Decimal(1)}


def effect(realm: Realm, entity: str, doc: dict | None) -> dict[str, Decimal]:
    """{Item Id: change of QtyOnHand} the transaction makes (empty for other entities and tombstones)."""
    if doc is None or entity not in SIGN or doc.get("status") == "Deleted":
        return {}
    changes: dict[str, Decimal] = defaultdict(Decimal)
    lines = doc.get("Line") or []
    if entity == "Bill":
        found = [line.get("ItemBasedExpenseLineDetail") or {} for line in lines
                 if line.get("DetailType") == "ItemBasedExpenseLineDetail"]  # fmt: skip
    else:
        found = [line.get("SalesItemLineDetail") or {} for line in sales_lines(lines)]
    for detail in found:
        item_id = str((detail.get("ItemRef") or {}).get("value"))
        item = realm.live("Item", item_id)
        if item is None or item.get("Type") != "Inventory" or not item.get("TrackQtyOnHand"):
            continue
        quantity = detail.get("Qty")
        changes[item_id] += SIGN[entity] * (Decimal(str(quantity)) if quantity is not None else Decimal(1))
    return dict(changes)


def apply(realm: Realm, entity: str, before: dict | None, after: dict | None) -> None:
    """Move QtyOnHand from what `before` did to what `after` does. Hold `realm.lock`."""
    old, new = effect(realm, entity, before), effect(realm, entity, after)
    for item_id in old.keys() | new.keys():
        change = new.get(item_id, Decimal(0)) - old.get(item_id, Decimal(0))
        item = realm.live("Item", item_id)
        if change and item is not None:
            item["QtyOnHand"] = Decimal(str(item.get("QtyOnHand") or 0)) + change
