"""What the drop folder remembers, in `<folder>/connector-state.db` (SQLite, WAL).

    files       one row per claimed file: its unique stem, its state, counts
    documents   one row per document of a file: waiting / accepted / needs-fix, receipt, reason
    problems    one row per problem found while reading the file (row, column, value, message)

A KRA outcome applies to every file that holds the same document (number and kind): the same file
dropped twice gets the receipt once it is known, whichever copy the ledger points at.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connector.clock import now_utc

STATE_FILE = "connector-state.db"
WAITING, ACCEPTED, NEEDS_FIX = "waiting", "accepted", "needs-fix"
INGESTING, INGESTED, ARCHIVED, REJECTED = "ingesting", "ingested", "archived", "rejected"
ACTIVE = (INGESTING, INGESTED)  # files whose results are not written yet

SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,                 -- as dropped: sales.csv
    stem TEXT NOT NULL UNIQUE,          -- unique across drops: sales, sales~2 …
    suffix TEXT NOT NULL,
    state TEXT NOT NULL,
    rows INTEGER NOT NULL DEFAULT 0,
    reingest INTEGER NOT NULL DEFAULT 0,
    claimed_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE TABLE IF NOT EXISTS documents (
    file_id INTEGER NOT NULL REFERENCES files(id),
    seq INTEGER NOT NULL,
    number TEXT NOT NULL,
    kind TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    first_row INTEGER NOT NULL,
    state TEXT NOT NULL,
    parse_problems INTEGER NOT NULL DEFAULT 0,
    receipt TEXT,
    reason TEXT,
    note TEXT,
    PRIMARY KEY (file_id, seq)
);
CREATE INDEX IF NOT EXISTS documents_key ON documents (number, kind, state);
CREATE INDEX IF NOT EXISTS documents_file_state ON documents (file_id, state);
CREATE TABLE IF NOT EXISTS problems (
    file_id INTEGER NOT NULL REFERENCES files(id),
    row INTEGER,
    document TEXT,
    column_name TEXT,
    value TEXT,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS problems_file ON problems (file_id);
"""


@dataclass(frozen=True)
class FileRecord:
    id: int
    name: str
    stem: str
    suffix: str
    state: str
    rows: int
    reingest: int

    @property
    def claimed_name(self) -> str:
        return self.stem + self.suffix


@dataclass(frozen=True)
class DocumentRecord:
    file_id: int
    seq: int
    number: str
    kind: str
    content_hash: str
    first_row: int
    state: str = WAITING
    parse_problems: int = 0
    receipt: str | None = None
    reason: str | None = None
    note: str | None = None


class FolderState:
    """Thread-safe: one connection, one re-entrant lock (also taken by callers for compound steps)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / STATE_FILE
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    def _all(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self.lock:
            return self.conn.execute(sql, list(params)).fetchall()

    def _run(self, sql: str, params: Iterable[Any] = ()) -> int:
        with self.lock:
            return self.conn.execute(sql, list(params)).rowcount

    # ------------------------------------------------------------ files

    def add_file(self, name: str, stem: str, suffix: str) -> int:
        with self.lock:
            cursor = self.conn.execute(
                "INSERT INTO files (name, stem, suffix, state, claimed_at) VALUES (?, ?, ?, ?, ?)",
                [name, stem, suffix, INGESTING, now_utc().isoformat()],
            )
            return int(cursor.lastrowid or 0)

    def stem_taken(self, stem: str) -> bool:
        return bool(self._all("SELECT 1 FROM files WHERE stem = ?", [stem]))

    def file(self, file_id: int) -> FileRecord:
        rows = self._all(f"SELECT {_FILE_COLUMNS} FROM files WHERE id = ?", [file_id])
        return FileRecord(*rows[0])

    def files_to_read(self) -> list[FileRecord]:
        query = f"SELECT {_FILE_COLUMNS} FROM files WHERE state = ? OR (state = ? AND reingest = 1) ORDER BY id"
        return [FileRecord(*row) for row in self._all(query, [INGESTING, INGESTED])]

    def active_files(self) -> list[FileRecord]:
        query = f"SELECT {_FILE_COLUMNS} FROM files WHERE state IN (?, ?) ORDER BY id"
        return [FileRecord(*row) for row in self._all(query, ACTIVE)]

    def finished_files_named(self, name: str) -> list[FileRecord]:
        """Archived drops of a file name (as dropped), oldest first."""
        query = f"SELECT {_FILE_COLUMNS} FROM files WHERE name = ? AND state = ? ORDER BY id"
        return [FileRecord(*row) for row in self._all(query, [name, ARCHIVED])]

    def holds_every_document(self, later_id: int, earlier_id: int) -> bool:
        """Does the later file hold every document (number and type) of the earlier one (which has some)?"""
        query = (
            "SELECT COUNT(*), SUM(NOT EXISTS (SELECT 1 FROM documents l WHERE l.file_id = ? AND l.number = e.number"
            " AND l.kind = e.kind)) FROM documents e WHERE e.file_id = ?"
        )
        count, missing = self._all(query, [later_id, earlier_id])[0]
        return bool(count) and not missing

    def start_reading(self, file_id: int) -> None:
        with self.lock:
            self.conn.execute("DELETE FROM problems WHERE file_id = ?", [file_id])
            self.conn.execute("UPDATE files SET state = ?, reingest = 0 WHERE id = ?", [INGESTING, file_id])

    def set_file_state(self, file_id: int, state: str, rows: int | None = None) -> None:
        finished = now_utc().isoformat() if state in (ARCHIVED, REJECTED) else None
        self._run(
            "UPDATE files SET state = ?, rows = COALESCE(?, rows), finished_at = ? WHERE id = ?",
            [state, rows, finished, file_id],
        )

    # ------------------------------------------------------------ documents and problems

    def save_document(self, doc: DocumentRecord) -> None:
        """Insert; a document read again (after a restart) keeps what it has learnt since."""
        self._run(
            "INSERT INTO documents (file_id, seq, number, kind, content_hash, first_row, state, parse_problems,"
            " receipt, reason, note) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (file_id, seq) DO NOTHING",
            [doc.file_id, doc.seq, doc.number, doc.kind, doc.content_hash, doc.first_row, doc.state,
             doc.parse_problems, doc.receipt, doc.reason, doc.note],
        )  # fmt: skip

    def add_problems(self, file_id: int, problems: Iterable[Any]) -> None:
        rows = [(file_id, p.row, p.document, p.column, p.value, p.message) for p in problems]
        with self.lock:
            self.conn.executemany("INSERT INTO problems VALUES (?, ?, ?, ?, ?, ?)", rows)

    def accepted_elsewhere(self, number: str, kind: str) -> tuple[str, str, str] | None:
        """(receipt JSON, content hash, file name) of a signed copy of this document, if any."""
        rows = self._all(
            "SELECT d.receipt, d.content_hash, f.name FROM documents d JOIN files f ON f.id = d.file_id"
            " WHERE d.number = ? AND d.kind = ? AND d.state = ? LIMIT 1",
            [number, kind, ACCEPTED],
        )
        return rows[0] if rows else None

    def receipt_in_file(self, claimed_name: str, number: str, kind: str) -> str | None:
        """The receipt JSON this file's copy of the document holds, if any."""
        rows = self._all(
            "SELECT d.receipt FROM documents d JOIN files f ON f.id = d.file_id"
            " WHERE f.stem || f.suffix = ? AND d.number = ? AND d.kind = ?",
            [claimed_name, number, kind],
        )
        return rows[0][0] if rows else None

    def waiting_count(self, file_id: int) -> int:
        return int(
            self._all("SELECT COUNT(*) FROM documents WHERE file_id = ? AND state = ?", [file_id, WAITING])[0][0]
        )

    def counts(self, file_id: int) -> dict[str, int]:
        rows = self._all("SELECT state, COUNT(*) FROM documents WHERE file_id = ? GROUP BY state", [file_id])
        return {state: int(count) for state, count in rows}

    def problem_count(self, file_id: int) -> int:
        return int(self._all("SELECT COUNT(*) FROM problems WHERE file_id = ?", [file_id])[0][0])

    def documents_of(self, file_id: int) -> Iterator[tuple[Any, ...]]:
        query = (
            "SELECT number, kind, state, receipt, reason, note, first_row FROM documents"
            " WHERE file_id = ? ORDER BY first_row, seq"
        )
        with self.lock:
            rows = self.conn.execute(query, [file_id])
            yield from rows

    def errors_of(self, file_id: int) -> Iterator[tuple[Any, ...]]:
        """Problems found in the rows, and documents KRA or the connector refused later."""
        query = (
            "SELECT row, document, column_name, value, message FROM problems WHERE file_id = ?"
            " UNION ALL SELECT first_row, number, '', '', reason FROM documents"
            " WHERE file_id = ? AND state = ? AND parse_problems = 0 ORDER BY 1"
        )
        with self.lock:
            yield from self.conn.execute(query, [file_id, file_id, NEEDS_FIX])

    # ------------------------------------------------------------ outcomes

    def record_receipt(self, number: str, kind: str, content_hash: str, receipt: str, note: str) -> set[int]:
        """Accept every copy of the document in files not yet finished; returns the files touched.

        Copies with other content were not sent (KRA already signed this version): they get the
        receipt with `note`.
        """
        key = [number, kind]
        with self.lock:
            files = self._active_file_ids(key, f"state IN ('{WAITING}', '{ACCEPTED}')")
            self.conn.execute(
                f"UPDATE documents SET state = ?, receipt = ?, reason = NULL, note = CASE WHEN content_hash = ?"
                f" THEN NULL ELSE ? END WHERE number = ? AND kind = ? AND state IN ('{WAITING}', '{ACCEPTED}')"
                f" AND file_id IN ({_ACTIVE_FILES})",
                [ACCEPTED, receipt, content_hash, note, *key, *ACTIVE],
            )
        return files

    def record_problem(self, number: str, kind: str, content_hash: str, message: str) -> set[int]:
        """Needs-fix for waiting copies with this content; files with other waiting copies are read again."""
        key = [number, kind]
        with self.lock:
            files = self._active_file_ids(key, f"state = '{WAITING}'")
            self.conn.execute(
                f"UPDATE documents SET state = ?, reason = ? WHERE number = ? AND kind = ? AND content_hash = ?"
                f" AND state = ? AND file_id IN ({_ACTIVE_FILES})",
                [NEEDS_FIX, message, *key, content_hash, WAITING, *ACTIVE],
            )
            self.conn.execute(
                "UPDATE files SET reingest = 1 WHERE state = ? AND id IN (SELECT file_id FROM documents"
                " WHERE number = ? AND kind = ? AND content_hash != ? AND state = ?)",
                [INGESTED, *key, content_hash, WAITING],
            )
        return files

    def _active_file_ids(self, key: list[str], condition: str) -> set[int]:
        query = f"SELECT DISTINCT file_id FROM documents WHERE number = ? AND kind = ? AND {condition}"
        query += f" AND file_id IN ({_ACTIVE_FILES})"
        return {row[0] for row in self.conn.execute(query, [*key, *ACTIVE])}


_FILE_COLUMNS = "id, name, stem, suffix, state, rows, reingest"
_ACTIVE_FILES = "SELECT id FROM files WHERE state IN (?, ?)"
