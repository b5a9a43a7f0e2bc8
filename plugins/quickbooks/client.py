"""Calls to one QuickBooks company through python-quickbooks, with what the library leaves out.

- Clients are built with the access token passed (else construction refreshes and rotates the refresh token),
  `minorversion=75`, `use_decimal=True`, a timeout on every request and, for a test server, the API base URL.
- Every call goes through the realm's limiter (500/min, 10 at once). A 429 (XML or JSON; the library loses the
  status, so `process_request` looks at the response itself) pauses the realm and is retried; 5xx, HTML and
  connection errors are retried a few times; a 401 refreshes the token once and retries.
- Reads return raw JSON dicts (Decimal amounts); writes are raw sparse updates with a request id.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlparse

import requests
from quickbooks import QuickBooks
from quickbooks.exceptions import AuthorizationException, ObjectNotFoundException, QuickbooksException

from connector.errors import ConfigurationError
from plugins.quickbooks import limiter
from plugins.quickbooks.config import QuickBooksConfig
from plugins.quickbooks.tokens import QuickBooksUnavailable, Tokens, TokenState, reconnect_message

log = logging.getLogger("plugins.quickbooks")

MINOR_VERSION = 75
STALE_OBJECT = 5010


class Throttled(Exception):
    def __init__(self, retry_after: float | None) -> None:
        self.retry_after = retry_after
        super().__init__("QuickBooks answered 429 (throttled)")


class ServerError(Exception):
    pass


class _TimedQuickBooks(QuickBooks):
    timeout: float = 30.0

    def process_request(self, request_type, url, headers="", params="", data=""):  # type: ignore[no-untyped-def]
        if self.session is None:
            raise QuickbooksException("No session manager")
        headers.update({"Authorization": "Bearer " + self.session.access_token})
        response = self.session.request(
            request_type, url, headers=headers, params=params, data=data, timeout=self.timeout
        )
        if response.status_code == 429 or (response.status_code in (400, 403) and "ThrottleExceeded" in response.text):
            raise Throttled(_seconds(response.headers.get("Retry-After")))
        if response.status_code >= 500:
            raise ServerError(f"QuickBooks answered HTTP {response.status_code}")
        return response


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _is_loopback(url: str) -> bool:
    return urlparse(url).hostname in ("127.0.0.1", "localhost", "::1")


class QboClient:
    def __init__(self, config: QuickBooksConfig, tokens: Tokens) -> None:
        self.config = config
        self.tokens = tokens
        attrs: dict[str, Any] = {"timeout": config.timeout_seconds}
        if config.api_url:
            attrs.update(api_url_v3=config.api_url.rstrip("/"), sandbox_api_url_v3=config.api_url.rstrip("/"))
            if _is_loopback(config.api_url):  # plain http is allowed to a local test server only
                os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
        self._cls = type("ConnectorQuickBooks", (_TimedQuickBooks,), attrs)
        self._client: tuple[str, QuickBooks] | None = None
        self.calls = 0  # HTTP requests sent (bench, tests)

    @property
    def realm_id(self) -> str:
        return self.tokens.realm_id()

    def _qb(self, state: TokenState) -> QuickBooks:
        cached = self._client
        if cached is not None and cached[0] == state.access_token:
            return cached[1]
        auth = self.tokens.auth_client()
        auth.access_token, auth.refresh_token = state.access_token, state.refresh_token
        qb = self._cls(auth_client=auth, refresh_token=state.refresh_token, company_id=self.realm_id,
                       minorversion=MINOR_VERSION, use_decimal=True)  # fmt: skip
        self._client = (state.access_token, qb)
        return qb

    def call(self, what: str, fn: Callable[[QuickBooks], Any]) -> Any:
        """Run one API request with the limiter, token refresh, throttling and error retries."""
        realm = self.realm_id
        gate = limiter.for_realm(realm, self.config.requests_per_minute, self.config.concurrent_requests)
        refreshed, throttles, errors = False, 0, 0
        while True:
            state = self.tokens.valid()
            qb = self._qb(state)
            try:
                with gate.request():
                    self.calls += 1
                    return fn(qb)
            except Throttled as exc:
                throttles += 1
                if throttles > self.config.throttle_retries:
                    raise QuickBooksUnavailable(f"{what}: QuickBooks kept answering 429 (throttled)") from None
                wait = exc.retry_after if exc.retry_after is not None else self.config.throttle_wait_seconds
                log.warning("%s: realm %s throttled (429); waiting %.1f s", what, realm, wait)
                gate.pause(wait)
            except AuthorizationException:
                if refreshed:
                    detail = "QuickBooks refuses the new access token too (access revoked?)"
                    raise ConfigurationError(reconnect_message(self.tokens.source_name, detail)) from None
                refreshed = True
                self.tokens.refresh(state.access_token)
            except (ServerError, requests.ConnectionError, requests.Timeout) as exc:
                errors += 1
                if errors > self.config.error_retries:
                    raise QuickBooksUnavailable(f"{what}: {type(exc).__name__}: {exc}") from None
                time.sleep(min(5.0, 0.2 * 2**errors))
            except QuickbooksException as exc:
                if exc.error_code == 10000 and "Error reading json" in str(exc.message):
                    errors += 1  # an HTML or XML page instead of JSON
                    if errors > self.config.error_retries:
                        raise QuickBooksUnavailable(f"{what}: QuickBooks answered something that is not JSON") from None
                    time.sleep(min(5.0, 0.2 * 2**errors))
                    continue
                raise

    # ------------------------------------------------------------ reads

    def get(self, entity: str, entity_id: str) -> dict[str, Any] | None:
        """One entity by Id; None when QuickBooks does not have it (deleted, or never existed)."""

        def read(qb: QuickBooks) -> Any:
            try:
                return qb.get_single_object(entity, entity_id)
            except ObjectNotFoundException:
                return None

        answer = self.call(f"read {entity} {entity_id}", read)
        return None if answer is None else answer.get(entity)

    def query(self, sql: str) -> tuple[list[dict[str, Any]], str | None]:
        """One query page: the entities (of the first entity key) and the response `time`."""
        answer = self.call("query", lambda qb: qb.query(sql))
        response = answer.get("QueryResponse") or {}
        rows = next((value for key, value in response.items() if isinstance(value, list)), [])
        return rows, answer.get("time")

    def query_all(self, sql: str) -> Iterator[tuple[dict[str, Any], str | None]]:
        """Every row of `sql` (no STARTPOSITION/MAXRESULTS in it), page by page, with the first page's time."""
        size, start, first_time = self.config.page_size, 1, None
        while True:
            rows, at = self.query(f"{sql} STARTPOSITION {start} MAXRESULTS {size}")
            first_time = first_time or at
            for row in rows:
                yield row, first_time
            if len(rows) < size:
                return
            start += size

    def cdc(self, entities: list[str], since: str) -> tuple[dict[str, list[dict[str, Any]]], str | None]:
        """Changes since `since` (ISO with offset): {entity: [objects and tombstones]}, and the response time."""
        answer = self.call("cdc", lambda qb: qb.change_data_capture(",".join(entities), since))
        found: dict[str, list[dict[str, Any]]] = {name: [] for name in entities}
        for block in answer.get("CDCResponse") or []:
            for response in block.get("QueryResponse") or []:
                for name in entities:
                    found[name].extend(response.get(name) or [])
        return found, answer.get("time")

    def preferences(self) -> dict[str, Any]:
        answer = self.call("preferences", lambda qb: qb.get(f"{qb.api_url}/company/{qb.company_id}/preferences"))
        return answer.get("Preferences") or {}

    # ------------------------------------------------------------ writes

    def update_sparse(self, entity: str, body: dict[str, Any], request_id: str) -> dict[str, Any]:
        """A raw sparse update (never the library's save(), which resets fields). Raises QuickbooksException."""
        payload = json.dumps({**body, "sparse": True}, default=str)
        answer = self.call(f"update {entity} {body.get('Id')}",
                           lambda qb: qb.update_object(entity, payload, request_id=request_id))  # fmt: skip
        return answer.get(entity) or {}
