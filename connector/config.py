"""One TOML configuration file, with environment overrides, validated at start-up.

File: `--config PATH`, else `$ETIMS_CONFIG`, else `./etims-connector.toml`; with no file the
embedded defaults apply (data in `./etims-data`, the legacy KRA sandbox URL).
Overrides: `ETIMS_<SECTION>__<KEY>=value`, e.g. `ETIMS_KRA__BASE_URL=http://127.0.0.1:8088/etims-api`.
Secrets (GavaConnect consumer secret) are best given by environment only.
"""

from __future__ import annotations

import os
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from connector.errors import ConfigurationError

ENV_PREFIX = "ETIMS_"
DEFAULT_FILE = "etims-connector.toml"
PIN_PATTERN = r"^[A-Za-z]\d{9}[A-Za-z]$"

# API bases per profile and environment (spec §1.1). GavaConnect production is unconfirmed.
API_BASES: dict[tuple[str, str], str] = {
    ("legacy", "sandbox"): "https://etims-api-sbx.kra.go.ke/etims-api",
    ("legacy", "production"): "https://etims-api.kra.go.ke/etims-api",
    ("gavaconnect", "sandbox"): "https://sbx.kra.go.ke/etims-oscu/api/v1",
    ("vscu", "sandbox"): "http://127.0.0.1:8088",
    ("vscu", "production"): "http://127.0.0.1:8088",
}
TOKEN_URLS = {"sandbox": "https://sbx.kra.go.ke/v1/token/generate"}
TOP_LEVEL_KEYS = {"data_dir", "log_level", "log_format", "log_file", "ledger_url"}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KraSettings(Section):
    profile: Literal["legacy", "gavaconnect", "vscu"] = "legacy"
    environment: Literal["sandbox", "production"] = "sandbox"
    base_url: str | None = None  # full API base; overrides the environment's default
    token_url: str | None = None  # GavaConnect OAuth token endpoint
    consumer_key: str | None = None
    consumer_secret: SecretStr | None = None
    apigee_app_id: str | None = None
    timeout_seconds: float = Field(default=120, gt=0)
    init_timeout_seconds: float = Field(default=30, gt=0)
    connect_retries: int = Field(default=3, ge=0, le=10)
    # One KRA call in total (connect + send + every read); None: timeout_seconds + 30, below queue.lease_seconds.
    call_deadline_seconds: float | None = Field(default=None, gt=0)
    max_answer_bytes: int = Field(default=1 << 20, ge=4096)  # a larger answer is unknown → read back
    max_list_answer_bytes: int = Field(default=64 << 20, ge=4096)  # select…List look-ups (code lists are big)
    tax_rates: dict[str, Decimal] = Field(default_factory=dict)  # overrides of the code list
    operator_id: str = Field(default="etims-connector", min_length=1, max_length=20)
    operator_name: str = Field(default="eTIMS Connector", min_length=1, max_length=60)
    trade_name: str | None = Field(default=None, max_length=20)

    def api_base(self) -> str:
        if self.base_url:
            return self.base_url.rstrip("/")
        base = API_BASES.get((self.profile, self.environment))
        if base is None:
            raise ConfigurationError(
                f"kra.base_url is required: no known {self.environment} URL for profile {self.profile!r}"
            )
        return base

    def deadline_seconds(self) -> float:
        return self.call_deadline_seconds or self.timeout_seconds + 30

    def oauth_token_url(self) -> str:
        url = self.token_url or TOKEN_URLS.get(self.environment)
        if not url:
            raise ConfigurationError(f"kra.token_url is required for GavaConnect {self.environment}")
        return url


class DeviceSettings(Section):
    name: str = Field(min_length=1)
    pin: str = Field(pattern=PIN_PATTERN)
    branch: str = Field(default="00", pattern=r"^[0-9A-Za-z]{2}$")
    serial: str = Field(min_length=1, max_length=100)

    @property
    def key(self) -> str:
        return f"{self.pin.upper()}/{self.branch}"


class SourceSettings(Section):
    name: str = Field(min_length=1)
    adapter: str = Field(min_length=1)
    device: str | None = None  # device name; None = the first device
    interval_seconds: float = Field(default=60, gt=0)
    mapping: str | None = None  # path; None = the adapter's packaged default
    options: dict[str, Any] = Field(default_factory=dict)


class QueueSettings(Section):
    redis_url: str | None = None  # set it to use RedisHuey instead of SqliteHuey
    name: str = Field(default="etims-connector", min_length=1)  # huey queue name (Redis key prefix)
    workers: int = Field(default=2, ge=1, le=64)
    backoff_base_seconds: float = Field(default=5, gt=0)
    backoff_max_seconds: float = Field(default=600, gt=0)
    lease_seconds: float = Field(default=300, gt=0)  # must exceed kra.timeout_seconds
    write_back_retry_seconds: float = Field(default=15, gt=0)  # first retry; doubles each time


class MonitorSettings(Section):
    max_unsigned_hours: float = Field(default=24, gt=0)  # KRA's offline rule
    interval_seconds: float = Field(default=300, gt=0)
    webhook_url: str | None = None
    email_to: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "etims-connector@localhost"
    daily_report_hour: int | None = Field(default=None, ge=0, le=23)  # EAT hour to send yesterday's report


class HttpSettings(Section):
    listen: str = "127.0.0.1:8470"  # HOST:PORT; port 0 picks a free one (written to data_dir/listener.json)
    enabled: bool | None = None  # None: on when a source listens for webhooks
    token: SecretStr | None = None  # needed for pages and /metrics; required when not listening on loopback


def _postgres_only(url: SecretStr | None) -> SecretStr | None:
    if url is not None and url.get_secret_value().split(":", 1)[0] not in ("postgresql", "postgres"):
        raise ValueError("must be a postgresql://… URL (leave it out for the SQLite ledger in data_dir)")
    return url


class LedgerSettings(Section):
    # postgresql://user:password@host:5432/dbname — several hosts share one ledger; None: <data_dir>/ledger.db
    url: SecretStr | None = None

    _url_is_postgres = field_validator("url")(_postgres_only)


class CreditNoteSettings(Section):
    """KRA's credit-note limits, checked before sending (connector/kra_credit_notes.py)."""

    enforce: bool = True
    max_per_invoice: int = Field(default=2, ge=1)
    max_age_days: int = Field(default=183, ge=1)  # six months, in calendar days (EAT)
    allow_variance_percent: Decimal = Field(default=Decimal("1"), ge=0, le=100)  # the last one settles the rest


class PurchaseSettings(Section):
    """Suppliers' sales to us (selectTrnsPurchaseSalesList) matched with the source's bills (docs/purchases.md)."""

    enabled: bool = False  # on: `run` polls each device and confirms the bills of sources that record them
    interval_minutes: float = Field(default=15, gt=0)  # how often `run` polls and confirms
    unmatched_after_days: float = Field(default=7, ge=0)  # a supplier sale without a bill is listed after this
    stock_in: bool | None = None  # a confirmed purchase's goods as stock-in 02; None: when [stock] is reported


class StockSettings(Section):
    """Stock reporting to KRA (docs/stock.md): stock in/out and stock masters around sales of goods."""

    report: Literal["auto", "on", "off"] = "auto"  # auto: on with the gavaconnect profile (its validator needs it)
    start_date: date | None = None  # source movements dated before this day (EAT) are never reported


class Settings(Section):
    data_dir: Path = Path("etims-data")
    log_level: str = "INFO"  # of `run`: DEBUG, INFO, WARNING or ERROR
    log_format: Literal["text", "json"] = "text"  # json: one object per line (document, device, state, outcome)
    log_file: Path | None = None  # else standard error; rotated at 10 MB, 5 kept
    ledger_url: SecretStr | None = None  # the same as [ledger] url (which wins when both are set)
    ledger: LedgerSettings = Field(default_factory=LedgerSettings)
    kra: KraSettings = Field(default_factory=KraSettings)
    devices: list[DeviceSettings] = Field(default_factory=list)
    sources: list[SourceSettings] = Field(default_factory=list)
    queue: QueueSettings = Field(default_factory=QueueSettings)
    monitor: MonitorSettings = Field(default_factory=MonitorSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    credit_notes: CreditNoteSettings = Field(default_factory=CreditNoteSettings)
    purchases: PurchaseSettings = Field(default_factory=PurchaseSettings)
    stock: StockSettings = Field(default_factory=StockSettings)
    config_path: Path | None = None

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, level: str) -> str:
        if level.upper() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level.upper()

    @property
    def stock_reported(self) -> bool:
        """Whether sales of goods move stock at KRA ([stock] report; auto = the gavaconnect profile)."""
        return self.kra.profile == "gavaconnect" if self.stock.report == "auto" else self.stock.report == "on"

    @model_validator(mode="after")
    def _deadline_below_lease(self) -> Settings:
        """A KRA call must end before the device lease can expire, or a second worker could send meanwhile."""
        kra, lease = self.kra, self.queue.lease_seconds
        if kra.call_deadline_seconds is None:
            kra.call_deadline_seconds = min(kra.timeout_seconds + 30, lease * 0.8)
        elif kra.call_deadline_seconds >= lease:
            raise ValueError(f"kra.call_deadline_seconds ({kra.call_deadline_seconds:g}) must be below "
                             f"queue.lease_seconds ({lease:g})")  # fmt: skip
        return self

    @field_validator("devices")
    @classmethod
    def _unique_devices(cls, devices: list[DeviceSettings]) -> list[DeviceSettings]:
        names = [d.name for d in devices]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"device names must be unique: {sorted(duplicates)}")
        return devices

    def device(self, name: str | None = None) -> DeviceSettings:
        if not self.devices:
            raise ConfigurationError("no [[devices]] configured: add one with pin, branch and serial")
        if name is None:
            return self.devices[0]
        for device in self.devices:
            if device.name == name or device.key == name:
                return device
        known = ", ".join(d.name for d in self.devices)
        raise ConfigurationError(f"unknown device {name!r}; configured devices: {known}")

    _ledger_url_is_postgres = field_validator("ledger_url")(_postgres_only)

    @model_validator(mode="after")
    def _one_ledger_url(self) -> Settings:
        if self.ledger.url is None and self.ledger_url is not None:
            self.ledger.url = self.ledger_url
        return self

    @property
    def database_path(self) -> Path:
        return self.data_dir / "ledger.db"

    @property
    def ledger_target(self) -> str | None:
        """The PostgreSQL URL of a shared ledger, or None for the SQLite file `database_path`."""
        return self.ledger.url.get_secret_value() if self.ledger.url else None

    @property
    def queue_path(self) -> Path:
        return self.data_dir / "queue.db"


def _env_overrides(environ: dict[str, str]) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        key = name[len(ENV_PREFIX) :].lower()
        if "__" not in key and key not in TOP_LEVEL_KEYS:
            continue  # ETIMS_CONFIG, ETIMS_SECRET_KEY and the like are not settings
        path = key.split("__")
        node = overrides
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
    return overrides


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _describe(error: ValidationError, origin: str) -> str:
    lines = [f"invalid configuration in {origin}:"]
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"])
        value = "hidden: it may hold a password" if where.startswith("ledger") else repr(item.get("input"))
        lines.append(f"  {where}: {item['msg']} (value {value})")
    return "\n".join(lines)


def load_settings(path: Path | str | None = None, environ: dict[str, str] | None = None) -> Settings:
    environ = dict(os.environ if environ is None else environ)
    explicit = path or environ.get("ETIMS_CONFIG")
    file = Path(explicit) if explicit else Path(DEFAULT_FILE)
    raw: dict[str, Any] = {}
    if file.exists():
        try:
            raw = tomllib.loads(file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"{file}: not valid TOML: {exc}") from None
    elif explicit:
        raise ConfigurationError(f"configuration file {file} does not exist")
    environ.pop("ETIMS_CONFIG", None)
    raw = _merge(raw, _env_overrides(environ))
    origin = f"{file} (and ETIMS_* environment variables)" if file.exists() else "ETIMS_* environment"
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigurationError(_describe(exc, origin)) from None
    base_dir = file.parent if file.exists() else Path.cwd()
    if not settings.data_dir.is_absolute():
        settings.data_dir = (base_dir / settings.data_dir).resolve()
    settings.config_path = file.resolve() if file.exists() else None
    return settings
