"""Canonical invoice -> the exact KRA `saveTrnsSalesOsdc` request, for both KRA profiles.

    precheck(invoice, mapping, original=...)          -> [DocumentError, ...]   (before sending)
    build_sale(invoice, profile=..., mapping=..., ...) -> SaleRequest            (validated)
    build_sale_wire(invoice, ...)                      -> build_sale(...).to_wire(), fewer objects
    item_spec / format_item_code / build_save_item                               (items, saveItem)

No I/O here. The line arithmetic of the two conventions is in `connector.kra_amounts`.

Speed (issue 12): `build_sale` and `precheck` first try `connector.kra_fast_sale`, which answers only the
plain case (same request, same fields, same wire bytes, every constraint of the pydantic models checked
by hand); anything else, including every refusal, goes through the full code below
(`build_sale_in_full`, pydantic's validation of the whole request), so errors read as they always did.

Choices (spec §3):
* Lines are rounded first; header buckets A-E are sums of the rounded lines; all five buckets and
  all five rates are always sent, rates from the caller's `tax_rates`.
* `totTaxAmt` = sum of taxAmtA..E, i.e. VAT only. Odoo puts every tax (excise, withholding) in
  totTaxAmt, so its header can disagree with its own buckets; KRA's fields describe VAT
  buckets, so we keep them consistent.
* Only the line's VAT tax is reported. Excise is folded into the VAT base (see kra_amounts);
  withholding and other taxes are not reported and do not change the amounts.
* Credit notes: positive amounts, `rcptTyCd` R, `orgInvcNo`, `rfdRsnCd`; `rfdDt` (the credit
  note's own date) on GavaConnect, which requires it.
* `pkg`: legacy sends quantity / units per package (as Odoo); GavaConnect 1 unless packaging is
  modelled (kra_items.packages).
* `prchrAcptcYn`: legacy sends Y at the root and N in the receipt (as Odoo); GavaConnect N/N.
* Dates in EAT: cfmDt, rcptPbctDt and stockRlsDt from `confirmed_at`; salesDt from issued_at.
* Text longer than KRA's column is cut (trdInvcNo 50, custNm 60, trdeNm/topMsg/btmMsg 20,
  adrs 200, custMblNo 20, itemNm 200, remark 400); a PIN is never cut (it is checked instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from connector.clock import kra_date, kra_datetime
from connector.errors import ConfigurationError, MappingError
from connector.kra.codes import TAX_TYPE_LETTERS
from connector.kra.payloads import SaleRequest
from connector.kra_amounts import PROFILES, LineAmounts, Profile, line_amounts
from connector.kra_fast_sale import fast_sale
from connector.kra_items import (
    AuditNames,
    ItemSpec,
    audit_fields,
    build_save_item,
    document_error,
    format_item_code,
    is_price_included,
    item_spec,
    line_pricing,
    packages,
)
from connector.kra_precheck import PIN_PATTERN, OriginalInvoice, normalised_pin, precheck
from connector.kra_totals import check_erp_totals
from connector.mapping import Mapping
from connector.models import Invoice, Line
from connector.money import CENT, ZERO, to_decimal

__all__ = [
    "AuditNames",
    "DeviceIdentity",
    "ItemSpec",
    "OriginalInvoice",
    "Profile",
    "build_sale",
    "build_sale_in_full",
    "build_sale_wire",
    "build_save_item",
    "check_erp_totals",
    "check_tax_rates",
    "format_item_code",
    "is_price_included",
    "item_spec",
    "precheck",
]


NO_AMOUNT = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """The KRA device the document is signed on: taxpayer PIN and branch id ("00" head office)."""

    pin: str
    branch_id: str


def build_sale(
    invoice: Invoice,
    *,
    profile: Profile,
    mapping: Mapping,
    device: DeviceIdentity,
    invoice_number: int,
    original_invoice_number: int | None = None,
    item_codes: dict[str, str],
    tax_rates: dict[str, Decimal],
    confirmed_at: datetime,
    audit: AuditNames,
    trade_name: str | None = None,
    top_message: str | None = None,
    bottom_message: str | None = None,
) -> SaleRequest:
    """The validated `saveTrnsSalesOsdc` request. Raises `DocumentError` when the document cannot be sent."""
    built = fast_sale(invoice, profile, mapping, device, invoice_number, original_invoice_number, item_codes,
                      tax_rates, confirmed_at, audit, trade_name, top_message, bottom_message)  # fmt: skip
    if built is not None:  # the plain case, checked by hand (connector/kra_fast_sale.py); else in full:
        return built
    return build_sale_in_full(invoice, profile=profile, mapping=mapping, device=device, invoice_number=invoice_number,
                              original_invoice_number=original_invoice_number, item_codes=item_codes,
                              tax_rates=tax_rates, confirmed_at=confirmed_at, audit=audit, trade_name=trade_name,
                              top_message=top_message, bottom_message=bottom_message)  # fmt: skip


def build_sale_wire(
    invoice: Invoice,
    *,
    profile: Profile,
    mapping: Mapping,
    device: DeviceIdentity,
    invoice_number: int,
    original_invoice_number: int | None = None,
    item_codes: dict[str, str],
    tax_rates: dict[str, Decimal],
    confirmed_at: datetime,
    audit: AuditNames,
    trade_name: str | None = None,
    top_message: str | None = None,
    bottom_message: str | None = None,
) -> dict[str, Any]:
    """`build_sale(...).to_wire()`, the same checks and the same dict, without making the pydantic objects in
    the plain case (for a caller that needs only the wire dict, e.g. the sender)."""
    wire = fast_sale(invoice, profile, mapping, device, invoice_number, original_invoice_number, item_codes, tax_rates,
                     confirmed_at, audit, trade_name, top_message, bottom_message, wire_only=True)  # fmt: skip
    if wire is not None:
        return wire
    return build_sale_in_full(invoice, profile=profile, mapping=mapping, device=device, invoice_number=invoice_number,
                              original_invoice_number=original_invoice_number, item_codes=item_codes,
                              tax_rates=tax_rates, confirmed_at=confirmed_at, audit=audit, trade_name=trade_name,
                              top_message=top_message, bottom_message=bottom_message).to_wire()  # fmt: skip


def build_sale_in_full(
    invoice: Invoice,
    *,
    profile: Profile,
    mapping: Mapping,
    device: DeviceIdentity,
    invoice_number: int,
    original_invoice_number: int | None = None,
    item_codes: dict[str, str],
    tax_rates: dict[str, Decimal],
    confirmed_at: datetime,
    audit: AuditNames,
    trade_name: str | None = None,
    top_message: str | None = None,
    bottom_message: str | None = None,
) -> SaleRequest:
    """`build_sale` without its fast path: every check, then pydantic's validation of the whole request."""
    if profile not in PROFILES:
        raise ConfigurationError(f"unknown KRA profile {profile!r} (use legacy or gavaconnect)")
    rates = check_tax_rates(tax_rates)
    try:
        lines = [
            _line(number, line, invoice, mapping, item_codes, rates, profile)
            for number, line in enumerate(invoice.lines, start=1)
        ]
        totals = _totals(lines, rates)
    except ArithmeticError as error:  # bounded input should never get here; if it does, it is this document's
        message = f"an amount cannot be computed ({type(error).__name__}): check quantities, prices and rates"
        raise document_error(invoice, message) from error
    fields: dict[str, Any] = {
        **_header(invoice, profile, mapping, device, invoice_number, confirmed_at),
        **_buyer(invoice),
        **_kind_fields(invoice, profile, mapping, original_invoice_number),
        **totals,
        **audit_fields(audit),
        "item_count": len(lines),
        "lines": [line_fields for line_fields, _tax_type in lines],
        "receipt": _receipt(invoice, confirmed_at, trade_name, top_message, bottom_message),
    }
    return _validated(invoice, fields)


def check_tax_rates(tax_rates: dict[str, Decimal]) -> dict[str, Decimal]:
    """All five tax types A-E with a rate of 0-100 % in whole hundredths."""
    missing = [letter for letter in TAX_TYPE_LETTERS if letter not in tax_rates]
    if missing:
        raise ConfigurationError(f"tax rates are missing for tax type(s) {', '.join(missing)}")
    rates = {}
    for letter in TAX_TYPE_LETTERS:
        try:
            rate = to_decimal(tax_rates[letter], what=f"tax rate of type {letter}")
        except (TypeError, ValueError) as error:
            raise ConfigurationError(str(error)) from None
        if not ZERO <= rate <= 100 or rate != rate.quantize(CENT):
            raise ConfigurationError(f"tax rate of type {letter} must be 0-100 with 2 decimals: {rate}")
        rates[letter] = rate.quantize(CENT)
    return rates


# ---------------------------------------------------------------- lines


def _line(
    number: int,
    line: Line,
    invoice: Invoice,
    mapping: Mapping,
    item_codes: dict[str, str],
    rates: dict[str, Decimal],
    profile: Profile,
) -> tuple[dict[str, Any], str]:
    spec = item_spec(line, invoice, mapping, number)
    amounts = line_amounts(line_pricing(line, invoice, rates[spec.tax_type], number), profile)
    item_code = _item_code(line, invoice, item_codes, number)
    return _line_fields(number, line, invoice, spec, item_code, amounts, profile), spec.tax_type


def _line_fields(
    number: int,
    line: Line,
    invoice: Invoice,
    spec: ItemSpec,
    item_code: str,
    amounts: LineAmounts,
    profile: Profile,
) -> dict[str, Any]:
    quantity = _cents(line.quantity, invoice, number, "quantity")
    return {
        "sequence": number,
        "item_code": item_code,
        "item_class": spec.item_class,
        "name": (line.description or line.item.name)[:200],
        "barcode": line.item.barcode,
        "packaging_unit": spec.packaging_unit,
        "packages": packages(line, spec.packaging_unit, profile),
        "quantity_unit": spec.quantity_unit,
        "quantity": quantity,
        "unit_price": amounts.unit_price,
        "supply_amount": amounts.supply_amount,
        "discount_rate": _cents(line.discount_percent, invoice, number, "discount_percent"),
        "discount_amount": amounts.discount_amount,
        "tax_type": spec.tax_type,
        "taxable_amount": amounts.taxable_amount,
        "tax_amount": amounts.tax_amount,
        "total_amount": amounts.total_amount,
    }


def _item_code(line: Line, invoice: Invoice, item_codes: dict[str, str], number: int) -> str:
    code = item_codes.get(line.item.code)
    if not code:
        message = "item has no registered KRA item code yet (register it with saveItem first)"
        raise document_error(invoice, message, line=number, field="item.code", value=line.item.code)
    return code


def _cents(value: Decimal, invoice: Invoice, number: int, field: str) -> Decimal:
    """A quantity or percentage KRA holds with 2 decimals; more decimals would change the amounts."""
    exact = value.quantize(CENT)
    if exact != value:
        message = "has more than 2 decimals (KRA keeps 2)"
        raise document_error(invoice, message, line=number, field=field, value=str(value))
    return exact


# ---------------------------------------------------------------- header


def _header(
    invoice: Invoice,
    profile: Profile,
    mapping: Mapping,
    device: DeviceIdentity,
    invoice_number: int,
    confirmed_at: datetime,
) -> dict[str, Any]:
    return {
        "tin": device.pin,
        "branch_id": device.branch_id,
        "trader_invoice_number": invoice.number[:50],
        "invoice_number": invoice_number,
        "sales_type": "N",
        "sales_status": "02",
        "payment_type": _payment_type(invoice, mapping),
        "confirmed_at": kra_datetime(confirmed_at),
        "sales_date": kra_date(invoice.issued_at),
        "stock_released_at": kra_datetime(confirmed_at),
        "purchaser_accepted": "Y" if profile == "legacy" else "N",
        "remark": invoice.remark[:400] if invoice.remark else None,
    }


def _totals(lines: list[tuple[dict[str, Any], str]], rates: dict[str, Decimal]) -> dict[str, Any]:
    taxable = dict.fromkeys(TAX_TYPE_LETTERS, NO_AMOUNT)
    tax = dict(taxable)
    total = NO_AMOUNT
    for fields, letter in lines:
        taxable[letter] += fields["taxable_amount"]
        tax[letter] += fields["tax_amount"]
        total += fields["total_amount"]
    result: dict[str, Any] = {}
    for letter in TAX_TYPE_LETTERS:
        low = letter.lower()
        result[f"taxable_amount_{low}"] = taxable[letter]
        result[f"tax_rate_{low}"] = rates[letter]
        result[f"tax_amount_{low}"] = tax[letter]
    result["total_taxable_amount"] = sum(taxable.values(), NO_AMOUNT)
    result["total_tax_amount"] = sum(tax.values(), NO_AMOUNT)  # VAT only; see the module docstring
    result["total_amount"] = total
    return result


def _buyer(invoice: Invoice) -> dict[str, Any]:
    buyer = invoice.buyer
    if buyer is None:
        return {"customer_pin": None, "customer_name": None}
    return {"customer_pin": _pin(invoice), "customer_name": buyer.name[:60]}


def _pin(invoice: Invoice) -> str | None:
    pin = normalised_pin(invoice.buyer.pin if invoice.buyer else None)
    if pin is not None and not PIN_PATTERN.match(pin):
        message = "buyer PIN must be a letter, 9 digits and a letter (e.g. P051234567A)"
        raise document_error(invoice, message, field="buyer.pin", value=pin)
    return pin


def _payment_type(invoice: Invoice, mapping: Mapping) -> str | None:
    try:
        return mapping.payment_type(invoice.payment_method)
    except MappingError as error:
        raise document_error(invoice, str(error), field="payment_method", value=invoice.payment_method) from error


def _kind_fields(
    invoice: Invoice, profile: Profile, mapping: Mapping, original_invoice_number: int | None
) -> dict[str, Any]:
    if not invoice.is_credit_note:
        return {"receipt_type": "S", "original_invoice_number": 0}
    if not original_invoice_number:
        message = "credit note needs the KRA invoice number of its original (accepted) invoice"
        raise document_error(invoice, message, field="original")
    if not invoice.refund_reason:
        raise document_error(invoice, "credit note needs a refund reason", field="refund_reason")
    try:
        reason = mapping.refund_reason(invoice.refund_reason)
    except MappingError as error:
        raise document_error(invoice, str(error), field="refund_reason", value=invoice.refund_reason) from error
    return {
        "receipt_type": "R",
        "original_invoice_number": original_invoice_number,
        "refund_reason": reason,
        "refunded_at": kra_datetime(invoice.issued_at) if profile == "gavaconnect" else None,
    }


def _receipt(
    invoice: Invoice, confirmed_at: datetime, trade_name: str | None, top: str | None, bottom: str | None
) -> dict[str, Any]:
    buyer = invoice.buyer
    return {
        "customer_pin": _pin(invoice),
        "customer_mobile": _cut(buyer.mobile if buyer else None, 20),
        "published_at": kra_datetime(confirmed_at),
        "trade_name": _cut(trade_name, 20),
        "address": _cut(buyer.address if buyer else None, 200),
        "top_message": _cut(top, 20),
        "bottom_message": _cut(bottom, 20),
        "purchaser_accepted": "N",
    }


def _cut(text: str | None, length: int) -> str | None:
    return text[:length] if text else None


def _validated(invoice: Invoice, fields: dict[str, Any]) -> SaleRequest:
    try:
        return SaleRequest.model_validate(fields)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        value = first.get("input")
        shown = value if isinstance(value, str | int | Decimal) else None
        message = f"KRA request is invalid: {first['msg']}"
        raise document_error(invoice, message, field=where, value=shown) from error
