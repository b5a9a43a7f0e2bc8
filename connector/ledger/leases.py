"""Per-device leases: one worker at a time sends for a device, across threads and processes.

A lease expires after its TTL; a lease held by a process that no longer exists on this machine
(killed, crashed) is taken over at once, so a restart resumes without waiting. A lease held by a
process on ANOTHER host (a PostgreSQL ledger shared by several hosts) is taken over only when it
expires: from here nobody can tell a dead host from a slow one.

Atomic on both backends: the lease row is created if missing, then read and changed in one
transaction with the row locked (SQLite: BEGIN IMMEDIATE; PostgreSQL: SELECT … FOR UPDATE), so two
hosts that both see an expired lease cannot both take it.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from typing import Any

import psutil

from connector.db import immediate_transaction

# Which host a lease owner runs on. Hosts sharing a PostgreSQL ledger must have different names: a lease of
# this host whose process is gone is taken over at once, so give ETIMS_HOST_ID when two could be alike.
HOST = (os.environ.get("ETIMS_HOST_ID") or socket.gethostname()).replace(":", "-")
_PROCESS_TOKEN = uuid.uuid4().hex[:8]


def owner_id() -> str:
    """host:pid:token:thread — unique per worker thread."""
    return f"{HOST}:{os.getpid()}:{_PROCESS_TOKEN}:{threading.get_ident()}"


def owner_is_dead(owner: str) -> bool:
    """Whether the owner id names a process of this host that no longer runs."""
    host, pid, token, _thread = owner.split(":", 3)
    if host != HOST:
        return False
    if int(pid) == os.getpid():
        return token != _PROCESS_TOKEN  # same pid, older process image: dead
    return not psutil.pid_exists(int(pid))


def acquire(db: Any, device_key: str, ttl: float) -> str | None:
    """Take (or renew) the device's lease; returns the owner id, or None if someone else holds it."""
    me = owner_id()
    with immediate_transaction(db) as conn:
        conn.execute(
            "INSERT INTO leases (device_key, owner, expires_at) VALUES (?, '', 0) ON CONFLICT(device_key) DO NOTHING",
            [device_key],
        )
        query = conn.locking("SELECT owner, expires_at FROM leases WHERE device_key = ?")
        owner, expires_at = conn.execute(query, [device_key]).fetchone()
        now = time.time()  # read after the row lock: a wait for another host's transaction counts
        if owner and owner != me and expires_at > now and not owner_is_dead(owner):
            return None
        conn.execute("UPDATE leases SET owner = ?, expires_at = ? WHERE device_key = ?", [me, now + ttl, device_key])
    return me


def release(db: Any, device_key: str) -> None:
    with immediate_transaction(db) as conn:
        # The row stays (free: no owner): a row deleted under a waiting acquire would vanish from its SELECT
        conn.execute("UPDATE leases SET owner = '', expires_at = 0 WHERE device_key = ? AND owner = ?",
                     [device_key, owner_id()])  # fmt: skip


class Renewal:
    """Renews a held lease, at most once per third of its TTL (a write transaction each time)."""

    def __init__(self, db: Any, device_key: str, ttl: float) -> None:
        self.db, self.device_key, self.ttl = db, device_key, ttl
        self.renewed_at = time.monotonic()

    def __call__(self) -> bool:
        if time.monotonic() - self.renewed_at < self.ttl / 3:
            return True
        self.renewed_at = time.monotonic()
        return acquire(self.db, self.device_key, self.ttl) is not None
