"""The SQLite ledger commits durably (synchronous=FULL in WAL): an invoice number allocated just before its request
goes to KRA must survive a power cut, not only a killed process (WAL's NORMAL may roll the last commits back)."""

from __future__ import annotations

from pathlib import Path

from connector.db import open_database


def test_the_ledger_connection_syncs_every_commit(tmp_path: Path) -> None:
    db = open_database(tmp_path / "ledger.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL (NORMAL is 1)
