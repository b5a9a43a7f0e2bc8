"""Money and quantities as `Decimal`. The one rounding helper lives here.

Amounts are kept exact until the KRA payload boundary, where `round_money` rounds each
field once, half-up, to the cent (spec §3.5). Floats are refused everywhere.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from connector.jsonio import JsonFloat

NUMBER_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,4})?$", re.ASCII)
MAX_NUMBER_TEXT = 60  # characters; anything longer is not an amount
CENT = Decimal("0.01")
ZERO = Decimal("0")
HUNDRED = Decimal("100")


def to_decimal(value: object, *, what: str = "amount") -> Decimal:
    """Convert str/int/Decimal to Decimal; a float or junk is a clear error."""
    if isinstance(value, bool | float):
        raise TypeError(f"{what}: {value!r} is a float; give amounts as text or Decimal")
    if isinstance(value, JsonFloat):
        raise TypeError(f'{what}: {value} is a JSON number with a decimal point; write it as text ("{value}")')
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        result = _parse(value.strip(), what)
    else:
        raise TypeError(f"{what}: {value!r} is not a number")
    if not result.is_finite():
        raise ValueError(f"{what}: {value!r} is not a finite number")
    return result


def _parse(text: str, what: str) -> Decimal:
    """Digits 0-9, one decimal point, an optional sign and exponent; NaN and Infinity are refused."""
    if len(text) > MAX_NUMBER_TEXT:
        raise ValueError(f"{what}: {text[:20]!r}… is too long to be a number ({len(text)} characters)")
    if NUMBER_TEXT.match(text):
        return Decimal(text)
    if any(char.isdigit() and not char.isascii() for char in text):
        raise ValueError(f"{what}: {text!r} has digits other than 0-9: write numbers with the digits 0-9")
    try:
        result = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{what}: {text!r} is not a number") from None
    if result.is_finite():  # e.g. "1_000": Python reads it, nobody else would
        raise ValueError(f"{what}: {text!r} is not a number: write digits 0-9 and one decimal point")
    return result  # NaN / Infinity, refused by the caller with its own message


def round_money(value: Decimal) -> Decimal:
    """Round to 2 decimal places, half-up. The only rounding rule for KRA amounts."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
