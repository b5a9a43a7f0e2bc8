"""What the simulated KRA server remembers: devices, counters, saved records, signature counts.

One SQLite database, in memory or in a file (then state survives a restart). Every change made while
answering one call happens inside `transaction()`: one lock, one SQLite transaction, all or nothing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connector import jsonio

_SCHEMA = """
CREATE TABLE IF NOT EXISTS devices (
    tin TEXT NOT NULL, bhf_id TEXT NOT NULL, serial TEXT NOT NULL, cmc_key TEXT NOT NULL,
    info TEXT NOT NULL, installed_at TEXT NOT NULL, PRIMARY KEY (tin, bhf_id));
CREATE TABLE IF NOT EXISTS counters (
    scope TEXT NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL, PRIMARY KEY (scope, name));
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, tin TEXT NOT NULL, bhf_id TEXT NOT NULL,
    key TEXT NOT NULL, ref TEXT, body TEXT NOT NULL, changed_at TEXT NOT NULL,
    UNIQUE (kind, tin, bhf_id, key));
CREATE INDEX IF NOT EXISTS records_by_ref ON records (kind, ref);
CREATE TABLE IF NOT EXISTS signatures (
    tin TEXT NOT NULL, bhf_id TEXT NOT NULL, invc_no INTEGER NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (tin, bhf_id, invc_no));
"""


@dataclass(frozen=True)
class Device:
    tin: str
    bhf_id: str
    serial: str
    cmc_key: str
    info: dict[str, Any]
    installed_at: str


@dataclass(frozen=True)
class Record:
    kind: str
    tin: str
    bhf_id: str
    key: str
    body: dict[str, Any]
    changed_at: str


class Store:
    def __init__(self, path: str | Path | None = None) -> None:
        target = ":memory:" if path is None else str(path)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the state lock and one SQLite transaction; roll back if the block raises."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        with self._lock:
            self._conn.execute(sql, params)

    # devices
    def device(self, tin: str, bhf_id: str) -> Device | None:
        rows = self._rows("SELECT * FROM devices WHERE tin = ? AND bhf_id = ?", (tin, bhf_id))
        return _device(rows[0]) if rows else None

    def device_by_serial(self, serial: str) -> Device | None:
        rows = self._rows("SELECT * FROM devices WHERE serial = ?", (serial,))
        return _device(rows[0]) if rows else None

    def devices(self, tin: str | None = None) -> list[Device]:
        if tin is None:
            return [_device(row) for row in self._rows("SELECT * FROM devices ORDER BY tin, bhf_id")]
        rows = self._rows("SELECT * FROM devices WHERE tin = ? ORDER BY bhf_id", (tin,))
        return [_device(row) for row in rows]

    def add_device(self, device: Device) -> None:
        self._run(
            "INSERT INTO devices VALUES (?, ?, ?, ?, ?, ?)",
            (
                device.tin,
                device.bhf_id,
                device.serial,
                device.cmc_key,
                jsonio.dumps(device.info),
                device.installed_at,
            ),
        )

    # counters (last accepted numbers)
    def counter(self, scope: str, name: str) -> int:
        rows = self._rows("SELECT value FROM counters WHERE scope = ? AND name = ?", (scope, name))
        return int(rows[0][0]) if rows else 0

    def set_counter(self, scope: str, name: str, value: int) -> None:
        self._run(
            "INSERT INTO counters VALUES (?, ?, ?) ON CONFLICT (scope, name) DO UPDATE SET value = ?",
            (scope, name, value, value),
        )

    def next_counter(self, scope: str, name: str) -> int:
        value = self.counter(scope, name) + 1
        self.set_counter(scope, name, value)
        return value

    # records: items, customers, sales, stock movements... one table, told apart by `kind`
    def put(
        self,
        kind: str,
        tin: str,
        bhf_id: str,
        key: str,
        body: dict[str, Any],
        at: str,
        ref: str | None = None,
    ) -> None:
        self._run(
            "INSERT INTO records (kind, tin, bhf_id, key, ref, body, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (kind, tin, bhf_id, key) DO UPDATE SET ref = excluded.ref, body = excluded.body,"
            " changed_at = excluded.changed_at",
            (kind, tin, bhf_id, key, ref, jsonio.dumps(body), at),
        )

    def get(self, kind: str, tin: str, bhf_id: str, key: str) -> dict[str, Any] | None:
        rows = self._rows(
            "SELECT body FROM records WHERE kind = ? AND tin = ? AND bhf_id = ? AND key = ?",
            (kind, tin, bhf_id, key),
        )
        return jsonio.loads(rows[0][0]) if rows else None

    def records(
        self,
        kind: str,
        *,
        tin: str | None = None,
        bhf_id: str | None = None,
        ref: str | None = None,
        changed_after: str | None = None,
    ) -> list[Record]:
        """Records of one kind, oldest first, optionally filtered."""
        sql = "SELECT kind, tin, bhf_id, key, body, changed_at FROM records WHERE kind = ?"
        params: list[Any] = [kind]
        for column, value in (("tin", tin), ("bhf_id", bhf_id), ("ref", ref)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        if changed_after is not None:
            sql += " AND changed_at > ?"
            params.append(changed_after)
        rows = self._rows(sql + " ORDER BY id", tuple(params))
        return [Record(row[0], row[1], row[2], row[3], jsonio.loads(row[4]), row[5]) for row in rows]

    # signatures: how many times each invoice number was signed (must never exceed 1)
    def count_signature(self, tin: str, bhf_id: str, invc_no: int) -> None:
        self._run(
            "INSERT INTO signatures VALUES (?, ?, ?, 1)"
            " ON CONFLICT (tin, bhf_id, invc_no) DO UPDATE SET count = count + 1",
            (tin, bhf_id, invc_no),
        )

    def signature_counts(self) -> dict[str, dict[int, int]]:
        counts: dict[str, dict[int, int]] = {}
        for tin, bhf_id, invc_no, count in self._rows(
            "SELECT tin, bhf_id, invc_no, count FROM signatures ORDER BY tin, bhf_id, invc_no"
        ):
            counts.setdefault(f"{tin}/{bhf_id}", {})[int(invc_no)] = int(count)
        return counts

    def reset(self) -> None:
        with self.transaction():
            for table in ("devices", "counters", "records", "signatures"):
                self._run(f"DELETE FROM {table}")


def _device(row: tuple[Any, ...]) -> Device:
    return Device(row[0], row[1], row[2], row[3], jsonio.loads(row[4]), row[5])
