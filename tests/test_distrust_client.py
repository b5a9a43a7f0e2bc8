"""Every KRA answer is distrusted until proven: the client against the simulator's after-commit faults and
hand-made servers, over real HTTP. A `000` counts only with a usable receipt; anything after the request may
have reached KRA is unknown; a call has a total deadline and an answer-size cap; stray key whitespace is fine."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from connector import jsonio
from connector.config import load_settings
from connector.devices import DeviceCredentials
from connector.errors import ConfigurationError
from connector.kra.results import Outcome
from connector.kra.simulator import Simulator, SimulatorConfig, start_simulator
from tests.conftest import PIN
from tests.test_client import client_for, initialised, item_request, sale_request


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with start_simulator(SimulatorConfig(port=0, seed=3)) as simulator:
        yield simulator


def ready(sim: Simulator, **kra: Any):
    client = initialised(client_for(sim.legacy_base, **kra))
    assert client.save_item(item_request()).outcome is Outcome.ACCEPTED
    return client


def after_commit(sim: Simulator, fault: str) -> None:
    sim.faults.update({"after_commit": fault, "after_commit_rate": 1.0})


def stored_signature(sim: Simulator, number: int) -> str:
    return next(s["receipt"]["rcptSign"] for s in sim.sales() if s["invcNo"] == number)


@pytest.mark.parametrize(
    ("fault", "why"),
    [
        ("no-data", "no receipt data"),
        ("no-signature", "malformed signature"),
        ("bad-signature", "malformed signature"),
        ("no-receipt-number", "no usable receipt number"),
        ("bad-time", "malformed signing time"),
        ("bad-internal-data", "malformed internal data"),
    ],
)
def test_000_without_a_usable_receipt_is_unknown_and_the_read_back_has_the_real_one(
    sim: Simulator, fault: str, why: str
) -> None:
    client = ready(sim)
    after_commit(sim, fault)
    result = client.save_sale(sale_request(1))
    assert (result.outcome, result.code, result.data) == (Outcome.UNKNOWN, "000", None)
    assert why in result.message
    found = client.select_invoice(1)  # read-backs are not commits: answered truthfully
    assert found.outcome is Outcome.ACCEPTED
    assert found.data.sales[0].receipt.signature == stored_signature(sim, 1)


@pytest.mark.parametrize("fault", ["502", "503", "504", "999", "drop", "truncate"])
def test_any_failure_after_the_request_may_have_reached_kra_is_unknown(sim: Simulator, fault: str) -> None:
    client = ready(sim)
    after_commit(sim, fault)
    result = client.save_sale(sale_request(1))
    assert result.outcome is Outcome.UNKNOWN, result.describe()
    assert sim.signature_counts()[f"{PIN}/00"] == {1: 1}  # it was signed: a blind resend would be wrong


def test_only_a_request_that_never_left_may_be_resent_blindly() -> None:
    from tests.test_client import socket_that_refuses

    with socket_that_refuses() as port:
        client = client_for(f"http://127.0.0.1:{port}/etims-api", credentials=DeviceCredentials(PIN, "00", "k" * 32))
        assert client.save_sale(sale_request(1)).outcome is Outcome.RETRY_LATER


def test_a_trickling_answer_is_cut_at_the_call_deadline_and_is_unknown(sim: Simulator) -> None:
    client = ready(sim, call_deadline_seconds=1.0)
    sim.faults.update({"trickle_seconds": 0.05})  # a byte every 50 ms: no single read ever times out
    after_commit(sim, "trickle")
    result = client.save_sale(sale_request(1))
    assert result.outcome is Outcome.UNKNOWN and "call deadline of 1s" in result.message


def test_the_deadline_must_stay_below_the_device_lease(tmp_path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[kra]\ncall_deadline_seconds = 300\n[queue]\nlease_seconds = 300\n")
    with pytest.raises(ConfigurationError, match=r"call_deadline_seconds .* must be below queue.lease_seconds"):
        load_settings(config)
    config.write_text("[kra]\ntimeout_seconds = 2\n[queue]\nlease_seconds = 30\n")
    assert load_settings(config).kra.call_deadline_seconds == 24  # the default stays below the lease


def test_an_oversized_answer_is_unknown_and_only_its_head_is_kept(sim: Simulator) -> None:
    client = ready(sim, max_answer_bytes=64 * 1024)
    sim.faults.update({"oversize_bytes": 1 << 20})
    after_commit(sim, "oversize")
    result = client.save_sale(sale_request(1))
    assert result.outcome is Outcome.UNKNOWN and "larger than 65536 bytes" in result.message
    assert result.response["truncated"] is True and len(jsonio.dumps(result.response)) < 4000


def test_list_look_ups_have_their_own_larger_cap(sim: Simulator) -> None:
    client = initialised(client_for(sim.legacy_base, max_answer_bytes=4096))
    codes = client.select_codes("20180101000000")  # the code list is far larger than 4 KiB
    assert codes.outcome is Outcome.ACCEPTED and codes.data is not None


def test_keys_with_stray_whitespace_are_read(sim: Simulator) -> None:
    client = ready(sim)
    after_commit(sim, "whitespace")
    result = client.save_sale(sale_request(1))
    assert result.outcome is Outcome.ACCEPTED, result.describe()
    assert result.data.signature == stored_signature(sim, 1)


def test_a_kra_that_records_nothing_never_looks_signed(sim: Simulator) -> None:
    client = ready(sim)
    sim.faults.update({"forgetful": True})
    assert client.save_sale(sale_request(1)).outcome is Outcome.UNKNOWN
    assert client.select_invoice(1).outcome is Outcome.NO_DATA
    assert sim.signature_counts() == {}


class _ReadBack(BaseHTTPRequestHandler):
    """selectInvoiceDetails answering 000 with a receipt that proves nothing, or with no sale at all."""

    receipts: dict[str, Any] = {
        "/empty/selectInvoiceDetails": {"salesList": []},
        "/unsigned/selectInvoiceDetails": {
            "salesList": [{"invcNo": 1, "receipt": {"curRcptNo": 1, "totRcptNo": 1, "rcptSign": "", "intrlData": ""}}]
        },
    }

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = jsonio.dumps({"resultCd": "000", "resultMsg": "Successful", "data": self.receipts[self.path]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize(("prefix", "why"), [("empty", "lists no sale"), ("unsigned", "malformed signature")])
def test_read_back_answers_are_held_to_the_same_proof(prefix: str, why: str) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ReadBack)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/{prefix}"
        result = client_for(base, credentials=DeviceCredentials(PIN, "00", "k" * 32)).select_invoice(1)
    finally:
        server.shutdown()
    assert result.outcome is Outcome.UNKNOWN and why in result.message
