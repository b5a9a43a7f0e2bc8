"""The CSV purchases file: `<name>.purchases.csv` in the drop folder's inbox/ → supplier bills (docs/purchases.md).

Columns (one row per bill line; rows with the same bill_id make one bill):

    bill_id, date, supplier_pin, supplier_invoice_number, branch, item_code, item_name, quantity, unit,
    unit_cost, vat_code, category

branch and category may be empty. A complete file moves to processing/purchases/, its good bills are
yielded, then it moves to archive/purchases/. Every row of a bill with a bad row goes to
rejected/<name>.purchases.errors.csv with the row number, the column and the problem; the other bills go on.
A file a crash left in processing/purchases/ is read again (bills are recorded idempotently).
"""

from __future__ import annotations

import csv
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from connector.models import ItemRef, Tax
from connector.purchases.models import Bill, BillLine
from plugins.csv.folder import READY_SUFFIX, write_csv
from plugins.csv.values import parse_datetime, parse_decimal

log = logging.getLogger("plugins.csv")

SUFFIX = ".purchases.csv"
COLUMNS = ("bill_id", "date", "supplier_pin", "supplier_invoice_number", "branch", "item_code", "item_name",
           "quantity", "unit", "unit_cost", "vat_code", "category")  # fmt: skip
OPTIONAL = frozenset({"branch", "category"})
SAME_FOR_A_BILL = ("date", "supplier_pin", "supplier_invoice_number", "branch")
ERROR_HEADER = ["file", "row", "bill_id", "column", "problem", *COLUMNS]


def is_purchases_file(path: Path) -> bool:
    return path.name.casefold().endswith(SUFFIX)


class RowProblem(Exception):
    def __init__(self, row: int, column: str, message: str) -> None:
        super().__init__(message)
        self.row, self.column = row, column


def fetch_bills(adapter: Any, cursor: str | None) -> Iterator[tuple[Bill, str | None]]:
    """Bills from complete purchases files (the folder, not the cursor, says what was read)."""
    root: Path = adapter.folder.root
    processing, archive = root / "processing" / "purchases", root / "archive" / "purchases"
    processing.mkdir(parents=True, exist_ok=True)
    archive.mkdir(parents=True, exist_ok=True)
    for path in sorted((root / "inbox").iterdir()):
        if path.is_file() and is_purchases_file(path) and _complete(path, adapter.config.settle_seconds):
            target = processing / _free_name(path.name, processing, archive)
            try:
                os.rename(path, target)
            except FileNotFoundError:
                continue
            path.with_name(path.name + READY_SUFFIX).unlink(missing_ok=True)
    for path in sorted(p for p in processing.iterdir() if p.is_file() and is_purchases_file(p)):
        bills, errors = read_file(path, adapter.source_name, adapter.config.prices_include_vat,
                                  adapter.config.date_format)  # fmt: skip
        if errors:
            write_csv(root / "rejected" / f"{path.name[: -len('.csv')]}.errors.csv", ERROR_HEADER, errors)
            log.warning("%s: %s has %d bad row(s), see rejected/", adapter.source_name, path.name, len(errors))
        for number, bill in enumerate(bills):
            yield bill, f"{path.name}#{number}"
        os.replace(path, archive / path.name)


def _complete(path: Path, settle_seconds: float) -> bool:
    if path.with_name(path.name + READY_SUFFIX).exists():
        return True
    return time.time() - path.stat().st_mtime >= settle_seconds


def _free_name(name: str, *folders: Path) -> str:
    stem, counter, candidate = name[: -len(SUFFIX)], 1, name
    while any((folder / candidate).exists() for folder in folders):
        counter += 1
        candidate = f"{stem}~{counter}{SUFFIX}"
    return candidate


def read_file(
    path: Path, source: str, prices_include_vat: bool, date_format: str | None
) -> tuple[list[Bill], list[list[Any]]]:
    """(bills, error rows): every row of a bill with a problem is an error row; the other bills are returned."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        sample = handle.read(4096)
        handle.seek(0)
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
        reader = csv.DictReader(handle, delimiter=delimiter)
        header = [(name or "").strip().casefold() for name in (reader.fieldnames or [])]
        missing = [name for name in COLUMNS if name not in header and name not in OPTIONAL]
        rows = [
            (number, {(k or "").strip().casefold(): (v or "").strip() for k, v in raw.items() if k is not None})
            for number, raw in enumerate(reader, start=2)
        ]
    if missing:
        problem = f"the file has no column(s) {', '.join(missing)} (expected: {', '.join(COLUMNS)})"
        return [], [[path.name, 1, "", ",".join(missing), problem, *("" for _ in COLUMNS)]]
    grouped: dict[str, list[tuple[int, dict[str, str]]]] = {}
    errors: list[list[Any]] = []
    for number, row in rows:
        if not any(row.values()):
            continue
        if not row.get("bill_id"):
            errors.append(_error(path, number, row, "bill_id", "is empty: every row needs the bill it belongs to"))
            continue
        grouped.setdefault(row["bill_id"], []).append((number, row))
    bills = []
    for bill_id, bill_rows in grouped.items():
        try:
            bills.append(_bill(bill_id, bill_rows, source, prices_include_vat, date_format))
        except RowProblem as problem:
            bad_row = problem.row
            errors += [_error(path, n, row, problem.column if n == bad_row else "",
                              str(problem) if n == bad_row else f"bill {bill_id} has a bad row ({bad_row})")
                       for n, row in bill_rows]  # fmt: skip
    return bills, errors


def _error(path: Path, number: int, row: dict[str, str], column: str, problem: str) -> list[Any]:
    return [path.name, number, row.get("bill_id", ""), column, problem, *(row.get(name, "") for name in COLUMNS)]


def _bill(
    bill_id: str, rows: list[tuple[int, dict[str, str]]], source: str, prices_include_vat: bool, date_format: str | None
) -> Bill:
    first_number, first = rows[0]
    for number, row in rows[1:]:
        for column in SAME_FOR_A_BILL:
            if row.get(column, "") != first.get(column, ""):
                raise _at(number, column, f"{row.get(column)!r} differs from row {first_number}'s {first.get(column)!r}"
                          " (one bill, one value)")  # fmt: skip
    lines = [_line(number, row) for number, row in rows]
    try:
        billed_at = parse_datetime(first.get("date", ""), date_format)
    except ValueError as error:
        raise _at(first_number, "date", f"{first.get('date')!r} {error}") from None
    for column in ("supplier_pin", "supplier_invoice_number"):
        if not first.get(column):
            raise _at(first_number, column, "is empty")
    try:
        return Bill(source=source, external_id=bill_id, number=bill_id, supplier_pin=first["supplier_pin"],
                    supplier_invoice_number=first["supplier_invoice_number"], billed_at=billed_at,
                    branch=first.get("branch") or None, lines=lines,
                    prices_include_vat=prices_include_vat)  # fmt: skip
    except ValidationError as error:
        detail = error.errors()[0]
        column = {"billed_at": "date"}.get(str(detail["loc"][0]), str(detail["loc"][0]))
        raise _at(first_number, column, f"{detail.get('input')!r}: {detail['msg']}") from None


def _line(number: int, row: dict[str, str]) -> BillLine:
    for column in ("item_code", "item_name", "quantity", "unit", "vat_code"):
        if not row.get(column):
            raise _at(number, column, "is empty")
    values: dict[str, Any] = {}
    for column in ("quantity", "unit_cost"):
        try:
            values[column] = parse_decimal(row.get(column) or "0")
        except ValueError as error:
            raise _at(number, column, f"{row.get(column)!r} {error}") from None
    try:
        item = ItemRef(code=row["item_code"], name=row["item_name"], category=row.get("category") or None)
        return BillLine(line_id=str(number), item=item, quantity=values["quantity"], unit=row["unit"],
                        unit_cost=values["unit_cost"], taxes=[Tax(code=row["vat_code"])])  # fmt: skip
    except ValidationError as error:
        detail = error.errors()[0]
        column = {"code": "item_code", "name": "item_name"}.get(str(detail["loc"][-1]), str(detail["loc"][0]))
        raise _at(number, column, f"{detail.get('input')!r}: {detail['msg']}") from None


def _at(row: int, column: str, message: str) -> RowProblem:
    return RowProblem(row, column, message)
