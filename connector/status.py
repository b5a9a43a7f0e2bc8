"""What `status` shows: counts per state, per-device numbers, queue depth, what needs attention."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from connector.clock import now_utc
from connector.context import Context
from connector.errors import ConnectorError, SecretKeyError
from connector.ledger import ACCEPTED, NEEDS_FIX, STATES, Ledger
from connector.ledger.schema import SIGNED

MAX_PROBLEMS = 10


def collect(context: Context, ledger: Ledger) -> dict[str, Any]:
    db = ledger.db
    counts = dict(db.execute("SELECT state, COUNT(*) FROM documents GROUP BY state").fetchall())
    waiting_states = [s for s in STATES if s not in SIGNED and s != NEEDS_FIX]  # named: the index finds them
    marks = ", ".join("?" for _ in waiting_states)
    devices = []
    for device in context.settings.devices:
        waiting = db.execute(
            f"SELECT COUNT(*), MIN(created_at) FROM documents WHERE device_key = ? AND state IN ({marks})",
            [device.key, *waiting_states],
        ).fetchone()
        devices.append(
            {
                "name": device.name,
                "key": device.key,
                "last_invoice_number": ledger.next_number(device.key) - 1,
                "waiting": waiting[0],
                "oldest_unsigned_hours": _hours(waiting[1]),
            }
        )
    return {
        "documents": counts,
        "devices": devices,
        "queue_depth": _queue_depth(context),
        "not_written_back": not_written_back(ledger),
        "problems": _key_problems(context) + _problems(ledger) + purchase_problems(context, ledger),
    }


def purchase_problems(context: Context, ledger: Ledger) -> list[str]:
    """One line per device with suppliers' sales or bills a person must decide (connector/purchases/report.py)."""
    from connector.purchases.report import to_decide

    days = context.settings.purchases.unmatched_after_days
    lines = []
    for device in context.settings.devices:
        sales, bills, to_fix = to_decide(ledger.db, device.key, days)
        if sales or bills or to_fix:
            lines.append(
                f"purchases on device {device.name}: {sales} supplier sale(s) without a bill, {bills} "
                f"bill(s) without a supplier sale, {to_fix} to fix: see `etims-connector purchases`"
            )
    return lines


def not_written_back(ledger: Ledger) -> dict[str, Any]:
    """Documents KRA signed whose receipt has not reached the source yet (failed, or waiting > 2 minutes)."""
    where = "state = ? AND kind <> 'stock' AND (write_back_attempts > 0 OR updated_at < ?)"  # stock: nothing to write
    params = [ACCEPTED, (now_utc() - timedelta(minutes=2)).isoformat()]
    count = ledger.db.execute(f"SELECT COUNT(*) FROM documents WHERE {where}", params).fetchone()[0]
    docs = ledger.documents(where, params, order_by="write_back_attempts DESC, id", limit=MAX_PROBLEMS)
    listed = [{"id": d.id, "document": d.label, "invoice_number": d.invoice_number, "attempts": d.write_back_attempts,
               "last_error": d.write_back_error} for d in docs]  # fmt: skip
    return {"count": count, "documents": listed}


def _key_problems(context: Context) -> list[str]:
    """The at-rest key missing or not fitting the stored CMC keys: nothing can be signed until it is restored."""
    for device in context.settings.devices:
        try:
            context.devices.credentials(device)
        except SecretKeyError as exc:
            return [f"encryption key: {exc}"]
        except ConnectorError:
            continue  # e.g. not initialised yet: not a key problem
    return []


def _hours(iso: str | None) -> float | None:
    if not iso:
        return None
    return round((now_utc() - datetime.fromisoformat(iso)).total_seconds() / 3600, 2)


def _queue_depth(context: Context) -> int | None:
    from connector.queue import make_huey

    try:
        huey = make_huey(context.settings)
        return huey.pending_count() + huey.scheduled_count()
    except Exception:  # the queue backend may be down; status still shows the ledger
        return None


def _problems(ledger: Ledger) -> list[str]:
    """What needs attention now: each problem once; one that has since gone (signed, fixed) drops out."""
    lines = []
    for doc in ledger.documents("state = ?", [NEEDS_FIX], order_by="updated_at DESC", limit=MAX_PROBLEMS):
        lines.append(f"[id {doc.id}] {doc.label} needs fixing: {doc.reason}")
    seen: set[str] = set()
    for at, kind, message in _current_alerts(ledger):
        if message not in seen:
            seen.add(message)
            lines.append(f"{at[:19]} {kind}: {message}")
    return lines


def _current_alerts(ledger: Ledger) -> list[tuple[str, str, str]]:
    """Alerts still true: a document's while it is unsigned (and not already listed as needs-fix), a device's
    until KRA next accepted something from it, a signed document withdrawn in the source for 30 days, any other
    for a day."""
    db = ledger.db
    day_ago = (now_utc() - timedelta(days=1)).isoformat()
    month_ago = (now_utc() - timedelta(days=30)).isoformat()  # a signed document voided in the source
    rows = db.execute(
        f"""SELECT a.at, a.kind, a.message FROM alerts a LEFT JOIN documents d ON d.id = a.document_id
        WHERE (a.document_id IS NOT NULL AND d.state NOT IN ({", ".join("?" for _ in SIGNED)}, ?, 'discarded'))
           OR (a.document_id IS NOT NULL AND a.kind = 'write-back-failed' AND d.state = 'accepted')
           OR (a.kind = 'withdrawn-after-signing' AND a.at > ?)
           OR (a.document_id IS NULL AND a.device_key IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM exchanges x WHERE x.device_key = a.device_key AND x.outcome = 'accepted'
                AND x.at > a.at))
           OR (a.document_id IS NULL AND a.device_key IS NULL AND a.at > ?)
        ORDER BY a.id DESC LIMIT ?""",
        [*SIGNED, NEEDS_FIX, month_ago, day_ago, MAX_PROBLEMS * 5],
    ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows][:MAX_PROBLEMS]
