"""The one KRA client: one method per endpoint over an injected `httpx.Client`.

    call() ─► body + headers (tin, bhfId, cmcKey; Bearer + apigee_app_id on GavaConnect)
          ─► POST, tenacity retrying only errors where the request never left
          ─► answer read (legacy envelope, GavaConnect wrapper, HTTP 400 text, HTML pages)
          ─► classified once by `results` into an Outcome ─► KraResult

A read timeout after sending is UNKNOWN, never a failure (spec §7.3). The client never raises for
a KRA answer; callers branch on `result.outcome`, or call `result.raise_for_outcome()`.
"""

from __future__ import annotations

import logging
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

log = logging.getLogger("connector.kra")

SECRET_KEYS = {"cmcKey", "access_token", "pwd", "consumer_secret", "Authorization"}
NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
LOST_AFTER_SEND = (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError, httpx.WriteTimeout)


def redact(value: Any) -> Any:
    """A copy with every secret value replaced, for logs and the ledger."""
    if isinstance(value, dict):
        return {k: "***" if k in SECRET_KEYS and v else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


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

    def call(self, name: str, body: BaseModel | dict[str, Any]) -> KraResult:
        endpoint = ENDPOINTS[name]
        payload = body.to_wire() if isinstance(body, p.KraRequest) else dict(body)  # type: ignore[arg-type]
        headers = self._headers(endpoint, payload)
        started = time.monotonic()
        answer, status = self._exchange(endpoint, payload, headers)
        answer.meaning = results.refine(answer.meaning, answer.message)
        result = KraResult(
            endpoint=endpoint.legacy,
            outcome=answer.meaning.outcome,
            code=answer.code,
            message=answer.message,
            data=answer.data,
            http_status=status,
            request=redact(payload),
            response=redact(answer.response),
            elapsed_seconds=round(time.monotonic() - started, 3),
        )
        log.info("%s -> %s %s (%.2fs)", endpoint.legacy, result.outcome, result.code or "", result.elapsed_seconds)
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

    def _exchange(
        self, endpoint: Endpoint, payload: dict[str, Any], headers: dict[str, str]
    ) -> tuple[_Answer, int | None]:
        url = f"{self.base}/{endpoint.path(self.profile)}"
        content = jsonio.dumps(payload).encode("utf-8")
        limit = self.settings.init_timeout_seconds if endpoint.name == "initialize" else self.settings.timeout_seconds
        timeout = httpx.Timeout(limit, connect=min(limit, 10.0))
        for attempt in range(2):  # a second pass only after a refused (401) GavaConnect token
            if self.token is not None:
                headers["Authorization"] = self.token.header()
            try:
                response = self._post(url, content, headers, timeout)
            except NEVER_SENT as exc:
                return _Answer(results.NOT_SENT, None, f"{results.NOT_SENT.explanation}: {exc}"), None
            except httpx.TimeoutException:
                return _Answer(results.TIMEOUT_AFTER_SEND, None, f"no answer within {limit:g}s"), None
            except LOST_AFTER_SEND as exc:
                return _Answer(results.CONNECTION_LOST_AFTER_SEND, None, str(exc) or type(exc).__name__), None
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                meaning = Meaning(Outcome.NEEDS_CONFIGURATION, "bad KRA URL")
                return _Answer(meaning, None, f"bad KRA URL {url}: {exc}"), None
            if response.status_code == 401 and self.token is not None and attempt == 0:
                self.token.invalidate()
                continue
            return self._read(endpoint, response), response.status_code
        raise AssertionError("unreachable")

    def _post(self, url: str, content: bytes, headers: dict[str, str], timeout: httpx.Timeout) -> httpx.Response:
        retrying = Retrying(
            retry=retry_if_exception_type(NEVER_SENT),
            stop=stop_after_attempt(self.settings.connect_retries + 1),
            wait=wait_exponential(multiplier=0.2, max=2),
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                return self.http.post(url, content=content, headers=headers, timeout=timeout)
        raise AssertionError("unreachable")

    # ------------------------------------------------------------ reading answers

    def _read(self, endpoint: Endpoint, response: httpx.Response) -> _Answer:
        status = response.status_code
        try:
            body = jsonio.loads(response.content) if response.content else None
        except ValueError:
            return self._read_text(response)
        if isinstance(body, dict) and "responseHeader" in body:
            header = body.get("responseHeader") or {}
            body = body.get("responseBody")
            if body is None:
                code = int(header.get("responseCode") or status)
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
        if meaning.outcome is Outcome.ACCEPTED and endpoint.data_model is not None:
            answer.data = self._parse_data(endpoint, envelope.data, answer)
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
    def _read_text(response: httpx.Response) -> _Answer:
        status = response.status_code
        text = response.text.strip()
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

    def save_sale(self, request: p.SaleRequest | dict[str, Any]) -> KraResult:
        return self.call("save_sale", request)

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
