"""The files a user reads back: `outbox/<name>.receipts.csv` and `rejected/<name>.errors.csv`.

Each signed document's row ends with its totals as KRA signed them (the ledger document's stored
request: `totTaxblAmt`, `totTaxAmt`, `totAmt`, in KES) and in the document's currency (the ERP's own
totals when the source gave them, else KES ÷ exchange rate rounded half-up to the cent). When a file
dropped again under the same name holds every document of an earlier one, the earlier results move
to `outbox/superseded/` and `rejected/superseded/`.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from connector.ledger.schema import SIGNED
from connector.money import round_money, to_decimal
from plugins.csv.folder import DropFolder, write_csv
from plugins.csv.state import FileRecord, FolderState

log = logging.getLogger("plugins.csv")

TOTAL_COLUMNS = ["currency", "exchange_rate", "taxable_kes", "vat_kes", "total_kes", "taxable", "vat", "total"]
RECEIPT_COLUMNS = [
    "document_number", "document_type", "status", "kra_invoice_number", "receipt_number", "total_receipt_number",
    "signature", "internal_data", "scu_id", "mrc_number", "signed_at", "qr_url", "message", "row",
    *TOTAL_COLUMNS,  # added later: at the end, so existing spreadsheets keep their columns
]  # fmt: skip
ERROR_COLUMNS = ["file", "row", "document_number", "column", "value", "message"]
RECEIPT_FIELDS = (
    "invoice_number", "receipt_number", "total_receipt_number", "signature", "internal_data", "scu_id",
    "mrc_number", "signed_at", "qr_url",
)  # fmt: skip
KRA_TOTALS = (("untaxed", "totTaxblAmt"), ("tax", "totTaxAmt"), ("total", "totAmt"))  # ERP figure, KRA field
NO_TOTALS = [""] * len(TOTAL_COLUMNS)
SUPERSEDED = "superseded"


class SignedTotals:
    """The totals columns of a signed document, read from the ledger (empty when there is none)."""

    def __init__(self, ledger: Any, source: str) -> None:
        self.ledger = ledger
        self.source = source

    def columns(self, number: str, kind: str, receipt: dict[str, Any]) -> list[Any]:
        if self.ledger is None or not receipt:
            return NO_TOTALS
        try:
            return self._columns(number, kind, receipt)
        except Exception as error:  # one document whose totals cannot be read never stops the file's results
            log.warning("%s: totals of %s not written: %s: %s", self.source, number, type(error).__name__, error)
            return NO_TOTALS

    def _columns(self, number: str, kind: str, receipt: dict[str, Any]) -> list[Any]:
        doc = self.ledger.find(self.source, number, kind)
        if doc is None or doc.state not in SIGNED or not doc.request:
            return NO_TOTALS
        if doc.invoice_number != int(receipt.get("invoice_number") or 0):
            return NO_TOTALS  # not the document this receipt belongs to
        canonical = json.loads(doc.canonical) if doc.canonical else {}
        currency = str(canonical.get("currency") or "KES").upper()
        rate = to_decimal(str(canonical.get("exchange_rate") or "1"), what="exchange_rate")
        kes = [to_decimal(str(doc.request.get(field, "0")), what=field) for _, field in KRA_TOTALS]
        erp = canonical.get("erp_totals") or {}
        if erp:
            in_currency = [to_decimal(str(erp[figure]), what=f"erp_totals.{figure}") for figure, _ in KRA_TOTALS]
        else:
            in_currency = [round_money(amount / rate) for amount in kes]
        return [currency, _text(rate), *map(_text, kes), *map(_text, in_currency)]


def _text(value: Decimal) -> str:
    return format(value, "f")


def write_receipts(
    folder: DropFolder, state: FolderState, file: FileRecord, totals: SignedTotals | None = None
) -> Path:
    path = folder.receipts_path(file.stem)
    write_csv(path, RECEIPT_COLUMNS, _receipt_rows(state, file.id, totals))
    return path


def _receipt_rows(state: FolderState, file_id: int, totals: SignedTotals | None) -> Iterator[list[Any]]:
    for number, kind, status, receipt, reason, note, first_row in state.documents_of(file_id):
        signed = json.loads(receipt) if receipt else {}
        values = [signed.get(name, "") for name in RECEIPT_FIELDS]
        sums = totals.columns(number, kind, signed) if totals is not None else NO_TOTALS
        yield [number, kind, status, *values, reason or note or "", first_row, *sums]


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


def supersede_earlier(folder: DropFolder, state: FolderState, name: str) -> list[Path]:
    """Move the results of earlier finished drops of `name` that a later finished drop holds entirely
    (every document, by number and type) to `superseded/`; returns the new paths.

    A same-name file with other documents (a daily export) leaves the earlier results where they are.
    """
    files = state.finished_files_named(name)
    moved: list[Path] = []
    for index, earlier in enumerate(files):
        results = [folder.receipts_path(earlier.stem), folder.errors_path(earlier.stem)]
        if not any(path.exists() for path in results):
            continue  # already superseded (or removed by the user)
        if not any(state.holds_every_document(later.id, earlier.id) for later in files[index + 1 :]):
            continue
        for path in results:
            if path.exists():
                moved.append(_move_to_superseded(path))
        log.info("%s: results of %s superseded by a later %s", folder.root.name, earlier.claimed_name, name)
    return moved


def _move_to_superseded(path: Path) -> Path:
    target = path.parent / SUPERSEDED / path.name
    target.parent.mkdir(exist_ok=True)
    os.replace(path, target)
    return target


def _chain(first: list[Any], rest: Iterator[list[Any]]) -> Iterator[list[Any]]:
    yield first
    yield from rest


def read_rows(path: Path) -> list[dict[str, str]]:
    """A results file as dictionaries (for the demo, the import summary and tests)."""
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))
