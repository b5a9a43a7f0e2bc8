"""Working ahead while KRA answers: the device's next invoice is prepared while the current one is in flight,
and the current one's bookkeeping is done while the next one is.

While the device's thread waits for KRA's answer to invoice k (the socket wait releases the GIL), a helper
thread does what k+1 needs that does not depend on k's outcome: its checks, its new items' saveItem, its
request built with the number k+1 would get, encoded. Nothing of this is bound: k+1's number is allocated only
once k's answer proved KRA signed it, and only if the prepared request is still for the same document,
unchanged, and the number is still the device's next (`take`). Any other outcome of k, any doubt about k+1 (a
check failing, an item another worker is registering, a credit note, stock reported), and k+1 simply goes the
ordinary way.

When k is signed and k+1 is ready (`fly_next`), k+1's number is allocated and k+1 stored as sending (durably)
first, and posted at once; k's receipt is written by the helper while k+1 is at KRA. A crash in between leaves
k and k+1 both `sending`, each with its number and request: both are read back from KRA (sending.py), as any
document a crash left in flight. k's bookkeeping waits only when it could change what goes next: a credit note
of the device waiting for its original, stock reported.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from connector import jsonio
from connector.kra.results import Outcome
from connector.ledger import QUEUED, RETRY_WAIT, Document
from connector.ledger.store import DocumentChanged, SequenceMoved
from connector.models import Invoice

if TYPE_CHECKING:
    from connector.kra.client import KraResult
    from connector.sending import DeviceSender

log = logging.getLogger("connector.sending")
T = TypeVar("T")

HELPER_THREADS = 64  # at most one helper per device thread at a time; the queue has at most 64 workers
QUIET_AFTER = 20  # documents in a row with no new item: working ahead stops paying, for the rest of the drain
SPARE_DRAINS = 2 * (os.cpu_count() or 1)  # this many devices sending at once or fewer: the CPU has room to spare

_busy = 0  # devices of this process sending now (DeviceSender.run)
_busy_guard = threading.Lock()

_executor: ThreadPoolExecutor | None = None
_executor_guard = threading.Lock()


def _helpers() -> ThreadPoolExecutor:
    """One pool for the process: its threads keep their kept-alive KRA connections (saveItem) between uses."""
    global _executor
    with _executor_guard:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=HELPER_THREADS, thread_name_prefix="work-ahead")
        return _executor


def _forget_after_fork() -> None:
    global _executor, _executor_guard, _busy, _busy_guard
    _executor, _executor_guard = None, threading.Lock()
    _busy, _busy_guard = 0, threading.Lock()


@contextlib.contextmanager
def sending() -> Iterator[None]:
    """Counts a device of this process sending, while it does."""
    global _busy
    with _busy_guard:
        _busy += 1
    try:
        yield
    finally:
        with _busy_guard:
            _busy -= 1


os.register_at_fork(after_in_child=_forget_after_fork)


@dataclasses.dataclass(frozen=True)
class Prepared:
    doc: Document  # as it was read when prepared
    number: int  # the invcNo it was built with
    request: dict[str, Any]
    text: str  # the request encoded: stored and sent byte for byte
    note: str | None  # check_erp_totals' note (off by rounding only)


@dataclasses.dataclass(frozen=True)
class Flight:
    """The device's next invoice, numbered and stored as sending, to be posted next; `after`: the bookkeeping of
    the signed invoice before it, done while this one is at KRA."""

    doc: Document  # as stored: sending, with its number, request and attempts
    text: str  # its request as stored, sent byte for byte
    after: Callable[[], None]


class WorkAhead:
    def __init__(self, sender: DeviceSender) -> None:
        self.sender = sender
        self.prepared: Prepared | None = None
        self.quiet = QUIET_AFTER  # documents prepared in a row that needed no new item: asleep until wake()
        self.behind = False  # a signed document's bookkeeping failed: it is read back before anything goes ahead

    def on(self) -> bool:
        """Measured on 2 cores, a helper's hand-over and GIL cost more CPU than preparing saves when many devices
        send at once: then it works only after wake() (a document had to register an item on the ordinary path)
        until QUIET_AFTER documents in a row needed no new item. With few devices the CPU is idle during the
        round trip, and the round trip is what limits each device: always."""
        return self.quiet < QUIET_AFTER or _busy <= SPARE_DRAINS

    def call(self, send: Callable[[], T], sending: Document, after: Callable[[], None] | None = None) -> T:
        """`send()` — the POST of `sending`, which holds invcNo N — on this thread, while a helper thread does
        `after()` (the bookkeeping of the document before it) then prepares the device's next document with N + 1
        (it gets the GIL once this one waits for the socket). The helper is done before the answer is looked at:
        the ledger connection is never used by both."""
        if after is None and not self.on():
            return send()
        ahead = _helpers().submit(self._work_ahead, sending, after)
        try:
            return send()
        finally:
            ahead.result()

    def wake(self) -> None:
        """A document on the ordinary path had to register an item: the next ones may too."""
        self.quiet = 0

    def record(self, after: Callable[[], None], next_label: str) -> bool:
        """`after()`, the bookkeeping of the signed document before `next_label`'s. If it fails, that document
        stays `sending`, and is read back from KRA before anything else goes ahead."""
        try:
            after()
            return True
        except Exception:
            self.behind = True
            log.warning("recording the document before %s failed; it is read back from KRA", next_label,
                        exc_info=True)  # fmt: skip
            return False

    def _work_ahead(self, sending: Document, after: Callable[[], None] | None) -> None:
        self.prepared = None
        if after is not None and not self.record(after, sending.label):
            return
        try:
            if sending.invoice_number is not None and self.on():
                self.prepared = self._prepare_next(sending.invoice_number + 1)
        except Exception:  # the ordinary path meets it again, and deals with it there
            log.debug("preparing the document after %s failed", sending.label, exc_info=True)

    def take(self, doc: Document, number: int) -> Prepared | None:
        """The prepared request for `doc`, if it is still the same document unchanged and `number` is still
        the one it was built with."""
        prepared, self.prepared = self.prepared, None
        if prepared is None or prepared.number != number:
            return None
        before = prepared.doc
        same = (doc.id, doc.state, doc.canonical, doc.updated_at, doc.invoice_number)
        return prepared if same == (before.id, before.state, before.canonical, before.updated_at, None) else None

    def fly_next(self, signed: Document, answer: KraResult, started: float) -> Flight | None:
        """`signed` (invcNo N) was just signed by KRA (`answer`): the device's next invoice, prepared while it was
        at KRA, numbered N + 1 and stored as sending, to be posted before `signed`'s receipt is written. None
        (nothing recorded): nothing is prepared, or something might change what goes next; the ordinary path
        then records `signed` first."""
        sender, prepared = self.sender, self.prepared
        if not sender.in_loop:  # a direct step(): nobody would post a numbered next invoice
            return None
        if prepared is None or signed.invoice_number is None or prepared.number != signed.invoice_number + 1:
            return None
        if self.behind or sender.pipeline.stopping.is_set() or sender.pipeline.settings.stock_reported:
            return None
        if signed.kind == "invoice" and sender.ledger.has_credit_notes_to_fix(sender.key):
            return None  # signing it may requeue one of them, to go before anything newer
        self.prepared = None
        try:
            receipt = sender.receipt(signed, answer.data)
        except Exception:  # the ordinary path meets it again, and keeps the answer
            return None
        doc = prepared.doc
        try:  # only if the document is as it was prepared, and N + 1 still the device's next (else nothing)
            sending = sender.allocate(doc, prepared.number, prepared.request, prepared.text, prepared.note,
                                      unchanged_since=doc.updated_at)  # fmt: skip
        except (DocumentChanged, SequenceMoved):
            return None
        except Exception:  # nothing allocated (one transaction): the ordinary path goes on
            log.warning("numbering %s ahead failed", doc.label, exc_info=True)
            return None

        def after() -> None:
            sender.accept(signed, answer.data, exchange=answer, receipt=receipt)
            sender.log_outcome(signed, time.monotonic() - started)

        return Flight(sending, prepared.text, after)

    # ------------------------------------------------------------ preparing

    def _prepare_next(self, number: int) -> Prepared | None:
        sender = self.sender
        if sender.pipeline.stopping.is_set() or sender.pipeline.settings.stock_reported:
            return None  # with stock reported, a signed sale's stock-out goes next (connector/stock)
        doc = sender.ledger.next_waiting(sender.key)
        if doc is None or not _plain_invoice(doc):
            return None
        invoice = Invoice.model_validate_json(doc.canonical or "{}")
        mapping = sender._mapping(doc)
        if sender._precheck(invoice, mapping, None):
            return None  # needs fixing: said by the ordinary path, after the current document
        self.quiet += 1
        codes = sender.register_items(doc, invoice, mapping, register=self._register_ahead)
        if codes is None:
            return None
        from connector.kra_totals import check_erp_totals

        request = sender._build(invoice, mapping, number, None, codes)
        note = check_erp_totals(invoice, request)
        return Prepared(doc, number, request, jsonio.dumps(request), note)

    def _register_ahead(self, doc: Document, source_code: str, spec: Any) -> str | None:
        """A new item registered now (saveItem, while the current invoice is at KRA). None when it is not
        (refused, unanswered, another worker's claim): the ordinary path then decides, in the document's turn."""
        from connector.item_registration import ItemBusy
        from connector.ledger import items as item_store

        sender = self.sender
        known = item_store.registered_code(sender.ledger.db, sender.device.pin.upper(), source_code)
        if known and known[1] == item_store.REGISTERED:  # by another device of the PIN: no round trip to hide
            return known[0]
        self.quiet = 0  # a saveItem to hide behind the current invoice's round trip
        try:
            registration = sender.registration(doc, source_code, spec, wait_seconds=0.0)
        except ItemBusy:
            return None
        answer = registration.answer
        if registration.code is None and answer is not None and answer.outcome is not Outcome.REJECTED:
            log.debug("item %s not registered ahead: %s", source_code, answer.describe())
        return registration.code


def _plain_invoice(doc: Document) -> bool:
    """An invoice never numbered, due now: a credit note depends on its original's (and its siblings') state."""
    return (
        doc.kind == "invoice" and doc.invoice_number is None and doc.request is None
        and doc.state in (QUEUED, RETRY_WAIT) and (doc.next_attempt_at or 0) <= time.time()
    )  # fmt: skip
