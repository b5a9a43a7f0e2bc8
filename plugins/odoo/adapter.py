"""The Odoo source (17 and 18, Community or Enterprise) over odoorpc: posted customer invoices and credit
notes of one company become KRA-signed, with the receipt written back to the invoice.

    [[sources]]
    name = "odoo"
    adapter = "odoo"
    options = { url = "http://127.0.0.1:8069", database = "prod", username = "etims", company = 1 }

Reading: reading.py (cursor, pages, snapshots). Canonical: canonical.py + taxes.py. Write-back:
writeback.py. The addon `kra_etims_connector` (plugins/odoo/addon) is detected with fields_get; without
it, results go to the chatter only and `doctor` recommends installing it. Stock: stock.py; an adapter
whose Odoo has the Inventory app (module `stock`) installed becomes an `OdooStockAdapter` (ReportsStock) when
it checks (preflight, then at most every STOCK_CHECK_SECONDS while fetching): a site without Inventory is
unchanged. Vendor bills (KRA purchases, `RecordsBills`, both classes): bills.py. User guide: docs/odoo.md.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import time
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from connector.adapters import Listens, RecordsBills, ReportsStock, SourceAdapter, SourceDocument, WebhookAnswer
from connector.errors import ConfigurationError, ConnectorError
from connector.models import Invoice, Receipt
from plugins.odoo.bills import BillReader
from plugins.odoo.canonical import to_invoice
from plugins.odoo.client import OdooClient, OdooError, OdooUnavailable
from plugins.odoo.config import OdooConfig
from plugins.odoo.reading import Reader, make_cursor
from plugins.odoo.stock import StockReader
from plugins.odoo.writeback import WriteBack

log = logging.getLogger("plugins.odoo")

OSCU_MODULE = "l10n_ke_edi_oscu"
ADDON_MODULE = "kra_etims_connector"
STOCK_CHECK_SECONDS = 600.0  # how often a running adapter looks again whether Inventory is installed


class OdooAdapter(SourceAdapter, Listens, RecordsBills):
    name = "odoo"
    Config = OdooConfig
    webhook_path = "/webhooks/odoo"

    def __init__(self, config: OdooConfig, mapping: Any, source_name: str | None = None, secrets: Any = None) -> None:  # type: ignore[override]
        super().__init__(config, mapping, source_name, secrets)
        self.config: OdooConfig = config
        self.client = OdooClient(config, self._password)
        self.reader = Reader(self.client, config, self.source_name)
        self.writer = WriteBack(self.client)
        self.stock = StockReader(self.client, config, self.source_name, self.reader, mapping)
        self.bill_reader = BillReader(self.reader, mapping)  # vendor bills (bills.py)
        self.stock_start_date: date | None = None  # the core's [stock] start_date, when it sets one
        self._oscu_checked = False
        self._stock_checked_at: float | None = None

    def __repr__(self) -> str:
        return f"OdooAdapter({self.source_name!r}, {self.config.url!r}, db={self.config.database!r})"

    def _password(self) -> str:
        if self.secrets is None:
            value = os.environ.get(self.config.password_env or "")
            if value:
                return value
            raise ConnectorError(f"source {self.source_name!r}: set ${self.config.password_env or 'ODOO_PASSWORD'}")
        return self.secrets.require("password", env=self.config.password_env)

    # ------------------------------------------------------------ reading

    def fetch_new(self, cursor: str | None) -> Iterator[tuple[SourceDocument, str | None]]:
        self._refuse_if_oscu()
        if self._stock_checked_at is None or time.monotonic() - self._stock_checked_at > STOCK_CHECK_SECONDS:
            self.check_stock()
        cache: dict[str, Any] = {}
        late = self.reader.late_arrivals(cursor)
        if late:  # committed late, behind the cursor: yielded without moving it
            yield from self._yield_page(late, cache, lambda _move: cursor)
        for page in self.reader.pages(cursor):
            yield from self._yield_page(page, cache, make_cursor)

    def _yield_page(self, moves: list[dict[str, Any]], cache: dict[str, Any],
                    cursor_of: Any) -> Iterator[tuple[SourceDocument, str | None]]:  # fmt: skip
        documents = self.reader.documents(moves, cache)
        for move, document in zip(moves, documents, strict=True):
            self.reader.seen[move["id"]] = move["write_date"]
            yield document, cursor_of(move)
        self._clear_resend(documents)  # the core has recorded (and honoured) them by now

    def fetch_bills(self, cursor: str | None) -> Iterator[tuple[Any, str | None]]:
        """Posted vendor bills after `cursor` (bills.py): a `Bill`, or its fields when it needs fixing."""
        self._refuse_if_oscu()  # Odoo's own KRA module confirms purchases too, with its own numbers
        yield from self.bill_reader.bills(cursor, again=self._bills_to_fix())

    def _bills_to_fix(self) -> list[int]:
        """Ids of this source's bills the ledger holds as needs-fix: read again at every round, because the fix is
        often on the vendor (its Tax ID), which does not change the bill's write_date. Unchanged ones stay as they
        are (the ledger compares contents)."""
        if self.ledger is None:
            return []
        from connector.purchases.schema import NEEDS_FIX
        from connector.purchases.store import PurchaseLedger

        found = PurchaseLedger(self.ledger().db).bills("source = ? AND state = ?", [self.source_name, NEEDS_FIX])
        return sorted(int(b.external_id) for b in found if b.external_id.isdigit())[-self.config.page_size :]

    def fetch_changed(self, keys: list[str]) -> Iterator[SourceDocument]:
        ids = [int(k) for k in keys if str(k).isdigit()]
        if not ids:
            return
        self._refuse_if_oscu()
        moves = self.reader.moves_by_id(ids)  # other companies' and unposted moves are filtered out here
        documents = self.reader.documents(moves, {})
        yield from documents
        self._clear_resend(documents)

    def _clear_resend(self, documents: list[SourceDocument]) -> None:
        asked = [int(d.external_id) for d in documents if d.retry_requested]
        try:
            self.writer.clear_resend(asked)
        except ConnectorError as error:  # still set: seen again on the next poll, which is harmless
            log.warning("%s: could not clear kra_resend_requested on %s: %s", self.source_name, asked, error)

    def to_canonical(self, document: SourceDocument) -> Invoice:
        return to_invoice(document.content, source=self.source_name, mapping=self.mapping, options=self.config)

    # ------------------------------------------------------------ writing

    def write_back(self, ref: dict[str, Any], receipt: Receipt) -> None:
        self.reader.resolve()
        self.writer.receipt(ref, receipt, addon=self.reader.addon)

    def report_problem(self, ref: dict[str, Any], message: str) -> None:
        self.reader.resolve()
        self.writer.problem(ref, message, addon=self.reader.addon)

    # ------------------------------------------------------------ webhook (the addon's notification)

    def accept_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookAnswer:
        expected = self._notify_token()
        given = headers.get("x-etims-token") or ""
        if not expected or not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
            return WebhookAnswer(status=401, body="bad or missing X-Etims-Token")
        try:
            data = json.loads(body)
            database, model, ids = data["database"], data["model"], data["ids"]
        except (ValueError, KeyError, TypeError):
            return WebhookAnswer(status=400, body='expected {"database": ..., "model": ..., "ids": [...]}')
        if database != self.config.database or model != "account.move":
            return WebhookAnswer(status=200, body="not this source's database")
        if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            return WebhookAnswer(status=400, body="ids must be a list of integers")
        return WebhookAnswer(status=200, keys=[str(i) for i in ids], body=f"{len(ids)} queued")

    def _notify_token(self) -> str | None:
        if self.config.notify_token_env and os.environ.get(self.config.notify_token_env):
            return os.environ[self.config.notify_token_env]
        return self.secrets.get("notify_token") if self.secrets is not None else None

    # ------------------------------------------------------------ checks

    def _refuse_if_oscu(self) -> None:
        """The preflight check again at the first read (Odoo may have been down when `run` started it)."""
        if not self._oscu_checked:
            problems = self._oscu_problems()
            if problems:
                raise ConfigurationError(f"source {self.source_name!r}: " + " ".join(problems))
            self._oscu_checked = True

    def check_stock(self) -> bool:
        """Whether Odoo's Inventory app is installed; the adapter reports stock (is ReportsStock) exactly then."""
        self.reader.resolve()
        installed = self.stock.installed()
        self.__class__ = OdooStockAdapter if installed else OdooAdapter
        self._stock_checked_at = time.monotonic()
        return installed

    def preflight(self) -> list[str]:
        try:
            problems = self._oscu_problems()
            self.check_stock()
            return problems
        except OdooUnavailable as error:  # checked again before the first read (see _refuse_if_oscu)
            log.warning("%s: %s; Odoo's own KRA module will be checked when Odoo answers", self.source_name, error)
            return []

    def _oscu_problems(self) -> list[str]:
        self.reader.resolve()
        rows = self.client.search_read("ir.module.module", [("name", "=", OSCU_MODULE)], ["state"])
        if not rows or rows[0].get("state") != "installed":
            return []
        if self._oscu_inactive():
            return []
        return [
            f"Odoo's own KRA module {OSCU_MODULE} is installed and may be active for "
            f"company {self.config.company!r}; two systems numbering the same KRA device would break its invoice "
            "sequence. Uninstall it (or deactivate it for this company) before running the connector."
        ]

    def _oscu_inactive(self) -> bool:
        """True only when Odoo says the company is not set up for OSCU (l10n_ke_oscu_is_active False)."""
        try:
            rows = self.client.read("res.company", [self.reader.company_id or 0], ["l10n_ke_oscu_is_active"])
        except OdooError:
            return False  # cannot tell: refuse
        return bool(rows) and rows[0].get("l10n_ke_oscu_is_active") is False

    def advice(self) -> list[str]:
        self.reader.resolve()
        advice = []
        if not self.reader.addon:
            advice.append(
                f"install the Odoo addon {ADDON_MODULE} (folder printed by "
                "`etims-connector odoo addon-path`) so that KRA's receipt, signature and QR code show on the "
                "invoice form and PDF; without it results go to the chatter only"
            )
        elif not self._notify_token():
            advice.append(
                "set the addon's notify URL and token in Odoo and store the token "
                f"with `etims-connector source set-secret {self.source_name} notify_token` so posted invoices "
                "are sent at once (polling still catches up)"
            )
        rows = self.client.search_read("ir.module.module", [("name", "=", OSCU_MODULE)], ["state"])
        if rows and rows[0].get("state") == "installed" and self._oscu_inactive():
            advice.append(f"{OSCU_MODULE} is installed but not active for this "
                          "company; do not activate it while the connector sends this company's invoices")  # fmt: skip
        return advice

    def health(self) -> str:
        self.reader.resolve()
        addon = "addon installed" if self.reader.addon else "addon not installed"
        return (f"Odoo {self.client.major_version} at {self.config.url}, database {self.config.database}, "
                f"company {self.reader.company_id}, {addon}")  # fmt: skip

    def close(self) -> None:
        self.client.close()


class OdooStockAdapter(OdooAdapter, ReportsStock):
    """The Odoo source of a database with the Inventory app: its done stock moves are reported too (stock.py)."""

    def fetch_stock_moves(self, cursor: str | None) -> Iterator[tuple[Any, str | None]]:
        self._refuse_if_oscu()
        if not self.check_stock():
            return  # Inventory was uninstalled meanwhile: nothing to report (and no longer ReportsStock)
        yield from self.stock.moves(cursor, self.stock_start_date or self.config.stock_start_date)

    def stock_on_hand(self, branch: str | None, item_codes: list[str]) -> dict[str, Any]:
        if not item_codes or not self.stock.installed():
            return {}
        return self.stock.on_hand(branch, item_codes)
