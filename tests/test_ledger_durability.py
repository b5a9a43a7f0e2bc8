"""The SQLite ledger commits durably (synchronous=FULL in WAL): an invoice number allocated just before its request
goes to KRA must survive a power cut, not only a killed process (WAL's NORMAL may roll the last commits back)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.db import immediate_transaction, open_database


def test_the_ledger_connection_syncs_every_commit(tmp_path: Path) -> None:
    db = open_database(tmp_path / "ledger.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL (NORMAL is 1)


def test_only_a_commit_the_ledger_can_find_again_skips_the_sync_and_full_comes_back(tmp_path: Path) -> None:
    db = open_database(tmp_path / "ledger.db")
    db.execute("CREATE TABLE t (x INTEGER)")
    with immediate_transaction(db, durable=False) as conn:  # e.g. KRA's signature: read back after a power cut
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1
        conn.execute("INSERT INTO t VALUES (1)")
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2
    with pytest.raises(RuntimeError), immediate_transaction(db, durable=False):
        raise RuntimeError("rolled back")
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2
    with immediate_transaction(db) as conn:  # the default: every commit synced
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
