"""`status` lists each current problem once; one that was since fixed or signed drops out."""

from __future__ import annotations

from pathlib import Path

from connector.cli import main
from connector.config import MonitorSettings, load_settings
from connector.context import Context
from connector.monitor import check
from connector.pipeline import Pipeline, Source, default_mapping
from tests.pipeline_helpers import make_invoice


def test_a_needs_fix_document_is_listed_once_and_drops_out_once_signed(config: Path, capsys) -> None:
    context = Context(load_settings(config))
    pipeline = Pipeline(context, {})
    source = Source("test", None, default_mapping("test"), context.settings.device())
    pipeline.record_invoice(make_invoice("P-1", tax="NO-SUCH-TAX"), source, {"test": "P-1"})
    pipeline.drain(context.settings.device().key)
    check(context.ledger, MonitorSettings())  # the monitor's own alert for the same document
    capsys.readouterr()
    assert main(["--config", str(config), "status"]) == 0
    out = capsys.readouterr().out
    assert [line for line in out.splitlines() if "P-1" in line] == [
        line for line in out.splitlines() if "! [id 1]" in line
    ]
    assert len([line for line in out.splitlines() if "P-1" in line]) == 1, out
    pipeline.record_invoice(make_invoice("P-1"), source, {"test": "P-1"})  # corrected in the source
    pipeline.drain(context.settings.device().key)
    assert context.ledger.documents()[0].state == "accepted"
    assert main(["--config", str(config), "status"]) == 0
    assert "P-1" not in capsys.readouterr().out


def test_status_without_configuration_says_where_it_looked(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ETIMS_CONFIG", raising=False)
    assert main(["status"]) == 1
    out = capsys.readouterr().out
    assert "no configuration file" in out and "etims-connector.toml" in out and "no ledger at" in out
    assert list(tmp_path.iterdir()) == []  # nothing created in the current folder
