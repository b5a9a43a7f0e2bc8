"""The ledger: documents with a state machine, append-only events, exchanges, per-device numbers.

Idempotent recording: (source, external id, kind) is unique; recording the same content again does
nothing; a corrected document that needed fixing goes back in the queue; a signed one never changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from connector import jsonio, metrics
from connector.clock import now_utc
from connector.db import immediate_transaction
from connector.errors import ConnectorError
from connector.ledger import schema
from connector.ledger.schema import IN_FLIGHT, NEEDS_FIX, PENDING, SIGNED, TRANSITIONS, WAITING


class LedgerError(ConnectorError):
    pass


class SequenceMoved(LedgerError):
    """The number the sender built with is no longer the device's next: another worker allocated meanwhile
    (this one lost its lease). Nothing was allocated; the document is fine and is tried again."""


class DocumentChanged(LedgerError):
    """The document moved (state, or content corrected) since the caller read it: nothing was allocated."""


@dataclass
class Document:
    id: int
    source: str
    external_id: str
    kind: str
    number: str | None
    device_key: str
    state: str
    canonical: str | None
    content_hash: str | None
    source_ref: dict[str, Any]
    invoice_number: int | None
    request: dict[str, Any] | None
    receipt: dict[str, Any] | None
    reason: str | None
    attempts: int
    next_attempt_at: float | None
    confirmed_at: str | None
    created_at: str
    updated_at: str
    signed_at: str | None
    write_back_error: str | None
    write_back_attempts: int
    stock_number: int | None = None  # sarNo of a stock document (kind "stock")

    @property
    def label(self) -> str:
        if self.kind == "stock":
            return f"{self.source}:{self.number or self.external_id} (stock)"
        return f"{self.source}:{self.number or self.external_id}"

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Document:
        values = {k: row[k] for k in cls.__dataclass_fields__}
        values["source_ref"] = json.loads(row["source_ref"]) if row["source_ref"] else {}
        values["request"] = jsonio.loads(row["request"]) if row["request"] else None
        values["receipt"] = json.loads(row["receipt"]) if row["receipt"] else None
        return cls(**values)


@dataclass(frozen=True)
class Recorded:
    document_id: int
    action: str  # "new", "unchanged", "moved", "corrected", "ignored-signed", "ignored-in-progress"


def _now() -> str:
    return now_utc().isoformat()


class Ledger:
    def __init__(self, db: Any) -> None:
        """`db`: a ledger database from connector.db (SQLite) or connector.db_postgres (PostgreSQL)."""
        self.db = db
        schema.ensure(db)

    # ------------------------------------------------------------ reading

    def get(self, document_id: int) -> Document:
        found = self._select("id = ?", [document_id])
        if not found:
            raise LedgerError(f"no document with id {document_id} in the ledger")
        return found[0]

    def lookup(self, ref: str) -> Document:
        """What a person types: a ledger id, or SOURCE:NUMBER (the newest document with that number)."""
        ref = ref.strip()
        if ref.isdigit():
            found = self.documents("id = ?", [int(ref)])
        else:
            source, sep, number = ref.partition(":")
            found = self.documents("source = ? AND number = ?", [source, number], order_by="id DESC") if sep else []
        if not found:
            raise LedgerError(f"no document {ref!r} in the ledger (use an id from `status` or SOURCE:NUMBER)")
        return found[0]

    def find(self, source: str, external_id: str, kind: str) -> Document | None:
        found = self._select("source = ? AND external_id = ? AND kind = ?", [source, external_id, kind])
        return found[0] if found else None

    def documents(
        self, where: str = "1=1", params: list[Any] | None = None, order_by: str = "id", limit: int | None = None
    ) -> list[Document]:
        return self._select(where, params or [], order_by, limit)

    def _select(self, where: str, params: list[Any], order_by: str = "id", limit: int | None = None) -> list[Document]:
        """Plain SQL on the hot path: sqlite-utils would introspect the table on every call."""
        query = f"SELECT * FROM documents WHERE {where} ORDER BY {order_by}"
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        cursor = self.db.conn.execute(query, params)
        columns = [c[0] for c in cursor.description]
        return [Document.from_row(dict(zip(columns, row, strict=True))) for row in cursor.fetchall()]

    def events(self, document_id: int) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM events WHERE document_id = ? ORDER BY id", [document_id]))

    # ------------------------------------------------------------ recording from a source

    def record(
        self,
        *,
        source: str,
        external_id: str,
        kind: str,
        number: str | None,
        device_key: str,
        canonical: str | None,
        content_hash: str,
        source_ref: dict[str, Any],
        problem: str | None = None,
    ) -> Recorded:
        """Add a document (state pending, or needs-fix with `problem`), idempotently."""
        state = NEEDS_FIX if problem else PENDING
        with immediate_transaction(self.db) as conn:
            conn.lock("record", source, external_id, kind)  # two hosts recording the same new document
            existing = conn.execute(
                conn.locking("SELECT id, state, content_hash, source_ref FROM documents"
                             " WHERE source=? AND external_id=? AND kind=?"),
                [source, external_id, kind],
            ).fetchone()  # fmt: skip
            if existing is None:
                now = _now()
                cursor = conn.execute(
                    "INSERT INTO documents (source, external_id, kind, number, device_key, state, canonical,"
                    " content_hash, source_ref, reason, created_at, updated_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                    [source, external_id, kind, number, device_key, state, canonical, content_hash,
                     json.dumps(source_ref), problem, now, now],
                )  # fmt: skip
                doc_id = int(cursor.fetchone()[0])
                self._event(conn, doc_id, None, state, problem or "recorded from the source")
                return Recorded(doc_id, "new")
            doc_id, current, old_hash, old_ref = existing
            if old_hash == content_hash:
                if json.loads(old_ref or "{}") == source_ref:
                    return Recorded(doc_id, "unchanged")
                conn.execute("UPDATE documents SET source_ref = ? WHERE id = ?", [json.dumps(source_ref), doc_id])
                self._event(conn, doc_id, None, None, f"seen again, unchanged, at {source_ref}")
                return Recorded(doc_id, "moved")
            if current in SIGNED:  # keep the ref of the version KRA signed
                detail = "changed in the source after KRA signed it: ignored (correct it with a credit note)"
                self._event(conn, doc_id, None, None, detail)
                return Recorded(doc_id, "ignored-signed")
            if current not in (NEEDS_FIX, PENDING):
                return Recorded(doc_id, "ignored-in-progress")
            conn.execute(
                "UPDATE documents SET number=?, device_key=?, state=?, canonical=?, content_hash=?,"
                " source_ref=?, reason=?, attempts=0, next_attempt_at=NULL, updated_at=? WHERE id=?",
                [
                    number,
                    device_key,
                    state,
                    canonical,
                    content_hash,
                    json.dumps(source_ref),
                    problem,
                    _now(),
                    doc_id,
                ],
            )
            self._event(conn, doc_id, current, state, problem or "corrected in the source")
            return Recorded(doc_id, "corrected")

    # ------------------------------------------------------------ state changes

    def transition(self, document_id: int, to_state: str, detail: str, **fields: Any) -> Document:
        self.move(document_id, to_state, detail, **fields)
        return self.get(document_id)

    def move(self, document_id: int, to_state: str, detail: str, **fields: Any) -> None:
        """`transition` without reading the document back (the sender already holds what it wrote)."""
        with immediate_transaction(self.db) as conn:
            self._transition(conn, document_id, to_state, detail, fields)

    def outcome_of(self, document_id: int) -> tuple[str, int, int | None, str | None, str | None]:
        """(state, attempts, invoice_number, reason, receipt number): what a log line needs, nothing decoded."""
        row = self.db.conn.execute(
            "SELECT state, attempts, invoice_number, reason, receipt FROM documents WHERE id = ?", [document_id]
        ).fetchone()
        if row is None:
            raise LedgerError(f"no document with id {document_id} in the ledger")
        receipt = json.loads(row[4]).get("receipt_number") if row[4] else None
        return row[0], row[1], row[2], row[3], receipt

    def _transition(
        self,
        conn: Any,
        document_id: int,
        to_state: str,
        detail: str,
        fields: dict[str, Any],
        current: str | None = None,
    ) -> None:
        """`current`: the state this transaction already read (with its lock), else it is read here."""
        if current is None:
            row = conn.execute(conn.locking("SELECT state FROM documents WHERE id = ?"), [document_id]).fetchone()
            if row is None:
                raise LedgerError(f"no document with id {document_id}")
            current = row[0]
        if to_state not in TRANSITIONS[current]:
            raise LedgerError(f"document {document_id}: {current} → {to_state} is not allowed")
        values = {**fields, "state": to_state, "updated_at": _now()}
        for key in ("request", "receipt"):
            if isinstance(values.get(key), dict):
                values[key] = jsonio.dumps(values[key])
        assignments = ", ".join(f"{k} = ?" for k in values)
        conn.execute(f"UPDATE documents SET {assignments} WHERE id = ?", [*values.values(), document_id])
        self._event(conn, document_id, current, to_state, detail)

    @staticmethod
    def _event(conn: Any, document_id: int, from_state: str | None, to_state: str | None, detail: str) -> None:
        conn.execute(
            "INSERT INTO events (document_id, at, from_state, to_state, detail) VALUES (?,?,?,?,?)",
            [document_id, _now(), from_state, to_state, detail],
        )

    def note(self, document_id: int, detail: str) -> None:
        with immediate_transaction(self.db) as conn:
            self._event(conn, document_id, None, None, detail)

    # ------------------------------------------------------------ invoice numbers (one sequence per device)

    def allocate_number(self, document_id: int, device_key: str, detail: str) -> int:
        """Give the document the device's next invcNo (or the one it already has), in one transaction."""
        with immediate_transaction(self.db) as conn:
            row = conn.execute(conn.locking("SELECT invoice_number FROM documents WHERE id = ?"), [document_id])
            row = row.fetchone()
            if row and row[0] is not None:
                return int(row[0])  # a number, once allocated, stays with its document
            number = _locked_next(conn, device_key)  # the sequence row stays locked until commit
            conn.execute("UPDATE sequences SET next_invoice_number = ? WHERE device_key = ?", [number + 1, device_key])
            conn.execute("UPDATE documents SET invoice_number = ? WHERE id = ?", [number, document_id])
            self._event(conn, document_id, None, None, f"invcNo {number} allocated")
        return number

    def allocate_and_move(
        self, document_id: int, device_key: str, number: int, to_state: str, detail: str, note: str | None = None,
        unchanged_since: str | None = None, **fields: Any,
    ) -> None:
        """Allocate `number` (which must be the device's next invcNo, the document holding none) and change
        state in the same transaction: a crash leaves either neither or both. `note`: an event recorded first.
        `unchanged_since`: the document's `updated_at` as the caller read it; if it moved since, DocumentChanged
        and nothing is written."""
        with immediate_transaction(self.db) as conn:
            row = conn.execute(conn.locking("SELECT state, invoice_number, updated_at FROM documents WHERE id = ?"),
                               [document_id]).fetchone()  # fmt: skip
            if row is None:
                raise LedgerError(f"no document with id {document_id}")
            current, held, updated_at = row
            if unchanged_since is not None and updated_at != unchanged_since:
                raise DocumentChanged(f"document {document_id} changed since {unchanged_since}")
            if note:
                self._event(conn, document_id, None, None, note)
            if held is not None and held != number:
                raise LedgerError(f"document {document_id} already holds invcNo {held}, not {number}")
            if held is None:
                expected = _locked_next(conn, device_key)  # the sequence row stays locked until commit
                if expected != number:
                    raise SequenceMoved(f"invcNo {number} is not device {device_key}'s next ({expected})")
                conn.execute("UPDATE sequences SET next_invoice_number = ? WHERE device_key = ?",
                             [number + 1, device_key])  # fmt: skip
                self._event(conn, document_id, None, None, f"invcNo {number} allocated")
            self._transition(conn, document_id, to_state, detail, {**fields, "invoice_number": number}, current)

    def release_number(self, document_id: int, device_key: str, to_state: str, detail: str, **fields: Any) -> None:
        """After a definite rejection: give the number back (it is the last one) and change state."""
        with immediate_transaction(self.db) as conn:
            row = conn.execute(conn.locking("SELECT invoice_number FROM documents WHERE id = ?"), [document_id])
            row = row.fetchone()
            number = row[0] if row else None
            if number is not None:
                if _locked_next(conn, device_key) != number + 1:
                    raise LedgerError(f"invcNo {number} of document {document_id} is not the last allocated")
                conn.execute("UPDATE sequences SET next_invoice_number = ? WHERE device_key = ?", [number, device_key])
            fields |= {"invoice_number": None, "request": None, "confirmed_at": None}
            self._transition(conn, document_id, to_state, f"{detail} (invcNo {number} released)", fields)

    def discard(self, document_id: int, reason: str) -> Document:
        """Close a document that must never be sent; refused once it holds an invoice number."""
        with immediate_transaction(self.db) as conn:
            row = conn.execute(conn.locking("SELECT state, invoice_number, stock_number FROM documents WHERE id = ?"),
                               [document_id]).fetchone()  # fmt: skip
            if row is None:
                raise LedgerError(f"no document with id {document_id}")
            state, number, stock_number = row
            if stock_number is not None:
                raise LedgerError(f"document {document_id} holds sarNo {stock_number}: it must reach KRA first")
            if state not in schema.DISCARDABLE:
                raise LedgerError(f"document {document_id} is {state}: only a document not yet sent can be discarded"
                                  + (" (a signed one needs a credit note)" if state in SIGNED else ""))  # fmt: skip
            if number is not None:
                raise LedgerError(f"document {document_id} holds invcNo {number}: it must reach KRA first")
            self._transition(conn, document_id, schema.DISCARDED, f"discarded: {reason}", {"reason": reason})
        return self.get(document_id)

    def move_sequence(self, device_key: str, next_number: int, detail: str) -> None:
        """Set the device's next invcNo (resync after KRA and the ledger disagree); logged as an alert."""
        with immediate_transaction(self.db) as conn:
            conn.execute(
                "INSERT INTO sequences (device_key, next_invoice_number) VALUES (?, ?)"
                " ON CONFLICT(device_key) DO UPDATE SET next_invoice_number = excluded.next_invoice_number",
                [device_key, next_number],
            )
            conn.execute("INSERT INTO alerts (at, kind, device_key, message) VALUES (?, 'resync', ?, ?)",
                         [_now(), device_key, detail])  # fmt: skip

    def next_number(self, device_key: str) -> int:
        row = self.db.execute("SELECT next_invoice_number FROM sequences WHERE device_key = ?", [device_key]).fetchone()
        return int(row[0]) if row else 1

    # ------------------------------------------------------------ the device queue

    def head_of_device(self, device_key: str) -> Document | None:
        """What this device must deal with next: an in-flight document first, else the oldest waiting."""
        in_flight = self.documents(f"device_key = ? AND state IN ({_marks(IN_FLIGHT)})", [device_key, *IN_FLIGHT])
        if in_flight:
            return in_flight[0]
        return self.next_waiting(device_key)

    def next_waiting(self, device_key: str) -> Document | None:
        """The waiting document the device takes next once nothing is in flight (stock first, then a
        numbered one, then the oldest)."""
        from connector.stock.ledger import waiting_stock  # stock before sales (issue 13)

        stock = waiting_stock(self, device_key)
        if stock is not None:
            return stock
        numbered = self.documents(  # holds the device's last number (retry-later): it goes before older ones
            "device_key = ? AND invoice_number IS NOT NULL AND state IN ('queued', 'retry-wait')", [device_key], limit=1
        )
        if numbered:
            return numbered[0]
        first = self.db.execute(  # the oldest id first (an index walk), then that one row: no sort of the queue
            f"SELECT MIN(id) FROM documents WHERE device_key = ? AND state IN ({_marks(WAITING)})",
            [device_key, *WAITING],
        ).fetchone()
        if first is None or first[0] is None:
            return None
        waiting = self.documents("id = ?", [first[0]])
        return waiting[0] if waiting else None

    def has_credit_notes_to_fix(self, device_key: str) -> bool:
        """A credit note of this device is needs-fix: signing an invoice may requeue it (its original)."""
        row = self.db.conn.execute(
            "SELECT 1 FROM documents WHERE device_key = ? AND state = ? AND kind = 'credit_note' LIMIT 1",
            [device_key, NEEDS_FIX],
        ).fetchone()
        return row is not None

    def devices_with_work(self) -> list[str]:
        states = (*IN_FLIGHT, *WAITING, PENDING)
        query = f"SELECT DISTINCT device_key FROM documents WHERE state IN ({_marks(states)})"
        return [r[0] for r in self.db.execute(query, list(states)).fetchall()]

    # ------------------------------------------------------------ exchanges with KRA

    def store_exchange(
        self,
        document_id: int | None,
        device_key: str | None,
        result: Any,
        then: tuple[str, str, dict[str, Any]] | None = None,
    ) -> None:
        """One row per KRA call. Bodies are bounded (EXCHANGE_BODY_LIMIT, then cut with a note), and a call
        that repeats the document's previous one exactly (a KRA answering the same way again and again) keeps
        only a pointer to that exchange instead of both bodies again. `then` = (state, detail, fields): the
        document's state change the answer decided, in the same transaction as the exchange."""
        if then is None:
            self._store_exchange(self.db.conn, document_id, device_key, result)
            return
        assert document_id is not None
        # KRA's signature need not be on disk before the next step: lost to a power cut, the document is still
        # `sending` with its number, and is read back from KRA (the allocation before the POST is durable).
        with immediate_transaction(self.db, durable=then[0] != schema.ACCEPTED) as conn:
            self._store_exchange(conn, document_id, device_key, result)
            self._transition(conn, document_id, then[0], then[1], then[2])

    def _store_exchange(self, conn: Any, document_id: int | None, device_key: str | None, result: Any) -> None:
        metrics.observe_kra_call(result.endpoint, str(result.outcome), result.elapsed_seconds)
        text = getattr(result, "request_text", None) or jsonio.dumps(result.request)  # encoded once, by the client
        request, response = _bounded(text), _bounded(jsonio.dumps(result.response))
        if document_id is not None:
            previous = conn.execute(
                "SELECT id, outcome, code, message, request, response FROM exchanges"
                " WHERE document_id = ? AND endpoint = ? ORDER BY id DESC LIMIT 1",
                [document_id, result.endpoint],
            ).fetchone()
            if previous is not None and (str(result.outcome), result.code, result.message) == tuple(previous[1:4]):
                first_id, first_request, first_response = previous[0], previous[4], previous[5]
                pointer = _pointer(first_request)
                if pointer is not None:
                    first_id, first_request, first_response = conn.execute(
                        "SELECT id, request, response FROM exchanges WHERE id = ?", [pointer]
                    ).fetchone()
                if first_request == request and _without_time(first_response) == _without_time(response):
                    request = response = jsonio.dumps({"same_as_exchange": first_id})
        conn.execute(
            "INSERT INTO exchanges (document_id, device_key, at, endpoint, outcome, code, message, http_status,"
            " elapsed_seconds, request, response) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            [document_id, device_key, _now(), result.endpoint, str(result.outcome), result.code, result.message,
             result.http_status, result.elapsed_seconds, request, response],
        )  # fmt: skip

    def sent_unknown(self, document_id: int, invoice_number: int) -> bool:
        """Whether a sale with this invcNo was sent for the document and its outcome stayed unknown."""
        rows = self.db.execute(  # the request is read here, not by a JSON function: one query for both backends
            "SELECT request FROM exchanges WHERE document_id = ? AND endpoint = 'saveTrnsSalesOsdc'"
            " AND outcome = 'unknown'",
            [document_id],
        ).fetchall()
        return any(_invoice_number_of(request) == invoice_number for (request,) in rows)

    # ------------------------------------------------------------ source cursors

    def cursor(self, name: str) -> str | None:
        row = self.db.execute("SELECT value FROM cursors WHERE name = ?", [name]).fetchone()
        return row[0] if row else None

    def set_cursor(self, name: str, value: str | None) -> None:
        self.db.conn.execute(
            "INSERT INTO cursors (name, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            [name, value, _now()],
        )

    # ------------------------------------------------------------ alerts

    def alert(self, kind: str, message: str, device_key: str | None = None, document_id: int | None = None) -> None:
        self.db.execute(
            "INSERT INTO alerts (at, kind, device_key, document_id, message) VALUES (?, ?, ?, ?, ?)",
            [_now(), kind, device_key, document_id, message],
        )


EXCHANGE_BODY_LIMIT = 64 * 1024  # characters of one stored request or response (a code list is megabytes)


def _bounded(text: str) -> str:
    if len(text) <= EXCHANGE_BODY_LIMIT:
        return text
    note = {"truncated": True, "characters": len(text), "excerpt": text[: EXCHANGE_BODY_LIMIT - 200]}
    return jsonio.dumps(note)


def _pointer(text: str | None) -> int | None:
    if text and text.startswith('{"same_as_exchange"'):
        return int(json.loads(text)["same_as_exchange"])
    return None


def _without_time(text: str | None) -> str | None:
    """A stored response without KRA's answer time (`resultDt` differs on every answer)."""
    if not text or '"resultDt"' not in text:
        return text
    try:
        body = json.loads(text)
    except ValueError:
        return text
    if isinstance(body, dict):
        body.pop("resultDt", None)
        if isinstance(body.get("responseBody"), dict):
            body["responseBody"].pop("resultDt", None)
    return json.dumps(body, sort_keys=True)


def _locked_next(conn: Any, device_key: str) -> int:
    """The device's next invcNo, with its sequence row created if missing and locked until the transaction ends
    (PostgreSQL: a second host allocating for the same device waits here; SQLite: BEGIN IMMEDIATE already did)."""
    conn.execute(
        "INSERT INTO sequences (device_key, next_invoice_number) VALUES (?, 1) ON CONFLICT(device_key) DO NOTHING",
        [device_key],
    )
    row = conn.execute(conn.locking("SELECT next_invoice_number FROM sequences WHERE device_key = ?"), [device_key])
    return int(row.fetchone()[0])


def _invoice_number_of(request: str | None) -> int | None:
    try:
        value = json.loads(request or "null")
    except ValueError:
        return None
    number = value.get("invcNo") if isinstance(value, dict) else None
    return number if isinstance(number, int) else None


def _marks(values: tuple[str, ...]) -> str:
    return ", ".join("?" for _ in values)
