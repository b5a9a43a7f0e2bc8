"""One device's purchases, under its lease: poll suppliers' sales, match bills, confirm them with KRA.

poll     selectTrnsPurchaseSalesList(lastReqDt = the last answer's resultDt - 10 s) -> each supplier sale stored once
match    a bill and a supplier sale with the same supplier PIN + supplier invoice number, on the same device
confirm  register our items -> allocate the next purchase number with the request (one transaction) -> POST
         insertTrnsPurchase: accepted -> confirmed (+ stock-in 02 when the source does not report stock);
         rejected -> number given back, needs-fix; retry-later -> same number and request later;
         unknown -> resent with the same number: 000, 994 (duplicate) or a sequence refusal naming a later
         number (after our earlier attempt) -> it was recorded -> confirmed
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from connector.clock import kra_date, kra_datetime, now_eat, parse_kra_datetime
from connector.config import DeviceSettings
from connector.errors import DocumentError, MappingError
from connector.kra import results
from connector.kra.client import KraClient, KraResult
from connector.kra.payloads import PurchaseRequest
from connector.kra.results import Outcome
from connector.models import Invoice, Line
from connector.purchases import schema as s
from connector.purchases.models import Bill
from connector.purchases.store import PurchaseLedger, StoredBill, SupplierSaleRow

if TYPE_CHECKING:
    from connector.pipeline import Pipeline

log = logging.getLogger("connector.purchases")

FIRST_CURSOR = "20180101000000"  # what peers start from (spec §2.2)
DUPLICATE = "994"
OVERLAP = timedelta(seconds=10)
TAX_FIELDS = [f"{name}{letter}" for name in ("taxblAmt", "taxRt", "taxAmt") for letter in "ABCDE"]
TOTAL_FIELDS = ["totTaxblAmt", "totTaxAmt", "totAmt"]
LINE_AMOUNTS = ("pkg", "qty", "prc", "splyAmt", "dcRt", "dcAmt", "taxblAmt", "taxTyCd", "taxAmt", "totAmt")


def cursor_name(device_key: str) -> str:
    return f"purchases:{device_key}"


@dataclass
class DeviceReport:
    fetched: int = 0  # supplier sales KRA listed
    new: int = 0  # of which stored for the first time
    matched: int = 0
    confirmed: int = 0
    problems: list[str] = field(default_factory=list)


class Stop(Exception):
    """The bill in hand cannot go on now (it was moved to a waiting state): the device stops for this round."""


class PurchaseWorker:
    def __init__(self, pipeline: Pipeline, device: DeviceSettings, client: KraClient | None = None) -> None:
        self.pipeline = pipeline
        self.device = device
        self.key = device.key
        self.ledger = pipeline.ledger
        self.store = PurchaseLedger(self.ledger.db)
        self._client = client
        self.report = DeviceReport()

    @property
    def client(self) -> KraClient:
        if self._client is None:
            self._client = self.pipeline.context.client(self.device)
        return self._client

    @property
    def profile(self) -> str:
        return "gavaconnect" if self.pipeline.settings.kra.profile == "gavaconnect" else "legacy"

    def run(self) -> DeviceReport:
        from connector.purchases.stock_in import record_missing_stock_ins

        self.poll()
        self.match()
        self.confirm_all()
        record_missing_stock_ins(self.pipeline, self.store, self.key)
        return self.report

    # ------------------------------------------------------------ poll

    def poll(self) -> None:
        since = self.ledger.cursor(cursor_name(self.key)) or FIRST_CURSOR
        result = self.client.select_purchases(since)
        self.ledger.store_exchange(None, self.key, result)
        if result.outcome is Outcome.NO_DATA:
            self._advance(result)
            return
        if result.outcome is not Outcome.ACCEPTED or result.data is None:
            self.report.problems.append(f"device {self.device.name}: {result.describe()}")
            return  # the cursor stays: asked again next time
        for sale in result.data.sales:
            self.report.fetched += 1
            row = sale.model_dump(by_alias=True, mode="json")
            if self.store.record_supplier_sale(self.key, row):
                self.report.new += 1
        self._advance(result)

    def _advance(self, result: KraResult) -> None:
        """The next lastReqDt: KRA's resultDt, less OVERLAP (a sale KRA records in the same second as its answer
        has changed_at = resultDt, which "after resultDt" leaves out); sales listed again are stored once."""
        response = result.response if isinstance(result.response, dict) else {}
        body = response.get("responseBody") if isinstance(response.get("responseBody"), dict) else response
        stamp = body.get("resultDt") or response.get("resultDt")
        try:
            moment = parse_kra_datetime(str(stamp)) if stamp else now_eat()
        except ValueError:
            moment = now_eat()
        self.ledger.set_cursor(cursor_name(self.key), kra_datetime(moment - OVERLAP))

    # ------------------------------------------------------------ match

    def match(self) -> None:
        for stored in self.store.bills("device_key = ? AND state = ?", [self.key, s.UNMATCHED]):
            candidates = self.store.supplier_sales(
                "device_key = ? AND supplier_pin = ? AND supplier_invoice_number = ? AND"
                " (bill_id IS NULL OR bill_id = ?)",
                [self.key, stored.supplier_pin, stored.supplier_invoice_number, stored.id],
            )
            if len(candidates) > 1:
                branches = ", ".join(c.supplier_branch for c in candidates)
                reason = (f"bill {stored.label}: supplier {stored.supplier_pin} has invoice "
                          f"{stored.supplier_invoice_number} from several branches ({branches}); "
                          "decide which one in `etims-connector purchases`")  # fmt: skip
                self.store.move(stored.id, s.NEEDS_FIX, reason, reason=reason)
            elif candidates and self.store.match(stored.id, candidates[0].id):
                self.report.matched += 1

    # ------------------------------------------------------------ confirm

    def confirm_all(self) -> None:
        while not self.pipeline.stopping.is_set():
            stored = self.store.next_in_line(self.key)
            if stored is None or (stored.next_attempt_at or 0) > time.time():
                return
            try:
                self.step(stored)
            except Stop:
                return

    def step(self, stored: StoredBill) -> None:
        if stored.state in s.IN_FLIGHT or (stored.purchase_number is not None and stored.request is not None):
            # a bill left sending by a crash may have reached KRA: it is treated like an unknown outcome
            sent_unknown = 1 if stored.state in s.IN_FLIGHT else int(stored.sent_unknown)
            self.store.move(stored.id, s.SENDING, f"resending purchase {stored.purchase_number}",
                            attempts=stored.attempts + 1, sent_unknown=sent_unknown)  # fmt: skip
            self.post(self.store.get(stored.id))
            return
        bill = stored.bill
        sale = self.store.supplier_sale(stored.supplier_sale_id or 0)
        try:
            lines = paired_lines(bill, sale)
            codes = self.register_items(stored, bill)
            number = self.store.next_number(self.key)
            request = self.build(bill, sale, lines, codes, number)
        except (DocumentError, MappingError) as exc:
            self._needs_fix(stored, str(exc))
            return
        self.store.allocate_and_send(stored.id, self.key, number, request)
        self.post(self.store.get(stored.id))

    def build(
        self, bill: Bill, sale: SupplierSaleRow, lines: list[tuple[Any, dict[str, Any]]], codes: dict[str, Any],
        number: int,
    ) -> dict[str, Any]:  # fmt: skip
        kra = self.pipeline.settings.kra
        supplier = sale.sale
        items = []
        for sequence, (line, theirs) in enumerate(lines, start=1):
            code, spec = codes[line.item.code]
            items.append({
                "itemSeq": sequence, "itemCd": code, "itemClsCd": spec.item_class, "itemNm": spec.name[:200],
                "bcd": spec.barcode, "spplrItemClsCd": theirs.get("itemClsCd"), "spplrItemCd": theirs.get("itemCd"),
                "spplrItemNm": (theirs.get("itemNm") or "")[:200] or None, "pkgUnitCd": spec.packaging_unit,
                "qtyUnitCd": spec.quantity_unit, **{name: theirs.get(name) for name in LINE_AMOUNTS},
            })  # fmt: skip
        fields = {
            "invcNo": number, "orgInvcNo": 0, "spplrTin": sale.supplier_pin, "spplrBhfId": sale.supplier_branch,
            "spplrNm": (sale.supplier_name or "")[:60] or None, "spplrInvcNo": int(sale.supplier_invoice_number),
            "regTyCd": "A", "pchsTyCd": "N", "rcptTyCd": "P", "pmtTyCd": supplier.get("pmtTyCd") or "01",
            "pchsSttsCd": "02", "cfmDt": kra_datetime(now_eat()), "pchsDt": kra_date(bill.billed_at.astimezone(
                now_eat().tzinfo)), "totItemCnt": len(items), "remark": (bill.remark or "")[:400] or None,
            **{name: supplier.get(name) for name in (*TAX_FIELDS, *TOTAL_FIELDS)},
            "regrId": kra.operator_id, "regrNm": kra.operator_name, "modrId": kra.operator_id,
            "modrNm": kra.operator_name, "itemList": items,
        }  # fmt: skip
        try:
            return PurchaseRequest.model_validate(fields).to_wire()
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise DocumentError(f"KRA purchase request is invalid: {first['msg']}", document=bill.number,
                                field=where, value=str(first.get("input"))[:60]) from None  # fmt: skip

    def register_items(self, stored: StoredBill, bill: Bill) -> dict[str, Any]:
        """Our own registered item code (and its KRA attributes) per bill item, registering new ones first
        (once per PIN, whoever needs the item first: sales and stock too)."""
        from connector.item_registration import ItemBusy, register_item
        from connector.kra_payload import AuditNames, item_spec

        kra = self.pipeline.settings.kra
        audit = AuditNames(id=kra.operator_id, name=kra.operator_name)
        invoice, mapping = as_invoice(bill), self._mapping(bill.source)
        codes: dict[str, Any] = {}
        for number, line in enumerate(invoice.lines, start=1):
            spec = item_spec(line, invoice, mapping, number)
            try:
                registration = register_item(
                    self.ledger, self.client, pin=self.device.pin, source_code=line.item.code, spec=spec,
                    strict=self.profile == "gavaconnect", audit=audit, deadline_seconds=kra.deadline_seconds(),
                    document_id=None, device_key=self.key, stopping=self.pipeline.stopping.is_set,
                )  # fmt: skip
            except ItemBusy:  # another worker is registering this PIN's items: the bill waits its turn
                self._wait(stored, f"registering item {line.item.code!r}: another worker is registering items")
            if registration.code is not None:
                codes[line.item.code] = (registration.code, spec)
                continue
            result = registration.answer
            assert result is not None
            if registration.refused:
                raise DocumentError(f"KRA refused to register item {line.item.code!r}: {result.message}",
                                    document=bill.number, line=number, field="item.code",
                                    value=line.item.code)  # fmt: skip
            self._wait(stored, f"registering item {line.item.code!r}: {result.describe()}")
        return codes

    def _mapping(self, source_name: str) -> Any:
        from connector.pipeline import default_mapping

        source = self.pipeline.sources.get(source_name)
        return source.mapping if source is not None else default_mapping(source_name)

    # ------------------------------------------------------------ the POST and its outcome

    def post(self, stored: StoredBill) -> None:
        assert stored.request is not None and stored.purchase_number is not None
        result = self.client.save_purchase(stored.request)  # type: ignore[arg-type]
        self.ledger.store_exchange(None, self.key, result)
        number, outcome = stored.purchase_number, result.outcome
        reason = f"KRA {result.code or result.http_status or ''} {result.message}".strip()
        if outcome is Outcome.ACCEPTED:
            self._confirmed(stored, f"KRA recorded purchase {number}")
        elif result.code == DUPLICATE and stored.sent_unknown:
            self._confirmed(stored, f"KRA already had purchase {number} (994 on resending it): recorded earlier")
        elif stored.sent_unknown and (results.expected_number(result.message) or 0) > number:
            self._confirmed(stored, f"KRA expects purchase {results.expected_number(result.message)} after resending"
                                    f" {number}: our earlier attempt was recorded")  # fmt: skip
        elif outcome is Outcome.REJECTED and not stored.sent_unknown:
            self.store.release_number(stored.id, self.key, s.NEEDS_FIX, "KRA rejected it", reason=reason)
        elif outcome is Outcome.RETRY_LATER:
            self._wait(stored, reason, state=s.RETRY_WAIT)
        elif outcome is Outcome.NEEDS_CONFIGURATION and not stored.sent_unknown:
            self.ledger.alert("configuration", f"purchase {stored.label}: {result.describe()}", self.key)
            delay = self.pipeline.settings.queue.backoff_max_seconds
            self.store.release_number(stored.id, self.key, s.RETRY_WAIT, "KRA refused the device or sequence",
                                      reason=reason, next_attempt_at=time.time() + delay)  # fmt: skip
            raise Stop
        else:  # unknown, or a refusal of a resend an earlier attempt may have recorded: keep the number
            if outcome is not Outcome.UNKNOWN:
                self.ledger.alert("conflict", f"purchase {stored.label}: KRA answered {reason!r} to purchase "
                                  f"{number}, which an earlier attempt may have recorded; resending it later",
                                  self.key)  # fmt: skip
            self._wait(stored, reason, state=s.UNKNOWN, sent_unknown=1)

    def _confirmed(self, stored: StoredBill, detail: str) -> None:
        self.store.move(stored.id, s.CONFIRMED, detail, reason=None, confirmed_at=kra_datetime(now_eat()),
                        next_attempt_at=None)  # fmt: skip
        self.report.confirmed += 1
        log.info("%s → purchase %s confirmed", stored.label, stored.purchase_number)

    def _needs_fix(self, stored: StoredBill, reason: str) -> None:
        self.store.move(stored.id, s.NEEDS_FIX, reason, reason=reason)
        self.report.problems.append(reason)

    def _wait(self, stored: StoredBill, reason: str, state: str = s.RETRY_WAIT, **fields: Any) -> None:
        current = self.store.get(stored.id)
        attempts = current.attempts + (0 if current.state == s.SENDING else 1)
        delay = self.pipeline.backoff(attempts)
        self.store.move(stored.id, state, f"waiting {delay:.0f}s: {reason}", reason=reason,
                        next_attempt_at=time.time() + delay, attempts=attempts, **fields)  # fmt: skip
        raise Stop


def as_invoice(bill: Bill) -> Invoice:
    """The bill as an invoice-shaped document, so items are registered exactly as sales register them."""
    lines = [
        Line(line_id=line.line_id, item=line.item, description=line.item.name, quantity=line.quantity,
             unit=line.unit, unit_price=line.unit_cost, price_includes_vat=bill.prices_include_vat,
             taxes=line.taxes, units_per_package=line.units_per_package)
        for line in bill.lines
    ]  # fmt: skip
    return Invoice(source=bill.source, external_id=bill.external_id, number=bill.number, issued_at=bill.billed_at,
                   branch=bill.branch, lines=lines)  # fmt: skip


def paired_lines(bill: Bill, sale: SupplierSaleRow) -> list[tuple[Any, dict[str, Any]]]:
    """Bill lines with the supplier's lines, in order; the counts and quantities must agree."""
    theirs = sale.sale.get("itemList") or []
    if len(theirs) != len(bill.lines):
        raise DocumentError(
            f"has {len(bill.lines)} line(s) but the supplier's eTIMS invoice {sale.supplier_invoice_number} "
            f"({sale.supplier_pin}) has {len(theirs)}: make the bill's lines follow the supplier's invoice",
            document=bill.number, field="lines", value=len(bill.lines),
        )  # fmt: skip
    for number, (line, their) in enumerate(zip(bill.lines, theirs, strict=True), start=1):
        quantity = Decimal(str(their.get("qty") or 0))
        if quantity != line.quantity:
            raise DocumentError(
                f"quantity {line.quantity} differs from the supplier's {quantity} ({their.get('itemNm')}) on their "
                f"eTIMS invoice {sale.supplier_invoice_number}",
                document=bill.number, line=number, field="quantity", value=str(line.quantity),
            )  # fmt: skip
    return list(zip(bill.lines, theirs, strict=True))
