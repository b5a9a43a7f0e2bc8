"""GavaConnect OAuth2 client-credentials token: fetched once, cached, refreshed before expiry."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx

from connector.errors import ConfigurationError, KraError

REFRESH_MARGIN_SECONDS = 60


class GavaConnectToken:
    def __init__(
        self,
        http: httpx.Client,
        token_url: str,
        consumer_key: str | None,
        consumer_secret: str | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not consumer_key or not consumer_secret:
            raise ConfigurationError(
                "GavaConnect needs kra.consumer_key and kra.consumer_secret "
                "(set ETIMS_KRA__CONSUMER_SECRET in the environment)"
            )
        self._http = http
        self._url = token_url
        self._auth = (consumer_key, consumer_secret)
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires_at = 0.0

    def __repr__(self) -> str:
        return f"GavaConnectToken(url={self._url!r})"

    def header(self) -> str:
        with self._lock:
            if self._token is None or self._clock() >= self._expires_at - REFRESH_MARGIN_SECONDS:
                self._fetch()
            return f"Bearer {self._token}"

    def invalidate(self) -> None:
        with self._lock:
            self._token = None

    def _fetch(self) -> None:
        try:
            response = self._http.get(
                self._url, params={"grant_type": "client_credentials"}, auth=self._auth, timeout=30
            )
        except httpx.HTTPError as exc:
            raise KraError(f"could not reach the GavaConnect token endpoint {self._url}: {exc}") from None
        if response.status_code in (400, 401, 403):
            raise ConfigurationError(
                f"GavaConnect refused the consumer key/secret (HTTP {response.status_code}); check them"
            )
        try:
            body = response.json()
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise KraError(
                f"the GavaConnect token endpoint answered HTTP {response.status_code} without a token"
            ) from None
        self._token = token
        self._expires_at = self._clock() + lifetime
