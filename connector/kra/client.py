"""The one KRA client: one method per endpoint over an injected `httpx.Client`.

    call() ─► body + headers (tin, bhfId, cmcKey; Bearer + apigee_app_id on GavaConnect)
          ─► POST, tenacity retrying only errors where the request never left
          ─► answer read (legacy envelope, GavaConnect wrapper, HTTP 400 text, HTML pages)
          ─► classified once by `results` into an Outcome ─► KraResult

A read timeout after sending is UNKNOWN, never a failure (spec §7.3). The client never raises for
a KRA answer; callers branch on `result.outcome`, or call `result.raise_for_outcome()`.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from connector import jsonio
from connector.config import KraSettings
from connector.devices import DeviceCredentials
from connector.errors import ConfigurationError, KraError
from connector.kra import payloads as p
from connector.kra import results
from connector.kra.auth import GavaConnectToken
from connector.kra.endpoints import ENDPOINTS, Endpoint
from connector.kra.results import Meaning, Outcome
from connector.kra.transport import DeadlineAfterSend, TooLarge, lean_for
from connector.kra.watchdog import WATCHDOG

log = logging.getLogger("connector.kra")

SECRET_KEYS = {"cmcKey", "access_token", "pwd", "consumer_secret", "Authorization"}
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
LOST_AFTER_SEND = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError, httpx.WriteTimeout)


def _may_hold_secret(text: str) -> bool:
    """Whether an encoded body could hold a secret (cheap and conservative: a secret's key name anywhere)."""
    return any(f'"{key}"' in text for key in SECRET_KEYS)


def redact(value: Any) -> Any:
    """A copy with every secret value replaced, for logs and the ledger."""
    if isinstance(value, dict):
        return {k: "***" if k in SECRET_KEYS and v else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


# Look-ups answering whole lists (code lists, item classes): they get the larger answer cap.
LIST_LOOKUPS = {
    "select_codes", "select_item_classes", "select_notices", "select_branches", "select_items",
    "select_imports", "select_purchases", "select_stock_moves",
}  # fmt: skip
# Answers that carry a receipt KRA signed: a `000` counts only with a usable one (results.receipt_problem).
RECEIPT_ENDPOINTS = {"save_sale", "select_invoice"}


_DeadlineAfterSend, _TooLarge = DeadlineAfterSend, TooLarge  # shared with the lean path (connector/kra/transport)


@functools.lru_cache(maxsize=256)
def _parsed(url: str) -> httpx.URL:
    """A URL parsed once per endpoint, not once per call."""
    return httpx.URL(url)


def _past(deadline: float) -> Any:
    """A tenacity stop condition: no further connect attempt once the call deadline has passed."""
    return lambda state: time.monotonic() >= deadline


def _read_capped(response: httpx.Response, deadline: float, cap: int) -> bytes:
    """The body, at most `cap` bytes, finished before `deadline`: a watchdog shuts the socket down at the
    deadline, so a server trickling one byte at a time cannot hold the device."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise _TooLarge(response.status_code, b"")
    stream = response.extensions.get("network_stream")
    sock = stream.get_extra_info("socket") if stream is not None else None
    fired = threading.Event()

    def cut() -> None:
        fired.set()
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    entry = WATCHDOG.arm(deadline, cut)
    chunks, size = [], 0
    try:
        for chunk in response.iter_bytes():
            size += len(chunk)
            chunks.append(chunk)
            if size > cap:
                raise _TooLarge(response.status_code, b"".join(chunks)[:cap])
            if time.monotonic() > deadline:
                raise _DeadlineAfterSend()
    except httpx.TransportError:
        if fired.is_set() or time.monotonic() > deadline:
            raise _DeadlineAfterSend() from None
        raise
    finally:
        WATCHDOG.disarm(entry)
    return b"".join(chunks)


def _int_or(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _require_receipt(endpoint: Endpoint, answer: _Answer) -> None:
    """A `000` sale, or a read-back that found the sale, is accepted only with a usable receipt."""
    if endpoint.name not in RECEIPT_ENDPOINTS:
        return
    if endpoint.name == "save_sale":
        problem = results.receipt_problem(answer.data)
    else:
        sales = answer.data.sales
        if not sales:
            problem = "the answer lists no sale (KRA answers 001 for a number it does not have)"
        else:
            problem = results.receipt_problem(sales[0].receipt)
    if problem is not None:
        answer.meaning = results.NO_RECEIPT
        answer.message = f"{results.NO_RECEIPT.explanation}: {problem}"
        answer.data = None


class KraCallFailed(KraError):
    def __init__(self, result: KraResult) -> None:
        self.result = result
        super().__init__(result.describe())


@dataclass
class KraResult:
    endpoint: str
    outcome: Outcome
    code: str | None
    message: str
    data: Any = None
    http_status: int | None = None
    request: dict[str, Any] = field(default_factory=dict)  # redacted body
    request_text: str | None = None  # the body exactly as sent (JSON), only when it held no secret
    response: Any = None  # redacted JSON, or a text excerpt
    elapsed_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.ACCEPTED, Outcome.NO_DATA)

    def describe(self) -> str:
        code = f" {self.code}" if self.code else ""
        return f"KRA {self.endpoint}: {self.outcome.value}{code}: {self.message}"

    def raise_for_outcome(self) -> KraResult:
        if not self.ok:
            raise KraCallFailed(self)
        return self


@dataclass
class _Answer:
    meaning: Meaning
    code: str | None
    message: str
    data: Any = None
    response: Any = None


class KraClient:
    def __init__(
        self,
        settings: KraSettings,
        http: httpx.Client,
        credentials: DeviceCredentials | None = None,
        token: GavaConnectToken | None = None,
    ) -> None:
        self.settings = settings
        self.profile = settings.profile
        self.base = settings.api_base()
        self.http = http
        self.credentials = credentials
        if self.profile == "gavaconnect" and token is None:
            secret = settings.consumer_secret.get_secret_value() if settings.consumer_secret else None
            token = GavaConnectToken(http, settings.oauth_token_url(), settings.consumer_key, secret)
        self.token = token

    def __repr__(self) -> str:
        return f"KraClient(profile={self.profile!r}, base={self.base!r})"

    # ------------------------------------------------------------ the call pipeline

    def call(self, name: str, body: BaseModel | dict[str, Any], content: str | None = None) -> KraResult:
        """`content`: the body already encoded by the caller (jsonio.dumps(body), e.g. as the ledger stored it)."""
        endpoint = ENDPOINTS[name]
        payload = body.to_wire() if isinstance(body, p.KraRequest) else dict(body)  # type: ignore[arg-type]
        if content is not None and not (payload.get("tin") and payload.get("bhfId")):
            content = None  # the client adds them below: encode what is really sent
        headers = self._headers(endpoint, payload)
        started = time.monotonic()
        if content is None:  # encoded once: sent, and kept for the ledger when it holds no secret
            content = jsonio.dumps(payload)
        answer, status = self._exchange(endpoint, content.encode("utf-8"), headers)
        clean = not _may_hold_secret(content)
        answer.meaning = results.refine(answer.meaning, answer.message)
        result = KraResult(
            endpoint=endpoint.legacy,
            outcome=answer.meaning.outcome,
            code=answer.code,
            message=answer.message,
            data=answer.data,
            http_status=status,
            request=payload if clean else redact(payload),
            request_text=content if clean else None,
            response=redact(answer.response),
            elapsed_seconds=round(time.monotonic() - started, 3),
        )
        log.debug("%s -> %s %s (%.2fs)", endpoint.legacy, result.outcome, result.code or "", result.elapsed_seconds)
        return result

    def _headers(self, endpoint: Endpoint, payload: dict[str, Any]) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if endpoint.name != "initialize":
            if self.credentials is None:
                raise ConfigurationError(f"{endpoint.legacy} needs an initialised device (PIN, branch, CMC key)")
            creds = self.credentials
            headers |= {"tin": creds.pin, "bhfId": creds.branch, "cmcKey": creds.cmc_key}
            if not payload.get("tin"):
                payload["tin"] = creds.pin
            if not payload.get("bhfId"):
                payload["bhfId"] = creds.branch
        if self.profile == "gavaconnect" and self.settings.apigee_app_id:
            headers["apigee_app_id"] = self.settings.apigee_app_id
        return headers

    def _exchange(self, endpoint: Endpoint, content: bytes, headers: dict[str, str]) -> tuple[_Answer, int | None]:
        url = f"{self.base}/{endpoint.path(self.profile)}"
        limit = self.settings.init_timeout_seconds if endpoint.name == "initialize" else self.settings.timeout_seconds
        total = self.settings.deadline_seconds()
        deadline = time.monotonic() + total
        cap = self.settings.max_list_answer_bytes if endpoint.name in LIST_LOOKUPS else self.settings.max_answer_bytes
        for attempt in range(2):  # a second pass only after a refused (401) GavaConnect token
            if self.token is not None:
                headers["Authorization"] = self.token.header()
            try:
                status, body = self._post(url, content, headers, limit, deadline, cap)
            except NEVER_SENT as exc:
                return _Answer(results.NOT_SENT, None, f"{results.NOT_SENT.explanation}: {exc}"), None
            except _DeadlineAfterSend:
                message = f"{results.DEADLINE_AFTER_SEND.explanation} of {total:g}s"
                return _Answer(results.DEADLINE_AFTER_SEND, None, message), None
            except _TooLarge as big:
                message = f"the answer is larger than {cap} bytes (HTTP {big.status}); kept {len(big.head)} of them"
                note = {"truncated": True, "limit_bytes": cap, "excerpt": big.head[:2000].decode("utf-8", "replace")}
                return _Answer(results.ANSWER_TOO_LARGE, None, message, response=note), big.status
            except httpx.TimeoutException:
                return _Answer(results.TIMEOUT_AFTER_SEND, None, f"no answer within {limit:g}s"), None
            except LOST_AFTER_SEND as exc:
                return _Answer(results.CONNECTION_LOST_AFTER_SEND, None, str(exc) or type(exc).__name__), None
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                meaning = Meaning(Outcome.NEEDS_CONFIGURATION, "bad KRA URL")
                return _Answer(meaning, None, f"bad KRA URL {url}: {exc}"), None
            if status == 401 and self.token is not None and attempt == 0:
                self.token.invalidate()
                continue
            return self._read(endpoint, status, body), status
        raise AssertionError("unreachable")

    def _post(
        self, url: str, content: bytes, headers: dict[str, str], limit: float, deadline: float, cap: int
    ) -> tuple[int, bytes]:
        """(status, body); connect errors are retried (the request never left) while the deadline allows."""
        try:  # the first attempt without tenacity's machinery (~40 us a call): retries are the rare case
            return self._post_once(url, content, headers, limit, deadline, cap)
        except NEVER_SENT:
            if self.settings.connect_retries == 0 or time.monotonic() >= deadline:
                raise
        time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))  # tenacity's first wait below
        retrying = Retrying(
            retry=retry_if_exception_type(NEVER_SENT),
            stop=stop_after_attempt(self.settings.connect_retries) | _past(deadline),
            wait=wait_exponential(multiplier=0.4, max=2),  # 0.2 (above), 0.4, 0.8, 1.6, 2 … as before
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                return self._post_once(url, content, headers, limit, deadline, cap)
        raise AssertionError("unreachable")

    def _post_once(
        self, url: str, content: bytes, headers: dict[str, str], limit: float, deadline: float, cap: int
    ) -> tuple[int, bytes]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise httpx.ConnectTimeout("the call deadline passed before the request could be sent")
        lean = lean_for(self.http)
        if lean is not None:  # a plain client: keep-alive over http.client, httpx's rules (connector/kra/transport)
            return lean.post(url, content, headers, min(limit, remaining), min(limit, 10.0, remaining), deadline, cap)
        timeout = httpx.Timeout(min(limit, remaining), connect=min(limit, 10.0, remaining))
        request = self.http.build_request("POST", _parsed(url), content=content, headers=headers, timeout=timeout)
        response = self.http.send(request, stream=True)
        try:
            return response.status_code, _read_capped(response, deadline, cap)
        finally:
            response.close()

    # ------------------------------------------------------------ reading answers

    def _read(self, endpoint: Endpoint, status: int, content: bytes) -> _Answer:
        try:
            body = results.normalise_keys(jsonio.loads(content)) if content else None
        except ValueError:
            return self._read_text(status, content)
        if isinstance(body, dict) and "responseHeader" in body:
            header = body.get("responseHeader") or {}
            body = body.get("responseBody")
            if body is None:
                code = _int_or(header.get("responseCode"), status)
                text = header.get("debugMessage") or header.get("customerMessage") or "no details"
                meaning = results.classify_http(code) if code != 200 else results.UNREADABLE_ANSWER
                return _Answer(meaning, str(code), str(text), response=header)
        if not isinstance(body, dict) or "resultCd" not in body:
            meaning = results.classify_http(status) if status != 200 else results.UNREADABLE_ANSWER
            return _Answer(meaning, None, f"HTTP {status}: answer without resultCd", response=body)
        envelope = p.Envelope.model_validate(body)
        meaning = results.classify_code(envelope.result_code)
        code = results.normalise_code(envelope.result_code)
        message = envelope.result_message or meaning.explanation
        answer = _Answer(meaning, code, message, response=body)
        if meaning.outcome is Outcome.ACCEPTED and endpoint.name in RECEIPT_ENDPOINTS and envelope.data is None:
            answer.meaning, answer.message = results.NO_RECEIPT, f"{results.NO_RECEIPT.explanation}: no receipt data"
        elif meaning.outcome is Outcome.ACCEPTED and endpoint.data_model is not None:
            answer.data = self._parse_data(endpoint, envelope.data, answer)
            if answer.data is not None:
                _require_receipt(endpoint, answer)
        return answer

    @staticmethod
    def _parse_data(endpoint: Endpoint, data: Any, answer: _Answer) -> Any:
        assert endpoint.data_model is not None
        try:
            return endpoint.data_model.model_validate(data)
        except ValidationError as exc:
            answer.meaning = results.UNREADABLE_ANSWER
            answer.message = f"accepted, but its data could not be read: {exc.errors()[0]['msg']}"
            return None

    @staticmethod
    def _read_text(status: int, content: bytes) -> _Answer:
        text = content.decode("utf-8", "replace").strip()
        kind = "an HTML page" if text.lower().startswith(("<!doctype", "<html")) else "text"
        excerpt = " ".join(text.split())[:300]
        if status == 200:
            message = f"answered HTTP 200 with {kind} instead of JSON: {excerpt!r}"
            return _Answer(results.UNREADABLE_ANSWER, None, message, response=excerpt)
        meaning = results.classify_http(status)
        detail = excerpt if kind == "text" else f"{kind} ({excerpt[:80]!r}…)"
        return _Answer(meaning, str(status), f"HTTP {status}: {detail}", response=excerpt)

    # ------------------------------------------------------------ one method per endpoint

    def initialize(self, pin: str, branch: str, serial: str) -> KraResult:
        request = p.InitRequest(tin=pin, branch_id=branch, device_serial=serial)
        return self.call("initialize", request)

    def select_codes(self, last_request: str) -> KraResult:
        return self.call("select_codes", p.LastRequestQuery(last_request=last_request))

    def select_item_classes(self, last_request: str) -> KraResult:
        return self.call("select_item_classes", p.LastRequestQuery(last_request=last_request))

    def select_customer(self, customer_pin: str) -> KraResult:
        return self.call("select_customer", p.CustomerQuery(customer_pin=customer_pin))

    def select_notices(self, last_request: str) -> KraResult:
        return self.call("select_notices", p.LastRequestQuery(last_request=last_request))

    def select_branches(self, last_request: str) -> KraResult:
        return self.call("select_branches", p.LastRequestQuery(last_request=last_request))

    def save_branch_customer(self, request: p.SaveBranchCustomerRequest) -> KraResult:
        return self.call("save_branch_customer", request)

    def save_branch_user(self, request: p.SaveBranchUserRequest) -> KraResult:
        return self.call("save_branch_user", request)

    def save_branch_insurance(self, request: p.SaveBranchInsuranceRequest) -> KraResult:
        return self.call("save_branch_insurance", request)

    def select_items(self, last_request: str) -> KraResult:
        return self.call("select_items", p.LastRequestQuery(last_request=last_request))

    def save_item(self, request: p.SaveItemRequest) -> KraResult:
        return self.call("save_item", request)

    def save_item_composition(self, request: p.SaveItemCompositionRequest) -> KraResult:
        return self.call("save_item_composition", request)

    def select_imports(self, last_request: str) -> KraResult:
        return self.call("select_imports", p.LastRequestQuery(last_request=last_request))

    def update_import(self, request: p.UpdateImportItemRequest) -> KraResult:
        return self.call("update_import", request)

    def save_sale(self, request: p.SaleRequest | dict[str, Any], content: str | None = None) -> KraResult:
        return self.call("save_sale", request, content)

    def select_invoice(self, invoice_number: int) -> KraResult:
        return self.call("select_invoice", p.InvoiceDetailsRequest(invoice_number=invoice_number))

    def select_purchases(self, last_request: str) -> KraResult:
        return self.call("select_purchases", p.LastRequestQuery(last_request=last_request))

    def save_purchase(self, request: p.PurchaseRequest) -> KraResult:
        return self.call("save_purchase", request)

    def select_stock_moves(self, last_request: str) -> KraResult:
        return self.call("select_stock_moves", p.LastRequestQuery(last_request=last_request))

    def save_stock_io(self, request: p.StockInOutRequest) -> KraResult:
        return self.call("save_stock_io", request)

    def save_stock_master(self, request: p.StockMasterRequest) -> KraResult:
        return self.call("save_stock_master", request)
