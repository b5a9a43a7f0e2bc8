"""`show`, `discard` and `device resync`, as the person running the connector uses them."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from connector.cli import main
from connector.config import load_settings
from connector.context import Context
from connector.daemon import Daemon
from connector.ledger import Ledger
from connector.ledger.schema import SIGNED
from connector.pipeline import Pipeline, Source, default_mapping
from connector.testing import wait_for
from tests.conftest import PIN
from tests.pipeline_helpers import make_invoice

KEY = f"{PIN}/00"


def record(config: Path, numbers: list[str], **kwargs: object) -> Context:
    context = Context(load_settings(config))
    pipeline = Pipeline(context, {})
    source = Source("test", None, default_mapping("test"), context.settings.device())
    for number in numbers:
        pipeline.record_invoice(make_invoice(number, **kwargs), source, {"test": number})
    return context


def drain(config: Path) -> Ledger:
    context = Context(load_settings(config))
    Pipeline(context, {}).drain(KEY)
    return context.ledger


def test_show_prints_history_and_exchanges(config: Path, capsys) -> None:
    record(config, ["SHOW-1"])
    drain(config)
    capsys.readouterr()
    assert main(["--config", str(config), "show", "test:SHOW-1"]) == 0
    out = capsys.readouterr().out
    assert "test:SHOW-1 (id 1, invoice): accepted" in out and "invcNo 1" in out
    assert "queued → sending: sending invcNo 1" in out and "saveTrnsSalesOsdc → accepted 000" in out
    assert main(["--config", str(config), "show", "1", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["state"] == "accepted" and shown["canonical"]["number"] == "SHOW-1"
    assert [x["endpoint"] for x in shown["exchanges"]][-1] == "saveTrnsSalesOsdc"
    assert main(["--config", str(config), "show", "test:NOPE"]) == 2
    assert "no document 'test:NOPE'" in capsys.readouterr().err


def test_discard_closes_an_unsent_document_for_good(config: Path, capsys) -> None:
    record(config, ["KEEP-1"])
    record(config, ["BAD-1"], tax="NO-SUCH-TAX")
    ledger = drain(config)
    assert [d.state for d in ledger.documents()] == ["accepted", "needs-fix"]
    assert main(["--config", str(config), "discard", "test:BAD-1", "--reason", "entered twice by mistake"]) == 0
    assert "discarded test:BAD-1" in capsys.readouterr().out
    bad = ledger.documents("number = 'BAD-1'")[0]
    assert bad.state == "discarded" and bad.reason == "entered twice by mistake"
    assert main(["--config", str(config), "retry", "test:BAD-1"]) == 2  # final: cannot be queued again
    assert main(["--config", str(config), "discard", "test:KEEP-1", "--reason", "oops"]) == 2
    assert "a signed one needs a credit note" in capsys.readouterr().err
    assert ledger.documents("number = 'KEEP-1'")[0].state == "accepted"


def test_resync_after_the_ledger_ran_ahead_of_kra(config: Path, capsys, simulator) -> None:
    context = record(config, ["STEP-1", "STEP-2"])
    context.ledger.db.execute("INSERT INTO sequences (device_key, next_invoice_number) VALUES (?, 5)", [KEY])
    ledger = drain(config)
    assert ledger.documents()[0].state == "retry-wait"  # KRA said "expected: 1 but found: 5"
    capsys.readouterr()
    assert main(["--config", str(config), "device", "resync", "hq"]) == 0
    out = capsys.readouterr().out
    assert "ledger next invcNo 5, KRA next 1" in out and "run again with --yes" in out
    assert ledger.next_number(KEY) == 5  # a plan only
    assert main(["--config", str(config), "device", "resync", "hq", "--yes"]) == 0
    assert ledger.next_number(KEY) == 1
    ledger.db.execute("UPDATE documents SET next_attempt_at = NULL")
    drain(config)
    assert [(d.number, d.state, d.invoice_number) for d in ledger.documents()] == [
        ("STEP-1", "accepted", 1), ("STEP-2", "accepted", 2)]  # fmt: skip
    assert simulator.signature_counts()[KEY] == {1: 1, 2: 1}


def test_resync_adopts_what_kra_signed_for_a_ledger_restored_from_backup(
    config: Path, tmp_path: Path, capsys, simulator
) -> None:
    record(config, ["B-1", "B-2", "B-3"])
    backup = tmp_path / "backup"
    shutil.copytree(tmp_path / "data", backup, ignore=shutil.ignore_patterns("ledger.db*"))
    with sqlite3.connect(tmp_path / "data" / "ledger.db") as live, sqlite3.connect(backup / "ledger.db") as copy:
        live.backup(copy)
    drain(config)  # the live ledger signs B-1..B-3 as 1..3, then the disk is lost
    shutil.rmtree(tmp_path / "data")
    backup.rename(tmp_path / "data")
    record(config, ["B-4"])
    capsys.readouterr()
    assert main(["--config", str(config), "device", "resync", "hq", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "ledger next invcNo 1, KRA next 4" in out and "signed at KRA for test:B-2: adopt its receipt" in out
    ledger = drain(config)
    docs = {d.number: d for d in ledger.documents()}
    assert {n: (d.state in SIGNED, d.invoice_number) for n, d in docs.items()} == {
        "B-1": (True, 1), "B-2": (True, 2), "B-3": (True, 3), "B-4": (True, 4)}  # fmt: skip
    assert docs["B-2"].receipt["signature"] and simulator.signature_counts()[KEY] == {1: 1, 2: 1, 3: 1, 4: 1}


def test_resync_refuses_while_a_document_is_in_flight(config: Path, capsys) -> None:
    from tests.pipeline_helpers import leave_in_flight

    context = record(config, ["FLY-1"])
    leave_in_flight(context, context.settings.device(), context.ledger.documents()[0])
    assert main(["--config", str(config), "device", "resync", "hq", "--yes"]) == 2
    assert "in flight (test:FLY-1)" in capsys.readouterr().err


def test_a_running_daemon_never_sends_a_discarded_document(config: Path) -> None:
    record(config, ["D-1"], tax="NO-SUCH-TAX")
    drain(config)
    assert main(["--config", str(config), "discard", "test:D-1", "--reason", "never"]) == 0
    daemon = Daemon(load_settings(config), sources={}, workers=1)
    daemon.start()
    try:
        record(config, ["D-2"])
        ledger = Ledger(daemon.context.db)
        wait_for(lambda: ledger.documents("number = 'D-2'")[0].state in SIGNED, what="D-2 signed")
    finally:
        daemon.stop()
    assert ledger.documents("number = 'D-1'")[0].state == "discarded"
    assert ledger.documents("number = 'D-2'")[0].invoice_number == 1
