"""Test helpers for the CSV plugin: its conformance harness, and a drop folder run by the daemon.

TestCsvConformance = conformance_suite(CsvHarness)

with running_daemon(with_csv_source(settings, folder)):
    samples.write(folder / "inbox" / "sales.csv", rows)
    wait_for(lambda: (folder / "archive" / "sales.csv").exists())
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from connector.config import Settings, SourceSettings
from connector.daemon import Daemon
from connector.mapping import load_mapping
from plugins.csv import samples
from plugins.csv.adapter import CsvAdapter

SOURCE_NAME = "dropbox"
DAY = "2025-03-03"


class CsvHarness:
    """A drop folder holding one file: three invoices and a credit note."""

    def make_adapter(self, tmp_path: Path) -> CsvAdapter:
        folder = tmp_path / SOURCE_NAME
        options = {"folder": str(folder), "settle_seconds": 0}
        adapter = CsvAdapter.from_options(options, load_mapping("csv"), SOURCE_NAME)
        samples.write(folder / "inbox" / "sales.csv", samples.sales(DAY) + samples.credit_notes(DAY))
        return adapter  # type: ignore[return-value]

    def written_back(self, adapter: CsvAdapter, ref: dict[str, Any]) -> str | None:
        receipt = adapter.state.receipt_in_file(ref["file"], ref["document"], ref["kind"])
        return json.loads(receipt)["signature"] if receipt else None


def with_csv_source(settings: Settings, folder: Path, **options: Any) -> Settings:
    """The settings plus one quick CSV source on `folder` (tests: settle and poll in a blink)."""
    source = SourceSettings(
        name=SOURCE_NAME,
        adapter="csv",
        interval_seconds=0.05,
        options={"folder": str(folder), "settle_seconds": 0.1, **options},
    )
    return settings.model_copy(update={"sources": [source]})


@contextmanager
def running_daemon(settings: Settings, workers: int = 2) -> Iterator[Daemon]:
    """The real daemon (pollers, huey consumer), stopped when the block ends."""
    daemon = Daemon(settings, workers=workers)
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()
