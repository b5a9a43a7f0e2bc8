"""Invoice amounts computed the way Odoo 17/18 computes them with the default "round per line" method:
per-line taxes (percent, fixed, division, groups; price-included or not; include_base_amount raising the base
of later taxes), line subtotal/total, move totals, company-currency balances, and `tax_totals` in 17's or 18's shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")


def round_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class TaxAmount:
    tax_id: int
    group_id: int | bool
    amount_type: str
    base: Decimal
    amount: Decimal


@dataclass
class LineAmounts:
    subtotal: Decimal
    total: Decimal
    taxes: list[TaxAmount] = field(default_factory=list)


def flatten_taxes(taxes: dict[int, dict[str, Any]], tax_ids: list[int]) -> list[dict[str, Any]]:
    """Group taxes replaced by their children, everything in (sequence, id) order, as Odoo does."""

    def ordered(ids: list[int]) -> list[dict[str, Any]]:
        return sorted((taxes[i] for i in ids), key=lambda tax: (tax.get("sequence", 1), tax["id"]))

    flat: list[dict[str, Any]] = []
    for tax in ordered(tax_ids):
        if tax["amount_type"] == "group":
            flat.extend(ordered(tax.get("children_tax_ids") or []))
        else:
            flat.append(tax)
    return flat


def compute_line(price_unit: Decimal, quantity: Decimal, discount: Decimal, taxes: list[dict[str, Any]]) -> LineAmounts:
    """One product line's subtotal, total and per-tax base and amount (document currency)."""
    gross = round_money(price_unit * (1 - discount / 100) * quantity)
    included = [tax for tax in taxes if tax.get("price_include")]
    percent = sum((Decimal(str(t["amount"])) for t in included if t["amount_type"] == "percent"), Decimal(0))
    division = sum((Decimal(str(t["amount"])) for t in included if t["amount_type"] == "division"), Decimal(0))
    fixed = sum((Decimal(str(t["amount"])) * quantity for t in included if t["amount_type"] == "fixed"), Decimal(0))
    base = (gross - fixed) / (1 + percent / 100) * (1 - division / 100) if included else gross
    extra = Decimal(0)
    results: list[TaxAmount] = []
    for tax in taxes:
        rate = Decimal(str(tax["amount"]))
        tax_base = base + (extra if tax.get("is_base_affected", True) else 0)
        if tax["amount_type"] == "fixed":
            amount = rate * quantity
        elif tax["amount_type"] == "division":
            amount = tax_base * rate / (100 - rate) if not tax.get("price_include") else tax_base * rate / 100
        else:
            amount = tax_base * rate / 100
        amount = round_money(amount)
        results.append(TaxAmount(tax["id"], tax.get("tax_group_id") or False, tax["amount_type"], tax_base, amount))
        if tax.get("include_base_amount"):
            extra += amount
    included_total = sum((r.amount for r, t in zip(results, taxes, strict=True) if t.get("price_include")), Decimal(0))
    subtotal = round_money(gross - included_total) if included else gross
    for result in results:
        result.base = round_money(result.base)
    return LineAmounts(subtotal, subtotal + sum((r.amount for r in results), Decimal(0)), results)


def to_company(amount: Decimal, rate: Decimal) -> Decimal:
    """Document-currency amount in company currency; `rate` is document units per company unit."""
    return round_money(amount / rate)


@dataclass
class GroupTotal:
    group_id: int
    name: str
    tax_ids: list[int]
    amount: Decimal = Decimal(0)
    base: Decimal = Decimal(0)
    amount_company: Decimal = Decimal(0)
    base_company: Decimal = Decimal(0)
    fixed_only: bool = True


def group_totals(lines: list[LineAmounts], group_names: dict[int, str], rate: Decimal) -> list[GroupTotal]:
    groups: dict[int, GroupTotal] = {}
    for line in lines:
        seen: set[int] = set()
        for tax in line.taxes:
            group_id = int(tax.group_id or 0)
            group = groups.setdefault(group_id, GroupTotal(group_id, group_names.get(group_id, ""), []))
            if tax.tax_id not in group.tax_ids:
                group.tax_ids.append(tax.tax_id)
            group.amount += tax.amount
            group.amount_company += to_company(tax.amount, rate)
            group.fixed_only = group.fixed_only and tax.amount_type == "fixed"
            if group_id not in seen:  # a line counts once in a group's base
                group.base += tax.base
                group.base_company += to_company(tax.base, rate)
                seen.add(group_id)
    return [groups[key] for key in sorted(groups)]


def _formatted(amount: Decimal, symbol: str) -> str:
    return f"{amount:,.2f}\u00a0{symbol}"


def tax_totals(
    version: str,
    groups: list[GroupTotal],
    totals: dict[str, Decimal],
    currency: dict[str, Any],
    company_currency: dict[str, Any],
) -> dict[str, Any]:
    """`account.move.tax_totals` as Odoo `version` shapes it. `totals`: untaxed, tax, total (+ *_company)."""
    foreign = currency["id"] != company_currency["id"]
    same_base = all(group.base == totals["untaxed"] for group in groups)
    if version == "17":
        symbol = currency.get("symbol") or currency["name"]
        entries = []
        for group in groups:
            entry: dict[str, Any] = {
                "group_key": group.group_id,
                "tax_group_id": group.group_id,
                "tax_group_name": group.name,
                "tax_group_amount": group.amount,
                "tax_group_base_amount": group.base,
                "formatted_tax_group_amount": _formatted(group.amount, symbol),
                "formatted_tax_group_base_amount": _formatted(group.base, symbol),
                "hide_base_amount": group.fixed_only,
            }
            if foreign:
                entry["tax_group_amount_company_currency"] = group.amount_company
                entry["tax_group_base_amount_company_currency"] = group.base_company
            entries.append(entry)
        subtotal: dict[str, Any] = {
            "name": "Untaxed Amount",
            "amount": totals["untaxed"],
            "formatted_amount": _formatted(totals["untaxed"], symbol),
        }
        if foreign:
            subtotal["amount_company_currency"] = totals["untaxed_company"]
        answer: dict[str, Any] = {
            "amount_untaxed": totals["untaxed"],
            "amount_total": totals["total"],
            "formatted_amount_total": _formatted(totals["total"], symbol),
            "formatted_amount_untaxed": _formatted(totals["untaxed"], symbol),
            "groups_by_subtotal": {"Untaxed Amount": entries},
            "subtotals": [subtotal],
            "subtotals_order": ["Untaxed Amount"],
            "display_tax_base": not same_base,
        }
        if foreign:
            answer["amount_total_company_currency"] = totals["total_company"]
        return answer
    tax_groups = [
        {
            "id": group.group_id,
            "involved_tax_ids": group.tax_ids,
            "tax_amount_currency": group.amount,
            "tax_amount": group.amount_company,
            "base_amount_currency": group.base,
            "base_amount": group.base_company,
            "display_base_amount_currency": None if group.fixed_only else group.base,
            "display_base_amount": None if group.fixed_only else group.base_company,
            "group_name": group.name,
            "group_label": False,
        }
        for group in groups
    ]
    amounts = {
        "tax_amount_currency": totals["tax"],
        "tax_amount": totals["tax_company"],
        "base_amount_currency": totals["untaxed"],
        "base_amount": totals["untaxed_company"],
    }
    return {
        "currency_id": currency["id"],
        "currency_pd": float(currency.get("rounding", 0.01)),
        "company_currency_id": company_currency["id"],
        "company_currency_pd": float(company_currency.get("rounding", 0.01)),
        "has_tax_groups": bool(groups),
        "subtotals": [{"tax_groups": tax_groups, **amounts, "name": "Untaxed Amount"}] if groups else [],
        "base_amount_currency": totals["untaxed"],
        "base_amount": totals["untaxed_company"],
        "tax_amount_currency": totals["tax"],
        "tax_amount": totals["tax_company"],
        "same_tax_base": same_base,
        "total_amount_currency": totals["total"],
        "total_amount": totals["total_company"],
        "display_in_company_currency": foreign,
    }
