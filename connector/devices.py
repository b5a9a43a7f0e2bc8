"""Initialised KRA devices (PIN + branch): identity, encrypted CMC key and device data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


COLUMNS = ("key", "name", "pin", "branch", "serial", "cmc_key", "scu_id", "mrc_number", "device_id",
           "taxpayer_name", "branch_name", "initialised_at", "key_source")  # fmt: skip
DEVICES_TABLE = """
CREATE TABLE IF NOT EXISTS devices (
    key TEXT PRIMARY KEY,
    name TEXT,
    pin TEXT,
    branch TEXT,
    serial TEXT,
    cmc_key TEXT,
    scu_id TEXT,
    mrc_number TEXT,
    device_id TEXT,
    taxpayer_name TEXT,
    branch_name TEXT,
    initialised_at TEXT,
    key_source TEXT
)
"""  # cmc_key: a Fernet token, never clear text; key_source: "init" or "set-key"


def ensure_table(db: Any) -> None:
    db.execute(DEVICES_TABLE)


class DeviceStore:
    def __init__(self, db: Any, box: SecretBox) -> None:
        self.db = db
        self.box = box
        if db.dialect == "sqlite":
            ensure_table(db)  # PostgreSQL: the ledger's schema has it (created once, under a lock)

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
        names = list(row)
        updates = ", ".join(f"{n} = excluded.{n}" for n in names if n != "key")
        self.db.execute(
            f"INSERT INTO devices ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
            f" ON CONFLICT(key) DO UPDATE SET {updates}",
            list(row.values()),
        )

    def set_details(self, device: DeviceSettings, **details: str | None) -> None:
        values = {k: v for k, v in details.items() if v is not None and k in COLUMNS}
        if values:
            assignments = ", ".join(f"{k} = ?" for k in values)
            self.db.execute(f"UPDATE devices SET {assignments} WHERE key = ?", [*values.values(), device.key])

    def row(self, device: DeviceSettings) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM devices WHERE key = ?", [device.key]))
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
