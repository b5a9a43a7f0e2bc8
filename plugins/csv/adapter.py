"""The CSV drop-folder source: files dropped in `inbox/` become KRA-signed receipts in `outbox/`.

    [[sources]]
    name = "dropbox"
    adapter = "csv"
    options = { folder = "/srv/etims/dropbox", settle_seconds = 2 }

`fetch_new` claims complete files and yields their documents; the folder's own state (not the
cursor) says which files are read. A document's `ref` names its file, number, kind and content
hash; a KRA outcome is applied to every unfinished file holding that document, and a file moves to
`archive/` once each of its documents is final. Layout and columns: docs/csv-format.md.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from connector.adapters import RecordsBills, ReportsStock, SourceAdapter, SourceDocument
from connector.errors import ConfigurationError
from connector.models import Invoice, Receipt
from plugins.csv import purchases, reader, results, stock
from plugins.csv.documents import Parsed, ParseOptions, Problem, as_error, parse_document, reason
from plugins.csv.folder import DropFolder
from plugins.csv.reader import FileProblem, FileScan, RawDocument, Row
from plugins.csv.state import (
    ACCEPTED,
    ARCHIVED,
    INGESTED,
    INGESTING,
    NEEDS_FIX,
    REJECTED,
    DocumentRecord,
    FileRecord,
    FolderState,
)
from plugins.csv.values import parse_kind

log = logging.getLogger("plugins.csv")

Progress = Callable[[FileRecord, int, int], None]  # file, rows read, rows in the file


class CsvConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    folder: Path  # holds inbox/, processing/, archive/, rejected/, outbox/ (created if missing)
    settle_seconds: float = Field(default=2.0, ge=0)  # a file must not change for this long
    delimiter: Literal[",", ";"] | None = None  # None: detected from the header row
    pattern: str = "*.csv"  # which files in inbox/ are read
    require_ready_marker: bool = False  # claim a file only when <name>.ready appears
    prices_include_vat: bool = True  # for rows that leave price_includes_vat empty
    date_format: str | None = None  # strptime format of issued_at; None = ISO 8601
    receipt_pdfs: bool = False  # also write outbox/<file>/<document>.pdf (connector/receipts) per signed document


class CsvAdapter(SourceAdapter, RecordsBills, ReportsStock):
    name = "csv"
    Config = CsvConfig
    stock_includes_purchases = False  # bills of *.purchases.csv are not in the stock files: they become stock-in

    def __init__(self, config: CsvConfig, mapping: Any, source_name: str | None = None, secrets: Any = None) -> None:  # type: ignore[override]
        super().__init__(config, mapping, source_name, secrets)
        self.config: CsvConfig = config
        root = config.folder.expanduser().resolve()
        try:
            self.folder = DropFolder(root, pattern=config.pattern, settle_seconds=config.settle_seconds,
                                     require_ready=config.require_ready_marker)  # fmt: skip
        except OSError as error:
            raise ConfigurationError(f"source {self.source_name!r}: cannot use folder {root}: {error}") from None
        self.state = FolderState(root)
        self.options = ParseOptions(self.source_name, mapping, config.prices_include_vat, config.date_format)
        self.watch_inbox = True  # False: read only files already claimed (the `csv import` command)
        self.on_progress: Progress | None = None
        self._local = threading.local()  # the last parsed document, per thread
        self._closed = threading.Event()
        self._recover()

    # ------------------------------------------------------------ reading

    def fetch_new(self, cursor: str | None) -> Iterator[tuple[SourceDocument, str | None]]:
        self._finish_recovered()
        if self.watch_inbox:
            self.claim_complete_files()
        for file in self.state.files_to_read():
            if self._closed.is_set():
                return
            yield from self._read_file(file)

    def fetch_bills(self, cursor: str | None) -> Iterator[tuple[Any, str | None]]:
        """Supplier bills from `*.purchases.csv` files (plugins/csv/purchases.py)."""
        return purchases.fetch_bills(self, cursor)

    def fetch_stock_moves(self, cursor: str | None) -> Iterator[tuple[Any, str | None]]:
        """Stock movements from `*.stock.csv` files (plugins/csv/stock.py)."""
        return stock.fetch_stock_moves(self, cursor)

    def claim_complete_files(self) -> list[int]:
        claimed = []
        for path in self.folder.complete_files():
            if purchases.is_purchases_file(path) or stock.is_stock_file(path):
                continue  # read by fetch_bills / fetch_stock_moves (plugins/csv/purchases.py, stock.py)
            with self.state.lock:
                stem = self.folder.unique_stem(path.name, self.state.stem_taken)
                if self.folder.claim(path, stem + path.suffix) is not None:
                    claimed.append(self.state.add_file(path.name, stem, path.suffix))
                    log.info("%s: claimed %s as %s", self.source_name, path.name, stem + path.suffix)
        return claimed

    def import_file(self, path: Path) -> int:
        """Copy a file from anywhere into processing/; returns its id in the folder state."""
        with self.state.lock:
            stem = self.folder.unique_stem(path.name, self.state.stem_taken)
            self.folder.claim_copy(path, stem + path.suffix)
            return self.state.add_file(path.name, stem, path.suffix)

    def _read_file(self, file: FileRecord) -> Iterator[tuple[SourceDocument, str | None]]:
        path = self.folder.processing_path(file.claimed_name)
        self.state.start_reading(file.id)
        try:
            scan = reader.scan(path, self.mapping.columns, self.config.delimiter)
        except FileProblem as problem:
            self._reject(file, problem)
            return
        except FileNotFoundError:
            self._reject(file, FileProblem(file.name, f"{path} disappeared before it was read"))
            return
        except Exception as error:  # a file that breaks the reader is rejected, never left in processing/
            self._reject(file, FileProblem(file.name, f"the file cannot be read ({type(error).__name__}: {error})"))
            return
        self.state.set_file_state(file.id, INGESTING, rows=scan.rows)
        rows_read = 0
        for seq, raw in enumerate(self._readable(file, self._in_order(path, scan))):
            if self._closed.is_set():
                return  # stopping: the file stays in processing/ and is read again next time
            rows_read += len(raw.rows)
            document = self._safe_document(file, seq, raw)
            if document is not None:
                yield document, f"{file.claimed_name}#{seq}"
            if self.on_progress is not None:
                self.on_progress(file, rows_read, scan.rows)
        self._read_done(file)

    def _readable(self, file: FileRecord, documents: Iterator[RawDocument]) -> Iterator[RawDocument]:
        """The documents of a file; if the rest cannot be read (e.g. it changed after the scan), that is
        a problem of the file listed in its errors file, and what was read so far carries on."""
        try:
            yield from documents
        except Exception as error:
            message = f"the rest of the file cannot be read ({error}): fix it and drop it again"
            row = getattr(error, "row", None)
            self.state.add_problems(file.id, [Problem(row, "", "", message, "")])
            log.warning("%s: %s: %s", self.source_name, file.name, message)

    def _safe_document(self, file: FileRecord, seq: int, raw: RawDocument) -> SourceDocument | None:
        """One document; one that cannot even be recorded is listed in the errors file, the others go on."""
        try:
            return self._document(file, seq, raw)
        except Exception as error:
            first = raw.rows[0].number if raw.rows else None
            message = f"the document cannot be read ({type(error).__name__}: {error})"
            self.state.add_problems(file.id, [Problem(first, "", "", message, raw.number)])
            log.warning("%s: %s, document %s: %s", self.source_name, file.name, raw.number, message)
            return None

    def _in_order(self, path: Path, scan: FileScan) -> Iterator[RawDocument]:
        """Invoices first, then credit notes, so a credit note's original is signed before it."""
        if not any(_is_credit_note(kind) for kind in scan.kinds):
            yield from reader.documents(path, scan)
            return
        yield from (raw for raw in reader.documents(path, scan) if _raw_kind(raw) != "credit_note")
        yield from (raw for raw in reader.documents(path, scan) if _raw_kind(raw) == "credit_note")

    def _document(self, file: FileRecord, seq: int, raw: RawDocument) -> SourceDocument | None:
        if not raw.number:
            self.state.add_problems(file.id, [self._no_number(raw.rows[0])])
            return None
        content = {"rows": [[row.number, row.values, row.problem] for row in raw.rows]}
        parsed = self._parse(raw, content)
        kind = parsed.invoice.kind if parsed.invoice else _raw_kind(raw)
        content_hash = _content_hash(raw)
        record = DocumentRecord(file.id, seq, raw.number, kind, content_hash, raw.rows[0].number)
        if parsed.problems:
            record = replace(record, state=NEEDS_FIX, parse_problems=1, reason=reason(parsed.problems))
            self.state.add_problems(file.id, parsed.problems)
        else:
            record = self._known_outcome(record)
        self.state.save_document(record)
        ref = {"file": file.claimed_name, "document": raw.number, "kind": kind, "hash": content_hash,
               "row": raw.rows[0].number}  # fmt: skip
        return SourceDocument(external_id=raw.number, kind=kind, number=raw.number, ref=ref, content=content)

    def _no_number(self, row: Row) -> Problem:
        column = self.mapping.columns.document_number
        return Problem(row.number, column, "", "the document number is empty: every row needs one", "")

    def _known_outcome(self, record: DocumentRecord) -> DocumentRecord:
        """A changed copy of a document KRA already signed is not sent again: the ledger ignores it."""
        signed = self.state.accepted_elsewhere(record.number, record.kind)
        if signed is None or signed[1] == record.content_hash:
            return record  # same content: the ledger writes the receipt back to this copy too
        note = (f"not sent: KRA already signed this document as it was in {signed[2]}; "
                "changes after signing need a credit note")  # fmt: skip
        return replace(record, state=ACCEPTED, receipt=signed[0], note=note)

    def _read_done(self, file: FileRecord) -> None:
        self.state.set_file_state(file.id, INGESTED)
        if self.state.problem_count(file.id):
            results.write_errors(self.folder, self.state, file)
        self.finish_if_done(file.id)

    def _reject(self, file: FileRecord, problem: FileProblem) -> None:
        with self.state.lock:
            results.write_file_problem(self.folder, file.stem, file.name, problem)
            self.folder.move_to("rejected", file.claimed_name)
            self.state.set_file_state(file.id, REJECTED)
        log.warning("%s: %s rejected: %s", self.source_name, file.name, problem)

    # ------------------------------------------------------------ canonical

    def to_canonical(self, document: SourceDocument) -> Invoice:
        rows = [Row(number, values, problem) for number, values, problem in document.content["rows"]]
        parsed = self._parse(RawDocument(document.external_id, rows), document.content)
        if parsed.invoice is None:
            raise as_error(document.external_id, parsed.problems)
        return parsed.invoice

    def _parse(self, raw: RawDocument, content: dict[str, Any]) -> Parsed:
        """Parse once: `fetch_new` and the `to_canonical` call right after it share the result."""
        cached = getattr(self._local, "last", None)
        if cached is not None and cached[0] is content:  # the very document just read (kept alive here)
            return cached[1]
        parsed = parse_document(raw, self.options)
        self._local.last = (content, parsed)
        return parsed

    # ------------------------------------------------------------ results

    def write_back(self, ref: dict[str, Any], receipt: Receipt) -> None:
        if not _is_ours(ref):
            return
        note = (f"not sent: KRA signed this document as it was in {ref['file']}; "
                "changes after signing need a credit note")  # fmt: skip
        with self.state.lock:
            touched = self.state.record_receipt(
                ref["document"], ref["kind"], ref["hash"], receipt.model_dump_json(), note
            )
            for file_id in touched:
                self.finish_if_done(file_id)

    def report_problem(self, ref: dict[str, Any], message: str) -> None:
        if not _is_ours(ref):
            return
        with self.state.lock:
            for file_id in self.state.record_problem(ref["document"], ref["kind"], ref["hash"], message):
                self.finish_if_done(file_id)

    def finish_if_done(self, file_id: int) -> bool:
        """Write the results and archive the file once every document in it is final."""
        with self.state.lock:
            file = self.state.file(file_id)
            if file.state != INGESTED or file.reingest or self.state.waiting_count(file_id):
                return False
            if self.config.receipt_pdfs:  # before receipts.csv, so the PDFs are there when it appears
                from connector.receipts.outbox import ledger_for, write_receipt_pdfs

                signed = ((doc[0], doc[1], doc[3]) for doc in self.state.documents_of(file_id))
                write_receipt_pdfs(self.folder.sub("outbox") / file.stem, signed, ledger_for(self))
            totals = results.SignedTotals(self.ledger() if self.ledger else None, self.source_name)
            results.write_receipts(self.folder, self.state, file, totals)
            results.write_errors(self.folder, self.state, file)
            self.folder.move_to("archive", file.claimed_name)
            self.state.set_file_state(file_id, ARCHIVED)
            results.supersede_earlier(self.folder, self.state, file.name)
        log.info("%s: %s done, results in %s", self.source_name, file.name, self.folder.receipts_path(file.stem))
        return True

    def file_status(self, file_id: int) -> dict[str, Any]:
        """State, document counts and result paths of one claimed file."""
        file = self.state.file(file_id)
        errors = self.folder.errors_path(file.stem)
        return {
            "name": file.name,
            "state": file.state,
            "read_again": bool(file.reingest),
            "rows": file.rows,
            "documents": self.state.counts(file_id),
            "problems": self.state.problem_count(file_id),
            "receipts": self.folder.receipts_path(file.stem),
            "errors": errors if errors.exists() else None,
        }

    # ------------------------------------------------------------ housekeeping

    def _recover(self) -> None:
        """After a crash: register files left in processing/ (files whose results were not written are
        finished by the first `fetch_new`, once the core has given the adapter its ledger for the totals)."""
        for path in sorted(self.folder.sub("processing").iterdir()):
            if path.is_file() and not path.name.startswith(".") and not self.state.stem_taken(path.stem):
                self.state.add_file(path.name, path.stem, path.suffix)
        self._recovering = True

    def _finish_recovered(self) -> None:
        if not self._recovering:
            return
        self._recovering = False
        for file in self.state.active_files():
            if file.state == INGESTED:
                self.finish_if_done(file.id)

    def health(self) -> str:
        root = self.folder.root
        if not os.access(root, os.W_OK):
            raise ConfigurationError(f"drop folder {root} is not writable")
        return (f"drop folder {root}: {self.folder.waiting_in_inbox()} file(s) in inbox, "
                f"{self.folder.in_processing()} being processed")  # fmt: skip

    def close(self) -> None:
        self._closed.set()
        self.state.close()


def _content_hash(raw: RawDocument) -> str:
    """What the document says, without row numbers (moving rows around changes nothing)."""
    text = json.dumps([raw.number, [[row.values, row.problem] for row in raw.rows]], sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _raw_kind(raw: RawDocument) -> str:
    for row in raw.rows:
        text = row.values.get("document_type", "")
        if text:
            return "credit_note" if _is_credit_note(text) else "invoice"
    return "invoice"


def _is_credit_note(text: str) -> bool:
    try:
        return parse_kind(text) == "credit_note"
    except ValueError:
        return False


def _is_ours(ref: dict[str, Any]) -> bool:
    return all(key in ref for key in ("file", "document", "kind", "hash"))
