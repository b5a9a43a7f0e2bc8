"""The listener's readiness, metrics and the accountant's pages, over real HTTP against a running daemon."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from connector.config import Settings
from connector.daemon import Daemon
from connector.errors import ConfigurationError
from connector.ledger import Ledger
from connector.models import Party
from connector.pipeline import Source, default_mapping
from connector.service import App, Listener, WebhookRouter
from connector.testing import wait_for
from tests.conftest import initialise_all, make_settings
from tests.pipeline_helpers import make_invoice

XSS = "<script>alert(1)</script> Ltd"


def _start(settings: Settings) -> tuple[Daemon, str]:
    settings.http.listen = "127.0.0.1:0"
    settings.http.enabled = True
    daemon = Daemon(settings, sources={}, workers=2)
    daemon.start()
    address = json.loads((settings.data_dir / "listener.json").read_text())["address"]
    return daemon, f"http://{address}"


@pytest.fixture
def running(tmp_path: Path, simulator) -> Iterator[tuple[Daemon, str, Ledger]]:
    settings = make_settings(tmp_path, simulator.legacy_base)
    initialise_all(settings).close()
    daemon, base = _start(settings)
    ledger = Ledger(daemon.context.db)
    source = Source("test", None, default_mapping("test"), settings.device())
    invoices = [make_invoice(f"PAGE-{i}") for i in range(3)]
    invoices.append(make_invoice("PAGE-X").model_copy(update={"buyer": Party(name=XSS)}))
    invoices.append(make_invoice("PAGE-BAD", tax="NO-SUCH-TAX"))
    for invoice in invoices:
        daemon.pipeline.record_invoice(invoice, source, {"test": invoice.number})
    wait_for(lambda: len(ledger.documents("state IN ('accepted', 'written-back', 'needs-fix')")) == 5, what="final")
    yield daemon, base, ledger
    daemon.stop()


def test_ready_only_when_every_device_is_initialised(tmp_path: Path, simulator) -> None:
    settings = make_settings(tmp_path, simulator.legacy_base)
    daemon, base = _start(settings)
    try:
        answer = httpx.get(f"{base}/readyz")
        assert answer.status_code == 503 and "branch00" in answer.text and "device init" in answer.text
        assert httpx.get(f"{base}/healthz").status_code == 200
        initialise_all(settings).close()
        assert httpx.get(f"{base}/readyz").status_code == 200
    finally:
        daemon.stop()


def test_metrics_parse_and_count_what_happened(running) -> None:
    _, base, _ = running
    answer = httpx.get(f"{base}/metrics")
    assert answer.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    assert samples[("etims_documents", (("source", "test"), ("state", "needs-fix")))] == 1
    signed = sum(
        v for (n, labels), v in samples.items() if n == "etims_documents" and ("state", "needs-fix") not in labels
    )
    assert signed == 4
    assert samples[("etims_device_last_invoice_number", (("device", "branch00"),))] == 4
    sales = samples[("etims_kra_calls_total", (("endpoint", "saveTrnsSalesOsdc"), ("outcome", "accepted")))]
    assert sales >= 4
    assert samples[("etims_kra_call_seconds_count", (("endpoint", "saveTrnsSalesOsdc"),))] >= 4
    assert ("etims_queue_depth", ()) in samples


def test_pages_show_states_problems_search_and_one_document(running) -> None:
    _, base, ledger = running
    overview = httpx.get(f"{base}/").text
    assert "branch00" in overview and "NO-SUCH-TAX" in overview and "needs-fix" in overview
    found = httpx.get(f"{base}/documents", params={"q": "PAGE-2"}).text
    assert "test:PAGE-2" in found and "test:PAGE-1" not in found
    doc = ledger.documents("number = 'PAGE-X'")[0]
    page = httpx.get(f"{base}/documents/{doc.id}").text
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the buyer's name is escaped
    assert doc.receipt["signature"] in page and 'id="qr"' in page and "data:image/svg+xml" in page
    assert "saveTrnsSalesOsdc" in page  # the KRA exchange is listed
    assert httpx.get(f"{base}/documents/999999").status_code == 404
    printable = httpx.get(f"{base}/documents/{doc.id}/receipt")
    assert printable.status_code == 200 and "COPY" in printable.text and doc.receipt["scu_id"] in printable.text
    unsigned = ledger.documents("number = 'PAGE-BAD'")[0]
    assert httpx.get(f"{base}/documents/{unsigned.id}/receipt").status_code == 404


def test_beyond_loopback_a_token_is_required(tmp_path: Path) -> None:
    router = WebhookRouter({}, lambda name, keys: None)
    with pytest.raises(ConfigurationError, match=r"set http\.token"):
        Listener("0.0.0.0:0", router)
    listener = Listener("127.0.0.1:0", App(router, token="s3cret"))
    listener.start()
    base = f"http://{listener.address}"
    try:
        assert httpx.get(f"{base}/metrics").status_code == 401
        assert httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        with httpx.Client() as browser:
            first = browser.get(f"{base}/metrics", params={"token": "s3cret"})
            assert first.status_code == 200 and "etims_token" in first.headers["set-cookie"]
            assert browser.get(f"{base}/metrics").status_code == 200  # the cookie carries it on
        assert httpx.get(f"{base}/healthz").status_code == 200  # health needs no token
    finally:
        listener.stop()


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("ETIMS_REQUIRE_SERVICES"):
            pytest.fail("chromium is not installed, and ETIMS_REQUIRE_SERVICES is set (.ci/run installs it)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path


def _browser(url: str, *args: str) -> subprocess.CompletedProcess:
    profile = tempfile.mkdtemp(prefix="chromium-")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}"]  # fmt: skip
    try:
        return subprocess.run([_chromium(), *flags, *args, url], capture_output=True, text=True, timeout=90)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def test_a_real_browser_renders_search_and_the_receipt_qr(running, tmp_path: Path) -> None:
    zxingcpp = pytest.importorskip("zxingcpp", reason="zxing-cpp (test extra) decodes the QR code")
    from PIL import Image

    _, base, ledger = running
    dom = _browser(f"{base}/documents?q=PAGE-1", "--dump-dom").stdout
    assert 'id="results"' in dom and "test:PAGE-1" in dom
    doc = ledger.documents("number = 'PAGE-1'")[0]
    shot = tmp_path / "document.png"
    _browser(f"{base}/documents/{doc.id}", f"--screenshot={shot}", "--window-size=1000,1400")
    assert shot.exists(), "chromium took no screenshot"
    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(shot))]
    assert decoded == [doc.receipt["qr_url"]]
