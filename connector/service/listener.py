"""A small threaded HTTP server started by `run` (stdlib `http.server`; nothing to build or install).

Routes: `GET /healthz`; `POST <webhook_path>` for every source whose adapter `Listens`. The listener
answers at once; the changed keys go to the queue (`enqueue(source, keys)`) and are fetched in the
background. The address it really listens on (port 0 picks a free one) is written to
`<data_dir>/listener.json` so scripts and tests can find it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from connector.adapters import Listens, WebhookAnswer
from connector.errors import ConfigurationError

log = logging.getLogger("connector.service")

MAX_BODY_BYTES = 1024 * 1024


class WebhookRouter:
    """Dispatches one webhook request to the sources listening on its path."""

    def __init__(self, sources: Mapping[str, Any], enqueue: Callable[[str, list[str]], None]) -> None:
        self.enqueue = enqueue
        self.routes: dict[str, list[tuple[str, Listens]]] = {}
        for name, source in sources.items():
            adapter = getattr(source, "adapter", None)
            if isinstance(adapter, Listens):
                self.routes.setdefault(adapter.webhook_path, []).append((name, adapter))

    def handle(self, path: str, headers: Mapping[str, str], body: bytes) -> WebhookAnswer:
        listeners = self.routes.get(path)
        if not listeners:
            return WebhookAnswer(status=404, body="no such route")
        answers: list[WebhookAnswer] = []
        for name, adapter in listeners:
            try:
                answer = adapter.accept_webhook(headers, body)
            except Exception as exc:  # one adapter's bug must not stop the others
                log.warning("webhook %s: source %s could not read it: %s", path, name, exc)
                answer = WebhookAnswer(status=400, body="unreadable")
            answers.append(answer)
            if answer.status < 300 and answer.keys:
                self.enqueue(name, list(answer.keys))
                log.info("webhook %s: source %s: %d document(s) to fetch", path, name, len(answer.keys))
        accepted = [a for a in answers if a.status < 300]
        if accepted:
            if not any(a.keys for a in accepted):
                log.info("webhook %s: nothing for any configured source (unknown company or entity)", path)
            return accepted[0] if len(accepted) == 1 else WebhookAnswer(status=200)
        if all(a.status == 401 for a in answers):
            log.warning("webhook %s refused: signature or token does not verify", path)
            return WebhookAnswer(status=401, body="unauthorised")
        return answers[0]


def parse_address(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigurationError(f"http.listen must be HOST:PORT, not {listen!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


class Listener:
    """The HTTP server in a background thread."""

    def __init__(self, listen: str, router: WebhookRouter, data_dir: Path | None = None) -> None:
        host, port = parse_address(listen)
        handler = type("Handler", (_Handler,), {"router": router})
        try:
            self.server = ThreadingHTTPServer((host, port), handler)
        except OSError as exc:
            raise ConfigurationError(f"http.listen {listen!r}: cannot listen there: {exc.strerror}") from None
        self.server.daemon_threads = True
        self.data_dir = data_dir
        self.router = router
        self.thread = threading.Thread(target=self.server.serve_forever, name="http-listener", daemon=True)

    @property
    def address(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{host}:{port}"

    def start(self) -> None:
        self.thread.start()
        if self.data_dir is not None:
            (self.data_dir / "listener.json").write_text(json.dumps({"address": self.address}))
        routes = ", ".join(self.router.routes) or "none"
        log.info("listening on http://%s (webhooks: %s)", self.address, routes)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class _Handler(BaseHTTPRequestHandler):
    router: WebhookRouter
    server_version = "etims-connector"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http %s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        if self.path.split("?")[0] == "/healthz":
            self._answer(200, "ok")
        else:
            self._answer(404, "not found")

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._answer(411, "Content-Length required")
            return
        if int(length) > MAX_BODY_BYTES:
            self._answer(413, "too large")
            return
        body = self.rfile.read(int(length))
        headers = {name.lower(): value for name, value in self.headers.items()}
        answer = self.router.handle(self.path.split("?")[0], headers, body)
        self._answer(answer.status, answer.body or ("ok" if answer.status < 300 else "refused"))

    def _answer(self, status: int, text: str) -> None:
        data = text.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
