"""JSON with exact decimals: numbers are read as `Decimal` and `Decimal` is written as a number."""

from __future__ import annotations

from typing import Any

import simplejson


def dumps(value: Any, *, pretty: bool = False) -> str:
    return simplejson.dumps(value, use_decimal=True, ensure_ascii=False, indent=2 if pretty else None, default=str)


def loads(text: str | bytes) -> Any:
    return simplejson.loads(text, use_decimal=True)


class JsonFloat(str):
    """A JSON number written with a decimal point or exponent, kept as its text so the canonical model can
    refuse it: an interchange file must give amounts as text ("230.00"), the one unambiguous form."""


def loads_strict(text: str | bytes) -> Any:
    """Like `loads`, but numbers with a fraction or exponent come back as `JsonFloat` (integers stay int)."""
    return simplejson.loads(text, parse_float=JsonFloat)
