"""Logs for `run`: JSON lines with document fields, a rotating file, one-line huey task errors."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connector import logs
from tests.conftest import initialise_all, make_settings
from tests.pipeline_helpers import make_invoice


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("huey").filters.clear()


def test_json_lines_carry_the_document_fields(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "connector.log"
    logs.configure("INFO", "json", log_file)
    logging.getLogger("connector.sending").info(
        "test:INV-1 → invcNo 7 accepted", extra={"document": "test:INV-1", "device": "P051234567A/00",
                                                 "state": "accepted", "outcome": "accepted"})  # fmt: skip
    logging.getLogger("httpx").info("HTTP Request: POST …")  # a duplicate of the client's own line: dropped
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert len(lines) == 1
    assert lines[0]["document"] == "test:INV-1" and lines[0]["outcome"] == "accepted"
    assert lines[0]["level"] == "INFO" and lines[0]["message"].endswith("accepted")


def test_huey_task_errors_are_one_line(tmp_path: Path) -> None:
    log_file = tmp_path / "connector.log"
    logs.configure("INFO", "text", log_file)
    try:
        raise ConnectionError("ERP is down")
    except ConnectionError:
        logging.getLogger("huey").exception("Unhandled exception in task write_back")
    text = log_file.read_text()
    assert "Unhandled exception in task write_back: ConnectionError: ERP is down" in text
    assert "Traceback" not in text and len(text.splitlines()) == 1


def test_run_writes_json_logs_to_its_file(tmp_path: Path, simulator) -> None:
    settings = make_settings(tmp_path, simulator.legacy_base)
    initialise_all(settings).close()
    log_file = tmp_path / "run.log"
    config = tmp_path / "etims-connector.toml"
    config.write_text(
        f'data_dir = "{settings.data_dir}"\nlog_format = "json"\nlog_file = "{log_file}"\n'
        f'[kra]\nbase_url = "{simulator.legacy_base}"\n'
        f'[[devices]]\nname = "branch00"\npin = "{settings.devices[0].pin}"\nbranch = "00"\nserial = "serial-0"\n'
        f'[[sources]]\nname = "drop"\nadapter = "csv"\noptions = {{ folder = "{tmp_path / "drop"}" }}\n'
    )
    process = subprocess.Popen([sys.executable, "-m", "connector.cli", "--config", str(config), "run"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (log_file.exists() and "running:" in log_file.read_text()):
            time.sleep(0.1)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    entries = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert any(e["message"].startswith("running: 1 source(s)") for e in entries)
    assert any(e["message"] == "stopping" for e in entries)


def test_one_line_per_document_per_outcome(tmp_path: Path, simulator, caplog: pytest.LogCaptureFixture) -> None:
    from connector.pipeline import Pipeline, Source, default_mapping

    settings = make_settings(tmp_path, simulator.legacy_base)
    context = initialise_all(settings)
    pipeline = Pipeline(context, {})
    source = Source("test", None, default_mapping("test"), settings.device())
    for invoice in (make_invoice("LOG-1"), make_invoice("LOG-BAD", tax="NO-SUCH-TAX")):
        pipeline.record_invoice(invoice, source, {"test": invoice.number})
    caplog.set_level(logging.DEBUG)
    pipeline.drain(settings.device().key)
    lines = [r for r in caplog.records if r.name == "connector.sending"]
    assert [r.getMessage().split(" (rcpt")[0] for r in lines][:1] == ["test:LOG-1 → invcNo 1 accepted"]
    assert lines[1].getMessage().startswith("test:LOG-BAD → needs-fix: ") and "NO-SUCH-TAX" in lines[1].getMessage()
    assert [getattr(r, "outcome", None) for r in lines] == ["accepted", "needs-fix"]
    kra = [r for r in caplog.records if r.name == "connector.kra" and "saveTrnsSalesOsdc" in r.getMessage()]
    assert len(kra) == 1 and kra[0].levelno == logging.DEBUG  # each KRA call once, at DEBUG
    assert not [r for r in caplog.records if r.name.startswith(("httpx", "httpcore")) and r.levelno >= logging.INFO]
