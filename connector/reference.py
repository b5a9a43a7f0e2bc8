"""Reference data from KRA: code lists, item classes, notices, branches, with `lastReqDt` cursors.

`001` means nothing changed since the cursor. Tax rates come from code class 04 (`userDfnCd1`),
falling back to the packaged defaults, with configuration overrides on top.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from connector.clock import kra_datetime, now_eat
from connector.kra.client import KraClient, KraResult
from connector.kra.codes import default_tax_rates
from connector.kra.results import Outcome

FIRST_CURSOR = "20180101000000"  # what peers start from (spec §2.2)
DEFAULT_TAX_RATES = {
    "A": Decimal("0"),
    "B": Decimal("16"),
    "C": Decimal("0"),
    "D": Decimal("0"),
    "E": Decimal("8"),
}


@dataclass
class SyncReport:
    name: str
    outcome: Outcome
    records: int
    cursor: str
    message: str = ""


TABLES_DDL = """
CREATE TABLE IF NOT EXISTS sync_cursors (name TEXT PRIMARY KEY, last_request TEXT, synced_at TEXT);
CREATE TABLE IF NOT EXISTS codes (
    code_class TEXT, class_name TEXT, code TEXT, name TEXT, description TEXT, in_use TEXT, sort_order INTEGER,
    user_defined_1 TEXT, user_defined_2 TEXT, user_defined_3 TEXT, PRIMARY KEY (code_class, code)
);
CREATE TABLE IF NOT EXISTS item_classes (
    code TEXT PRIMARY KEY, name TEXT, level INTEGER, tax_type TEXT, major_target TEXT, in_use TEXT
);
CREATE TABLE IF NOT EXISTS notices (
    number INTEGER PRIMARY KEY, title TEXT, contents TEXT, url TEXT, registered_at TEXT
);
CREATE TABLE IF NOT EXISTS branches (
    pin TEXT, branch TEXT, name TEXT, status TEXT, head_office TEXT, location TEXT, PRIMARY KEY (pin, branch)
)
"""


def ensure_tables(db: Any) -> None:
    if db.dialect == "sqlite":  # PostgreSQL: part of the ledger's schema (created once, under a lock)
        db.executescript(TABLES_DDL)


def upsert(db: Any, table: str, rows: list[dict[str, Any]], pk: str | tuple[str, ...]) -> None:
    """Insert or replace rows (all with the same columns) by primary key, on either backend."""
    keys = (pk,) if isinstance(pk, str) else pk
    names = list(rows[0])
    updates = ", ".join(f"{n} = excluded.{n}" for n in names if n not in keys)
    sql = (f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
           f" ON CONFLICT({', '.join(keys)}) DO " + (f"UPDATE SET {updates}" if updates else "NOTHING"))  # fmt: skip
    with db.transaction():
        db.executemany(sql, [[row[n] for n in names] for row in rows])


def _code_rows(data: Any) -> list[dict[str, Any]]:
    rows = []
    for cls in data.classes:
        for d in cls.details:
            rows.append(
                {"code_class": cls.code_class, "class_name": cls.name, "code": d.code, "name": d.name,
                 "description": d.description, "in_use": d.in_use, "sort_order": d.sort_order,
                 "user_defined_1": d.user_defined_1, "user_defined_2": d.user_defined_2,
                 "user_defined_3": d.user_defined_3}
            )  # fmt: skip
    return rows


def _item_class_rows(data: Any) -> list[dict[str, Any]]:
    return [
        {"code": c.code, "name": c.name, "level": c.level, "tax_type": c.tax_type,
         "major_target": c.major_target, "in_use": c.in_use}
        for c in data.item_classes
    ]  # fmt: skip


def _notice_rows(data: Any) -> list[dict[str, Any]]:
    rows = []
    for n in data.notices:
        rows.append(
            {"number": n.notice_number, "title": n.title, "contents": n.content, "url": n.detail_url,
             "registered_at": n.registered_at}
        )  # fmt: skip
    return rows


def _branch_rows(data: Any) -> list[dict[str, Any]]:
    return [
        {"pin": b.tin, "branch": b.branch_id, "name": b.branch_name, "status": b.branch_status,
         "head_office": b.head_office, "location": b.location}
        for b in data.branches
    ]  # fmt: skip


@dataclass(frozen=True)
class _Table:
    name: str
    table: str
    pk: str | tuple[str, ...]
    fetch: Callable[[KraClient, str], KraResult]
    rows: Callable[[Any], list[dict[str, Any]]]


TABLES = (
    _Table("codes", "codes", ("code_class", "code"), KraClient.select_codes, _code_rows),
    _Table("item_classes", "item_classes", "code", KraClient.select_item_classes, _item_class_rows),
    _Table("notices", "notices", "number", KraClient.select_notices, _notice_rows),
    _Table("branches", "branches", ("pin", "branch"), KraClient.select_branches, _branch_rows),
)


def cursor(db: Any, name: str) -> str:
    rows = list(db.query("SELECT * FROM sync_cursors WHERE name = ?", [name]))
    return rows[0]["last_request"] if rows else FIRST_CURSOR


def sync_all(client: KraClient, db: Any) -> list[SyncReport]:
    """Pull every reference table changed since its cursor; a failure in one does not stop the rest."""
    ensure_tables(db)
    reports = []
    for spec in TABLES:
        since = cursor(db, spec.name)
        result = spec.fetch(client, since)
        reports.append(_store(db, spec, since, result))
    return reports


def _store(db: Any, spec: _Table, since: str, result: KraResult) -> SyncReport:
    if result.outcome not in (Outcome.ACCEPTED, Outcome.NO_DATA):
        return SyncReport(spec.name, result.outcome, 0, since, result.describe())
    rows = spec.rows(result.data) if result.outcome is Outcome.ACCEPTED and result.data is not None else []
    if rows:
        upsert(db, spec.table, rows, spec.pk)
    response = result.response if isinstance(result.response, dict) else {}
    new_cursor = str(response.get("resultDt") or kra_datetime(now_eat()))
    upsert(db, "sync_cursors", [{"name": spec.name, "last_request": new_cursor, "synced_at": kra_datetime(now_eat())}],
           "name")  # fmt: skip
    return SyncReport(spec.name, result.outcome, len(rows), new_cursor)


def tax_rates(db: Any, overrides: dict[str, Decimal] | None = None) -> dict[str, Decimal]:
    """Rates A–E: synced class 04 values over the packaged defaults, configuration over both."""
    ensure_tables(db)
    rates = default_tax_rates()
    for row in db.query("SELECT * FROM codes WHERE code_class = '04' AND in_use != 'N'"):
        if row["code"] in rates and row["user_defined_1"] not in (None, ""):
            rates[row["code"]] = Decimal(str(row["user_defined_1"]))
    rates |= {k.upper(): Decimal(str(v)) for k, v in (overrides or {}).items()}
    return rates
