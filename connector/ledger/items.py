"""Items registered with KRA (per taxpayer PIN) and the 7-digit item-code sequence (spec §3.4)."""

from __future__ import annotations

from typing import Any

from connector.clock import now_utc
from connector.db import immediate_transaction

RESERVED = "reserved"  # code allocated, saveItem not yet confirmed
REGISTERED = "registered"


def registered_code(db: Any, pin: str, source_code: str) -> tuple[str, str] | None:
    """(item code, state) for an item of this PIN, if one was allocated."""
    row = db.execute(
        "SELECT item_code, state FROM items WHERE pin = ? AND source_code = ?", [pin, source_code]
    ).fetchone()
    return (row[0], row[1]) if row else None


def reserve_sequence(db: Any, pin: str, source_code: str, make_code: object) -> str:
    """Allocate the next per-PIN sequence and keep the resulting code reserved for this item."""
    with immediate_transaction(db) as conn:
        sequence = _locked_sequence(conn, pin)  # first: every writer for this PIN waits here
        row = conn.execute("SELECT item_code FROM items WHERE pin=? AND source_code=?", [pin, source_code]).fetchone()
        if row:
            return str(row[0])
        code = make_code(sequence)  # type: ignore[operator]
        conn.execute("UPDATE item_sequences SET next_sequence = ? WHERE pin = ?", [sequence + 1, pin])
        conn.execute(
            "INSERT INTO items (pin, source_code, item_code, state) VALUES (?, ?, ?, ?)",
            [pin, source_code, code, RESERVED],
        )
    return str(code)


def confirm(db: Any, pin: str, source_code: str) -> None:
    db.execute(
        "UPDATE items SET state = ?, registered_at = ? WHERE pin = ? AND source_code = ?",
        [REGISTERED, now_utc().isoformat(), pin, source_code],
    )


def drop_reservation(db: Any, pin: str, source_code: str, sequence_of: object) -> None:
    """KRA refused the item: forget the code, and give its sequence back if it was the last one."""
    with immediate_transaction(db) as conn:
        _locked_sequence(conn, pin)
        row = conn.execute(
            "SELECT item_code FROM items WHERE pin=? AND source_code=? AND state=?",
            [pin, source_code, RESERVED],
        ).fetchone()
        if row is None:
            return
        conn.execute("DELETE FROM items WHERE pin = ? AND source_code = ?", [pin, source_code])
        sequence = sequence_of(row[0])  # type: ignore[operator]
        conn.execute(
            "UPDATE item_sequences SET next_sequence = ? WHERE pin = ? AND next_sequence = ?",
            [sequence, pin, sequence + 1],
        )


def _locked_sequence(conn: Any, pin: str) -> int:
    """The PIN's next item sequence; its row is created if missing and locked until the transaction ends."""
    conn.execute("INSERT INTO item_sequences (pin, next_sequence) VALUES (?, 1) ON CONFLICT(pin) DO NOTHING", [pin])
    row = conn.execute(conn.locking("SELECT next_sequence FROM item_sequences WHERE pin = ?"), [pin]).fetchone()
    return int(row[0])
