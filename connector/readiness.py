"""Why the connector is not ready to sign right now (for `/readyz`): devices, KRA, sources."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from connector.clock import now_utc

RECENT = timedelta(minutes=15)
UNREACHABLE = ("retry-later", "unknown")


def reasons(context: Any, source_health: dict[str, str | None]) -> list[str]:
    found = []
    db = context.ledger.db
    since = (now_utc() - RECENT).isoformat()
    for device in context.settings.devices:
        row = context.devices.row(device)
        if not row or not row.get("cmc_key"):
            found.append(f"device {device.name} ({device.key}) is not initialised: run `etims-connector device init`")
            continue
        last = db.execute(
            "SELECT outcome, http_status, message FROM exchanges WHERE device_key = ? AND at >= ? ORDER BY id DESC"
            " LIMIT 1",
            [device.key, since],
        ).fetchone()
        if last and last[0] in UNREACHABLE and last[1] is None:
            found.append(f"device {device.name}: KRA did not answer its last call: {last[2]}")
    if not context.settings.devices:
        found.append("no device configured")
    found += [f"source {name}: {problem}" for name, problem in sorted(source_health.items()) if problem]
    return found
