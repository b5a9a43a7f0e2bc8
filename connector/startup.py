"""What must be true before `run` starts: devices configured and initialised (their keys decrypt), at least
one source. One clear line per problem, naming the configuration file."""

from __future__ import annotations

from typing import Any

from connector.errors import ConnectorError


def where(settings: Any) -> str:
    return str(settings.config_path) if settings.config_path else "the embedded defaults (no configuration file)"


def problems(settings: Any, context: Any, sources: dict[str, Any]) -> list[str]:
    found = []
    if not settings.devices:
        found.append(f"no device configured in {where(settings)}: add a [[devices]] table with name, pin, "
                     "branch and serial")  # fmt: skip
    for device in settings.devices:
        try:
            context.devices.credentials(device)  # the CMC key is stored and decrypts with this key
        except ConnectorError as exc:
            found.append(f"device {device.name} ({device.key}): {exc}")
    if not sources:
        found.append(f"no source configured in {where(settings)}: add a [[sources]] table (adapter csv, odoo or "
                     "quickbooks); `etims-connector demo` shows the whole flow without one")  # fmt: skip
    return found  # each source's own preflight() runs in Daemon.start
