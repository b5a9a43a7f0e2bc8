"""`stock status`: per device and item, what KRA has on record against what the source holds.

For every item of a device (registered with KRA, or named by a stock movement or a sale waiting to be signed):

    on record    accepted stock IO in minus out (stock_levels.quantity), what GavaConnect checks a sale against
    master       rsdQty of the last accepted saveStockMaster, and KRA's refusal of the last one, if any
    coming in    stock-in movements recorded but not yet accepted by KRA
    going out    stock-out movements recorded but not yet accepted (sales signed, transfers, scrap…)
    unsigned     goods on this device's sales not yet signed (credit notes count back in)
    source       the source's quantity on hand, where its adapter can tell (Odoo's Inventory app; QuickBooks)
    difference   source − (on record + coming in − going out − unsigned): 0 when KRA will agree with the source
                 once everything already read is reported; anything else is stock the source moved that the
                 connector has not seen (or a sale the source has not yet delivered)

Stock movements that need fixing are listed with their reasons. Plain reads: nothing is sent, nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from connector.ledger.schema import DISCARDED, NEEDS_FIX, SIGNED, STATES
from connector.models import Invoice
from connector.stock.after_sale import is_goods
from connector.stock.ledger import KIND, levels, move_of

if TYPE_CHECKING:
    from connector.config import DeviceSettings
    from connector.ledger import Ledger

ZERO = Decimal(0)
OPEN_STATES = tuple(state for state in STATES if state not in (*SIGNED, DISCARDED))


def plain(number: Decimal | None) -> str:
    return "-" if number is None else format(number.normalize(), "f") if number else "0"


@dataclass
class ItemStock:
    item_code: str | None  # KRA itemCd (None: not registered with KRA yet)
    source_code: str | None  # the source's item code
    name: str = ""
    on_record: Decimal = ZERO
    master: Decimal | None = None
    master_problem: str | None = None
    coming_in: Decimal = ZERO
    going_out: Decimal = ZERO
    unsigned: Decimal = ZERO
    source: Decimal | None = None  # None: the source cannot tell

    @property
    def expected(self) -> Decimal:
        """What KRA will hold once everything already in the ledger is reported."""
        return self.on_record + self.coming_in - self.going_out - self.unsigned

    @property
    def difference(self) -> Decimal | None:
        return None if self.source is None else self.source - self.expected

    @property
    def master_behind(self) -> bool:
        return self.item_code is not None and self.master != self.on_record and (self.on_record or self.master)

    def as_dict(self) -> dict[str, Any]:
        return {
            "item_code": self.item_code, "source_code": self.source_code, "name": self.name,
            "on_record": self.on_record, "master": self.master, "master_problem": self.master_problem,
            "coming_in": self.coming_in, "going_out": self.going_out, "unsigned": self.unsigned,
            "source": self.source, "difference": self.difference,
        }  # fmt: skip


@dataclass
class StockProblem:
    id: int
    number: str
    source: str
    reason: str


@dataclass
class DeviceStock:
    device: str
    key: str
    items: list[ItemStock] = field(default_factory=list)
    needs_fix: list[StockProblem] = field(default_factory=list)
    source_notes: list[str] = field(default_factory=list)  # why a source's quantities are missing

    @property
    def differences(self) -> list[ItemStock]:
        return [item for item in self.items if item.difference]

    @property
    def to_look_at(self) -> int:
        refused = sum(1 for item in self.items if item.master_problem)
        return len(self.needs_fix) + len(self.differences) + refused

    def as_dict(self) -> dict[str, Any]:
        items = [item.as_dict() for item in self.items]
        problems = [vars(problem) for problem in self.needs_fix]
        return {"device": self.device, "key": self.key, "items": items, "needs_fix": problems,
                "source_notes": self.source_notes}  # fmt: skip


class _Items:
    """The device's items, found by KRA code or by source code (the items table links the two per PIN)."""

    def __init__(self, ledger: Ledger, pin: str) -> None:
        rows = ledger.db.execute("SELECT source_code, item_code FROM items WHERE pin = ?", [pin]).fetchall()
        self.kra_code = {source: code for source, code in rows}
        self.source_code = {code: source for source, code in rows}
        self.by_key: dict[str, ItemStock] = {}

    def get(self, *, kra_code: str | None = None, source_code: str | None = None) -> ItemStock:
        kra_code = kra_code or self.kra_code.get(source_code or "")
        source_code = source_code or self.source_code.get(kra_code or "")
        key = kra_code or f"source:{source_code}"
        if key not in self.by_key:
            self.by_key[key] = ItemStock(item_code=kra_code, source_code=source_code)
        return self.by_key[key]


def device_stock(ledger: Ledger, device: DeviceSettings) -> DeviceStock:
    """Everything `stock status` shows for one device, from the ledger alone (the source is asked separately)."""
    report = DeviceStock(device=device.name, key=device.key)
    items = _Items(ledger, device.pin.upper())
    rows = ledger.db.execute(
        "SELECT item_code, master_problem FROM stock_levels WHERE device_key = ? ORDER BY item_code", [device.key]
    ).fetchall()
    problems = {code: problem for code, problem in rows}
    for code, level in levels(ledger, device.key).items():
        item = items.get(kra_code=code)
        item.on_record, item.master, item.master_problem = level.quantity, level.master_quantity, problems.get(code)
    marks = ", ".join("?" for _ in OPEN_STATES)
    for doc in ledger.documents(f"device_key = ? AND state IN ({marks})", [device.key, *OPEN_STATES]):
        if doc.kind == KIND:
            _add_stock_document(report, items, doc)
        elif doc.kind in ("invoice", "credit_note") and doc.canonical:
            _add_unsigned_sale(items, doc)
    report.items = sorted(items.by_key.values(), key=lambda item: (item.source_code or "", item.item_code or ""))
    return report


def _add_stock_document(report: DeviceStock, items: _Items, doc: Any) -> None:
    if doc.state == NEEDS_FIX:
        report.needs_fix.append(StockProblem(doc.id, doc.number or str(doc.id), doc.source, doc.reason or ""))
    if doc.canonical is None:
        return
    move = move_of(doc)
    for line in move.lines:
        item = items.get(source_code=line.item.code)
        item.name = item.name or line.item.name or ""
        if move.incoming:
            item.coming_in += line.quantity
        else:
            item.going_out += line.quantity


def _add_unsigned_sale(items: _Items, doc: Any) -> None:
    invoice = Invoice.model_validate_json(doc.canonical)
    for line in invoice.lines:
        code = items.kra_code.get(line.item.code)
        if code is None or not is_goods(code):
            continue  # services never move stock; an item KRA has not registered has no type yet
        item = items.get(kra_code=code)
        item.name = item.name or line.item.name or ""
        item.unsigned += -line.quantity if invoice.is_credit_note else line.quantity


def add_source_quantities(report: DeviceStock, source_name: str, adapter: Any, branch: str | None) -> None:
    """Ask the source for its quantities on hand of the report's items (a source that cannot tell adds none)."""
    codes = sorted({item.source_code for item in report.items if item.source_code})
    try:
        on_hand = adapter.stock_on_hand(branch, codes) if codes else {}
    except Exception as error:  # an unreachable source leaves its column empty, with the reason
        report.source_notes.append(f"{source_name}: quantities on hand not available ({error})")
        return
    for item in report.items:
        if item.source_code in on_hand:
            item.source = (item.source or ZERO) + Decimal(str(on_hand[item.source_code]))


def matches(item: ItemStock, wanted: str) -> bool:
    wanted = wanted.casefold()
    return wanted in {(item.item_code or "").casefold(), (item.source_code or "").casefold()}


def lines(reports: list[DeviceStock], reported: bool) -> list[str]:
    out = [] if reported else ["stock reporting is off ([stock] report); quantities below are what was reported"]
    for report in reports:
        out.append(f"device {report.device}: {len(report.items)} item(s), {len(report.differences)} with a "
                   f"difference, {len(report.needs_fix)} stock movement(s) to fix")  # fmt: skip
        if report.items:
            out.append("  item (KRA code)                      on record  master  coming in  going out  unsigned"
                       "  source  difference")  # fmt: skip
        for item in report.items:
            label = f"{item.source_code or '?'} ({item.item_code or 'not registered'})"
            out.append(f"  {label:<36} {plain(item.on_record):>9} {plain(item.master):>7} {plain(item.coming_in):>10}"
                       f" {plain(item.going_out):>10} {plain(item.unsigned):>9} {plain(item.source):>7}"
                       f" {plain(item.difference):>11}")  # fmt: skip
            if item.master_problem:
                out.append(f"    KRA refused its stock master: {item.master_problem}")
            elif item.master_behind:
                out.append(f"    stock master not yet sent at {plain(item.on_record)} (sent with the next drain)")
        for problem in report.needs_fix:
            out.append(f"  needs fix: stock movement {problem.number} (id {problem.id}, {problem.source}): "
                       f"{problem.reason}")  # fmt: skip
        out.extend(f"  {note}" for note in report.source_notes)
    return out
