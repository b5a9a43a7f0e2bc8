"""Timezone-aware time helpers. KRA fields are in East Africa Time (EAT, UTC+3)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

EAT = ZoneInfo("Africa/Nairobi")


def now_eat() -> datetime:
    return datetime.now(EAT)


def now_utc() -> datetime:
    return datetime.now(UTC)


def _require_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"datetime {moment.isoformat()} has no timezone; KRA times must be timezone-aware")
    return moment


def kra_datetime(moment: datetime) -> str:
    """`yyyyMMddHHmmss` in EAT."""
    return _require_aware(moment).astimezone(EAT).strftime("%Y%m%d%H%M%S")


def kra_date(day: date | datetime) -> str:
    """`yyyyMMdd`; a datetime is converted to EAT first."""
    if isinstance(day, datetime):
        day = _require_aware(day).astimezone(EAT).date()
    return day.strftime("%Y%m%d")


def parse_kra_datetime(text: str) -> datetime:
    """Parse `yyyyMMddHHmmss` or `yyyy-MM-dd HH:mm:ss[.f]` (read-back form) as EAT."""
    text = text.strip()
    for fmt in ("%Y%m%d%H%M%S", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=EAT)
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a KRA date-time (yyyyMMddHHmmss)")
