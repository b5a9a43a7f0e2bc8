"""OAuth2 tokens of one connected QuickBooks company, kept encrypted in the source's SourceSecrets.

Stored names: `realm_id`, `access_token`, `refresh_token`, `access_expires_at` (ISO, UTC). Intuit rotates the
refresh token on refresh, so:
- every new pair is persisted (one transaction, `set_many`) BEFORE the new access token is used;
- one refresh at a time per source, across threads and processes (`SourceSecrets.exclusive`); a worker that
  waited re-reads the store and uses what the other one got instead of refreshing again (its refresh token
  would be the superseded one);
- `invalid_grant` means the consent is gone: `ConfigurationError` "reconnect QuickBooks" (the daemon pauses
  the source and raises a needs-configuration alert).
No token value is ever logged or put in an exception message.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from intuitlib.client import AuthClient
from intuitlib.exceptions import AuthClientError

from connector.clock import now_utc
from connector.errors import ConfigurationError
from plugins.quickbooks.config import QuickBooksConfig

log = logging.getLogger("plugins.quickbooks")

REFRESH_MARGIN = timedelta(seconds=120)  # refresh this long before the access token expires
REFRESH_LOCK = "oauth_refresh"


class QuickBooksUnavailable(Exception):
    """QuickBooks could not be reached or kept failing; the call is tried again later."""


class TimedAuthClient(AuthClient):
    """intuit-oauth's AuthClient (a requests.Session) with a timeout on every request; the library sets none."""

    timeout: float = 30.0

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def make_auth_client(config: QuickBooksConfig, client_id: str, client_secret: str, **tokens: Any) -> AuthClient:
    """Builds the AuthClient (this GETs the discovery document of `config.environment`)."""
    cls = type("AuthClient", (TimedAuthClient,), {"timeout": config.timeout_seconds})
    try:
        return cls(client_id, client_secret, config.redirect_uri, config.environment, **tokens)
    except AuthClientError as exc:
        raise QuickBooksUnavailable(f"Intuit's discovery document answered HTTP {exc.status_code}") from None


@dataclass(frozen=True)
class TokenState:
    access_token: str
    refresh_token: str
    expires_at: datetime | None

    def expired(self) -> bool:
        return self.expires_at is not None and now_utc() + REFRESH_MARGIN >= self.expires_at

    def __repr__(self) -> str:  # never show the tokens
        return f"TokenState(expires_at={self.expires_at})"


def reconnect_message(source: str, detail: str) -> str:
    return f"reconnect QuickBooks: {detail}; run `etims-connector quickbooks connect {source}`"


class Tokens:
    def __init__(self, config: QuickBooksConfig, secrets: Any, source_name: str) -> None:
        if secrets is None:
            raise ConfigurationError(f"source {source_name!r}: the QuickBooks adapter needs its secret store")
        self.config = config
        self.secrets = secrets
        self.source_name = source_name
        self._auth: AuthClient | None = None
        self.refreshes = 0  # refreshes this process made (tests, bench)

    def credentials(self) -> tuple[str, str]:
        return (
            self.secrets.require("client_id", self.config.client_id_env),
            self.secrets.require("client_secret", self.config.client_secret_env),
        )

    def realm_id(self) -> str:
        realm = self.secrets.get("realm_id")
        if not realm:
            raise ConfigurationError(reconnect_message(self.source_name, "no QuickBooks company is connected yet"))
        return realm

    def current(self) -> TokenState:
        access, refresh = self.secrets.get("access_token"), self.secrets.get("refresh_token")
        if not access or not refresh:
            raise ConfigurationError(reconnect_message(self.source_name, "no OAuth tokens are stored"))
        expires = self.secrets.get("access_expires_at")
        return TokenState(access, refresh, datetime.fromisoformat(expires) if expires else None)

    def valid(self) -> TokenState:
        """The stored tokens, refreshed first when the access token has expired (or is about to)."""
        state = self.current()
        return self.refresh(None) if state.expired() else state

    def save(self, realm_id: str, access: str, refresh: str, expires_in: Any) -> TokenState:
        """Persist a new token set atomically (connect, refresh). Returns what was stored."""
        expires_at = now_utc() + timedelta(seconds=int(expires_in or 3600))
        values = {"access_token": access, "refresh_token": refresh, "access_expires_at": expires_at.isoformat()}
        if realm_id:
            values["realm_id"] = realm_id
        self.secrets.set_many(values)
        return TokenState(access, refresh, expires_at)

    def auth_client(self) -> AuthClient:
        if self._auth is None:
            client_id, client_secret = self.credentials()
            self._auth = make_auth_client(self.config, client_id, client_secret)
        return self._auth

    def refresh(self, failed_access: str | None) -> TokenState:
        """New tokens after `failed_access` was refused (None: because it expired). One refresh at a time."""
        with self.secrets.exclusive(REFRESH_LOCK, ttl=max(60.0, 3 * self.config.timeout_seconds)):
            state = self.current()
            if failed_access is not None and state.access_token != failed_access:
                return state  # another worker refreshed while we waited
            if failed_access is None and not state.expired():
                return state
            auth = self.auth_client()
            try:
                auth.refresh(refresh_token=state.refresh_token)
            except AuthClientError as exc:
                raise self._refresh_error(exc) from None
            new = self.save("", auth.access_token, auth.refresh_token, auth.expires_in)  # persisted before use
            self.refreshes += 1
            log.info("%s: QuickBooks access token refreshed", self.source_name)
            return new

    def _refresh_error(self, exc: AuthClientError) -> Exception:
        try:
            error = json.loads(exc.content or b"{}").get("error")
        except (ValueError, AttributeError):
            error = None
        if error == "invalid_grant":
            detail = "Intuit refused the stored refresh token (invalid_grant: consent revoked or expired)"
            return ConfigurationError(reconnect_message(self.source_name, detail))
        if error == "invalid_client":
            return ConfigurationError(f"source {self.source_name!r}: Intuit refused the client id/secret")
        return QuickBooksUnavailable(f"refreshing the QuickBooks token failed: HTTP {exc.status_code} {error or ''}")
