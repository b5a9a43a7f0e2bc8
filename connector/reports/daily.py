"""The daily compliance report: per device, what KRA signed on one day (EAT) and what is still open.

Band totals are sums of the signed requests' own fields (taxblAmtA..E, taxAmtA..E, totAmt) — the
figures KRA signed, never recomputed. Open documents (unsigned, needs-fix) are a snapshot at the
time the report is made, aged from the ERP's document date against the 24-hour rule.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from connector.clock import EAT, now_utc
from connector.ledger import NEEDS_FIX, Document, Ledger
from connector.ledger.schema import SIGNED
from connector.money import ZERO, to_decimal
from connector.receipts.data import BANDS


@dataclass
class BandTotals:
    band: str
    rates: set[Decimal] = field(default_factory=set)
    sales_taxable: Decimal = ZERO
    sales_tax: Decimal = ZERO
    credit_taxable: Decimal = ZERO
    credit_tax: Decimal = ZERO

    @property
    def rate(self) -> str:
        if not self.rates:
            return ""
        return "mixed" if len(self.rates) > 1 else f"{format(next(iter(self.rates)).normalize(), 'f')}%"

    @property
    def net_taxable(self) -> Decimal:
        return self.sales_taxable - self.credit_taxable

    @property
    def net_tax(self) -> Decimal:
        return self.sales_tax - self.credit_tax


@dataclass(frozen=True)
class OpenDocument:
    """A document not signed (yet): waiting, in flight or needing a fix."""

    id: int
    label: str
    state: str
    since: datetime  # the ERP's document date (or when the connector recorded it)
    age_hours: Decimal
    overdue: bool  # older than the unsigned limit
    reason: str | None


@dataclass(frozen=True)
class SignedLate:
    id: int
    label: str
    hours: Decimal  # from the document date to KRA's signature


@dataclass(frozen=True)
class Gap:
    number: int
    held_by: str | None  # "source:number (state)" when a document has the number but is not signed


@dataclass
class DeviceDay:
    name: str
    key: str
    invoices: int = 0
    credit_notes: int = 0
    bands: list[BandTotals] = field(default_factory=lambda: [BandTotals(b) for b in BANDS])
    sales_total: Decimal = ZERO
    credit_total: Decimal = ZERO
    first_number: int | None = None
    last_number: int | None = None
    gaps: list[Gap] = field(default_factory=list)
    unsigned: list[OpenDocument] = field(default_factory=list)
    needs_fix: list[OpenDocument] = field(default_factory=list)
    signed_late: list[SignedLate] = field(default_factory=list)

    @property
    def net_total(self) -> Decimal:
        return self.sales_total - self.credit_total

    @property
    def all_bands(self) -> BandTotals:
        """The five bands added up (the signed requests' totTaxblAmt/totTaxAmt add up the same way)."""
        total = BandTotals("Total")
        for band in self.bands:
            total.sales_taxable += band.sales_taxable
            total.sales_tax += band.sales_tax
            total.credit_taxable += band.credit_taxable
            total.credit_tax += band.credit_tax
        return total

    @property
    def overdue(self) -> int:
        return sum(1 for doc in self.unsigned + self.needs_fix if doc.overdue)


@dataclass
class DailyReport:
    day: date
    generated_at: datetime  # EAT
    max_unsigned_hours: float
    devices: list[DeviceDay]

    @property
    def problems(self) -> int:
        return sum(len(d.gaps) + d.overdue + len(d.needs_fix) for d in self.devices)


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0, 0), tzinfo=EAT)
    return start, start + timedelta(days=1)


def parse_day(text: str | None, now: datetime | None = None) -> date:
    """YYYY-MM-DD, "today" or "yesterday" (in EAT); None is today."""
    today = (now or now_utc()).astimezone(EAT).date()
    if text in (None, "", "today"):
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise ValueError(f"--date {text!r}: give YYYY-MM-DD, today or yesterday") from None


def build_report(
    ledger: Ledger,
    day: date,
    devices: list[tuple[str, str]],
    *,
    max_unsigned_hours: float = 24,
    now: datetime | None = None,
) -> DailyReport:
    """`devices` are (name, key) pairs; a device key found in the ledger but not given is left out."""
    now = (now or now_utc()).astimezone(EAT)
    limit = Decimal(str(max_unsigned_hours))
    days = [_device_day(ledger, name, key, day, now, limit) for name, key in devices]
    return DailyReport(day=day, generated_at=now, max_unsigned_hours=max_unsigned_hours, devices=days)


def _device_day(ledger: Ledger, name: str, key: str, day: date, now: datetime, limit: Decimal) -> DeviceDay:
    start, end = day_bounds(day)
    result = DeviceDay(name=name, key=key)
    signed = _signed_between(ledger, key, start, end)
    for doc in signed:
        _add_signed(result, doc)
        hours = _hours(_since(doc), datetime.fromisoformat(doc.signed_at or ""))
        if hours > limit:
            result.signed_late.append(SignedLate(doc.id, doc.label, hours))
    numbers = sorted(doc.invoice_number for doc in signed if doc.invoice_number is not None)
    if numbers:
        result.first_number, result.last_number = numbers[0], numbers[-1]
        result.gaps = _gaps(ledger, key, numbers)
    marks = ", ".join("?" for _ in SIGNED)
    for doc in ledger.documents(f"device_key = ? AND state NOT IN ({marks})", [key, *SIGNED]):
        since = _since(doc)
        if since >= end:
            continue
        age = _hours(since, now)
        item = OpenDocument(doc.id, doc.label, doc.state, since, age, age > limit, doc.reason)
        (result.needs_fix if doc.state == NEEDS_FIX else result.unsigned).append(item)
    return result


def _signed_between(ledger: Ledger, key: str, start: datetime, end: datetime) -> list[Document]:
    """Signed documents whose KRA signing time falls in [start, end); compared as times, not text."""
    marks = ", ".join("?" for _ in SIGNED)
    window = [(start - timedelta(days=1)).date().isoformat(), (end + timedelta(days=1)).date().isoformat()]
    candidates = ledger.documents(
        f"device_key = ? AND state IN ({marks}) AND substr(signed_at, 1, 10) BETWEEN ? AND ?",
        [key, *SIGNED, *window],
        order_by="invoice_number",
    )
    return [d for d in candidates if d.signed_at and start <= datetime.fromisoformat(d.signed_at) < end]


def _add_signed(result: DeviceDay, doc: Document) -> None:
    request = doc.request or {}
    credit = request.get("rcptTyCd") == "R"
    for band in result.bands:
        taxable, tax = _amount(request, f"taxblAmt{band.band}"), _amount(request, f"taxAmt{band.band}")
        if taxable or tax:
            band.rates.add(_amount(request, f"taxRt{band.band}"))
        if credit:
            band.credit_taxable += taxable
            band.credit_tax += tax
        else:
            band.sales_taxable += taxable
            band.sales_tax += tax
    if credit:
        result.credit_notes += 1
        result.credit_total += _amount(request, "totAmt")
    else:
        result.invoices += 1
        result.sales_total += _amount(request, "totAmt")


def _gaps(ledger: Ledger, key: str, numbers: list[int]) -> list[Gap]:
    """Numbers between the last one signed before the day and the day's last that KRA did not sign."""
    marks = ", ".join("?" for _ in SIGNED)
    row = ledger.db.execute(
        f"SELECT MAX(invoice_number) FROM documents WHERE device_key = ? AND state IN ({marks}) AND invoice_number < ?",
        [key, *SIGNED, numbers[0]],
    ).fetchone()
    previous = int(row[0]) if row and row[0] is not None else 0
    present = set(numbers)
    gaps = []
    for number in range(previous + 1, numbers[-1]):
        if number in present:
            continue
        holder = ledger.documents("device_key = ? AND invoice_number = ?", [key, number])
        gaps.append(Gap(number, f"{holder[0].label} ({holder[0].state})" if holder else None))
    return gaps


def _since(doc: Document) -> datetime:
    """The ERP's document date when the canonical invoice has one, else when the ledger recorded it."""
    try:
        issued = json.loads(doc.canonical or "{}").get("issued_at")
        if issued:
            return datetime.fromisoformat(issued).astimezone(EAT)
    except (ValueError, AttributeError):
        pass
    return datetime.fromisoformat(doc.created_at).astimezone(EAT)


def _hours(start: datetime, end: datetime) -> Decimal:
    return (Decimal(str((end - start).total_seconds())) / Decimal(3600)).quantize(Decimal("0.1"))


def _amount(values: dict, key: str) -> Decimal:
    value = values.get(key)
    return ZERO if value is None else to_decimal(value, what=key)
