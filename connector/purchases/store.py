"""The purchase ledger: suppliers' sales (stored once), bills with a state, the per-device purchase numbers.

Purchase numbers (`insertTrnsPurchase` invcNo, this PIN's own sequence, separate from sales) have invcNo's
guarantees: allocated in the same transaction that stores the request and moves the bill to sending, given
back only after KRA provably did not record it, kept on an unknown outcome.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from connector import jsonio
from connector.clock import now_utc
from connector.db import immediate_transaction
from connector.errors import ConnectorError
from connector.purchases import schema as s
from connector.purchases.models import Bill

TRANSITIONS: dict[str, set[str]] = {
    s.UNMATCHED: {s.QUEUED, s.NEEDS_FIX, s.UNMATCHED},
    s.QUEUED: {s.SENDING, s.NEEDS_FIX, s.RETRY_WAIT, s.UNMATCHED, s.QUEUED},
    s.RETRY_WAIT: {s.SENDING, s.NEEDS_FIX, s.RETRY_WAIT, s.QUEUED},
    s.SENDING: {s.CONFIRMED, s.NEEDS_FIX, s.RETRY_WAIT, s.UNKNOWN, s.SENDING},
    s.UNKNOWN: {s.CONFIRMED, s.SENDING, s.UNKNOWN},
    s.CONFIRMED: set(),
    s.NEEDS_FIX: {s.QUEUED, s.UNMATCHED, s.NEEDS_FIX},
}


class PurchaseLedgerError(ConnectorError):
    pass


@dataclass
class StoredBill:
    id: int
    source: str
    external_id: str
    number: str | None
    device_key: str
    supplier_pin: str
    supplier_invoice_number: str
    state: str
    canonical: str
    supplier_sale_id: int | None
    purchase_number: int | None
    request: dict[str, Any] | None
    reason: str | None
    attempts: int
    next_attempt_at: float | None
    sent_unknown: bool
    created_at: str
    confirmed_at: str | None

    @property
    def bill(self) -> Bill:
        return Bill.model_validate_json(self.canonical)

    @property
    def label(self) -> str:
        return f"{self.source}:{self.number or self.external_id}"


@dataclass
class SupplierSaleRow:
    id: int
    device_key: str
    supplier_pin: str
    supplier_branch: str
    supplier_invoice_number: str
    supplier_name: str | None
    sale: dict[str, Any]
    total_amount: str | None
    sold_on: str | None
    fetched_at: str
    bill_id: int | None

    @property
    def label(self) -> str:
        return f"{self.supplier_pin}/{self.supplier_branch} invoice {self.supplier_invoice_number}"


def _now() -> str:
    return now_utc().isoformat()


def invoice_key(number: object) -> str:
    """A supplier invoice number as compared: digits without leading zeros, else the stripped text."""
    text = str(number).strip()
    return str(int(text)) if text.isdigit() else text


class PurchaseLedger:
    def __init__(self, db: Any) -> None:
        self.db = db  # the ledger's database; its schema (connector/ledger/schema.py) holds these tables

    # ------------------------------------------------------------ suppliers' sales

    def record_supplier_sale(self, device_key: str, sale: dict[str, Any]) -> bool:
        """Store one row of selectTrnsPurchaseSalesList (wire names); False when it was stored already."""
        pin = str(sale.get("spplrTin") or "").strip().upper()
        branch = str(sale.get("spplrBhfId") or "").strip()
        number = invoice_key(sale.get("spplrInvcNo") or "")
        if not pin or not number:
            raise PurchaseLedgerError(f"a supplier sale without spplrTin or spplrInvcNo: {str(sale)[:200]}")
        cursor = self.db.conn.execute(
            "INSERT INTO supplier_sales (device_key, supplier_pin, supplier_branch, supplier_invoice_number,"
            " supplier_name, sale, total_amount, sold_on, fetched_at) VALUES (?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (device_key, supplier_pin, supplier_branch, supplier_invoice_number) DO NOTHING",
            [device_key, pin, branch, number, sale.get("spplrNm"), jsonio.dumps(sale),
             None if sale.get("totAmt") is None else str(sale["totAmt"]), sale.get("salesDt"), _now()],
        )  # fmt: skip
        return bool(cursor.rowcount)

    def supplier_sales(self, where: str = "1=1", params: list[Any] | None = None) -> list[SupplierSaleRow]:
        cursor = self.db.conn.execute(f"SELECT * FROM supplier_sales WHERE {where} ORDER BY id", params or [])
        columns = [c[0] for c in cursor.description]
        rows = []
        for values in cursor.fetchall():
            row = dict(zip(columns, values, strict=True))
            row["sale"] = jsonio.loads(row["sale"])
            rows.append(SupplierSaleRow(**row))
        return rows

    def supplier_sale(self, sale_id: int) -> SupplierSaleRow:
        found = self.supplier_sales("id = ?", [sale_id])
        if not found:
            raise PurchaseLedgerError(f"no supplier sale with id {sale_id}")
        return found[0]

    # ------------------------------------------------------------ bills from the source

    def record_bill(self, bill: Bill, device_key: str) -> tuple[int, str]:
        """Store a bill idempotently: (id, "new" | "unchanged" | "corrected" | "ignored-in-progress")."""
        canonical = bill.model_dump_json()
        pin, number = bill.match_key
        return self._record(bill.source, bill.external_id, bill.number, device_key, pin, number, canonical,
                            _digest(canonical), None)  # fmt: skip

    def record_problem(self, source: str, external_id: str, number: str, device_key: str, data: dict[str, Any],
                       reason: str) -> tuple[int, str]:  # fmt: skip
        """A bill the source could not give as a `Bill` (its fields as read), stored needs-fix with `reason`;
        same actions as `record_bill`, and a later readable version of it is recorded over it as corrected.
        No PIN or invoice number is stored, so a `purchases retry` of it never matches: it is fixed in the source."""
        canonical = json.dumps(data, sort_keys=True, default=str)
        return self._record(source, external_id, number, device_key, "", "", canonical,
                            "problem:" + _digest(canonical), reason)  # fmt: skip

    def _record(self, source: str, external_id: str, number: str, device_key: str, pin: str, invoice_number: str,
                canonical: str, digest: str, reason: str | None) -> tuple[int, str]:  # fmt: skip
        """Insert or correct one bill: unmatched when readable (`reason` None), else needs-fix with the reason."""
        state = s.UNMATCHED if reason is None else s.NEEDS_FIX
        with immediate_transaction(self.db) as conn:
            conn.lock("bill", source, external_id)
            row = conn.execute(
                conn.locking("SELECT id, state, content_hash FROM bills WHERE source = ? AND external_id = ?"),
                [source, external_id],
            ).fetchone()
            now = _now()
            if row is None:
                cursor = conn.execute(
                    "INSERT INTO bills (source, external_id, number, device_key, supplier_pin, supplier_invoice_number,"
                    " state, canonical, content_hash, reason, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
                    " RETURNING id",
                    [source, external_id, number, device_key, pin, invoice_number, state, canonical, digest, reason,
                     now, now],
                )  # fmt: skip
                bill_id = int(cursor.fetchone()[0])
                self._event(conn, bill_id, None, state, reason or "recorded from the source")
                return bill_id, "new"
            bill_id, current, old = row
            if old == digest:
                return bill_id, "unchanged"
            if current not in (s.UNMATCHED, s.NEEDS_FIX, s.QUEUED):
                self._event(conn, bill_id, None, None, "changed in the source while being confirmed: ignored")
                return bill_id, "ignored-in-progress"
            conn.execute("UPDATE supplier_sales SET bill_id = NULL WHERE bill_id = ?", [bill_id])
            conn.execute(
                "UPDATE bills SET number=?, device_key=?, supplier_pin=?, supplier_invoice_number=?, state=?,"
                " canonical=?, content_hash=?, supplier_sale_id=NULL, reason=?, attempts=0, next_attempt_at=NULL,"
                " updated_at=? WHERE id=?",
                [number, device_key, pin, invoice_number, state, canonical, digest, reason, now, bill_id],
            )
            self._event(conn, bill_id, current, state, reason or "corrected in the source")
            return bill_id, "corrected"

    def bills(self, where: str = "1=1", params: list[Any] | None = None, limit: int | None = None) -> list[StoredBill]:
        query = f"SELECT * FROM bills WHERE {where} ORDER BY id"
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        cursor = self.db.conn.execute(query, params or [])
        columns = [c[0] for c in cursor.description]
        found = []
        for values in cursor.fetchall():
            row = dict(zip(columns, values, strict=True))
            found.append(
                StoredBill(
                    **{k: row[k] for k in StoredBill.__dataclass_fields__ if k not in ("request", "sent_unknown")},
                    request=jsonio.loads(row["request"]) if row["request"] else None,
                    sent_unknown=bool(row["sent_unknown"]),
                )
            )
        return found

    def get(self, bill_id: int) -> StoredBill:
        found = self.bills("id = ?", [bill_id])
        if not found:
            raise PurchaseLedgerError(f"no bill with id {bill_id} in the ledger")
        return found[0]

    def events(self, bill_id: int) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM bill_events WHERE bill_id = ? ORDER BY id", [bill_id]))

    def next_in_line(self, device_key: str) -> StoredBill | None:
        """What the device confirms next: an in-flight bill first, then one holding its number, then the oldest."""
        marks = ", ".join("?" for _ in s.IN_FLIGHT)
        waiting = [device_key, s.QUEUED, s.RETRY_WAIT]
        for where, params in (
            (f"device_key = ? AND state IN ({marks})", [device_key, *s.IN_FLIGHT]),
            ("device_key = ? AND purchase_number IS NOT NULL AND state IN (?, ?)", waiting),
            ("device_key = ? AND state IN (?, ?)", waiting),
        ):
            found = self.bills(where, params, limit=1)
            if found:
                return found[0]
        return None

    # ------------------------------------------------------------ state changes

    def move(self, bill_id: int, to_state: str, detail: str, **fields: Any) -> None:
        with immediate_transaction(self.db) as conn:
            self._transition(conn, bill_id, to_state, detail, fields)

    def match(self, bill_id: int, sale_id: int) -> bool:
        """Link a bill with a supplier sale (each once); the bill becomes queued. False if either is taken."""
        with immediate_transaction(self.db) as conn:
            taken = conn.execute(conn.locking("SELECT bill_id FROM supplier_sales WHERE id = ?"), [sale_id]).fetchone()
            if taken is None or (taken[0] is not None and taken[0] != bill_id):
                return False
            conn.execute("UPDATE supplier_sales SET bill_id = ? WHERE id = ?", [bill_id, sale_id])
            self._transition(conn, bill_id, s.QUEUED, f"matched with supplier sale {sale_id}",
                             {"supplier_sale_id": sale_id, "reason": None})  # fmt: skip
        return True

    def _transition(self, conn: Any, bill_id: int, to_state: str, detail: str, fields: dict[str, Any]) -> None:
        row = conn.execute(conn.locking("SELECT state FROM bills WHERE id = ?"), [bill_id]).fetchone()
        if row is None:
            raise PurchaseLedgerError(f"no bill with id {bill_id}")
        current = row[0]
        if to_state not in TRANSITIONS[current]:
            raise PurchaseLedgerError(f"bill {bill_id}: {current} → {to_state} is not allowed")
        values = {**fields, "state": to_state, "updated_at": _now()}
        if isinstance(values.get("request"), dict):
            values["request"] = jsonio.dumps(values["request"])
        assignments = ", ".join(f"{k} = ?" for k in values)
        conn.execute(f"UPDATE bills SET {assignments} WHERE id = ?", [*values.values(), bill_id])
        self._event(conn, bill_id, current, to_state, detail)

    @staticmethod
    def _event(conn: Any, bill_id: int, from_state: str | None, to_state: str | None, detail: str) -> None:
        conn.execute("INSERT INTO bill_events (bill_id, at, from_state, to_state, detail) VALUES (?,?,?,?,?)",
                     [bill_id, _now(), from_state, to_state, detail])  # fmt: skip

    def note(self, bill_id: int, detail: str) -> None:
        with immediate_transaction(self.db) as conn:
            self._event(conn, bill_id, None, None, detail)

    # ------------------------------------------------------------ purchase numbers (one sequence per device)

    def next_number(self, device_key: str) -> int:
        row = self.db.execute(
            "SELECT next_purchase_number FROM purchase_sequences WHERE device_key = ?", [device_key]
        ).fetchone()
        return int(row[0]) if row else 1

    def allocate_and_send(self, bill_id: int, device_key: str, number: int, request: dict[str, Any]) -> None:
        """Allocate `number` (the device's next purchase number) and store the request as sending, in one
        transaction: a crash leaves neither or both."""
        with immediate_transaction(self.db) as conn:
            held = conn.execute(conn.locking("SELECT purchase_number FROM bills WHERE id = ?"), [bill_id]).fetchone()
            if held is None:
                raise PurchaseLedgerError(f"no bill with id {bill_id}")
            if held[0] is not None:
                raise PurchaseLedgerError(f"bill {bill_id} already holds purchase number {held[0]}")
            expected = _locked_next(conn, device_key)
            if expected != number:
                raise PurchaseLedgerError(f"purchase number {number} is not device {device_key}'s next ({expected})")
            conn.execute("UPDATE purchase_sequences SET next_purchase_number = ? WHERE device_key = ?",
                         [number + 1, device_key])  # fmt: skip
            self._event(conn, bill_id, None, None, f"purchase number {number} allocated")
            row = conn.execute("SELECT attempts FROM bills WHERE id = ?", [bill_id]).fetchone()
            fields = {"purchase_number": number, "request": request, "attempts": int(row[0]) + 1}
            self._transition(conn, bill_id, s.SENDING, f"sending purchase {number}", fields)

    def release_number(self, bill_id: int, device_key: str, to_state: str, detail: str, **fields: Any) -> None:
        """After KRA provably did not record it: give the number back (it must be the last) and change state."""
        with immediate_transaction(self.db) as conn:
            row = conn.execute(conn.locking("SELECT purchase_number FROM bills WHERE id = ?"), [bill_id]).fetchone()
            number = row[0] if row else None
            if number is not None:
                if _locked_next(conn, device_key) != number + 1:
                    raise PurchaseLedgerError(f"purchase number {number} of bill {bill_id} is not the last allocated")
                conn.execute("UPDATE purchase_sequences SET next_purchase_number = ? WHERE device_key = ?",
                             [number, device_key])  # fmt: skip
            fields |= {"purchase_number": None, "request": None, "sent_unknown": 0}
            self._transition(conn, bill_id, to_state, f"{detail} (purchase number {number} given back)", fields)


def _locked_next(conn: Any, device_key: str) -> int:
    conn.execute(
        "INSERT INTO purchase_sequences (device_key, next_purchase_number) VALUES (?, 1)"
        " ON CONFLICT(device_key) DO NOTHING",
        [device_key],
    )
    row = conn.execute(
        conn.locking("SELECT next_purchase_number FROM purchase_sequences WHERE device_key = ?"), [device_key]
    )
    return int(row.fetchone()[0])


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()
