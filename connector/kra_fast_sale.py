"""The fast path of `precheck` and `build_sale` for documents with nothing unusual (issue 12).

    precheck_clean(invoice, mapping, rates)  -> True only when `precheck` would find no problem
    fast_sale(invoice, ...)                  -> the request `build_sale` would return, or None

Both only ever answer for the plain case: anything they do not recognise (a missing mapping key, an
amount with more decimals than KRA keeps, an exception, a value a constraint of the pydantic model
would refuse) makes them give up (False / None), and the caller runs the full code as before, which
finds and words the problem. So a refusal is always the validated path's own refusal.

What makes it fast: mapping look-ups remembered per mapping object; the line arithmetic as plain
tuples (kra_amounts.*_figures, the same functions the full path uses); the constraints of
`SaleRequest` checked by hand (each one named at `_check_request`; tests feed every violation); the
pydantic models filled without re-validation (what `model_construct` does) and the wire dict built
from the same values, handed out by `SaleRequest.to_wire()`.
"""

from __future__ import annotations

import weakref
from datetime import datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any

from connector.clock import EAT
from connector.errors import ConfigurationError, MappingError
from connector.kra import codes
from connector.kra.codes import TAX_TYPE_LETTERS
from connector.kra.payloads import SaleLine, SaleReceipt, SaleRequest
from connector.kra.payloads.sales import keep_wire
from connector.kra_amounts import HALF_UP, gavaconnect_figures, legacy_figures
from connector.kra_items import LARGEST_AMOUNT
from connector.kra_precheck import PIN_PATTERN
from connector.mapping import CategoryMapping, Mapping
from connector.models import Invoice
from connector.money import CENT, ZERO

MISSING = object()
MEMO_LIMIT = 4096  # entries per table; a mapping used with more distinct keys starts again
NO_AMOUNT = Decimal("0.00")
ONE = Decimal("1")
HUNDRED = Decimal("100")
# Largest magnitude with 2 decimals that fits NUMBER(p, 2): Amount max_digits 20, Quantity 15, Rate 9.
AMOUNT_LIMIT, QUANTITY_LIMIT, RATE_LIMIT = Decimal(10) ** 18, Decimal(10) ** 13, Decimal(10) ** 7
# The same as digit counts: x.adjusted() < n  implies  |x| < 10 ** n  (a zero's adjusted() is its exponent, -2
# or more here, so a zero passes; a Decimal with exponent -2 and adjusted() < 18 has at most 20 digits).
AMOUNT_DIGITS, QUANTITY_DIGITS = 18, 13


# ---------------------------------------------------------------- mapping look-ups, remembered


class Lookups:
    """A mapping's answers for keys already asked (a miss is never kept: the full path words it)."""

    __slots__ = ("categories", "mapping", "payments", "refunds", "taxes", "units")

    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.units: dict[Any, str] = {}
        self.categories: dict[Any, CategoryMapping] = {}
        self.taxes: dict[Any, str] = {}
        self.payments: dict[Any, Any] = {}
        self.refunds: dict[Any, str] = {}

    def unit(self, name: str) -> str | None:
        found = self.units.get(name)
        if found is None:
            try:
                found = self.mapping.quantity_unit(name)
            except MappingError:
                return None
            if not _text(found, 5, 1):  # qtyUnitCd
                return None
            _remember(self.units, name, found)
        return found

    def category(self, name: str | None) -> CategoryMapping | None:
        found = self.categories.get(name)
        if found is None:
            try:
                found = self.mapping.category(name)
            except MappingError:
                return None
            if not _optional_text(found.item_class, 10) or not _text(found.packaging_unit, 5, 1):  # itemClsCd, pkgUnit
                return None
            _remember(self.categories, name, found)
        return found

    def tax_type(self, tax: Any) -> str | None:
        key = (tax.code, tax.rate)  # Mapping.tax_type reads only these two
        found = self.taxes.get(key)
        if found is None:
            try:
                found = self.mapping.tax_type(tax)
            except MappingError:
                return None
            if not _text(found, 5, 1):  # taxTyCd
                return None
            _remember(self.taxes, key, found)
        return found

    def payment_type(self, method: str | None) -> Any:
        found = self.payments.get(method, MISSING)
        if found is MISSING:
            try:
                found = self.mapping.payment_type(method)
            except MappingError:
                return MISSING
            if not _optional_text(found, 5):  # pmtTyCd
                return MISSING
            _remember(self.payments, method, found)
        return found

    def refund_reason(self, reason: str) -> str | None:
        found = self.refunds.get(reason)
        if found is None:
            try:
                found = self.mapping.refund_reason(reason)
            except MappingError:
                return None
            if not _optional_text(found, 5):  # rfdRsnCd
                return None
            _remember(self.refunds, reason, found)
        return found


def _remember(table: dict[Any, Any], key: Any, value: Any) -> None:
    if len(table) >= MEMO_LIMIT:
        table.clear()
    table[key] = value


_lookups: dict[int, tuple[weakref.ref, Lookups]] = {}


def lookups(mapping: Mapping) -> Lookups:
    key = id(mapping)
    entry = _lookups.get(key)
    if entry is not None and entry[0]() is mapping:
        return entry[1]
    found = Lookups(mapping)
    _lookups[key] = (weakref.ref(mapping, lambda gone, table=_lookups, forget=_forget: forget(table, key, gone)), found)
    return found


def _forget(table: dict[int, tuple[weakref.ref, Lookups]], key: int, gone: weakref.ref) -> None:
    entry = table.get(key)
    if entry is not None and entry[0] is gone:
        table.pop(key, None)


_checked_rates: dict[tuple[Decimal, ...], dict[str, Decimal]] = {}


def checked_rates(tax_rates: dict[str, Decimal]) -> dict[str, Decimal] | None:
    """`kra_payload.check_tax_rates`, remembered for rates given as Decimals; None: let it speak."""
    try:
        key = tuple(tax_rates[letter] for letter in TAX_TYPE_LETTERS)
    except (KeyError, TypeError):
        return None
    if not all(type(rate) is Decimal and rate.is_finite() for rate in key):
        return None
    found = _checked_rates.get(key)
    if found is None:
        from connector.kra_payload import check_tax_rates

        try:
            found = check_tax_rates(tax_rates)
        except ConfigurationError:
            return None
        _remember(_checked_rates, key, found)
    return found


# ---------------------------------------------------------------- precheck


def precheck_clean(invoice: Invoice, mapping: Mapping, rates: dict[str, Decimal]) -> bool:
    """True only when `precheck`'s document and line checks would all pass (credit-note checks not included)."""
    try:
        return _document_clean(invoice, lookups(mapping), rates)
    except Exception:
        return False


def _document_clean(invoice: Invoice, found: Lookups, rates: dict[str, Decimal]) -> bool:
    currency, exchange_rate = invoice.currency.upper(), invoice.exchange_rate
    if not codes.is_currency(currency) or not exchange_rate > 0 or (currency == "KES" and exchange_rate != 1):
        return False
    buyer = invoice.buyer
    pin = (buyer.pin or "").strip().upper() if buyer is not None else ""
    if pin and not PIN_PATTERN.match(pin):
        return False
    if found.payment_type(invoice.payment_method) is MISSING:
        return False
    categories, units, taxes = found.categories, found.units, found.taxes
    for line in invoice.lines:
        vat, excise = _taxes(line)
        if vat is None:
            return False
        letter = taxes.get((vat.code, vat.rate)) or found.tax_type(vat)
        if letter is None or (vat.rate is not None and letter in rates and vat.rate != rates[letter]):
            return False
        if vat.price_included is not None and vat.price_included != line.price_includes_vat:
            return False
        quantity, discount = line.quantity, line.discount_percent
        if abs(quantity * (line.unit_price * exchange_rate) * excise) >= LARGEST_AMOUNT:
            return False
        if not (units.get(line.unit) or found.unit(line.unit)):
            return False
        item = line.item
        category = categories.get(item.category) or found.category(item.category)
        if category is None:
            return False
        origin = item.origin_country or category.origin_country
        if not origin or not codes.is_country(origin.upper()):
            return False
        if not quantity > 0 or quantity != quantity.quantize(CENT) or line.unit_price < 0:
            return False
        if not ZERO <= discount <= 100 or discount != discount.quantize(CENT):
            return False
        if item.barcode and len(item.barcode) > 20:
            return False
        per_package = line.units_per_package  # 1: quantity / 1 is the quantity, at least 0.01 here
        if per_package != 1 and (quantity / per_package).quantize(CENT, HALF_UP) == 0:  # round_money
            return False
    return True


def _taxes(line: Any) -> tuple[Any, Decimal]:
    """(the single VAT tax or None, the excise factor) as kra_items.vat_tax / excise_factor; None when
    those would raise."""
    vat, factor = None, ONE
    for tax in line.taxes:
        kind = tax.kind
        if kind == "vat":
            if vat is not None:
                return None, factor
            vat = tax
        elif kind == "excise":
            included = line.price_includes_vat if tax.price_included is None else tax.price_included
            if included:
                continue
            if line.price_includes_vat or tax.rate is None:
                return None, factor
            factor *= 1 + tax.rate / 100
    return vat, factor


# ---------------------------------------------------------------- build_sale

LINE_FIELDS = tuple(SaleLine.model_fields)
LINE_SET = set(LINE_FIELDS) - {"insurance_code", "insurance_name", "insurance_rate", "insurance_amount"}
RECEIPT_FIELDS = tuple(SaleReceipt.model_fields)
REQUEST_FIELDS = tuple(SaleRequest.model_fields)
RECEIPT_SET = set(RECEIPT_FIELDS)
# The fields the full path gives (model_fields_set); the others keep their defaults.
SALE_SET = set(REQUEST_FIELDS) - {"cancel_requested_at", "cancelled_at", "refunded_at", "refund_reason"}
CREDIT_SET = set(REQUEST_FIELDS) - {"cancel_requested_at", "cancelled_at"}


def fast_sale(
    invoice: Invoice,
    profile: str,
    mapping: Mapping,
    device: Any,
    invoice_number: int,
    original_invoice_number: int | None,
    item_codes: dict[str, str],
    tax_rates: dict[str, Decimal],
    confirmed_at: datetime,
    audit: Any,
    trade_name: str | None,
    top_message: str | None,
    bottom_message: str | None,
    *,
    wire_only: bool = False,
) -> Any:
    """What `build_sale` returns (with `wire_only`, what its `to_wire()` returns, and no pydantic objects are
    made), or None when the full path must run (it then raises or returns the same)."""
    if profile != "legacy" and profile != "gavaconnect":
        return None
    rates = checked_rates(tax_rates)
    if rates is None:
        return None
    try:
        return _sale(invoice, profile, lookups(mapping), device, invoice_number, original_invoice_number, item_codes,
                     rates, confirmed_at, audit, trade_name, top_message, bottom_message, wire_only)  # fmt: skip
    except Exception:
        return None


def _sale(
    invoice: Invoice,
    profile: str,
    found: Lookups,
    device: Any,
    invoice_number: int,
    original_invoice_number: int | None,
    item_codes: dict[str, str],
    rates: dict[str, Decimal],
    confirmed_at: datetime,
    audit: Any,
    trade_name: str | None,
    top: str | None,
    bottom: str | None,
    wire_only: bool,
) -> Any:
    if not 1 <= len(invoice.lines) <= 999:  # itemSeq ge 1 le 999, totItemCnt ge 1, itemList min_length 1
        return None
    legacy = profile == "legacy"
    figures = legacy_figures if legacy else gavaconnect_figures
    exchange_rate = invoice.exchange_rate
    taxable = dict.fromkeys(TAX_TYPE_LETTERS, NO_AMOUNT)
    tax = dict(taxable)
    total = NO_AMOUNT
    line_models, line_wires = [], []
    categories, units, taxes = found.categories, found.units, found.taxes
    for number, line in enumerate(invoice.lines, start=1):
        item = line.item
        category = categories.get(item.category) or found.category(item.category)
        if category is None or not (item.origin_country or category.origin_country):
            return None
        (item.origin_country or category.origin_country).upper()  # item_spec's; raises for a non-text
        quantity_unit = units.get(line.unit) or found.unit(line.unit)
        vat, excise = _taxes(line)
        if quantity_unit is None or vat is None:
            return None
        letter = taxes.get((vat.code, vat.rate)) or found.tax_type(vat)
        if letter is None:
            return None
        price = line.unit_price * exchange_rate
        price.quantize(CENT, HALF_UP)  # item_spec's default price (round_money); raises where it would
        quantity, discount = line.quantity, line.discount_percent
        if abs(quantity * price * excise) >= LARGEST_AMOUNT:
            return None
        amounts = figures(quantity, price, line.price_includes_vat, rates[letter], discount, excise)
        item_code = item_codes.get(item.code)
        exact_quantity, exact_discount = quantity.quantize(CENT), discount.quantize(CENT)
        if not item_code or exact_quantity != quantity or exact_discount != discount:
            return None
        packaging, per_package = category.packaging_unit, line.units_per_package
        if legacy:  # kra_items.packages; quantity / 1 rounded is the quantity with 2 decimals
            packages = exact_quantity if per_package == 1 else (quantity / per_package).quantize(CENT, HALF_UP)
        elif per_package == 1 or packaging == "NT":
            packages = ONE
        else:
            packages = max(ONE, (quantity / per_package).to_integral_value(rounding=ROUND_CEILING))
        name, barcode = (line.description or item.name)[:200], item.barcode
        if not (
            type(item_code) is str and len(item_code) <= 20  # itemCd (not empty: checked above)
            and type(name) is str and len(name) >= 1  # itemNm (cut to 200 above)
            and (barcode is None or (type(barcode) is str and len(barcode) <= 20))  # bcd
            and packages.adjusted() < QUANTITY_DIGITS and exact_quantity.adjusted() < QUANTITY_DIGITS  # pkg, qty
            and ZERO <= exact_discount < RATE_LIMIT  # dcRt ge 0
            and amounts[0].adjusted() < AMOUNT_DIGITS and amounts[1].adjusted() < AMOUNT_DIGITS  # prc, splyAmt
            and amounts[2].adjusted() < AMOUNT_DIGITS and amounts[3].adjusted() < AMOUNT_DIGITS  # dcAmt, taxblAmt
            and amounts[4].adjusted() < AMOUNT_DIGITS and amounts[5].adjusted() < AMOUNT_DIGITS  # taxAmt, totAmt
        ):  # fmt: skip
            return None
        price, supply, discount_amount, line_taxable, line_tax, line_total = amounts
        taxable[letter] += line_taxable
        tax[letter] += line_tax
        total += line_total
        item_class = category.item_class
        # SaleLine's fields in its order (tests compare the key order with a validated SaleLine's), then aliases
        if not wire_only:
            line_models.append(_model(SaleLine, {
                "sequence": number, "item_code": item_code, "item_class": item_class, "name": name,
                "barcode": barcode, "packaging_unit": packaging, "packages": packages, "quantity_unit": quantity_unit,
                "quantity": exact_quantity, "unit_price": price, "supply_amount": supply,
                "discount_rate": exact_discount, "discount_amount": discount_amount, "insurance_code": None,
                "insurance_name": None, "insurance_rate": None, "insurance_amount": None, "tax_type": letter,
                "taxable_amount": line_taxable, "tax_amount": line_tax, "total_amount": line_total,
            }, LINE_SET.copy()))  # fmt: skip
        line_wires.append({
            "itemSeq": number, "itemCd": item_code, "itemClsCd": item_class, "itemNm": name, "bcd": barcode,
            "pkgUnitCd": packaging, "pkg": packages, "qtyUnitCd": quantity_unit, "qty": exact_quantity, "prc": price,
            "splyAmt": supply, "dcRt": exact_discount, "dcAmt": discount_amount, "isrccCd": None, "isrccNm": None,
            "isrcRt": None, "isrcAmt": None, "taxTyCd": letter, "taxblAmt": line_taxable, "taxAmt": line_tax,
            "totAmt": line_total,
        })  # fmt: skip
    payment = found.payment_type(invoice.payment_method)
    if payment is MISSING:
        return None
    buyer = invoice.buyer
    pin = _pin(invoice)
    if pin is MISSING:
        return None
    confirmed, issued = kra_stamp(confirmed_at), kra_stamp(invoice.issued_at)
    if confirmed is None or issued is None:
        return None
    mobile = buyer.mobile[:20] if buyer is not None and buyer.mobile else None
    address = buyer.address[:200] if buyer is not None and buyer.address else None
    trade_name, top, bottom = _cut(trade_name, 20), _cut(top, 20), _cut(bottom, 20)
    if invoice.is_credit_note:
        if not original_invoice_number or not invoice.refund_reason:
            return None
        reason = found.refund_reason(invoice.refund_reason)
        if reason is None:
            return None
        receipt_type, original, refunded = "R", original_invoice_number, issued if not legacy else None
        fields_set = CREDIT_SET
    else:
        receipt_type, original, refunded, reason, fields_set = "S", 0, None, None, SALE_SET
    identity, name = audit.id[:20], audit.name[:60]
    a, b, c, d, e = taxable.values()
    tax_a, tax_b, tax_c, tax_d, tax_e = tax.values()
    rate_a, rate_b, rate_c, rate_d, rate_e = (rates[letter] for letter in TAX_TYPE_LETTERS)
    taxable_total, tax_total = sum(taxable.values(), NO_AMOUNT), sum(tax.values(), NO_AMOUNT)  # as _totals
    tin, branch, trader_number = device.pin, device.branch_id, invoice.number[:50]
    customer_name = buyer.name[:60] if buyer is not None else None
    remark = invoice.remark[:400] if invoice.remark else None
    if not (
        _text(identity, 20, 1) and _text(name, 60, 1)  # regrId, regrNm (modrId, modrNm the same)
        and max(a.adjusted(), b.adjusted(), c.adjusted(), d.adjusted(), e.adjusted(), tax_a.adjusted(),
                tax_b.adjusted(), tax_c.adjusted(), tax_d.adjusted(), tax_e.adjusted(), taxable_total.adjusted(),
                tax_total.adjusted(), total.adjusted()) < AMOUNT_DIGITS  # taxblAmtA-E, taxAmtA-E, the totals
        # taxRtA-E: check_tax_rates gave 0-100 with 2 decimals
        and (tin is None or _text(tin, 11, 11))  # tin: Pin
        and (branch is None or (_text(branch, 2, 2) and branch.isascii() and branch.isalnum()))  # bhfId
        and _text(trader_number, 50, 1)  # trdInvcNo
        and type(invoice_number) is int and invoice_number >= 1  # invcNo ge 1
        and type(original) is int and original >= 0  # orgInvcNo ge 0
        and (pin is None or len(pin) <= 11)  # custTin, in the request and the receipt (PIN_PATTERN: 11)
        and _optional_text(customer_name, 60)  # custNm
        and _optional_text(payment, 5)  # pmtTyCd (checked when remembered)
        and _optional_text(reason, 5)  # rfdRsnCd (checked when remembered)
        and _optional_text(remark, 400)  # remark
        and _optional_text(mobile, 20) and _optional_text(address, 200)  # custMblNo, adrs
        and _optional_text(trade_name, 20) and _optional_text(top, 20) and _optional_text(bottom, 20)
        # cfmDt, stockRlsDt, rcptPbctDt, rfdDt (14 digits), salesDt (8): kra_stamp writes 4-digit years only
        # totItemCnt ge 1, itemList min_length 1: 1-999 lines, checked first
    ):  # fmt: skip
        return None
    item_count, accepted, sales_date = len(line_wires), "Y" if legacy else "N", issued[:8]
    wire = {
        "regrId": identity, "regrNm": name, "modrId": identity, "modrNm": name, "taxblAmtA": a, "taxblAmtB": b,
        "taxblAmtC": c, "taxblAmtD": d, "taxblAmtE": e, "taxRtA": rate_a, "taxRtB": rate_b, "taxRtC": rate_c,
        "taxRtD": rate_d, "taxRtE": rate_e, "taxAmtA": tax_a, "taxAmtB": tax_b, "taxAmtC": tax_c, "taxAmtD": tax_d,
        "taxAmtE": tax_e, "totTaxblAmt": taxable_total, "totTaxAmt": tax_total, "totAmt": total, "tin": tin,
        "bhfId": branch, "trdInvcNo": trader_number, "invcNo": invoice_number, "orgInvcNo": original,
        "custTin": pin, "custNm": customer_name, "salesTyCd": "N", "rcptTyCd": receipt_type, "pmtTyCd": payment,
        "salesSttsCd": "02", "cfmDt": confirmed, "salesDt": sales_date, "stockRlsDt": confirmed, "cnclReqDt": None,
        "cnclDt": None, "rfdDt": refunded, "rfdRsnCd": reason, "totItemCnt": item_count,
        "prchrAcptcYn": accepted, "remark": remark,
        "receipt": {
            "custTin": pin, "custMblNo": mobile, "rcptPbctDt": confirmed, "trdeNm": trade_name, "adrs": address,
            "topMsg": top, "btmMsg": bottom, "prchrAcptcYn": "N",
        },
        "itemList": line_wires,
    }  # fmt: skip
    if wire_only:
        return wire
    # The models' fields in their order (tests compare repr with validated models).
    receipt = _model(SaleReceipt, {
        "customer_pin": pin, "customer_mobile": mobile, "published_at": confirmed, "trade_name": trade_name,
        "address": address, "top_message": top, "bottom_message": bottom, "purchaser_accepted": "N",
    }, RECEIPT_SET.copy())  # fmt: skip
    request = _model(SaleRequest, {
        "registrant_id": identity, "registrant_name": name, "modifier_id": identity, "modifier_name": name,
        "taxable_amount_a": a, "taxable_amount_b": b, "taxable_amount_c": c, "taxable_amount_d": d,
        "taxable_amount_e": e, "tax_rate_a": rate_a, "tax_rate_b": rate_b, "tax_rate_c": rate_c,
        "tax_rate_d": rate_d, "tax_rate_e": rate_e, "tax_amount_a": tax_a, "tax_amount_b": tax_b,
        "tax_amount_c": tax_c, "tax_amount_d": tax_d, "tax_amount_e": tax_e, "total_taxable_amount": taxable_total,
        "total_tax_amount": tax_total, "total_amount": total, "tin": tin, "branch_id": branch,
        "trader_invoice_number": trader_number, "invoice_number": invoice_number,
        "original_invoice_number": original, "customer_pin": pin, "customer_name": customer_name,
        "sales_type": "N", "receipt_type": receipt_type, "payment_type": payment, "sales_status": "02",
        "confirmed_at": confirmed, "sales_date": sales_date, "stock_released_at": confirmed,
        "cancel_requested_at": None, "cancelled_at": None, "refunded_at": refunded, "refund_reason": reason,
        "item_count": item_count, "purchaser_accepted": accepted, "remark": remark, "receipt": receipt,
        "lines": line_models,
    }, fields_set.copy())  # fmt: skip
    keep_wire(request, wire)
    return request


def kra_stamp(moment: datetime) -> str | None:
    """clock.kra_datetime (yyyyMMddHHmmss in EAT; [:8] is clock.kra_date) without strftime, for an aware
    moment of the years 1000-9999; None otherwise (the full path then raises, or writes what strftime writes)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None
    local = moment.astimezone(EAT)
    if local.year < 1000:
        return None
    return (f"{local.year}{local.month:02d}{local.day:02d}"
            f"{local.hour:02d}{local.minute:02d}{local.second:02d}")  # fmt: skip


def _pin(invoice: Invoice) -> Any:
    """kra_payload._pin, MISSING where it would raise."""
    buyer = invoice.buyer
    pin = (buyer.pin or "").strip().upper() if buyer is not None else ""
    if not pin:
        return None
    return pin if PIN_PATTERN.match(pin) else MISSING


def _cut(text: str | None, length: int) -> str | None:
    return text[:length] if text else None


def _model(cls: type, fields: dict[str, Any], fields_set: set[str], _set: Any = object.__setattr__) -> Any:
    """What `cls.model_construct` leaves: the fields as given, no extras, no private attributes."""
    model = cls.__new__(cls)
    _set(model, "__dict__", fields)
    _set(model, "__pydantic_fields_set__", fields_set)
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


# ---------------------------------------------------------------- the model's constraints, by hand
# Each check is sufficient for the pydantic field it names (connector/kra/payloads/sales.py, base.py);
# tests/test_kra_fast_sale.py feeds every violation and checks the full path's error comes out.


def _text(value: Any, longest: int, shortest: int = 0) -> bool:
    return type(value) is str and shortest <= len(value) <= longest


def _optional_text(value: Any, longest: int) -> bool:
    return value is None or (type(value) is str and len(value) <= longest)


def _datetime14(value: Any) -> bool:
    return type(value) is str and len(value) == 14 and value.isascii() and value.isdigit()
