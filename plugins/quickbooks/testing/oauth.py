"""The fake's OAuth 2.0 provider: authorization endpoint, token endpoint (authorization_code and refresh_token
grants exactly as intuit-oauth 1.2.6 sends them: form body, Basic client auth), revocation.

Refresh-token rotation. Spec §1.6: "a new value may come back roughly every 24 h and the superseded one goes stale".
Defaults here: EVERY refresh returns a new refresh token (`rotate_every_refresh = True`; set False for Intuit's
"same value until it is ~24 h old") and the superseded one answers `invalid_grant` at once
(`refresh_grace_seconds = 0`; Intuit documents no grace window — a test may open one). Old access tokens stay valid
until they expire (an assumption). Refresh tokens live `refresh_token_ttl` seconds (8726400 = 101 days, sample).
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlencode

from .clock import FakeClock
from .faults import Reply, oauth_error
from .wire import dumps

ROTATION_AGE = timedelta(hours=24)
CODE_TTL = timedelta(minutes=5)


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    realm_id: str
    expires_in: int
    x_refresh_token_expires_in: int

    def __repr__(self) -> str:  # never print tokens
        return f"TokenSet(realm_id={self.realm_id!r}, expires_in={self.expires_in})"


@dataclass
class _Grant:
    client_id: str
    realm_id: str
    refresh_token: str
    issued: datetime
    superseded: dict[str, datetime] = field(default_factory=dict)
    revoked: bool = False


@dataclass
class _Access:
    client_id: str
    realm_id: str
    expires: datetime


class OAuthProvider:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.clients: dict[str, tuple[str, list[str]]] = {}
        self.access_token_ttl = 3600
        self.refresh_token_ttl = 8726400
        self.refresh_grace_seconds = 0.0
        self.rotate_every_refresh = True
        self.token_requests: list[tuple[str, bool]] = []
        self._codes: dict[str, tuple[str, str, str, datetime]] = {}
        self._access: dict[str, _Access] = {}
        self._grants: dict[str, _Grant] = {}  # every refresh token ever issued -> its grant

    def register_client(self, client_id: str, client_secret: str, redirect_uris: list[str]) -> None:
        with self.lock:
            self.clients[client_id] = (client_secret, list(redirect_uris))

    # ---- endpoints ---------------------------------------------------------------------------------------------
    def authorize(self, params: dict[str, str], realm_id: str | None) -> Reply:
        """GET /connect/oauth2: the user "consents" at once; 302 to redirect_uri?code&state&realmId."""
        client = self.clients.get(params.get("client_id", ""))
        redirect_uri = params.get("redirect_uri", "")
        if client is None or redirect_uri not in client[1]:
            return Reply(400, b"<html><body>Invalid client_id or redirect_uri</body></html>", "text/html")
        if params.get("response_type") != "code" or realm_id is None:
            error = "unsupported_response_type" if params.get("response_type") != "code" else "access_denied"
            query = {"error": error, "state": params.get("state", "")}
            return Reply(302, b"", "text/html", {"Location": f"{redirect_uri}?{urlencode(query)}"})
        code = "AB11" + secrets.token_urlsafe(24)
        with self.lock:
            self._codes[code] = (params["client_id"], realm_id, redirect_uri, self.clock.now() + CODE_TTL)
        query = {"code": code, "state": params.get("state", ""), "realmId": realm_id}
        return Reply(302, b"", "text/html", {"Location": f"{redirect_uri}?{urlencode(query)}"})

    def _client(self, authorization: str) -> str | None:
        if not authorization.startswith("Basic "):
            return None
        try:
            client_id, _, secret = base64.b64decode(authorization[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        known = self.clients.get(client_id)
        return client_id if known is not None and secrets.compare_digest(known[0], secret) else None

    def token(self, headers: dict[str, str], body: bytes) -> Reply:
        """POST /oauth2/v1/tokens/bearer."""
        form = {key: values[0] for key, values in parse_qs(body.decode("utf-8")).items()}
        grant_type = form.get("grant_type", "")
        with self.lock:
            client_id = self._client(headers.get("authorization", ""))
            if client_id is None:
                reply = oauth_error("invalid_client", "Client authentication failed", 401)
            elif grant_type == "authorization_code":
                reply = self._exchange_code(client_id, form)
            elif grant_type == "refresh_token":
                reply = self._refresh(client_id, form.get("refresh_token", ""))
            else:
                reply = oauth_error("unsupported_grant_type", f"grant_type {grant_type!r} is not supported")
            self.token_requests.append((grant_type, reply.status == 200))
            return reply

    def _exchange_code(self, client_id: str, form: dict[str, str]) -> Reply:
        entry = self._codes.pop(form.get("code", ""), None)
        if (
            entry is None
            or entry[0] != client_id
            or entry[2] != form.get("redirect_uri")
            or entry[3] < self.clock.now()
        ):
            return oauth_error("invalid_grant", "Invalid authorization code")
        return self._token_reply(self._issue(client_id, entry[1]))

    def _refresh(self, client_id: str, token: str) -> Reply:
        invalid = oauth_error("invalid_grant", "Incorrect or invalid refresh token")
        grant = self._grants.get(token)
        now = self.clock.now()
        if grant is None or grant.revoked or grant.client_id != client_id:
            return invalid
        if token != grant.refresh_token:
            superseded_at = grant.superseded[token]
            if (now - superseded_at).total_seconds() > self.refresh_grace_seconds:
                return invalid
        elif now > grant.issued + timedelta(seconds=self.refresh_token_ttl):
            return invalid
        elif self.rotate_every_refresh or now - grant.issued >= ROTATION_AGE:
            new_token = "RT1-" + secrets.token_urlsafe(32)
            grant.superseded[grant.refresh_token] = now
            grant.refresh_token, grant.issued = new_token, now
            self._grants[new_token] = grant
        return self._token_reply(self._access_for(grant))

    def _issue(self, client_id: str, realm_id: str) -> TokenSet:
        """A new connection (a fresh consent): earlier grants of this client and realm are revoked, like Intuit."""
        for grant in self._grants.values():
            if grant.client_id == client_id and grant.realm_id == realm_id:
                grant.revoked = True
        refresh_token = "RT1-" + secrets.token_urlsafe(32)
        grant = _Grant(client_id, realm_id, refresh_token, self.clock.now())
        self._grants[refresh_token] = grant
        return self._access_for(grant)

    def _access_for(self, grant: _Grant) -> TokenSet:
        access_token = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0.." + secrets.token_urlsafe(48)
        now = self.clock.now()
        self._access[access_token] = _Access(
            grant.client_id, grant.realm_id, now + timedelta(seconds=self.access_token_ttl)
        )
        left = grant.issued + timedelta(seconds=self.refresh_token_ttl) - now
        return TokenSet(
            access_token, grant.refresh_token, grant.realm_id, self.access_token_ttl, int(left.total_seconds())
        )

    @staticmethod
    def _token_reply(tokens: TokenSet) -> Reply:
        body = {
            "token_type": "bearer",
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_in": tokens.expires_in,
            "x_refresh_token_expires_in": tokens.x_refresh_token_expires_in,
        }
        return Reply(200, dumps(body), "application/json", {"Cache-Control": "no-store"})

    def revoke(self, headers: dict[str, str], body: bytes) -> Reply:
        """POST /oauth2/v1/tokens/revoke with JSON {"token": refresh or access token}."""
        with self.lock:
            if self._client(headers.get("authorization", "")) is None:
                return oauth_error("invalid_client", "Client authentication failed", 401)
            token = (json.loads(body or b"{}") or {}).get("token", "")
            if token in self._grants:
                self._grants[token].revoked = True
            access = self._access.pop(token, None)
            if access is not None:
                self.revoke_refresh_tokens(access.realm_id)
            return Reply(200, b"", "application/json")

    # ---- test controls ---------------------------------------------------------------------------------------
    def issue(self, client_id: str, realm_id: str) -> TokenSet:
        with self.lock:
            return self._issue(client_id, realm_id)

    def bearer_problem(self, token: str, realm_id: str) -> str | None:
        """None when `token` may call `realm_id`; else "unknown", "expired" or "wrong_realm"."""
        with self.lock:
            access = self._access.get(token)
            if access is None:
                return "unknown"
            if access.expires <= self.clock.now():
                return "expired"
            return None if access.realm_id == realm_id else "wrong_realm"

    def expire_access_tokens(self, realm_id: str | None = None) -> None:
        with self.lock:
            for access in self._access.values():
                if realm_id in (None, access.realm_id):
                    access.expires = self.clock.now() - timedelta(seconds=1)

    def revoke_refresh_tokens(self, realm_id: str | None = None) -> None:
        with self.lock:
            for grant in self._grants.values():
                if realm_id in (None, grant.realm_id):
                    grant.revoked = True

    def current_refresh_token(self, client_id: str, realm_id: str) -> str | None:
        with self.lock:
            for grant in self._grants.values():
                if grant.client_id == client_id and grant.realm_id == realm_id and not grant.revoked:
                    return grant.refresh_token
            return None
