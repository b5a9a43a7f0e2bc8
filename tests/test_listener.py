"""The HTTP listener over real HTTP: health, webhook routing to listening sources, refusals, and a
webhook-driven document signed end to end by the daemon (huey consumer + KRA simulator)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest
from pydantic import BaseModel

from connector.adapters import Listens, SourceAdapter, SourceDocument, WebhookAnswer
from connector.config import Settings
from connector.daemon import Daemon
from connector.errors import ConfigurationError
from connector.ledger import Ledger
from connector.ledger.schema import SIGNED
from connector.pipeline import Source, default_mapping
from connector.service import Listener, WebhookRouter
from connector.testing import wait_for
from tests.conftest import initialise_all, make_settings
from tests.pipeline_helpers import make_invoice


class NoOptions(BaseModel):
    pass


class PushErp(SourceAdapter, Listens):
    """An ERP that pushes `{"company": …, "ids": […]}` with a shared token; only its company's ids count."""

    name = "push"
    Config = NoOptions
    webhook_path = "/webhooks/push"

    def __init__(self, company: str, token: str = "t0ken", problems: list[str] | None = None) -> None:
        super().__init__(self.Config(), default_mapping("test"), f"push-{company}")
        self.company, self.token, self.problems = company, token, problems or []
        self.fetched: list[list[str]] = []
        self.written: dict[str, str] = {}

    def accept_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookAnswer:
        if not hmac.compare_digest(headers.get("x-token", ""), self.token):
            return WebhookAnswer(status=401)
        message = json.loads(body)
        return WebhookAnswer(keys=message["ids"] if message["company"] == self.company else [])

    def fetch_changed(self, keys: list[str]) -> Iterator[SourceDocument]:
        self.fetched.append(keys)
        for key in keys:
            yield SourceDocument(external_id=key, number=key, ref={"id": key}, content={"id": key})

    def fetch_new(self, cursor: str | None) -> Iterator[tuple[SourceDocument, str | None]]:
        return iter(())

    def to_canonical(self, document: SourceDocument):
        return make_invoice(document.external_id).model_copy(update={"source": self.source_name})

    def write_back(self, ref, receipt) -> None:
        self.written[ref["id"]] = receipt.signature

    def preflight(self) -> list[str]:
        return self.problems


def _source(adapter: PushErp, settings: Settings) -> Source:
    return Source(adapter.source_name, adapter, default_mapping("test"), settings.device())


@pytest.fixture
def listener() -> Iterator[tuple[str, list[tuple[str, list[str]]], dict[str, PushErp]]]:
    queued: list[tuple[str, list[str]]] = []
    erps = {"a": PushErp("a"), "b": PushErp("b")}
    sources = {f"push-{k}": type("S", (), {"adapter": v})() for k, v in erps.items()}
    server = Listener("127.0.0.1:0", WebhookRouter(sources, lambda name, keys: queued.append((name, keys))))
    server.start()
    yield f"http://{server.address}", queued, erps
    server.stop()


def test_health_and_unknown_routes(listener) -> None:
    base, _, _ = listener
    assert httpx.get(f"{base}/healthz").text == "ok"
    assert httpx.get(f"{base}/nope").status_code == 404
    assert httpx.post(f"{base}/webhooks/nope", content=b"{}").status_code == 404


def test_a_webhook_reaches_only_the_source_it_names(listener) -> None:
    base, queued, _ = listener
    body = json.dumps({"company": "b", "ids": ["INV-7", "INV-8"]})
    answer = httpx.post(f"{base}/webhooks/push", content=body, headers={"X-Token": "t0ken"})
    assert answer.status_code == 200
    assert queued == [("push-b", ["INV-7", "INV-8"])]
    unknown = httpx.post(f"{base}/webhooks/push", content=json.dumps({"company": "zz", "ids": ["X"]}),
                         headers={"X-Token": "t0ken"})  # fmt: skip
    assert unknown.status_code == 200 and len(queued) == 1  # accepted, nothing to fetch


def test_a_forged_or_oversized_webhook_is_refused(listener) -> None:
    base, queued, _ = listener
    body = json.dumps({"company": "a", "ids": ["INV-1"]})
    assert httpx.post(f"{base}/webhooks/push", content=body, headers={"X-Token": "wrong"}).status_code == 401
    assert httpx.post(f"{base}/webhooks/push", content=body).status_code == 401
    assert httpx.post(f"{base}/webhooks/push", content=b"x" * (1024 * 1024 + 1)).status_code == 413
    assert queued == []


def test_an_adapter_that_raises_does_not_stop_the_others(listener) -> None:
    base, queued, _ = listener
    garbage = httpx.post(f"{base}/webhooks/push", content=b"not json", headers={"X-Token": "t0ken"})
    assert garbage.status_code == 400 and queued == []
    assert httpx.get(f"{base}/healthz").status_code == 200


def test_a_webhook_gets_its_document_signed_and_written_back(tmp_path: Path, simulator) -> None:
    settings = make_settings(tmp_path, simulator.legacy_base)
    settings.http.listen = "127.0.0.1:0"
    initialise_all(settings).close()
    erp = PushErp("a")
    daemon = Daemon(settings, sources={erp.source_name: _source(erp, settings)}, workers=2)
    daemon.start()
    try:
        address = json.loads((settings.data_dir / "listener.json").read_text())["address"]
        body = json.dumps({"company": "a", "ids": ["PUSH-1", "PUSH-2"]})
        assert httpx.post(f"http://{address}/webhooks/push", content=body, headers={"X-Token": "t0ken"}).is_success
        ledger = Ledger(daemon.context.db)
        wait_for(lambda: len(ledger.documents("state = 'written-back'")) == 2, what="both signed and written back")
    finally:
        daemon.stop()
    assert erp.fetched == [["PUSH-1", "PUSH-2"]]
    assert sorted(erp.written) == ["PUSH-1", "PUSH-2"]
    assert all(d.state in SIGNED for d in ledger.documents())
    assert ledger.cursor(erp.source_name) is None  # a webhook does not move the polling cursor


def test_no_listener_without_a_listening_source(tmp_path: Path, simulator) -> None:
    settings = make_settings(tmp_path, simulator.legacy_base)
    settings.http.listen = "127.0.0.1:0"
    daemon = Daemon(settings, sources={}, workers=1)
    daemon.start()
    try:
        assert daemon.listener is None and not (settings.data_dir / "listener.json").exists()
    finally:
        daemon.stop()


def test_run_refuses_a_source_whose_preflight_fails(tmp_path: Path, simulator) -> None:
    settings = make_settings(tmp_path, simulator.legacy_base)
    erp = PushErp("a", problems=["Odoo's own l10n_ke_edi_oscu module is installed: it numbers the same device"])
    daemon = Daemon(settings, sources={erp.source_name: _source(erp, settings)}, workers=1)
    with pytest.raises(ConfigurationError, match="cannot start: source push-a: Odoo's own l10n_ke_edi_oscu"):
        daemon.start()
    daemon.context.close()
