"""QuickBooks Online Bills as the bills of KRA purchases (`RecordsBills`): what the company was billed by vendors.

Reading: the Bills changed after the cursor "<MetaData.LastUpdatedTime>|<Id>" of the last bill read, oldest
first — by CDC (the client's, as invoices) while the cursor is < 29 days old and the answer not saturated,
otherwise (and on the first run, from `start_date` / `backfill_days`) by a paged LastUpdatedTime query. Bills
changed in the `LATE_SECONDS` before the cursor are looked at again and yielded (the cursor kept) when this
process has not read that version (SyncToken) yet: an edit in the cursor's own second, or a bill committed late,
is not lost (after a restart they are read once more: the ledger sees them unchanged). Mapping:

    supplier_pin             the Vendor's field `vendor_pin_field` (default AcctNum, the vendor form's
                             "Account no."; QBO returns TaxIdentifier masked), spaces and dashes dropped;
                             Vendors are read in batches once per poll
    supplier_invoice_number  DocNumber ("Bill no."): the supplier's eTIMS invoice number ("KRACU…/123" → 123)
    number, billed_at        "Bill <DocNumber or Id>"; TxnDate, midnight EAT
    lines                    the ItemBasedExpenseLineDetail lines: item code Sku else Id (as invoices and
                             stock), Qty, unit cost in KES (UnitPrice; TaxInclusiveAmt / Qty when the bill is
                             TaxInclusive; times ExchangeRate for a foreign currency), the TaxCodeRef as
                             invoices map it; AccountBasedExpenseLineDetail lines (no item) are not goods
    totals                   TotalAmt and TxnTaxDetail.TotalTax in KES, when every line is an item line

A bill with no item line is not a purchase of items: skipped (logged). A deleted bill is skipped. A bill that is
not a valid `Bill` (its vendor without a PIN in that field, no DocNumber) is yielded as its fields: the core
records it needs-fix naming the field; the adapter gives the ids of the ledger's needs-fix bills, read again
every round (a PIN added to the Vendor does not change the Bill).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import ValidationError

from connector.clock import EAT, now_utc
from connector.purchases.models import Bill
from plugins.quickbooks.client import QboClient
from plugins.quickbooks.config import QuickBooksConfig
from plugins.quickbooks.documents import PIN, dec
from plugins.quickbooks.reading import CDC_DAYS, Reader, _chunks, _quoted
from plugins.quickbooks.stock import item_code

log = logging.getLogger("plugins.quickbooks")

ENTITY = "Bill"
ITEM_LINE = "ItemBasedExpenseLineDetail"
ACCOUNT_LINE = "AccountBasedExpenseLineDetail"
LATE_SECONDS = 120
SEEN_KEPT = 5000
PRINTED_CU_NUMBER = re.compile(r"^KRACU\d+/(\d+)$", re.IGNORECASE)  # <control unit id>/<invcNo>
SIX_PLACES = Decimal("0.000001")
CENT = Decimal("0.01")
HUNDRED = Decimal(100)

Key = tuple[datetime, int, str]


class BillReader:
    def __init__(self, config: QuickBooksConfig, client: QboClient, reader: Reader, source_name: str) -> None:
        self.config = config
        self.client = client
        self.reader = reader
        self.source_name = source_name
        self._seen: dict[str, str] = {}  # Bill Id -> SyncToken last yielded (this process)
        self._skipped: set[tuple[str, str]] = set()  # (Id, SyncToken) already logged as skipped

    def bills(self, cursor: str | None, again: list[str] | None = None) -> Iterator[tuple[Bill | dict[str, Any],
                                                                                            str | None]]:  # fmt: skip
        """(Bill, or its fields when not valid; the cursor after it): first the bills `again` (the ledger's
        needs-fix ones) and late versions behind the cursor, the cursor kept; then the bills after it."""
        after, late = self.changed(cursor)
        fresh = {str(doc["Id"]) for doc in after + late}
        wanted = [i for i in again or [] if i not in fresh]
        redo = list(self.reader.by_id(ENTITY, wanted).values()) if wanted else []
        live = [doc for doc in redo + late + after if doc.get("status") != "Deleted"]
        vendors = self.vendors(live)
        items = self.reader._cached(self.reader._items, _item_ids(live), "SELECT *, Sku FROM Item")
        rates = self.reader.tax_rates() if live else {}
        moving = {id(doc) for doc in after}
        for doc in redo + late + after:
            bill = self.to_bill(doc, vendors, items, rates)
            self._seen[str(doc["Id"])] = str(doc.get("SyncToken"))
            while len(self._seen) > SEEN_KEPT:
                self._seen.pop(next(iter(self._seen)))
            if bill is not None:
                yield bill, (make_cursor(doc) if id(doc) in moving else cursor)

    # ------------------------------------------------------------ what changed

    def changed(self, cursor: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(bills after the cursor, oldest first; bills in the late window behind it not yet read as they are)."""
        mark = parse_cursor(cursor) if cursor else None
        since = mark[0] - timedelta(seconds=LATE_SECONDS) if mark else datetime.fromisoformat(self.reader.start())
        rows = None
        if mark and now_utc() - since < timedelta(days=CDC_DAYS):
            found, _ = self.client.cdc([ENTITY], since.isoformat())
            rows = found[ENTITY] if len(found[ENTITY]) < self.config.cdc_max else None
        if rows is None:
            sql = (f"SELECT * FROM {ENTITY} WHERE MetaData.LastUpdatedTime >= '{since.isoformat()}' "
                   "ORDERBY MetaData.LastUpdatedTime")  # fmt: skip
            rows = [row for row, _ in self.client.query_all(sql)]
        rows.sort(key=key_of)
        after = [row for row in rows if mark is None or key_of(row)[:2] > mark[:2]]
        late = [row for row in rows if mark is not None and key_of(row)[:2] <= mark[:2]
                and self._seen.get(str(row["Id"])) != str(row.get("SyncToken"))]  # fmt: skip
        return after, late

    def vendors(self, docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The bills' Vendors, read fresh each poll (a PIN is often added to the Vendor, not the bill)."""
        ids = sorted({str((doc.get("VendorRef") or {}).get("value")) for doc in docs} - {"None", ""})
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(ids):
            rows, _ = self.client.query(f"SELECT * FROM Vendor WHERE Id IN ({_quoted(chunk)}) "
                                        "AND Active IN (true, false) MAXRESULTS 1000")  # fmt: skip
            found.update({str(row["Id"]): row for row in rows})
        return found

    # ------------------------------------------------------------ mapping

    def to_bill(self, doc: dict[str, Any], vendors: dict[str, Any], items: dict[str, Any],
                rates: dict[str, str]) -> Bill | dict[str, Any] | None:  # fmt: skip
        """One QBO Bill -> a `Bill`; its fields when they are not a valid bill; None when it is not one to send."""
        bill_id = str(doc["Id"])
        number = f"Bill {doc.get('DocNumber') or bill_id}"
        lines = [line for line in doc.get("Line") or [] if line.get("DetailType") == ITEM_LINE]
        if doc.get("status") == "Deleted" or not lines:
            if (bill_id, str(doc.get("SyncToken"))) not in self._skipped:
                self._skipped.add((bill_id, str(doc.get("SyncToken"))))
                why = "deleted in QuickBooks" if doc.get("status") == "Deleted" else "no item lines (expenses only)"
                log.info("%s: %s (Bill %s) skipped: %s, not a purchase of items", self.source_name, number,
                         bill_id, why)  # fmt: skip
            return None
        fields: dict[str, Any] = {"source": self.source_name, "external_id": bill_id, "number": number}
        vendor_ref = doc.get("VendorRef") or {}
        vendor = vendors.get(str(vendor_ref.get("value"))) or {}
        pin = self.vendor_pin(vendor, number)
        if pin:
            fields["supplier_pin"] = pin
        name = vendor.get("DisplayName") or vendor_ref.get("name")
        if name:
            fields["supplier_name"] = str(name)
        invoice_number = supplier_invoice_number(doc.get("DocNumber"))
        if invoice_number:
            fields["supplier_invoice_number"] = invoice_number
        try:
            fields["billed_at"] = datetime.combine(date.fromisoformat(str(doc.get("TxnDate"))), time(0, 0), EAT)
        except ValueError:
            log.warning("%s: %s has no valid TxnDate %r", self.source_name, number, doc.get("TxnDate"))
        rate = self.exchange_rate(doc, number)
        inclusive = doc.get("GlobalTaxCalculation") == "TaxInclusive"
        fields["lines"] = [self.line(line, items, rates, rate, inclusive, doc) for line in lines]
        fields["prices_include_vat"] = inclusive
        if rate is not None and len(lines) == len(doc.get("Line") or []):
            total, tax = dec(doc.get("TotalAmt")), dec((doc.get("TxnTaxDetail") or {}).get("TotalTax"))
            total, tax = _kes(total, rate), _kes(tax, rate)
            fields["totals"] = {"untaxed": total - tax, "tax": tax, "total": total}
        try:
            return Bill.model_validate(fields)
        except ValidationError as error:  # not dropped: the core records it needs-fix, naming field and value
            log.warning("%s: %s cannot be confirmed as it is: %s", self.source_name, number,
                        "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()))  # fmt: skip
            return fields

    def vendor_pin(self, vendor: dict[str, Any], number: str) -> str | None:
        field = self.config.vendor_pin_field
        value = re.sub(r"[\s-]", "", str(vendor.get(field) or "")).upper()
        if value and not PIN.match(value):
            log.warning("%s: %s: vendor %r field %s holds %r, not a KRA PIN (a letter, 9 digits, a letter)",
                        self.source_name, number, vendor.get("DisplayName"), field, value)  # fmt: skip
            return None
        return value or None

    def exchange_rate(self, doc: dict[str, Any], number: str) -> Decimal | None:
        """KES per unit of the bill's currency; None when QuickBooks gives none (the unit costs stay unknown)."""
        currency = (doc.get("CurrencyRef") or {}).get("value") or self.config.home_currency
        if currency == "KES":
            return Decimal(1)
        rate = dec(doc.get("ExchangeRate"))
        if self.config.home_currency == "KES" and rate > 0:
            return rate
        log.warning("%s: %s is in %s without a KES exchange rate: no unit cost", self.source_name, number, currency)
        return None

    def line(self, line: dict[str, Any], items: dict[str, Any], rates: dict[str, str], rate: Decimal | None,
             inclusive: bool, doc: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
        detail = line.get(ITEM_LINE) or {}
        ref = detail.get("ItemRef") or {}
        item = items.get(str(ref.get("value"))) or {"Id": ref.get("value")}
        name = item.get("Name") or ref.get("name") or f"Item {ref.get('value')}"
        quantity = dec(detail["Qty"]) if detail.get("Qty") is not None else Decimal(1)
        taxes = self.taxes(detail, rates, doc)
        values: dict[str, Any] = {
            "line_id": str(line["Id"]) if line.get("Id") is not None else None,
            "item": {"code": item_code(item) if item.get("Id") else name, "name": name, "category": item.get("Type")},
            "quantity": quantity,
            "unit": self.config.default_unit,
            "taxes": taxes,
            "unit_cost": None,
        }
        cost = self.unit_cost(line, detail, quantity, taxes, inclusive)
        if rate is not None and cost is not None:
            values["unit_cost"] = (cost * rate).quantize(SIX_PLACES, ROUND_HALF_UP)
        return values

    def unit_cost(self, line: dict[str, Any], detail: dict[str, Any], quantity: Decimal, taxes: list[dict[str, Any]],
                  inclusive: bool) -> Decimal | None:  # fmt: skip
        """Per unit in the bill's currency: VAT included when the bill is TaxInclusive, else excluded."""
        if quantity <= 0:
            return None
        if inclusive:
            if detail.get("TaxInclusiveAmt") is not None:
                return dec(detail["TaxInclusiveAmt"]) / quantity
            percent = next((dec(t["rate"]) for t in taxes if t.get("rate") is not None), Decimal(0))
            return dec(line.get("Amount")) * (HUNDRED + percent) / HUNDRED / quantity
        if detail.get("UnitPrice") is not None and detail.get("Qty") is not None:
            return dec(detail["UnitPrice"])
        return dec(line.get("Amount")) / quantity

    def taxes(self, detail: dict[str, Any], rates: dict[str, str], doc: dict[str, Any]) -> list[dict[str, Any]]:
        """The line's tax as invoices map it: the TaxCode Id with its rate; NotApplicable bills the configured key."""
        if doc.get("GlobalTaxCalculation") == "NotApplicable":
            return [{"code": self.config.not_applicable_tax_code, "rate": Decimal(0)}]
        code = (detail.get("TaxCodeRef") or {}).get("value")
        if not code:
            return []  # the item's registration at KRA says which
        rate = rates.get(str(code))
        return [{"code": str(code), "rate": dec(rate) if rate is not None else None}]


def supplier_invoice_number(value: Any) -> str | None:
    """The supplier's KRA invoice number from the Bill no.: digits, or the printed "<CU id>/<digits>"."""
    text = re.sub(r"\s", "", str(value or ""))
    printed = PRINTED_CU_NUMBER.match(text)
    return printed.group(1) if printed else text or None  # other text is kept: shown unmatched, as typed


def key_of(doc: dict[str, Any]) -> Key:
    when = datetime.fromisoformat(str((doc.get("MetaData") or {}).get("LastUpdatedTime")))
    bill_id = str(doc["Id"])
    return when, int(bill_id) if bill_id.isdigit() else 0, bill_id


def make_cursor(doc: dict[str, Any]) -> str:
    return f"{(doc.get('MetaData') or {}).get('LastUpdatedTime')}|{doc['Id']}"


def parse_cursor(cursor: str) -> Key:
    when, _, bill_id = cursor.partition("|")
    return datetime.fromisoformat(when), int(bill_id) if bill_id.isdigit() else 0, bill_id


def _item_ids(docs: list[dict[str, Any]]) -> set[str]:
    return {str(((line.get(ITEM_LINE) or {}).get("ItemRef") or {}).get("value"))
            for doc in docs for line in doc.get("Line") or [] if line.get("DetailType") == ITEM_LINE}  # fmt: skip


def _kes(amount: Decimal, rate: Decimal) -> Decimal:
    return amount if rate == 1 else (amount * rate).quantize(CENT, ROUND_HALF_UP)
