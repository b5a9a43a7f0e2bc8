"""Per-device leases: one worker at a time sends for a device, across threads and processes.

A lease expires after its TTL; a lease held by a process that no longer exists on this machine
(killed, crashed) is taken over at once, so a restart resumes without waiting.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid

import psutil
import sqlite_utils

from connector.db import immediate_transaction

HOST = socket.gethostname()
_PROCESS_TOKEN = uuid.uuid4().hex[:8]


def owner_id() -> str:
    """host:pid:token:thread — unique per worker thread."""
    return f"{HOST}:{os.getpid()}:{_PROCESS_TOKEN}:{threading.get_ident()}"


def _owner_is_dead(owner: str) -> bool:
    host, pid, token, _thread = owner.split(":", 3)
    if host != HOST:
        return False
    if int(pid) == os.getpid():
        return token != _PROCESS_TOKEN  # same pid, older process image: dead
    return not psutil.pid_exists(int(pid))


def acquire(db: sqlite_utils.Database, device_key: str, ttl: float) -> str | None:
    """Take (or renew) the device's lease; returns the owner id, or None if someone else holds it."""
    me = owner_id()
    now = time.time()
    with immediate_transaction(db) as conn:
        row = conn.execute("SELECT owner, expires_at FROM leases WHERE device_key = ?", [device_key]).fetchone()
        if row and row[0] != me and row[1] > now and not _owner_is_dead(row[0]):
            return None
        conn.execute(
            "INSERT INTO leases (device_key, owner, expires_at) VALUES (?, ?, ?)"
            " ON CONFLICT(device_key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at",
            [device_key, me, now + ttl],
        )
    return me


def release(db: sqlite_utils.Database, device_key: str) -> None:
    with immediate_transaction(db) as conn:
        conn.execute("DELETE FROM leases WHERE device_key = ? AND owner = ?", [device_key, owner_id()])


class Renewal:
    """Renews a held lease, at most once per third of its TTL (a write transaction each time)."""

    def __init__(self, db: sqlite_utils.Database, device_key: str, ttl: float) -> None:
        self.db, self.device_key, self.ttl = db, device_key, ttl
        self.renewed_at = time.monotonic()

    def __call__(self) -> bool:
        if time.monotonic() - self.renewed_at < self.ttl / 3:
            return True
        self.renewed_at = time.monotonic()
        return acquire(self.db, self.device_key, self.ttl) is not None
