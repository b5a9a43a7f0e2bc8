"""GavaConnect's OAuth2 client-credentials gateway: issue bearer tokens, check them (spec §1.1, §9)."""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
import time


class TokenIssuer:
    def __init__(self, clients: dict[str, str] | None, ttl_seconds: float) -> None:
        self._clients = clients  # None: any non-empty key and secret
        self._ttl = ttl_seconds
        self._tokens: dict[str, float] = {}  # token → monotonic expiry
        self._lock = threading.Lock()

    def _client_ok(self, key: str, secret: str) -> bool:
        if not key or not secret:
            return False
        if self._clients is None:
            return True
        expected = self._clients.get(key)
        return expected is not None and hmac.compare_digest(expected, secret)

    def issue(self, authorization: str | None) -> dict[str, str] | None:
        """A token answer for valid HTTP Basic credentials, else None."""
        credentials = _basic_credentials(authorization)
        if credentials is None or not self._client_ok(*credentials):
            return None
        token = secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._lock:
            self._tokens = {known: expiry for known, expiry in self._tokens.items() if expiry > now}
            self._tokens[token] = now + self._ttl
        return {"access_token": token, "expires_in": str(max(int(self._ttl) - 1, 1))}

    def valid(self, authorization: str | None) -> bool:
        """True for `Bearer <token>` with a token issued here and not expired."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        with self._lock:
            expiry = self._tokens.get(token.strip())
        return expiry is not None and expiry > time.monotonic()


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, colon, secret = decoded.partition(":")
    return (key, secret) if colon else None
