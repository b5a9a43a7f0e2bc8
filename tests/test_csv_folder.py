"""The drop folder without the daemon: when a file counts as complete, names, and restarts."""

from __future__ import annotations

import os
import time
from pathlib import Path

from connector.mapping import load_mapping
from plugins.csv import samples
from plugins.csv.adapter import CsvAdapter
from plugins.csv.folder import DropFolder
from plugins.csv.testing import DAY


def adapter_on(folder: Path, **options: object) -> CsvAdapter:
    return CsvAdapter.from_options({"folder": str(folder), "settle_seconds": 0, **options}, load_mapping("csv"), "shop")  # type: ignore[return-value]


def test_a_file_is_complete_once_it_stopped_changing_or_has_a_marker(tmp_path: Path) -> None:
    folder = DropFolder(tmp_path, settle_seconds=0.4)
    path = samples.write(tmp_path / "inbox" / "sales.csv", samples.sales(DAY))
    assert folder.complete_files() == []  # just written
    time.sleep(0.5)
    assert folder.complete_files() == [path]
    with path.open("a", encoding="utf-8") as handle:
        handle.write("INV-1004,invoice\r\n")  # it grows again
    assert folder.complete_files() == []
    (tmp_path / "inbox" / "sales.csv.ready").touch()
    assert folder.complete_files() == [path]


def test_only_marked_files_when_markers_are_required(tmp_path: Path) -> None:
    folder = DropFolder(tmp_path, settle_seconds=0, require_ready=True)
    path = samples.write(tmp_path / "inbox" / "sales.csv", samples.sales(DAY))
    old = time.time() - 3600
    os.utime(path, (old, old))
    assert folder.complete_files() == []
    (tmp_path / "inbox" / "sales.csv.ready").touch()
    assert folder.complete_files() == [path]


def test_temporary_and_hidden_files_are_never_taken(tmp_path: Path) -> None:
    folder = DropFolder(tmp_path, settle_seconds=0)
    for name in (".sales.csv", "~$sales.csv", "sales.csv.tmp", "sales.txt"):
        (tmp_path / "inbox" / name).write_text("x", encoding="utf-8")
    assert folder.complete_files() == []


def test_files_with_the_same_name_get_their_own_stem(tmp_path: Path) -> None:
    adapter = adapter_on(tmp_path)
    for _ in range(3):
        samples.write(tmp_path / "inbox" / "sales.csv", samples.sales(DAY))
        adapter.claim_complete_files()
    assert sorted(p.name for p in (tmp_path / "processing").iterdir()) == ["sales.csv", "sales~2.csv", "sales~3.csv"]
    adapter.close()


def test_a_file_interrupted_while_read_is_read_again_after_a_restart(tmp_path: Path) -> None:
    adapter = adapter_on(tmp_path)
    samples.write(tmp_path / "inbox" / "sales.csv", samples.sales(DAY))
    documents = adapter.fetch_new(None)
    next(documents)  # the connector stops after the first document
    documents.close()
    adapter.close()
    (tmp_path / "processing" / "lost.csv").write_text(samples.csv_text(samples.credit_notes(DAY)), encoding="utf-8")

    restarted = adapter_on(tmp_path)  # also finds lost.csv, claimed just before a crash
    numbers = [doc.external_id for doc, _ in restarted.fetch_new(None)]
    assert numbers == ["INV-1001", "INV-1002", "INV-1003", "CN-1001"]
    assert list(restarted.fetch_new(None)) == []
    restarted.close()


def test_invoices_are_read_before_credit_notes(tmp_path: Path) -> None:
    adapter = adapter_on(tmp_path)
    samples.write(tmp_path / "inbox" / "mixed.csv", samples.credit_notes(DAY) + samples.sales(DAY))
    assert [doc.external_id for doc, _ in adapter.fetch_new(None)] == ["INV-1001", "INV-1002", "INV-1003", "CN-1001"]
    adapter.close()
