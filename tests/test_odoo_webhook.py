"""The addon's notification (POST /webhooks/odoo with X-Etims-Token) and preflight/advice against fake Odoo."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connector.errors import ConfigurationError
from plugins.odoo.adapter import OdooAdapter
from plugins.odoo.harness import adapter_for
from plugins.odoo.testing import FakeOdoo, InvoiceLine

TOKEN = "n0tify-t0ken-for-tests"


@pytest.fixture(params=["17", "18"])
def odoo(request: pytest.FixtureRequest) -> Iterator[FakeOdoo]:
    with FakeOdoo(version=request.param, addon=True) as fake:
        yield fake


def body(database: str, ids: list[int], model: str = "account.move") -> bytes:
    return json.dumps({"database": database, "model": model, "ids": ids}).encode()


def invoice(odoo: FakeOdoo) -> int:
    ids = odoo.ids
    return odoo.make_invoice(lines=[InvoiceLine(ids.product_widget, 1, "100", taxes=[ids.tax_vat16])])


def test_token_is_checked_and_ids_become_keys(odoo: FakeOdoo) -> None:
    adapter = adapter_for(odoo, secrets={"notify_token": TOKEN})
    move_id = invoice(odoo)
    good = adapter.accept_webhook({"x-etims-token": TOKEN}, body(odoo.database, [move_id]))
    assert (good.status, good.keys) == (200, [str(move_id)])
    assert [d.external_id for d in adapter.fetch_changed(good.keys)] == [str(move_id)]
    for headers in ({}, {"x-etims-token": ""}, {"x-etims-token": TOKEN + "x"}, {"x-etims-token": TOKEN[:-1]}):
        refused = adapter.accept_webhook(headers, body(odoo.database, [move_id]))
        assert (refused.status, refused.keys) == (401, [])


def test_no_configured_token_refuses_everything(odoo: FakeOdoo) -> None:
    adapter = adapter_for(odoo)
    assert adapter.accept_webhook({"x-etims-token": ""}, body(odoo.database, [1])).status == 401


def test_token_from_the_environment(odoo: FakeOdoo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODOO_NOTIFY_TOKEN", TOKEN)
    adapter = adapter_for(odoo, notify_token_env="ODOO_NOTIFY_TOKEN")
    assert adapter.accept_webhook({"x-etims-token": TOKEN}, body(odoo.database, [3])).keys == ["3"]


def test_other_databases_and_models_are_not_ours_and_bad_bodies_are_400(odoo: FakeOdoo) -> None:
    adapter = adapter_for(odoo, secrets={"notify_token": TOKEN})
    other = adapter.accept_webhook({"x-etims-token": TOKEN}, body("another-db", [1]))
    assert (other.status, other.keys) == (200, [])
    assert adapter.accept_webhook({"x-etims-token": TOKEN}, body(odoo.database, [1], "res.partner")).keys == []
    for bad in (b"not json", b'{"database": "demo"}', body(odoo.database, ["1; drop"])):  # type: ignore[list-item]
        assert adapter.accept_webhook({"x-etims-token": TOKEN}, bad).status == 400


class _Listener(BaseHTTPRequestHandler):
    """Stands in for the core's HTTP listener: hands each POST to the adapter, answers its WebhookAnswer."""

    adapter: OdooAdapter
    keys: list[str] = []

    def do_POST(self) -> None:
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        answer = self.adapter.accept_webhook({k.lower(): v for k, v in self.headers.items()}, data)
        type(self).keys.extend(answer.keys)
        self.send_response(answer.status)
        self.end_headers()
        self.wfile.write(answer.body.encode())

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_the_fake_addons_real_notification_after_posting_is_accepted(odoo: FakeOdoo) -> None:
    adapter = adapter_for(odoo, secrets={"notify_token": TOKEN})
    handler = type("Handler", (_Listener,), {"adapter": adapter, "keys": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        odoo.configure_notify(f"http://127.0.0.1:{server.server_address[1]}", TOKEN)
        move_id = invoice(odoo)
        odoo.notifier.wait()
        assert handler.keys == [str(move_id)]
        assert [n.status for n in odoo.notifier.sent] == [200]
    finally:
        server.shutdown()
        server.server_close()


def test_preflight_refuses_when_odoos_own_kra_module_is_installed(odoo: FakeOdoo) -> None:
    adapter = adapter_for(odoo)
    assert adapter.preflight() == []
    odoo.oscu_installed = True
    [problem] = adapter.preflight()
    assert "l10n_ke_edi_oscu" in problem and "sequence" in problem
    odoo.set_module("l10n_ke_edi_oscu", "uninstalled")
    assert adapter.preflight() == []


def test_advice_recommends_the_notification_once_the_addon_is_there(odoo: FakeOdoo) -> None:
    assert any("notify" in line for line in adapter_for(odoo).advice())
    assert adapter_for(odoo, secrets={"notify_token": TOKEN}).advice() == []


def test_reading_is_refused_too_when_preflight_could_not_reach_odoo(odoo: FakeOdoo) -> None:
    adapter = adapter_for(odoo)
    invoice(odoo)
    odoo.oscu_installed = True
    odoo.stop()
    assert adapter.preflight() == []  # Odoo down while `run` starts: checked again before reading
    odoo.start()
    with pytest.raises(ConfigurationError, match="l10n_ke_edi_oscu"):
        list(adapter.fetch_new(None))
    odoo.oscu_installed = False
    assert len(list(adapter.fetch_new(None))) == 1
