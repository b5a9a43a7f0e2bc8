"""The files a user reads back: `outbox/<name>.receipts.csv` and `rejected/<name>.errors.csv`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from plugins.csv.folder import DropFolder, write_csv
from plugins.csv.state import FileRecord, FolderState

RECEIPT_COLUMNS = [
    "document_number", "document_type", "status", "kra_invoice_number", "receipt_number", "total_receipt_number",
    "signature", "internal_data", "scu_id", "mrc_number", "signed_at", "qr_url", "message", "row",
]  # fmt: skip
ERROR_COLUMNS = ["file", "row", "document_number", "column", "value", "message"]
RECEIPT_FIELDS = (
    "invoice_number", "receipt_number", "total_receipt_number", "signature", "internal_data", "scu_id",
    "mrc_number", "signed_at", "qr_url",
)  # fmt: skip


def write_receipts(folder: DropFolder, state: FolderState, file: FileRecord) -> Path:
    path = folder.receipts_path(file.stem)
    write_csv(path, RECEIPT_COLUMNS, _receipt_rows(state, file.id))
    return path


def _receipt_rows(state: FolderState, file_id: int) -> Iterator[list[Any]]:
    for number, kind, status, receipt, reason, note, first_row in state.documents_of(file_id):
        signed = json.loads(receipt) if receipt else {}
        values = [signed.get(name, "") for name in RECEIPT_FIELDS]
        yield [number, kind, status, *values, reason or note or "", first_row]


def write_errors(folder: DropFolder, state: FolderState, file: FileRecord) -> Path | None:
    """The errors file, when the file has problems or refused documents; None when it has none."""
    path = folder.errors_path(file.stem)
    rows = ([file.name, *row] for row in state.errors_of(file.id))
    first = next(rows, None)
    if first is None:
        path.unlink(missing_ok=True)
        return None
    write_csv(path, ERROR_COLUMNS, _chain(first, rows))
    return path


def write_file_problem(folder: DropFolder, stem: str, name: str, problem: Any) -> Path:
    """The errors file of a file that could not be read at all."""
    path = folder.errors_path(stem)
    write_csv(path, ERROR_COLUMNS, [[name, problem.row or "", "", problem.column, problem.value, problem.message]])
    return path


def _chain(first: list[Any], rest: Iterator[list[Any]]) -> Iterator[list[Any]]:
    yield first
    yield from rest


def read_rows(path: Path) -> list[dict[str, str]]:
    """A results file as dictionaries (for the demo, the import summary and tests)."""
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))
