"""QuickBooks documents → canonical invoices, read through the real python-quickbooks from the fake QBO server.

The KRA line arithmetic is the core's (`connector.kra_amounts`, legacy profile), so "adds up to the cent" is
checked on what KRA would receive.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connector.errors import DocumentError
from connector.kra_amounts import LinePricing, legacy_amounts
from connector.mapping import load_mapping
from connector.models import Invoice
from plugins.quickbooks.harness import BUYER_PIN, connected_adapter
from plugins.quickbooks.testing import (
    FakeQuickBooks,
    description_line,
    discount_line,
    group_line,
    make_credit_memo,
    make_customer,
    make_invoice,
    make_item,
    sales_line,
)

RATES = {"A": Decimal(0), "B": Decimal(16), "C": Decimal(0), "D": Decimal(0), "E": Decimal(8)}
MAPPING = load_mapping("quickbooks")


@pytest.fixture(scope="module")
def qbo():
    with FakeQuickBooks() as server:
        yield server


@pytest.fixture(scope="module")
def setup(qbo):
    realm, adapter = connected_adapter(qbo, "9130350000000777", buyer_pin_field="Buyer PIN")
    realm.set_custom_fields(["Buyer PIN", "Original Invoice", None])
    customer = realm.add("Customer", make_customer("Amani Traders Ltd", pin=BUYER_PIN))
    items = {
        "service": realm.add("Item", make_item("Consulting", type="Service", sku="SRV-001", unit_price="1000")),
        "goods": realm.add("Item", make_item("Maize flour 2kg", type="Inventory", sku="FL-2KG", unit_price="215.50")),
        "bulk": realm.add("Item", make_item("Sugar", type="NonInventory", unit_price="33.3333333", tax_code="22")),
        "zero": realm.add("Item", make_item("Export freight", type="Service", unit_price="500", tax_code="23")),
        "exempt": realm.add("Item", make_item("School books", type="Inventory", unit_price="120", tax_code="24")),
        "bundle": realm.add("Item", make_item("Starter kit", type="Group", tax_code=None)),
    }
    yield realm, adapter, customer, items
    adapter.close()


def canonical(setup: Any, entity: str, doc: dict[str, Any]) -> Invoice:
    realm, adapter, _, _ = setup
    stored = realm.add(entity, doc)
    (document,) = adapter.fetch_changed([f"{entity}:{stored['Id']}"])
    return adapter.to_canonical(document)


def kra_lines(invoice: Invoice) -> list[Any]:
    return [
        legacy_amounts(
            LinePricing(
                line.quantity,
                line.unit_price,
                line.price_includes_vat,
                RATES[MAPPING.tax_type(line.taxes[0])],
                line.discount_percent,
            )
        )
        for line in invoice.lines
    ]


def subtotal(doc: dict[str, Any]) -> Decimal:
    return next(Decimal(str(line["Amount"])) for line in doc["Line"] if line["DetailType"] == "SubTotalLineDetail")


def test_tax_exclusive_mixed_rates(setup):
    _, _, customer, items = setup
    lines = [sales_line(items["service"], 2), sales_line(items["goods"], 3), sales_line(items["bulk"], 7),
             sales_line(items["zero"], 1), sales_line(items["exempt"], 4)]  # fmt: skip
    doc = make_invoice(customer, lines)
    invoice = canonical(setup, "Invoice", doc)
    assert [MAPPING.tax_type(line.taxes[0]) for line in invoice.lines] == ["B", "B", "E", "C", "A"]
    assert not any(line.price_includes_vat for line in invoice.lines)
    assert [line.item.code for line in invoice.lines][:2] == ["SRV-001", "FL-2KG"]
    assert [line.item.category for line in invoice.lines] == ["Service", "Inventory", "NonInventory", "Service",
                                                              "Inventory"]  # fmt: skip
    assert invoice.lines[0].taxes[0].rate == Decimal(16)
    assert invoice.buyer is not None and invoice.buyer.pin == BUYER_PIN and invoice.buyer.name == "Amani Traders Ltd"
    kra = kra_lines(invoice)
    assert sum(x.taxable_amount for x in kra) == subtotal(doc)
    tax = Decimal(str(doc["TxnTaxDetail"]["TotalTax"]))
    assert abs(sum(x.tax_amount for x in kra) - tax) <= Decimal("0.01") * len(kra)
    if "erp_totals" in Invoice.model_fields:
        assert invoice.erp_totals.total == Decimal(str(doc["TotalAmt"]))  # type: ignore[attr-defined]


def test_tax_inclusive_totals_match_qbo_to_the_cent(setup):
    _, _, customer, items = setup
    lines = [sales_line(items["service"], 3, gross="1000.00"), sales_line(items["bulk"], 7, gross="250.01"),
             sales_line(items["exempt"], 1, gross="99.99")]  # fmt: skip
    doc = make_invoice(customer, lines, tax_calculation="TaxInclusive")
    invoice = canonical(setup, "Invoice", doc)
    assert all(line.price_includes_vat for line in invoice.lines)
    assert sum(x.total_amount for x in kra_lines(invoice)) == Decimal(str(doc["TotalAmt"]))


def test_not_applicable_uses_the_configured_key(setup):
    _, _, customer, items = setup
    invoice = canonical(setup, "Invoice", make_invoice(customer, [sales_line(items["service"], 1)],
                                                       tax_calculation="NotApplicable"))  # fmt: skip
    assert [MAPPING.tax_type(line.taxes[0]) for line in invoice.lines] == ["D"]


@pytest.mark.parametrize("inclusive", [False, True])
def test_amount_discount_is_split_to_the_cent(setup, inclusive):
    _, _, customer, items = setup
    gross = {"gross": "333.33"} if inclusive else {}
    lines = [sales_line(items["service"], 1, "333.33", **gross), sales_line(items["bulk"], 3, "111.11"),
             sales_line(items["zero"], 1, "0.07"), discount_line("100.01")]  # fmt: skip
    mode = "TaxInclusive" if inclusive else "TaxExcluded"
    doc = make_invoice(customer, lines, tax_calculation=mode)
    invoice = canonical(setup, "Invoice", doc)
    kra = kra_lines(invoice)
    if inclusive:
        assert sum(x.total_amount for x in kra) == Decimal(str(doc["TotalAmt"]))
    else:
        assert sum(x.taxable_amount for x in kra) == subtotal(doc) - Decimal("100.01")
    bases = [Decimal("333.33"), Decimal("333.33"), Decimal("0.07")]
    for base, line in zip(bases, kra, strict=True):  # each share is within a cent of its exact proportion
        if not inclusive:
            exact = base - Decimal("100.01") * base / sum(bases)
            assert abs(line.taxable_amount - exact) < Decimal("0.01")


def test_percent_discount_shows_as_the_line_discount(setup):
    _, _, customer, items = setup
    lines = [sales_line(items["service"], 2), sales_line(items["goods"], 4), discount_line(percent="10")]
    doc = make_invoice(customer, lines)
    invoice = canonical(setup, "Invoice", doc)
    discount = next(Decimal(str(x["Amount"])) for x in doc["Line"] if x["DetailType"] == "DiscountLineDetail")
    assert [line.discount_percent for line in invoice.lines] == [Decimal(10), Decimal(10)]
    assert sum(x.taxable_amount for x in kra_lines(invoice)) == subtotal(doc) - discount


def test_bundles_are_expanded_and_text_lines_skipped(setup):
    _, _, customer, items = setup
    inner = [sales_line(items["goods"], 2), sales_line(items["exempt"], 1)]
    lines = [group_line(items["bundle"], inner), description_line("Thank you"), sales_line(items["service"], 1)]
    invoice = canonical(setup, "Invoice", make_invoice(customer, lines))
    assert [line.item.name for line in invoice.lines] == ["Maize flour 2kg", "School books", "Consulting"]


def test_foreign_currency_carries_the_exchange_rate(setup):
    _, _, customer, items = setup
    doc = make_invoice(customer, [sales_line(items["service"], 1, "250")], currency="USD", exchange_rate="129.4512")
    invoice = canonical(setup, "Invoice", doc)
    assert (invoice.currency, invoice.exchange_rate) == ("USD", Decimal("129.4512"))
    assert invoice.lines[0].unit_price == Decimal(250)


def test_credit_memo_original_from_linked_txn_or_custom_field(setup):
    realm, _, customer, items = setup
    original = realm.add("Invoice", make_invoice(customer, [sales_line(items["service"], 5)], doc_number="INV-900"))
    linked = make_credit_memo(customer, [sales_line(items["service"], 1)],
                              linked_txn=[{"TxnId": original["Id"], "TxnType": "Invoice"}])  # fmt: skip
    note = canonical(setup, "CreditMemo", linked)
    assert note.kind == "credit_note" and note.original is not None
    assert (note.original.external_id, note.original.number) == (original["Id"], "INV-900")
    assert note.refund_reason == "Refund"
    typed = make_credit_memo(customer, [sales_line(items["service"], 1)], custom_fields={"Original Invoice": "INV-900"})
    assert canonical(setup, "CreditMemo", typed).original.external_id == original["Id"]  # type: ignore[union-attr]


def test_credit_memo_without_original_says_what_to_fill_in(setup):
    _, _, customer, items = setup
    with pytest.raises(DocumentError, match="Original Invoice") as missing:
        canonical(setup, "CreditMemo", make_credit_memo(customer, [sales_line(items["service"], 1)]))
    assert "LinkedTxn" in str(missing.value)
    unknown = make_credit_memo(
        customer, [sales_line(items["service"], 1)], custom_fields={"Original Invoice": "NOPE-1"}
    )
    with pytest.raises(DocumentError, match="NOPE-1"):
        canonical(setup, "CreditMemo", unknown)


def test_us_tax_model_is_refused(qbo):
    realm = qbo.add_realm("9130350000000888", tax_model="us", home_currency="KES")
    realm, adapter = connected_adapter(qbo, realm.realm_id)
    customer = realm.add("Customer", make_customer("US Style Co"))
    item = realm.add("Item", make_item("Widget", type="NonInventory", unit_price="10", tax_code=None))
    stored = realm.add("Invoice", make_invoice(customer, [sales_line(item, 1, tax_code="TAX")], us_tax=("2", "3", "8")))
    (document,) = adapter.fetch_changed([f"Invoice:{stored['Id']}"])
    with pytest.raises(DocumentError, match="US sales-tax model"):
        adapter.to_canonical(document)


def test_bad_buyer_pin_names_the_field(setup):
    realm, _, _, items = setup
    customer = realm.add("Customer", make_customer("Pin Typo Ltd", pin="P05123456"))
    with pytest.raises(DocumentError, match=r"Customer\.Notes"):
        canonical(setup, "Invoice", make_invoice(customer, [sales_line(items["service"], 1)]))
    fixed = make_invoice(customer, [sales_line(items["service"], 1)], custom_fields={"Buyer PIN": "a123456789z"})
    assert canonical(setup, "Invoice", fixed).buyer.pin == "A123456789Z"  # type: ignore[union-attr]


def test_voided_and_deleted_are_not_sent(setup):
    realm, adapter, customer, items = setup
    voided = realm.add("Invoice", make_invoice(customer, [sales_line(items["service"], 1)]))
    deleted = realm.add("Invoice", make_invoice(customer, [sales_line(items["service"], 1)]))
    realm.void("Invoice", voided["Id"])
    realm.delete("Invoice", deleted["Id"])
    documents = {
        d.external_id: d for d in adapter.fetch_changed([f"Invoice:{voided['Id']}", f"Invoice:{deleted['Id']}"])
    }
    with pytest.raises(DocumentError, match="voided in QuickBooks"):
        adapter.to_canonical(documents[voided["Id"]])
    with pytest.raises(DocumentError, match="deleted in QuickBooks"):
        adapter.to_canonical(documents[deleted["Id"]])
