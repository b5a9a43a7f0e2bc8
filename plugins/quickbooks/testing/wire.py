"""JSON and time formats on the fake's wire: amounts as JSON numbers (exact Decimals), QBO-style timestamps."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import simplejson

# QBO stamps MetaData and envelope `time` in US Pacific time, whatever the company's locale (every sample does).
QBO_TZ = ZoneInfo("America/Los_Angeles")


def _plain(value: Decimal) -> Decimal:
    """275.00 -> 275, 12.750 -> 12.75: QBO prints amounts without trailing zeros."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _tidy(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _plain(value)
    if isinstance(value, dict):
        return {key: _tidy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_tidy(item) for item in value]
    return value


def dumps(value: Any) -> bytes:
    """JSON with Decimals written as numbers."""
    return simplejson.dumps(_tidy(value), use_decimal=True).encode("utf-8")


def loads(raw: bytes | str) -> Any:
    """JSON with every non-integer number read as Decimal (never float)."""
    return simplejson.loads(raw, use_decimal=True)


def metadata_time(moment: datetime) -> str:
    """`2026-04-08T13:16:17-07:00` (MetaData.CreateTime / LastUpdatedTime)."""
    return moment.astimezone(QBO_TZ).isoformat(timespec="seconds")


def envelope_time(moment: datetime) -> str:
    """`2026-05-05T03:20:11.171-07:00` (the `time` of every response)."""
    return moment.astimezone(QBO_TZ).isoformat(timespec="milliseconds")


def parse_time(text: str) -> datetime:
    """An ISO timestamp with offset ('Z' allowed); one without offset is read as Pacific time like QBO does."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=QBO_TZ)
    return moment
