"""The KRA client against the simulator over real HTTP, every endpoint, every profile."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from connector.config import KraSettings
from connector.devices import DeviceCredentials
from connector.errors import ConfigurationError
from connector.kra import payloads as p
from connector.kra.auth import GavaConnectToken
from connector.kra.client import KraClient
from connector.kra.results import Outcome
from connector.kra.simulator import Simulator, SimulatorConfig, start_simulator
from tests.conftest import PIN

AUDIT = {"registrant_id": "tester", "registrant_name": "Tester", "modifier_id": "tester", "modifier_name": "Tester"}


def client_for(base: str, profile: str = "legacy", credentials: DeviceCredentials | None = None, **kra: Any):
    settings = KraSettings(profile=profile, base_url=base, timeout_seconds=kra.pop("timeout_seconds", 5), **kra)
    return KraClient(settings, httpx.Client(), credentials)


def initialised(client: KraClient, branch: str = "00") -> KraClient:
    result = client.initialize(PIN, branch, f"serial-{branch}")
    assert result.outcome is Outcome.ACCEPTED, result.describe()
    info = result.data.info
    client.credentials = DeviceCredentials(PIN, branch, info.cmc_key, info.scu_id, info.mrc_number)
    return client


def item_request(code: str = "KE2NTNO0000001") -> p.SaveItemRequest:
    return p.SaveItemRequest(
        item_code=code, item_class="5059690800", item_type="2", name="Soap", origin_country="KE",
        packaging_unit="NT", quantity_unit="NO", tax_type="B", default_price=Decimal("100.00"), **AUDIT,
    )  # fmt: skip


def sale_request(number: int, code: str = "KE2NTNO0000001") -> dict[str, Any]:
    """The GavaConnect sample of spec §8.3: 100.00 VAT-inclusive → 86.21 + 13.79."""
    zero = Decimal("0.00")
    line = {
        "itemSeq": 1, "itemCd": code, "itemClsCd": "5059690800", "itemNm": "Soap", "pkgUnitCd": "NT",
        "pkg": Decimal("1"), "qtyUnitCd": "NO", "qty": Decimal("1"), "prc": Decimal("100.00"),
        "splyAmt": Decimal("100.00"), "dcRt": zero, "dcAmt": zero, "taxTyCd": "B",
        "taxblAmt": Decimal("86.21"), "taxAmt": Decimal("13.79"), "totAmt": Decimal("100.00"),
    }  # fmt: skip
    body: dict[str, Any] = {
        "trdInvcNo": f"INV-{number}", "invcNo": number, "orgInvcNo": 0, "salesTyCd": "N", "rcptTyCd": "S",
        "pmtTyCd": "01", "salesSttsCd": "02", "cfmDt": "20261122103000", "salesDt": "20261122",
        "stockRlsDt": "20261122103000", "totItemCnt": 1, "prchrAcptcYn": "N",
        "regrId": "t", "regrNm": "t", "modrId": "t", "modrNm": "t",
        "receipt": {"rcptPbctDt": "20261122103000", "prchrAcptcYn": "N"}, "itemList": [line],
        "totTaxblAmt": Decimal("86.21"), "totTaxAmt": Decimal("13.79"), "totAmt": Decimal("100.00"),
    }  # fmt: skip
    for letter in "ABCDE":
        body[f"taxblAmt{letter}"] = Decimal("86.21") if letter == "B" else zero
        body[f"taxAmt{letter}"] = Decimal("13.79") if letter == "B" else zero
        body[f"taxRt{letter}"] = Decimal({"B": "16", "E": "8"}.get(letter, "0"))
    return p.SaleRequest.model_validate(body).to_wire()


def exercise_every_endpoint(client: KraClient) -> dict[str, Outcome]:
    since = "20180101000000"
    outcomes = {
        "codes": client.select_codes(since).outcome,
        "item_classes": client.select_item_classes(since).outcome,
        "notices": client.select_notices(since).outcome,
        "branches": client.select_branches(since).outcome,
        "customer": client.select_customer("A000123456F").outcome,
        "save_customer": client.save_branch_customer(
            p.SaveBranchCustomerRequest(
                customer_number="C0001", customer_pin="A000123456F", customer_name="Ralph", in_use="Y", **AUDIT
            )
        ).outcome,
        "save_user": client.save_branch_user(
            p.SaveBranchUserRequest(user_id="clerk", user_name="Clerk", password="secret-pw", in_use="Y", **AUDIT)
        ).outcome,
        "save_insurance": client.save_branch_insurance(
            p.SaveBranchInsuranceRequest(
                insurer_code="ISR01", insurer_name="Insurer", insurance_rate=Decimal("20"), in_use="Y", **AUDIT
            )
        ).outcome,
        "save_item": client.save_item(item_request()).outcome,
        "items": client.select_items(since).outcome,
        "imports": client.select_imports(since).outcome,
        "sale": client.save_sale(sale_request(1)).outcome,
        "invoice": client.select_invoice(1).outcome,
        "purchases": client.select_purchases(since).outcome,
        "stock_moves": client.select_stock_moves(since).outcome,
    }
    return outcomes


EXPECTED = {
    "codes": Outcome.ACCEPTED, "item_classes": Outcome.ACCEPTED, "notices": Outcome.ACCEPTED,
    "branches": Outcome.ACCEPTED, "customer": Outcome.NO_DATA, "save_customer": Outcome.ACCEPTED,
    "save_user": Outcome.ACCEPTED, "save_insurance": Outcome.ACCEPTED, "save_item": Outcome.ACCEPTED,
    "items": Outcome.ACCEPTED, "imports": Outcome.NO_DATA, "sale": Outcome.ACCEPTED, "invoice": Outcome.ACCEPTED,
    "purchases": Outcome.NO_DATA, "stock_moves": Outcome.NO_DATA,
}  # fmt: skip


@pytest.mark.parametrize("profile", ["legacy", "vscu"])
def test_every_endpoint_legacy_paths(simulator: Simulator, profile: str) -> None:
    client = initialised(client_for(simulator.legacy_base, profile))
    assert exercise_every_endpoint(client) == EXPECTED


@pytest.fixture
def gava() -> Iterator[Simulator]:
    config = SimulatorConfig(port=0, profile="gavaconnect", oauth_clients={"key-1": "secret-1"}, stock_enforced=False)
    with start_simulator(config) as sim:
        yield sim


def gava_client(sim: Simulator, secret: str = "secret-1") -> KraClient:
    return client_for(
        sim.gavaconnect_base, "gavaconnect", token_url=sim.token_url, consumer_key="key-1",
        consumer_secret=secret, apigee_app_id="app-1",
    )  # fmt: skip


def test_every_endpoint_gavaconnect(gava: Simulator) -> None:
    client = initialised(gava_client(gava))
    assert exercise_every_endpoint(client) == EXPECTED
    detail = client.select_invoice(1)
    assert detail.data.sales[0].receipt.signature == gava.sales(PIN, "00")[0]["receipt"]["rcptSign"]


def test_gavaconnect_token_is_cached_and_refreshed_after_401(gava: Simulator) -> None:
    token_calls: list[str] = []
    http = httpx.Client(event_hooks={"request": [lambda r: token_calls.append(r.url.path)]})
    settings = KraSettings(profile="gavaconnect", base_url=gava.gavaconnect_base, apigee_app_id="a")
    token = GavaConnectToken(http, gava.token_url, "key-1", "secret-1")
    client = KraClient(settings, http, None, token=token)
    initialised(client)
    client.select_codes("20180101000000")
    assert token_calls.count("/v1/token/generate") == 1
    token._token = "revoked-token"  # the gateway no longer honours it
    assert client.select_notices("20180101000000").ok
    assert token_calls.count("/v1/token/generate") == 2


def test_gavaconnect_wrong_secret_is_a_configuration_error(gava: Simulator) -> None:
    with pytest.raises(ConfigurationError, match="refused the consumer key"):
        gava_client(gava, secret="wrong").initialize(PIN, "00", "s")


def test_gavaconnect_strict_rejection_text_reaches_the_caller(gava: Simulator) -> None:
    client = initialised(gava_client(gava))
    client.save_item(item_request())
    legacy_style = sale_request(1)
    legacy_style["itemList"][0]["taxblAmt"] = Decimal("100.00")
    result = client.save_sale(legacy_style)
    assert result.outcome is Outcome.REJECTED
    assert "Invalid taxblAmt on item: 1. Expected: 86.21" in result.message


def test_headers_missing_and_wrong_key(simulator: Simulator) -> None:
    client = initialised(client_for(simulator.legacy_base))
    client.credentials = DeviceCredentials(PIN, "00", "0" * 32)
    result = client.select_codes("20180101000000")
    assert (result.outcome, result.code) == (Outcome.NEEDS_CONFIGURATION, "901")
    bare = httpx.post(f"{simulator.legacy_base}/selectCodeList", json={"lastReqDt": "20180101000000"})
    assert bare.json()["resultCd"] == "900"


def test_reinitialising_says_902(simulator: Simulator) -> None:
    client = initialised(client_for(simulator.legacy_base))
    again = client.initialize(PIN, "00", "serial-00")
    assert (again.outcome, again.code, again.data) == (Outcome.NEEDS_CONFIGURATION, "902", None)


def test_sequence_and_duplicate_answers(simulator: Simulator) -> None:
    client = initialised(client_for(simulator.legacy_base))
    client.save_item(item_request())
    skipped = client.save_sale(sale_request(2))  # the device is out of step, not the document wrong
    assert skipped.outcome is Outcome.NEEDS_CONFIGURATION and "expected: 1" in skipped.message
    assert client.save_sale(sale_request(1)).outcome is Outcome.ACCEPTED
    duplicate = client.save_sale(sale_request(1))
    assert (duplicate.outcome, duplicate.code) == (Outcome.UNKNOWN, "994")  # verify, never resend blindly
    assert simulator.signature_counts()[f"{PIN}/00"] == {1: 1}


def test_timeout_after_sending_is_unknown_and_the_sale_is_found_by_read_back(simulator: Simulator) -> None:
    client = initialised(client_for(simulator.legacy_base, timeout_seconds=0.5))
    client.save_item(item_request())
    simulator.set_faults(commit_then_timeout_rate=1.0)
    result = client.save_sale(sale_request(1))
    assert result.outcome is Outcome.UNKNOWN and "no answer" in result.message
    simulator.set_faults(commit_then_timeout_rate=0.0)
    found = client.select_invoice(1)
    assert found.outcome is Outcome.ACCEPTED and len(found.data.sales[0].receipt.signature) == 16


def test_connection_refused_is_retried_then_reported_as_not_sent() -> None:
    with socket_that_refuses() as port:
        attempts: list[str] = []
        http = httpx.Client(event_hooks={"request": [lambda r: attempts.append(str(r.url))]})
        settings = KraSettings(base_url=f"http://127.0.0.1:{port}/etims-api", connect_retries=2)
        result = KraClient(settings, http, DeviceCredentials(PIN, "00", "k" * 32)).select_codes("20180101000000")
    assert result.outcome is Outcome.RETRY_LATER and "never left" in result.message
    assert len(attempts) == 3


class socket_that_refuses:
    """A port with nothing listening on it."""

    def __enter__(self) -> int:
        import socket

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        return self.port

    def __exit__(self, *exc: object) -> None:
        pass


class _Canned(BaseHTTPRequestHandler):
    answers: dict[str, tuple[int, str, str]] = {
        "/html502/selectCodeList": (502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>"),
        "/html200/selectCodeList": (200, "text/html", "<!DOCTYPE html><html>maintenance</html>"),
        "/broken/selectCodeList": (200, "application/json", '{"resultCd": "000", "data": '),
        "/nocode/selectCodeList": (200, "application/json", '{"status": "ok"}'),
        "/gc400/selectCodeList": (400, "text/plain", "Invalid invcNo sequence, expected: 5 but found: 7"),
        "/wrapped/selectCodeList": (
            200,
            "application/json",
            '{"responseHeader": {"responseCode": 400, "debugMessage": "tin cannot be Null"}, "responseBody": null}',
        ),
        "/badsale/saveTrnsSalesOsdc": (200, "application/json", '{"resultCd": "000", "data": {"curRcptNo": "x"}}'),
    }

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status, kind, body = self.answers[self.path]
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body.encode())))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def canned() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize(
    ("prefix", "outcome", "text"),
    [
        ("html502", Outcome.UNKNOWN, "HTML page"),  # a gateway error may follow a commit: verify
        ("html200", Outcome.UNKNOWN, "HTML page instead of JSON"),
        ("broken", Outcome.UNKNOWN, "instead of JSON"),
        ("nocode", Outcome.UNKNOWN, "without resultCd"),
        ("gc400", Outcome.NEEDS_CONFIGURATION, "expected: 5 but found: 7"),
        ("wrapped", Outcome.REJECTED, "tin cannot be Null"),
    ],
)
def test_malformed_answers_are_clear(canned: str, prefix: str, outcome: Outcome, text: str) -> None:
    client = client_for(f"{canned}/{prefix}", credentials=DeviceCredentials(PIN, "00", "k" * 32))
    result = client.select_codes("20180101000000")
    assert result.outcome is outcome
    assert text in result.message


def test_accepted_sale_with_unreadable_data_is_unknown_not_lost(canned: str) -> None:
    client = client_for(f"{canned}/badsale", credentials=DeviceCredentials(PIN, "00", "k" * 32))
    result = client.save_sale(sale_request(1))
    assert result.outcome is Outcome.UNKNOWN and "could not be read" in result.message


def test_unknown_profile_and_missing_device_are_named() -> None:
    with pytest.raises(ValueError, match="profile"):
        KraSettings(profile="v2")
    client = client_for("http://127.0.0.1:9/etims-api")
    with pytest.raises(ConfigurationError, match="needs an initialised device"):
        client.select_codes("20180101000000")


def test_secrets_stay_out_of_the_request_record(simulator: Simulator) -> None:
    client = initialised(client_for(simulator.legacy_base))
    init_record = client.initialize(PIN, "01", "serial-01")
    assert "cmcKey" not in str(init_record.request)
    assert init_record.response["data"]["info"]["cmcKey"] == "***"
    user = client.save_branch_user(
        p.SaveBranchUserRequest(user_id="clerk", user_name="Clerk", password="hunter2", in_use="Y", **AUDIT)
    )
    assert "hunter2" not in repr(user) and user.request["pwd"] == "***"
    assert client.credentials.cmc_key not in repr(client) + repr(client.credentials)
