"""What the listener serves: health, readiness, metrics, the accountant's status pages, and webhooks.

Every handler returns a `Response`; `listener.py` only speaks HTTP. Pages and metrics need the
configured `[http] token` when one is set (required when listening beyond loopback); webhooks verify
their own signatures or tokens, so Intuit or Odoo never needs ours.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from connector import metrics
from connector.service.webhooks import WebhookRouter

HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"


@dataclass
class Response:
    status: int
    body: bytes | str
    content_type: str = TEXT
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def data(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else self.body.encode()


class App:
    def __init__(
        self,
        router: WebhookRouter,
        *,
        context: Any = None,
        readiness: Callable[[], list[str]] | None = None,
        collector: metrics.LedgerCollector | None = None,
        token: str | None = None,
    ) -> None:
        self.router = router
        self.context = context
        self.readiness = readiness or (lambda: [])
        self.collector = collector
        self.token = token

    # ------------------------------------------------------------ dispatch

    def get(self, target: str, headers: Mapping[str, str]) -> Response:
        path, _, query_text = target.partition("?")
        query = {k: v[0] for k, v in parse_qs(query_text).items()}
        if path == "/healthz":
            return Response(200, "ok")
        if path == "/readyz":
            reasons = self.readiness()
            return Response(503, "not ready:\n" + "\n".join(reasons) + "\n") if reasons else Response(200, "ready")
        if not self._authorised(headers, query):
            return Response(401, "a token is needed: ?token=… once, or Authorization: Bearer …")
        answer = self._page(path, query)
        if self.token and query.get("token"):  # remembered by the browser, so links work without it
            answer.headers["Set-Cookie"] = f"etims_token={self.token}; HttpOnly; SameSite=Strict; Path=/"
        return answer

    def post(self, path: str, headers: Mapping[str, str], body: bytes) -> Response:
        answer = self.router.handle(path, headers, body)
        return Response(answer.status, answer.body or ("ok" if answer.status < 300 else "refused"))

    def _page(self, path: str, query: dict[str, str]) -> Response:
        if path == "/metrics":
            return Response(200, metrics.exposition(self.collector), metrics.CONTENT_TYPE)
        if self.context is None:
            return Response(404, "not found")
        from connector.service import pages

        if path == "/":
            return Response(200, pages.overview(self.context), HTML)
        if path == "/documents":
            return Response(200, pages.search(self.context, query.get("q", ""), query.get("state", "")), HTML)
        if path.startswith("/documents/") and path.endswith("/receipt"):
            page = pages.receipt(self.context, path.removeprefix("/documents/").removesuffix("/receipt"))
            return Response(200, page, HTML) if page is not None else Response(404, "no signed document")
        if path.startswith("/documents/"):
            page = pages.document(self.context, path.removeprefix("/documents/"))
            return Response(200, page, HTML) if page is not None else Response(404, "no such document")
        return Response(404, "not found")

    def _authorised(self, headers: Mapping[str, str], query: dict[str, str]) -> bool:
        if not self.token:
            return True
        offered = [query.get("token", "")]
        bearer = headers.get("authorization", "")
        if bearer.lower().startswith("bearer "):
            offered.append(bearer[7:].strip())
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == "etims_token":
                offered.append(value)
        return any(hmac.compare_digest(o.encode(), self.token.encode()) for o in offered if o)
