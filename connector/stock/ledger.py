"""The stock side of the ledger: stock movements as documents of kind "stock", their sarNo sequence per
device (column `stock_number`, table `stock_sequences`) and KRA's quantity per device and item
(table `stock_levels`).

    record_move(ledger, device_key, move)  -> ledger id (idempotent by (source, external_id, "stock"))
    levels(ledger, device_key)              -> {KRA item code: StockLevel}
    quantity_of(ledger, device_key, code)   -> Decimal (0 when KRA has nothing on record)

sarNo has the guarantees of invcNo: allocated with the request and the move to `sending` in one transaction,
given back only after a definite rejection, kept for good once the request may have reached KRA.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector.clock import now_utc
from connector.db import immediate_transaction
from connector.ledger import Ledger
from connector.ledger.schema import ACCEPTED, NEEDS_FIX, QUEUED, RETRY_WAIT
from connector.ledger.store import LedgerError, SequenceMoved
from connector.models import _canonical_value
from connector.stock.models import StockMove

KIND = "stock"
UPDATABLE = (QUEUED, RETRY_WAIT, NEEDS_FIX)  # a changed move in one of these states (and no sarNo) is updated


@dataclass(frozen=True)
class StockLevel:
    item_code: str  # KRA itemCd
    quantity: Decimal  # accepted stock IO in minus out
    master_quantity: Decimal | None  # rsdQty of the last accepted saveStockMaster (None: never sent)

    @property
    def master_due(self) -> bool:
        return self.master_quantity != self.quantity


def content_hash(move: StockMove) -> str:
    """sha256 of the canonical JSON (1.0 == 1.00, any timezone), like Invoice.content_hash."""
    text = json.dumps(_canonical_value(move.model_dump(mode="python")), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)  # fmt: skip
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _now() -> str:
    return now_utc().isoformat()


# ------------------------------------------------------------ recording


def record_move(ledger: Ledger, device_key: str, move: StockMove) -> int:
    """Add a stock movement (state queued) or update it while it holds no sarNo; returns its ledger id.

    A move that already holds a sarNo (it may be at KRA) is never changed: the difference is an event note."""
    source, external_id, _ = move.key
    canonical, digest = move.model_dump_json(), content_hash(move)
    with immediate_transaction(ledger.db) as conn:
        conn.lock("record", source, external_id, KIND)
        row = conn.execute(
            conn.locking("SELECT id, state, content_hash, stock_number FROM documents"
                         " WHERE source = ? AND external_id = ? AND kind = ?"),
            [source, external_id, KIND],
        ).fetchone()  # fmt: skip
        if row is None:
            now = _now()
            cursor = conn.execute(
                "INSERT INTO documents (source, external_id, kind, number, device_key, state, canonical,"
                " content_hash, source_ref, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
                [source, external_id, KIND, move.number, device_key, QUEUED, canonical, digest, "{}", now, now],
            )
            doc_id = int(cursor.fetchone()[0])
            ledger._event(conn, doc_id, None, QUEUED, f"stock movement {move.kind} recorded")
            return doc_id
        doc_id, state, old_hash, stock_number = row
        if old_hash == digest:
            return int(doc_id)
        if stock_number is not None or state not in UPDATABLE:
            held = f"sarNo {stock_number}" if stock_number is not None else state
            detail = f"changed in the source after it was numbered or closed ({held}): the change is ignored"
            ledger._event(conn, doc_id, None, None, detail)
            return int(doc_id)
        conn.execute(
            "UPDATE documents SET number = ?, device_key = ?, canonical = ?, content_hash = ?, request = NULL,"
            " reason = NULL, attempts = 0, next_attempt_at = NULL WHERE id = ?",
            [move.number, device_key, canonical, digest, doc_id],
        )
        ledger._transition(conn, doc_id, QUEUED, "stock movement corrected in the source", {}, state)
        return int(doc_id)


def move_of(doc: Any) -> StockMove:
    return StockMove.model_validate_json(doc.canonical or "{}")


# ------------------------------------------------------------ quantities


def levels(ledger: Ledger, device_key: str) -> dict[str, StockLevel]:
    rows = ledger.db.execute(
        "SELECT item_code, quantity, master_quantity FROM stock_levels WHERE device_key = ? ORDER BY item_code",
        [device_key],
    ).fetchall()
    return {code: StockLevel(code, Decimal(q), None if m is None else Decimal(m)) for code, q, m in rows}


def quantity_of(ledger: Ledger, device_key: str, item_code: str) -> Decimal:
    """What KRA has on record for one item of the device (accepted stock IO in minus out)."""
    row = ledger.db.execute(
        "SELECT quantity FROM stock_levels WHERE device_key = ? AND item_code = ?", [device_key, item_code]
    ).fetchone()
    return Decimal(row[0]) if row else Decimal(0)


def due_masters(ledger: Ledger, device_key: str) -> list[StockLevel]:
    """Items whose stock master KRA has not yet got at the current quantity (and did not refuse at it)."""
    rows = ledger.db.execute(
        "SELECT item_code, quantity, master_quantity FROM stock_levels WHERE device_key = ?"
        " AND (master_quantity IS NULL OR master_quantity <> quantity) AND master_problem IS NULL ORDER BY item_code",
        [device_key],
    ).fetchall()
    return [StockLevel(code, Decimal(q), None if m is None else Decimal(m)) for code, q, m in rows]


def mark_master(ledger: Ledger, device_key: str, item_code: str, quantity: Decimal) -> None:
    ledger.db.execute(
        "UPDATE stock_levels SET master_quantity = ?, master_problem = NULL, master_attempts = 0, updated_at = ?"
        " WHERE device_key = ? AND item_code = ?",
        [_text(quantity), _now(), device_key, item_code],
    )


def _text(quantity: Decimal) -> str:
    return format(quantity.normalize(), "f") if quantity else "0"


def _add_quantities(conn: Any, device_key: str, changes: Iterable[tuple[str, Decimal]]) -> None:
    for item_code, change in changes:
        row = conn.execute(
            conn.locking("SELECT quantity FROM stock_levels WHERE device_key = ? AND item_code = ?"),
            [device_key, item_code],
        ).fetchone()
        if row is None:
            conn.execute(
                "INSERT INTO stock_levels (device_key, item_code, quantity, master_quantity, updated_at)"
                " VALUES (?, ?, ?, NULL, ?)",
                [device_key, item_code, _text(change), _now()],
            )
        else:
            conn.execute(
                "UPDATE stock_levels SET quantity = ?, master_problem = NULL, master_attempts = 0, updated_at = ?"
                " WHERE device_key = ? AND item_code = ?",
                [_text(Decimal(row[0]) + change), _now(), device_key, item_code],
            )


# ------------------------------------------------------------ sarNo (one sequence per device)


def next_stock_number(ledger: Ledger, device_key: str) -> int:
    row = ledger.db.execute(
        "SELECT next_stock_number FROM stock_sequences WHERE device_key = ?", [device_key]
    ).fetchone()
    return int(row[0]) if row else 1


def _locked_next(conn: Any, device_key: str) -> int:
    conn.execute(
        "INSERT INTO stock_sequences (device_key, next_stock_number) VALUES (?, 1) ON CONFLICT(device_key) DO NOTHING",
        [device_key],
    )
    row = conn.execute(conn.locking("SELECT next_stock_number FROM stock_sequences WHERE device_key = ?"),
                       [device_key]).fetchone()  # fmt: skip
    return int(row[0])


def allocate_and_move(
    ledger: Ledger, document_id: int, device_key: str, number: int, to_state: str, detail: str, **fields: Any
) -> None:
    """Allocate sarNo `number` (the device's next, the document holding none) and change state in one
    transaction: a crash leaves neither or both."""
    with immediate_transaction(ledger.db) as conn:
        row = conn.execute(conn.locking("SELECT state, stock_number FROM documents WHERE id = ?"), [document_id])
        row = row.fetchone()
        if row is None:
            raise LedgerError(f"no document with id {document_id}")
        current, held = row
        if held is not None and held != number:
            raise LedgerError(f"document {document_id} already holds sarNo {held}, not {number}")
        if held is None:
            expected = _locked_next(conn, device_key)
            if expected != number:
                raise SequenceMoved(f"sarNo {number} is not device {device_key}'s next ({expected})")
            conn.execute("UPDATE stock_sequences SET next_stock_number = ? WHERE device_key = ?",
                         [number + 1, device_key])  # fmt: skip
            ledger._event(conn, document_id, None, None, f"sarNo {number} allocated")
        ledger._transition(conn, document_id, to_state, detail, {**fields, "stock_number": number}, current)


def release_and_move(
    ledger: Ledger, document_id: int, device_key: str, to_state: str, detail: str, result: Any = None, **fields: Any
) -> None:
    """After a definite rejection: store the exchange, give the sarNo back (it is the last one), change state."""
    with immediate_transaction(ledger.db) as conn:
        if result is not None:
            ledger._store_exchange(conn, document_id, device_key, result)
        row = conn.execute(conn.locking("SELECT stock_number FROM documents WHERE id = ?"), [document_id]).fetchone()
        number = row[0] if row else None
        if number is not None:
            if _locked_next(conn, device_key) != number + 1:
                raise LedgerError(f"sarNo {number} of document {document_id} is not the last allocated")
            conn.execute("UPDATE stock_sequences SET next_stock_number = ? WHERE device_key = ?",
                         [number, device_key])  # fmt: skip
            detail = f"{detail} (sarNo {number} released)"
        fields |= {"stock_number": None, "request": None}
        ledger._transition(conn, document_id, to_state, detail, fields)


def accept(
    ledger: Ledger,
    document_id: int,
    device_key: str,
    changes: Iterable[tuple[str, Decimal]],
    detail: str,
    result: Any = None,
) -> None:
    """KRA recorded the stock IO: exchange, state accepted and the quantities, in one transaction."""
    with immediate_transaction(ledger.db) as conn:
        if result is not None:
            ledger._store_exchange(conn, document_id, device_key, result)
        fields = {"reason": None, "signed_at": _now(), "next_attempt_at": None}
        ledger._transition(conn, document_id, ACCEPTED, detail, fields)
        _add_quantities(conn, device_key, changes)


def waiting_stock(ledger: Ledger, device_key: str) -> Any:
    """The device's next waiting stock document (the one holding a sarNo first), or None."""
    found = ledger.documents(
        "device_key = ? AND kind = 'stock' AND state IN ('queued', 'retry-wait')", [device_key],
        order_by="stock_number IS NULL, id", limit=1,
    )  # fmt: skip
    return found[0] if found else None


def master_refused(ledger: Ledger, device_key: str, item_code: str, message: str) -> None:
    """KRA refused the item's stock master: not sent again until the item's quantity changes."""
    ledger.db.execute(
        "UPDATE stock_levels SET master_problem = ?, updated_at = ? WHERE device_key = ? AND item_code = ?",
        [message[:500], _now(), device_key, item_code],
    )


def master_failed(ledger: Ledger, device_key: str, item_code: str) -> int:
    """Count one more failed attempt (retry-later / unknown) of the item's stock master; returns the count."""
    with immediate_transaction(ledger.db) as conn:
        conn.execute(
            "UPDATE stock_levels SET master_attempts = master_attempts + 1 WHERE device_key = ? AND item_code = ?",
            [device_key, item_code],
        )
        row = conn.execute(
            "SELECT master_attempts FROM stock_levels WHERE device_key = ? AND item_code = ?", [device_key, item_code]
        ).fetchone()
    return int(row[0]) if row else 1
