"""Initialised KRA devices (PIN + branch): identity, encrypted CMC key and device data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from connector.clock import now_utc
from connector.config import DeviceSettings
from connector.encryption import SecretBox
from connector.errors import ConfigurationError
from connector.kra.payloads import InitInfo


@dataclass(frozen=True)
class DeviceCredentials:
    """What every KRA call after init needs. The key never appears in repr()."""

    pin: str
    branch: str
    cmc_key: str = field(repr=False)
    scu_id: str | None = None
    mrc_number: str | None = None

    @property
    def key(self) -> str:
        return f"{self.pin}/{self.branch}"


def ensure_table(db: sqlite_utils.Database) -> None:
    db["devices"].create(
        {
            "key": str,
            "name": str,
            "pin": str,
            "branch": str,
            "serial": str,
            "cmc_key": str,  # Fernet token, never clear text
            "scu_id": str,
            "mrc_number": str,
            "device_id": str,
            "taxpayer_name": str,
            "branch_name": str,
            "initialised_at": str,
            "key_source": str,  # "init" or "set-key"
        },
        pk="key",
        if_not_exists=True,
    )


class DeviceStore:
    def __init__(self, db: sqlite_utils.Database, box: SecretBox) -> None:
        self.db = db
        self.box = box
        ensure_table(db)

    def _any_secret_stored(self) -> bool:
        query = "SELECT 1 FROM devices WHERE cmc_key IS NOT NULL LIMIT 1"
        return self.db.execute(query).fetchone() is not None

    def save(self, device: DeviceSettings, cmc_key: str, info: InitInfo | None, source: str) -> None:
        encrypted = self.box.encrypt(cmc_key, first_secret=not self._any_secret_stored())
        row: dict[str, Any] = {
            "key": device.key,
            "name": device.name,
            "pin": device.pin.upper(),
            "branch": device.branch,
            "serial": device.serial,
            "cmc_key": encrypted,
            "initialised_at": now_utc().isoformat(),
            "key_source": source,
        }
        if info is not None:
            row |= {
                "scu_id": info.scu_id,
                "mrc_number": info.mrc_number,
                "device_id": info.device_id,
                "taxpayer_name": info.taxpayer_name,
                "branch_name": info.branch_name,
            }
        self.db["devices"].upsert(row, pk="key", alter=True)

    def set_details(self, device: DeviceSettings, **details: str | None) -> None:
        self.db["devices"].update(device.key, {k: v for k, v in details.items() if v is not None})

    def row(self, device: DeviceSettings) -> dict[str, Any] | None:
        rows = list(self.db["devices"].rows_where("key = ?", [device.key]))
        return rows[0] if rows else None

    def credentials(self, device: DeviceSettings) -> DeviceCredentials:
        row = self.row(device)
        if row is None or not row.get("cmc_key"):
            raise ConfigurationError(
                f"device {device.name} ({device.key}) is not initialised: run "
                "`etims-connector device init` (or `device set-key` if KRA already gave you the key)"
            )
        key = self.box.decrypt(row["cmc_key"], what=f"CMC key of device {device.name}")
        return DeviceCredentials(device.pin.upper(), device.branch, key, row.get("scu_id"), row.get("mrc_number"))
