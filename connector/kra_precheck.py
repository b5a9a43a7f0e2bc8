"""Checks run before anything is sent to KRA. Each problem is one `DocumentError` naming the
document, the line (1-based), the field and the value, in words an accountant can act on.

The credit-note checks need facts about the original invoice that only the ledger has; the
caller passes them as an `OriginalInvoice`. No I/O here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from connector.errors import DocumentError, MappingError
from connector.kra import codes
from connector.kra_amounts import Profile, line_amounts
from connector.kra_credit_notes import CreditNoteLimits, CreditNoteRules, amount_problems, dated_problems
from connector.kra_items import (
    category,
    document_error,
    is_price_included,
    line_pricing,
    quantity_unit,
    tax_type,
    taxes_of_kind,
)
from connector.mapping import Mapping
from connector.models import Invoice, Line
from connector.money import CENT, ZERO, round_money

PIN_PATTERN = re.compile(r"^[A-Z]\d{9}[A-Z]$")


@dataclass
class OriginalInvoice:
    """What the ledger knows about the invoice a credit note credits."""

    invoice_number: int | None  # KRA invcNo; None while KRA has not accepted it
    buyer_pin: str | None
    issued_at: datetime
    remaining_quantity: dict[str, Decimal] = field(default_factory=dict)  # item code -> not yet credited
    remaining_amount: Decimal = ZERO  # gross KES not yet credited
    credit_notes_before: int = 0  # other credit notes against it, signed or being sent
    unit_prices: dict[str, Decimal] = field(default_factory=dict)  # item code -> highest KRA prc on it (KES)


def precheck(
    invoice: Invoice,
    mapping: Mapping,
    *,
    original: OriginalInvoice | None = None,
    tax_rates: dict[str, Decimal] | None = None,
    profile: Profile = "legacy",
    original_known: bool = True,
    limits: CreditNoteRules | None = None,
) -> list[DocumentError]:
    """Every problem that would stop the document from becoming a correct KRA invoice. Never raises:
    anything unexpected is reported as a problem of the document.

    `original_known=False` is for a source reading a credit note before the ledger is asked: the
    checks that need the original's KRA state (accepted, buyer, date, what remains) are left out.

    `tax_rates` (default: the code list's) are used to compare each line's VAT rate with the rate
    of its KRA tax type, and, with `profile`, to total a credit note against the original.
    `limits` are KRA's credit-note limits (default: on, connector/kra_credit_notes.py).
    """
    try:
        return _precheck(invoice, mapping, original, tax_rates, profile, original_known, limits)
    except DocumentError as error:
        return [error]
    except (ArithmeticError, ValueError, TypeError, KeyError) as error:  # bounded input should never get here
        message = f"cannot be checked ({type(error).__name__}: {error}): check quantities, prices and rates"
        return [document_error(invoice, message)]


def _precheck(
    invoice: Invoice,
    mapping: Mapping,
    original: OriginalInvoice | None,
    tax_rates: dict[str, Decimal] | None,
    profile: Profile,
    original_known: bool,
    limits: CreditNoteRules | None,
    *,
    quick: bool = True,
) -> list[DocumentError]:
    rates = tax_rates or codes.default_tax_rates()
    problems: list[DocumentError] = []
    if not (quick and kra_fast_sale.precheck_clean(invoice, mapping, rates)):  # the plain case quickly, else:
        problems = list(_document_problems(invoice, mapping))
        for number, line in enumerate(invoice.lines, start=1):
            problems += _line_problems(line, number, invoice, mapping, rates)
    if invoice.is_credit_note:
        limits = limits or CreditNoteLimits()  # made only for a credit note
        problems += _credit_note_problems(invoice, mapping, original, original_known, limits)
        if original is not None and original.invoice_number is not None and not problems:
            problems += _over_credit(invoice, mapping, original, rates, profile, limits)
    return problems


def _collect(*checks: Callable[[], object]) -> list[DocumentError]:
    """Run checks that raise `DocumentError`; keep the errors, drop the results."""
    found = []
    for check in checks:
        try:
            check()
        except DocumentError as error:
            found.append(error)
    return found


# ---------------------------------------------------------------- document


def _document_problems(invoice: Invoice, mapping: Mapping) -> Iterator[DocumentError]:
    def problem(message: str, field: str, value: object = None) -> DocumentError:
        return document_error(invoice, message, field=field, value=value)

    currency, rate = invoice.currency.upper(), invoice.exchange_rate
    if not codes.is_currency(currency):
        yield problem("is not a known currency code (ISO 4217)", "currency", invoice.currency)
    if rate <= 0:
        yield problem("exchange rate must be above zero", "exchange_rate", str(rate))
    elif currency == "KES" and rate != 1:
        yield problem("a KES document must have exchange rate 1", "exchange_rate", str(rate))
    pin = normalised_pin(invoice.buyer.pin if invoice.buyer else None)
    if pin is not None and not PIN_PATTERN.match(pin):
        yield problem("buyer PIN must be a letter, 9 digits and a letter (e.g. P051234567A)", "buyer.pin", pin)
    try:
        mapping.payment_type(invoice.payment_method)
    except MappingError as error:
        yield problem(str(error), "payment_method", invoice.payment_method)


def normalised_pin(pin: str | None) -> str | None:
    """Upper-case, trimmed; empty means no PIN."""
    cleaned = (pin or "").strip().upper()
    return cleaned or None


# ---------------------------------------------------------------- lines


def _line_problems(
    line: Line, number: int, invoice: Invoice, mapping: Mapping, rates: dict[str, Decimal]
) -> list[DocumentError]:
    problems = _collect(
        lambda: _check_vat(line, number, invoice, mapping, rates),
        lambda: line_pricing(line, invoice, ZERO, number),  # excise rules
        lambda: quantity_unit(line, invoice, mapping, number),
        lambda: _check_category(line, number, invoice, mapping),
    )
    return problems + list(_number_problems(line, number, invoice))


def _check_vat(line: Line, number: int, invoice: Invoice, mapping: Mapping, rates: dict[str, Decimal]) -> None:
    letter = tax_type(line, invoice, mapping, number)  # raises on none, several or unmapped
    vat = taxes_of_kind(line, "vat")[0]
    if vat.rate is not None and letter in rates and vat.rate != rates[letter]:
        message = f"VAT rate {vat.rate} % does not match KRA tax type {letter} ({rates[letter]} %)"
        raise document_error(invoice, message, line=number, field="taxes.rate", value=str(vat.rate))
    if is_price_included(vat, line) != line.price_includes_vat:
        message = "the VAT tax's price_included contradicts the line's price_includes_vat"
        raise document_error(invoice, message, line=number, field="taxes.price_included", value=vat.code)


def _check_category(line: Line, number: int, invoice: Invoice, mapping: Mapping) -> None:
    found = category(line, invoice, mapping, number)
    origin = line.item.origin_country or found.origin_country
    if not origin or not codes.is_country(origin.upper()):
        message = "origin country is missing or not a KRA country code (class 05)"
        raise document_error(invoice, message, line=number, field="item.origin_country", value=origin)


def _number_problems(line: Line, number: int, invoice: Invoice) -> Iterator[DocumentError]:
    def problem(message: str, field: str, value: object) -> DocumentError:
        return document_error(invoice, message, line=number, field=field, value=str(value))

    if line.quantity <= 0:
        yield problem("quantity must be above zero (on credit notes too)", "quantity", line.quantity)
    elif line.quantity != line.quantity.quantize(CENT):
        yield problem("quantity has more than 2 decimals (KRA keeps 2)", "quantity", line.quantity)
    if line.unit_price < 0:
        yield problem("unit price must not be negative", "unit_price", line.unit_price)
    if not ZERO <= line.discount_percent <= 100:
        yield problem("discount must be between 0 and 100 %", "discount_percent", line.discount_percent)
    elif line.discount_percent != line.discount_percent.quantize(CENT):
        yield problem("discount has more than 2 decimals (KRA keeps 2)", "discount_percent", line.discount_percent)
    if line.item.barcode and len(line.item.barcode) > 20:
        yield problem("barcode is longer than KRA's 20 characters", "item.barcode", line.item.barcode)
    if line.quantity > 0 and round_money(line.quantity / line.units_per_package) == 0:
        message = "quantity / units_per_package is below 0.01 package (KRA's pkg keeps 2 decimals)"
        yield problem(message, "units_per_package", line.units_per_package)


# ---------------------------------------------------------------- credit notes


def _credit_note_problems(
    invoice: Invoice, mapping: Mapping, original: OriginalInvoice | None, original_known: bool, limits: CreditNoteRules
) -> Iterator[DocumentError]:
    if not invoice.refund_reason:
        yield document_error(invoice, "credit note needs a refund reason", field="refund_reason")
    else:
        try:
            mapping.refund_reason(invoice.refund_reason)
        except MappingError as error:
            yield document_error(invoice, str(error), field="refund_reason", value=invoice.refund_reason)
    if invoice.original is None:
        yield document_error(invoice, "credit note does not say which invoice it credits", field="original")
    if not original_known:
        return
    if original is None or original.invoice_number is None:
        reference = invoice.original.number if invoice.original else None
        message = "the original invoice has not been accepted by KRA yet"
        yield document_error(invoice, message, field="original", value=reference)
        return
    yield from _against_original(invoice, original)
    yield from dated_problems(invoice, original, limits)


def _against_original(invoice: Invoice, original: OriginalInvoice) -> Iterator[DocumentError]:
    pin = normalised_pin(invoice.buyer.pin if invoice.buyer else None)
    if pin != normalised_pin(original.buyer_pin):
        message = f"buyer PIN differs from the original invoice's ({original.buyer_pin or 'none'})"
        yield document_error(invoice, message, field="buyer.pin", value=pin)
    if invoice.issued_at < original.issued_at:
        message = f"credit note is dated before the original invoice ({original.issued_at.isoformat()})"
        yield document_error(invoice, message, field="issued_at", value=invoice.issued_at.isoformat())
    yield from _over_quantity(invoice, original)


def _over_quantity(invoice: Invoice, original: OriginalInvoice) -> Iterator[DocumentError]:
    credited: dict[str, Decimal] = {}
    first_line: dict[str, int] = {}
    for number, line in enumerate(invoice.lines, start=1):
        credited[line.item.code] = credited.get(line.item.code, ZERO) + line.quantity
        first_line.setdefault(line.item.code, number)
    for code, quantity in credited.items():
        remaining = original.remaining_quantity.get(code)
        if remaining is None:
            message = "item is not on the original invoice"
        elif quantity > remaining:
            message = f"credits quantity {quantity} of this item but only {remaining} remains on the original"
        else:
            continue
        yield document_error(invoice, message, line=first_line[code], field="item.code", value=code)


def _over_credit(
    invoice: Invoice,
    mapping: Mapping,
    original: OriginalInvoice,
    rates: dict[str, Decimal],
    profile: Profile,
    limits: CreditNoteRules,
) -> list[DocumentError]:
    total, prices = ZERO, []
    for number, line in enumerate(invoice.lines, start=1):
        pricing = line_pricing(line, invoice, rates[tax_type(line, invoice, mapping, number)], number)
        amounts = line_amounts(pricing, profile)
        total += amounts.total_amount
        prices.append((number, line.item.code, amounts.unit_price))
    if total > original.remaining_amount:
        message = f"credits KES {total} but only KES {original.remaining_amount} remains on the original"
        return [document_error(invoice, message, field="total", value=str(total))]
    return list(amount_problems(invoice, original, limits, total, prices))


from connector import kra_fast_sale  # noqa: E402 - it reads PIN_PATTERN from here
