"""A thin odoorpc client: login, `execute_kw` with the company's context, and errors that never show secrets.

Only `execute_kw` with explicit field lists is used: no `env[model]` proxies (each costs a full `fields_get`)
and never `browse` (it reads every field and breaks on account.move in 17/18, spec C.3).
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
from collections.abc import Callable
from typing import Any

import odoorpc
from odoorpc.error import RPCError

from connector.errors import ConfigurationError, ConnectorError
from plugins.odoo.config import OdooConfig

log = logging.getLogger("plugins.odoo")

# odoorpc logs every request at DEBUG, and `execute_kw` carries the password in its args: keep it quiet.
logging.getLogger("odoorpc").setLevel(logging.WARNING)

FIELDS_TTL_SECONDS = 600.0
BUSY_ERRORS = ("SerializationFailure", "LockNotAvailable", "concurrent update", "could not obtain lock")


class OdooError(ConnectorError):
    """Odoo answered with an error (access, validation, missing record…). Names model, method and Odoo's message."""

    def __init__(self, model: str, method: str, name: str, message: str) -> None:
        self.model, self.method, self.name, self.odoo_message = model, method, name, message
        super().__init__(f"Odoo {model}.{method}: {name}: {message}")

    @property
    def busy(self) -> bool:
        return any(marker in f"{self.name} {self.odoo_message}" for marker in BUSY_ERRORS)

    @property
    def invalid_field(self) -> bool:
        return "Invalid field" in self.odoo_message


class OdooUnavailable(ConnectorError):
    """Odoo could not be reached (down, restarting, timeout): retried later."""


class OdooClient:
    """One logged-in connection, re-established after a connection failure. Calls are serialised."""

    def __init__(self, config: OdooConfig, password: Callable[[], str]) -> None:
        self.config = config
        self._password = password  # a callable, so the secret is read only when logging in
        self._odoo: Any = None
        self._lock = threading.RLock()
        self.company_id: int | None = None
        self.major_version: int | None = None
        self._fields: dict[str, set[str]] = {}
        self._fields_read_at = time.monotonic()
        self.calls = 0  # RPC calls made (the bench prints it)

    def __repr__(self) -> str:
        return f"OdooClient({self.config.url!r}, db={self.config.database!r}, user={self.config.username!r})"

    # ------------------------------------------------------------ connection

    def _connect(self) -> Any:
        cfg = self.config
        try:
            odoo = odoorpc.ODOO(cfg.host, protocol=cfg.protocol, port=cfg.port, timeout=cfg.timeout_seconds,
                                version=cfg.version)  # fmt: skip
            self.calls += 0 if cfg.version else 1
            odoo.login(cfg.database, cfg.username, self._password())
            self.calls += 2
        except RPCError as error:
            message = str(error)
            if "Wrong login" in message or "Access Denied" in message:
                raise ConfigurationError(
                    f"Odoo at {cfg.url} refused the login of {cfg.username!r} on database {cfg.database!r}: "
                    "check the username and the password / API key"
                ) from None
            raise ConfigurationError(f"Odoo at {cfg.url}, database {cfg.database!r}: {message}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise OdooUnavailable(f"Odoo at {cfg.url} is not reachable: {_reason(error)}") from None
        self.major_version = int(str(odoo.version).split(".")[0])
        return odoo

    def _session(self) -> Any:
        if self._odoo is None:
            self._odoo = self._connect()
        return self._odoo

    def close(self) -> None:
        self._odoo = None

    # ------------------------------------------------------------ calls

    def call(self, model: str, method: str, args: list[Any] | None = None, **kwargs: Any) -> Any:
        """`execute_kw(model, method, args, kwargs)` in the source company's context."""
        with self._lock:
            odoo = self._session()
            context = dict(odoo.env.context)
            if self.company_id is not None:
                context["allowed_company_ids"] = [self.company_id]
            kwargs["context"] = context
            try:
                self.calls += 1
                return odoo.execute_kw(model, method, args or [], kwargs)
            except RPCError as error:
                data = (getattr(error, "info", None) or {}).get("data") or {}
                name = str(data.get("name") or "error")
                raise OdooError(model, method, name, str(data.get("message") or error)) from None
            except (TimeoutError, urllib.error.URLError, OSError) as error:
                self._odoo = None  # log in again next time (Odoo may have restarted)
                raise OdooUnavailable(f"Odoo at {self.config.url} did not answer {model}.{method}: "
                                      f"{_reason(error)}") from None  # fmt: skip

    def search_read(self, model: str, domain: list[Any], fields: list[str], **kwargs: Any) -> list[dict[str, Any]]:
        return self.call(model, "search_read", [domain], fields=fields, **kwargs)

    def read(self, model: str, ids: list[int], fields: list[str]) -> list[dict[str, Any]]:
        if not ids:
            return []
        return self.call(model, "read", [sorted(set(ids))], fields=fields)

    def existing_fields(self, model: str, names: list[str]) -> set[str]:
        """Which of `names` the model has (fields_get leaves unknown names out); cached per model."""
        if time.monotonic() - self._fields_read_at > FIELDS_TTL_SECONDS:
            self.forget_fields()  # the addon may have been installed or removed meanwhile
        known = self._fields.get(model)
        if known is None or not set(names) <= known | self._fields.get(model + "#missing", set()):
            found = set(self.call(model, "fields_get", [], allfields=names, attributes=["type"]))
            self._fields[model] = (known or set()) | found
            self._fields[model + "#missing"] = self._fields.get(model + "#missing", set()) | (set(names) - found)
        return self._fields[model] & set(names)

    def has_field(self, model: str, name: str) -> bool:
        return name in self.existing_fields(model, [name])

    def forget_fields(self) -> None:
        self._fields.clear()
        self._fields_read_at = time.monotonic()


def _reason(error: BaseException) -> str:
    reason = getattr(error, "reason", None)
    return str(reason or error) or type(error).__name__
