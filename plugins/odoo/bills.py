"""Odoo vendor bills as the bills of KRA purchases (`RecordsBills`): posted `in_invoice` moves of the company.

Reading is the invoice reader's (reading.py) with another domain: the same "<write_date>|<id>" cursor, pages,
late-arrivals window and snapshot (lines, products, partners, taxes), under the bills cursor. Mapping:

    supplier_pin             the vendor's (commercial partner's) Tax ID `vat`, spaces and dashes dropped
    supplier_invoice_number  the Bill Reference `ref`: the supplier's eTIMS invoice number as printed, digits
                             ("KRACU0100000001/123", the printed CU invoice number, gives 123)
    number, billed_at        the bill's name; its Bill Date (`invoice_date`, midnight EAT)
    lines                    product lines: the product's internal reference (else odoo-product-<id>), quantity,
                             unit of measure, unit cost (price_unit less its discount, in KES at the bill's own
                             rate, as invoices), the line's taxes mapped as for invoices
    totals                   untaxed / tax / total in the company currency (the signed amounts, made positive)

A bill that is not a valid `Bill` (a vendor without a Tax ID, a bill without a reference, a line without a
product) is yielded as its fields: the core records it needs-fix naming document, field and value. A later edit
of the bill reads it again, and bills the ledger holds as needs-fix are read again at every round (the adapter
gives their ids): a Tax ID added on the vendor does not change the bill's write_date. Bills of a vendor whose
country is not Kenya are imports, never listed by KRA as a supplier's sale: they are skipped. Vendor refunds
(`in_refund`) are not read (purchase returns are not sent).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import ValidationError

from connector.clock import EAT
from connector.errors import DocumentError
from connector.models import Tax
from connector.purchases.models import Bill
from plugins.odoo.canonical import _exchange_rate, _in_kenya, _item
from plugins.odoo.reading import Reader, make_cursor
from plugins.odoo.taxes import expand, line_taxes
from plugins.odoo.values import dec, text

log = logging.getLogger("plugins.odoo")

BILL_TYPES = ["in_invoice"]
SIGNED_AMOUNTS = ["amount_untaxed_signed", "amount_tax_signed"]  # company currency (amount_total_signed is read)
PRINTED_CU_NUMBER = re.compile(r"^KRACU\d+/(\d+)$", re.IGNORECASE)  # <control unit id>/<invcNo>
SIX_PLACES = Decimal("0.000001")
HUNDRED = Decimal(100)


class BillReader(Reader):
    """The invoice reader's paging and snapshots over posted vendor bills; company resolution is shared."""

    def __init__(self, invoices: Reader, mapping: Any) -> None:
        super().__init__(invoices.client, invoices.config, invoices.source_name)
        self.invoices = invoices
        self.mapping = mapping

    def resolve(self) -> None:
        self.invoices.resolve()
        self.company_id = self.invoices.company_id
        self.company_price_include = self.invoices.company_price_include

    def base_domain(self) -> list[Any]:
        domain: list[Any] = [("move_type", "in", BILL_TYPES), ("state", "=", "posted"),
                             ("company_id", "=", self.company_id)]  # fmt: skip
        if self.config.start_date:  # `journals` names the sales journals: not applied to bills
            domain.append(("invoice_date", ">=", self.config.start_date.isoformat()))
        return domain

    def poll_domain(self) -> list[Any]:
        return self.base_domain()  # the addon's kra_state is the sales' state, not the bill's

    def move_fields(self) -> list[str]:
        return super().move_fields() + SIGNED_AMOUNTS

    def bills(self, cursor: str | None, again: list[int] | None = None) -> Iterator[tuple[Bill | dict[str, Any],
                                                                                            str | None]]:  # fmt: skip
        """(Bill, or its fields when it is not valid; the cursor after it), oldest change first; first the bills
        `again` (ids the ledger holds as needs-fix: their vendor may have been corrected), the cursor kept."""
        cache: dict[str, Any] = {}
        if again and cursor:  # (without a cursor every bill is read anyway)
            yield from self._page(self.moves_by_id(again), cache, lambda _move: cursor)
        late = self.late_arrivals(cursor)
        if late:  # committed late, behind the cursor: yielded without moving it
            yield from self._page(late, cache, lambda _move: cursor)
        for page in self.pages(cursor):
            yield from self._page(page, cache, make_cursor)

    def _page(self, moves: list[dict[str, Any]], cache: dict[str, Any],
              cursor_of: Callable[[dict[str, Any]], str | None]) -> Iterator[tuple[Any, str | None]]:  # fmt: skip
        documents = self.documents(moves, cache)
        for move, document in zip(moves, documents, strict=True):
            self.seen[move["id"]] = move["write_date"]
            content = dict(document.content, company_amounts={name: move.get(name) for name in
                                                              [*SIGNED_AMOUNTS, "amount_total_signed"]})  # fmt: skip
            bill = to_bill(content, source=self.source_name, mapping=self.mapping, options=self.config)
            if bill is not None:
                yield bill, cursor_of(move)


def to_bill(content: dict[str, Any], *, source: str, mapping: Any, options: Any) -> Bill | dict[str, Any] | None:
    """One vendor-bill snapshot -> a `Bill`; its fields when they are not a valid bill; None for an import."""
    move = content["move"]
    where = f"{move.get('name') or 'draft'} (account.move {move['id']})"
    partner = content.get("partner") or {}
    if partner and not _in_kenya(partner):
        log.info("%s: vendor bill %s skipped: the vendor is outside Kenya (an import, not a KRA purchase)",
                 source, where)  # fmt: skip
        return None
    fields: dict[str, Any] = {"source": source, "external_id": str(move["id"]), "number": move.get("name") or where}
    pin = re.sub(r"[\s-]", "", str(partner.get("vat") or "")).upper()
    if pin:
        fields["supplier_pin"] = pin
    if text(partner.get("name")):
        fields["supplier_name"] = text(partner.get("name"))
    number = supplier_invoice_number(move.get("ref"))
    if number:
        fields["supplier_invoice_number"] = number
    if move.get("invoice_date"):
        fields["billed_at"] = datetime.combine(date.fromisoformat(move["invoice_date"]), time(0, 0), tzinfo=EAT)
    try:
        rate: Decimal | None = _exchange_rate(move, content["lines"], where)
    except DocumentError as error:
        log.warning("%s: vendor bill %s: %s", source, where, error)
        rate = None  # no unit cost in KES: the bill is needs-fix on its lines' unit_cost
    fields["lines"], fields["prices_include_vat"] = _lines(content, rate, mapping, options, where)
    fields["totals"] = _totals(content.get("company_amounts") or {})
    try:
        return Bill.model_validate(fields)
    except ValidationError as error:  # not dropped: the core records it needs-fix, naming field and value
        log.warning("%s: vendor bill %s cannot be confirmed as it is: %s", source, where,
                    "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()))  # fmt: skip
        return fields


def supplier_invoice_number(ref: Any) -> str | None:
    """The supplier's KRA invoice number from the Bill Reference: digits, or the printed "<CU id>/<digits>"."""
    value = re.sub(r"\s", "", str(text(ref) or ""))
    printed = PRINTED_CU_NUMBER.match(value)
    return printed.group(1) if printed else value or None  # other text is kept: shown unmatched, as typed


def _lines(content: dict[str, Any], rate: Decimal | None, mapping: Any, options: Any,
           where: str) -> tuple[list[dict[str, Any]], bool]:  # fmt: skip
    """The product lines as BillLine fields, and whether their unit costs include VAT."""
    taxes = {int(k): v for k, v in (content.get("taxes") or {}).items()}
    products = {int(k): v for k, v in (content.get("products") or {}).items()}
    lines: list[dict[str, Any]] = []
    included: list[bool | None] = []
    for row in content["lines"]:
        if row["display_type"] != "product":
            continue  # sections and notes
        number = len(lines) + 1
        values: dict[str, Any] = {"line_id": str(row["id"]), "quantity": dec(row["quantity"])}
        product = products.get(row.get("product_id") or 0)
        if product is not None:
            try:
                values["item"] = _item(product, mapping, where, number).model_dump()
            except DocumentError as error:
                log.warning("%s", error)  # no item: the bill is needs-fix on this line's item
        if row.get("uom"):
            values["unit"] = row["uom"]
        line_tax, vat_included = _taxes(row, taxes, mapping, options, content.get("company_price_include"), where,
                                        number)  # fmt: skip
        values["taxes"] = line_tax
        if rate is not None:
            net = dec(row["price_unit"]) * (HUNDRED - dec(row.get("discount"))) / HUNDRED
            values["unit_cost"] = (net * rate).quantize(SIX_PLACES, ROUND_HALF_UP)
        else:
            values["unit_cost"] = None
        lines.append(values)
        included.append(vat_included)
    with_vat = [flag for flag in included if flag is not None]
    all_included = bool(with_vat) and all(with_vat)
    for values, flag in zip(lines, included, strict=True):
        if flag and not all_included and values["unit_cost"] is not None:  # included among excluded: excluded
            vat = next((t.rate for t in values["taxes"] if t.kind == "vat" and t.rate), Decimal(0))
            values["unit_cost"] = (values["unit_cost"] * HUNDRED / (HUNDRED + vat)).quantize(SIX_PLACES, ROUND_HALF_UP)
        values["taxes"] = [tax.model_dump() for tax in values["taxes"]]
    return lines, all_included


def _taxes(row: dict[str, Any], taxes: dict[int, Any], mapping: Any, options: Any, company_default: str | None,
           where: str, number: int) -> tuple[list[Tax], bool | None]:  # fmt: skip
    """The line's taxes as invoices map them; a tax the mapping does not know is kept by name (the item's
    registration then says which), so the bill is still recorded and matched."""
    if not row.get("tax_ids"):
        return [], None
    try:
        found, vat_included = line_taxes(row, taxes, mapping, options, company_default, where, number)
        return found, vat_included if any(t.kind == "vat" for t in found) else None
    except DocumentError as error:
        log.warning("%s", error)
    kept = [Tax(code=str(t.get("name") or t["id"]), rate=dec(t.get("amount")), kind="vat")
            for t in _readable(row, taxes)]  # fmt: skip
    return kept[:1], None


def _readable(row: dict[str, Any], taxes: dict[int, Any]) -> list[dict[str, Any]]:
    try:
        return expand(list(row.get("tax_ids") or []), taxes, "bill")
    except DocumentError:
        return []


def _totals(amounts: dict[str, Any]) -> dict[str, Decimal] | None:
    if not amounts:
        return None
    untaxed, tax = abs(dec(amounts.get("amount_untaxed_signed"))), abs(dec(amounts.get("amount_tax_signed")))
    return {"untaxed": untaxed, "tax": tax, "total": abs(dec(amounts.get("amount_total_signed")))}
