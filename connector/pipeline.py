"""Orchestration: source → canonical → ledger → (per device, in order) KRA → write-back.

`Pipeline.drain(device)` is the only place that sends sales. It holds the device's lease, deals
with an in-flight document first (read-back: found → take that receipt; not found → resend the same
number), then sends waiting documents one at a time, oldest first.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from connector import jsonio, reference
from connector.adapters import Listens, SourceAdapter, SourceDocument, adapter_class
from connector.clock import now_utc
from connector.config import DeviceSettings, Settings
from connector.context import Context
from connector.errors import ConfigurationError, ConnectorError, DocumentError, MappingError, SecretKeyError
from connector.ledger import (
    ACCEPTED,
    NEEDS_FIX,
    QUEUED,
    WRITTEN_BACK,
    Document,
    Ledger,
    leases,
)
from connector.ledger.schema import DISCARDABLE, SIGNED
from connector.ledger.store import LedgerError
from connector.mapping import load_mapping
from connector.model_bounds import validation_error
from connector.models import Invoice, Receipt
from connector.sending import DeviceSender
from connector.source_credentials import SourceSecrets

log = logging.getLogger("connector.pipeline")

PACKAGED_MAPPINGS = ("csv", "odoo", "quickbooks")
INFRASTRUCTURE = (ConfigurationError, SecretKeyError, OSError)  # not a document's fault: stop and retry


@dataclass
class Source:
    """A configured source at run time: its adapter, mapping and device."""

    name: str
    adapter: SourceAdapter | None
    mapping: Any
    device: DeviceSettings


@dataclass
class IngestReport:
    fetched: int = 0
    new: int = 0
    corrected: int = 0
    unchanged: int = 0
    problems: int = 0
    devices: set[str] = field(default_factory=set)


class Pipeline:
    def __init__(
        self,
        context: Context,
        sources: dict[str, Source],
        *,
        enqueue_drain: Callable[[str, float], None] = lambda key, delay: None,
        enqueue_write_back: Callable[[int], None] = lambda doc_id: None,
        enqueue_write_backs: Callable[[list[int]], None] | None = None,
    ) -> None:
        self.context = context
        self.settings: Settings = context.settings
        self.sources = sources
        self.enqueue_drain = enqueue_drain
        self.enqueue_write_back = enqueue_write_back
        self.enqueue_write_backs = enqueue_write_backs or (lambda ids: [self.enqueue_write_back(i) for i in ids])
        self.stopping = threading.Event()  # set on shutdown: drains stop between documents

    @property
    def ledger(self) -> Ledger:
        return self.context.ledger

    # ------------------------------------------------------------ ingest

    def ingest(self, source_name: str) -> IngestReport:
        """Poll one source, record what is new or corrected, and queue it for its device."""
        source = self.sources[source_name]
        assert source.adapter is not None
        report = IngestReport()
        ledger = self.ledger
        if self.settings.stock_reported:  # receipts and adjustments first: the sales may need that stock
            from connector.stock.polling import ingest_stock

            report.devices |= ingest_stock(self, source)
        for document, next_cursor in source.adapter.fetch_new(ledger.cursor(source_name)):
            report.fetched += 1
            doc_id = self.record(source, document, report)
            if document.retry_requested:
                self.honour_retry_request(doc_id, report)
            ledger.set_cursor(source_name, next_cursor)
        for key in report.devices:
            self.enqueue_drain(key, 0)
        return report

    def ingest_changed(self, source_name: str, keys: list[str]) -> IngestReport:
        """Fetch and record the documents a webhook named (the polling cursor is left alone)."""
        source = self.sources[source_name]
        assert source.adapter is not None and isinstance(source.adapter, Listens)
        report = IngestReport()
        for document in source.adapter.fetch_changed(keys):
            report.fetched += 1
            doc_id = self.record(source, document, report)
            if document.retry_requested:
                self.honour_retry_request(doc_id, report)
        for key in report.devices:
            self.enqueue_drain(key, 0)
        return report

    def record(self, source: Source, document: SourceDocument, report: IngestReport) -> int:
        """Record one source document. Whatever goes wrong turning it into a canonical invoice is
        that document's problem (needs-fix naming document, field and value), never the source's."""
        assert source.adapter is not None
        if document.withdrawn:
            known = self.ledger.find(source.name, document.external_id, document.kind)
            if known is not None and known.state in SIGNED:
                return self.withdrawn_after_signing(known, document.withdrawn)
            if known is not None and known.invoice_number is None and known.state in DISCARDABLE:
                return self.withdrawn_before_sending(known, document.withdrawn)
        problem, canonical, content_hash, device = None, None, None, source.device
        try:
            invoice = source.adapter.to_canonical(document)
            device = self.device_for(invoice, source.device)
            canonical, content_hash = invoice.model_dump_json(), invoice.content_hash()
        except INFRASTRUCTURE:
            raise  # the source or the configuration is broken, not this document: polled again later
        except Exception as exc:  # the one boundary: any other failure is this document's
            problem = document_problem(exc, document.number or document.external_id).describe()
            canonical = None
            content_hash = f"problem:{hash_of(document.content)}"
            if not isinstance(exc, DocumentError):  # an adapter's own refusals are routine, the rest is not
                log.warning("%s: document %s cannot be read: %s", source.name, document.external_id, problem)
        recorded = self.ledger.record(
            source=source.name,
            external_id=document.external_id,
            kind=document.kind,
            number=document.number,
            device_key=device.key,
            canonical=canonical,
            content_hash=content_hash,
            source_ref=document.ref,
            problem=problem,
        )
        return self._after_record(recorded, device, problem, report, source)

    def record_invoice(self, invoice: Invoice, source: Source, ref: dict[str, Any]) -> int:
        """Record a canonical invoice directly (`submit FILE`); a problem makes it needs-fix."""
        problem, canonical, content_hash = None, None, None
        try:
            device = self.device_for(invoice, source.device)
            canonical, content_hash = invoice.model_dump_json(), invoice.content_hash()
        except Exception as exc:  # the one boundary, as in record()
            device, problem = source.device, document_problem(exc, invoice.number).describe()
            content_hash = f"problem:{hash_of(repr(invoice))}"
        recorded = self.ledger.record(
            source=invoice.source, external_id=invoice.external_id, kind=invoice.kind, number=invoice.number,
            device_key=device.key, canonical=canonical, content_hash=content_hash, source_ref=ref, problem=problem,
        )  # fmt: skip
        report = IngestReport()
        doc_id = self._after_record(recorded, device, problem, report, source)
        for key in report.devices:
            self.enqueue_drain(key, 0)
        return doc_id

    def _after_record(
        self, recorded: Any, device: DeviceSettings, problem: str | None, report: IngestReport, source: Source
    ) -> int:
        action = recorded.action if recorded.action in ("new", "corrected") else "unchanged"
        setattr(report, action, getattr(report, action) + 1)
        seen_again = recorded.action in ("moved", "ignored-signed")
        if seen_again and self.ledger.get(recorded.document_id).state in (*SIGNED, NEEDS_FIX):
            self.enqueue_write_back(recorded.document_id)  # give the new place in the source its result
        if action != "unchanged":
            if problem:
                report.problems += 1
                self.enqueue_write_back(recorded.document_id)  # tell the source about the problem
            else:
                self.ledger.transition(recorded.document_id, QUEUED, "queued for KRA")
                report.devices.add(device.key)
        return recorded.document_id

    def device_for(self, invoice: Invoice, default: DeviceSettings) -> DeviceSettings:
        if not invoice.branch:
            return default
        try:
            return self.settings.device(invoice.branch)
        except ConnectorError as error:
            message = f"names a branch that is not a configured device ({error})"
            raise DocumentError(message, document=invoice.number, field="branch", value=invoice.branch) from None

    # ------------------------------------------------------------ sending, per device

    def drain(self, device_key: str, budget_seconds: float = 60.0) -> float | None:
        """Send what is ready for one device, in order. Returns seconds until it should run again."""
        db = self.context.db
        ttl = self.settings.queue.lease_seconds
        if leases.acquire(db, device_key, ttl) is None:
            return None  # another worker holds the device; it re-checks before letting go
        try:
            sender = DeviceSender(self, self.settings.device(device_key))
            wait = sender.run(budget_seconds, renew=leases.Renewal(db, device_key, ttl))
        finally:
            leases.release(db, device_key)
        if wait is None and self._ready_now(device_key):
            wait = 0.0  # work arrived while we held the lease, or the budget ran out
        return wait

    def _ready_now(self, device_key: str) -> bool:
        head = self.ledger.head_of_device(device_key)
        return head is not None and (head.next_attempt_at or 0) <= time.time()

    # ------------------------------------------------------------ write-back

    def write_back(self, document_id: int) -> str:
        """Put the receipt into the source (or tell it about a problem). Raises to be retried."""
        ledger = self.ledger
        doc = ledger.get(document_id)
        source = self.sources.get(doc.source)
        adapter = source.adapter if source else None
        if doc.state == NEEDS_FIX:
            if adapter is not None:
                adapter.report_problem(doc.source_ref, doc.reason or "needs fixing")
            return "reported"
        if doc.state not in SIGNED:
            return f"nothing to write back ({doc.state})"
        if adapter is None and doc.state == ACCEPTED:
            ledger.transition(
                document_id, WRITTEN_BACK, "no source adapter to write back to; receipt kept in the ledger"
            )
            return "kept"
        if adapter is None:
            return "no source adapter"
        try:
            adapter.write_back(doc.source_ref, Receipt.model_validate(doc.receipt))
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}"
            ledger.db.execute(
                "UPDATE documents SET write_back_error = ?, write_back_attempts = write_back_attempts + 1,"
                " updated_at = ? WHERE id = ?",  # updated_at: when it last failed (the sweeper's backoff)
                [message, now_utc().isoformat(), document_id],
            )
            ledger.note(document_id, f"write-back failed: {message}")
            raise
        if doc.state == ACCEPTED:
            ledger.transition(document_id, WRITTEN_BACK, "receipt written back to the source", write_back_error=None)
        return "written"

    # ------------------------------------------------------------ user actions

    def retry(self, document_id: int) -> Document:
        """A needs-fix document the user fixed elsewhere (mapping, configuration): queue it again."""
        doc = self.ledger.get(document_id)
        if doc.state != NEEDS_FIX:
            raise ConnectorError(f"document {doc.label} is {doc.state}, not needs-fix; nothing to retry")
        if doc.canonical is None:
            raise ConnectorError(f"document {doc.label} could not be read from its source: fix it there")
        doc = self.ledger.transition(document_id, QUEUED, "retry requested", reason=None, attempts=0)
        self.enqueue_drain(doc.device_key, 0)
        return doc

    def withdrawn_before_sending(self, doc: Document, how: str) -> int:
        """The source voided or deleted it before it got an invoice number: it must never reach KRA. (One that
        holds a number goes to KRA all the same — a number, once allocated, is its document's — and is then
        alerted as withdrawn after signing.)"""
        try:
            self.ledger.discard(doc.id, f"{how} before it was sent to KRA")
        except LedgerError:  # the sender numbered it meanwhile: it is sent, then alerted after signing
            return doc.id
        log.info("%s: %s before it was sent to KRA: discarded, never sent", doc.label, how)
        return doc.id

    def withdrawn_after_signing(self, doc: Document, how: str) -> int:
        """KRA signed it, then the source voided or deleted it: only a credit note can undo it. Alerted once."""
        ledger = self.ledger
        kind = "withdrawn-after-signing"
        if not ledger.db.execute("SELECT 1 FROM alerts WHERE document_id = ? AND kind = ?", [doc.id, kind]).fetchone():
            message = (f"{doc.label} was {how} after KRA signed it as invcNo {doc.invoice_number}: "
                       "KRA keeps it; issue a credit note for it in the source")  # fmt: skip
            ledger.alert(kind, message, doc.device_key, doc.id)
            ledger.note(doc.id, f"{how} in the source after signing: credit note needed")
            log.warning("%s", message)
        return doc.id

    def honour_retry_request(self, document_id: int, report: IngestReport) -> None:
        """The user asked in the source to send a needs-fix document again (e.g. Odoo's button)."""
        doc = self.ledger.get(document_id)
        if doc.state == NEEDS_FIX and doc.canonical is not None:
            self.ledger.transition(
                document_id, QUEUED, "sending again, as asked in the source", reason=None, attempts=0
            )
            report.devices.add(doc.device_key)
        elif doc.state == NEEDS_FIX or doc.state in SIGNED:
            # Nothing to send (it still cannot be read, or KRA signed it already): tell the source again,
            # so the state it shows is the ledger's and not the "queued" the request put there.
            self.ledger.note(document_id, f"asked in the source to send it again; it is {doc.state}: told again")
            self.enqueue_write_back(document_id)

    def backoff(self, attempts: int) -> float:
        queue = self.settings.queue
        delay = min(queue.backoff_max_seconds, queue.backoff_base_seconds * 2 ** max(0, attempts - 1))
        return delay * random.uniform(0.5, 1.0)

    def tax_rates(self) -> dict[str, Any]:
        return reference.tax_rates(self.context.db, self.settings.kra.tax_rates)


def hash_of(value: Any) -> str:
    """sha256 of a value's JSON (of its repr when it has no JSON form); never raises."""
    try:
        text = jsonio.dumps(value)
    except (TypeError, ValueError, ArithmeticError, RecursionError):
        text = repr(value)
    return hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()


def document_problem(error: Exception, document: str | None) -> DocumentError:
    """Any failure while reading one document, as a `DocumentError` naming document, field and value."""
    if isinstance(error, DocumentError):
        return (
            error
            if error.document
            else DocumentError(error.message, document=document, field=error.field, value=error.value, line=error.line)
        )
    if isinstance(error, ValidationError):
        return validation_error(error, document)
    if isinstance(error, MappingError):
        return DocumentError(str(error), document=document)
    return DocumentError(f"cannot be read ({type(error).__name__}: {error})", document=document)


def default_mapping(source_name: str) -> Any:
    """The packaged mapping of a built-in source name; the CSV one for anything else."""
    return load_mapping(source_name if source_name in PACKAGED_MAPPINGS else "csv")


def build_sources(context: Context) -> dict[str, Source]:
    """Adapters, mappings and devices for every configured source."""
    sources = {}
    for cfg in context.settings.sources:
        cls = adapter_class(cfg.adapter)
        mapping = load_mapping(cfg.mapping or cfg.adapter)
        secrets = SourceSecrets.for_context(context, cfg.name)
        adapter = cls.from_options(cfg.options, mapping, cfg.name, secrets)
        adapter.ledger = lambda: context.ledger
        sources[cfg.name] = Source(cfg.name, adapter, mapping, context.settings.device(cfg.device))
    return sources
