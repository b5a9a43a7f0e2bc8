"""The arithmetic of one KRA sales line, for both amount conventions (spec §3.5).

Everything is exact `Decimal` until a KRA field is produced; each field is rounded once with
`round_money` (half-up to the cent). Amounts are converted to KES before that rounding.

Legacy (convention 2, what Odoo sends; VAT-exclusive `prc`/`splyAmt`):
    VAT-exclusive price:  taxblAmt = round(qty x price x (1 - dc/100))
                          taxAmt   = round(taxblAmt x rate / 100)
                          totAmt   = taxblAmt + taxAmt
    VAT-inclusive price:  the discount is taken off the VAT-inclusive amount as entered,
                          then VAT is taken out of what remains (so totAmt is what the buyer pays):
                          totAmt   = round(qty x price x (1 - dc/100))
                          taxblAmt = round(totAmt x 100 / (100 + rate))
                          taxAmt   = totAmt - taxblAmt
    both:                 splyAmt  = round(taxblAmt x 100 / (100 - dc))   (dc < 100; Odoo's rule)
                                   = round(qty x VAT-exclusive price)     (dc = 100)
                          dcAmt    = splyAmt - taxblAmt   (the VAT-exclusive discount, never < 0)
                          prc      = round(splyAmt / qty)
Golden case: 1.00 at 10 % discount, 16 % VAT -> prc 1.00, splyAmt 1.00, dcAmt 0.10,
taxblAmt 0.90, taxAmt round(0.144) = 0.14, totAmt 1.04.

GavaConnect (convention 3, KRA's current validator; VAT-inclusive `prc`/`splyAmt`):
    prc      = round(VAT-inclusive unit price)   rounded first: KRA checks splyAmt against qty x prc
    splyAmt  = round(qty x prc)
    dcAmt    = round(splyAmt x dcRt / 100)
    gross    = splyAmt - dcAmt
    taxblAmt = round(gross x 100 / (100 + rate))
    taxAmt   = gross - taxblAmt
    totAmt   = gross
Because `prc` has 2 decimals, a unit price with more than 2 decimals (in KES) moves the line
total by up to qty x 0.005 compared with the ERP's own total. That is KRA's rule, not a choice.

Excise added on top of a VAT-exclusive price is part of the VAT base (VAT is charged on the
excise-inclusive value), so it multiplies the price by (1 + excise rate / 100). A price that
already includes excise needs nothing: the excise simply stays in the base ("folded in").
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from connector.money import CENT, HUNDRED, ZERO, round_money

HALF_UP = ROUND_HALF_UP  # round_money's rule

Profile = Literal["legacy", "gavaconnect"]
PROFILES: tuple[Profile, ...] = ("legacy", "gavaconnect")


@dataclass(frozen=True, slots=True)
class LinePricing:
    """What one line's KRA amounts depend on. `unit_price` is in KES and exact (not rounded)."""

    quantity: Decimal
    unit_price: Decimal  # as entered (VAT-inclusive or not), times the exchange rate
    price_includes_vat: bool
    vat_rate: Decimal  # percent, from the tax-rate table of the KRA tax type
    discount_percent: Decimal = ZERO
    excise_factor: Decimal = Decimal("1")  # 1 + rate/100 of excise added on top, else 1


@dataclass(frozen=True, slots=True)
class LineAmounts:
    """The rounded amount fields of one KRA sales line."""

    unit_price: Decimal  # prc
    supply_amount: Decimal  # splyAmt
    discount_amount: Decimal  # dcAmt
    taxable_amount: Decimal  # taxblAmt
    tax_amount: Decimal  # taxAmt
    total_amount: Decimal  # totAmt


def line_amounts(pricing: LinePricing, profile: Profile) -> LineAmounts:
    if profile == "legacy":
        return legacy_amounts(pricing)
    if profile == "gavaconnect":
        return gavaconnect_amounts(pricing)
    raise ValueError(f"unknown KRA profile {profile!r} (use legacy or gavaconnect)")


def net_of_vat(gross: Decimal, rate: Decimal) -> Decimal:
    """The VAT-exclusive part of a VAT-inclusive amount, rounded: round(gross x 100 / (100 + rate))."""
    return round_money(gross * HUNDRED / (HUNDRED + rate))


def legacy_amounts(pricing: LinePricing) -> LineAmounts:
    return LineAmounts(*legacy_figures(pricing.quantity, pricing.unit_price, pricing.price_includes_vat,
                                       pricing.vat_rate, pricing.discount_percent, pricing.excise_factor))  # fmt: skip


def gavaconnect_amounts(pricing: LinePricing) -> LineAmounts:
    figures = gavaconnect_figures(pricing.quantity, pricing.unit_price, pricing.price_includes_vat,
                                  pricing.vat_rate, pricing.discount_percent, pricing.excise_factor)  # fmt: skip
    return LineAmounts(*figures)


Figures = tuple[Decimal, Decimal, Decimal, Decimal, Decimal, Decimal]  # LineAmounts' fields, in order


def legacy_figures(
    quantity: Decimal, unit_price: Decimal, includes_vat: bool, vat_rate: Decimal, discount: Decimal, excise: Decimal
) -> Figures:
    """legacy_amounts as a tuple (prc, splyAmt, dcAmt, taxblAmt, taxAmt, totAmt): the fast builder's form.

    `x.quantize(CENT, HALF_UP)` is `round_money(x)` with the rounding given positionally (half the cost)."""
    keep = (HUNDRED - discount) / HUNDRED
    entered = quantity * unit_price * excise
    if includes_vat:
        total = (entered * keep).quantize(CENT, HALF_UP)
        taxable = (total * HUNDRED / (HUNDRED + vat_rate)).quantize(CENT, HALF_UP)  # net_of_vat
        tax = total - taxable
    else:
        taxable = (entered * keep).quantize(CENT, HALF_UP)
        tax = (taxable * vat_rate / HUNDRED).quantize(CENT, HALF_UP)
        total = taxable + tax
    if discount < HUNDRED:
        supply = (taxable * HUNDRED / (HUNDRED - discount)).quantize(CENT, HALF_UP)
    else:  # the VAT-exclusive amount before the discount
        supply = (entered * HUNDRED / (HUNDRED + vat_rate) if includes_vat else entered).quantize(CENT, HALF_UP)
    return (supply / quantity).quantize(CENT, HALF_UP), supply, supply - taxable, taxable, tax, total


def gavaconnect_figures(
    quantity: Decimal, unit_price: Decimal, includes_vat: bool, vat_rate: Decimal, discount: Decimal, excise: Decimal
) -> Figures:
    """gavaconnect_amounts as a tuple, as legacy_figures."""
    unit_price = unit_price * excise
    if not includes_vat:
        unit_price = unit_price * (HUNDRED + vat_rate) / HUNDRED
    price = unit_price.quantize(CENT, HALF_UP)
    supply = (quantity * price).quantize(CENT, HALF_UP)
    discount_amount = (supply * discount / HUNDRED).quantize(CENT, HALF_UP)
    gross = supply - discount_amount
    taxable = (gross * HUNDRED / (HUNDRED + vat_rate)).quantize(CENT, HALF_UP)  # net_of_vat
    return price, supply, discount_amount, taxable, gross - taxable, gross
