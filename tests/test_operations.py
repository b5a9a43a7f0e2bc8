"""What the person running the connector sees: status, retry, doctor, submit, the monitor."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from connector.cli import main
from connector.clock import now_utc
from connector.config import MonitorSettings, load_settings
from connector.context import Context
from connector.ledger import NEEDS_FIX, Ledger
from connector.monitor import check
from connector.pipeline import Pipeline, Source, default_mapping
from tests.conftest import PIN, initialise_all, write_config
from tests.pipeline_helpers import leave_in_flight, make_invoice


def write_invoice(tmp_path: Path, number: str, **kwargs: object) -> Path:
    path = tmp_path / f"{number}.json"
    path.write_text(make_invoice(number, **kwargs).model_dump_json())
    return path


def test_submit_prints_the_receipt(config: Path, tmp_path: Path, capsys, simulator) -> None:
    capsys.readouterr()
    assert main(["--config", str(config), "submit", str(write_invoice(tmp_path, "SUB-1"))]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["state"] == "accepted" and out["receipt"]["invoice_number"] == 1
    assert out["receipt"]["qr_url"].endswith(f"{PIN}00{out['receipt']['signature']}")
    assert simulator.signature_counts()[f"{PIN}/00"] == {1: 1}


def test_a_rejected_submission_says_why_then_status_and_retry(config: Path, tmp_path: Path, capsys) -> None:
    bad = write_invoice(tmp_path, "SUB-BAD", tax="NO-SUCH-TAX")
    capsys.readouterr()
    assert main(["--config", str(config), "submit", str(bad)]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["state"] == NEEDS_FIX and "NO-SUCH-TAX" in result["reason"] and "taxes" in result["reason"]
    assert main(["--config", str(config), "status"]) == 0
    status = capsys.readouterr().out
    assert "needs-fix 1" in status and "last invcNo 0" in status and "NO-SUCH-TAX" in status
    assert main(["--config", str(config), "retry", "test:SUB-BAD"]) == 0
    assert "queued again: test:SUB-BAD" in capsys.readouterr().out
    assert main(["--config", str(config), "retry", "--all"]) == 0
    assert "no needs-fix documents" in capsys.readouterr().out


def test_doctor_reports_each_check(config: Path, capsys) -> None:
    assert main(["--config", str(config), "doctor"]) == 0
    out = capsys.readouterr().out
    assert "[ok] device hq" in out and "KRA answers" in out and "[FAIL]" not in out


def test_doctor_fails_clearly_when_kra_is_down(tmp_path: Path, capsys) -> None:
    path = tmp_path / "c.toml"
    write_config(path, "http://127.0.0.1:9/etims-api")
    assert main(["--config", str(path), "doctor"]) == 1
    assert "[FAIL] device hq (P051234567A/00): " in capsys.readouterr().out


class _Webhook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:
        self.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_monitor_flags_old_unsigned_and_needs_fix_once_and_calls_the_webhook(settings) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    context = initialise_all(settings)
    pipeline = Pipeline(context, {})
    source = Source("test", None, default_mapping("test"), settings.device())
    old_id = pipeline.record_invoice(make_invoice("OLD-1"), source, {})
    bad_id = pipeline.record_invoice(make_invoice("BAD-1", tax="NOPE"), source, {})
    ledger = Ledger(context.db)
    ledger.transition(bad_id, NEEDS_FIX, "test", reason="tax code NOPE unknown")
    yesterday = (now_utc() - timedelta(hours=25)).isoformat()
    ledger.db.execute("UPDATE documents SET created_at = ? WHERE id = ?", [yesterday, old_id])
    monitor = MonitorSettings(webhook_url=f"http://127.0.0.1:{server.server_address[1]}/hook")
    flags = check(ledger, monitor, context.http)
    assert {(f.kind, f.document_id) for f in flags} == {("unsigned-too-long", old_id), ("needs-fix", bad_id)}
    assert check(ledger, monitor, context.http) == []  # flagged once
    server.shutdown()
    assert [f["kind"] for f in _Webhook.received[0]["flags"]] == ["unsigned-too-long", "needs-fix"]
    assert ledger.db["alerts"].count == 2


def test_reconcile_resolves_what_a_crash_left_in_flight(config: Path, tmp_path: Path, capsys, simulator) -> None:
    settings = load_settings(config)
    context = Context(settings)
    pipeline = Pipeline(context, {})
    doc_id = pipeline.record_invoice(
        make_invoice("LOST-1"), Source("test", None, default_mapping("test"), settings.device()), {}
    )
    leave_in_flight(context, settings.device(), context.ledger.get(doc_id))
    capsys.readouterr()
    assert main(["--config", str(config), "reconcile"]) == 0
    assert "test:LOST-1: invcNo 1 → accepted" in capsys.readouterr().out
    assert simulator.signature_counts()[f"{PIN}/00"] == {1: 1}  # not found by read-back, so sent once
    assert main(["--config", str(config), "reconcile"]) == 0
    assert "nothing to reconcile" in capsys.readouterr().out
