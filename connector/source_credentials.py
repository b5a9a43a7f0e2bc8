"""Secrets of one source (ERP passwords, API keys, OAuth tokens), encrypted at rest in the ledger database.

Values are Fernet-encrypted with the same key as the CMC keys (`connector/encryption.py`); nothing here
logs or repr()s a value. `exclusive(name)` gives one holder at a time across threads and processes on one
data dir (an OAuth refresh must not run twice: the second would use a rotated, dead refresh token).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from connector.clock import now_utc
from connector.encryption import SecretBox
from connector.errors import ConfigurationError

_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()

SCHEMA = """
CREATE TABLE IF NOT EXISTS source_secrets (
    source TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (source, name)
)
"""


def _any_secret_stored(db: Any) -> bool:
    """Only when nothing is encrypted yet (no source secret, no CMC key) may a new key file be created."""
    if db.execute("SELECT 1 FROM source_secrets LIMIT 1").fetchone():
        return True
    from connector.devices import ensure_table

    if db.dialect == "sqlite":
        ensure_table(db)  # (PostgreSQL: part of the ledger's schema)
    return db.execute("SELECT 1 FROM devices WHERE cmc_key IS NOT NULL LIMIT 1").fetchone() is not None


def _thread_lock(key: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


class SourceSecrets:
    """One source's secrets. `db` is a callable giving this thread's ledger database (connector.db)."""

    def __init__(self, source: str, db: Callable[[], Any] | None, box: SecretBox | None) -> None:
        self.source = source
        self._db = db
        self._box = box
        self._memory: dict[str, str] | None = None if db is not None else {}
        self._ready: set[int] = set()

    def __repr__(self) -> str:
        return f"SourceSecrets(source={self.source!r})"

    @classmethod
    def in_memory(cls, source: str, values: dict[str, str] | None = None) -> SourceSecrets:
        """Kept in this process only (tests, harnesses)."""
        secrets = cls(source, None, None)
        secrets._memory = dict(values or {})
        return secrets

    @classmethod
    def for_context(cls, context: Any, source: str) -> SourceSecrets:
        return cls(source, lambda: context.ledger.db, context.box)

    def _conn(self) -> Any:
        assert self._db is not None
        db = self._db()
        if id(db) not in self._ready:
            if db.dialect == "sqlite":  # PostgreSQL: part of the ledger's schema (created once, under a lock)
                db.execute(SCHEMA)
            self._ready.add(id(db))
        return db

    def names(self) -> list[str]:
        if self._memory is not None:
            return sorted(self._memory)
        rows = self._conn().execute("SELECT name FROM source_secrets WHERE source = ? ORDER BY name", [self.source])
        return [row[0] for row in rows]

    def get(self, name: str) -> str | None:
        if self._memory is not None:
            return self._memory.get(name)
        row = (
            self._conn()
            .execute("SELECT value FROM source_secrets WHERE source = ? AND name = ?", [self.source, name])
            .fetchone()
        )
        if row is None:
            return None
        assert self._box is not None
        return self._box.decrypt(row[0], what=f"secret {name!r} of source {self.source!r}")

    def set(self, name: str, value: str) -> None:
        """Store (or replace) one secret in a single transaction."""
        self.set_many({name: value})

    def set_many(self, values: dict[str, str]) -> None:
        """Store several secrets atomically (e.g. a rotated refresh token with its access token)."""
        if self._memory is not None:
            self._memory.update(values)
            return
        assert self._box is not None
        conn = self._conn()
        first = not _any_secret_stored(conn)
        at = now_utc().isoformat()
        rows = [[self.source, n, self._box.encrypt(v, first_secret=first), at] for n, v in values.items()]
        with conn.transaction():
            conn.executemany(
                "INSERT INTO source_secrets (source, name, value, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(source, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                rows,
            )

    def delete(self, name: str) -> None:
        if self._memory is not None:
            self._memory.pop(name, None)
            return
        self._conn().execute("DELETE FROM source_secrets WHERE source = ? AND name = ?", [self.source, name])

    def require(self, name: str, env: str | None = None, environ: dict[str, str] | None = None) -> str:
        """The environment variable `env` when set, else the stored secret; a named error otherwise."""
        import os

        environ = os.environ if environ is None else environ  # type: ignore[assignment]
        if env and environ.get(env):
            return environ[env]
        value = self.get(name)
        if value:
            return value
        where = f"set ${env} or run" if env else "run"
        raise ConfigurationError(
            f"source {self.source!r} needs its {name}: {where} `etims-connector source set-secret {self.source} {name}`"
        )

    @contextmanager
    def exclusive(self, name: str, ttl: float = 60.0, wait: float | None = None) -> Iterator[None]:
        """One holder at a time for `name`, across threads and processes sharing this data dir."""
        key = f"secret:{self.source}:{name}"
        lock = _thread_lock(key)
        deadline = time.monotonic() + (ttl * 2 if wait is None else wait)
        if not lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise TimeoutError(f"{key} is held by another worker")
        try:
            if self._memory is not None:
                yield
                return
            from connector.ledger import leases

            db = self._db() if self._db else None
            while leases.acquire(db, key, ttl) is None:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{key} is held by another process")
                time.sleep(0.05)
            try:
                yield
            finally:
                leases.release(db, key)
        finally:
            lock.release()
