"""FakeQuickBooks: the fake QBO server (OAuth provider + v3 API for several realms) on 127.0.0.1:0.

Request order for /v3/company/<realm>/...: unknown realm or Bearer problem → 401 (JSON 3200 for a missing,
unknown or expired token; XML AuthenticationFault 100 for a token of another realm) → counted in
`realm.requests` → limiter (429) → latency → injected fault → `requestid` replay → the API.
A repeated `requestid` on a POST replays the first answer byte for byte without applying the write again; only
answers the API itself produced are remembered (a 429 or injected fault never is, so a retry goes through).
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from . import api, faults
from .clock import FakeClock
from .delivery import AutoWebhooks, WebhookDelivery
from .faults import Reply
from .oauth import OAuthProvider, TokenSet
from .realm import Realm, RequestRecord
from .wire import dumps

DISCOVERY_PATH = "/.well-known/openid_configuration"


class FakeQuickBooks:
    """Context manager: `with FakeQuickBooks() as qbo:` starts the server, stops it on exit."""

    def __init__(self, *, verifier_token: str = "fake-verifier-token") -> None:
        self.clock = FakeClock()
        self.oauth = OAuthProvider(self.clock)
        self.client_id, self.client_secret = "fake-client-id", "fake-client-secret"
        self.verifier_token = verifier_token
        self.redirect_uri = "http://127.0.0.1/callback"
        self.oauth.register_client(self.client_id, self.client_secret, [self.redirect_uri])
        self.realms: dict[str, Realm] = {}
        self.consent_realm: str | None = None
        self.latency = 0.0
        self._webhooks: AutoWebhooks | None = None
        self._delivered: list[WebhookDelivery] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle -----------------------------------------------------------------------------------------
    def start(self) -> FakeQuickBooks:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False  # keep-alive clients must not hold up stop()
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="fake-qbo", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stop_webhooks()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeQuickBooks:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FakeQuickBooks is not running")
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def discovery_url(self) -> str:
        return self.base_url + DISCOVERY_PATH

    @property
    def api_url_v3(self) -> str:
        return self.base_url + "/v3"

    def discovery_document(self) -> dict:
        base = self.base_url
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/connect/oauth2",
            "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
            "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
            "revocation_endpoint": f"{base}/oauth2/v1/tokens/revoke",
            "jwks_uri": f"{base}/oauth2/v1/keys",
        }

    # ---- realms and tokens ---------------------------------------------------------------------------------
    def add_realm(self, realm_id: str, *, tax_model: str = "global", home_currency: str = "KES") -> Realm:
        realm = Realm(realm_id, self.clock, tax_model=tax_model, home_currency=home_currency)
        with self._lock:
            if realm_id in self.realms:
                raise ValueError(f"realm {realm_id} exists")
            self.realms[realm_id] = realm
            if self.consent_realm is None:
                self.consent_realm = realm_id
            if self._webhooks is not None:
                realm.listeners.append(self._webhooks)
        return realm

    def realm(self, realm_id: str) -> Realm:
        return self.realms[realm_id]

    def register_client(self, client_id: str, client_secret: str, redirect_uris: list[str]) -> None:
        self.oauth.register_client(client_id, client_secret, redirect_uris)

    def issue_tokens(self, realm_id: str, client_id: str | None = None) -> TokenSet:
        """Tokens as after a completed consent, without the browser round trip."""
        if realm_id not in self.realms:
            raise KeyError(realm_id)
        return self.oauth.issue(client_id or self.client_id, realm_id)

    def authorize_url(self, state: str = "state", redirect_uri: str | None = None, client_id: str | None = None) -> str:
        query = {
            "client_id": client_id or self.client_id,
            "response_type": "code",
            "scope": "com.intuit.quickbooks.accounting",
            "redirect_uri": redirect_uri or self.redirect_uri,
            "state": state,
        }
        return f"{self.base_url}/connect/oauth2?{urlencode(query)}"

    def expire_access_tokens(self, realm_id: str | None = None) -> None:
        self.oauth.expire_access_tokens(realm_id)

    def revoke_refresh_tokens(self, realm_id: str | None = None) -> None:
        self.oauth.revoke_refresh_tokens(realm_id)

    @property
    def token_requests(self) -> list[tuple[str, bool]]:
        return self.oauth.token_requests

    def __getattr__(self, name: str) -> Any:
        if name in {"access_token_ttl", "refresh_token_ttl", "refresh_grace_seconds", "rotate_every_refresh"}:
            return getattr(self.oauth, name)
        raise AttributeError(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in {"access_token_ttl", "refresh_token_ttl", "refresh_grace_seconds", "rotate_every_refresh"}:
            setattr(self.oauth, name, value)
        else:
            super().__setattr__(name, value)

    # ---- webhooks ------------------------------------------------------------------------------------------
    def webhooks_to(self, url: str, fmt: str = "cloudevents", verifier_token: str | None = None) -> AutoWebhooks:
        """From now on every create/update/void/delete in any realm (API or test) is notified to `url`."""
        self.stop_webhooks()
        sender = AutoWebhooks(url, verifier_token or self.verifier_token, fmt)
        with self._lock:
            self._webhooks = sender
            for realm in self.realms.values():
                realm.listeners.append(sender)
        return sender

    def stop_webhooks(self) -> None:
        with self._lock:
            sender, self._webhooks = self._webhooks, None
            for realm in self.realms.values():
                realm.listeners[:] = [item for item in realm.listeners if item is not sender]
        if sender is not None:
            sender.wait(timeout=5)
            sender.stop()
            self._delivered.extend(sender.deliveries)

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        current = self._webhooks.deliveries if self._webhooks is not None else []
        return [*self._delivered, *current]

    def wait_webhooks(self, timeout: float = 5.0) -> bool:
        return self._webhooks.wait(timeout) if self._webhooks is not None else True

    # ---- request handling ----------------------------------------------------------------------------------
    def answer(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        url = urlsplit(target)
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        path = url.path.rstrip("/") or "/"
        now = self.clock.now()
        if path == DISCOVERY_PATH and method == "GET":
            return Reply(200, dumps(self.discovery_document()), "application/json")
        if path == "/connect/oauth2" and method == "GET":
            return self.oauth.authorize(params, self.consent_realm)
        if path == "/oauth2/v1/tokens/bearer" and method == "POST":
            return self.oauth.token(headers, body)
        if path == "/oauth2/v1/tokens/revoke" and method == "POST":
            return self.oauth.revoke(headers, body)
        if path == "/oauth2/v1/keys" and method == "GET":
            return Reply(200, dumps({"keys": []}), "application/json")
        parts = path.split("/")
        if len(parts) >= 5 and parts[1] == "v3" and parts[2] == "company":
            return self._api(parts[3], method, parts[4:], params, headers, body)
        return faults.not_found(now)

    def _api(
        self, realm_id: str, method: str, parts: list[str], params: dict[str, str], headers: dict[str, str], body: bytes
    ) -> Reply:
        now = self.clock.now()
        authorization = headers.get("authorization", "")
        token = authorization[7:] if authorization.startswith("Bearer ") else ""
        realm = self.realms.get(realm_id)
        problem = self.oauth.bearer_problem(token, realm_id)
        if realm is None or problem == "wrong_realm":
            return faults.unauthorized_xml(now)
        route = api.route_of(parts, params)
        record = RequestRecord(method, route, params, body)
        realm.count(record)
        reply = self._authorised(realm, problem, method, parts, params, body)
        record.status = reply.status
        return reply

    def _authorised(
        self, realm: Realm, problem: str | None, method: str, parts: list[str], params: dict[str, str], body: bytes
    ) -> Reply:
        now = self.clock.now()
        if problem is not None:
            return faults.unauthorized_json(now)
        throttled = realm.admit()  # counts as in flight during the latency too
        try:
            delay = self.latency + realm.latency
            if delay > 0:
                time.sleep(delay)
            if throttled is not None:
                return faults.INJECTABLE[throttled](now)
            injected = realm.take_injected(api.route_of(parts, params))
            if injected is not None:
                return faults.INJECTABLE[injected](now)
            request_id = params.get("requestid") if method == "POST" else None
            if request_id:
                with realm.lock:
                    if request_id in realm.replies:
                        return realm.replies[request_id]
                    reply = api.handle(realm, method, parts, params, body)
                    realm.replies[request_id] = reply
                    return reply
            return api.handle(realm, method, parts, params, body)
        finally:
            realm.done()


class _Handler(BaseHTTPRequestHandler):
    fake: FakeQuickBooks
    protocol_version = "HTTP/1.1"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        try:
            reply = self.fake.answer(self.command, self.path, headers, body)
        except Exception:  # a bug in the fake must still answer, as QBO's own 500 page
            reply = faults.server_error_html(self.fake.clock.now())
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        self.send_header("intuit_tid", "1-fake-" + str(threading.get_ident()))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:  # silence per-request logging (it would show tokens)
        return
