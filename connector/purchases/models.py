"""The canonical supplier bill: what a source's `fetch_bills` yields (ERP-neutral, like `Invoice`).

A bill is matched with the sale the supplier reported to KRA (listed by `selectTrnsPurchaseSalesList`)
by supplier PIN + the supplier's KRA invoice number (their `invcNo`, printed on their eTIMS invoice),
on the same device (branch). Quantities and costs are positive; costs are per unit in KES.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from connector.model_bounds import Price, Quantity, UnitsPerPackage, text
from connector.models import (
    MAX_LINES,
    MAX_TAXES_PER_LINE,
    CanonicalModel,
    Code,
    ErpTotals,
    FreeText,
    IssuedAt,
    ItemRef,
    Name,
    Short,
    Tax,
)

KraPin = text(20, required=True)


class BillLine(CanonicalModel):
    line_id: Short | None = None
    item: ItemRef
    quantity: Quantity = Field(gt=0)
    unit: Code  # the ERP's unit of measure, looked up in the mapping's [units]
    unit_cost: Price = Decimal("0")  # per unit, in KES, as the bill states it (see `Bill.prices_include_vat`)
    taxes: list[Tax] = Field(default_factory=list, max_length=MAX_TAXES_PER_LINE)  # the item's VAT
    units_per_package: UnitsPerPackage = Decimal("1")


class Bill(CanonicalModel):
    """One supplier bill (vendor bill) as the source recorded it."""

    source: Code
    external_id: Code  # unique within the source, stable across polls
    number: Code  # what a person recognises (the bill's reference in the ERP)
    supplier_pin: KraPin  # the supplier's KRA PIN (spplrTin)
    supplier_name: Name | None = None
    supplier_invoice_number: Code  # the supplier's KRA invcNo, as printed on their eTIMS invoice (spplrInvcNo)
    billed_at: IssuedAt
    branch: Short | None = None  # device name as in [[devices]]; None = the default device
    lines: list[BillLine] = Field(min_length=1, max_length=MAX_LINES)
    prices_include_vat: bool = False
    totals: ErpTotals | None = None  # what the source computed (KES): untaxed, tax, total
    remark: FreeText | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.external_id, "bill")

    @property
    def match_key(self) -> tuple[str, str]:
        """Supplier PIN (upper case) + supplier invoice number as KRA lists them (leading zeros dropped)."""
        number = self.supplier_invoice_number.strip()
        if number.isdigit():
            number = str(int(number))
        return (self.supplier_pin.strip().upper(), number)
