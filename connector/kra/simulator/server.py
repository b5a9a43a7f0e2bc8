"""HTTP layer: routes both path families, the OAuth gateway, admin endpoints, latency and faults."""

from __future__ import annotations

import logging
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from connector import jsonio
from connector.clock import kra_datetime, now_eat
from connector.kra.simulator import routes
from connector.kra.simulator.calls import Answer
from connector.kra.simulator.config import HTTP_FAULTS
from connector.kra.simulator.dispatch import answer_call

if TYPE_CHECKING:
    from connector.kra.simulator.simulator import Simulator

log = logging.getLogger(__name__)

LEGACY_PREFIX = "/etims-api/"
GAVACONNECT_PREFIX = "/etims-oscu/api/v1/"
TOKEN_PATH = "/v1/token/generate"
READ_BACK = "selectInvoiceDetails"
ADMIN_PREFIX = "/_admin/"
INVALID_TOKEN = {
    "fault": {
        "faultstring": "Invalid access token",
        "detail": {"errorcode": "oauth.v2.InvalidAccessToken"},
    }
}


class SimulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], simulator: Simulator) -> None:
        self.simulator = simulator
        super().__init__(address, RequestHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (timed out, closed) is normal here; anything else is printed."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


def envelope(answer: Answer) -> dict[str, Any]:
    return {
        "resultCd": answer.code,
        "resultMsg": answer.text,
        "resultDt": kra_datetime(now_eat()),
        "data": answer.data,
    }


def wrapped(answer: Answer) -> dict[str, Any]:
    """GavaConnect's gateway wrapping around the OSCU envelope."""
    header = {
        "responseCode": 200,
        "responseMessage": "Success",
        "customerMessage": answer.text,
        "debugMessage": None,
    }
    return {"responseHeader": header, "responseBody": envelope(answer)}


def with_spaced_keys(value: Any) -> Any:
    """Every key with stray whitespace around it, at every depth (" resultCd ", "data ")."""
    if isinstance(value, dict):
        return {f" {key} " if index % 2 else f"{key} ": with_spaced_keys(item)
                for index, (key, item) in enumerate(value.items())}  # fmt: skip
    if isinstance(value, list):
        return [with_spaced_keys(item) for item in value]
    return value


SPOILT_RECEIPTS: dict[str, tuple[str, Any]] = {
    "no-signature": ("rcptSign", ""),
    "bad-signature": ("rcptSign", "not-a-signature"),
    "no-receipt-number": ("curRcptNo", None),
    "bad-time": ("sdcDateTime", "20261345256199"),
    "bad-internal-data": ("intrlData", "short"),
}


def spoilt_receipt(fault: str, data: Any) -> Any:
    """The answer data of a committed sale with one receipt field broken (what is stored stays right)."""
    if fault == "no-data" or not isinstance(data, dict):
        return None
    name, value = SPOILT_RECEIPTS[fault]
    return {**data, name: value}


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # small answers on kept-alive connections must not wait for delayed ACKs
    server: SimulatorHTTPServer

    @property
    def sim(self) -> Simulator:
        return self.server.simulator

    def log_message(self, format: str, *args: Any) -> None:
        if self.sim.config.log_requests:
            log.info("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    # routing
    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        raw = self._read_body()
        if url.path.startswith(ADMIN_PREFIX):
            self._admin(method, url.path[len(ADMIN_PREFIX) :], parse_qs(url.query), raw)
            return
        self._pause(self.sim.faults.snapshot()["latency_seconds"])
        if self.sim.stopping.is_set():
            self.close_connection = True  # shutting down: hang up instead of answering
        elif url.path == TOKEN_PATH:
            self._token(parse_qs(url.query))
        elif url.path.startswith(LEGACY_PREFIX):
            self._legacy(method, url.path[len(LEGACY_PREFIX) :], raw)
        elif url.path.startswith(GAVACONNECT_PREFIX):
            self._gavaconnect(method, url.path[len(GAVACONNECT_PREFIX) :], raw)
        else:
            self._send_text(404, "Not Found")

    def _legacy(self, method: str, name: str, raw: bytes) -> None:
        function = routes.legacy_function(name.strip("/"))
        if function is None or method != "POST":
            self._send_json(200, envelope(Answer("912")))
            return
        self._kra_call(function, raw, gavaconnect=False)

    def _gavaconnect(self, method: str, path: str, raw: bytes) -> None:
        if not self.sim.tokens.valid(self.headers.get("Authorization")):
            self._send_json(401, INVALID_TOKEN)
            return
        if not self.headers.get("apigee_app_id"):
            self._send_text(400, "Missing apigee_app_id header")
            return
        function = routes.gavaconnect_function(path.strip("/"))
        if function is None:
            self._send_text(404, f"No resource found for /{path.strip('/')}")
        elif method != "POST":
            self._send_text(405, "Method Not Allowed")
        else:
            self._kra_call(function, raw, gavaconnect=True)

    def _kra_call(self, function: str, raw: bytes, gavaconnect: bool) -> None:
        faults = self.sim.faults
        if function != routes.INITIALIZE:
            fault = faults.pick_fault()
            if fault is not None:
                self._send_fault(fault, gavaconnect)
                return
            if faults.snapshot()["forgetful"] and function in (routes.SAVE_SALE, READ_BACK):
                self._send_answer(Answer("000" if function == routes.SAVE_SALE else "001"), gavaconnect)
                return  # answers as if it worked, records nothing
        answer = answer_call(self.sim.store, self.sim.config, function, raw, self.headers, gavaconnect)
        if answer.sale_committed and faults.should_hold_after_commit():
            self._hold_and_hang_up()
            return
        after = faults.pick_after_commit() if answer.sale_committed else None
        if after is None:
            self._send_answer(answer, gavaconnect)
        else:
            self._after_commit(after, answer, gavaconnect)

    # answers
    def _send_answer(self, answer: Answer, gavaconnect: bool, pad_keys: bool = False) -> None:
        if gavaconnect and answer.is_validation:
            self._send_text(400, answer.text)
            return
        body = wrapped(answer) if gavaconnect else envelope(answer)
        self._send_json(200, with_spaced_keys(body) if pad_keys else body)

    def _after_commit(self, fault: str, answer: Answer, gavaconnect: bool) -> None:
        """The sale is recorded and signed; its answer goes wrong in the way `fault` says (config.AFTER_COMMIT)."""
        if fault == "timeout":
            self._hold_and_hang_up()
        elif fault in HTTP_FAULTS:
            self._send_text(int(fault), f"Simulated gateway error {fault} (the sale was recorded)")
        elif fault == "999":
            self._send_answer(Answer("999"), gavaconnect)
        elif fault == "drop":
            self.close_connection = True
        elif fault in ("truncate", "trickle", "oversize"):
            self._send_body_fault(fault, answer, gavaconnect)
        elif fault == "whitespace":
            self._send_answer(answer, gavaconnect, pad_keys=True)
        else:
            self._send_answer(Answer(answer.code, spoilt_receipt(fault, answer.data)), gavaconnect)

    def _send_body_fault(self, fault: str, answer: Answer, gavaconnect: bool) -> None:
        body = wrapped(answer) if gavaconnect else envelope(answer)
        settings = self.sim.faults.snapshot()
        if fault == "oversize":
            body["padding"] = "x" * int(settings["oversize_bytes"])
        data = jsonio.dumps(body).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if fault == "truncate":
            self.wfile.write(data[: len(data) // 2])
        elif fault == "trickle":
            for index in range(len(data)):
                self.wfile.write(data[index : index + 1])
                self.wfile.flush()
                if self.sim.stopping.wait(float(settings["trickle_seconds"])):
                    break
        else:
            self.wfile.write(data)
        self.close_connection = True

    def _send_fault(self, fault: str, gavaconnect: bool) -> None:  # before anything is recorded
        if fault in HTTP_FAULTS:
            self._send_text(int(fault), f"Simulated gateway error {fault}")
        else:
            self._send_answer(Answer(fault), gavaconnect)

    def _hold_and_hang_up(self) -> None:
        """The sale is recorded and signed; wait, then close the connection without answering."""
        self._pause(self.sim.faults.snapshot()["commit_then_timeout_seconds"])
        self.close_connection = True

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self.sim.stopping.wait(seconds)

    # OAuth gateway
    def _token(self, query: dict[str, list[str]]) -> None:
        if query.get("grant_type") != ["client_credentials"]:
            self._send_json(400, {"error": "unsupported_grant_type"})
            return
        token = self.sim.tokens.issue(self.headers.get("Authorization"))
        if token is None:
            self._send_json(401, {"error": "invalid_client", "error_description": "Invalid client credentials"})
            return
        self._send_json(200, token)

    # admin endpoints (tests and benchmarks)
    def _admin(self, method: str, name: str, query: dict[str, list[str]], raw: bytes) -> None:
        if (method, name) == ("GET", "signatures"):
            counts = self.sim.signature_counts()
            self._send_json(200, {device: {str(n): c for n, c in per.items()} for device, per in counts.items()})
        elif (method, name) == ("GET", "sales"):
            tin, bhf_id = query.get("tin", [None])[0], query.get("bhfId", [None])[0]
            self._send_json(200, {"sales": self.sim.sales(tin, bhf_id)})
        elif name == "faults" and method in ("GET", "POST"):
            self._admin_faults(method, raw)
        elif (method, name) == ("POST", "reset"):
            self.sim.reset()
            self._send_json(200, {"reset": True})
        else:
            self._send_json(404, {"error": f"unknown admin endpoint {method} /_admin/{name}"})

    def _admin_faults(self, method: str, raw: bytes) -> None:
        if method == "POST":
            try:
                changes = jsonio.loads(raw) if raw.strip() else {}
                if not isinstance(changes, dict):
                    raise ValueError("body must be a JSON object")
                self.sim.faults.update(changes)
            except (ValueError, TypeError) as problem:
                self._send_json(400, {"error": str(problem)})
                return
        self._send_json(200, self.sim.faults.snapshot())

    # plumbing
    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _send_json(self, status: int, payload: Any) -> None:
        self._send(status, jsonio.dumps(payload).encode("utf-8"), "application/json;charset=UTF-8")

    def _send_text(self, status: int, text: str) -> None:
        self._send(status, text.encode("utf-8"), "text/plain;charset=UTF-8")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
