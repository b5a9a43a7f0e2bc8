"""The QuickBooks source inside the real daemon (in process): a webhook gets an invoice signed and written back;
invalid_grant pauses the source with a "reconnect QuickBooks" alert; `quickbooks backfill` records older ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connector import cli
from connector.config import SourceSettings
from connector.context import Context
from connector.daemon import Daemon
from connector.ledger import Ledger
from connector.source_credentials import SourceSecrets
from connector.testing import wait_for
from plugins.quickbooks.harness import connect_secrets, fake_options, seed
from plugins.quickbooks.testing import FakeQuickBooks
from plugins.quickbooks.writeback import signature_in
from tests.conftest import CONFIG_FILE, PIN, initialise_all, make_settings

REALM = "9130350000000001"


@pytest.fixture
def qbo():
    with FakeQuickBooks() as server:
        server.add_realm(REALM)
        yield server


def qbo_settings(tmp_path: Path, simulator, qbo, interval: float = 30):
    settings = make_settings(tmp_path, simulator.legacy_base)
    settings.http.listen = "127.0.0.1:0"
    settings.sources = [SourceSettings(name="qbo", adapter="quickbooks", interval_seconds=interval,
                                       options=fake_options(qbo))]  # fmt: skip
    context = initialise_all(settings)
    connect_secrets(qbo, REALM, SourceSecrets.for_context(context, "qbo"))
    context.close()
    return settings


def test_a_saved_invoice_is_signed_and_shows_the_kra_block(tmp_path, simulator, qbo):
    settings = qbo_settings(tmp_path, simulator, qbo)
    daemon = Daemon(settings, workers=2)
    daemon.start()
    try:
        address = json.loads((settings.data_dir / "listener.json").read_text())["address"]
        qbo.webhooks_to(f"http://{address}/webhooks/quickbooks")
        (invoice,) = seed(qbo.realm(REALM), 1)  # the first poll found nothing: only the webhook brings it
        realm = qbo.realm(REALM)
        wait_for(lambda: signature_in(realm.get("Invoice", invoice["Id"]).get("PrivateNote")), what="the KRA block")
        qbo.wait_webhooks()
        ledger = Ledger(daemon.context.db)
        wait_for(lambda: ledger.documents("state = 'written-back'"), what="written back in the ledger")
    finally:
        qbo.stop_webhooks()
        daemon.stop()
    assert realm.writes == 1, "one write-back; its own webhook echo changes nothing"
    assert [d.status for d in qbo.webhook_deliveries] == [200] * 4  # customer, item, invoice, our echo
    assert len(ledger.documents()) == 1


def test_invalid_grant_pauses_the_source_with_an_alert(tmp_path, simulator, qbo):
    settings = qbo_settings(tmp_path, simulator, qbo)
    qbo.revoke_refresh_tokens()
    qbo.expire_access_tokens()
    daemon = Daemon(settings, workers=1)
    daemon.start()
    try:
        wait_for(lambda: daemon.source_health.get("qbo"), what="the poll to fail")
        alerts = daemon.context.db.execute("SELECT kind, message FROM alerts").fetchall()
    finally:
        daemon.stop()
    assert daemon.source_health["qbo"].startswith("paused: reconnect QuickBooks")
    assert any(kind == "configuration" and "reconnect QuickBooks" in message for kind, message in alerts)


def test_backfill_records_documents_since_a_date(tmp_path, simulator, qbo, capsys):
    settings = qbo_settings(tmp_path, simulator, qbo)
    seed(qbo.realm(REALM), 3)
    config = tmp_path / "etims-connector.toml"
    inline = ", ".join(f"{k} = {json.dumps(v)}" for k, v in fake_options(qbo).items())
    text = CONFIG_FILE.format(base=simulator.legacy_base, pin=PIN).replace('"data"', json.dumps(str(settings.data_dir)))
    config.write_text(text + f'[[sources]]\nname = "qbo"\nadapter = "quickbooks"\noptions = {{ {inline} }}\n')
    assert cli.main(["--config", str(config), "quickbooks", "backfill", "qbo", "--since", "2020-01-01"]) == 0
    assert "3 document(s) read since 2020-01-01: 3 new" in capsys.readouterr().out
    context = Context(settings)
    try:
        assert len(Ledger(context.db).documents("state = 'queued'")) == 3
        assert Ledger(context.db).cursor("qbo") is None
    finally:
        context.close()


def test_a_signed_invoice_voided_in_quickbooks_raises_one_alert(tmp_path, simulator, qbo):
    settings = qbo_settings(tmp_path, simulator, qbo)
    daemon = Daemon(settings, workers=2)
    daemon.start()
    realm = qbo.realm(REALM)
    try:
        address = json.loads((settings.data_dir / "listener.json").read_text())["address"]
        qbo.webhooks_to(f"http://{address}/webhooks/quickbooks")
        (invoice,) = seed(realm, 1)
        ledger = Ledger(daemon.context.db)
        wait_for(lambda: ledger.documents("state = 'written-back'"), what="signed and written back")
        realm.void("Invoice", invoice["Id"])  # the bookkeeper voids it in QuickBooks
        wait_for(lambda: ledger.db["alerts"].count, what="an alert")
        qbo.wait_webhooks()
        daemon.pipeline.ingest_changed("qbo", [f"Invoice:{invoice['Id']}"])  # seen again: still one alert
    finally:
        qbo.stop_webhooks()
        daemon.stop()
    alerts = ledger.db.execute("SELECT kind, message FROM alerts").fetchall()
    assert len(alerts) == 1 and alerts[0][0] == "withdrawn-after-signing"
    assert "voided in QuickBooks after KRA signed it as invcNo 1" in alerts[0][1] and "credit note" in alerts[0][1]
    assert ledger.documents()[0].state == "written-back"  # KRA keeps it; nothing is sent again
    from connector.status import collect

    problems = collect(Context(settings), ledger)["problems"]
    assert any("voided in QuickBooks after KRA signed it" in line for line in problems)  # status shows it
