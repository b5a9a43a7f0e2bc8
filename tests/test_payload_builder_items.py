"""Item codes, saveItem requests, and the header rules of build_sale (dates, texts, flags, errors)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connector.errors import ConfigurationError, DocumentError, MappingError
from connector.kra_payload import AuditNames, ItemSpec, build_save_item, format_item_code, item_spec
from connector.models import Party, Tax
from tests.test_payload_builder_support import TAX_RATES, build, golden_mapping, item_codes_for, load_invoice

MAPPING = golden_mapping()


def spec(**changes: object) -> ItemSpec:
    fields: dict[str, object] = {
        "item_class": "1010150000",
        "item_type": "2",
        "packaging_unit": "NT",
        "quantity_unit": "NO",
        "origin_country": "KE",
        "tax_type": "B",
        "name": "Test Item",
        "barcode": None,
        "default_price": Decimal("100.00"),
    }
    fields.update(changes)
    return ItemSpec(**fields)


# ---------------------------------------------------------------- item codes


def test_item_code_format_from_the_spec() -> None:
    assert format_item_code(spec(quantity_unit="BA"), 12) == "KE2NTBA0000012"  # spec §4.19 example
    assert format_item_code(spec(), 1) == "KE2NTNO0000001"  # GavaConnect-accepted sample, §8.2
    assert format_item_code(spec(), 9_999_999) == "KE2NTNO9999999"


@pytest.mark.parametrize("unit", ["U", "BLL", "GRM"])
def test_strict_item_codes_need_two_character_units(unit: str) -> None:
    with pytest.raises(MappingError, match=rf"quantity unit '{unit}' cannot be part of a KRA item code.*exactly 2"):
        format_item_code(spec(quantity_unit=unit), 1)


def test_strict_item_codes_need_two_character_packaging() -> None:
    with pytest.raises(MappingError, match="packaging unit 'CTN'"):
        format_item_code(spec(packaging_unit="CTN"), 1)


def test_legacy_item_codes_pad_one_character_units() -> None:
    assert format_item_code(spec(item_type="1", quantity_unit="U"), 1, strict=False) == "KE1NTXU0000001"


@pytest.mark.parametrize("sequence", [0, -1, 10_000_000])
def test_item_code_sequence_range(sequence: int) -> None:
    with pytest.raises(ValueError, match="sequence"):
        format_item_code(spec(), sequence)


def test_item_spec_from_the_mapping() -> None:
    invoice = load_invoice("vat-bands")
    found = item_spec(invoice.lines[3], invoice, MAPPING)
    assert found == ItemSpec(
        item_class="80101500",
        item_type="3",
        packaging_unit="OU",
        quantity_unit="NO",
        origin_country="KE",
        tax_type="D",
        name="Delivery (non-VAT)",
        barcode=None,
        default_price=Decimal("350.00"),
    )


def test_item_origin_overrides_the_category_and_price_is_in_kes() -> None:
    invoice = load_invoice("foreign-currency")
    invoice.lines[0].item.origin_country = "cn"
    found = item_spec(invoice.lines[0], invoice, MAPPING)
    assert (found.origin_country, found.default_price) == ("CN", Decimal("2588.71"))  # 19.99 x 129.50


def test_item_spec_mapping_gap_is_a_document_error() -> None:
    invoice = load_invoice("simple-sale")
    invoice.lines[0].unit = "crate"
    with pytest.raises(DocumentError) as caught:
        item_spec(invoice.lines[0], invoice, MAPPING)
    assert (caught.value.field, caught.value.value) == ("unit", "crate")


def test_save_item_request_matches_the_accepted_sample() -> None:
    request = build_save_item(spec(), "KE2NTNO0000001", AuditNames(id="Admin", name="Admin"))
    wire = request.to_wire()
    assert {key: wire[key] for key in ("itemCd", "itemClsCd", "itemTyCd", "itemNm", "orgnNatCd", "pkgUnitCd")} == {
        "itemCd": "KE2NTNO0000001",
        "itemClsCd": "1010150000",
        "itemTyCd": "2",
        "itemNm": "Test Item",
        "orgnNatCd": "KE",
        "pkgUnitCd": "NT",
    }
    rest = [wire[name] for name in ("qtyUnitCd", "taxTyCd", "dftPrc", "isrcAplcbYn", "useYn")]
    assert rest == ["NO", "B", Decimal("100.00"), "N", "Y"]
    assert (wire["regrId"], wire["modrId"], wire["regrNm"], wire["modrNm"]) == ("Admin",) * 4


# ---------------------------------------------------------------- build_sale header rules


def test_dates_are_east_africa_time() -> None:
    invoice = load_invoice("simple-sale")
    invoice.issued_at = datetime(2024, 4, 15, 22, 30, tzinfo=UTC)  # 01:30 on the 16th in Nairobi
    wire = build(invoice, "legacy", confirmed_at=datetime(2024, 4, 15, 21, 0, 5, tzinfo=UTC))
    assert (wire["salesDt"], wire["cfmDt"], wire["stockRlsDt"]) == ("20240416", "20240416000005", "20240416000005")
    assert wire["receipt"]["rcptPbctDt"] == "20240416000005"


def test_long_texts_are_cut_to_kra_lengths() -> None:
    invoice = load_invoice("simple-sale")
    invoice.number = "N" * 60
    invoice.remark = "R" * 500
    invoice.buyer = Party(name="B" * 80, pin="A000123456F", mobile="0" * 25, address="A" * 250)
    invoice.lines[0].description = "D" * 250
    wire = build(invoice, "gavaconnect", trade_name="T" * 30, top_message="top " * 10, bottom_message="b" * 21)
    receipt = wire["receipt"]
    assert (len(wire["trdInvcNo"]), len(wire["custNm"]), len(wire["remark"])) == (50, 60, 400)
    assert (len(receipt["custMblNo"]), len(receipt["adrs"]), len(receipt["trdeNm"])) == (20, 200, 20)
    assert (len(receipt["topMsg"]), len(receipt["btmMsg"]), len(wire["itemList"][0]["itemNm"])) == (20, 20, 200)


def test_walk_in_buyer_and_lower_case_pin() -> None:
    invoice = load_invoice("simple-sale")
    walk_in = build(invoice.model_copy(update={"buyer": None}), "legacy")
    assert (walk_in["custTin"], walk_in["custNm"], walk_in["receipt"]["custTin"]) == (None, None, None)
    invoice.buyer.pin = " a000123456f "
    assert build(invoice, "legacy")["custTin"] == "A000123456F"


def test_a_bad_pin_is_never_cut_or_sent() -> None:
    invoice = load_invoice("simple-sale")
    invoice.buyer.pin = "A000123456FX"
    with pytest.raises(DocumentError) as caught:
        build(invoice, "legacy")
    assert caught.value.field == "buyer.pin"


def test_item_name_falls_back_to_the_product_name() -> None:
    invoice = load_invoice("simple-sale")
    invoice.lines[0].description = ""
    assert build(invoice, "legacy")["itemList"][0]["itemNm"] == "Soda 500 ml"


def test_profile_specific_flags() -> None:
    invoice = load_invoice("credit-note")
    legacy, gava = build(invoice, "legacy"), build(invoice, "gavaconnect")
    assert (legacy["prchrAcptcYn"], legacy["receipt"]["prchrAcptcYn"], legacy["rfdDt"]) == ("Y", "N", None)
    assert (gava["prchrAcptcYn"], gava["receipt"]["prchrAcptcYn"], gava["rfdDt"]) == ("N", "N", "20240416100000")
    assert (legacy["itemList"][0]["pkg"], gava["itemList"][0]["pkg"]) == (6, 1)
    for wire in (legacy, gava):
        assert (wire["rcptTyCd"], wire["orgInvcNo"], wire["rfdRsnCd"], wire["salesTyCd"]) == ("R", 1, "03", "N")
        assert (wire["tin"], wire["bhfId"], wire["salesSttsCd"]) == ("P051234567A", "00", "02")


def test_sales_have_no_credit_note_fields() -> None:
    wire = build(load_invoice("simple-sale"), "gavaconnect")
    assert (wire["rcptTyCd"], wire["orgInvcNo"], wire["rfdRsnCd"], wire["rfdDt"]) == ("S", 0, None, None)


def test_payment_type_from_mapping_or_none() -> None:
    invoice = load_invoice("simple-sale")
    assert build(invoice, "legacy")["pmtTyCd"] == "01"
    assert build(invoice.model_copy(update={"payment_method": None}), "legacy")["pmtTyCd"] is None


def test_header_rates_come_from_the_argument() -> None:
    rates = {**TAX_RATES, "E": Decimal("0")}
    wire = build(load_invoice("simple-sale"), "gavaconnect", tax_rates=rates)
    assert [wire[f"taxRt{letter}"] for letter in "ABCDE"] == [0, 16, 0, 0, 0]


def test_total_tax_is_vat_only_even_with_excise() -> None:
    wire = build(load_invoice("excise-folded"), "legacy")
    assert wire["totTaxAmt"] == sum(wire[f"taxAmt{letter}"] for letter in "ABCDE") == Decimal("412.80")


# ---------------------------------------------------------------- build_sale errors


def test_missing_item_code() -> None:
    invoice = load_invoice("simple-sale")
    with pytest.raises(DocumentError) as caught:
        build(invoice, "legacy", item_codes={})
    assert (caught.value.line, caught.value.field, caught.value.value) == (1, "item.code", "SODA-500")


def test_credit_note_needs_the_original_number() -> None:
    with pytest.raises(DocumentError, match="KRA invoice number of its original"):
        build(load_invoice("credit-note"), "gavaconnect", original_invoice_number=None)


def test_credit_note_needs_a_reason() -> None:
    invoice = load_invoice("credit-note").model_copy(update={"refund_reason": None})
    with pytest.raises(DocumentError, match="refund reason"):
        build(invoice, "legacy")


def test_unmapped_vat_tax_stops_the_build() -> None:
    invoice = load_invoice("simple-sale")
    invoice.lines[0].taxes = [Tax(code="GST")]
    with pytest.raises(DocumentError, match=r"table \[taxes\] has no key 'GST'"):
        build(invoice, "legacy")


def test_quantity_with_more_than_two_decimals_stops_the_build() -> None:
    invoice = load_invoice("simple-sale")
    invoice.lines[0].quantity = Decimal("1.005")
    with pytest.raises(DocumentError) as caught:
        build(invoice, "gavaconnect")
    assert (caught.value.field, caught.value.value) == ("quantity", "1.005")


@pytest.mark.parametrize(
    "rates",
    [
        {"A": Decimal(0), "B": Decimal(16)},
        {**TAX_RATES, "B": Decimal("-1")},
        {**TAX_RATES, "B": Decimal("16.001")},
        {**TAX_RATES, "B": 16.0},
    ],
)
def test_tax_rates_must_be_complete_and_exact(rates: dict) -> None:
    with pytest.raises(ConfigurationError):
        build(load_invoice("simple-sale"), "legacy", tax_rates=rates)


def test_unknown_profile() -> None:
    with pytest.raises(ConfigurationError, match="profile"):
        build(load_invoice("simple-sale"), "vscu")


def test_item_codes_helper_numbers_items_once() -> None:
    invoice = load_invoice("inclusive-and-exclusive")
    assert item_codes_for(invoice, MAPPING) == {
        "WIDGET": "KE2NTNO0000001",
        "BOLT": "KE2NTNO0000002",
        "NUT": "KE2NTNO0000003",
    }
