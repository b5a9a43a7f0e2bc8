"""A source's quantities on hand as stock adjustments (the `KnowsStockOnHand` capability: QuickBooks Online).

Such a source knows one quantity per item, and lowers it itself for every sale typed into it and raises it for
every credit note, while the connector reports those to KRA only once they are signed. So a quantity on hand is
compared with what KRA will hold once everything already in the ledger is reported, for the source's default
device and per item code:

    expected = KRA's quantity on record (stock_levels)
             + stock documents of the device KRA has not accepted yet (in +, out -; any source, any kind)
             - goods of the device's sales not yet signed (not discarded; dated on/after [stock] start_date)
             + goods of its credit notes not yet signed
             - / + goods of signed ones whose stock movement a crash left unrecorded (after_sale.catch_up)
    difference = on hand - expected

An item with no stock on record at all (no quantity at KRA, no stock document waiting) gets an opening
adjustment (06) of the difference at once, when it is positive. Later a difference is reported (adjustment
06 in, 16 out) only when two consecutive polls find the same one (cursor "<source>:on-hand" keeps the last
difference per item): a sale saved in the source after its invoices were read but before its quantities were
is seen on one poll only. The invoices are read (recorded, as Pipeline.ingest does) before the quantities, so
that window is the time between the two reads. A stock-out never takes KRA below zero; a negative quantity on
hand is never made up for (a sale beyond stock stays needs-fix until someone raises the quantity).
Nothing is reported before [stock] start_date.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connector.adapters import InventoryItem, KnowsStockOnHand
from connector.clock import EAT, now_utc
from connector.errors import ConfigurationError, SecretKeyError
from connector.ledger import items as item_store
from connector.ledger.schema import DISCARDED, NEEDS_FIX, SIGNED, STATES
from connector.models import Invoice
from connector.stock.after_sale import CATCH_UP_BATCH, checked_mark, external_id_of, is_goods, movement_of
from connector.stock.ledger import KIND, levels, move_of, record_move
from connector.stock.models import StockLine, StockMove

if TYPE_CHECKING:
    from connector.config import DeviceSettings
    from connector.ledger import Ledger
    from connector.pipeline import Pipeline, Source

log = logging.getLogger("connector.stock")

INFRASTRUCTURE = (ConfigurationError, SecretKeyError, OSError)
OPEN_STATES = [state for state in STATES if state not in (*SIGNED, DISCARDED)]
NUMBER_LENGTH = 100  # StockMove.number (Code)
ZERO = Decimal(0)


def cursor_name(source_name: str) -> str:
    return f"{source_name}:on-hand"


def reconcile(pipeline: Pipeline, source: Source) -> set[str]:
    """Record the adjustments the source's quantities on hand call for; returns the device keys that got work."""
    adapter = source.adapter
    settings = pipeline.settings
    if not isinstance(adapter, KnowsStockOnHand) or not settings.stock_reported:
        return set()
    start = settings.stock.start_date
    if start is not None and now_utc().astimezone(EAT).date() < start:
        return set()  # moves before start_date are never reported: nothing is, until then
    devices = read_sales_first(pipeline, source)
    try:
        inventory = adapter.inventory()
    except INFRASTRUCTURE:
        raise
    except Exception as exc:  # the sales still go; the quantities are compared at the next poll
        log.warning("%s: quantities on hand could not be read (%s: %s): stock is compared at the next poll",
                    source.name, type(exc).__name__, str(exc)[:300])  # fmt: skip
        return devices
    ledger, device, name = pipeline.ledger, source.device, cursor_name(source.name)
    state = _State.load(ledger.cursor(name))
    book = Book.of(pipeline, device)
    last: dict[str, str] = {}
    label = adapter.stock_label or source.name
    for item in inventory:
        try:
            move = _decide(book, source.name, label, item, state, last)
            if move is not None:
                record_move(ledger, device.key, move)
                devices.add(device.key)
                log.info("%s: %s of %s %s (%s) recorded", source.name, move.kind, move.lines[0].quantity,
                         item.item.code, move.number)  # fmt: skip
        except INFRASTRUCTURE:
            raise
        except Exception as exc:  # the one boundary: this item's problem, not the poll's
            from connector.stock.polling import _record_problem

            data = {"external_id": f"on-hand:{item.external_id}", "number": _number(label, item, "stock"),
                    "item": item.item.code if item.item is not None else None}  # fmt: skip
            devices.add(_record_problem(pipeline, source, data, exc))
    devices |= _refresh(pipeline, source, book, inventory)
    state.last = last
    ledger.set_cursor(name, state.dump())
    return devices


def _refresh(pipeline: Pipeline, source: Source, book: Book, inventory: list[InventoryItem]) -> set[str]:
    """An adjustment of ours that needs fixing (no cost, an item KRA refused…) and holds no sarNo is recorded
    again with the item as the source has it now (same quantity), so correcting the item in the source is
    what sends it."""
    by_id = {item.external_id: item for item in inventory}
    devices = set()
    for doc in book.to_fix:
        if doc.source != source.name:
            continue
        item = by_id.get(doc.external_id.split(":")[1])
        move = move_of(doc)
        if item is None or len(move.lines) != 1:
            continue
        line = move.lines[0]
        current = line.model_copy(update={"item": item.item, "unit": item.unit, "unit_cost": item.unit_cost,
                                          "taxes": item.taxes})  # fmt: skip
        if current != line:
            record_move(pipeline.ledger, doc.device_key, move.model_copy(update={"lines": [current]}))
            devices.add(doc.device_key)
            log.info("%s: %s recorded again with the item as %s has it now", source.name, doc.number, source.name)
    return devices


def read_sales_first(pipeline: Pipeline, source: Source) -> set[str]:
    """Record the source's new and changed documents (Pipeline.ingest's loop), so the quantities read next are
    compared with a ledger that knows the sales they already reflect."""
    from connector.pipeline import IngestReport

    assert source.adapter is not None
    report = IngestReport()
    for document, next_cursor in source.adapter.fetch_new(pipeline.ledger.cursor(source.name)):
        doc_id = pipeline.record(source, document, report)
        if document.retry_requested:
            pipeline.honour_retry_request(doc_id, report)
        pipeline.ledger.set_cursor(source.name, next_cursor)
    return set(report.devices)


# ------------------------------------------------------------ what KRA will hold


@dataclass
class Book:
    """Per source item code on one device: KRA's quantity once the ledger is reported, and whether it has any."""

    ledger: Ledger
    pin: str
    on_record: dict[str, Any]  # KRA item code -> StockLevel
    pending: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    stock_waiting: set[str] = field(default_factory=set)  # item codes with a stock document not yet accepted
    codes: dict[str, str | None] = field(default_factory=dict)  # source item code -> registered KRA code
    to_fix: list[Any] = field(default_factory=list)  # adjustments of ours that are needs-fix and hold no sarNo

    @classmethod
    def of(cls, pipeline: Pipeline, device: DeviceSettings) -> Book:
        ledger = pipeline.ledger
        book = cls(ledger, device.pin.upper(), levels(ledger, device.key))
        book._stock_documents(device.key)
        book._unsigned_documents(device.key, pipeline.settings.stock.start_date)
        book._signed_without_movement(device.key, pipeline.settings.stock.start_date)
        return book

    def kra_code(self, source_code: str) -> str | None:
        if source_code not in self.codes:
            known = item_store.registered_code(self.ledger.db, self.pin, source_code)
            self.codes[source_code] = known[0] if known else None
        return self.codes[source_code]

    def expected(self, source_code: str) -> tuple[Decimal, bool]:
        """(what KRA will hold, whether the item has any stock on record or on its way)."""
        code = self.kra_code(source_code)
        level = self.on_record.get(code) if code else None
        quantity = (level.quantity if level else ZERO) + self.pending.get(source_code, ZERO)
        return quantity, level is not None or source_code in self.stock_waiting

    def _open(self, device_key: str, kinds: tuple[str, ...]) -> list[Any]:
        marks = ", ".join("?" for _ in OPEN_STATES)
        kind_marks = ", ".join("?" for _ in kinds)
        return self.ledger.documents(f"device_key = ? AND state IN ({marks}) AND kind IN ({kind_marks})",
                                     [device_key, *OPEN_STATES, *kinds])  # fmt: skip

    def _stock_documents(self, device_key: str) -> None:
        for doc in self._open(device_key, (KIND,)):
            if doc.canonical is None:
                continue  # a movement that could not be read moves nothing
            move = move_of(doc)
            for line in move.lines:
                self.pending[line.item.code] += line.quantity if move.incoming else -line.quantity
                self.stock_waiting.add(line.item.code)
            if doc.state == NEEDS_FIX and doc.stock_number is None and doc.external_id.startswith("on-hand:"):
                self.to_fix.append(doc)

    def _unsigned_documents(self, device_key: str, start: Any) -> None:
        for doc in self._open(device_key, ("invoice", "credit_note")):
            if doc.canonical is None:
                continue  # cannot be read (or withdrawn in the source): will move nothing as it is
            invoice = Invoice.model_validate_json(doc.canonical)
            if start is not None and invoice.issued_at.astimezone(EAT).date() < start:
                continue
            sign = 1 if doc.kind == "credit_note" else -1
            for line in invoice.lines:
                code = self.kra_code(line.item.code)
                if code is None or is_goods(code):  # unregistered: its category decides, as for the item
                    self.pending[line.item.code] += sign * line.quantity

    def _signed_without_movement(self, device_key: str, start: Any) -> None:
        mark = self.ledger.cursor(checked_mark(device_key))
        if mark is None:
            return  # reporting just started: what is signed is history (after_sale.catch_up)
        signed = self.ledger.documents("device_key = ? AND invoice_number IS NOT NULL AND invoice_number > ?",
                                       [device_key, int(mark)], order_by="invoice_number",
                                       limit=CATCH_UP_BATCH)  # fmt: skip
        for doc in signed:
            if doc.state not in SIGNED or self.ledger.find(doc.source, external_id_of(doc), KIND) is not None:
                continue
            move = movement_of(doc, start)
            for line in move.lines if move is not None else []:
                self.pending[line.item.code] += line.quantity if move.incoming else -line.quantity


# ------------------------------------------------------------ deciding


@dataclass
class _State:
    last: dict[str, str] = field(default_factory=dict)  # item code -> the difference the last poll found
    counts: dict[str, int] = field(default_factory=dict)  # item id -> adjustments recorded (names the next)

    @classmethod
    def load(cls, text: str | None) -> _State:
        try:
            data = json.loads(text) if text else {}
            return cls(dict(data.get("last") or {}), {k: int(v) for k, v in (data.get("counts") or {}).items()})
        except (ValueError, TypeError, AttributeError):
            log.warning("quantity-on-hand cursor unreadable (%r): starting again", (text or "")[:80])
            return cls()

    def dump(self) -> str:
        return json.dumps({"last": self.last, "counts": self.counts}, sort_keys=True)


def _decide(book: Book, source_name: str, label: str, item: InventoryItem, state: _State,
            last: dict[str, str]) -> StockMove | None:  # fmt: skip
    code = item.item.code
    kra_code = book.kra_code(code)
    if kra_code is not None and not is_goods(kra_code):
        return None  # registered as a service: KRA keeps no stock of it
    expected, on_record = book.expected(code)
    difference = item.on_hand - expected
    if difference < 0:
        difference = -min(-difference, max(expected, ZERO))  # a stock-out never takes KRA below zero
    if difference == 0:
        return None
    if not on_record:
        if difference < 0:
            return None
        return _move(book, source_name, label, item, state, difference, opening=True)
    if state.last.get(code) != _text(difference):
        last[code] = _text(difference)  # seen once: reported if the next poll finds the same
        return None
    return _move(book, source_name, label, item, state, difference, opening=False)


def _move(book: Book, source_name: str, label: str, item: InventoryItem, state: _State, difference: Decimal,
          opening: bool) -> StockMove:  # fmt: skip
    count = state.counts.get(item.external_id, 0) + 1
    while book.ledger.find(source_name, _external_id(item, count), KIND) is not None:
        count += 1  # recorded before a crash kept the count from being stored
    state.counts[item.external_id] = count
    line = StockLine(item=item.item, quantity=abs(difference), unit=item.unit, unit_cost=item.unit_cost,
                     taxes=item.taxes)  # fmt: skip
    kind = "adjustment_in" if difference > 0 else "adjustment_out"
    what = "opening stock" if opening else "stock"
    return StockMove(source=source_name, external_id=_external_id(item, count), number=_number(label, item, what),
                     kind=kind, moved_at=now_utc().astimezone(EAT), lines=[line],
                     remark=f"quantity on hand {_text(item.on_hand)} in {source_name}")  # fmt: skip


def _external_id(item: InventoryItem, count: int) -> str:
    return f"on-hand:{item.external_id}:{count}"


def _number(label: str, item: InventoryItem, what: str) -> str:
    name = getattr(item.item, "name", None) or item.external_id
    return f"{label} {what} {name}"[:NUMBER_LENGTH]


def _text(quantity: Decimal) -> str:
    return format(quantity.normalize(), "f") if quantity else "0"
