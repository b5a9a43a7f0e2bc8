"""Odoo's RPC errors as the fake raises them (answered in Odoo's JSON-RPC error envelope)."""

from __future__ import annotations

from typing import Any


class OdooError(Exception):
    """An error Odoo answers as {"code": 200, "message": "Odoo Server Error", "data": {name, message, …}}."""

    def __init__(self, name: str, message: str, debug_prefix: str = "") -> None:
        super().__init__(message)
        self.name, self.message, self.debug_prefix = name, message, debug_prefix

    def data(self) -> dict[str, Any]:
        short = self.name.removeprefix("builtins.")
        debug = f"Traceback (most recent call last):\n  <fake odoo>\n{self.debug_prefix}{short}: {self.message}\n"
        return {"name": self.name, "debug": debug, "message": self.message, "arguments": [self.message], "context": {}}


def user_error(message: str) -> OdooError:
    return OdooError("odoo.exceptions.UserError", message)


def invalid_field(model: str, name: str) -> OdooError:
    return OdooError("builtins.ValueError", f"Invalid field {name!r} on model {model!r}")
