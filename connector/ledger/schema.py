"""Ledger tables. Every document, every state change, every KRA exchange, numbers, items, cursors."""

from __future__ import annotations

import threading
from typing import Any

from connector import reference
from connector.db import database_file, file_lock
from connector.devices import DEVICES_TABLE

# States of a document (see connector/ledger/__init__.py for the transitions).
PENDING = "pending"  # recorded from the source, not yet checked
QUEUED = "queued"  # valid; waiting for its turn on its device
SENDING = "sending"  # number allocated and request stored; it may be on the wire
ACCEPTED = "accepted"  # KRA signed it; receipt stored
WRITTEN_BACK = "written-back"  # receipt written into the source document
NEEDS_FIX = "needs-fix"  # rejected (by our checks or by KRA); reason stored
RETRY_WAIT = "retry-wait"  # KRA unavailable; waiting for the next attempt, keeping order
UNKNOWN = "unknown"  # sent, no answer; resolved by read-back before anything else is sent
DISCARDED = "discarded"  # closed by a person: must never be sent (kept, with the reason)

STATES = (PENDING, QUEUED, SENDING, ACCEPTED, WRITTEN_BACK, NEEDS_FIX, RETRY_WAIT, UNKNOWN, DISCARDED)
DISCARDABLE = (PENDING, QUEUED, RETRY_WAIT, NEEDS_FIX)  # and only while it holds no invoice number
SIGNED = (ACCEPTED, WRITTEN_BACK)
IN_FLIGHT = (SENDING, UNKNOWN)  # must be resolved before the device sends anything else
WAITING = (QUEUED, RETRY_WAIT)

TRANSITIONS: dict[str, set[str]] = {
    PENDING: {QUEUED, NEEDS_FIX, PENDING, DISCARDED},
    QUEUED: {SENDING, NEEDS_FIX, RETRY_WAIT, QUEUED, DISCARDED},
    RETRY_WAIT: {SENDING, NEEDS_FIX, RETRY_WAIT, QUEUED, DISCARDED},
    SENDING: {ACCEPTED, NEEDS_FIX, RETRY_WAIT, UNKNOWN, SENDING},
    UNKNOWN: {ACCEPTED, SENDING, UNKNOWN, NEEDS_FIX},
    ACCEPTED: {WRITTEN_BACK},
    WRITTEN_BACK: set(),
    NEEDS_FIX: {QUEUED, PENDING, NEEDS_FIX, DISCARDED},
    DISCARDED: set(),
}


_ENSURED: set[str] = set()  # PostgreSQL ledgers whose schema this process has checked
_ENSURED_GUARD = threading.Lock()


def ensure(db: Any) -> None:
    """Create what is missing. Processes starting together take turns (SQLite: a lock file beside the database;
    PostgreSQL: an advisory lock), so none of them meets a half-created table."""
    if db.dialect == "postgresql":
        with _ENSURED_GUARD:
            if db.url in _ENSURED:
                return
            if _complete(db):  # nothing to create: no DDL, so no table lock to deadlock with a running host
                _ENSURED.add(db.url)
                return
            with db.transaction():
                db.lock("etims-connector schema")
                _create(db)
            _ENSURED.add(db.url)
        return
    path = database_file(db)
    with file_lock(path.with_name(path.name + ".schema-lock") if path else None):
        _create(db)


def _complete(db: Any) -> bool:
    """Whether a PostgreSQL ledger already has every table, index and added column. Even `CREATE INDEX IF NOT
    EXISTS` of an index that exists takes a share lock on its table until commit (and `ALTER TABLE … ADD COLUMN
    IF NOT EXISTS` an exclusive one), which deadlocks with a host writing documents and exchanges meanwhile."""
    import re

    from connector.stock.schema import NUMBER_INDEX

    script = script_for("postgresql") + NUMBER_INDEX
    tables = set(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", script))
    indexes = set(re.findall(r"CREATE (?:UNIQUE )?INDEX IF NOT EXISTS (\w+)", script))
    found_tables = {r[0] for r in db.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").fetchall()}  # fmt: skip
    found_indexes = {r[0] for r in db.execute(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()").fetchall()}  # fmt: skip
    columns = {tuple(r) for r in db.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND table_name IN ('documents', 'item_sequences')").fetchall()}  # fmt: skip
    added = {("documents", "stock_number"), ("item_sequences", "claimed_by"), ("item_sequences", "claim_expires")}
    return tables <= found_tables and indexes <= found_indexes and added <= columns


def _create(db: Any) -> None:
    from connector.ledger.items import ensure_columns as ensure_item_columns
    from connector.stock.schema import ensure_columns

    db.executescript(script_for(db.dialect))
    ensure_columns(db)  # documents.stock_number (sarNo), also in a ledger created before stock
    ensure_item_columns(db)  # item_sequences' registration claim, also in a ledger created before it


def script_for(dialect: str) -> str:
    """Every ledger table, in the dialect's DDL (written once, in SQLite's, and translated for PostgreSQL)."""
    from connector.purchases.schema import TABLES as PURCHASE_TABLES
    from connector.source_credentials import SCHEMA as SOURCE_SECRETS
    from connector.stock.schema import TABLES as STOCK_TABLES

    parts = [DEVICES_TABLE, reference.TABLES_DDL, LEDGER_TABLES, SOURCE_SECRETS, PURCHASE_TABLES, STOCK_TABLES]
    script = ";\n".join(parts)
    if dialect == "postgresql":
        from connector.db_postgres import ddl

        return ddl(script)
    return script


LEDGER_TABLES = """
        CREATE TABLE IF NOT EXISTS documents (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            source TEXT NOT NULL,
            external_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            number TEXT,
            device_key TEXT NOT NULL,
            state TEXT NOT NULL,
            canonical TEXT,
            content_hash TEXT,
            source_ref TEXT,
            invoice_number INTEGER,
            request TEXT,
            receipt TEXT,
            reason TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL,
            confirmed_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            signed_at TEXT,
            write_back_error TEXT,
            write_back_attempts INTEGER NOT NULL DEFAULT 0,
            alerted_at TEXT,
            UNIQUE (source, external_id, kind)
        );
        CREATE INDEX IF NOT EXISTS documents_device_state ON documents (device_key, state, id);
        CREATE INDEX IF NOT EXISTS documents_numbered_waiting ON documents (device_key, id)
            WHERE invoice_number IS NOT NULL AND state IN ('queued', 'retry-wait');
        CREATE UNIQUE INDEX IF NOT EXISTS documents_device_number
            ON documents (device_key, invoice_number) WHERE invoice_number IS NOT NULL;
        CREATE TABLE IF NOT EXISTS events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            document_id INTEGER NOT NULL REFERENCES documents(id),
            at TEXT NOT NULL,
            from_state TEXT,
            to_state TEXT,
            detail TEXT
        );
        CREATE INDEX IF NOT EXISTS events_document ON events (document_id);
        CREATE TABLE IF NOT EXISTS exchanges (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            document_id INTEGER REFERENCES documents(id),
            device_key TEXT,
            at TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            outcome TEXT NOT NULL,
            code TEXT,
            message TEXT,
            http_status INTEGER,
            elapsed_seconds REAL,
            request TEXT,
            response TEXT
        );
        CREATE INDEX IF NOT EXISTS exchanges_document ON exchanges (document_id);
        CREATE TABLE IF NOT EXISTS sequences (
            device_key TEXT PRIMARY KEY,
            next_invoice_number INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS item_sequences (
            pin TEXT PRIMARY KEY,
            next_sequence INTEGER NOT NULL,
            claimed_by TEXT,
            claim_expires REAL
        );
        CREATE TABLE IF NOT EXISTS items (
            pin TEXT NOT NULL,
            source_code TEXT NOT NULL,
            item_code TEXT NOT NULL,
            state TEXT NOT NULL,
            registered_at TEXT,
            PRIMARY KEY (pin, source_code)
        );
        CREATE TABLE IF NOT EXISTS cursors (
            name TEXT PRIMARY KEY,
            value TEXT,
            updated_at TEXT
        );
        CREATE TABLE IF NOT EXISTS leases (
            device_key TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            expires_at REAL NOT NULL
        );
        CREATE TABLE IF NOT EXISTS alerts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,
            device_key TEXT,
            document_id INTEGER,
            message TEXT NOT NULL
        );
        -- for the periodic scans (sweep, monitor, status): documents by state, exchanges by device
        CREATE INDEX IF NOT EXISTS documents_state ON documents (state, device_key);
        -- a device's waiting stock documents (head_of_device): without it, every queued sale is read to find none
        CREATE INDEX IF NOT EXISTS documents_device_kind_state ON documents (device_key, kind, state);
        CREATE INDEX IF NOT EXISTS exchanges_device_outcome ON exchanges (device_key, outcome, at)
        """
