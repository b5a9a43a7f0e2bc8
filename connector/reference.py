"""Reference data from KRA: code lists, item classes, notices, branches, with `lastReqDt` cursors.

`001` means nothing changed since the cursor. Tax rates come from code class 04 (`userDfnCd1`),
falling back to the packaged defaults, with configuration overrides on top.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlite_utils

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


def ensure_tables(db: sqlite_utils.Database) -> None:
    db["sync_cursors"].create({"name": str, "last_request": str, "synced_at": str}, pk="name", if_not_exists=True)
    db["codes"].create(
        {"code_class": str, "class_name": str, "code": str, "name": str, "description": str, "in_use": str,
         "sort_order": int, "user_defined_1": str, "user_defined_2": str, "user_defined_3": str},
        pk=("code_class", "code"), if_not_exists=True,
    )  # fmt: skip
    db["item_classes"].create(
        {"code": str, "name": str, "level": int, "tax_type": str, "major_target": str, "in_use": str},
        pk="code",
        if_not_exists=True,
    )
    db["notices"].create(
        {"number": int, "title": str, "contents": str, "url": str, "registered_at": str},
        pk="number",
        if_not_exists=True,
    )
    db["branches"].create(
        {"pin": str, "branch": str, "name": str, "status": str, "head_office": str, "location": str},
        pk=("pin", "branch"),
        if_not_exists=True,
    )


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


def cursor(db: sqlite_utils.Database, name: str) -> str:
    rows = list(db["sync_cursors"].rows_where("name = ?", [name]))
    return rows[0]["last_request"] if rows else FIRST_CURSOR


def sync_all(client: KraClient, db: sqlite_utils.Database) -> list[SyncReport]:
    """Pull every reference table changed since its cursor; a failure in one does not stop the rest."""
    ensure_tables(db)
    reports = []
    for spec in TABLES:
        since = cursor(db, spec.name)
        result = spec.fetch(client, since)
        reports.append(_store(db, spec, since, result))
    return reports


def _store(db: sqlite_utils.Database, spec: _Table, since: str, result: KraResult) -> SyncReport:
    if result.outcome not in (Outcome.ACCEPTED, Outcome.NO_DATA):
        return SyncReport(spec.name, result.outcome, 0, since, result.describe())
    rows = spec.rows(result.data) if result.outcome is Outcome.ACCEPTED and result.data is not None else []
    if rows:
        db[spec.table].upsert_all(rows, pk=spec.pk, alter=True)
    response = result.response if isinstance(result.response, dict) else {}
    new_cursor = str(response.get("resultDt") or kra_datetime(now_eat()))
    db["sync_cursors"].upsert(
        {"name": spec.name, "last_request": new_cursor, "synced_at": kra_datetime(now_eat())}, pk="name"
    )
    return SyncReport(spec.name, result.outcome, len(rows), new_cursor)


def tax_rates(db: sqlite_utils.Database, overrides: dict[str, Decimal] | None = None) -> dict[str, Decimal]:
    """Rates A–E: synced class 04 values over the packaged defaults, configuration over both."""
    ensure_tables(db)
    rates = default_tax_rates()
    for row in db["codes"].rows_where("code_class = '04' AND in_use != 'N'"):
        if row["code"] in rates and row["user_defined_1"] not in (None, ""):
            rates[row["code"]] = Decimal(str(row["user_defined_1"]))
    rates |= {k.upper(): Decimal(str(v)) for k, v in (overrides or {}).items()}
    return rates
