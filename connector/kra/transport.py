"""The lean path for KRA's POSTs: HTTP/1.1 keep-alive over the standard library's `http.client`.

httpx stays the client API (the injected `httpx.Client`, its TLS context, the OAuth token calls); for a plain
client — no event hooks, no proxy, its own default transport — a KRA call goes over one kept-alive
`http.client` connection per thread and origin instead of httpx's layers, which cost ~0.3 ms CPU per call
against ~0.1 ms here. A client with hooks, proxies or a transport of its own is used as it is.

The rules are httpx's: failures before the request can have left raise httpx.ConnectError / ConnectTimeout
(resent blindly by the caller); after that httpx.WriteError / ReadError / RemoteProtocolError /
ReadTimeout (the request may be at KRA). A watchdog shuts the socket down at the call's deadline, so a
server trickling its answer cannot hold the device; an answer above the cap is cut.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import os
import select
import socket
import ssl
import threading
import time
import urllib.request
import weakref
from typing import Any
from urllib.parse import urlsplit

import httpx

from connector.kra.watchdog import WATCHDOG

CHUNK = 64 * 1024


class DeadlineAfterSend(Exception):
    """The call deadline passed while the answer was being read."""


class TooLarge(Exception):
    def __init__(self, status: int, head: bytes) -> None:
        self.status, self.head = status, head


_LEAN: weakref.WeakKeyDictionary[httpx.Client, LeanHttp | None] = weakref.WeakKeyDictionary()
_LEAN_GUARD = threading.Lock()


def _forget_after_fork() -> None:
    """A forked child never writes into its parent's kept-alive connections: it opens its own."""
    global _LEAN_GUARD
    _LEAN.clear()
    _LEAN_GUARD = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


def lean_for(client: httpx.Client) -> LeanHttp | None:
    """The lean path for this client, or None when the client must be used as it is (or is closed)."""
    if client.is_closed:
        return None  # httpx says so, in its own words
    with _LEAN_GUARD:
        if client not in _LEAN:
            _LEAN[client] = LeanHttp(_ssl_context(client)) if _plain(client) else None
        return _LEAN[client]


def _plain(client: httpx.Client) -> bool:
    hooks = client.event_hooks
    transport = getattr(client, "_transport", None)
    proxied = client.trust_env and any(k in urllib.request.getproxies() for k in ("http", "https", "all"))
    return (
        not hooks.get("request") and not hooks.get("response") and not proxied
        and not getattr(client, "_mounts", None)  # proxies (from the environment too) are mounts
        and type(transport) is httpx.HTTPTransport
    )  # fmt: skip


def _ssl_context(client: httpx.Client) -> ssl.SSLContext:
    """The TLS context the client's own transport uses (same verification), else httpx's default one."""
    pool = getattr(getattr(client, "_transport", None), "_pool", None)
    context = getattr(pool, "_ssl_context", None)
    return context if isinstance(context, ssl.SSLContext) else httpx.create_ssl_context()


@functools.lru_cache(maxsize=256)
def _origin(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise httpx.UnsupportedProtocol(f"Request URL has an unsupported protocol '{parts.scheme}://'.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


class LeanHttp:
    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        self.ssl_context = ssl_context
        self._local = threading.local()

    def post(
        self, url: str, content: bytes, headers: dict[str, str], timeout: float, connect_timeout: float,
        deadline: float, cap: int,
    ) -> tuple[int, bytes]:  # fmt: skip
        """(status, body) of one POST."""
        scheme, host, port, path = _origin(url)
        conn = self._connection(scheme, host, port, connect_timeout)
        sock = conn.sock
        assert sock is not None
        sock.settimeout(timeout)
        fired = threading.Event()

        def cut() -> None:
            fired.set()
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

        entry = WATCHDOG.arm(deadline, cut)
        try:
            try:
                conn.request("POST", path, body=content, headers={"User-Agent": "etims-connector", **headers})
            except TimeoutError as exc:
                raise httpx.WriteTimeout(str(exc) or "timed out while sending") from None
            except OSError as exc:
                raise httpx.WriteError(str(exc) or type(exc).__name__) from None
            return self._answer(conn, deadline, cap)
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            if fired.is_set() or time.monotonic() > deadline:
                raise DeadlineAfterSend() from None
            if isinstance(exc, TimeoutError):
                raise httpx.ReadTimeout(str(exc) or "timed out") from None
            if isinstance(exc, http.client.HTTPException):
                raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__) from None
            raise httpx.ReadError(str(exc) or type(exc).__name__) from None
        except BaseException:
            conn.close()  # whatever is left of this answer must never be read as the next one's
            raise
        finally:
            WATCHDOG.disarm(entry)

    @staticmethod
    def _answer(conn: http.client.HTTPConnection, deadline: float, cap: int) -> tuple[int, bytes]:
        try:
            response = conn.getresponse()
        except BaseException:
            conn.close()
            raise
        declared = response.getheader("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            conn.close()
            raise TooLarge(response.status, b"")
        chunks, size = [], 0
        try:
            while True:
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                chunks.append(chunk)
                if size > cap:
                    raise TooLarge(response.status, b"".join(chunks)[:cap])
                if time.monotonic() > deadline:
                    raise DeadlineAfterSend()
        except BaseException:
            conn.close()
            raise
        if response.will_close:
            conn.close()
        return response.status, b"".join(chunks)

    def _connection(self, scheme: str, host: str, port: int, connect_timeout: float) -> http.client.HTTPConnection:
        """This thread's kept-alive connection to the origin, or a new one. A kept one the server has closed
        (readable while idle) is dropped first, so a request is never written into a dead connection."""
        pool: dict[tuple[str, str, int], http.client.HTTPConnection] = self._local.__dict__.setdefault("pool", {})
        key = (scheme, host, port)
        conn = pool.get(key)
        if conn is not None and conn.sock is not None and not _readable(conn.sock):
            return conn
        if conn is not None:
            conn.close()
        conn = (
            http.client.HTTPSConnection(host, port, timeout=connect_timeout, context=self.ssl_context)
            if scheme == "https"
            else http.client.HTTPConnection(host, port, timeout=connect_timeout)
        )
        try:
            conn.connect()
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc) or "timed out while connecting") from None
        except OSError as exc:  # refused, unreachable, DNS, TLS handshake: the request never left
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from None
        assert conn.sock is not None
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pool[key] = conn
        return conn


def _readable(sock: Any) -> bool:
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True
