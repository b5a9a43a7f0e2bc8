"""Opening the ledger database: one SQLite file (WAL mode) by default, or PostgreSQL (`ledger_url`).

Both backends give the same small interface, so the ledger's rules have one code path:
`execute(sql, params)` (`?` placeholders on both), `query` (rows as dicts), `executescript`,
`transaction()` (SQLite: `BEGIN IMMEDIATE`, one writer at a time; PostgreSQL: `BEGIN`, with row locks),
`locking(select)` (appends `FOR UPDATE` on PostgreSQL: SQLite's write lock already covers the row) and
`lock(*parts)` (a transaction-scoped advisory lock on PostgreSQL; nothing on SQLite, for the same reason).
One connection per thread.

Writers in one process take turns on a lock of their own (`writer_lock`, one per database file) before
`BEGIN IMMEDIATE`: a thread waiting for it wakes the moment the lock is released, where SQLite's busy handler
would sleep (1, 2, 5 … 100 ms) and poll. The busy timeout still covers writers in other processes.

The data dir holds buyer data and KRA exchanges: it is created 0700 and the database files 0600
(SQLite gives its -wal and -shm files the mode of the database file). A data dir that cannot be
created or written is one clear `ConfigurationError` naming the path, never an sqlite traceback.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from connector.errors import ConfigurationError

PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600
BUSY_SECONDS = 30.0  # how long a writer waits for the database (the in-process lock, then SQLite's)

_WRITER_LOCKS: dict[str, threading.RLock] = {}
_WRITER_LOCKS_GUARD = threading.Lock()


def writer_lock(path: Path | str | None) -> threading.RLock | None:
    """The lock this process's writers of one database file take before `BEGIN IMMEDIATE` (None in memory:
    each in-memory database is its own, with one connection)."""
    if not path:
        return None
    key = os.path.realpath(path)
    with _WRITER_LOCKS_GUARD:
        lock = _WRITER_LOCKS.get(key)
        if lock is None:
            lock = _WRITER_LOCKS[key] = threading.RLock()
        return lock


def _forget_writer_locks() -> None:
    """A forked child starts with no writer holding anything (the parent's threads are not in it)."""
    global _WRITER_LOCKS_GUARD
    _WRITER_LOCKS.clear()
    _WRITER_LOCKS_GUARD = threading.Lock()


os.register_at_fork(after_in_child=_forget_writer_locks)


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


class SqliteDatabase(sqlite_utils.Database):
    """sqlite-utils' Database plus the backend interface the ledger uses (see the module docstring)."""

    dialect = "sqlite"
    writer: threading.RLock | None = None  # set by open_database: see writer_lock

    def transaction(self) -> immediate_transaction:
        return immediate_transaction(self)

    def locking(self, select: str) -> str:
        return select  # BEGIN IMMEDIATE holds the database's write lock: every row read is already ours

    def lock(self, *parts: object) -> None:
        """Nothing to do: the transaction already excludes every other writer."""

    def executemany(self, sql: str, rows: list[list[object]]) -> None:
        self.conn.executemany(sql, rows)

    def describe(self) -> str:
        path = database_file(self)
        return str(path) if path else "an in-memory SQLite database"


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and str(url).split(":", 1)[0] in ("postgresql", "postgres")


def open_ledger(settings: object) -> SqliteDatabase:
    """The ledger named by the settings: `ledger_url` (PostgreSQL) when set, else `<data_dir>/ledger.db`."""
    url = getattr(settings, "ledger_target", None)
    if url:
        from connector.db_postgres import open_postgres
        from connector.ledger import schema

        db = open_postgres(url)
        schema.ensure(db)  # every table, once per process, under an advisory lock (stores then need no DDL)
        return db  # type: ignore[return-value]
    return open_database(settings.database_path)  # type: ignore[attr-defined]


def open_database(path: Path) -> SqliteDatabase:
    """Open (creating folders as needed) with WAL, a busy timeout and foreign keys."""
    path = private_file(Path(path))
    try:
        conn = sqlite3.connect(str(path), timeout=BUSY_SECONDS, isolation_level=None, check_same_thread=False)
        # before WAL: the switch waits for other processes too
        conn.execute(f"PRAGMA busy_timeout={int(BUSY_SECONDS * 1000)}")
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit is on disk before the call returns, so an invoice number allocated (and perhaps sent
        # to KRA) is never forgotten by a power cut; WAL's NORMAL could roll the last commits back.
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
    except sqlite3.DatabaseError as exc:
        raise ConfigurationError(f"the ledger {path} cannot be opened: {exc}") from None
    db = SqliteDatabase(conn)
    db.writer = writer_lock(path)
    return db


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


def _writer_of(db: sqlite_utils.Database) -> threading.RLock | None:
    """The database's writer lock: set when open_database made it, else looked up once by its file."""
    try:
        return db.__dict__["writer"]
    except KeyError:
        lock = db.__dict__["writer"] = writer_lock(database_file(db))
        return lock


class immediate_transaction:
    """`BEGIN IMMEDIATE` … `COMMIT`: takes the write lock up front, so read-modify-write is atomic. In this
    process, the database's writer lock first (see writer_lock); a wait past BUSY_SECONDS is SQLite's own
    "database is locked", which callers already treat as the ledger's problem, not the document's."""

    def __init__(self, db: sqlite_utils.Database, durable: bool = True) -> None:
        """`durable=False`: this commit may be lost to a power cut (not to a killed process) until the next
        durable one — only for a change the ledger can find again (an answer KRA can be asked for again)."""
        self.db = db
        self.conn = db.conn
        self.durable = durable

    def __enter__(self) -> sqlite_utils.Database:
        if getattr(self.db, "dialect", "sqlite") != "sqlite":  # a PostgreSQL ledger: its own transaction
            self._other = self.db.transaction()  # type: ignore[attr-defined]
            return self._other.__enter__()
        self._other = None
        self._lock = _writer_of(self.db)
        if self._lock is not None and not self._lock.acquire(timeout=BUSY_SECONDS):
            raise sqlite3.OperationalError("database is locked (another writer in this process held it too long)")
        try:
            if not self.durable:  # outside a transaction, under this process's writer lock
                self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release()
            raise
        return self.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if self._other is not None:
            self._other.__exit__(exc_type, exc, tb)
            return
        try:
            self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            try:
                if not self.durable:
                    self.conn.execute("PRAGMA synchronous=FULL")
            finally:
                self._release()

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
