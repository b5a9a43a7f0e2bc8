"""The CSV stock file: `<name>.stock.csv` in the drop folder's inbox/ → stock movements (docs/csv-format.md).

Columns (one row per movement line; rows with the same movement_id make one movement):

    movement_id, date, kind, branch, item_code, item_name, quantity, unit, unit_cost, vat_code, category,
    origin_country, barcode, counterpart_branch, units_per_package, remark

`kind` is one of KINDS ("opening" is an adjustment in, 06; "receipt" a purchase, 02). Sales and customer returns
are refused: the connector reports those itself from the signed invoices and credit notes. A complete file moves
to processing/stock/, its good movements are yielded, then it moves to archive/stock/. Every row of a movement
with a bad row goes to rejected/<name>.stock.errors.csv (row, column, value, problem); the other movements go on.
A file that cannot be read at all (not UTF-8, a required column missing) moves to rejected/ itself, with its
errors file; nothing in it is yielded. A file a crash left in processing/stock/ is read again (movements are
recorded idempotently by movement_id).
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

from connector.errors import MappingError
from connector.models import ItemRef, Tax
from connector.stock.models import REPORTED_BY_THE_CONNECTOR, StockLine, StockMove
from plugins.csv.folder import READY_SUFFIX, write_csv
from plugins.csv.values import parse_datetime, parse_decimal

log = logging.getLogger("plugins.csv")

SUFFIX = ".stock.csv"
COLUMNS = ("movement_id", "date", "kind", "branch", "item_code", "item_name", "quantity", "unit", "unit_cost",
           "vat_code", "category", "origin_country", "barcode", "counterpart_branch", "units_per_package",
           "remark")  # fmt: skip
REQUIRED = ("movement_id", "date", "kind", "item_code", "item_name", "quantity", "unit", "vat_code")
SAME_FOR_A_MOVEMENT = ("date", "kind", "branch", "counterpart_branch", "remark")
ERROR_HEADER = ["file", "row", "movement_id", "column", "value", "problem", *COLUMNS]

# The file's words for a movement → StockMove.kind (spaces and hyphens count as "_").
KINDS = {
    "opening": "adjustment_in", "receipt": "purchase", "purchase": "purchase", "import": "import",
    "adjustment_in": "adjustment_in", "adjustment_out": "adjustment_out", "scrap": "scrap",
    "transfer_in": "transfer_in", "transfer_out": "transfer_out", "supplier_return": "supplier_return",
    "production_in": "production_in", "production_out": "production_out",
}  # fmt: skip
TRANSFERS = ("transfer_in", "transfer_out")
GOODS_TYPES = ("1", "2")  # KRA item types that hold stock (3 = service)
REFUSED_KINDS = frozenset({*REPORTED_BY_THE_CONNECTOR, "sales", "return", "delivery"})


def is_stock_file(path: Path) -> bool:
    return path.name.casefold().endswith(SUFFIX)


class RowProblem(Exception):
    def __init__(self, row: int, column: str, value: str, message: str) -> None:
        super().__init__(message)
        self.row, self.column, self.value = row, column, value


def fetch_stock_moves(adapter: Any, cursor: str | None) -> Iterator[tuple[StockMove, str | None]]:
    """Movements from complete stock files (the folder, not the cursor, says what was read)."""
    root: Path = adapter.folder.root
    processing, archive, rejected = root / "processing" / "stock", root / "archive" / "stock", root / "rejected"
    for folder in (processing, archive, rejected):
        folder.mkdir(parents=True, exist_ok=True)
    if getattr(adapter, "watch_inbox", True):
        _claim(root / "inbox", processing, (processing, archive, rejected), adapter.config.settle_seconds)
    for path in sorted(p for p in processing.iterdir() if p.is_file() and is_stock_file(p)):
        errors_path = rejected / f"{path.name[: -len('.csv')]}.errors.csv"
        try:
            moves, errors = read_file(path, adapter.source_name, adapter.mapping, adapter.config.date_format,
                                      adapter.config.delimiter)  # fmt: skip
        except FileProblem as problem:
            write_csv(errors_path, ERROR_HEADER, [[path.name, problem.row, "", problem.column, "", str(problem)]])
            os.replace(path, rejected / path.name)
            log.warning("%s: %s rejected: %s", adapter.source_name, path.name, problem)
            continue
        if errors:
            write_csv(errors_path, ERROR_HEADER, errors)
            log.warning("%s: %s has %d bad row(s), see %s", adapter.source_name, path.name, len(errors), errors_path)
        for number, move in enumerate(moves):
            yield move, f"{path.name}#{number}"
        os.replace(path, archive / path.name)
        log.info("%s: %s read: %d stock movement(s)", adapter.source_name, path.name, len(moves))


def _claim(inbox: Path, processing: Path, taken_in: tuple[Path, ...], settle_seconds: float) -> None:
    if not inbox.is_dir():
        return
    for path in sorted(inbox.iterdir()):
        if not (path.is_file() and is_stock_file(path) and _complete(path, settle_seconds)):
            continue
        try:
            os.rename(path, processing / _free_name(path.name, *taken_in))
        except FileNotFoundError:
            continue
        path.with_name(path.name + READY_SUFFIX).unlink(missing_ok=True)


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


class FileProblem(Exception):
    def __init__(self, row: int, column: str, message: str) -> None:
        super().__init__(message)
        self.row, self.column = row, column


def _rows(path: Path, delimiter: str | None) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
            handle.seek(0)
            sep = delimiter or (";" if first.count(";") > first.count(",") else ",")
            reader = csv.DictReader(handle, delimiter=sep, strict=True)
            header = [(name or "").strip().casefold() for name in (reader.fieldnames or [])]
            rows = [
                (number, {(k or "").strip().casefold(): (v or "").strip() for k, v in raw.items() if k is not None})
                for number, raw in enumerate(reader, start=2)
            ]
    except UnicodeDecodeError as error:
        raise FileProblem(0, "", f"the file is not UTF-8 (byte {error.start}): save it as CSV UTF-8") from None
    except csv.Error as error:
        raise FileProblem(0, "", f"the file is not a readable CSV ({error})") from None
    return header, rows


def read_file(
    path: Path, source: str, mapping: Any, date_format: str | None, delimiter: str | None = None
) -> tuple[list[StockMove], list[list[Any]]]:
    """(movements, error rows): every row of a movement with a problem is an error row; the others are returned.
    Raises FileProblem when the file cannot be read at all."""
    header, rows = _rows(path, delimiter)
    header = ["vat_code" if name == "tax_code" else name for name in header]  # the sales file's name works too
    rows = [(n, {("vat_code" if k == "tax_code" else k): v for k, v in row.items()}) for n, row in rows]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise FileProblem(1, ",".join(missing), f"the file has no column(s) {', '.join(missing)} "
                          f"(required: {', '.join(REQUIRED)}; also known: "
                          f"{', '.join(c for c in COLUMNS if c not in REQUIRED)})")  # fmt: skip
    grouped: dict[str, list[tuple[int, dict[str, str]]]] = {}
    errors: list[list[Any]] = []
    for number, row in rows:
        if not any(row.values()):
            continue
        if not row.get("movement_id"):
            errors.append(_error(path, number, row, "movement_id", "is empty: every row needs the movement it "
                                 "belongs to"))  # fmt: skip
            continue
        grouped.setdefault(row["movement_id"], []).append((number, row))
    moves = []
    for movement_id, move_rows in grouped.items():
        try:
            moves.append(_move(movement_id, move_rows, source, mapping, date_format))
        except RowProblem as problem:
            for n, row in move_rows:
                if n == problem.row:
                    errors.append(_error(path, n, row, problem.column, str(problem), problem.value))
                else:
                    errors.append(_error(path, n, row, "", f"movement {movement_id} has a bad row ({problem.row});"
                                         " none of its rows is reported"))  # fmt: skip
    errors.sort(key=lambda error: error[1])
    return moves, errors


def _error(path: Path, number: int, row: dict[str, str], column: str, problem: str, value: str = "") -> list[Any]:
    return [path.name, number, row.get("movement_id", ""), column, value, problem,
            *(row.get(name, "") for name in COLUMNS)]  # fmt: skip


def _kind(number: int, text: str) -> str:
    word = text.strip().casefold().replace(" ", "_").replace("-", "_")
    if word in REFUSED_KINDS:
        message = ("sales and customer returns are not stock file movements: the connector reports them itself "
                   "from the signed invoices and credit notes; leave them out")  # fmt: skip
        raise RowProblem(number, "kind", text, message)
    if word not in KINDS:
        raise RowProblem(number, "kind", text, f"is not a stock movement kind; write one of {', '.join(KINDS)}")
    return KINDS[word]


def _move(
    movement_id: str, rows: list[tuple[int, dict[str, str]]], source: str, mapping: Any, date_format: str | None
) -> StockMove:
    first_number, first = rows[0]
    for number, row in rows[1:]:
        for column in SAME_FOR_A_MOVEMENT:
            if row.get(column) and row.get(column, "") != first.get(column, ""):
                raise RowProblem(number, column, row[column], f"differs from row {first_number}'s "
                                 f"{first.get(column)!r} (one movement, one value)")  # fmt: skip
    kind = _kind(first_number, first.get("kind", ""))
    try:
        moved_at = parse_datetime(first.get("date", ""), date_format)
    except ValueError as error:
        raise RowProblem(first_number, "date", first.get("date", ""), str(error)) from None
    counterpart = first.get("counterpart_branch") or None
    if kind in TRANSFERS and counterpart is None:
        raise RowProblem(first_number, "counterpart_branch", "", "is empty: a transfer names the KRA branch id "
                         "(bhfId, e.g. 01) at the other end")  # fmt: skip
    lines = [_line(number, row, mapping) for number, row in rows]
    try:
        return StockMove(source=source, external_id=movement_id, number=movement_id, kind=kind, moved_at=moved_at,
                         branch=first.get("branch") or None, counterpart_branch=counterpart, lines=lines,
                         remark=first.get("remark") or None)  # fmt: skip
    except ValidationError as error:
        detail = error.errors()[0]
        field = str(detail["loc"][0])
        column = {"moved_at": "date", "external_id": "movement_id", "number": "movement_id"}.get(field, field)
        value = first.get(column, "") if column in COLUMNS else str(detail.get("input", ""))
        raise RowProblem(first_number, column, value, detail["msg"]) from None


def _line(number: int, row: dict[str, str], mapping: Any) -> StockLine:
    for column in ("item_code", "item_name", "quantity", "unit", "vat_code"):
        if not row.get(column):
            raise RowProblem(number, column, "", "is empty")
    values: dict[str, Any] = {}
    for column, default in (("quantity", None), ("unit_cost", "0"), ("units_per_package", "1")):
        text = row.get(column) or default or ""
        try:
            values[column] = parse_decimal(text)
        except ValueError as error:
            raise RowProblem(number, column, text, str(error)) from None
    if values["quantity"] <= 0:
        raise RowProblem(number, "quantity", row["quantity"], "must be above zero (the kind says which way it goes)")
    if values["unit_cost"] < 0:
        raise RowProblem(number, "unit_cost", row["unit_cost"], "may not be negative")
    tax = Tax(code=row["vat_code"])
    _check_mapping(number, row, tax, mapping)
    try:
        item = ItemRef(code=row["item_code"], name=row["item_name"], category=row.get("category") or None,
                       origin_country=row.get("origin_country") or None,
                       barcode=row.get("barcode") or None)  # fmt: skip
        return StockLine(line_id=str(number), item=item, quantity=values["quantity"], unit=row["unit"],
                         unit_cost=values["unit_cost"], taxes=[tax],
                         units_per_package=values["units_per_package"])  # fmt: skip
    except ValidationError as error:
        detail = error.errors()[0]
        field = str(detail["loc"][-1])
        column = {"code": "item_code", "name": "item_name"}.get(field, field)
        raise RowProblem(number, column, row.get(column, str(detail.get("input", ""))), detail["msg"]) from None


def _check_mapping(number: int, row: dict[str, str], tax: Tax, mapping: Any) -> None:
    """Unit, VAT code and category must be in the mapping: said here, in the errors file, not later at KRA."""
    if mapping is None:
        return
    checks = (("unit", lambda: mapping.quantity_unit(row["unit"])), ("vat_code", lambda: mapping.tax_type(tax)),
              ("category", lambda: mapping.category(row.get("category") or None)))  # fmt: skip
    found = {}
    for column, check in checks:
        try:
            found[column] = check()
        except MappingError as error:
            raise RowProblem(number, column, row.get(column, ""), str(error)) from None
    if str(found["category"].item_type) not in GOODS_TYPES:
        where = f"category {row['category']!r}" if row.get("category") else 'the mapping\'s "*" category (empty)'
        raise RowProblem(number, "category", row.get("category", ""), f"{where} is a service (KRA item type "
                         f"{found['category'].item_type}): services hold no stock; give a goods category "
                         "(e.g. goods, raw material)")  # fmt: skip
