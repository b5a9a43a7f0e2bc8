"""Cent-exact arithmetic for QuickBooks lines: splitting a document discount and pricing a line to an amount.

A document-level discount (DiscountLineDetail, by amount or percent; QBO has already turned a percent into an
Amount) is split over the sales lines in proportion to their amounts with the largest-remainder rule: every
line gets its share rounded down to the cent, and the cents left over go one each to the lines with the largest
remainders (ties: the earlier line). The shares then add up to QBO's discount exactly, so the discounted line
amounts add up to QBO's own figure to the cent.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def largest_remainder(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `total` (whole cents) over `weights` in proportion; the parts add up to `total` exactly."""
    whole = sum(weights, Decimal(0))
    if not weights or whole == 0 or total == 0:
        return [Decimal(0).quantize(CENT) for _ in weights]
    exact = [total * weight / whole for weight in weights]
    parts = [share.quantize(CENT, rounding=ROUND_DOWN) for share in exact]
    left = int((total - sum(parts, Decimal(0))) / CENT)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += CENT
    return parts


PRICE_PLACES = 6  # the canonical model keeps at most 6 decimals (QBO's UnitPrice may have 7)


def price_for(amount: Decimal, quantity: Decimal, listed: Decimal | None = None) -> Decimal:
    """The unit price (fewest decimals, ≤ 6) whose quantity × price rounds to `amount` exactly.

    `listed` (the document's own unit price) is kept when it already gives `amount` with ≤ 6 decimals. Only a
    quantity above ~10 000 can leave no such price; the nearest 6-decimal price is used then.
    """
    if listed is not None and -listed.as_tuple().exponent <= PRICE_PLACES and cents(listed * quantity) == amount:  # type: ignore[operator]
        return listed
    exact = amount / quantity
    for places in range(2, PRICE_PLACES + 1):
        price = exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if cents(price * quantity) == amount:
            return price
    return exact.quantize(Decimal(1).scaleb(-PRICE_PLACES), rounding=ROUND_HALF_UP)


def discount_as_percent(base: Decimal, target: Decimal, percent: Decimal | None) -> Decimal | None:
    """`percent` when taking it off `base` gives `target` to the cent (KRA then shows the discount), else None."""
    if percent is None or percent != percent.quantize(CENT) or not 0 < percent < HUNDRED:
        return None
    return percent if cents(base * (HUNDRED - percent) / HUNDRED) == target else None
