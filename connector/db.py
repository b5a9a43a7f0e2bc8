"""Opening the ledger database: one SQLite file, WAL mode, one connection per thread.

The data dir holds buyer data and KRA exchanges: it is created 0700 and the database files 0600
(SQLite gives its -wal and -shm files the mode of the database file). A data dir that cannot be
created or written is one clear `ConfigurationError` naming the path, never an sqlite traceback.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from connector.errors import ConfigurationError

PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600


def private_dir(folder: Path) -> Path:
    """The folder, created 0700 (with its parents) when missing; it must be writable."""
    folder = Path(folder)
    try:
        folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"data dir {folder} cannot be created: {exc.strerror or exc}") from None
    if not folder.is_dir():
        raise ConfigurationError(f"data dir {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigurationError(f"data dir {folder} is not writable by this user: check its owner and mode")
    return folder


def private_file(path: Path) -> Path:
    """Create the file 0600 if it does not exist yet (before SQLite or huey opens it)."""
    path = Path(path)
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, PRIVATE_FILE))
    except OSError as exc:
        raise ConfigurationError(f"{path} cannot be opened for writing: {exc.strerror or exc}") from None
    return path


def open_database(path: Path) -> sqlite_utils.Database:
    """Open (creating folders as needed) with WAL, a busy timeout and foreign keys."""
    path = private_file(Path(path))
    try:
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=30000")  # before WAL: the switch waits for other processes too
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
    except sqlite3.DatabaseError as exc:
        raise ConfigurationError(f"the ledger {path} cannot be opened: {exc}") from None
    return sqlite_utils.Database(conn)


def database_file(db: sqlite_utils.Database) -> Path | None:
    """The file behind a connection (None in memory)."""
    for _seq, name, file in db.conn.execute("PRAGMA database_list").fetchall():
        if name == "main" and file:
            return Path(file)
    return None


@contextlib.contextmanager
def file_lock(path: Path | None) -> Iterator[None]:
    """An exclusive advisory lock (fcntl) on `path`, across processes; nothing to lock for None."""
    if path is None:
        yield
        return
    fd = os.open(path, os.O_CREAT | os.O_RDWR, PRIVATE_FILE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


class immediate_transaction:
    """`BEGIN IMMEDIATE` … `COMMIT`: takes the write lock up front, so read-modify-write is atomic."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.conn = db.conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
