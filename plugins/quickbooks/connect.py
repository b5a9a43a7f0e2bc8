"""Connecting a QuickBooks company: the OAuth2 authorization-code flow through intuit-oauth.

1. `start()` gives the authorization URL (scope com.intuit.quickbooks.accounting, a random `state`).
2. The bookkeeper opens it and consents; Intuit redirects the browser to the app's redirect URI with
   `code`, `state` and `realmId`. Either a one-shot local server on that 127.0.0.1 address receives it
   (`CallbackServer`), or the bookkeeper pastes the address the browser ended on (`finish(pasted_url)`).
3. `finish()` exchanges the code and stores realm id, access and refresh token encrypted (one transaction).
"""

from __future__ import annotations

import secrets as random
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

from connector.errors import ConfigurationError
from plugins.quickbooks.tokens import Tokens

DONE_PAGE = b"<html><body><h2>QuickBooks is connected.</h2><p>You can close this window.</p></body></html>"


class Connection:
    def __init__(self, tokens: Tokens, redirect_uri: str | None = None) -> None:
        self.tokens = tokens
        self.auth = tokens.auth_client()
        if redirect_uri:
            self.auth.redirect_uri = redirect_uri
        self.state = random.token_urlsafe(24)

    def start(self) -> str:
        """The URL the bookkeeper opens to consent."""
        return str(self.auth.get_authorization_url([Scopes.ACCOUNTING], state_token=self.state))

    def finish(self, redirected_to: str) -> str:
        """Exchange the code from the address Intuit redirected to; store the tokens. Returns the realm id."""
        query = {key: values[0] for key, values in parse_qs(urlsplit(redirected_to.strip()).query).items()}
        if "error" in query:
            raise ConfigurationError(f"Intuit did not connect the company: {query['error']}")
        if not random.compare_digest(query.get("state", ""), self.state):
            raise ConfigurationError("the redirect does not belong to this connection attempt (state differs)")
        code, realm = query.get("code"), query.get("realmId")
        if not code or not realm:
            raise ConfigurationError("the address has no code and realmId: paste the whole address from the browser")
        try:
            self.auth.get_bearer_token(code, realm_id=realm)
        except AuthClientError as exc:
            raise ConfigurationError(f"Intuit refused the authorization code (HTTP {exc.status_code})") from None
        self.tokens.save(realm, self.auth.access_token, self.auth.refresh_token, self.auth.expires_in)
        return realm


class CallbackServer:
    """A one-shot HTTP server on the redirect URI's 127.0.0.1 address that waits for Intuit's redirect."""

    def __init__(self, redirect_uri: str) -> None:
        parts = urlsplit(redirect_uri)
        if parts.hostname not in ("127.0.0.1", "localhost"):
            raise ConfigurationError(f"redirect URI {redirect_uri} is not on this machine: use --paste")
        self.path = parts.path or "/"
        self.received: str | None = None
        self._got = threading.Event()
        handler = type("Callback", (_Handler,), {"server_side": self})
        self.httpd = HTTPServer(("127.0.0.1", parts.port or 80), handler)
        port = self.httpd.server_address[1]
        self.redirect_uri = urlunsplit((parts.scheme, f"{parts.hostname}:{port}", self.path, "", ""))
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.1,), daemon=True)

    def __enter__(self) -> CallbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def wait(self, timeout: float) -> str:
        if not self._got.wait(timeout):
            raise ConfigurationError(f"no redirect from Intuit within {timeout:.0f} s (run again, or use --paste)")
        assert self.received is not None
        return self.received

    def _receive(self, url: str) -> None:
        self.received = url
        self._got.set()


class _Handler(BaseHTTPRequestHandler):
    server_side: CallbackServer

    def do_GET(self) -> None:
        if urlsplit(self.path).path != self.server_side.path:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(DONE_PAGE)
        self.server_side._receive(self.server_side.redirect_uri + "?" + urlsplit(self.path).query)

    def log_message(self, format: str, *args: Any) -> None:  # the query holds the authorization code
        pass
