"""Receipts files an accountant can reconcile: per-document totals (KES as KRA signed them, and in the
document's currency), and earlier results moved to superseded/ when a corrected file replaces them.
Real files, the real daemon (huey consumer), the KRA simulator over HTTP."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from connector.config import Settings
from connector.context import Context
from connector.kra.simulator import Simulator
from connector.ledger import Ledger
from connector.money import round_money
from connector.testing import wait_for
from plugins.csv import samples
from plugins.csv.folder import DropFolder
from plugins.csv.results import RECEIPT_COLUMNS, SignedTotals, read_rows, write_receipts
from plugins.csv.state import FolderState
from plugins.csv.testing import DAY, SOURCE_NAME, running_daemon, with_csv_source

TOTALS = ("taxable_kes", "vat_kes", "total_kes")
KRA_FIELDS = ("totTaxblAmt", "totTaxAmt", "totAmt")
IN_CURRENCY = ("taxable", "vat", "total")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "dropbox"


@pytest.fixture
def csv_settings(context: Context, settings: Settings, folder: Path) -> Settings:
    return with_csv_source(settings, folder)


def drop(folder: Path, name: str, rows: list[dict[str, str]]) -> None:
    """Drop a file and wait until every document in it is final (the file left processing/)."""
    samples.write(folder / "inbox" / name, rows)
    wait_for(lambda: not any((folder / "inbox").iterdir()) and not any((folder / "processing").iterdir()),
             what=f"{name} to be done")  # fmt: skip


def receipts(path: Path) -> dict[str, dict[str, str]]:
    return {row["document_number"]: row for row in read_rows(path)}


def signed_requests(simulator: Simulator) -> dict[str, dict[str, object]]:
    return {sale["trdInvcNo"]: sale for sale in simulator.sales()}


def test_kes_and_usd_rows_carry_the_signed_totals(
    csv_settings: Settings, folder: Path, simulator: Simulator, context: Context
) -> None:
    with running_daemon(csv_settings):
        drop(folder, "sales.csv", samples.sales(DAY))
        drop(folder, "mistakes.csv", samples.mistakes(DAY))
    path = folder / "outbox" / "sales.receipts.csv"
    header = path.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header[:14] == RECEIPT_COLUMNS[:14] and header[0] == "document_number" and header[13] == "row"
    assert header[14:] == ["currency", "exchange_rate", *TOTALS, *IN_CURRENCY]
    rows, sent = receipts(path), signed_requests(simulator)
    for number in ("INV-1001", "INV-1002", "INV-1003"):
        row = rows[number]
        assert [Decimal(row[c]) for c in TOTALS] == [Decimal(str(sent[number][f])) for f in KRA_FIELDS], number
    for number in ("INV-1001", "INV-1002"):  # KES: the same figures twice, rate 1
        assert (rows[number]["currency"], rows[number]["exchange_rate"]) == ("KES", "1")
        assert [rows[number][c] for c in IN_CURRENCY] == [rows[number][c] for c in TOTALS]
    usd = rows["INV-1003"]
    assert (usd["currency"], usd["exchange_rate"]) == ("USD", "129.45")
    rate = Decimal("129.45")
    assert [usd[c] for c in IN_CURRENCY] == [str(round_money(Decimal(usd[c]) / rate)) for c in TOTALS]
    assert [usd[c] for c in IN_CURRENCY] == ["960.00", "153.60", "1113.60"]  # 8 hours at 120.00 + 16 % VAT
    assert Decimal(usd["total_kes"]) == Decimal(usd["taxable_kes"]) + Decimal(usd["vat_kes"])
    mistakes = receipts(folder / "outbox" / "mistakes.receipts.csv")
    assert Decimal(mistakes["INV-2001"]["total_kes"]) == Decimal(str(sent["INV-2001"]["totAmt"]))
    for number in ("INV-2002", "INV-2003", "INV-2004", "INV-2005"):  # not signed: no totals
        assert mistakes[number]["status"] == "needs-fix"
        assert [mistakes[number][c] for c in ("currency", "exchange_rate", *TOTALS, *IN_CURRENCY)] == [""] * 8


def test_document_currency_figures_come_from_the_erps_totals_when_the_ledger_has_them(
    csv_settings: Settings, folder: Path, simulator: Simulator, context: Context
) -> None:
    with running_daemon(csv_settings):
        drop(folder, "sales.csv", samples.sales(DAY))
    ledger = Ledger(context.db)
    doc = ledger.find(SOURCE_NAME, "INV-1003", "invoice")
    assert doc is not None and doc.canonical
    canonical = json.loads(doc.canonical) | {"erp_totals": {"untaxed": "960.01", "tax": "153.59", "total": "1113.60"}}
    context.db.conn.execute("UPDATE documents SET canonical = ? WHERE id = ?", [json.dumps(canonical), doc.id])
    state, drop_folder = FolderState(folder), DropFolder(folder)
    try:
        [file] = state.finished_files_named("sales.csv")
        path = write_receipts(drop_folder, state, file, SignedTotals(ledger, SOURCE_NAME))
    finally:
        state.close()
    usd = receipts(path)["INV-1003"]
    assert [usd[c] for c in IN_CURRENCY] == ["960.01", "153.59", "1113.60"]
    assert Decimal(usd["total_kes"]) == Decimal(str(signed_requests(simulator)["INV-1003"]["totAmt"]))
    assert receipts(path)["INV-1001"]["total"] == receipts(path)["INV-1001"]["total_kes"]


def test_corrected_file_moves_the_earlier_results_to_superseded(
    csv_settings: Settings, folder: Path, simulator: Simulator
) -> None:
    corrected = samples.mistakes(DAY)
    corrected[1]["quantity"] = "2.5"  # INV-2002's decimal comma
    with running_daemon(csv_settings):
        drop(folder, "mistakes.csv", samples.mistakes(DAY))
        assert (folder / "outbox" / "mistakes.receipts.csv").exists()
        assert (folder / "rejected" / "mistakes.errors.csv").exists()
        drop(folder, "mistakes.csv", corrected)
    assert not (folder / "outbox" / "mistakes.receipts.csv").exists()
    assert not (folder / "rejected" / "mistakes.errors.csv").exists()
    old = receipts(folder / "outbox" / "superseded" / "mistakes.receipts.csv")
    assert old["INV-2002"]["status"] == "needs-fix"
    assert any(r["value"] == "2,5" for r in read_rows(folder / "rejected" / "superseded" / "mistakes.errors.csv"))
    current = receipts(folder / "outbox" / "mistakes~2.receipts.csv")
    assert current["INV-2002"]["status"] == "accepted" and current["INV-2002"]["total_kes"]
    assert (folder / "rejected" / "mistakes~2.errors.csv").exists()  # still has problems: it stays
    assert sorted(p.name for p in (folder / "outbox").glob("*.receipts.csv")) == ["mistakes~2.receipts.csv"]


def test_same_name_file_with_other_documents_leaves_the_earlier_results(
    csv_settings: Settings, folder: Path, simulator: Simulator
) -> None:
    yesterday = samples.sales(DAY)
    today = [row | {"document_number": row["document_number"].replace("INV-10", "INV-30")} for row in yesterday]
    today += [row for row in yesterday if row["document_number"] == "INV-1001"]  # one of yesterday's again
    with running_daemon(csv_settings):
        drop(folder, "daily.csv", yesterday)
        drop(folder, "daily.csv", today)
        drop(folder, "other.csv", yesterday)  # another name holding all of them: not a correction of daily.csv
    assert set(receipts(folder / "outbox" / "daily.receipts.csv")) == {"INV-1001", "INV-1002", "INV-1003"}
    assert len(receipts(folder / "outbox" / "daily~2.receipts.csv")) == 4
    assert (folder / "outbox" / "other.receipts.csv").exists()
    assert not (folder / "outbox" / "superseded").exists()
    assert len(simulator.sales()) == 6


def test_results_left_unwritten_by_a_crash_get_their_totals_after_the_restart(
    csv_settings: Settings, folder: Path, simulator: Simulator
) -> None:
    with running_daemon(csv_settings):
        drop(folder, "sales.csv", samples.sales(DAY))
    written = receipts(folder / "outbox" / "sales.receipts.csv")
    # the state a crash leaves between "every document final" and "results written, file archived"
    (folder / "archive" / "sales.csv").rename(folder / "processing" / "sales.csv")
    (folder / "outbox" / "sales.receipts.csv").unlink()
    state = FolderState(folder)
    state.conn.execute("UPDATE files SET state = 'ingested', finished_at = NULL WHERE name = 'sales.csv'")
    state.close()
    with running_daemon(csv_settings):
        wait_for(lambda: (folder / "archive" / "sales.csv").exists(), what="the recovered file to be finished")
    again = receipts(folder / "outbox" / "sales.receipts.csv")
    assert again == written and again["INV-1003"]["total"] == "1113.60"
    assert len(simulator.sales()) == 3
