"""The canonical stock movement: what a source's `fetch_stock_moves` yields (ERP-neutral, like `Invoice`).

Quantities are positive; `kind` says which way the goods go. Lines carry what registering an item needs
(the same fields as an invoice line), with `unit_cost` as the price KRA's stock IO reports (spec §2.3:
amounts at cost, as Odoo's own module sends them).

Sales (11) and customer returns (03) are NOT source stock moves: the connector reports them itself from the
signed invoices and credit notes, so a source must leave deliveries to and returns from customers out.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import Field

from connector.model_bounds import Price, Quantity, UnitsPerPackage, text
from connector.models import (
    MAX_LINES,
    MAX_TAXES_PER_LINE,
    CanonicalModel,
    Code,
    FreeText,
    IssuedAt,
    ItemRef,
    Short,
    Tax,
)

# KRA code class 12 (stock in/out type); in: 01-06, out: 11-16.
StockMoveKind = Literal[
    "import", "purchase", "customer_return", "transfer_in", "production_in", "adjustment_in",
    "sale", "supplier_return", "transfer_out", "production_out", "scrap", "adjustment_out",
]  # fmt: skip
STOCK_IO_TYPE: dict[str, str] = {
    "import": "01", "purchase": "02", "customer_return": "03", "transfer_in": "04", "production_in": "05",
    "adjustment_in": "06", "sale": "11", "supplier_return": "12", "transfer_out": "13", "production_out": "14",
    "scrap": "15", "adjustment_out": "16",
}  # fmt: skip
INCOMING = frozenset(kind for kind, code in STOCK_IO_TYPE.items() if code < "11")
REPORTED_BY_THE_CONNECTOR = frozenset({"sale", "customer_return"})  # from signed invoices / credit notes


class StockLine(CanonicalModel):
    line_id: Short | None = None
    item: ItemRef
    quantity: Quantity = Field(gt=0)
    unit: Code  # the ERP's unit of measure, looked up in the mapping's [units]
    unit_cost: Price = Decimal("0")  # per unit, in KES, VAT excluded
    taxes: list[Tax] = Field(default_factory=list, max_length=MAX_TAXES_PER_LINE)  # the item's VAT (to register it)
    units_per_package: UnitsPerPackage = Decimal("1")


class StockMove(CanonicalModel):
    """One stock movement as the source recorded it (a receipt, an adjustment, a transfer…)."""

    source: Code
    external_id: Code  # unique within the source, stable across polls
    number: Code  # what a person recognises (picking name, adjustment reference)
    kind: StockMoveKind
    moved_at: IssuedAt
    branch: Short | None = None  # device name as in [[devices]]; None = the default device
    counterpart_branch: text(2) | None = None  # transfers: KRA branch id (bhfId) at the other end
    lines: list[StockLine] = Field(min_length=1, max_length=MAX_LINES)
    remark: FreeText | None = None

    @property
    def incoming(self) -> bool:
        return self.kind in INCOMING

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.external_id, "stock")
