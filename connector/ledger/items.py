"""Items registered with KRA (per taxpayer PIN) and the 7-digit item-code sequence (spec §3.4).

Registering (saveItem) is done once per item per PIN: `register` lets one worker at a time register a PIN's
new items (the claim is the PIN's row in item_sequences: owner and expiry, like a device lease) and the others
wait for its answer, then use the confirmed code. One PIN at a time, not one item: GavaConnect takes a new
code only if its suffix is the PIN's next one, so two new items registered side by side can be refused.
No transaction is held while saveItem is on the wire. A claim whose owner died on this host is taken over at
once, another host's at expiry; the item's reserved code is then sent again (saveItem is idempotent at KRA
for the same itemCd).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from connector.clock import now_utc
from connector.db import immediate_transaction
from connector.ledger.leases import owner_id, owner_is_dead

RESERVED = "reserved"  # code allocated, saveItem not yet confirmed
REGISTERED = "registered"

POLL_SECONDS = 0.05  # how often a waiter re-reads a claim another process holds (this process's wake it at once)

Answer = Literal["registered", "refused", "not-now"]  # what saveItem's answer means for the code


class ItemBusy(Exception):
    """Another worker is registering this PIN's items and has not answered yet: try again after `seconds`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


@dataclass(frozen=True)
class Claim:
    state: Literal["registered", "ours", "theirs"]
    code: str | None  # None only when "theirs" and this item has no code yet
    expires_at: float = 0.0  # "theirs": when the other worker's claim runs out


def registered_code(db: Any, pin: str, source_code: str) -> tuple[str, str] | None:
    """(item code, state) for an item of this PIN, if one was allocated."""
    row = db.execute(
        "SELECT item_code, state FROM items WHERE pin = ? AND source_code = ?", [pin, source_code]
    ).fetchone()
    return (row[0], row[1]) if row else None


def register(
    db: Any,
    pin: str,
    source_code: str,
    make_code: Callable[[int], str],
    send: Callable[[str], Answer],
    *,
    ttl: float,
    wait_seconds: float,
    stopping: Callable[[], bool] = lambda: False,
) -> str | None:
    """The item's registered code, registering it first (send(code) is the saveItem call and says what KRA
    answered) if no one has. Returns None when KRA refused it (reservation dropped). Raises ItemBusy when
    another worker still holds the PIN's claim after `wait_seconds` (or once `stopping()`)."""
    known = registered_code(db, pin, source_code)
    if known and known[1] == REGISTERED:
        return known[0]
    deadline = time.monotonic() + wait_seconds
    while True:
        seen = _generation()
        claim = take_claim(db, pin, source_code, make_code, ttl)
        if claim.state == REGISTERED:
            return claim.code
        if claim.state == "ours":
            break
        left = deadline - time.monotonic()
        if left <= 0 or stopping():
            raise ItemBusy(min(1.0, max(0.1, claim.expires_at - time.time())))
        _wait_for_change(seen, max(0.0, min(left, claim.expires_at - time.time())))
    assert claim.code is not None
    answer: Answer = "not-now"
    try:
        answer = send(claim.code)
    finally:  # an exception (or a crash of this thread) leaves the code reserved and frees the claim
        finish(db, pin, source_code, answer)
    return claim.code if answer == "registered" else None


def take_claim(db: Any, pin: str, source_code: str, make_code: Callable[[int], str], ttl: float) -> Claim:
    """In one transaction with the PIN's row locked: the item's code if registered; else the PIN's claim for
    this worker (reserving the next code for a new item), unless another live worker holds it."""
    me, now = owner_id(), time.time()
    with immediate_transaction(db) as conn:
        sequence, holder, expires_at = _locked_sequence(conn, pin)  # first: every writer for this PIN waits here
        row = conn.execute("SELECT item_code, state FROM items WHERE pin=? AND source_code=?",
                           [pin, source_code]).fetchone()  # fmt: skip
        if row and row[1] == REGISTERED:
            return Claim(REGISTERED, str(row[0]))
        if holder and holder != me and expires_at > now and not owner_is_dead(holder):
            return Claim("theirs", str(row[0]) if row else None, expires_at)
        if row:
            code = str(row[0])  # reserved earlier (by a worker that died, or whose call ended unknown): sent again
        else:
            code = make_code(sequence)
            conn.execute("UPDATE item_sequences SET next_sequence = ? WHERE pin = ?", [sequence + 1, pin])
            conn.execute("INSERT INTO items (pin, source_code, item_code, state) VALUES (?, ?, ?, ?)",
                         [pin, source_code, code, RESERVED])  # fmt: skip
        conn.execute("UPDATE item_sequences SET claimed_by = ?, claim_expires = ? WHERE pin = ?", [me, now + ttl, pin])
    return Claim("ours", code)


def ensure_columns(db: Any) -> None:
    """Give item_sequences its claim columns when the ledger was created before them."""
    if db.dialect == "postgresql":
        db.execute("ALTER TABLE item_sequences ADD COLUMN IF NOT EXISTS claimed_by TEXT")
        db.execute("ALTER TABLE item_sequences ADD COLUMN IF NOT EXISTS claim_expires DOUBLE PRECISION")
        return
    columns = {row[1] for row in db.execute("PRAGMA table_info(item_sequences)").fetchall()}
    if "claimed_by" not in columns:
        db.execute("ALTER TABLE item_sequences ADD COLUMN claimed_by TEXT")
    if "claim_expires" not in columns:
        db.execute("ALTER TABLE item_sequences ADD COLUMN claim_expires REAL")


def finish(db: Any, pin: str, source_code: str, answer: Answer) -> None:
    """After saveItem: registered → confirmed; refused → reservation dropped; not-now → code stays reserved.
    The PIN's claim is given up (if still ours) in the same transaction, and waiters here are woken."""
    try:
        with immediate_transaction(db) as conn:
            _locked_sequence(conn, pin)
            if answer == "registered":
                conn.execute("UPDATE items SET state = ?, registered_at = ? WHERE pin = ? AND source_code = ?",
                             [REGISTERED, now_utc().isoformat(), pin, source_code])  # fmt: skip
            elif answer == "refused":
                _drop(conn, pin, source_code)
            conn.execute("UPDATE item_sequences SET claimed_by = NULL, claim_expires = NULL"
                         " WHERE pin = ? AND claimed_by = ?", [pin, owner_id()])  # fmt: skip
    finally:
        _changed()


def reserve_sequence(db: Any, pin: str, source_code: str, make_code: object) -> str:
    """Allocate the next per-PIN sequence and keep the resulting code reserved for this item (no claim: the
    caller sends saveItem itself; `register` is the deduplicated way)."""
    with immediate_transaction(db) as conn:
        sequence = _locked_sequence(conn, pin)[0]  # first: every writer for this PIN waits here
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


def drop_reservation(db: Any, pin: str, source_code: str, sequence_of: object = None) -> None:
    """KRA refused the item: forget the code, and give its sequence back if it was the last one."""
    with immediate_transaction(db) as conn:
        _locked_sequence(conn, pin)
        _drop(conn, pin, source_code)


def _drop(conn: Any, pin: str, source_code: str) -> None:
    row = conn.execute("SELECT item_code FROM items WHERE pin=? AND source_code=? AND state=?",
                       [pin, source_code, RESERVED]).fetchone()  # fmt: skip
    if row is None:
        return
    conn.execute("DELETE FROM items WHERE pin = ? AND source_code = ?", [pin, source_code])
    sequence = int(str(row[0])[-7:])  # the 7-digit suffix (spec §4.19)
    conn.execute("UPDATE item_sequences SET next_sequence = ? WHERE pin = ? AND next_sequence = ?",
                 [sequence, pin, sequence + 1])  # fmt: skip


def _locked_sequence(conn: Any, pin: str) -> tuple[int, str | None, float]:
    """The PIN's (next item sequence, claim holder, claim expiry); its row is created if missing and locked
    until the transaction ends."""
    conn.execute("INSERT INTO item_sequences (pin, next_sequence) VALUES (?, 1) ON CONFLICT(pin) DO NOTHING", [pin])
    query = conn.locking("SELECT next_sequence, claimed_by, claim_expires FROM item_sequences WHERE pin = ?")
    row = conn.execute(query, [pin]).fetchone()
    return int(row[0]), row[1], float(row[2] or 0)


# Waiters in this process wake when a claim is given up here; a claim of another process is polled.
_CHANGED = threading.Condition()
_GENERATION = [0]


def _generation() -> int:
    with _CHANGED:
        return _GENERATION[0]


def _changed() -> None:
    with _CHANGED:
        _GENERATION[0] += 1
        _CHANGED.notify_all()


def _wait_for_change(seen: int, seconds: float) -> None:
    with _CHANGED:
        if _GENERATION[0] == seen:
            _CHANGED.wait(min(seconds, POLL_SECONDS))
