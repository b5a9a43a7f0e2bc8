"""The SQLite task queue: huey's storage, without an fsync per enqueue and dequeue (synchronous=NORMAL)."""

from __future__ import annotations

from pathlib import Path

from connector.config import KraSettings, QueueSettings, Settings
from connector.queue import make_huey


def _settings(folder: Path) -> Settings:
    return Settings(data_dir=folder, kra=KraSettings(base_url="http://127.0.0.1:9/etims-api"),
                    queue=QueueSettings(name="storage-test"))  # fmt: skip


def test_the_queue_file_commits_without_fsync_per_task(tmp_path: Path) -> None:
    huey = make_huey(_settings(tmp_path))
    conn = huey.storage.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL (huey's default would be FULL, 2)


def test_a_task_survives_reopening_the_queue(tmp_path: Path) -> None:
    """Committed tasks are in the file: a new process (here: a new huey on the same file) finds them."""
    huey = make_huey(_settings(tmp_path))
    remember = huey.task(name="remember")(lambda value: value)
    remember("a")
    remember("b")
    huey.storage.close()
    again = make_huey(_settings(tmp_path))
    again.task(name="remember")(lambda value: value)
    assert again.pending_count() == 2
    first = again.dequeue()
    assert first is not None and first.args == ("a",)
