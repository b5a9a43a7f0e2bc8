"""Sending for one device, under its lease: the state machine of spec §7 (numbering, timeouts).

head is sending/unknown ─► read back invcNo: found → accepted; 001 → resend the same request
head is queued/retry    ─► checks → register items → number → build → store → POST
POST: accepted → receipt; rejected → number released, needs-fix; retry-later → backoff, same
      number and request; unknown → read back before anything else is sent
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from connector import jsonio
from connector.clock import now_eat, parse_kra_datetime
from connector.config import DeviceSettings
from connector.errors import DocumentError, MappingError
from connector.kra import results
from connector.kra.client import KraClient, KraResult
from connector.kra.results import Outcome
from connector.ledger import ACCEPTED, DISCARDED, NEEDS_FIX, QUEUED, RETRY_WAIT, SENDING, UNKNOWN, Document
from connector.models import Invoice, Receipt, receipt_qr_url
from connector.sending_ahead import Flight, WorkAhead, sending

if TYPE_CHECKING:
    from connector.pipeline import Pipeline

log = logging.getLogger("connector.sending")

WRITE_BACK_BATCH = 50
OUTCOMES = {ACCEPTED: "accepted", NEEDS_FIX: "needs-fix", RETRY_WAIT: "retry-later", UNKNOWN: "unknown, reading back"}


class Waiting(Exception):
    """The head document cannot move yet; try again after `seconds`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class DeviceSender:
    def __init__(self, pipeline: Pipeline, device: DeviceSettings) -> None:
        self.pipeline = pipeline
        self.device = device
        self.key = device.key
        self.ledger = pipeline.ledger
        self._client: KraClient | None = None
        self.tax_rates = pipeline.tax_rates()  # read once per drain, not once per document
        self.signed: list[int] = []  # written back in batches: one queue task per batch, not per document
        self._mappings: dict[str, Any] = {}  # per drain: a source's mapping (no file look-up per document)
        self._device_row: dict[str, Any] | None = None  # per drain: scu_id and mrc_number for receipts
        self._registered: dict[str, str] = {}  # per drain: item codes KRA confirmed for this PIN
        self.ahead = WorkAhead(self)  # the next invoice prepared while the current one is at KRA
        self.flight: Flight | None = None  # the next invoice, numbered while the one before was recorded
        self._started = 0.0  # when the current document's turn began (its log line's duration)
        self.in_loop = False  # inside _work, which posts a numbered next invoice; a direct step() does not

    @property
    def profile(self) -> str:
        """The amount convention: GavaConnect's, or the legacy one (also used by a VSCU)."""
        return "gavaconnect" if self.pipeline.settings.kra.profile == "gavaconnect" else "legacy"

    @property
    def client(self) -> KraClient:
        if self._client is None:
            self._client = self.pipeline.context.client(self.device)
        return self._client

    def run(self, budget_seconds: float, renew: Callable[[], bool]) -> float | None:
        """Work through the device's queue; returns a wait in seconds, or None when it is empty."""
        try:
            if self.pipeline.settings.stock_reported:  # movements a crash kept from being recorded
                from connector.stock.after_sale import catch_up

                catch_up(self)
            with sending():
                self.in_loop = True
                return self._work(time.monotonic() + budget_seconds, renew)
        finally:
            self.in_loop = False
            self.land()
            self.flush()

    def _work(self, deadline: float, renew: Callable[[], bool]) -> float | None:
        # A numbered next invoice (self.flight) is always posted, past the deadline too: it is stored as sending.
        while self.flight is not None or (time.monotonic() < deadline and not self.pipeline.stopping.is_set()):
            flight, self.flight = self.flight, None
            head = flight.doc if flight is not None else self.ledger.head_of_device(self.key)
            if head is None:
                from connector.stock.sending import StockSender

                return StockSender.of(self).when_idle()  # stock masters still due, else None
            wait = (head.next_attempt_at or 0) - time.time()
            if wait > 0 and flight is None:
                return wait
            started = self._started = time.monotonic()
            try:
                if flight is not None:  # numbered when the invoice before it was signed (sending_ahead.py)
                    self.post(flight.doc, flight.doc.request or {}, flight.text, after=flight.after)
                else:
                    self.step(head)
            except Waiting as pause:
                return pause.seconds
            except Exception as exc:  # one bad document never stops its device (a bug, or input nothing bounded)
                wait = self.poisoned(head, exc)
                if wait is not None:
                    return wait
            finally:
                if self.flight is None:  # else said once it is recorded, while the next one is at KRA
                    self.log_outcome(head, time.monotonic() - started)
            if len(self.signed) >= WRITE_BACK_BATCH:
                self.flush()
            if not renew():
                return None
        return 0.0

    def log_outcome(self, before: Document, seconds: float) -> None:
        """One INFO line per document per outcome: `source:number → invcNo N accepted (rcpt 123, 0.4 s)`."""
        state, attempts, invoice_number, reason, rcpt = self.ledger.outcome_of(before.id)
        if state == before.state and attempts == before.attempts:
            return
        extra = {"document": before.label, "device": self.key, "state": state, "outcome": OUTCOMES.get(state)}
        if state == ACCEPTED and before.kind == "stock":
            number = self.ledger.get(before.id).stock_number
            log.info("%s → sarNo %s accepted (%.1f s)", before.label, number, seconds, extra=extra)
        elif state == ACCEPTED:
            log.info("%s → invcNo %s accepted (rcpt %s, %.1f s)", before.label, invoice_number, rcpt, seconds,
                     extra=extra)  # fmt: skip
        elif state in OUTCOMES:
            log.info("%s → %s: %s", before.label, OUTCOMES[state], reason or "", extra=extra)

    def land(self) -> None:
        """Leaving with a numbered next invoice not posted (the lease was lost, or an error): the signed one
        before it is recorded; the numbered one stays `sending`, to be read back from KRA first next time."""
        flight, self.flight = self.flight, None
        if flight is not None:
            self.ahead.record(flight.after, flight.doc.label)

    def flush(self) -> None:
        """Hand the documents signed so far to the write-back queue."""
        if self.signed:
            self.pipeline.enqueue_write_backs(self.signed)
            self.signed = []

    def step(self, doc: Document) -> None:
        from connector.stock.sending import StockSender

        if StockSender.of(self).takes(doc):  # a stock document; before a sale, the stock masters still due
            return
        self.ahead.behind = False  # the ordinary path: a document left in flight is the head, read back first
        if doc.state in (SENDING, UNKNOWN):
            self.resolve(doc)
        else:
            self.send_new(doc)

    def poisoned(self, head: Document, exc: Exception) -> float | None:
        """An unexpected failure while sending one document is that document's failure. Before its request
        can have left it becomes needs-fix (its number given back); once it may be at KRA it stays unknown and
        is read back later, with an alert. Returns a wait for the device, or None to go on."""
        log.exception("sending %s failed unexpectedly", head.label)
        doc = self.ledger.get(head.id)
        if doc.state == DISCARDED:  # closed meanwhile (withdrawn in the source, or by a person): nothing to send
            return None
        problem = f"{type(exc).__name__}: {exc}"[:500]
        if _transient_storage_error(exc) and doc.state not in (SENDING, UNKNOWN):
            # A deadlock or a busy/dropped database is never the document's fault: its transaction rolled back
            # whole, so the device tries again shortly and nothing is marked.
            log.warning("%s: the ledger refused for now (%s); trying again", doc.label, problem)
            return 1.0
        if doc.state in (SENDING, UNKNOWN):  # the request may have reached KRA: never release its number
            message = f"{doc.label}: unexpected error after invcNo {doc.invoice_number} was sent ({problem})"
            self.ledger.alert("internal-error", message, self.key, doc.id)
            try:
                self._wait(doc, message, state=UNKNOWN)
            except Waiting as pause:
                return pause.seconds
        reason = str(DocumentError(f"could not be prepared for KRA ({problem})", document=doc.label))
        if doc.invoice_number is not None:
            self.ledger.release_number(doc.id, self.key, NEEDS_FIX, "unexpected error", reason=reason)
        else:
            self.ledger.transition(doc.id, NEEDS_FIX, reason, reason=reason)
        self.pipeline.enqueue_write_back(doc.id)
        return None

    # ------------------------------------------------------------ a waiting document

    def send_new(self, doc: Document) -> None:
        if doc.invoice_number is not None and doc.request is not None:
            self.ledger.move(doc.id, SENDING, f"resending invcNo {doc.invoice_number}", attempts=doc.attempts + 1)
            self.post(dataclasses.replace(doc, state=SENDING, attempts=doc.attempts + 1), doc.request)
            return
        number = doc.invoice_number if doc.invoice_number is not None else self.ledger.next_number(self.key)
        prepared = self.ahead.take(doc, number) if doc.invoice_number is None else None
        if prepared is not None:  # prepared while the document before it was at KRA (sending_ahead.py)
            request, text, note = prepared.request, prepared.text, prepared.note
        else:
            built = self._prepare(doc, number)
            if built is None:
                return
            request, note = built
            text = jsonio.dumps(request)  # encoded once: stored in the ledger, and sent byte for byte
        self.post(self.allocate(doc, number, request, text, note), request, text)

    def allocate(
        self, doc: Document, number: int, request: dict[str, Any], text: str, note: str | None, **unchanged: str
    ) -> Document:
        """Number `doc` and store it as sending with its request (and `note`), in one durable transaction; the
        document as stored. `unchanged_since=`: see Ledger.allocate_and_move."""
        self.ledger.allocate_and_move(
            doc.id, self.key, number, SENDING, f"sending invcNo {number}", note=note, request=text,
            confirmed_at=request["cfmDt"], attempts=doc.attempts + 1, **unchanged,
        )  # fmt: skip
        return dataclasses.replace(doc, state=SENDING, invoice_number=number, request=request,
                                   confirmed_at=request["cfmDt"], attempts=doc.attempts + 1)  # fmt: skip

    def _prepare(self, doc: Document, number: int) -> tuple[dict[str, Any], str | None] | None:
        """The request for `doc` with invcNo `number` and check_erp_totals' note; None: the document was moved
        (needs-fix, or waiting for stock) and nothing is allocated."""
        invoice = Invoice.model_validate_json(doc.canonical or "{}")
        mapping = self._mapping(doc)
        original = self._original(doc, invoice)
        problems = self._precheck(invoice, mapping, original)
        if problems:
            self._needs_fix(doc, "; ".join(p.describe() for p in problems))
            return None
        codes = self.register_items(doc, invoice, mapping)
        if codes is None:
            return None
        if self.pipeline.settings.stock_reported:  # GavaConnect refuses goods beyond the stock on record
            from connector.stock.availability import shortage

            problem = shortage(self, doc, invoice, codes)
            if problem:
                self._refuse(doc, problem, "not enough stock on record at KRA")
                return None
        # Under the device lease nobody else allocates this device's numbers: build with the next one, then
        # allocate it and move to sending in one transaction (a crash leaves neither or both).
        try:
            request = self._build(invoice, mapping, number, original, codes)
            from connector.kra_totals import check_erp_totals  # the ERP's own totals: off -> DocumentError

            return request, check_erp_totals(invoice, request)  # off by rounding only: kept as a ledger note
        except (DocumentError, MappingError) as exc:
            self._refuse(doc, str(exc), "cannot build the KRA request")
            return None

    def _mapping(self, doc: Document) -> Any:
        from connector.mapping import load_mapping

        if doc.source not in self._mappings:
            source = self.pipeline.sources.get(doc.source)
            self._mappings[doc.source] = (
                source.mapping
                if source
                else load_mapping(doc.source if doc.source in ("csv", "odoo", "quickbooks") else "csv")
            )
        return self._mappings[doc.source]

    def _original(self, doc: Document, invoice: Invoice) -> Any:
        if invoice.kind != "credit_note" or invoice.original is None:
            return None
        from connector.originals import original_for

        return original_for(self.ledger, doc, invoice)

    def _precheck(self, invoice: Invoice, mapping: Any, original: Any) -> list[DocumentError]:
        from connector.kra_payload import precheck

        limits = self.pipeline.settings.credit_notes
        return precheck(invoice, mapping, original=original, tax_rates=self.tax_rates, profile=self.profile,
                        limits=limits)  # fmt: skip

    def _build(self, invoice: Invoice, mapping: Any, number: int, original: Any, codes: dict[str, str]) -> dict:
        from connector.kra_payload import AuditNames, DeviceIdentity, build_sale_wire

        kra = self.pipeline.settings.kra
        return build_sale_wire(  # build_sale(...).to_wire(): the same checks and dict, without the pydantic objects
            invoice, profile=self.profile, mapping=mapping,
            device=DeviceIdentity(pin=self.device.pin.upper(), branch_id=self.device.branch),
            invoice_number=number, original_invoice_number=original.invoice_number if original else None,
            item_codes=codes, tax_rates=self.tax_rates, confirmed_at=now_eat(),
            audit=AuditNames(id=kra.operator_id, name=kra.operator_name), trade_name=kra.trade_name,
        )  # fmt: skip

    # ------------------------------------------------------------ items before the first sale

    def register_items(
        self, doc: Document, invoice: Invoice, mapping: Any, register: Callable[..., str | None] | None = None
    ) -> dict[str, str] | None:
        """Each line's KRA item code; a new item is registered (saveItem) once per PIN, by one worker while the
        others wait for its answer (connector/ledger/items.py). None: the document was moved (needs-fix).
        `register(doc, source_code, spec)`: how a new item is registered (default: in the document's turn)."""
        from connector.kra_payload import item_spec

        register = register or self._register_item
        codes: dict[str, str] = {}
        for line in invoice.lines:
            source_code = line.item.code
            if source_code in codes:
                continue
            code = self._registered.get(source_code)
            if code is None:
                code = register(doc, source_code, item_spec(line, invoice, mapping))
                if code is None:
                    return None
                self._registered[source_code] = code  # registered codes never change: kept for the drain
            codes[source_code] = code
        return codes

    def registration(self, doc: Document, source_code: str, spec: Any, **wait: float) -> Any:
        """item_registration.register_item for this device's PIN, on behalf of `doc` (a Registration; raises
        ItemBusy). `wait_seconds=`: how long to wait for another worker's claim (default ITEM_WAIT_SECONDS)."""
        from connector.item_registration import register_item
        from connector.kra_payload import AuditNames

        kra = self.pipeline.settings.kra
        return register_item(
            self.ledger, self.client, pin=self.device.pin, source_code=source_code, spec=spec,
            strict=self.profile == "gavaconnect", audit=AuditNames(id=kra.operator_id, name=kra.operator_name),
            deadline_seconds=kra.deadline_seconds(), document_id=doc.id, device_key=self.key,
            stopping=self.pipeline.stopping.is_set, **wait,
        )  # fmt: skip

    def _register_item(self, doc: Document, source_code: str, spec: Any) -> str | None:
        from connector.item_registration import ItemBusy

        try:
            registration = self.registration(doc, source_code, spec)
        except ItemBusy as busy:  # another worker is registering this PIN's items: the document waits
            raise Waiting(busy.seconds) from None
        if registration.code is not None:  # registered now, or by another worker before or while we waited
            if registration.sent:  # new items are coming: register the next ones while a sale is at KRA
                self.ahead.wake()
            return registration.code
        result = registration.answer
        assert result is not None
        if registration.refused:
            self._needs_fix(doc, f"KRA refused to register item {source_code!r}: {result.message}")
            return None
        if result.outcome is Outcome.NEEDS_CONFIGURATION:
            self.ledger.alert("configuration", result.describe(), self.key, doc.id)
            delay = self.pipeline.settings.queue.backoff_max_seconds
            self._wait(doc, f"registering item {source_code!r}: {result.describe()}", delay=delay)
        self._wait(doc, f"registering item {source_code!r}: {result.describe()}")
        return None  # not reached: _wait raises

    # ------------------------------------------------------------ the POST and its outcome

    def post(
        self, doc: Document | int, request: dict[str, Any], text: str | None = None,
        after: Callable[[], None] | None = None,
    ) -> None:
        """`doc`: the document as the sender just wrote it (state sending, its number, request and attempts),
        or its id (then read from the ledger). `text`: the request as the ledger stored it (jsonio.dumps).
        `after`: the bookkeeping of the signed document before it, done while this one is at KRA."""
        if isinstance(doc, int):
            doc = self.ledger.get(doc)
        result = self.ahead.call(lambda: self.client.save_sale(request, text), doc, after)
        outcome = result.outcome
        if outcome is Outcome.ACCEPTED:
            self.flight = self.ahead.fly_next(doc, result, self._started)  # the next one first, if it is ready
            if self.flight is None:
                self.accept(doc, result.data, exchange=result)
            return
        self.ledger.store_exchange(doc.id, self.key, result)
        if outcome is Outcome.REJECTED:
            self.ledger.release_number(doc.id, self.key, NEEDS_FIX, "KRA rejected it", reason=_kra_reason(result))
            self.pipeline.enqueue_write_back(doc.id)
        elif outcome is Outcome.NEEDS_CONFIGURATION and self._may_be_signed(doc, result):
            message = (f"KRA answered {_kra_reason(result)!r} to a resend of invcNo {doc.invoice_number}, which an "
                       "earlier attempt may have recorded: reading it back, never giving the number away")  # fmt: skip
            self.ledger.alert("conflict", message, self.key, doc.id)
            self._wait(doc, message, state=UNKNOWN)
        elif outcome is Outcome.NEEDS_CONFIGURATION:
            self.ledger.alert("configuration", result.describe(), self.key, doc.id)
            delay = self.pipeline.settings.queue.backoff_max_seconds
            self.ledger.release_number(
                doc.id, self.key, RETRY_WAIT, "KRA refused the device or credentials",
                reason=_kra_reason(result), next_attempt_at=time.time() + delay,
            )  # fmt: skip
            raise Waiting(delay)
        elif outcome is Outcome.RETRY_LATER:
            self._wait(doc, result.describe(), state=RETRY_WAIT)
        elif doc.attempts <= 1:  # unknown (timeout, gateway error, 994, no receipt): read back at once
            self.ledger.transition(doc.id, UNKNOWN, result.describe(), reason=result.describe())
        else:  # unknown again after a read-back said "not there": back off before the next read-back
            self._wait(doc, result.describe(), state=UNKNOWN)

    def _may_be_signed(self, doc: Document, result: KraResult) -> bool:
        """A sequence refusal ("expected N+1") of a number an earlier attempt may have got recorded."""
        expected = results.expected_number(result.message)
        if doc.invoice_number is None or (expected is not None and expected <= doc.invoice_number):
            return False  # KRA has not reached this number: nobody signed it
        return self.ledger.sent_unknown(doc.id, doc.invoice_number)

    def resolve(self, doc: Document) -> None:
        """The request may have reached KRA: look the number up before doing anything else."""
        assert doc.invoice_number is not None
        result = self.client.select_invoice(doc.invoice_number)
        self.ledger.store_exchange(doc.id, self.key, result)
        sales = result.data.sales if result.outcome is Outcome.ACCEPTED and result.data else []
        if sales and sales[0].invoice_number not in (None, doc.invoice_number):
            message = f"read-back of invcNo {doc.invoice_number} answered invcNo {sales[0].invoice_number}"
            self._wait(doc, message, state=UNKNOWN)
        if sales:
            stored = sales[0]
            ours = (doc.request or {}).get("trdInvcNo")
            if stored.trader_invoice_number not in (None, ours):
                message = (f"KRA has invcNo {doc.invoice_number} signed for {stored.trader_invoice_number!r}, "
                           f"not for this document ({ours!r}): the device was used elsewhere")  # fmt: skip
                self.ledger.alert("conflict", message, self.key, doc.id)
                self._wait(doc, message, state=UNKNOWN, delay=self.pipeline.settings.queue.backoff_max_seconds)
            self.accept(doc, stored.receipt, via="read-back")
        elif result.outcome in (Outcome.NO_DATA, Outcome.ACCEPTED):
            self.ledger.move(doc.id, SENDING, f"invcNo {doc.invoice_number} not at KRA: resending it",
                             attempts=doc.attempts + 1)  # fmt: skip
            self.post(dataclasses.replace(doc, state=SENDING, attempts=doc.attempts + 1), doc.request or {})
        else:
            self._wait(doc, f"read-back of invcNo {doc.invoice_number}: {result.describe()}", state=UNKNOWN)

    def accept(
        self, doc: Document, data: Any, via: str = "answer", exchange: KraResult | None = None,
        receipt: Receipt | None = None,
    ) -> None:
        """`data` passed results.receipt_problem in the client: counters, signature, internal data and time.
        `exchange`: the call that answered, stored in the same transaction as the acceptance. `receipt`: made
        from `data` already."""
        try:
            receipt = receipt or self.receipt(doc, data)
        except Exception:
            if exchange is not None:  # the answer is kept even when it cannot be turned into a receipt
                self.ledger.store_exchange(doc.id, self.key, exchange)
            raise
        detail = f"signed by KRA (from the {via}): receipt {receipt.receipt_number}"
        fields = {
            "receipt": receipt.model_dump(mode="json"),
            "signed_at": receipt.signed_at.isoformat(),
            "reason": None,
        }
        if exchange is not None:
            self.ledger.store_exchange(doc.id, self.key, exchange, then=(ACCEPTED, detail, fields))
        else:
            self.ledger.move(doc.id, ACCEPTED, detail, **fields)
        self.signed.append(doc.id)
        if self.pipeline.settings.stock_reported:  # the goods it moved: a stock-out (or a return-in)
            from connector.stock.after_sale import record_after_signing

            record_after_signing(self, doc)
        if doc.kind == "invoice":
            self._requeue_credit_notes_waiting_for(doc)

    def receipt(self, doc: Document, data: Any) -> Receipt:
        if self._device_row is None:
            self._device_row = self.pipeline.context.devices.row(self.device) or {}
        row = self._device_row
        signed_at = parse_kra_datetime(data.signed_at or (data.model_extra or {})["vsdcRcptPbctDate"])
        signature = data.signature.strip()
        receipt = Receipt(
            invoice_number=doc.invoice_number, receipt_number=data.receipt_number or data.vscu_receipt_number,
            total_receipt_number=data.total_receipt_number, internal_data=data.internal_data.strip(),
            signature=signature, signed_at=signed_at, scu_id=row.get("scu_id") or "",
            mrc_number=row.get("mrc_number"),
            qr_url=receipt_qr_url(self.device.pin.upper(), self.device.branch, signature,
                                  production=self.pipeline.settings.kra.environment == "production"),
        )  # fmt: skip
        return receipt

    def _requeue_credit_notes_waiting_for(self, original: Document) -> None:
        """Credit notes refused because this invoice was not yet signed can go now."""
        from connector.originals import find_original

        for note in self.ledger.documents(
            "device_key = ? AND kind = 'credit_note' AND state = ?", [self.key, NEEDS_FIX]
        ):
            if note.canonical is None:
                continue
            found = find_original(self.ledger, note, Invoice.model_validate_json(note.canonical))
            if found is not None and found.id == original.id:
                self.ledger.transition(note.id, QUEUED, f"original {original.label} is now signed", reason=None)

    # ------------------------------------------------------------ helpers

    def _refuse(self, doc: Document, reason: str, detail: str) -> None:
        """Needs-fix before sending; a number the document holds (never sent) is given back."""
        if doc.invoice_number is not None:
            self.ledger.release_number(doc.id, self.key, NEEDS_FIX, detail, reason=reason)
            self.pipeline.enqueue_write_back(doc.id)
        else:
            self._needs_fix(doc, reason)

    def _needs_fix(self, doc: Document, reason: str) -> None:
        self.ledger.move(doc.id, NEEDS_FIX, reason, reason=reason)
        self.pipeline.enqueue_write_back(doc.id)

    def _wait(self, doc: Document, reason: str, state: str = RETRY_WAIT, delay: float | None = None) -> None:
        current = self.ledger.get(doc.id)
        attempts = current.attempts + (0 if current.state == SENDING else 1)  # a POST already counted itself
        delay = self.pipeline.backoff(attempts) if delay is None else delay
        self.ledger.transition(doc.id, state, f"waiting {delay:.0f}s: {reason}", reason=reason,
                               next_attempt_at=time.time() + delay, attempts=attempts)  # fmt: skip
        raise Waiting(delay)


def _kra_reason(result: KraResult) -> str:
    return f"KRA {result.code or result.http_status or ''} {result.message}".strip()


def _transient_storage_error(exc: Exception) -> bool:
    """SQLite's "database is locked", PostgreSQL's deadlocks, serialization failures and lost connections, and
    a sequence another worker moved while this one had lost the device's lease (nothing was allocated)."""
    import sqlite3

    from connector.ledger.store import SequenceMoved

    if isinstance(exc, (sqlite3.OperationalError, SequenceMoved)):
        return True
    try:
        import psycopg
    except ImportError:
        return False
    return isinstance(exc, psycopg.OperationalError)
