"""The options of one Odoo source (`[[sources]] adapter = "odoo"`, `options = {…}`).

    [[sources]]
    name = "odoo-hq"
    adapter = "odoo"
    device = "hq"
    options = { url = "https://erp.example.co.ke", database = "prod", username = "etims@example.co.ke",
                company = "My Company" }

The password (or API key) is never in the TOML: it comes from the environment variable named by
`password_env`, or from the source secret `password` (`etims-connector source set-secret SOURCE password`).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator


class WarehouseBranch(BaseModel):
    """Which KRA device (branch) an Odoo warehouse's stock belongs to (stock reporting, docs/odoo.md)."""

    model_config = ConfigDict(extra="forbid")

    device: str | None = None  # [[devices]] name; None = the source's default device
    branch_id: str | None = Field(default=None, pattern=r"^\d{2}$")  # KRA bhfId, named on transfers' other end


class OdooConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str  # http(s)://host[:port]
    database: str = Field(min_length=1)
    username: str = Field(min_length=1)
    password_env: str | None = None  # environment variable holding the password / API key
    company: int | str  # res.company id or exact name: one source per company
    journals: list[int | str] = Field(default_factory=list)  # account.journal ids, codes or names; [] = all
    start_date: date | None = None  # invoices dated before this are never read
    page_size: int = Field(default=200, ge=1, le=5000)
    timeout_seconds: float = Field(default=60.0, gt=0)
    notify_token_env: str | None = None  # environment variable with the addon's notify token (else the secret)
    excise_taxes: list[str] = Field(default_factory=list)  # tax names to treat as excise
    withholding_taxes: list[str] = Field(default_factory=list)  # tax names to treat as withholding
    other_taxes: list[str] = Field(default_factory=list)  # tax names that are neither (not reported)
    refund_reason: str = "Refund"  # a [refund_reasons] key for credit notes whose reason is not recognised
    version: str | None = None  # e.g. "17.0"; None asks the server once
    stock_start_date: date | None = None  # stock moves done before this day (EAT) are never reported
    warehouses: dict[str, WarehouseBranch] = Field(default_factory=dict)  # stock.warehouse code or name -> branch

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must look like http://host:8069 or https://host")
        if parts.path not in ("", "/") or parts.query:
            raise ValueError("must be the server's base address, without a path")
        return value.strip().rstrip("/")

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def protocol(self) -> str:
        return "jsonrpc+ssl" if urlsplit(self.url).scheme == "https" else "jsonrpc"
