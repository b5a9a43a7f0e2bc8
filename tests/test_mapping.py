"""Mapping files: packaged defaults load, lookups work, and every error names file, table and key."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from connector.errors import MappingError
from connector.mapping import CsvColumns, MissingMappingKey, load_mapping, parse_mapping
from connector.models import Tax

VALID = """
[taxes]
"VAT16" = "B"
[vat_rates]
"16.0" = "B"
"8" = "E"
[units]
"Pcs" = "NO"
[categories."*"]
item_class = "80101500"
item_type = "3"
packaging_unit = "OU"
[categories.Goods]
item_class = "5022110100"
item_type = "2"
packaging_unit = "NT"
origin_country = "KE"
[payment_methods]
"cash" = "01"
[refund_reasons]
"damaged" = "03"
"""


def error_of(text: str, file: str = "mine.toml") -> str:
    with pytest.raises(MappingError) as caught:
        parse_mapping(text, file=file)
    return str(caught.value)


@pytest.mark.parametrize("source", ["csv", "odoo", "quickbooks"])
def test_packaged_defaults_load(source: str) -> None:
    mapping = load_mapping(source)
    assert mapping.file == f"mappings/{source}/default.toml"
    assert mapping.tables.taxes and mapping.tables.units and mapping.tables.refund_reasons
    assert mapping.category(None).item_type in {"1", "2", "3"}
    assert all(len(code) == 2 for code in mapping.tables.units.values() if code == "NO")


def test_packaged_default_is_loaded_once() -> None:
    assert load_mapping("csv") is load_mapping("csv")


def test_csv_default_has_every_column() -> None:
    columns = load_mapping("csv").columns
    assert columns == CsvColumns()
    assert columns.document_number == "document_number" and columns.item_category == "item_category"
    assert len(CsvColumns.model_fields) == 24  # units_per_package added (issue 8)


def test_load_from_a_file_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(VALID, encoding="utf-8")
    mapping = load_mapping(path)
    assert mapping.file == str(path)
    assert mapping.quantity_unit("pcs") == "NO"


def test_lookups_ignore_case_and_spaces() -> None:
    mapping = parse_mapping(VALID)
    assert mapping.quantity_unit("  PCS ") == "NO"
    assert mapping.category("goods").packaging_unit == "NT"
    assert mapping.payment_type("CASH") == "01"
    assert mapping.refund_reason("Damaged") == "03"


def test_tax_type_by_code_then_by_rate() -> None:
    mapping = parse_mapping(VALID)
    assert mapping.tax_type(Tax(code="vat16")) == "B"
    assert mapping.tax_type(Tax(code="S8", rate=Decimal("8.00"))) == "E"
    assert mapping.tax_type(Tax(code="S16", rate=Decimal("16"))) == "B"


def test_missing_payment_method_uses_star_or_nothing() -> None:
    assert parse_mapping(VALID).payment_type(None) is None
    with_star = VALID.replace('"cash" = "01"', '"cash" = "01"\n"*" = "07"')
    assert parse_mapping(with_star).payment_type(None) == "07"


def test_no_origin_country_in_category_is_allowed() -> None:
    assert parse_mapping(VALID).category(None).origin_country is None


@pytest.mark.parametrize(
    ("call", "table", "key"),
    [
        (lambda m: m.quantity_unit("furlong"), "units", "furlong"),
        (lambda m: m.category("Toys"), "categories", "Toys"),
        (lambda m: m.payment_type("barter"), "payment_methods", "barter"),
        (lambda m: m.refund_reason("changed mind"), "refund_reasons", "changed mind"),
        (lambda m: m.tax_type(Tax(code="GST")), "taxes", "GST"),
    ],
)
def test_unknown_value_names_file_table_and_key(call, table: str, key: str) -> None:
    mapping = parse_mapping(VALID, file="mappings/mine.toml")
    with pytest.raises(MissingMappingKey) as caught:
        call(mapping)
    error = caught.value
    assert (error.file, error.table, error.key) == ("mappings/mine.toml", table, key)
    assert f"mappings/mine.toml: table [{table}] has no key {key!r}" in str(error)


def test_unknown_tax_mentions_the_rate_table_too() -> None:
    with pytest.raises(MappingError, match=r"\[taxes\] has no key 'GST', nor its rate 0 in \[vat_rates\]"):
        parse_mapping(VALID).tax_type(Tax(code="GST", rate=Decimal("0")))


def test_missing_category_star_is_explained() -> None:
    text = VALID.replace('[categories."*"]', "[categories.Services]")
    with pytest.raises(MappingError, match=r"\[categories\] has no key '\*' \(the key \"\*\" is used"):
        parse_mapping(text).category(None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[units]\n"pcs" = "PCS"', "mine.toml: table [units], key 'pcs': 'PCS' is not a KRA quantity unit (class 10)"),
        ('[taxes]\n"VAT16" = "F"', "mine.toml: table [taxes], key 'VAT16': 'F' is not a KRA tax type"),
        ('[vat_rates]\n"16" = "Z"', "mine.toml: table [vat_rates], key '16': 'Z' is not a KRA tax type"),
        ('[payment_methods]\n"cash" = "1"', "table [payment_methods], key 'cash': '1' is not a KRA payment type"),
        ('[refund_reasons]\n"x" = "14"', "table [refund_reasons], key 'x': '14' is not a KRA refund reason"),
        (
            '[categories.Toys]\nitem_class = "1234"\nitem_type = "2"\npackaging_unit = "NT"',
            "table [categories.Toys], key 'item_class': '1234' is not a KRA item classification",
        ),
        (
            '[categories.Toys]\nitem_class = "50221101"\nitem_type = "4"\npackaging_unit = "NT"',
            "table [categories.Toys], key 'item_type': '4' is not a KRA item type",
        ),
        (
            '[categories.Toys]\nitem_class = "50221101"\nitem_type = "2"\npackaging_unit = "BX"',
            "table [categories.Toys], key 'packaging_unit': 'BX' is not a KRA packaging unit (class 17)",
        ),
        (
            '[categories.Toys]\nitem_class = "50221101"\nitem_type = "2"\npackaging_unit = "NT"\norigin_country = "XX"',
            "table [categories.Toys], key 'origin_country': 'XX' is not a KRA country code",
        ),
        (
            '[categories.Toys]\nitem_class = "50221101"\nitem_type = "2"',
            "table [categories.Toys], key 'packaging_unit'",
        ),
        ('[columns]\ninvoice_no = "No."', "table [columns], key 'invoice_no': is not a known table or key"),
        ("[units]\n[colours]\nred = 1", "mine.toml: [colours] is not a known table or key"),
        ('[vat_rates]\n"sixteen" = "B"', "mine.toml: table [vat_rates], key 'sixteen' is not a rate in percent"),
        ('[units]\n"pcs" = "NO"\n"PCS " = "NO"', "table [units] has keys 'pcs' and 'PCS', which are the same when"),
        ("[units\n", "mine.toml: not valid TOML"),
    ],
)
def test_invalid_files_are_refused_at_load_time(text: str, expected: str) -> None:
    assert expected in error_of(text)


def test_every_problem_is_reported_at_once() -> None:
    message = error_of('[units]\n"a" = "Q1"\n"b" = "Q2"')
    assert "key 'a'" in message and "key 'b'" in message


def test_missing_file_and_unknown_source() -> None:
    with pytest.raises(MappingError, match="does not exist"):
        load_mapping("/nonexistent/mapping.toml")
    with pytest.raises(MappingError, match="csv, odoo, quickbooks"):
        load_mapping("sage")
