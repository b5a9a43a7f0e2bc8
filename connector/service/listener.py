"""A small threaded HTTP server started by `run` (stdlib `http.server`; nothing to build or install).

It only speaks HTTP; `app.App` decides what each request gets. The address it really listens on
(port 0 picks a free one) is written to `<data_dir>/listener.json` so scripts and tests can find it.
Listening beyond loopback needs `[http] token` (pages and metrics); otherwise it refuses to start.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from connector.errors import ConfigurationError
from connector.service.app import App, Response
from connector.service.webhooks import WebhookRouter

log = logging.getLogger("connector.service")

MAX_BODY_BYTES = 1024 * 1024


def parse_address(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigurationError(f"http.listen must be HOST:PORT, not {listen!r}")
    return host.strip("[]") or "127.0.0.1", int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Listener:
    """The HTTP server in a background thread."""

    def __init__(self, listen: str, app: App | WebhookRouter, data_dir: Path | None = None) -> None:
        host, port = parse_address(listen)
        self.app = app if isinstance(app, App) else App(app)
        if not is_loopback(host) and not self.app.token:
            raise ConfigurationError(
                f"http.listen {listen!r} is reachable from other machines: set http.token "
                "(e.g. ETIMS_HTTP__TOKEN) so the status pages and metrics are not open to anyone"
            )
        handler = type("Handler", (_Handler,), {"app": self.app})
        try:
            self.server = ThreadingHTTPServer((host, port), handler)
        except OSError as exc:
            raise ConfigurationError(f"http.listen {listen!r}: cannot listen there: {exc.strerror}") from None
        self.server.daemon_threads = True
        self.data_dir = data_dir
        self.thread = threading.Thread(target=self.server.serve_forever, name="http-listener", daemon=True)

    @property
    def router(self) -> WebhookRouter:
        return self.app.router

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
    app: App
    server_version = "etims-connector"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http %s %s", self.address_string(), format % args)

    def _headers(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.headers.items()}

    def do_GET(self) -> None:
        try:
            answer = self.app.get(self.path, self._headers())
        except Exception:  # a page must never kill the listener
            log.exception("GET %s failed", self.path.split("?")[0])
            answer = Response(500, "internal error (see the connector's log)")
        self._send(answer)

    def do_POST(self) -> None:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._send(Response(411, "Content-Length required"))
            return
        if int(length) > MAX_BODY_BYTES:
            self._send(Response(413, "too large"))
            return
        body = self.rfile.read(int(length))
        self._send(self.app.post(self.path.split("?")[0], self._headers(), body))

    def _send(self, answer: Response) -> None:
        data = answer.data
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
