"""The in-process writer lock in front of SQLite's BEGIN IMMEDIATE (connector/db.py)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from connector.db import immediate_transaction, open_database, writer_lock


def _counter_db(path: Path):
    db = open_database(path)
    db.conn.execute("CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
    db.conn.execute("INSERT OR IGNORE INTO counter (id, value) VALUES (1, 0)")
    return db


def test_connections_to_one_file_share_one_lock(tmp_path: Path) -> None:
    first, second = open_database(tmp_path / "a.db"), open_database(tmp_path / "a.db")
    other = open_database(tmp_path / "b.db")
    assert first.writer is not None and first.writer is second.writer
    assert other.writer is not first.writer
    assert writer_lock(tmp_path / "a.db") is first.writer


def test_read_modify_write_under_threads_loses_nothing(tmp_path: Path) -> None:
    """16 threads, each its own connection, 50 read-sleep-write increments each: every one counted."""
    path = tmp_path / "ledger.db"
    _counter_db(path).conn.close()
    errors: list[BaseException] = []

    def work() -> None:
        db = open_database(path)
        try:
            for _ in range(50):
                with immediate_transaction(db) as conn:
                    value = conn.execute("SELECT value FROM counter WHERE id = 1").fetchone()[0]
                    threading.Event().wait(0.0001)  # let another thread run between read and write
                    conn.execute("UPDATE counter SET value = ? WHERE id = 1", [value + 1])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            db.conn.close()

    threads = [threading.Thread(target=work) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert open_database(path).conn.execute("SELECT value FROM counter").fetchone()[0] == 16 * 50


def test_the_lock_is_held_exactly_for_the_transaction(tmp_path: Path) -> None:
    db = _counter_db(tmp_path / "ledger.db")
    seen: list[bool] = []

    def try_lock() -> None:  # from another thread: an RLock held by this one cannot be taken there
        taken = db.writer.acquire(blocking=False)
        seen.append(taken)
        if taken:
            db.writer.release()

    with immediate_transaction(db):
        probe = threading.Thread(target=try_lock)
        probe.start()
        probe.join()
    probe = threading.Thread(target=try_lock)
    probe.start()
    probe.join()
    assert seen == [False, True]


def test_a_failed_transaction_rolls_back_and_releases_the_lock(tmp_path: Path) -> None:
    db = _counter_db(tmp_path / "ledger.db")
    with pytest.raises(ValueError), immediate_transaction(db) as conn:
        conn.execute("UPDATE counter SET value = 99 WHERE id = 1")
        raise ValueError("boom")
    assert db.conn.execute("SELECT value FROM counter").fetchone()[0] == 0
    assert not db.conn.in_transaction
    released: list[bool] = []

    def try_lock() -> None:
        taken = db.writer.acquire(blocking=False)
        released.append(taken)
        if taken:
            db.writer.release()

    probe = threading.Thread(target=try_lock)
    probe.start()
    probe.join()
    assert released == [True]


def test_a_begin_that_fails_releases_the_lock(tmp_path: Path) -> None:
    """A connection already inside a transaction cannot BEGIN again: the error surfaces, the lock is free."""
    db = _counter_db(tmp_path / "ledger.db")
    db.conn.execute("BEGIN")
    with pytest.raises(sqlite3.OperationalError), immediate_transaction(db):
        pass  # pragma: no cover
    db.conn.execute("ROLLBACK")
    with immediate_transaction(db) as conn:  # usable again, from this and from another thread
        conn.execute("UPDATE counter SET value = 1 WHERE id = 1")
    done: list[int] = []

    def other_thread() -> None:
        with immediate_transaction(db) as conn:
            conn.execute("UPDATE counter SET value = value + 1 WHERE id = 1")
            done.append(1)

    probe = threading.Thread(target=other_thread)
    probe.start()
    probe.join(timeout=10)
    assert done == [1]
    assert db.conn.execute("SELECT value FROM counter").fetchone()[0] == 2


def test_a_writer_outside_the_lock_is_still_waited_for(tmp_path: Path) -> None:
    """Another process's writer (here: a plain sqlite3 connection, which knows nothing of the lock) holds
    the database; our transaction waits on SQLite's busy timeout and goes on once it commits."""
    path = tmp_path / "ledger.db"
    db = _counter_db(path)
    outsider = sqlite3.connect(str(path), isolation_level=None)
    outsider.execute("BEGIN IMMEDIATE")
    outsider.execute("UPDATE counter SET value = 10 WHERE id = 1")
    started, finished = threading.Event(), threading.Event()

    def ours() -> None:
        started.set()
        with immediate_transaction(db) as conn:
            conn.execute("UPDATE counter SET value = value + 1 WHERE id = 1")
        finished.set()

    worker = threading.Thread(target=ours)
    worker.start()
    started.wait()
    assert not finished.wait(0.3)  # blocked by the outsider's write lock
    outsider.execute("COMMIT")
    worker.join(timeout=10)
    assert finished.is_set()
    assert db.conn.execute("SELECT value FROM counter").fetchone()[0] == 11
