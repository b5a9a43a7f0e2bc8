"""Start-up guards of `run` and `status`: a key that does not fit, a second `run` on the same data dir, a data
dir that cannot be used, private file modes, schema creation by processes starting together; and the
write-back sweeper that never gives up on a receipt. Real processes (`python -m connector.cli`), real files."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from connector.clock import now_utc
from connector.config import load_settings
from connector.daemon import write_backs_due
from connector.db import open_database
from connector.ledger import ACCEPTED, Ledger
from connector.queue import WRITE_BACK_RETRIES, make_huey
from tests.conftest import PIN, initialise_all

CONFIG = """
data_dir = "{data}"
[kra]
base_url = "{base}"
timeout_seconds = 5
[[devices]]
name = "hq"
pin = "{pin}"
branch = "00"
serial = "dvc-guards"
[[sources]]
name = "drop"
adapter = "csv"
options = {{ folder = "{drop}" }}
"""


def config_in(folder: Path, base: str, data: str = "data") -> Path:
    path = folder / "etims-connector.toml"
    path.write_text(CONFIG.format(data=data, base=base, pin=PIN, drop=folder / "drop"))
    return path


def cli(config: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60):
    command = [sys.executable, "-m", "connector.cli", "--config", str(config), *args]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ETIMS_")}
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env={**clean, **(env or {})})


@pytest.fixture
def initialised(tmp_path: Path, simulator) -> Path:
    config = config_in(tmp_path, simulator.legacy_base)
    initialise_all(load_settings(config)).close()
    return config


def test_run_with_a_key_that_does_not_fit_refuses_in_one_line_and_status_shows_it(initialised: Path) -> None:
    wrong = {"ETIMS_SECRET_KEY": Fernet.generate_key().decode()}
    run = cli(initialised, "run", env=wrong, timeout=30)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr and "encryption key does not fit" in run.stderr
    assert run.stderr.strip().startswith("error: cannot start")
    status = cli(initialised, "status", env=wrong)
    assert status.returncode == 0 and "! encryption key: the encryption key does not fit" in status.stdout
    assert "encryption key" not in cli(initialised, "status").stdout  # the right key: no alert


def test_run_with_a_missing_key_refuses(initialised: Path) -> None:
    key = initialised.parent / "data" / "secret.key"
    key.rename(key.with_suffix(".moved"))
    run = cli(initialised, "run", timeout=30)
    assert run.returncode == 2 and "no encryption key" in run.stderr and "Traceback" not in run.stderr


def test_a_second_run_on_the_same_data_dir_is_refused_naming_the_pid(initialised: Path) -> None:
    command = [sys.executable, "-m", "connector.cli", "--config", str(initialised), "run"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert first.stdout is not None
        assert "etims-connector: data in" in first.stdout.readline()  # it holds the lock now
        second = cli(initialised, "run", timeout=30)
        assert second.returncode == 2
        assert f"already running (PID {first.pid})" in second.stderr and "Traceback" not in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0


def test_a_data_dir_that_cannot_be_created_is_one_clear_error(tmp_path: Path, simulator) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    config = config_in(tmp_path, simulator.legacy_base, data=str(blocker / "data"))
    for command in (["run"], ["device", "init"], ["retry", "--all"]):
        result = cli(config, *command, timeout=30)
        assert result.returncode == 2, (command, result.stderr)
        assert "Traceback" not in result.stderr and f"data dir {blocker / 'data'} cannot be created" in result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder, so no folder is read-only to it")
def test_a_read_only_data_dir_is_one_clear_error(initialised: Path) -> None:
    data = initialised.parent / "data"
    data.chmod(0o500)
    try:
        result = cli(initialised, "retry", "--all", timeout=30)
    finally:
        data.chmod(0o700)
    assert result.returncode == 2 and f"data dir {data} is not writable" in result.stderr


def test_ledger_and_queue_files_are_private(tmp_path: Path, simulator) -> None:
    settings = load_settings(config_in(tmp_path, simulator.legacy_base))
    old = os.umask(0o022)  # the usual umask, which gave 0644 files in a 0755 folder
    try:
        db = open_database(settings.database_path)
        Ledger(db).note  # noqa: B018  (the schema is created)
        db.conn.execute("CREATE TABLE t (x)")  # a write: the -wal and -shm files exist now
        make_huey(settings).enqueue  # noqa: B018
    finally:
        os.umask(old)
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
    for name in ("ledger.db", "ledger.db-wal", "ledger.db-shm", "queue.db"):
        assert stat.S_IMODE((settings.data_dir / name).stat().st_mode) == 0o600, name


def test_processes_creating_the_schema_together_all_succeed(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from connector.db import open_database; "
        "from connector.ledger import Ledger; Ledger(open_database(Path(sys.argv[1])))"
    )
    target = tmp_path / "data" / "ledger.db"
    processes = [
        subprocess.Popen([sys.executable, "-c", script, str(target)], stderr=subprocess.PIPE) for _ in range(6)
    ]
    errors = [p.communicate(timeout=60)[1].decode() for p in processes]
    assert [p.returncode for p in processes] == [0] * 6, errors
    assert not (tmp_path / "data" / "ledger.db.schema-lock").stat().st_mode & 0o077


def test_the_sweeper_retries_a_failed_write_back_however_long_ago_with_its_own_backoff(tmp_path: Path) -> None:
    ledger = Ledger(open_database(tmp_path / "ledger.db"))
    now = now_utc()
    cases = {  # (write-back attempts, minutes since the last one) → due?
        (0, 0.5): False, (0, 2): True,  # never tried: a lost task, after a minute
        (3, 1): False, (3, 10): True,  # the queue's own retries come first
        (WRITE_BACK_RETRIES + 1, 30): False, (WRITE_BACK_RETRIES + 1, 61): True,  # retries ran out: hourly
        (40, 61): True,  # however many attempts ago
    }  # fmt: skip
    ids = {}
    for n, (attempts, minutes) in enumerate(cases):
        doc_id = ledger.record(source="s", external_id=str(n), kind="invoice", number=str(n), device_key="k",
                               canonical="{}", content_hash=str(n), source_ref={}).document_id  # fmt: skip
        at = (now - timedelta(minutes=minutes)).isoformat()
        ledger.db.execute("UPDATE documents SET state = ?, write_back_attempts = ?, updated_at = ? WHERE id = ?",
                          [ACCEPTED, attempts, at, doc_id])  # fmt: skip
        ids[doc_id] = cases[(attempts, minutes)]
    due = set(write_backs_due(ledger, retry_seconds=15, now=now))
    assert {doc_id: doc_id in due for doc_id in ids} == ids


def test_status_lists_receipts_not_yet_written_back_with_their_last_error(initialised: Path) -> None:
    settings = load_settings(initialised)
    ledger = Ledger(open_database(settings.database_path))
    doc_id = ledger.record(source="drop", external_id="X-1", kind="invoice", number="X-1", device_key=f"{PIN}/00",
                           canonical="{}", content_hash="h", source_ref={}).document_id  # fmt: skip
    failed = "state = ?, invoice_number = 7, write_back_attempts = 12, write_back_error = 'ConnectionError: ERP down'"
    ledger.db.execute(f"UPDATE documents SET {failed} WHERE id = ?", [ACCEPTED, doc_id])
    status = cli(initialised, "status")
    assert "Signed, receipt not yet written back to the source: 1" in status.stdout
    assert f"[id {doc_id}] drop:X-1 invcNo 7: 12 attempt(s), last error: ConnectionError: ERP down" in status.stdout
