"""The QuickBooks Online source: invoices and credit memos of one connected company (realm).

    [[sources]]
    name = "qbo"
    adapter = "quickbooks"
    options = { write_custom_fields = { cu_invoice_number = "CU Invoice No" } }

Connect once with `etims-connector quickbooks connect qbo`. Changes arrive by webhook (`Listens` on
/webhooks/quickbooks: verified, this realm's keys only, read by Id in the background) and by the poll (CDC from
QBO's own `time`, or a LastUpdatedTime query on the first run and after gaps). KRA's receipt is written back
with a raw sparse update (docs/quickbooks.md). A document's `ref` is {"realm", "entity", "id", "number"}:
stable, so the connector's own write-back (seen again through CDC and the webhook) is an unchanged document.
Inventory items' QtyOnHand are its stock (`KnowsStockOnHand`, plugins/quickbooks/stock.py). Its Bills are the
bills of KRA purchases (`RecordsBills`, plugins/quickbooks/bills.py; the supplier's PIN on the Vendor's
`vendor_pin_field`).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from quickbooks.exceptions import QuickbooksException

from connector.adapters import (
    InventoryItem,
    KnowsStockOnHand,
    Listens,
    RecordsBills,
    SourceAdapter,
    SourceDocument,
    WebhookAnswer,
)
from connector.errors import ConfigurationError
from connector.models import Invoice, Receipt
from plugins.quickbooks import webhooks, writeback
from plugins.quickbooks.bills import BillReader
from plugins.quickbooks.client import STALE_OBJECT, QboClient
from plugins.quickbooks.config import QuickBooksConfig
from plugins.quickbooks.documents import Converter, is_deleted, is_voided
from plugins.quickbooks.reading import ENTITIES, Reader
from plugins.quickbooks.stock import Inventory
from plugins.quickbooks.tokens import QuickBooksUnavailable, Tokens

log = logging.getLogger("plugins.quickbooks")

LATEST_KEPT = 5000  # documents whose last-read version (SyncToken, notes) is kept for the write-back
STALE_RETRIES = 4
MAX_NOTES = 50  # the newest are kept for `doctor`


class QuickBooksAdapter(SourceAdapter, Listens, KnowsStockOnHand, RecordsBills):
    name = "quickbooks"
    Config = QuickBooksConfig
    webhook_path = "/webhooks/quickbooks"
    stock_label = "QuickBooks"

    def __init__(self, config: QuickBooksConfig, mapping: Any, source_name: str | None = None,  # type: ignore[override]
                 secrets: Any = None) -> None:  # fmt: skip
        super().__init__(config, mapping, source_name, secrets)
        self.config: QuickBooksConfig = config
        self.tokens = Tokens(config, secrets, self.source_name)
        self.client = QboClient(config, self.tokens)
        self.reader = Reader(config, self.client)
        self.stock = Inventory(config, self.client, self.reader)
        self.bill_reader = BillReader(config, self.client, self.reader, self.source_name)
        self.converter = Converter(config, self.source_name)
        self._latest: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._definitions: dict[str, str] | None = None
        self._watermark: str | None = None
        self._own_writes: dict[str, datetime] = {}  # "Invoice:130" -> LastUpdatedTime of our last write-back
        self.notes: list[str] = []  # write-back problems worth telling the user (advice)

    # ------------------------------------------------------------ reading

    def fetch_new(self, cursor: str | None) -> Iterator[tuple[SourceDocument, str | None]]:
        cursor = cursor or self._watermark
        resume = cursor or self.reader.start()  # until the last document: read again from here after a crash
        docs, watermark = self.reader.changes(cursor)
        documents = self._documents(docs)
        for n, document in enumerate(documents, 1):
            yield document, (watermark or resume) if n == len(documents) else resume
        if watermark:
            self._watermark = watermark

    def backfill(self, since: date) -> Iterator[SourceDocument]:
        """Every invoice and credit memo changed since `since` (`quickbooks backfill`); the cursor is left alone."""
        docs, _ = self.reader.by_query(f"{since.isoformat()}T00:00:00+03:00")
        yield from self._documents(docs)

    def fetch_changed(self, keys: list[str]) -> Iterator[SourceDocument]:
        wanted: dict[str, list[str]] = {name: [] for name in ENTITIES}
        for key in keys:
            entity, _, entity_id = key.partition(":")
            if entity in wanted and entity_id and entity_id not in wanted[entity]:
                wanted[entity].append(entity_id)
        docs: list[tuple[str, dict[str, Any]]] = []
        for entity in ENTITIES:
            found = self.reader.by_id(entity, wanted[entity]) if wanted[entity] else {}
            for entity_id in wanted[entity]:  # not found: deleted in QuickBooks
                docs.append((entity, found.get(entity_id) or {"Id": entity_id, "status": "Deleted"}))
        yield from self._documents(docs)

    def _documents(self, docs: list[tuple[str, dict[str, Any]]]) -> list[SourceDocument]:
        realm = self.tokens.realm_id()
        with self._lock:
            for entity, doc in docs:
                self._remember(entity, doc)
        result = []
        for content in self.reader.contents(docs, set(self.config.write_custom_fields.values())):
            doc, entity = content["doc"], content["entity"]
            kind = "credit_note" if entity == "CreditMemo" else "invoice"
            number = doc.get("DocNumber")
            ref = {"realm": realm, "entity": entity, "id": str(doc["Id"]), "number": number}
            withdrawn = ("deleted in QuickBooks" if is_deleted(doc) else
                         "voided in QuickBooks" if content.get("voided") or is_voided(doc) else None)  # fmt: skip
            result.append(SourceDocument(external_id=str(doc["Id"]), kind=kind, number=number, ref=ref,
                                         content=content, withdrawn=withdrawn))  # fmt: skip
        return result

    def _remember(self, entity: str, doc: dict[str, Any]) -> None:
        key = (entity, str(doc.get("Id")))
        self._latest[key] = doc
        self._latest.move_to_end(key)
        while len(self._latest) > LATEST_KEPT:
            self._latest.popitem(last=False)

    def to_canonical(self, document: SourceDocument) -> Invoice:
        return self.converter.to_invoice(document.content)

    # ------------------------------------------------------------ stock (plugins/quickbooks/stock.py)

    def inventory(self) -> list[InventoryItem]:
        items, problems = self.stock.items()
        self._note(problems)
        return items

    def stock_on_hand(self, branch: str | None, item_codes: list[str]) -> dict[str, Any]:
        """QtyOnHand per item code: company-wide (QuickBooks has no per-location stock), whatever the branch."""
        return self.stock.on_hand(item_codes) if item_codes else {}

    # ------------------------------------------------------------ bills (plugins/quickbooks/bills.py)

    def fetch_bills(self, cursor: str | None) -> Iterator[tuple[Any, str | None]]:
        """Bills changed after `cursor`: a `Bill`, or its fields when it needs fixing (bills.py)."""
        yield from self.bill_reader.bills(cursor, again=self._bills_to_fix())

    def _bills_to_fix(self) -> list[str]:
        """Ids of this source's bills the ledger holds as needs-fix: read again every round, because the fix is
        often on the Vendor (its PIN), which does not change the Bill. Unchanged ones stay as they are (the ledger
        compares contents)."""
        if self.ledger is None:
            return []
        from connector.purchases.schema import NEEDS_FIX
        from connector.purchases.store import PurchaseLedger

        found = PurchaseLedger(self.ledger().db).bills("source = ? AND state = ?", [self.source_name, NEEDS_FIX])
        return [b.external_id for b in found][-self.config.page_size :]

    # ------------------------------------------------------------ webhooks

    def accept_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookAnswer:
        try:
            token = self.secrets.require("verifier_token", self.config.verifier_token_env)
            realm = self.tokens.realm_id()
        except ConfigurationError as exc:
            self._note([f"webhooks are refused: {exc}"])  # logged once
            return WebhookAnswer(status=401, body="webhook verifier token or company not configured")
        if not webhooks.verified(body, headers.get("intuit-signature"), token):
            # debug only: with two apps' realms on one path, the other source's genuine webhooks land here too
            log.debug("%s: webhook refused: bad or missing intuit-signature", self.source_name)
            return WebhookAnswer(status=401, body="bad signature")
        try:
            keys, others = webhooks.changed_keys(body, realm)
        except (ValueError, AttributeError, TypeError):
            return WebhookAnswer(status=400, body="not an Intuit webhook payload")
        if others:
            log.debug("%s: webhook for other realm(s) %s ignored", self.source_name, ", ".join(sorted(others)))
        with self._lock:
            fresh = [key for key, when in keys.items() if not webhooks.same_second(when, self._own_writes.get(key))]
        return WebhookAnswer(status=200, keys=fresh)

    # ------------------------------------------------------------ write-back

    def write_back(self, ref: dict[str, Any], receipt: Receipt) -> None:
        label = f"{ref.get('entity')} {ref.get('number') or ref.get('id')}"
        cu = writeback.cu_invoice_number(receipt)

        def body(current: dict[str, Any]) -> dict[str, Any] | None:
            if is_deleted(current) or is_voided(current):
                state = "deleted" if is_deleted(current) else "voided"
                self._note([f"{label} was {state} in QuickBooks after KRA signed it as {cu}: issue a credit note"])
                return None
            fields: dict[str, Any] = {"PrivateNote": writeback.note_with(current.get("PrivateNote"),
                                                                        writeback.kra_block(receipt))}  # fmt: skip
            if self.config.customer_memo:
                fields["CustomerMemo"] = {"value": writeback.memo_with((current.get("CustomerMemo") or {}).get("value"),
                                                                       receipt)}  # fmt: skip
            if self.config.write_custom_fields:
                entries, problems = writeback.custom_fields(self.config.write_custom_fields, self._custom_field_ids(),
                                                            receipt, self.config.custom_field_max_length)  # fmt: skip
                self._note(problems)
                if entries:
                    fields["CustomField"] = entries
            return fields

        self._update(ref, body, receipt.signature)

    def report_problem(self, ref: dict[str, Any], message: str) -> None:
        def body(current: dict[str, Any]) -> dict[str, Any] | None:
            if is_deleted(current) or is_voided(current):
                return None  # nothing to tell: the document is not sent anyway
            return {"PrivateNote": writeback.note_with(current.get("PrivateNote"), writeback.problem_block(message))}

        self._update(ref, body, f"problem:{message}")

    def _update(self, ref: dict[str, Any], build: Any, what: str) -> None:
        """Sparse-update the document with `build(current)`; re-read and retry on a stale SyncToken (5010)."""
        if ref.get("realm") != self.tokens.realm_id() or ref.get("entity") not in ENTITIES:
            raise ConfigurationError(f"{self.source_name}: document ref {ref} is not of this QuickBooks company")
        entity, entity_id = ref["entity"], str(ref["id"])
        with self._lock:
            current = self._latest.get((entity, entity_id))
        for _ in range(STALE_RETRIES):
            if current is None:
                current = self.client.get(entity, entity_id) or {"Id": entity_id, "status": "Deleted"}
            fields = build(current)
            if fields is None or writeback.already_shows(current, fields):
                return
            token = str(current.get("SyncToken", "0"))
            request_id = writeback.request_id(ref["realm"], entity, entity_id, token, what)
            try:
                answer = self.client.update_sparse(entity, {"Id": entity_id, "SyncToken": token, **fields}, request_id)
            except QuickbooksException as exc:
                if exc.error_code != STALE_OBJECT:
                    raise
                log.info("%s: %s %s changed meanwhile (stale SyncToken); reading it again", self.source_name,
                         entity, entity_id)  # fmt: skip
                current = None
                continue
            self._note([f"QuickBooks did not keep custom field {name!r} (is it enabled on sales forms?)"
                        for name in writeback.dropped_fields(fields.get("CustomField", []), answer)])  # fmt: skip
            with self._lock:
                self._remember(entity, answer or current)
                updated = (answer.get("MetaData") or {}).get("LastUpdatedTime")
                if updated:
                    self._own_writes[f"{entity}:{entity_id}"] = datetime.fromisoformat(updated)
                    while len(self._own_writes) > LATEST_KEPT:
                        self._own_writes.pop(next(iter(self._own_writes)))
            return
        raise QuickBooksUnavailable(f"{entity} {entity_id} kept changing while the receipt was written (5010)")

    def _custom_field_ids(self) -> dict[str, str]:
        if self._definitions is None:
            self._definitions = writeback.definition_ids(self.client.preferences())
        return self._definitions

    def _note(self, problems: list[str]) -> None:
        for problem in problems:
            if problem not in self.notes:
                log.warning("%s: %s", self.source_name, problem)
                self.notes.append(problem)
                del self.notes[:-MAX_NOTES]

    # ------------------------------------------------------------ checks

    def preflight(self) -> list[str]:
        problems = []
        for check in (self.tokens.credentials, self.tokens.realm_id, self.tokens.current):
            try:
                check()
            except ConfigurationError as exc:
                problems.append(str(exc))
        return problems

    def advice(self) -> list[str]:
        advice = list(self.notes)
        try:
            self.secrets.require("verifier_token", self.config.verifier_token_env)
        except ConfigurationError as exc:
            advice.append(f"webhooks are refused until the verifier token is set ({exc}); polling still works")
        if self.config.write_custom_fields:
            try:
                self._definitions = None
                wanted, limit = self.config.write_custom_fields, self.config.custom_field_max_length
                _, problems = writeback.custom_fields(wanted, self._custom_field_ids(), _probe_receipt(), limit)
                advice += [p for p in problems if p not in advice]
            except Exception as exc:  # advice must not fail doctor
                advice.append(f"could not read the custom-field settings: {type(exc).__name__}: {exc}")
        return advice

    def health(self) -> str:
        prefs = self.client.preferences()
        home = ((prefs.get("CurrencyPrefs") or {}).get("HomeCurrency") or {}).get("value", "?")
        return f"QuickBooks company {self.tokens.realm_id()} reachable (home currency {home})"


def _probe_receipt() -> Receipt:
    from datetime import datetime

    from connector.clock import EAT

    return Receipt(invoice_number=1, receipt_number=1, total_receipt_number=1, internal_data="X" * 26,
                   signature="X" * 16, signed_at=datetime(2026, 1, 1, tzinfo=EAT), scu_id="KRACU0000000001",
                   qr_url="https://etims.kra.go.ke")  # fmt: skip
