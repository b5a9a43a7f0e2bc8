"""Every tax case of the recorded samples (03a-03g, 04), on fake Odoo 17 and 18 through real odoorpc: the
canonical invoice, and the KRA request the core builds from it, agree with Odoo's own totals.

The expected figures are those real Odoo 17 and 18 computed (samples/odoo/SUMMARY.md and 05-poll-moves).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from connector import jsonio
from connector.errors import DocumentError
from connector.kra_payload import build_sale, check_erp_totals, format_item_code, item_spec
from connector.models import Invoice
from plugins.odoo.adapter import OdooAdapter
from plugins.odoo.harness import adapter_for
from plugins.odoo.testing import FakeOdoo, InvoiceLine
from tests import test_payload_builder_support as support

D = Decimal


@pytest.fixture(params=["17", "18"])
def odoo(request: pytest.FixtureRequest) -> Iterator[FakeOdoo]:
    with FakeOdoo(version=request.param, addon=True) as fake:
        yield fake


@pytest.fixture
def adapter(odoo: FakeOdoo) -> Iterator[OdooAdapter]:
    adapter = adapter_for(odoo)
    yield adapter
    adapter.close()


def read(adapter: OdooAdapter, move_id: int) -> Invoice:
    [document] = list(adapter.fetch_changed([str(move_id)]))
    return adapter.to_canonical(document)


def kra(invoice: Invoice, adapter: OdooAdapter) -> dict[str, Any]:
    """The legacy-profile request (the legacy API accepts 1-character units such as L in item codes)."""
    codes: dict[str, str] = {}
    for item in invoice.lines:
        spec = item_spec(item, invoice, adapter.mapping)
        codes.setdefault(item.item.code, format_item_code(spec, len(codes) + 1, strict=False))
    request = build_sale(
        invoice, profile="legacy", mapping=adapter.mapping, device=support.DEVICE, audit=support.AUDIT,
        invoice_number=2 if invoice.is_credit_note else 1,
        original_invoice_number=1 if invoice.is_credit_note else None, item_codes=codes,
        tax_rates=support.TAX_RATES, confirmed_at=datetime(2026, 12, 3, 8, 0, tzinfo=UTC),
    )  # fmt: skip
    wire = jsonio.loads(jsonio.dumps(request.to_wire()))
    assert check_erp_totals(invoice, wire) is None, "the core's cross-check finds Odoo's totals off"
    return wire


def line(product: int, quantity: Any, price: Any, taxes: list[int], **extra: Any) -> InvoiceLine:
    return InvoiceLine(product=product, quantity=quantity, price_unit=price, taxes=taxes, **extra)


def assert_matches_odoo(odoo: FakeOdoo, move_id: int, wire: dict[str, Any], vat: Decimal) -> None:
    """KRA's total equals Odoo's company-currency total; KRA's tax equals Odoo's VAT."""
    move = odoo.record("account.move", move_id)
    assert wire["totAmt"] == abs(D(str(move["amount_total_signed"])))
    assert sum(wire[f"taxAmt{letter}"] for letter in "ABCDE") == vat
    assert wire["totTaxAmt"] == vat
    assert wire["totItemCnt"] == len(wire["itemList"])


def test_03a_vat16_excluded_with_a_10_percent_discount(odoo: FakeOdoo, adapter: OdooAdapter) -> None:
    ids = odoo.ids
    move_id = odoo.make_invoice(lines=[line(ids.product_widget, 3, "1000", [ids.tax_vat16], discount="10"),
                                       line(ids.product_service, 2, "2500", [ids.tax_vat16])])  # fmt: skip
    invoice = read(adapter, move_id)
    widget, service = invoice.lines
    assert (widget.quantity, widget.unit_price, widget.discount_percent) == (3, 1000, 10)
    assert not widget.price_includes_vat and [t.kind for t in widget.taxes] == ["vat"]
    assert widget.item.code == "WID-500" and widget.item.barcode == "6161234567890"
    assert service.item.category == "service" and widget.item.category == "consu"
    assert invoice.buyer is not None and invoice.buyer.pin == "P051234567A"
    wire = kra(invoice, adapter)
    assert (wire["taxblAmtB"], wire["taxAmtB"], wire["totAmt"]) == (D("7700"), D("1232"), D("8932"))
    assert wire["itemList"][0]["dcRt"] == 10 and wire["itemList"][0]["dcAmt"] == 300
    assert_matches_odoo(odoo, move_id, wire, D("1232"))


def test_03b_vat16_included_prices(odoo: FakeOdoo, adapter: OdooAdapter) -> None:
    ids = odoo.ids
    move_id = odoo.make_invoice(lines=[line(ids.product_widget, 3, "1000", [ids.tax_vat16_incl]),
                                       line(ids.product_service, 1, "99.99", [ids.tax_vat16_incl])],
                                partner=ids.partner_walkin)  # fmt: skip
    invoice = read(adapter, move_id)
    assert all(item.price_includes_vat for item in invoice.lines)
    assert invoice.buyer is not None and invoice.buyer.pin is None  # B2C walk-in: no PIN is fine
    wire = kra(invoice, adapter)
    assert [i["taxblAmt"] for i in wire["itemList"]] == [D("2586.21"), D("86.20")]  # Odoo's price_subtotal
    assert (wire["taxblAmtB"], wire["taxAmtB"], wire["totAmt"]) == (D("2672.41"), D("427.58"), D("3099.99"))
    assert_matches_odoo(odoo, move_id, wire, D("427.58"))


def test_03c_sections_and_notes_are_not_reported(odoo: FakeOdoo, adapter: OdooAdapter) -> None:
    ids = odoo.ids
    move_id = odoo.make_invoice(lines=[line(ids.product_widget, 1, "1000", [ids.tax_vat16]),
                                       InvoiceLine.section("On-site services"),
                                       InvoiceLine.note("Installation on 3 December, Nairobi office."),
                                       line(ids.product_service, 1, "2500", [ids.tax_vat16])])  # fmt: skip
    invoice = read(adapter, move_id)
    assert [item.item.code for item in invoice.lines] == ["WID-500", "SRV-CONS"]
    wire = kra(invoice, adapter)
    assert [i["itemSeq"] for i in wire["itemList"]] == [1, 2]
    assert (wire["taxblAmtB"], wire["totAmt"]) == (D("3500"), D("4060"))
    assert_matches_odoo(odoo, move_id, wire, D("560"))


def test_03d_eur_invoice_at_its_own_rate(odoo: FakeOdoo, adapter: OdooAdapter) -> None:
    ids = odoo.ids
    move_id = odoo.make_invoice(lines=[line(ids.product_widget, 2, "50", [ids.tax_vat16]),
                                       line(ids.product_service, 1, "120", [ids.tax_vat16])],
                                currency=ids.eur)  # fmt: skip
    invoice = read(adapter, move_id)
    assert invoice.currency == "EUR" and invoice.exchange_rate == 130
    wire = kra(invoice, adapter)
    assert (wire["taxblAmtB"], wire["taxAmtB"], wire["totAmt"]) == (D("28600"), D("4576"), D("33176"))
    assert_matches_odoo(odoo, move_id, wire, D("4576"))


def test_03e_vat16_and_exempt_lines(odoo: FakeOdoo, adapter: OdooAdapter) -> None:
    ids = odoo.ids
    move_id = odoo.make_invoice(lines=[line(ids.product_widget, 1, "1000", [ids.tax_vat16]),
                                       line(ids.product_flour, 4, "200", [ids.tax_exempt])])  # fmt: skip
    wire = kra(read(adapter, move_id), adapter)
    assert [i["taxTyCd"] for i in wire["itemList"]] == ["B", "A"]
    assert (wire["taxblAmtA"], wire["taxAmtA"], wire["taxblAmtB"]) == (D("800"), D("0"), D("1000"))
    assert_matches_odoo(odoo, move_id, wire, D("160"))


def test_03f_kilograms_and_dozens_keep_the_line_unit(odoo: FakeOdoo, adapter: OdooAdapter) -> None:
    ids = odoo.ids
    move_id = odoo.make_invoice(lines=[line(ids.product_sugar, "2.5", "180", [ids.tax_vat16], uom=ids.uom_kg),
                                       line(ids.product_widget, "1.5", "11000", [ids.tax_vat16], uom=ids.uom_dozens)],
                                partner=ids.partner_walkin)  # fmt: skip
    invoice = read(adapter, move_id)
    assert [(item.unit, item.quantity) for item in invoice.lines] == [("kg", D("2.5")), ("Dozens", D("1.5"))]
    wire = kra(invoice, adapter)
    assert [i["qtyUnitCd"] for i in wire["itemList"]] == ["KG", "DZ"]
    assert (wire["taxblAmtB"], wire["totAmt"]) == (D("16950"), D("19662"))
    assert_matches_odoo(odoo, move_id, wire, D("2712"))


def test_03g_fixed_excise_raises_the_vat_base_and_8_percent(odoo: FakeOdoo, adapter: OdooAdapter) -> None:
    ids = odoo.ids
    soda_line = line(ids.product_soda, 24, "50", [ids.tax_excise, ids.tax_vat16])
    move_id = odoo.make_invoice(lines=[soda_line, line(ids.product_fuel, 10, "180", [ids.tax_vat8], uom=ids.uom_litre)])
    invoice = read(adapter, move_id)
    soda = invoice.lines[0]
    assert sorted(t.kind for t in soda.taxes) == ["excise", "vat"]
    wire = kra(invoice, adapter)
    # Odoo: excise 24 x 5 = 120 is in the 16 % base (1200 -> 1320); its amount_tax 475.2 includes the excise.
    assert (wire["taxblAmtB"], wire["taxAmtB"]) == (D("1320"), D("211.20"))
    assert (wire["taxblAmtE"], wire["taxAmtE"]) == (D("1800"), D("144"))
    assert wire["totAmt"] == D("3475.20")
    assert_matches_odoo(odoo, move_id, wire, D("355.20"))
    assert D(str(odoo.record("account.move", move_id)["amount_tax"])) == D("475.2")


def test_04_credit_note_names_its_original_and_reason(odoo: FakeOdoo, adapter: OdooAdapter) -> None:
    ids = odoo.ids
    original = odoo.make_invoice(lines=[line(ids.product_widget, 3, "1000", [ids.tax_vat16], discount="10"),
                                        line(ids.product_service, 2, "2500", [ids.tax_vat16])])  # fmt: skip
    refund = odoo.make_credit_note(original, reason="Goods returned: 1 widget damaged in transit")
    invoice = read(adapter, refund)
    assert invoice.kind == "credit_note"
    assert invoice.original is not None and invoice.original.external_id == str(original)
    assert invoice.original.number == odoo.record("account.move", original)["name"]
    assert invoice.refund_reason == "Damaged" and adapter.mapping.refund_reason(invoice.refund_reason) == "03"
    assert all(item.quantity > 0 and item.unit_price > 0 for item in invoice.lines)  # positive on credit notes
    wire = kra(invoice, adapter)
    assert (wire["rcptTyCd"], wire["rfdRsnCd"], wire["orgInvcNo"]) == ("R", "03", 1)
    assert_matches_odoo(odoo, refund, wire, D("1232"))


def test_an_unrecognised_reason_uses_the_configured_default(odoo: FakeOdoo) -> None:
    ids = odoo.ids
    original = odoo.make_invoice(lines=[line(ids.product_widget, 1, "1000", [ids.tax_vat16])])
    refund = odoo.make_credit_note(original, reason="customer changed their mind")
    adapter = adapter_for(odoo, refund_reason="Other")
    assert read(adapter, refund).refund_reason == "Other"


def test_erp_totals_are_odoos_document_currency_amounts(odoo: FakeOdoo, adapter: OdooAdapter) -> None:
    ids = odoo.ids
    move_id = odoo.make_invoice(lines=[line(ids.product_widget, 2, "50", [ids.tax_vat16])], currency=ids.eur)
    totals = read(adapter, move_id).erp_totals
    assert totals is not None
    assert (totals.untaxed, totals.tax, totals.total) == (D("100"), D("16"), D("116"))


def test_a_group_tax_is_replaced_by_its_children(odoo: FakeOdoo, adapter: OdooAdapter) -> None:
    ids = odoo.ids
    group = odoo.builder.add_tax("VAT 16% group", 0, "group", children=[ids.tax_vat16])
    move_id = odoo.make_invoice(lines=[line(ids.product_widget, 1, "1000", [group])])
    [only] = read(adapter, move_id).lines
    assert [(t.code, t.rate, t.kind) for t in only.taxes] == [("VAT 16%", D("16"), "vat")]


@pytest.mark.parametrize(
    ("change", "field", "value_part"),
    [
        ("unknown_tax", "tax_ids", "Mystery levy"),
        ("unknown_uom", "product_uom_id", "Barrels"),
        ("combo_product", "product.type", "combo"),
        ("bad_pin", "partner_id.vat", "12345"),
        ("negative_line", "quantity", "-1"),
    ],
)
def test_unreportable_values_name_the_odoo_record_field_and_value(
    odoo: FakeOdoo, adapter: OdooAdapter, change: str, field: str, value_part: str
) -> None:
    ids, builder, store = odoo.ids, odoo.builder, odoo.store
    product, taxes, quantity, uom, partner = ids.product_widget, [ids.tax_vat16], 1, None, ids.partner_acme
    if change == "unknown_tax":
        taxes = [builder.add_tax("Mystery levy 3%", 3)]
    elif change == "unknown_uom":
        uom = store.insert("uom.uom", {"name": "Barrels", "category_id": 6, "active": True})
    elif change == "combo_product":
        product = builder.add_product("Gift box", "BOX", "consu", "100", taxes)
        store.get("product.product", product)["type"] = "combo"
        store.get("product.product", product).pop("detailed_type", None)
    elif change == "bad_pin":
        partner = builder.add_partner({"name": "Typo Ltd", "vat": "12345", "country_id": ids.kenya})
    elif change == "negative_line":
        quantity = -1
    move_id = odoo.make_invoice(lines=[line(product, quantity, "1000", taxes, uom=uom)], partner=partner)
    [document] = list(adapter.fetch_changed([str(move_id)]))
    with pytest.raises(DocumentError) as caught:
        adapter.to_canonical(document)
    error = caught.value
    assert error.field == field and value_part in str(error.value)
    assert f"account.move {move_id}" in (error.document or "")


def test_18_tax_without_override_follows_the_company_default(odoo: FakeOdoo) -> None:
    if odoo.version != "18":
        pytest.skip("price_include_override and res.company.account_price_include are Odoo 18")
    ids = odoo.ids
    odoo.store.get("account.tax", ids.tax_vat16)["price_include_override"] = False
    odoo.store.get("res.company", ids.company)["account_price_include"] = "tax_included"
    move_id = odoo.make_invoice(lines=[line(ids.product_widget, 1, "1160", [ids.tax_vat16])])
    [only] = read(adapter_for(odoo), move_id).lines
    assert only.price_includes_vat and only.taxes[0].price_included


def test_a_foreign_buyers_vat_number_is_not_sent_as_a_pin(odoo: FakeOdoo, adapter: OdooAdapter) -> None:
    ids = odoo.ids
    [germany] = [c for c, row in odoo.store.tables["res.country"].items() if row.get("code") == "DE"] or [None]
    if germany is None:
        germany = odoo.store.insert("res.country", {"name": "Germany", "code": "DE"})
    partner = odoo.builder.add_partner({"name": "Berlin GmbH", "vat": "DE123456789", "country_id": germany})
    if "country_code" in odoo.schema()["res.partner"]:
        odoo.store.get("res.partner", partner)["country_code"] = "DE"
    move_id = odoo.make_invoice(lines=[line(ids.product_widget, 1, "100", [ids.tax_vat16])], partner=partner)
    buyer = read(adapter, move_id).buyer
    assert buyer is not None and buyer.name == "Berlin GmbH" and buyer.pin is None
