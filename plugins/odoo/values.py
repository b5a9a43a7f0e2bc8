"""Odoo's JSON values as the connector needs them: exact decimals, plain names, dates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def dec(value: Any) -> Decimal:
    """An Odoo number (a JSON float such as 427.58, or text) as an exact Decimal; False/None is 0.

    A float becomes the shortest text that reads back as the same float (repr), which is what Odoo
    stored in its numeric column: 427.58, not 427.579999…
    """
    if value is None or value is False:
        return Decimal(0)
    if isinstance(value, bool):
        raise TypeError(f"not a number: {value!r}")
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def num(value: Any) -> str:
    """An Odoo number kept as text in a document's content (JSON-safe, exact)."""
    return format(dec(value), "f")


def m2o_id(value: Any) -> int | None:
    """The id of a many2one value ([id, "name"], a bare id, or False)."""
    if isinstance(value, list | tuple) and value:
        return int(value[0])
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def m2o_name(value: Any) -> str | None:
    if isinstance(value, list | tuple) and len(value) > 1:
        return str(value[1])
    return None


def text(value: Any) -> str | None:
    """A char field: False/None/blank -> None, else the stripped text."""
    if value is None or value is False:
        return None
    stripped = str(value).strip()
    return stripped or None
