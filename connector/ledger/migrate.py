"""Copy a SQLite ledger into an empty PostgreSQL one, then check the copy before calling it done.

Everything is copied as it is stored — documents, events, exchanges, invoice and item sequences, items,
cursors, devices with their encrypted CMC keys, alerts, source secrets (still encrypted: every host needs
the same `ETIMS_SECRET_KEY` or `secret.key`), reference tables — except leases, which belong to processes
of the old host. One transaction: a failed copy leaves the target empty. Then the counts per table and
the next and highest invcNo per device are compared between the two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.errors import ConfigurationError
from connector.ledger import schema
from connector.purchases import schema as purchase_schema
from connector.stock import schema as stock_schema

# Parents first (events and exchanges refer to documents).
TABLES = ("devices", "sync_cursors", "codes", "item_classes", "notices", "branches", "documents", "events",
          "exchanges", "sequences", "item_sequences", "items", "cursors", "alerts", "source_secrets",
          *purchase_schema.MIGRATED_TABLES, *stock_schema.MIGRATED_TABLES)  # fmt: skip
IDENTITY_TABLES = ("documents", "events", "exchanges", "alerts", *purchase_schema.IDENTITY_TABLES)  # ids copied
BATCH = 500


@dataclass
class MigrationReport:
    counts: dict[str, int] = field(default_factory=dict)  # rows per table, equal on both sides
    last_numbers: dict[str, tuple[int, int]] = field(default_factory=dict)  # device: (highest invcNo, next)
    problems: list[str] = field(default_factory=list)


def _columns(db: Any, table: str) -> list[str]:
    cursor = db.execute(f"SELECT * FROM {table} LIMIT 0")
    return [c[0] for c in cursor.description]


def _count(db: Any, table: str) -> int:
    return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def numbers(db: Any) -> dict[str, tuple[int, int]]:
    """Per device: (highest invcNo held by a document, next invcNo of the sequence)."""
    found: dict[str, list[int]] = {}
    for key, highest in db.execute(
        "SELECT device_key, MAX(invoice_number) FROM documents WHERE invoice_number IS NOT NULL GROUP BY device_key"
    ).fetchall():
        found.setdefault(key, [0, 1])[0] = int(highest)
    for key, next_number in db.execute("SELECT device_key, next_invoice_number FROM sequences").fetchall():
        found.setdefault(key, [0, 1])[1] = int(next_number)
    return {key: (pair[0], pair[1]) for key, pair in sorted(found.items())}


def migrate(source: Any, target: Any) -> MigrationReport:
    """Copy `source` (SQLite) into `target` (PostgreSQL, empty); raises ConfigurationError if it is not empty."""
    schema.ensure(source)
    schema.ensure(target)
    filled = [t for t in (*TABLES, "leases") if _count(target, t)]
    if filled:
        raise ConfigurationError(
            f"the target ledger {target.describe()} is not empty (rows in {', '.join(filled)}): "
            "migrate only into a new, empty database"
        )
    with target.transaction():
        target.lock("etims-connector schema")  # no `run` starts on it half-way through
        for table in TABLES:
            _copy(source, target, table)
        for table in IDENTITY_TABLES:
            target.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {table}"
            )
    return verify(source, target)


def _copy(source: Any, target: Any, table: str) -> None:
    columns = _columns(source, table)
    missing = sorted(set(columns) - set(_columns(target, table)))
    if missing:
        raise ConfigurationError(f"table {table}: the target has no column(s) {', '.join(missing)}")
    names = ", ".join(columns)
    insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in columns)})"
    cursor = source.conn.execute(f"SELECT {names} FROM {table} ORDER BY rowid")
    while rows := cursor.fetchmany(BATCH):
        target.executemany(insert, [list(row) for row in rows])


def verify(source: Any, target: Any) -> MigrationReport:
    """Compare counts per table and the numbers per device; the report lists every difference."""
    report = MigrationReport()
    for table in TABLES:
        here, there = _count(source, table), _count(target, table)
        report.counts[table] = there
        if here != there:
            report.problems.append(f"table {table}: {here} rows in the SQLite ledger, {there} in the target")
    report.last_numbers = numbers(target)
    expected = numbers(source)
    if expected != report.last_numbers:
        report.problems.append(f"invoice numbers per device differ: SQLite {expected}, target {report.last_numbers}")
    return report
