"""`etims-connector csv import FILE`: one file, now, waiting for every answer.

The file is copied into the CSV source's processing/ folder and read by the same adapter the
daemon uses, so its results land in outbox/ and rejected/ as for a dropped file. An in-process
daemon without pollers (just the huey consumer) sends; sending starts while the file is still
being read. Memory stays flat: documents stream from the file to the ledger one at a time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from connector.config import Settings, SourceSettings
from connector.daemon import Daemon
from connector.errors import ConfigurationError, ConnectorError
from plugins.csv import stock
from plugins.csv.adapter import CsvAdapter
from plugins.csv.state import ACCEPTED, ARCHIVED, NEEDS_FIX, REJECTED, WAITING, FileRecord

DEFAULT_SOURCE = "csv"
DRAIN_EVERY = 200  # documents read between two wake-ups of the device's sender
POLL_SECONDS = 0.2


class ImportProgress(Protocol):
    def reading(self, rows: int, total_rows: int) -> None: ...

    def sending(self, final: int, total: int) -> None: ...


@dataclass
class ImportResult:
    name: str
    state: str  # archived (every document final), rejected (unreadable) or ingested (timed out)
    rows: int
    documents: dict[str, int]
    problems: int
    receipts: Path
    errors: Path | None
    seconds: float

    @property
    def finished(self) -> bool:
        return self.state in (ARCHIVED, REJECTED)

    @property
    def total(self) -> int:
        return sum(self.documents.values())

    @property
    def all_accepted(self) -> bool:
        return self.state == ARCHIVED and self.documents.get(ACCEPTED, 0) == self.total


def csv_source(settings: Settings, name: str | None) -> SourceSettings:
    """The configured CSV source to use, or a default one with its folder in the data directory."""
    found = [s for s in settings.sources if s.adapter == "csv" and name in (None, s.name)]
    if found:
        return found[0]
    if name is not None:
        raise ConfigurationError(f"no CSV source named {name!r} in the configuration ([[sources]], adapter = 'csv')")
    return SourceSettings(name=DEFAULT_SOURCE, adapter="csv", options={"folder": str(settings.data_dir / "csv")})


def import_file(
    settings: Settings,
    path: Path,
    *,
    source_name: str | None = None,
    timeout: float | None = None,
    workers: int | None = None,
    progress: ImportProgress | None = None,
) -> ImportResult:
    """Record, send and wait for every document of one CSV file; the results are written as files."""
    if not path.is_file():
        raise ConnectorError(f"{path} is not a file")
    config = csv_source(settings, source_name)
    if stock.is_stock_file(path):
        raise ConnectorError(f"{path.name} is a stock file: csv import sends sales files; copy it into "
                             f"{config.options.get('folder', 'the drop folder')}/inbox/ while `etims-connector run`"
                             " runs (docs/csv-format.md, the stock file)")  # fmt: skip
    daemon = Daemon(settings.model_copy(update={"sources": [config]}), workers=workers)
    adapter = daemon.sources[config.name].adapter
    assert isinstance(adapter, CsvAdapter)
    adapter.watch_inbox = False  # only what is already claimed: this file (and unfinished earlier ones)
    started = time.monotonic()
    try:
        file_id = adapter.import_file(path)
        daemon.sweep()
        daemon.consumer.start()
        _read(daemon, config.name, adapter, progress)
        _wait(daemon, config.name, file_id, timeout, progress)
        return _result(adapter, file_id, time.monotonic() - started)
    finally:
        daemon.stop()


def _read(daemon: Daemon, source_name: str, adapter: CsvAdapter, progress: ImportProgress | None) -> None:
    """Stream the file into the ledger, waking the device's sender every few hundred documents."""
    device_key = daemon.sources[source_name].device.key
    documents = 0

    def on_progress(file: FileRecord, rows: int, total_rows: int) -> None:
        nonlocal documents
        documents += 1
        if documents % DRAIN_EVERY == 0:
            daemon.queue.enqueue_drain(device_key)
        if progress is not None:
            progress.reading(rows, total_rows)

    adapter.on_progress = on_progress
    try:
        daemon.pipeline.ingest(source_name)
    finally:
        adapter.on_progress = None


def _wait(
    daemon: Daemon, source_name: str, file_id: int, timeout: float | None, progress: ImportProgress | None
) -> None:
    adapter = daemon.sources[source_name].adapter
    assert isinstance(adapter, CsvAdapter)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        status = adapter.file_status(file_id)
        if status["read_again"]:  # another version of one of its documents was refused: record this one
            daemon.pipeline.ingest(source_name)
        counts = status["documents"]
        total = sum(counts.values())
        if progress is not None:
            progress.sending(total - counts.get(WAITING, 0), total)
        if status["state"] in (ARCHIVED, REJECTED):
            return
        if deadline is not None and time.monotonic() > deadline:
            return
        time.sleep(POLL_SECONDS)


def _result(adapter: CsvAdapter, file_id: int, seconds: float) -> ImportResult:
    status = adapter.file_status(file_id)
    return ImportResult(
        name=status["name"],
        state=status["state"],
        rows=status["rows"],
        documents={state: status["documents"].get(state, 0) for state in (ACCEPTED, NEEDS_FIX, WAITING)},
        problems=status["problems"],
        receipts=status["receipts"],
        errors=status["errors"],
        seconds=seconds,
    )
