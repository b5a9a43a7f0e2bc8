"""QuickBooks Online inventory as the connector's stock source: Inventory items and their QtyOnHand.

QBO keeps one company-wide quantity on hand per Inventory item (no per-location stock in this API), lowered
by QBO itself when an invoice is saved and raised by a credit memo. The core turns its changes into KRA stock
adjustments (connector/stock/on_hand.py), for the source's default device. Per item (docs/quickbooks.md):

- code: the item's Sku, else its Id — what the adapter's invoices use for the item (documents.py);
  name: Name; category: Type ("Inventory", looked up in the mapping's [categories]); unit: `default_unit`.
- taxes: the item's SalesTaxCodeRef (its rate from the company's TaxCode/TaxRate), as an invoice line with the
  item's default tax code maps it; none: `not_applicable_tax_code`.
- unit cost (KES, VAT excluded): PurchaseCost (less the purchase VAT when PurchaseTaxIncluded); when that is 0,
  the sales UnitPrice (less VAT when SalesTaxIncluded); 0 when the company's home currency is not KES (the
  stock document then takes the item's price registered at KRA).
Items QBO does not track (Service, NonInventory, TrackQtyOnHand false) are never read as stock. An item whose
data cannot make a valid stock line is left out with a note for `doctor`.
"""

from __future__ import annotations

import logging
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import ValidationError

from connector.adapters import InventoryItem
from connector.models import ItemRef, Tax
from plugins.quickbooks.client import QboClient
from plugins.quickbooks.config import QuickBooksConfig
from plugins.quickbooks.documents import dec
from plugins.quickbooks.reading import Reader

log = logging.getLogger("plugins.quickbooks")

# Inactive items too (a QBO query returns active ones only unless it names Active): making an item inactive
# sets its quantity to 0 in QBO, which KRA must hear about.
INVENTORY_QUERY = "SELECT *, Sku FROM Item WHERE Type = 'Inventory' AND Active IN (true, false)"
COST_PLACES = Decimal("0.000001")  # the canonical Price keeps at most 6 decimals
HUNDRED = Decimal(100)


def item_code(item: dict[str, Any]) -> str:
    """The code the adapter's invoices give this item (documents.py: Sku, else the ItemRef value = Id)."""
    return str(item.get("Sku") or item["Id"])


class Inventory:
    def __init__(self, config: QuickBooksConfig, client: QboClient, reader: Reader) -> None:
        self.config = config
        self.client = client
        self.reader = reader

    def rows(self) -> list[dict[str, Any]]:
        """Every Inventory item that tracks its quantity, page by page."""
        return [row for row, _ in self.client.query_all(INVENTORY_QUERY) if row.get("TrackQtyOnHand", True)]

    def items(self) -> tuple[list[InventoryItem], list[str]]:
        """(the inventory items, problems of the items left out)."""
        rows = self.rows()
        rates = self.reader.tax_rates() if rows else {}
        found, problems = [], []
        for row in rows:
            try:
                found.append(self.item(row, rates))
            except (ValidationError, ValueError, KeyError) as exc:
                problems.append(f"inventory item {row.get('Name') or row.get('Id')!r} is not reported to KRA as "
                                f"stock: {type(exc).__name__}: {str(exc)[:200]}")  # fmt: skip
        return found, problems

    def on_hand(self, item_codes: list[str]) -> dict[str, Decimal]:
        wanted = set(item_codes)
        return {item_code(row): dec(row.get("QtyOnHand")) for row in self.rows() if item_code(row) in wanted}

    def item(self, row: dict[str, Any], rates: dict[str, str]) -> InventoryItem:
        code = (row.get("SalesTaxCodeRef") or {}).get("value")
        if code:
            rate = rates.get(str(code))
            tax = Tax(code=str(code), rate=dec(rate) if rate is not None else None)
        else:
            tax = Tax(code=self.config.not_applicable_tax_code, rate=Decimal(0))
        ref = ItemRef(code=item_code(row), name=str(row.get("Name") or f"Item {row['Id']}"), category=row.get("Type"))
        return InventoryItem(external_id=str(row["Id"]), item=ref, unit=self.config.default_unit,
                             unit_cost=self.unit_cost(row, rates, tax.rate), taxes=[tax],
                             on_hand=dec(row.get("QtyOnHand")))  # fmt: skip

    def unit_cost(self, row: dict[str, Any], rates: dict[str, str], sales_rate: Decimal | None) -> Decimal:
        if self.config.home_currency != "KES":
            return Decimal(0)
        cost = dec(row.get("PurchaseCost"))
        if cost > 0:
            purchase_code = (row.get("PurchaseTaxCodeRef") or {}).get("value")
            rate = dec(rates.get(str(purchase_code))) if purchase_code and str(purchase_code) in rates else sales_rate
            return _excluded(cost, rate) if row.get("PurchaseTaxIncluded") else _places(cost)
        price = dec(row.get("UnitPrice"))
        if price > 0:
            return _excluded(price, sales_rate) if row.get("SalesTaxIncluded") else _places(price)
        return Decimal(0)


def _excluded(amount: Decimal, rate: Decimal | None) -> Decimal:
    return _places(amount * HUNDRED / (HUNDRED + (rate or 0)))


def _places(amount: Decimal) -> Decimal:
    return amount.quantize(COST_PLACES, rounding=ROUND_HALF_UP)
