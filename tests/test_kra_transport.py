"""The lean HTTP path of KRA calls (connector/kra/transport.py) over real sockets: one kept-alive connection per
thread, a connection the server closed while idle is never written into, a client with hooks or a proxy goes
through httpx as it is, a connection that could not be opened is "never sent", HTTPS verifies with the
client's own TLS context."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from connector import jsonio
from connector.devices import DeviceCredentials
from connector.kra import transport
from connector.kra.results import Outcome
from connector.kra.simulator import SimulatorConfig, start_simulator
from tests.conftest import PIN
from tests.test_client import client_for, initialised, item_request


class Answers(BaseHTTPRequestHandler):
    """Answers every POST with 001 (no data) and keeps the connection alive, or with `close_idle` shuts it after
    the answer without saying so (what a server's keep-alive timeout does)."""

    protocol_version = "HTTP/1.1"
    connections: list[tuple[str, int]] = []
    close_idle = False

    def setup(self) -> None:
        super().setup()
        type(self).connections.append(self.client_address)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = jsonio.dumps({"resultCd": "001", "resultMsg": "no data", "resultDt": "20261122103000", "data": None})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()  # no "Connection: close": the client may keep it
        self.wfile.write(body.encode())
        self.wfile.flush()
        if type(self).close_idle:
            self.close_connection = True  # the server drops the idle connection (a keep-alive timeout)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, type[Answers]]]:
    handler = type("Handler", (Answers,), {"connections": [], "close_idle": False})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/etims-api", handler
    httpd.shutdown()
    httpd.server_close()


def device_client(base: str, http: httpx.Client | None = None):
    client = client_for(base, credentials=DeviceCredentials(PIN, "00", "k" * 32))
    if http is not None:
        client.http = http
    return client


def test_calls_of_one_thread_share_one_kept_alive_connection(server) -> None:
    base, handler = server
    client = device_client(base)
    assert transport.lean_for(client.http) is not None
    for _ in range(5):
        assert client.select_codes("20180101000000").outcome is Outcome.NO_DATA
    assert len(handler.connections) == 1


def test_a_connection_the_server_closed_while_idle_is_not_written_into(server) -> None:
    base, handler = server
    handler.close_idle = True
    client = device_client(base)
    for _ in range(4):  # each call finds the last connection closed: a new one, never an unknown outcome
        result = client.select_codes("20180101000000")
        assert result.outcome is Outcome.NO_DATA, result.describe()
        threading.Event().wait(0.05)  # the server's close has arrived
    assert len(handler.connections) == 4


def test_a_client_with_event_hooks_or_a_proxy_is_used_as_it_is(server, monkeypatch: pytest.MonkeyPatch) -> None:
    base, _ = server
    seen: list[str] = []
    hooked = httpx.Client(event_hooks={"request": [lambda request: seen.append(request.url.path)]})
    assert transport.lean_for(hooked) is None
    assert device_client(base, hooked).select_codes("20180101000000").outcome is Outcome.NO_DATA
    assert seen == ["/etims-api/selectCodeList"]
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    assert transport.lean_for(httpx.Client()) is None  # proxies from the environment: httpx's own way
    closed = httpx.Client()
    closed.close()
    assert transport.lean_for(closed) is None  # httpx refuses in its own words


def test_a_port_that_refuses_is_never_sent() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: refused
        result = device_client(f"http://127.0.0.1:{port}/etims-api").select_codes("20180101000000")
    assert result.outcome is Outcome.RETRY_LATER and "never left" in result.message


def test_threads_keep_their_own_connections_against_the_simulator() -> None:
    with start_simulator(SimulatorConfig(port=0, seed=5)) as sim:
        client = initialised(client_for(sim.legacy_base))
        outcomes: list[Outcome] = []

        def work() -> None:
            for _ in range(10):
                outcomes.append(client.save_item(item_request()).outcome)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert outcomes == [Outcome.ACCEPTED] * 40


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no public authority signed (cryptography, as the ledger's Fernet uses)."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return cert_file, key_file


def test_https_verifies_with_the_clients_own_tls_context(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    handler = type("Handler", (Answers,), {"connections": [], "close_idle": False})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    base = f"https://127.0.0.1:{httpd.server_address[1]}/etims-api"
    try:
        untrusted = client_for(base, credentials=DeviceCredentials(PIN, "00", "k" * 32), connect_retries=0)
        refused = untrusted.select_codes("20180101000000")  # default verification: this certificate is refused
        assert refused.outcome is Outcome.RETRY_LATER and "never left" in refused.message, refused.describe()
        trusting = httpx.Client(verify=ssl.create_default_context(cafile=str(cert)))
        assert transport.lean_for(trusting) is not None
        client = device_client(base, trusting)
        for _ in range(3):
            assert client.select_codes("20180101000000").outcome is Outcome.NO_DATA
        assert len(handler.connections) == 1  # one kept-alive connection (the refused handshake had none)
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_forked_child_opens_its_own_connection(server) -> None:
    import multiprocessing

    base, handler = server
    client = device_client(base)
    assert client.select_codes("20180101000000").outcome is Outcome.NO_DATA
    fork = multiprocessing.get_context("fork")
    answers = fork.Queue()
    child = fork.Process(target=lambda: answers.put(client.select_codes("20180101000000").outcome.value))
    child.start()
    child.join(30)
    assert answers.get(timeout=5) == Outcome.NO_DATA.value
    assert client.select_codes("20180101000000").outcome is Outcome.NO_DATA  # the parent's own one still works
    assert len(handler.connections) == 2  # the parent's, kept; the child's, new
