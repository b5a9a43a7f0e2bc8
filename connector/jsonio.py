"""JSON with exact decimals: numbers are read as `Decimal` and `Decimal` is written as a number."""

from __future__ import annotations

from typing import Any

import simplejson


def dumps(value: Any, *, pretty: bool = False) -> str:
    return simplejson.dumps(value, use_decimal=True, ensure_ascii=False, indent=2 if pretty else None, default=str)


def loads(text: str | bytes) -> Any:
    return simplejson.loads(text, use_decimal=True)
