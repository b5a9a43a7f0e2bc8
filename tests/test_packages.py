"""KRA's `pkg` is the number of packages: quantity / units per package (legacy), 1 or whole packages (GavaConnect)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector.kra_payload import precheck
from connector.models import Invoice
from tests.test_payload_builder_support import build, golden_mapping, load_invoice


def packed(invoice: Invoice, quantity: str, per_package: str, category: str | None = "beverages") -> Invoice:
    first = invoice.lines[0]
    item = first.item.model_copy(update={"category": category})  # beverages: packaging NT; None: OU
    changes = {"quantity": Decimal(quantity), "units_per_package": Decimal(per_package), "item": item}
    return invoice.model_copy(update={"lines": [first.model_copy(update=changes)]})


@pytest.mark.parametrize(
    ("quantity", "per_package", "legacy", "gavaconnect"),
    [("1", "5", "0.20", "1"), ("10", "5", "2.00", "2"), ("11", "5", "2.20", "3"), ("3", "1", "3.00", "1")],
)
def test_pkg_per_profile(quantity: str, per_package: str, legacy: str, gavaconnect: str) -> None:
    for category in ("beverages", None):
        invoice = packed(load_invoice("simple-sale"), quantity, per_package, category)
        assert build(invoice, "legacy")["itemList"][0]["pkg"] == Decimal(legacy)
        sent = build(invoice, "gavaconnect")["itemList"][0]
        assert sent["pkgUnitCd"] == ("NT" if category else "OU")
        assert sent["pkg"] == (Decimal("1") if category else Decimal(gavaconnect))  # NT: not packaged


def test_default_is_one_unit_per_package() -> None:
    invoice = load_invoice("simple-sale")
    assert invoice.lines[0].units_per_package == 1
    request = build(invoice, "legacy")
    assert all(item["pkg"] == item["qty"] for item in request["itemList"])


def test_units_per_package_must_be_positive_and_a_package_fraction_visible() -> None:
    data = load_invoice("simple-sale").model_dump(mode="json")
    data["lines"][0]["units_per_package"] = "0"
    with pytest.raises(ValueError, match="above zero"):
        Invoice.model_validate(data)
    tiny = packed(load_invoice("simple-sale"), "0.01", "1000")
    problems = precheck(tiny, golden_mapping())
    assert any(p.field == "units_per_package" for p in problems), [p.describe() for p in problems]
