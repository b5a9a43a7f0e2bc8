"""Money and quantities as `Decimal`. The one rounding helper lives here.

Amounts are kept exact until the KRA payload boundary, where `round_money` rounds each
field once, half-up, to the cent (spec §3.5). Floats are refused everywhere.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0")
HUNDRED = Decimal("100")


def to_decimal(value: object, *, what: str = "amount") -> Decimal:
    """Convert str/int/Decimal to Decimal; a float or junk is a clear error."""
    if isinstance(value, bool | float):
        raise TypeError(f"{what}: {value!r} is a float; give amounts as text or Decimal")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{what}: {value!r} is not a number") from None
    else:
        raise TypeError(f"{what}: {value!r} is not a number")
    if not result.is_finite():
        raise ValueError(f"{what}: {value!r} is not a finite number")
    return result


def round_money(value: Decimal) -> Decimal:
    """Round to 2 decimal places, half-up. The only rounding rule for KRA amounts."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
