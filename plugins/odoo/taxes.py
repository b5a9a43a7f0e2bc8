"""Odoo `account.tax` records -> canonical `Tax` entries of one invoice line.

Which kind a tax is (VAT, excise, withholding, other) is decided, in this order:
1. the source options `excise_taxes` / `withholding_taxes` / `other_taxes` (tax names);
2. a negative amount is a withholding (Odoo books withholding as a negative tax);
3. a name in the mapping's [taxes] is VAT;
4. a fixed amount per unit, or "excise" in the name, is excise;
5. a percentage whose rate is in the mapping's [vat_rates] is VAT;
anything else is an unknown tax: a DocumentError naming the account.tax record.

Excise that Odoo adds to the VAT base (`include_base_amount`) becomes an `excise` tax, which the KRA
builder folds into the VAT base; a fixed excise (amount per unit) is given as the equivalent percentage
of the line's net price. Excise that does not raise the VAT base is not reported (kind `other`).
Group taxes are replaced by their children. Price-included: 17 `price_include`; 18
`price_include_override` (tax_included / tax_excluded / unset = the company's `account_price_include`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connector.errors import DocumentError, MappingError
from connector.mapping import Mapping
from connector.models import Tax
from plugins.odoo.values import dec

HUNDRED = Decimal(100)


def expand(tax_ids: list[int], taxes: dict[int, dict[str, Any]], where: str) -> list[dict[str, Any]]:
    """The line's taxes with groups replaced by their children, in Odoo's order (sequence, id)."""
    found: list[dict[str, Any]] = []
    for tax_id in tax_ids:
        tax = taxes.get(tax_id)
        if tax is None:
            raise DocumentError("the tax cannot be read (deleted, or another company's)", document=where,
                                field="tax_ids", value=f"account.tax {tax_id}")  # fmt: skip
        if tax.get("amount_type") == "group":
            found.extend(expand(list(tax.get("children_tax_ids") or []), taxes, where))
        else:
            found.append(tax)
    return sorted(found, key=lambda t: (t.get("sequence") or 0, t["id"]))


def price_included(tax: dict[str, Any], company_default: str | None) -> bool:
    override = tax.get("price_include_override")
    if override in ("tax_included", "tax_excluded"):
        return override == "tax_included"
    if "price_include_override" in tax and company_default in ("tax_included", "tax_excluded"):
        return company_default == "tax_included"
    return bool(tax.get("price_include"))


def kind_of(tax: dict[str, Any], mapping: Mapping, options: Any) -> str | None:
    name = str(tax.get("name") or "").strip()
    folded = name.casefold()
    for kind, names in (("excise", options.excise_taxes), ("withholding", options.withholding_taxes),
                        ("other", options.other_taxes)):  # fmt: skip
        if folded in {n.strip().casefold() for n in names}:
            return kind
    amount = dec(tax.get("amount") or 0)
    if amount < 0:
        return "withholding"
    if _in_taxes_table(mapping, name):
        return "vat"
    if tax.get("amount_type") == "fixed" or "excise" in folded:
        return "excise"
    if tax.get("amount_type") == "percent" and _in_rates_table(mapping, amount):
        return "vat"
    return None


def line_taxes(
    line: dict[str, Any],
    taxes: dict[int, dict[str, Any]],
    mapping: Mapping,
    options: Any,
    company_default: str | None,
    where: str,
    number: int,
) -> tuple[list[Tax], bool]:
    """(canonical taxes, price includes VAT) for one product line."""
    result: list[Tax] = []
    vat_included: bool | None = None
    for tax in expand(list(line.get("tax_ids") or []), taxes, where):
        label = f"account.tax {tax['id']} {tax.get('name')!r}"
        kind = kind_of(tax, mapping, options)
        if kind is None:
            message = ("unknown tax: add its name to [taxes] in the mapping (VAT), or to the source options "
                       "excise_taxes / withholding_taxes / other_taxes")  # fmt: skip
            raise DocumentError(message, document=where, line=number, field="tax_ids", value=label)
        included = price_included(tax, company_default)
        amount_type = tax.get("amount_type")
        if amount_type not in ("percent", "fixed"):
            message = f"tax computation {amount_type!r} is not supported (use a percentage or a fixed amount)"
            raise DocumentError(message, document=where, line=number, field="tax_ids", value=label)
        if kind == "vat":
            if amount_type != "percent":
                message = "a VAT tax must be a percentage"
                raise DocumentError(message, document=where, line=number, field="tax_ids", value=label)
            vat_included = included
            result.append(Tax(code=str(tax["name"]), rate=dec(tax["amount"]), kind="vat", price_included=included))
        elif kind == "excise":
            if not tax.get("include_base_amount"):
                kind = "other"  # Odoo does not charge VAT on it: it does not change the KRA amounts
            rate = _excise_rate(tax, line, where, number, label)
            result.append(Tax(code=str(tax["name"]), rate=rate, kind=kind, price_included=included))  # type: ignore[arg-type]
        else:
            result.append(Tax(code=str(tax["name"]), rate=dec(tax["amount"]), kind=kind, price_included=included))  # type: ignore[arg-type]
    return result, bool(vat_included)


def _excise_rate(tax: dict[str, Any], line: dict[str, Any], where: str, number: int, label: str) -> Decimal:
    """The excise as a percentage of the line's net unit price (a fixed excise is per unit, not discounted)."""
    amount = dec(tax["amount"])
    if tax.get("amount_type") == "percent":
        return amount
    net_price = dec(line["price_unit"]) * (HUNDRED - dec(line.get("discount") or 0)) / HUNDRED
    if net_price <= 0:
        message = "a fixed excise on a line without a price cannot be reported"
        raise DocumentError(message, document=where, line=number, field="tax_ids", value=label)
    return Decimal(format(amount * HUNDRED / net_price, "f"))  # plain digits, not 1E+1


def _in_taxes_table(mapping: Mapping, name: str) -> bool:
    try:
        mapping.lookup("taxes", name)
    except MappingError:
        return False
    return True


def _in_rates_table(mapping: Mapping, rate: Decimal) -> bool:
    try:
        mapping.tax_type(Tax(code="?", rate=rate))
    except MappingError:
        return False
    return True
