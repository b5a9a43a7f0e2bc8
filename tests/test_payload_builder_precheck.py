"""Pre-checks: each problem gives its own DocumentError naming document, line, field and value."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from connector.errors import DocumentError
from connector.kra_payload import OriginalInvoice, precheck
from connector.models import Invoice, Tax
from tests.test_payload_builder_support import golden_mapping, load_invoice

MAPPING = golden_mapping()


def sale(**changes: Any) -> Invoice:
    return load_invoice("simple-sale").model_copy(update=changes, deep=True)


def with_line(**changes: Any) -> Invoice:
    invoice = sale()
    for name, value in changes.items():
        setattr(invoice.lines[0], name, value)
    return invoice


def credit_note() -> Invoice:
    return load_invoice("credit-note")


def accepted_original(**changes: Any) -> OriginalInvoice:
    invoice = load_invoice("simple-sale")
    fields: dict[str, Any] = {
        "invoice_number": 1,
        "buyer_pin": "A000123456F",
        "issued_at": invoice.issued_at,
        "remaining_quantity": {"SODA-500": Decimal("24")},
        "remaining_amount": Decimal("1392.00"),
    }
    fields.update(changes)
    return OriginalInvoice(**fields)


def only(problems: list[DocumentError]) -> DocumentError:
    assert len(problems) == 1, [p.describe() for p in problems]
    return problems[0]


def test_valid_documents_pass() -> None:
    assert precheck(sale(), MAPPING) == []
    assert precheck(credit_note(), MAPPING, original=accepted_original()) == []
    for scenario in ("vat-bands", "line-discounts", "foreign-currency", "excise-folded", "tiny-amounts"):
        assert precheck(load_invoice(scenario), MAPPING) == [], scenario


@pytest.mark.parametrize(
    ("taxes", "value"),
    [([], "none"), ([Tax(code="VAT16", rate=Decimal("16")), Tax(code="VAT8", rate=Decimal("8"))], "VAT16, VAT8")],
)
def test_zero_or_several_vat_taxes(taxes: list[Tax], value: str) -> None:
    error = only(precheck(with_line(taxes=taxes), MAPPING))
    assert (error.document, error.line, error.field, error.value) == ("INV-0001", 1, "taxes", value)
    assert "exactly one VAT tax" in error.message


def test_excise_and_withholding_are_not_vat() -> None:
    taxes = [
        Tax(code="VAT16"),
        Tax(code="EXC", rate=Decimal("10"), kind="excise", price_included=True),
        Tax(code="WHT", rate=Decimal("2"), kind="withholding"),
    ]
    assert precheck(with_line(taxes=taxes), MAPPING) == []


def test_unmapped_vat_tax() -> None:
    error = only(precheck(with_line(taxes=[Tax(code="GST", rate=Decimal("15"))]), MAPPING))
    assert (error.line, error.field, error.value) == (1, "taxes.code", "GST")
    assert "mapping.toml: table [taxes] has no key 'GST'" in error.message


def test_vat_rate_that_contradicts_the_tax_type() -> None:
    error = only(precheck(with_line(taxes=[Tax(code="VAT16", rate=Decimal("14"))]), MAPPING))
    assert (error.field, error.value) == ("taxes.rate", "14")
    assert "does not match KRA tax type B (16 %)" in error.message


def test_rates_are_compared_with_the_given_table() -> None:
    rates = {"A": Decimal(0), "B": Decimal(16), "C": Decimal(0), "D": Decimal(0), "E": Decimal(0)}
    invoice = with_line(taxes=[Tax(code="VAT8", rate=Decimal("8"))])
    assert precheck(invoice, MAPPING) == []
    assert "type E (0 %)" in only(precheck(invoice, MAPPING, tax_rates=rates)).message


def test_vat_price_included_flag_that_contradicts_the_line() -> None:
    error = only(precheck(with_line(taxes=[Tax(code="VAT16", price_included=False)]), MAPPING))
    assert error.field == "taxes.price_included"


def test_excise_on_top_of_a_vat_inclusive_price() -> None:
    taxes = [Tax(code="VAT16"), Tax(code="EXC", rate=Decimal("20"), kind="excise", price_included=False)]
    error = only(precheck(with_line(taxes=taxes), MAPPING))
    assert (error.field, error.value) == ("taxes", "EXC") and "VAT-inclusive" in error.message


def test_excise_on_top_without_a_rate() -> None:
    taxes = [Tax(code="VAT16"), Tax(code="EXC", kind="excise", price_included=False)]
    error = only(precheck(with_line(taxes=taxes, price_includes_vat=False), MAPPING))
    assert "needs a rate" in error.message


def test_unit_without_kra_code() -> None:
    error = only(precheck(with_line(unit="crate"), MAPPING))
    assert (error.line, error.field, error.value) == (1, "unit", "crate")
    assert "table [units] has no key 'crate'" in error.message


def test_unknown_item_category() -> None:
    invoice = sale()
    invoice.lines[0].item.category = "toys"
    error = only(precheck(invoice, MAPPING))
    assert (error.field, error.value) == ("item.category", "toys")


def test_bad_origin_country() -> None:
    invoice = sale()
    invoice.lines[0].item.origin_country = "XY"
    assert only(precheck(invoice, MAPPING)).field == "item.origin_country"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("quantity", Decimal("0"), "above zero"),
        ("quantity", Decimal("-2"), "above zero"),
        ("quantity", Decimal("1.125"), "more than 2 decimals"),
        ("unit_price", Decimal("-0.01"), "must not be negative"),
        ("discount_percent", Decimal("-5"), "between 0 and 100"),
        ("discount_percent", Decimal("100.5"), "between 0 and 100"),
        ("discount_percent", Decimal("12.345"), "more than 2 decimals"),
    ],
)
def test_numbers_out_of_range(field: str, value: Decimal, words: str) -> None:
    error = only(precheck(with_line(**{field: value}), MAPPING))
    assert (error.document, error.line, error.field, error.value) == ("INV-0001", 1, field, str(value))
    assert words in error.message


def test_zero_price_and_full_discount_are_allowed() -> None:
    assert precheck(with_line(unit_price=Decimal("0"), discount_percent=Decimal("100")), MAPPING) == []


def test_barcode_longer_than_kra_allows() -> None:
    invoice = sale()
    invoice.lines[0].item.barcode = "1" * 21
    assert only(precheck(invoice, MAPPING)).field == "item.barcode"


@pytest.mark.parametrize("pin", ["A00012345F", "0000123456F", "A000123456", "AA00123456F", "A000 23456F"])
def test_buyer_pin_in_the_wrong_format(pin: str) -> None:
    invoice = sale()
    invoice.buyer.pin = pin
    error = only(precheck(invoice, MAPPING))
    assert (error.field, error.line) == ("buyer.pin", None) and "letter, 9 digits and a letter" in error.message


def test_lower_case_pin_and_walk_in_buyer_are_fine() -> None:
    invoice = sale()
    invoice.buyer.pin = "a000123456f"
    assert precheck(invoice, MAPPING) == []
    assert precheck(sale(buyer=None), MAPPING) == []


def test_unknown_currency() -> None:
    error = only(precheck(sale(currency="XYZ", exchange_rate=Decimal("2")), MAPPING))
    assert (error.field, error.value) == ("currency", "XYZ")


@pytest.mark.parametrize("rate", [Decimal("0"), Decimal("-129.5")])
def test_non_positive_exchange_rate(rate: Decimal) -> None:
    error = only(precheck(sale(currency="USD", exchange_rate=rate), MAPPING))
    assert (error.field, error.value) == ("exchange_rate", str(rate))


def test_kes_document_with_a_rate() -> None:
    assert only(precheck(sale(exchange_rate=Decimal("129.50")), MAPPING)).field == "exchange_rate"


def test_unmapped_payment_method() -> None:
    error = only(precheck(sale(payment_method="barter"), MAPPING))
    assert (error.field, error.value) == ("payment_method", "barter")


def test_several_problems_are_all_reported() -> None:
    invoice = with_line(quantity=Decimal("0"), unit="crate")
    invoice.currency = "XYZ"
    fields = sorted(problem.field for problem in precheck(invoice, MAPPING))
    assert fields == ["currency", "quantity", "unit"]


# ---------------------------------------------------------------- credit notes


def test_credit_note_without_reason() -> None:
    note = credit_note().model_copy(update={"refund_reason": None})
    assert only(precheck(note, MAPPING, original=accepted_original())).field == "refund_reason"


def test_credit_note_with_unmapped_reason() -> None:
    note = credit_note().model_copy(update={"refund_reason": "changed mind"})
    error = only(precheck(note, MAPPING, original=accepted_original()))
    assert (error.field, error.value) == ("refund_reason", "changed mind")


def test_credit_note_without_reference_to_its_original() -> None:
    note = credit_note().model_copy(update={"original": None})
    problems = precheck(note, MAPPING, original=None)
    assert [p.field for p in problems] == ["original", "original"]


@pytest.mark.parametrize("original", [None, accepted_original(invoice_number=None)])
def test_credit_note_whose_original_is_not_accepted(original: OriginalInvoice | None) -> None:
    error = only(precheck(credit_note(), MAPPING, original=original))
    assert (error.field, error.value) == ("original", "INV-0001")
    assert "not been accepted by KRA" in error.message


def test_credit_note_with_another_buyer_pin() -> None:
    error = only(precheck(credit_note(), MAPPING, original=accepted_original(buyer_pin="P051234567Z")))
    assert (error.field, error.value) == ("buyer.pin", "A000123456F")
    assert "P051234567Z" in error.message


def test_credit_note_for_a_walk_in_original_must_not_add_a_buyer_pin() -> None:
    assert only(precheck(credit_note(), MAPPING, original=accepted_original(buyer_pin=None))).field == "buyer.pin"


def test_credit_note_dated_before_its_original() -> None:
    note = credit_note()
    original = accepted_original(issued_at=note.issued_at + timedelta(minutes=1))
    assert only(precheck(note, MAPPING, original=original)).field == "issued_at"


def test_credit_note_crediting_more_quantity_than_remains() -> None:
    error = only(precheck(credit_note(), MAPPING, original=accepted_original(remaining_quantity={"SODA-500": 5})))
    assert (error.line, error.field, error.value) == (1, "item.code", "SODA-500")
    assert "credits quantity 6" in error.message and "only 5 remains" in error.message


def test_credit_note_quantity_is_summed_per_item() -> None:
    note = credit_note()
    note.lines.append(note.lines[0].model_copy())  # 6 + 6 of the same item
    original = accepted_original(remaining_quantity={"SODA-500": Decimal("11")})
    assert only(precheck(note, MAPPING, original=original)).field == "item.code"


def test_credit_note_for_an_item_not_on_the_original() -> None:
    error = only(precheck(credit_note(), MAPPING, original=accepted_original(remaining_quantity={"OTHER": 1})))
    assert "not on the original invoice" in error.message


@pytest.mark.parametrize(("profile", "remaining"), [("legacy", "347.99"), ("gavaconnect", "347.99")])
def test_credit_note_crediting_more_amount_than_remains(profile: str, remaining: str) -> None:
    original = accepted_original(remaining_amount=Decimal(remaining))
    error = only(precheck(credit_note(), MAPPING, original=original, profile=profile))
    assert (error.field, error.value) == ("total", "348.00")
    assert "credits KES 348.00 but only KES 347.99 remains" in error.message


def test_credit_note_for_exactly_what_remains_passes() -> None:
    original = accepted_original(remaining_quantity={"SODA-500": 6}, remaining_amount=Decimal("348.00"))
    assert precheck(credit_note(), MAPPING, original=original) == []


def test_invoice_ignores_original_arguments() -> None:
    assert precheck(sale(), MAPPING, original=None) == []


def test_a_source_can_check_a_credit_note_before_the_ledger_knows_its_original() -> None:
    note = credit_note()
    assert precheck(note, MAPPING, original_known=False) == []
    unreasoned = note.model_copy(update={"refund_reason": None})
    assert only(precheck(unreasoned, MAPPING, original_known=False)).field == "refund_reason"
    assert only(precheck(note, MAPPING)).field == "original"  # the default still asks for it
