"""One purchases round: bills from every source that records them, then each device under its lease.

`run` calls `due_round` from its sweeper (connector/daemon.py): at most every `[purchases] interval_minutes`.
`etims-connector purchases poll` runs a round at once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from connector.adapters import RecordsBills
from connector.errors import ConnectorError
from connector.ledger import leases
from connector.purchases.confirming import DeviceReport, PurchaseWorker
from connector.purchases.models import Bill
from connector.purchases.schema import NEEDS_FIX
from connector.purchases.store import PurchaseLedger

if TYPE_CHECKING:
    from connector.pipeline import Pipeline

log = logging.getLogger("connector.purchases")
LAST_ROUND = "purchases:last-round"  # cursor row: when the last round started (epoch seconds)


@dataclass
class RoundReport:
    bills: dict[str, int] = field(default_factory=dict)  # source → bills new or corrected
    devices: dict[str, DeviceReport] = field(default_factory=dict)
    busy: list[str] = field(default_factory=list)  # devices whose lease another worker held
    problems: list[str] = field(default_factory=list)


def enabled(pipeline: Pipeline) -> bool:
    return pipeline.settings.purchases.enabled


def due_round(pipeline: Pipeline, now: float | None = None) -> RoundReport | None:
    """A round when purchases are on and the last one is at least `interval_minutes` old; else None."""
    if not enabled(pipeline):
        return None
    now = time.time() if now is None else now
    last = pipeline.ledger.cursor(LAST_ROUND)
    if last is not None and now - float(last) < pipeline.settings.purchases.interval_minutes * 60:
        return None
    pipeline.ledger.set_cursor(LAST_ROUND, repr(now))
    return run_round(pipeline)


def run_round(pipeline: Pipeline) -> RoundReport:
    report = RoundReport()
    for name, source in pipeline.sources.items():
        if isinstance(source.adapter, RecordsBills):
            try:
                report.bills[name] = ingest_bills(pipeline, name)
            except Exception as exc:  # one source's failure never stops the others or the devices
                report.problems.append(f"source {name}: bills could not be read ({type(exc).__name__}: {exc})")
                log.warning("%s", report.problems[-1])
    for device in pipeline.settings.devices:
        db, ttl = pipeline.context.db, pipeline.settings.queue.lease_seconds
        if leases.acquire(db, device.key, ttl) is None:
            report.busy.append(device.name)  # the device's drain holds it; next round
            continue
        try:
            report.devices[device.name] = PurchaseWorker(pipeline, device).run()
        except Exception as exc:  # e.g. KRA unreachable: the cursor stays, the next round tries again
            report.problems.append(f"device {device.name}: {type(exc).__name__}: {exc}")
            log.warning("purchases for device %s: %s", device.name, report.problems[-1])
        finally:
            leases.release(db, device.key)
        if pipeline.ledger.head_of_device(device.key) is not None:
            pipeline.enqueue_drain(device.key, 0)  # a drain refused while we held the lease: wake it now
    return report


def ingest_bills(pipeline: Pipeline, source_name: str) -> int:
    """Store the bills the source has after its bills cursor; returns how many were new or corrected."""
    source = pipeline.sources[source_name]
    adapter = source.adapter
    assert isinstance(adapter, RecordsBills)
    store, cursor_name, changed = PurchaseLedger(pipeline.ledger.db), f"bills:{source_name}", 0
    for item, next_cursor in adapter.fetch_bills(pipeline.ledger.cursor(cursor_name)):
        try:
            bill = item if isinstance(item, Bill) else Bill.model_validate(item)
        except ValidationError as error:  # the one boundary: this bill's needs-fix, never the round's failure
            changed += _record_unreadable(pipeline, source_name, item, error)
            pipeline.ledger.set_cursor(cursor_name, next_cursor)
            continue
        device, problem = source.device, None
        if bill.branch:
            try:
                device = pipeline.settings.device(bill.branch)
            except ConnectorError as error:
                problem = f"bill {bill.number}: branch {bill.branch!r} is not a configured device ({error})"
        bill_id, action = store.record_bill(bill, device.key)
        if problem and action in ("new", "corrected"):
            store.move(bill_id, NEEDS_FIX, problem, reason=problem)
        changed += action in ("new", "corrected")
        pipeline.ledger.set_cursor(cursor_name, next_cursor)
    return changed


def _record_unreadable(pipeline: Pipeline, source_name: str, item: Any, error: ValidationError) -> int:
    """A bill the source gave as its fields because it is not a valid `Bill` (a vendor without a KRA PIN, a bill
    without the supplier's invoice number): recorded needs-fix naming document, field and value; read again
    once corrected in the source (then recorded like any bill). Returns 1 when it was new or changed."""
    from connector.pipeline import document_problem

    data = item if isinstance(item, dict) else {"value": repr(item)}
    external_id = str(data.get("external_id") or "unreadable")
    number = str(data.get("number") or external_id)
    reason = document_problem(error, f"{number} (bill)").describe()
    source = pipeline.sources[source_name]
    _, action = PurchaseLedger(pipeline.ledger.db).record_problem(source_name, external_id, number,
                                                                  source.device.key, data, reason)  # fmt: skip
    if action in ("new", "corrected"):
        log.warning("%s: bill %s needs fixing: %s", source_name, number, reason)
    return int(action in ("new", "corrected"))
