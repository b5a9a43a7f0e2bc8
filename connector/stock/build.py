"""StockMove -> the insertStockIO request, and the saveStockMaster request of one item (spec §2.3).

Amounts are at cost, VAT excluded, with VAT at the item's rate (as Odoo's own stock module sends them):
the arithmetic is kra_amounts' VAT-exclusive convention with no discount, each field rounded once
(round_money): splyAmt = taxblAmt = round(qty x cost), taxAmt = round(taxblAmt x rate / 100),
totAmt = taxblAmt + taxAmt, prc = round(splyAmt / qty), totDcAmt 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector.clock import kra_date
from connector.kra.payloads.stock import StockInOutLine, StockInOutRequest, StockMasterRequest
from connector.kra_amounts import LinePricing, legacy_amounts
from connector.kra_items import AuditNames, ItemSpec, audit_fields, item_spec, packages
from connector.mapping import Mapping
from connector.models import Invoice, Line
from connector.money import ZERO, to_decimal
from connector.stock.models import STOCK_IO_TYPE, StockMove

TRANSFERS = ("transfer_in", "transfer_out")


@dataclass(frozen=True)
class Device:
    pin: str
    branch: str


def as_invoice(move: StockMove) -> Invoice:
    """The move's lines as canonical invoice lines (what item_spec and item registration take); prices are the
    unit costs, VAT excluded."""
    lines = [
        Line(line_id=line.line_id, item=line.item, description=line.item.name, quantity=line.quantity,
             unit=line.unit, unit_price=line.unit_cost, price_includes_vat=False, taxes=line.taxes,
             units_per_package=line.units_per_package)
        for line in move.lines
    ]  # fmt: skip
    return Invoice(source=move.source, external_id=move.external_id, number=move.number, issued_at=move.moved_at,
                   branch=move.branch, lines=lines, remark=move.remark)  # fmt: skip


def specs_of(move: StockMove, invoice: Invoice, mapping: Mapping) -> list[ItemSpec]:
    """Each line's item attributes; a mapping gap is a DocumentError naming the movement, line and field."""
    return [item_spec(line, invoice, mapping, number) for number, line in enumerate(invoice.lines, start=1)]


def build_stock_io(
    move: StockMove,
    invoice: Invoice,
    specs: list[ItemSpec],
    item_codes: dict[str, str],
    unit_costs: list[Decimal],
    *,
    stock_number: int,
    device: Device,
    tax_rates: dict[str, Any],
    audit: AuditNames,
    profile: str,
) -> dict[str, Any]:
    """The insertStockIO body. `unit_costs`: per line, the cost to report (the line's, or the item's registered
    default price where the line's is 0)."""
    lines, taxable, tax, total = [], ZERO, ZERO, ZERO
    for number, (line, spec, cost) in enumerate(zip(invoice.lines, specs, unit_costs, strict=True), start=1):
        rate = to_decimal(tax_rates[spec.tax_type], what=f"tax rate of type {spec.tax_type}")
        amounts = legacy_amounts(LinePricing(quantity=line.quantity, unit_price=cost, price_includes_vat=False,
                                             vat_rate=rate))  # fmt: skip
        lines.append(StockInOutLine(
            sequence=number, item_code=item_codes[line.item.code], item_class=spec.item_class,
            name=spec.name[:200], barcode=spec.barcode, packaging_unit=spec.packaging_unit,
            packages=packages(line, spec.packaging_unit, profile), quantity_unit=spec.quantity_unit,
            quantity=line.quantity, unit_price=amounts.unit_price, supply_amount=amounts.supply_amount,
            discount_amount=ZERO, taxable_amount=amounts.taxable_amount, tax_type=spec.tax_type,
            tax_amount=amounts.tax_amount, total_amount=amounts.total_amount,
        ))  # fmt: skip
        taxable, tax, total = taxable + amounts.taxable_amount, tax + amounts.tax_amount, total + amounts.total_amount
    transfer = move.kind in TRANSFERS and move.counterpart_branch is not None
    request = StockInOutRequest(
        tin=device.pin, branch_id=device.branch, stock_number=stock_number, original_stock_number=0,
        registration_type="M", customer_pin=device.pin if transfer else None,
        customer_branch_id=move.counterpart_branch if transfer else None, stock_type=STOCK_IO_TYPE[move.kind],
        occurred_on=kra_date(move.moved_at), item_count=len(lines), total_taxable_amount=taxable,
        total_tax_amount=tax, total_amount=total, remark=(move.remark or None) and move.remark[:400],
        lines=lines, **audit_fields(audit),
    )  # fmt: skip
    return request.to_wire()


def build_stock_master(item_code: str, quantity: Decimal, device: Device, audit: AuditNames) -> dict[str, Any]:
    request = StockMasterRequest(tin=device.pin, branch_id=device.branch, item_code=item_code,
                                 remaining_quantity=quantity, **audit_fields(audit))  # fmt: skip
    return request.to_wire()


def quantity_changes(request: dict[str, Any]) -> list[tuple[str, Decimal]]:
    """(itemCd, +qty in / -qty out) of an insertStockIO body, from what was sent (the numbers KRA recorded)."""
    outgoing = str(request["sarTyCd"]) >= "11"
    changes = []
    for line in request["itemList"]:
        quantity = to_decimal(line["qty"], what="qty")
        changes.append((str(line["itemCd"]), -quantity if outgoing else quantity))
    return changes
