"""Poison input never stops a source or a device: the real CSV folder, the real daemon, the simulator over HTTP.

Each poison kind once made a whole source or device stop (issue 8): a 27-digit quantity left the file and
every later file in processing/, a 27-digit price made every drain of its device raise, 0001-01-01 made
content_hash overflow. Here poison files and poison documents sit between good ones; the good ones must all
be signed and each poison one refused with its field and value named.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connector import jsonio
from connector.cli import main
from connector.config import Settings
from connector.context import Context
from connector.kra.simulator import Simulator
from connector.ledger import NEEDS_FIX, Ledger
from connector.ledger.schema import SIGNED
from connector.pipeline import Pipeline, Source, default_mapping
from connector.status import collect
from connector.testing import wait_for
from plugins.csv import samples
from plugins.csv.results import read_rows
from plugins.csv.testing import DAY, running_daemon, with_csv_source
from tests.conftest import write_config
from tests.pipeline_helpers import make_invoice

# (document number, column, poison value, what the refusal must name)
POISON = [
    ("BAD-QTY", "quantity", "1" * 27, "quantity"),
    ("BAD-PRICE", "unit_price", "9" * 27, "unit_price"),
    ("BAD-DATE", "issued_at", "0001-01-01", "issued_at"),
    ("BAD-NAN", "quantity", "NaN", "quantity"),
    ("BAD-EXP", "unit_price", "1E+400", "unit_price"),
    ("BAD-CTRL", "item_name", "Soap\x07bell", "item_name"),
    ("BAD-BIDI", "buyer_name", "Evil \u202egnp.exe", "buyer_name"),
    ("BAD-DIGITS", "quantity", "١٢", "quantity"),
    ("BAD-WIDE", "unit_price", "１００", "unit_price"),
]


def good(number: str) -> dict[str, str]:
    return samples.line(number, "SUGAR-2KG", "2", "116.00", "VAT16", issued_at=f"{DAY} 10:00", **samples.BUYER)


def poison(number: str, column: str, value: str) -> dict[str, str]:
    return good(number) | {column: value}


def idle(folder: Path) -> bool:
    return not any((folder / "inbox").iterdir()) and not any((folder / "processing").iterdir())


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "dropbox"


def test_poison_documents_and_files_between_good_ones(
    context: Context, settings: Settings, folder: Path, simulator: Simulator
) -> None:
    csv_settings = with_csv_source(settings, folder)
    mixed = []
    for index, (number, column, value, _) in enumerate(POISON):
        mixed += [good(f"GOOD-{index}"), poison(number, column, value)]
    mixed.append(good("GOOD-LAST"))
    with running_daemon(csv_settings):
        samples.write(folder / "inbox" / "a-mixed.csv", mixed)
        (folder / "inbox" / "b-binary.csv").write_bytes(b"\xff\xfe\x00garbage\x00")  # not UTF-8 at all
        (folder / "inbox" / "c-empty.csv").write_text("")
        samples.write(folder / "inbox" / "d-poison-only.csv", [poison("ONLY-QTY", "quantity", "1" * 27)])
        samples.write(folder / "inbox" / "e-after.csv", [good("AFTER-1"), good("AFTER-2")])
        wait_for(lambda: idle(folder), timeout=60, what="every file to leave inbox/ and processing/")

    signed = {sale["trdInvcNo"] for sale in simulator.sales()}
    goods = {f"GOOD-{i}" for i in range(len(POISON))} | {"GOOD-LAST", "AFTER-1", "AFTER-2"}
    assert signed == goods  # every good one, no poison one

    ledger = Ledger(context.db)
    for number, _, _value, field in POISON:
        doc = ledger.find("dropbox", number, "invoice")
        assert doc is not None and doc.state == NEEDS_FIX, number
        assert field in (doc.reason or ""), (number, doc.reason)
    errors = read_rows(folder / "rejected" / "a-mixed.errors.csv")
    for number, _, value, field in POISON:
        rows = [row for row in errors if row["document_number"] == number]
        assert rows and rows[0]["column"] == field, (number, rows)
        if value.isprintable():
            assert rows[0]["value"] == value, (number, rows[0])
    assert (folder / "rejected" / "b-binary.csv").exists() and (folder / "rejected" / "c-empty.csv").exists()
    assert (folder / "rejected" / "b-binary.errors.csv").exists()
    assert (folder / "archive" / "d-poison-only.csv").exists() and (folder / "archive" / "e-after.csv").exists()

    status = collect(context, ledger)
    assert status["documents"].get(NEEDS_FIX) == len(POISON) + 1, status["documents"]


def test_a_poison_invoice_given_to_the_pipeline_is_needs_fix_and_the_device_goes_on(
    context: Context, simulator: Simulator
) -> None:
    """Built without validation (as a careless adapter could), recorded through the one boundary."""
    device = context.settings.device()
    source = Source("test", None, default_mapping("test"), device)
    pipeline = Pipeline(context, {"test": source})
    first = pipeline.record_invoice(make_invoice("P-1"), source, {})
    broken = make_invoice("P-2").model_copy(update={"branch": "nowhere"})
    bad = pipeline.record_invoice(broken, source, {})
    last = pipeline.record_invoice(make_invoice("P-3"), source, {})
    pipeline.drain(device.key, budget_seconds=30)
    ledger = Ledger(context.db)
    assert ledger.get(first).state in SIGNED and ledger.get(last).state in SIGNED
    refused = ledger.get(bad)
    assert refused.state == NEEDS_FIX and "branch" in (refused.reason or "") and "nowhere" in (refused.reason or "")


def test_submit_with_poison_is_one_clear_error_and_later_invoices_are_signed(
    tmp_path: Path, simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "etims-connector.toml", simulator.legacy_base)
    assert main(["--config", str(config), "device", "init"]) == 0
    for number, field, value in (("SUB-1", "quantity", "1" * 27), ("SUB-2", "unit_price", "NaN")):
        data = jsonio.loads(make_invoice(number).model_dump_json())
        data["lines"][0][field] = value
        (tmp_path / f"{number}.json").write_text(jsonio.dumps(data))
    dated = jsonio.loads(make_invoice("SUB-3").model_dump_json()) | {"issued_at": "0001-01-01T00:00:00+03:00"}
    (tmp_path / "SUB-3.json").write_text(jsonio.dumps(dated))
    (tmp_path / "SUB-4.json").write_text(make_invoice("SUB-4").model_dump_json())
    capsys.readouterr()
    for number, field in (("SUB-1", "quantity"), ("SUB-2", "unit_price"), ("SUB-3", "issued_at")):
        assert main(["--config", str(config), "submit", str(tmp_path / f"{number}.json")]) == 1
        error = capsys.readouterr().err
        assert f"document {number}" in error and f"field {field}" in error, error
    assert main(["--config", str(config), "submit", str(tmp_path / "SUB-4.json")]) == 0
    assert json.loads(capsys.readouterr().out)["receipt"]["invoice_number"] == 1  # nothing before it queued
