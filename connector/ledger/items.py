"""Items registered with KRA (per taxpayer PIN) and the 7-digit item-code sequence (spec §3.4)."""

from __future__ import annotations

import sqlite_utils

from connector.clock import now_utc
from connector.db import immediate_transaction

RESERVED = "reserved"  # code allocated, saveItem not yet confirmed
REGISTERED = "registered"


def registered_code(db: sqlite_utils.Database, pin: str, source_code: str) -> tuple[str, str] | None:
    """(item code, state) for an item of this PIN, if one was allocated."""
    row = db.execute(
        "SELECT item_code, state FROM items WHERE pin = ? AND source_code = ?", [pin, source_code]
    ).fetchone()
    return (row[0], row[1]) if row else None


def reserve_sequence(db: sqlite_utils.Database, pin: str, source_code: str, make_code: object) -> str:
    """Allocate the next per-PIN sequence and keep the resulting code reserved for this item."""
    with immediate_transaction(db) as conn:
        row = conn.execute("SELECT item_code FROM items WHERE pin=? AND source_code=?", [pin, source_code]).fetchone()
        if row:
            return str(row[0])
        seq_row = conn.execute("SELECT next_sequence FROM item_sequences WHERE pin = ?", [pin]).fetchone()
        sequence = int(seq_row[0]) if seq_row else 1
        code = make_code(sequence)  # type: ignore[operator]
        conn.execute(
            "INSERT INTO item_sequences (pin, next_sequence) VALUES (?, ?)"
            " ON CONFLICT(pin) DO UPDATE SET next_sequence = excluded.next_sequence",
            [pin, sequence + 1],
        )
        conn.execute(
            "INSERT INTO items (pin, source_code, item_code, state) VALUES (?, ?, ?, ?)",
            [pin, source_code, code, RESERVED],
        )
    return str(code)


def confirm(db: sqlite_utils.Database, pin: str, source_code: str) -> None:
    db.execute(
        "UPDATE items SET state = ?, registered_at = ? WHERE pin = ? AND source_code = ?",
        [REGISTERED, now_utc().isoformat(), pin, source_code],
    )


def drop_reservation(db: sqlite_utils.Database, pin: str, source_code: str, sequence_of: object) -> None:
    """KRA refused the item: forget the code, and give its sequence back if it was the last one."""
    with immediate_transaction(db) as conn:
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
