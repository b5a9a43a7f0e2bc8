"""What `status` shows: counts per state, per-device numbers, queue depth, what needs attention."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from connector.clock import now_utc
from connector.context import Context
from connector.ledger import NEEDS_FIX, Ledger
from connector.ledger.schema import SIGNED

MAX_PROBLEMS = 10


def collect(context: Context, ledger: Ledger) -> dict[str, Any]:
    db = ledger.db
    counts = dict(db.execute("SELECT state, COUNT(*) FROM documents GROUP BY state").fetchall())
    marks = ", ".join("?" for _ in SIGNED)
    devices = []
    for device in context.settings.devices:
        waiting = db.execute(
            f"SELECT COUNT(*), MIN(created_at) FROM documents WHERE device_key = ? AND state NOT IN ({marks})"
            " AND state != ?",
            [device.key, *SIGNED, NEEDS_FIX],
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
        "problems": _problems(ledger),
    }


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
    lines = []
    for doc in ledger.documents("state = ?", [NEEDS_FIX], order_by="updated_at DESC", limit=MAX_PROBLEMS):
        lines.append(f"[id {doc.id}] {doc.label} needs fixing: {doc.reason}")
    for row in ledger.db.execute("SELECT at, kind, message FROM alerts ORDER BY id DESC LIMIT ?", [MAX_PROBLEMS]):
        lines.append(f"{row[0][:19]} {row[1]}: {row[2]}")
    return lines
