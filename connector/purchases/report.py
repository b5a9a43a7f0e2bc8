"""What `etims-connector purchases status` shows: per device, supplier sales fetched / matched / confirmed,
and what a person must decide: supplier sales without a bill after N days, bills without a supplier sale,
bills that need fixing or are waiting on KRA."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from connector.clock import now_utc
from connector.purchases import schema as s
from connector.purchases.store import PurchaseLedger


@dataclass
class DeviceSummary:
    device: str
    key: str
    fetched: int = 0
    matched: int = 0
    confirmed: int = 0
    next_purchase_number: int = 1
    unmatched_sales: list[dict[str, Any]] = field(default_factory=list)  # no bill after N days
    waiting_sales: int = 0  # no bill yet, younger than N days
    bills_without_sale: list[dict[str, Any]] = field(default_factory=list)
    needs_fix: list[dict[str, Any]] = field(default_factory=list)
    in_progress: list[dict[str, Any]] = field(default_factory=list)  # sending, unknown, retry-wait, queued

    @property
    def to_decide(self) -> int:
        return len(self.unmatched_sales) + len(self.bills_without_sale) + len(self.needs_fix)


def summarise(db: Any, devices: list[tuple[str, str]], unmatched_after_days: float,
              now: datetime | None = None) -> list[DeviceSummary]:  # fmt: skip
    """`devices`: (name, key) pairs, in configuration order."""
    store, now = PurchaseLedger(db), now or now_utc()
    cutoff = now - timedelta(days=unmatched_after_days)
    summaries = []
    for name, key in devices:
        summary = DeviceSummary(device=name, key=key, next_purchase_number=store.next_number(key))
        for sale in store.supplier_sales("device_key = ?", [key]):
            summary.fetched += 1
            if sale.bill_id is not None:
                summary.matched += 1
            elif datetime.fromisoformat(sale.fetched_at) <= cutoff:
                summary.unmatched_sales.append({
                    "supplier_pin": sale.supplier_pin, "supplier_branch": sale.supplier_branch,
                    "supplier_name": sale.supplier_name, "supplier_invoice_number": sale.supplier_invoice_number,
                    "total_amount": sale.total_amount, "sold_on": sale.sold_on, "fetched_at": sale.fetched_at,
                })  # fmt: skip
            else:
                summary.waiting_sales += 1
        for bill in store.bills("device_key = ?", [key]):
            entry = {"id": bill.id, "bill": bill.label, "supplier_pin": bill.supplier_pin,
                     "supplier_invoice_number": bill.supplier_invoice_number, "state": bill.state,
                     "purchase_number": bill.purchase_number, "reason": bill.reason}  # fmt: skip
            if bill.state == s.CONFIRMED:
                summary.confirmed += 1
            elif bill.state == s.UNMATCHED:
                summary.bills_without_sale.append(entry)
            elif bill.state == s.NEEDS_FIX:
                summary.needs_fix.append(entry)
            else:
                summary.in_progress.append(entry)
        summaries.append(summary)
    return summaries


def to_decide(db: Any, device_key: str, unmatched_after_days: float) -> tuple[int, int, int]:
    """(supplier sales without a bill after N days, bills without a supplier sale, bills to fix): three counts."""
    cutoff = (now_utc() - timedelta(days=unmatched_after_days)).isoformat()
    sales = db.execute("SELECT COUNT(*) FROM supplier_sales WHERE device_key = ? AND bill_id IS NULL AND fetched_at"
                       " <= ?", [device_key, cutoff]).fetchone()[0]  # fmt: skip
    states = dict(db.execute("SELECT state, COUNT(*) FROM bills WHERE device_key = ? AND state IN (?, ?) GROUP BY"
                             " state", [device_key, s.UNMATCHED, s.NEEDS_FIX]).fetchall())  # fmt: skip
    return int(sales), int(states.get(s.UNMATCHED, 0)), int(states.get(s.NEEDS_FIX, 0))


def lines(summaries: list[DeviceSummary], unmatched_after_days: float) -> list[str]:
    out = []
    for summary in summaries:
        out.append(f"device {summary.device} ({summary.key}): {summary.fetched} supplier sale(s) fetched, "
                   f"{summary.matched} matched with a bill, {summary.confirmed} confirmed; "
                   f"next purchase number {summary.next_purchase_number}")  # fmt: skip
        if summary.waiting_sales:
            out.append(f"  {summary.waiting_sales} supplier sale(s) fetched less than {unmatched_after_days:g} "
                       "day(s) ago, no bill yet")  # fmt: skip
        for sale in summary.unmatched_sales:
            out.append(f"  no bill after {unmatched_after_days:g} day(s): supplier {sale['supplier_pin']}"
                       f"/{sale['supplier_branch']} ({sale['supplier_name'] or 'no name'}) invoice "
                       f"{sale['supplier_invoice_number']}, total {sale['total_amount']}, sold {sale['sold_on']}: "
                       "record the bill in the source (supplier PIN + their invoice number)")  # fmt: skip
        for bill in summary.bills_without_sale:
            out.append(
                f"  bill {bill['bill']} (id {bill['id']}): KRA lists no sale from {bill['supplier_pin']} with "
                f"invoice number {bill['supplier_invoice_number']}: check the number on their eTIMS invoice"
            )
        for bill in summary.needs_fix:
            out.append(f"  needs fixing: bill {bill['bill']} (id {bill['id']}): {bill['reason']}")
        for bill in summary.in_progress:
            number = f" purchase {bill['purchase_number']}" if bill["purchase_number"] else ""
            out.append(f"  {bill['state']}: bill {bill['bill']}{number}" + (f": {bill['reason']}" if bill["reason"]
                                                                              else ""))  # fmt: skip
    return out
