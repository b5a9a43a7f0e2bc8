"""The CSV drop folder end to end: real files, the real daemon (huey consumer), the simulator over HTTP."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from connector.config import Settings
from connector.context import Context
from connector.kra.simulator import Simulator
from connector.ledger import NEEDS_FIX, Ledger
from connector.testing import wait_for
from plugins.csv import samples
from plugins.csv.results import read_rows
from plugins.csv.testing import DAY, running_daemon, with_csv_source


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "dropbox"


@pytest.fixture
def csv_settings(context: Context, settings: Settings, folder: Path) -> Settings:
    return with_csv_source(settings, folder)


def archived(folder: Path, name: str) -> bool:
    return (folder / "archive" / name).exists()


def idle(folder: Path) -> bool:
    return not any((folder / "inbox").iterdir()) and not any((folder / "processing").iterdir())


def drop(folder: Path, name: str, rows: list[dict[str, str]], **options: object) -> None:
    """Drop a file and wait until every document in it is final (the file left processing/)."""
    samples.write(folder / "inbox" / name, rows, **options)  # type: ignore[arg-type]
    wait_for(lambda: idle(folder), what=f"{name} to be done")


def receipts(folder: Path, stem: str) -> dict[str, dict[str, str]]:
    return {row["document_number"]: row for row in read_rows(folder / "outbox" / f"{stem}.receipts.csv")}


def signed_once(simulator: Simulator) -> dict[str, str]:
    """trdInvcNo -> signature of every sale the simulator signed, checking none was signed twice."""
    counts = simulator.signature_counts().get("P051234567A/00", {})
    assert all(count == 1 for count in counts.values()), counts
    return {sale["trdInvcNo"]: sale["receipt"]["rcptSign"] for sale in simulator.sales()}


def test_happy_path_signs_every_document_once(csv_settings: Settings, folder: Path, simulator: Simulator) -> None:
    with running_daemon(csv_settings):
        drop(folder, "sales.csv", samples.sales(DAY))
    found = receipts(folder, "sales")
    assert list(found) == ["INV-1001", "INV-1002", "INV-1003"]
    signatures = signed_once(simulator)
    for number, row in found.items():
        assert row["status"] == "accepted"
        assert row["signature"] == signatures[number]
        assert row["qr_url"].endswith("P051234567A00" + row["signature"])
        assert row["internal_data"] and row["scu_id"] and row["signed_at"]
    assert sorted(int(r["kra_invoice_number"]) for r in found.values()) == [1, 2, 3]
    assert not list((folder / "inbox").iterdir()) and not list((folder / "processing").iterdir())
    assert not (folder / "rejected" / "sales.errors.csv").exists()


def test_credit_note_against_an_earlier_files_invoice(
    csv_settings: Settings, folder: Path, simulator: Simulator
) -> None:
    unknown = samples.credit_notes(DAY)[0] | {"document_number": "CN-1002", "original_document": "INV-9999"}
    with running_daemon(csv_settings):
        drop(folder, "sales.csv", samples.sales(DAY))
        drop(folder, "returns.csv", [*samples.credit_notes(DAY), unknown], delimiter=";")
    note = receipts(folder, "returns")["CN-1001"]
    assert note["status"] == "accepted", note["message"]
    refused = receipts(folder, "returns")["CN-1002"]
    assert refused["status"] == "needs-fix" and "original invoice has not been accepted" in refused["message"]
    [error] = read_rows(folder / "rejected" / "returns.errors.csv")  # refused when sent: no column
    assert (error["row"], error["document_number"], error["column"]) == ("3", "CN-1002", "")
    original = receipts(folder, "sales")["INV-1001"]
    sale = next(s for s in simulator.sales() if s["trdInvcNo"] == "CN-1001")
    assert sale["rcptTyCd"] == "R" and int(sale["orgInvcNo"]) == int(original["kra_invoice_number"])
    assert signed_once(simulator)["CN-1001"] == note["signature"]


def test_mixed_file_sends_the_good_documents_and_reports_the_bad_rows(
    csv_settings: Settings, folder: Path, simulator: Simulator, context: Context
) -> None:
    with running_daemon(csv_settings):
        drop(folder, "mistakes.csv", samples.mistakes(DAY))
    assert set(signed_once(simulator)) == {"INV-2001"}
    statuses = {number: row["status"] for number, row in receipts(folder, "mistakes").items()}
    assert statuses == {"INV-2001": "accepted", "INV-2002": "needs-fix", "INV-2003": "needs-fix",
                        "INV-2004": "needs-fix", "INV-2005": "needs-fix"}  # fmt: skip
    errors = [(r["file"], r["row"], r["document_number"], r["column"], r["value"])
              for r in read_rows(folder / "rejected" / "mistakes.errors.csv")]  # fmt: skip
    assert errors == [
        ("mistakes.csv", "3", "INV-2002", "quantity", "2,5"),
        ("mistakes.csv", "4", "INV-2003", "tax_code", "VAT20"),
        ("mistakes.csv", "5", "INV-2004", "issued_at", ""),
        ("mistakes.csv", "5", "INV-2004", "buyer_pin", "P05123"),
        ("mistakes.csv", "6", "INV-2005", "unit", "crate"),
        ("mistakes.csv", "7", "", "document_number", ""),
    ]
    messages = [r["message"] for r in read_rows(folder / "rejected" / "mistakes.errors.csv")]
    assert "decimal comma" in messages[0] and "VAT20" in messages[1] and "crate" in messages[4]
    needs_fix = Ledger(context.db).documents("state = ?", [NEEDS_FIX])
    assert sorted(doc.number for doc in needs_fix) == ["INV-2002", "INV-2003", "INV-2004", "INV-2005"]


def test_half_written_file_is_claimed_only_once_it_stops_growing(
    context: Context, settings: Settings, folder: Path, simulator: Simulator
) -> None:
    rows = samples.csv_text(samples.sales(DAY)).splitlines(keepends=True)
    path = folder / "inbox" / "sales.csv"
    with running_daemon(with_csv_source(settings, folder, settle_seconds=0.6)):
        wait_for(lambda: (folder / "inbox").is_dir())
        with path.open("w", encoding="utf-8", newline="") as handle:
            for text in rows:
                handle.write(text)
                handle.flush()
                time.sleep(0.3)
                assert path.exists(), "claimed while it was still being written"
        wait_for(lambda: archived(folder, "sales.csv"))
    assert len(receipts(folder, "sales")) == 3 and len(signed_once(simulator)) == 3


def test_ready_marker_claims_a_file_without_waiting(
    context: Context, settings: Settings, folder: Path, simulator: Simulator
) -> None:
    path = folder / "inbox" / "sales.csv"
    with running_daemon(with_csv_source(settings, folder, settle_seconds=3600)):
        wait_for(lambda: (folder / "inbox").is_dir())
        samples.write(path, samples.sales(DAY))
        time.sleep(0.5)
        assert path.exists(), "claimed before it settled and without a marker"
        (folder / "inbox" / "sales.csv.ready").touch()
        wait_for(lambda: archived(folder, "sales.csv"))
    assert not (folder / "inbox" / "sales.csv.ready").exists()
    assert len(signed_once(simulator)) == 3


def test_same_file_dropped_twice_is_signed_once_and_both_copies_get_receipts(
    csv_settings: Settings, folder: Path, simulator: Simulator
) -> None:
    with running_daemon(csv_settings):
        drop(folder, "sales.csv", samples.sales(DAY))
        drop(folder, "sales.csv", samples.sales(DAY))
        samples.write(folder / "inbox" / "copy-a.csv", samples.sales(DAY))  # two copies at once
        samples.write(folder / "inbox" / "copy-b.csv", samples.sales(DAY))
        wait_for(lambda: idle(folder))
    assert archived(folder, "sales~2.csv")
    assert not (folder / "outbox" / "sales.receipts.csv").exists()  # the second drop holds it all: superseded
    first, *others = (receipts(folder, stem) for stem in ("superseded/sales", "sales~2", "copy-a", "copy-b"))
    for other in others:
        assert {n: r["signature"] for n, r in other.items()} == {n: r["signature"] for n, r in first.items()}
    assert len(signed_once(simulator)) == 3


def test_corrected_file_sends_only_the_fixed_document(
    csv_settings: Settings, folder: Path, simulator: Simulator
) -> None:
    corrected = samples.mistakes(DAY)
    corrected[1]["quantity"] = "2.5"  # INV-2002's decimal comma
    with running_daemon(csv_settings):
        drop(folder, "mistakes.csv", samples.mistakes(DAY))
        first_signature = signed_once(simulator)["INV-2001"]
        drop(folder, "mistakes.csv", corrected)
    assert set(signed_once(simulator)) == {"INV-2001", "INV-2002"}
    again = receipts(folder, "mistakes~2")
    assert again["INV-2001"]["signature"] == first_signature
    assert again["INV-2002"]["status"] == "accepted"
    assert again["INV-2003"]["status"] == "needs-fix"


def test_document_changed_after_signing_is_not_sent_again(
    csv_settings: Settings, folder: Path, simulator: Simulator
) -> None:
    changed = samples.sales(DAY)
    changed[3]["unit_price"] = "16000.00"  # INV-1002, already signed
    with running_daemon(csv_settings):
        drop(folder, "sales.csv", samples.sales(DAY))
        drop(folder, "sales-v2.csv", changed)
    row = receipts(folder, "sales-v2")["INV-1002"]
    assert row["status"] == "accepted" and "credit note" in row["message"]
    assert row["signature"] == receipts(folder, "sales")["INV-1002"]["signature"]
    assert len(signed_once(simulator)) == 3


def test_unreadable_file_is_rejected_whole(csv_settings: Settings, folder: Path, simulator: Simulator) -> None:
    text = samples.csv_text(samples.sales(DAY)).replace("Sugar", "Sucre glacé")
    with running_daemon(csv_settings):
        (folder / "inbox").mkdir(parents=True, exist_ok=True)
        (folder / "inbox" / "latin1.csv").write_bytes(text.encode("cp1252"))
        wait_for(lambda: (folder / "rejected" / "latin1.csv").exists())
    [error] = read_rows(folder / "rejected" / "latin1.errors.csv")
    assert error["file"] == "latin1.csv" and error["row"] == "2" and "not UTF-8" in error["message"]
    assert simulator.sales() == []
