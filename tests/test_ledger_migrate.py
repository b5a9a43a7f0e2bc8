"""`ledger migrate --to postgresql://…`: a real SQLite ledger with signed documents, copied, verified, and
`run` on the PostgreSQL ledger goes on with the next invoice number (the simulator saw each number once)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from connector.cli import main
from connector.config import Settings, load_settings
from connector.context import Context
from connector.daemon import Daemon
from connector.db_postgres import open_postgres
from connector.ledger import Ledger
from connector.ledger.migrate import TABLES
from connector.pipeline import Pipeline, Source, default_mapping
from connector.source_credentials import SourceSecrets
from connector.testing import wait_for
from tests.conftest import write_config
from tests.pipeline_helpers import all_final, make_invoice
from tests.postgres_helpers import postgres_url  # noqa: F401  (a fixture)


def _sign(settings: Settings, numbers: list[str], total: int) -> Ledger:
    """Record these invoices and run the engine until `total` documents are final."""
    context = Context(settings)
    pipeline = Pipeline(context, {})
    source = Source("test", None, default_mapping("test"), settings.device())
    for number in numbers:
        pipeline.record_invoice(make_invoice(number), source, {"test": number})
    daemon = Daemon(settings, sources={}, workers=2)
    daemon.start()
    try:
        ledger = Ledger(daemon.context.db)
        wait_for(lambda: all_final(ledger, total), what=f"{total} documents final")
    finally:
        daemon.stop()
    return Ledger(context.db)


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


def test_migrate_copies_everything_verifies_and_run_continues_the_numbering(
    tmp_path: Path,
    simulator,
    postgres_url: str,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = write_config(tmp_path / "etims-connector.toml", simulator.legacy_base)
    assert main(["--config", str(config), "device", "init"]) == 0
    settings = load_settings(config, environ={})
    settings.queue.backoff_base_seconds = 0.2
    before = _sign(settings, [f"OLD-{i}" for i in range(8)], 8)
    SourceSecrets.for_context(Context(settings), "shop").set("password", "s3cret-value")
    before.alert("test", "an alert that must travel")
    with sqlite3.connect(settings.database_path) as old:
        expected = _counts(old)
        old.execute("INSERT INTO leases (device_key, owner, expires_at) VALUES ('x', 'old-host:1:t:1', 9e9)")
    assert expected["documents"] == 8 and expected["exchanges"] >= 8 and expected["items"] >= 1

    capsys.readouterr()
    assert main(["--config", str(config), "ledger", "migrate", "--to", postgres_url]) == 0
    printed = capsys.readouterr().out
    assert "verified" in printed and f"device {settings.device().key}: last invcNo 8, next 9" in printed

    target = open_postgres(postgres_url)
    copied = {t: target.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
    assert copied == expected
    assert target.execute("SELECT COUNT(*) FROM leases").fetchone()[0] == 0  # leases stay behind
    secret = target.execute("SELECT value FROM source_secrets").fetchone()[0]
    assert secret.startswith("fernet:") and "s3cret" not in secret  # copied still encrypted

    assert main(["--config", str(config), "ledger", "migrate", "--to", postgres_url]) == 2  # not empty: refused
    assert "not empty" in capsys.readouterr().err

    config.write_text(config.read_text().replace("[kra]", f'ledger_url = "{postgres_url}"\n[kra]', 1))
    moved = load_settings(config, environ={})
    moved.queue.backoff_base_seconds = 0.2
    assert moved.ledger_target == postgres_url
    after = _sign(moved, [f"NEW-{i}" for i in range(5)], 13)
    assert after.db.dialect == "postgresql"
    numbers = {d.number: d.invoice_number for d in after.documents()}
    assert sorted(numbers.values()) == list(range(1, 14))
    assert [numbers[f"NEW-{i}"] for i in range(5)] == [9, 10, 11, 12, 13]
    key = moved.device().key
    assert simulator.signature_counts()[key] == {n: 1 for n in range(1, 14)}  # nothing signed twice
    assert SourceSecrets.for_context(Context(moved), "shop").get("password") == "s3cret-value"
    new_ids = [d.id for d in after.documents("number LIKE 'NEW-%'")]
    assert min(new_ids) > 8  # the id counters moved past the copied rows
