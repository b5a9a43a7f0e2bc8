"""Sending stock for one device, under its lease (called by DeviceSender for the head document of kind
"stock", and before each sale for the stock masters still due).

queued / retry-wait ─► register items → sarNo → insertStockIO → then the due stock masters
POST: accepted → accepted + stock_levels; rejected → sarNo given back, needs-fix; retry-later → same sarNo
      and request, backoff; unknown → verified by resending the identical request (no read-back exists):
      000 → recorded now; 994 or "expected N" with N > ours after an earlier attempt → recorded earlier.
saveStockMaster (rsdQty = stock_levels.quantity, absolute, idempotent): accepted → master_quantity; rejected
      (e.g. "rsdQty mismatch. Expected: N") → an alert and the item is left until its quantity changes;
      anything else → the device waits and tries again before its next sale.
"""

from __future__ import annotations

import dataclasses
import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connector import jsonio
from connector.errors import DocumentError, MappingError
from connector.kra import results
from connector.kra.client import KraResult
from connector.kra.results import Outcome
from connector.kra_items import AuditNames
from connector.ledger import NEEDS_FIX, QUEUED, RETRY_WAIT, SENDING, UNKNOWN, Document
from connector.ledger import items as item_store
from connector.ledger.schema import IN_FLIGHT
from connector.stock import build
from connector.stock import ledger as stock_ledger

if TYPE_CHECKING:
    from connector.sending import DeviceSender

ENDPOINT = "insertStockIO"
DUPLICATE = "994"
SHORT_OF_STOCK = "in stock on record for device"  # the pre-sale check's needs-fix message


class StockSender:
    def __init__(self, sender: DeviceSender) -> None:
        self.sender = sender
        self.ledger = sender.ledger
        self.key = sender.key
        self.pipeline = sender.pipeline
        self.masters_checked = False  # per drain: nothing due was found since the last accepted stock IO

    @classmethod
    def of(cls, sender: DeviceSender) -> StockSender:
        """The StockSender of this drain (one per DeviceSender)."""
        found = getattr(sender, "_stock_sender", None)
        if found is None:
            found = cls(sender)
            sender._stock_sender = found  # type: ignore[attr-defined]
        return found

    @property
    def device(self) -> build.Device:
        return build.Device(pin=self.sender.device.pin.upper(), branch=self.sender.device.branch)

    @property
    def audit(self) -> AuditNames:
        kra = self.pipeline.settings.kra
        return AuditNames(id=kra.operator_id, name=kra.operator_name)

    def takes(self, doc: Document) -> bool:
        """True when `doc` is a stock document (and was dealt with here). Before a waiting sale, the stock
        masters still due go first (raises Waiting while KRA does not take them)."""
        if doc.kind == stock_ledger.KIND:
            self.step(doc)
            return True
        if doc.state not in IN_FLIGHT:
            self.send_due_masters(None)
        return False

    def when_idle(self) -> float | None:
        """The queue is empty: send the stock masters still due (a failed one is retried after the wait
        returned, with the device's drain, not only before its next sale)."""
        from connector.sending import Waiting

        try:
            self.send_due_masters(None)
        except Waiting as pause:
            return pause.seconds
        return None

    def step(self, doc: Document) -> None:
        from connector.sending import Waiting, _transient_storage_error

        if doc.state in IN_FLIGHT:
            self.verify(doc)
            return
        try:
            self.send_new(doc)
        except Waiting:
            raise
        except Exception as exc:  # before the request left: this document's failure, never a lost number
            current = self.ledger.get(doc.id)
            if _transient_storage_error(exc) or current.state in IN_FLIGHT:
                raise  # DeviceSender.poisoned: the ledger's problem, or a request that may be at KRA
            reason = f"{doc.label}: could not be prepared for KRA ({type(exc).__name__}: {exc})"[:500]
            self._needs_fix(current, reason)

    # ------------------------------------------------------------ a waiting stock document

    def send_new(self, doc: Document) -> None:
        if doc.stock_number is not None and doc.request is not None:  # retry-later: same sarNo, same request
            attempts = doc.attempts + 1
            self.ledger.move(doc.id, SENDING, f"resending sarNo {doc.stock_number}", attempts=attempts)
            self.post(dataclasses.replace(doc, state=SENDING, attempts=attempts), doc.request,
                      maybe_recorded=self._sent_unknown(doc))  # fmt: skip
            return
        move = stock_ledger.move_of(doc)
        invoice = build.as_invoice(move)
        mapping = self.sender._mapping(doc)
        try:
            specs = build.specs_of(move, invoice, mapping)
            costs = self._unit_costs(move, specs)
        except (DocumentError, MappingError) as exc:
            self._needs_fix(doc, str(exc))
            return
        codes = self.register_items(doc, invoice, specs)
        if codes is None:
            return
        number = stock_ledger.next_stock_number(self.ledger, self.key)  # under the lease: nobody else numbers
        try:
            request = build.build_stock_io(
                move, invoice, specs, codes, costs, stock_number=number, device=self.device,
                tax_rates=self.sender.tax_rates, audit=self.audit, profile=self.sender.profile,
            )  # fmt: skip
        except (DocumentError, MappingError, ValueError) as exc:
            self._needs_fix(doc, str(DocumentError(f"cannot build the stock IO: {exc}", document=doc.label)))
            return
        attempts = doc.attempts + 1
        stock_ledger.allocate_and_move(self.ledger, doc.id, self.key, number, SENDING, f"sending sarNo {number}",
                                       request=request, attempts=attempts)  # fmt: skip
        sending = dataclasses.replace(doc, state=SENDING, stock_number=number, request=request, attempts=attempts)
        self.post(sending, request, maybe_recorded=False)

    def _unit_costs(self, move: Any, specs: list[Any]) -> list[Decimal]:
        """The cost per line; a line at cost 0 (GavaConnect reads a zero totAmt as missing) takes its item's
        registered default price (dftPrc), and is a DocumentError when there is none."""
        costs = []
        pin = self.device.pin
        for number, line in enumerate(move.lines, start=1):
            cost = line.unit_cost
            if cost == 0:
                known = item_store.registered_code(self.ledger.db, pin, line.item.code)
                price = registered_price(self.ledger, known[0]) if known else None
                if not price:
                    raise DocumentError(
                        "has unit_cost 0 and the item has no registered default price to report instead "
                        "(KRA refuses a stock line with totAmt 0): give the movement its cost",
                        document=move.number, line=number, field="unit_cost", value="0",
                    )  # fmt: skip
                cost = price
            costs.append(cost)
        return costs

    def register_items(self, doc: Document, invoice: Any, specs: list[Any]) -> dict[str, str] | None:
        """saveItem for the items KRA does not know yet, once per PIN whoever needs them first (sales too)."""
        from connector.item_registration import ItemBusy, register_item
        from connector.sending import Waiting

        kra, codes = self.pipeline.settings.kra, {}
        for line, spec in zip(invoice.lines, specs, strict=True):
            if line.item.code in codes:
                continue
            try:
                registration = register_item(
                    self.ledger, self.sender.client, pin=self.device.pin, source_code=line.item.code, spec=spec,
                    strict=self.sender.profile == "gavaconnect", audit=self.audit,
                    deadline_seconds=kra.deadline_seconds(), document_id=doc.id, device_key=self.key,
                    stopping=self.pipeline.stopping.is_set,
                )  # fmt: skip
            except ItemBusy as busy:  # another worker is registering this PIN's items: the movement waits
                raise Waiting(busy.seconds) from None
            if registration.code is not None:
                codes[line.item.code] = registration.code
                continue
            result = registration.answer
            assert result is not None
            if registration.refused:
                self._needs_fix(doc, f"KRA refused to register item {line.item.code!r}: {result.message}")
                return None
            if result.outcome is Outcome.NEEDS_CONFIGURATION:
                self.ledger.alert("configuration", result.describe(), self.key, doc.id)
            self.sender._wait(doc, f"registering item {line.item.code!r}: {result.describe()}")
        return codes

    # ------------------------------------------------------------ the POST and its outcome

    def verify(self, doc: Document) -> None:
        """sending (a crash may have left it on the wire) or unknown: resend the identical request."""
        assert doc.stock_number is not None and doc.request is not None
        attempts = doc.attempts + 1
        self.ledger.move(doc.id, SENDING, f"sarNo {doc.stock_number} may be at KRA: resending the same request",
                         attempts=attempts)  # fmt: skip
        # A document found in `sending` was left by a crash, maybe after the POST; an `unknown` one may be at KRA
        # when an attempt ended unknown (not when KRA answered 994 to its first send: that number is someone else's)
        maybe_recorded = doc.state == SENDING or self._sent_unknown(doc)
        self.post(
            dataclasses.replace(doc, state=SENDING, attempts=attempts), doc.request, maybe_recorded=maybe_recorded
        )

    def post(self, doc: Document, request: dict[str, Any], *, maybe_recorded: bool) -> None:
        """`maybe_recorded`: an earlier attempt with this sarNo may have reached KRA."""
        from connector.sending import Waiting

        number = doc.stock_number
        result = self.sender.client.save_stock_io(request)  # type: ignore[arg-type]  (the stored body)
        expected = results.expected_number(result.message)
        outcome = result.outcome
        if outcome is Outcome.ACCEPTED:
            self._accept(doc, request, result, f"recorded by KRA: sarNo {number}")
            return
        if maybe_recorded and (
            (outcome is Outcome.UNKNOWN and result.code == DUPLICATE)
            or (outcome in (Outcome.REJECTED, Outcome.NEEDS_CONFIGURATION) and expected is not None
                and number is not None and expected > number)
        ):  # fmt: skip
            self._accept(doc, request, result, f"sarNo {number} was recorded by an earlier attempt "
                                               f"(KRA: {result.code} {result.message})")  # fmt: skip
            return
        if outcome is Outcome.REJECTED or (outcome is Outcome.NEEDS_CONFIGURATION and not maybe_recorded):
            reason = f"{doc.label}: KRA refused stock IO sarNo {number}: {_kra_reason(result)}"
            if expected is not None:
                reason += " (KRA's stock sequence and the ledger's disagree: check the device's other users)"
                self.ledger.alert("configuration", reason, self.key, doc.id)
            if outcome is Outcome.NEEDS_CONFIGURATION:
                self.ledger.alert("configuration", result.describe(), self.key, doc.id)
                delay = self.pipeline.settings.queue.backoff_max_seconds
                stock_ledger.release_and_move(self.ledger, doc.id, self.key, RETRY_WAIT, "KRA refused the device",
                                              result, reason=reason, next_attempt_at=time.time() + delay)  # fmt: skip
                raise Waiting(delay)
            stock_ledger.release_and_move(self.ledger, doc.id, self.key, NEEDS_FIX, "KRA rejected it", result,
                                          reason=reason)  # fmt: skip
            return
        self.ledger.store_exchange(doc.id, self.key, result)
        if outcome is Outcome.RETRY_LATER:
            self.sender._wait(doc, result.describe(), state=RETRY_WAIT)
        if outcome is Outcome.NEEDS_CONFIGURATION or result.code == DUPLICATE:  # may be recorded / used elsewhere
            message = (f"{doc.label}: KRA answered {_kra_reason(result)!r} to sarNo {number}, which "
                       + ("an earlier attempt may have recorded" if maybe_recorded else "no earlier attempt sent")
                       + ": kept, never renumbered")  # fmt: skip
            self.ledger.alert("conflict", message, self.key, doc.id)
            self.sender._wait(doc, message, state=UNKNOWN, delay=self.pipeline.settings.queue.backoff_max_seconds)
        if doc.attempts <= 1:  # unknown: verified at once by the identical resend
            self.ledger.move(doc.id, UNKNOWN, result.describe(), reason=result.describe())
            return
        self.sender._wait(doc, result.describe(), state=UNKNOWN)

    def _accept(self, doc: Document, request: dict[str, Any], result: KraResult, detail: str) -> None:
        changes = build.quantity_changes(request)
        stock_ledger.accept(self.ledger, doc.id, self.key, changes, detail, result)
        self.masters_checked = False
        self._requeue_waiting_for_stock(doc, request)
        self.send_due_masters(doc.id)

    def _requeue_waiting_for_stock(self, doc: Document, request: dict[str, Any]) -> None:
        """Stock came in: sales refused before numbering for lack of stock on record (design point 6, the
        message "... in stock on record for device ...") go back to the queue and are checked again."""
        if str(request.get("sarTyCd")) >= "11":
            return
        for sale in self.ledger.documents(
            "device_key = ? AND state = ? AND kind <> 'stock' AND invoice_number IS NULL AND reason LIKE ?",
            [self.key, NEEDS_FIX, f"%{SHORT_OF_STOCK}%"],
        ):
            self.ledger.move(sale.id, QUEUED, f"stock in {doc.label} accepted: checking the stock again", reason=None)

    def _sent_unknown(self, doc: Document) -> bool:
        """Whether an attempt with this document's sarNo ended unknown (it may be at KRA); a 994 does not count:
        after an attempt that may be at KRA it is accepted at once, otherwise the number is used elsewhere."""
        rows = self.ledger.db.execute(
            "SELECT request FROM exchanges WHERE document_id = ? AND endpoint = ? AND outcome = 'unknown'"
            " AND (code IS NULL OR code <> ?)",
            [doc.id, ENDPOINT, DUPLICATE],
        ).fetchall()
        return any(_stock_number_of(self.ledger, text) == doc.stock_number for (text,) in rows)

    # ------------------------------------------------------------ stock masters

    def send_due_masters(self, document_id: int | None) -> None:
        """saveStockMaster for every item of the device whose rsdQty KRA has not got yet."""
        from connector.sending import Waiting

        if self.masters_checked:
            return
        for level in stock_ledger.due_masters(self.ledger, self.key):
            try:
                request = build.build_stock_master(level.item_code, level.quantity, self.device, self.audit)
            except ValueError as exc:  # never the next sale's failure: an alert, like a refusal
                message = f"stock master of item {level.item_code} (rsdQty {level.quantity}) cannot be built: {exc}"
                stock_ledger.master_refused(self.ledger, self.key, level.item_code, message)
                self.ledger.alert("stock-master", message[:1000], self.key, document_id)
                continue
            result = self.sender.client.save_stock_master(request)  # type: ignore[arg-type]
            self.ledger.store_exchange(document_id, self.key, result)
            if result.outcome is Outcome.ACCEPTED:
                stock_ledger.mark_master(self.ledger, self.key, level.item_code, level.quantity)
            elif result.outcome is Outcome.REJECTED:
                message = (f"stock master of item {level.item_code} (rsdQty {level.quantity}) refused by KRA: "
                           f"{_kra_reason(result)}; it is sent again when the item's stock changes")  # fmt: skip
                stock_ledger.master_refused(self.ledger, self.key, level.item_code, message)
                self.ledger.alert("stock-master", message, self.key, document_id)
            else:
                attempts = stock_ledger.master_failed(self.ledger, self.key, level.item_code)
                raise Waiting(self.pipeline.backoff(attempts))
        self.masters_checked = True

    # ------------------------------------------------------------ helpers

    def _needs_fix(self, doc: Document, reason: str) -> None:
        """No write-back: a stock movement has no document in the source to mark."""
        if doc.stock_number is not None:
            stock_ledger.release_and_move(self.ledger, doc.id, self.key, NEEDS_FIX, reason, reason=reason)
        else:
            self.ledger.move(doc.id, NEEDS_FIX, reason, reason=reason)


def registered_price(ledger: Any, item_code: str) -> Decimal | None:
    """dftPrc of the item's accepted saveItem, from the ledger's exchanges (None when not found)."""
    rows = ledger.db.execute(
        "SELECT request FROM exchanges WHERE endpoint = 'saveItem' AND outcome = 'accepted' AND request LIKE ?"
        " ORDER BY id DESC",
        [f"%{item_code}%"],
    ).fetchall()
    for (text,) in rows:
        body = _body(ledger, text)
        if isinstance(body, dict) and body.get("itemCd") == item_code and body.get("dftPrc") is not None:
            return Decimal(str(body["dftPrc"]))
    return None


def _body(ledger: Any, text: str | None) -> Any:
    try:
        body = jsonio.loads(text or "null")
    except ValueError:
        return None
    if isinstance(body, dict) and "same_as_exchange" in body:  # an identical repeat keeps a pointer only
        row = ledger.db.execute("SELECT request FROM exchanges WHERE id = ?", [body["same_as_exchange"]]).fetchone()
        return jsonio.loads(row[0]) if row and row[0] else None
    return body


def _stock_number_of(ledger: Any, text: str | None) -> int | None:
    body = _body(ledger, text)
    number = body.get("sarNo") if isinstance(body, dict) else None
    return int(number) if isinstance(number, int | Decimal) else None


def _kra_reason(result: KraResult) -> str:
    return f"KRA {result.code or result.http_status or ''} {result.message}".strip()
