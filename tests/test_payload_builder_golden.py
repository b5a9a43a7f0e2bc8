"""Golden payloads: each scenario's canonical invoice must give exactly the hand-checked KRA request.

The arithmetic behind every number is written out in tests/golden/payloads/README.md.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connector import jsonio
from connector.models import Invoice
from tests.test_payload_builder_support import GOLDEN, build, load_invoice

SCENARIOS = [
    "simple-sale",
    "vat-bands",
    "line-discounts",
    "inclusive-and-exclusive",
    "foreign-currency",
    "excise-folded",
    "credit-note",
    "tiny-amounts",
]
PROFILES = ["legacy", "gavaconnect"]


def expected(scenario: str, profile: str) -> dict[str, Any]:
    return jsonio.loads((GOLDEN / f"{scenario}.{profile}.json").read_text(encoding="utf-8"))


def differences(want: Any, got: Any, path: str = "") -> list[str]:
    """Every place where two parsed JSON values differ (numbers compared as exact Decimals)."""
    if isinstance(want, dict) and isinstance(got, dict):
        found = [f"{path}.{key}: missing" for key in want.keys() - got.keys()]
        found += [f"{path}.{key}: unexpected" for key in got.keys() - want.keys()]
        for key in want.keys() & got.keys():
            found += differences(want[key], got[key], f"{path}.{key}")
        return found
    if isinstance(want, list) and isinstance(got, list) and len(want) == len(got):
        return [
            d for index, pair in enumerate(zip(want, got, strict=True)) for d in differences(*pair, f"{path}[{index}]")
        ]
    same = want == got and type(want) is type(got)
    return [] if same else [f"{path}: expected {want!r}, got {got!r}"]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_payload_matches_golden_file(scenario: str, profile: str) -> None:
    got = build(load_invoice(scenario), profile)
    assert differences(expected(scenario, profile), got) == []


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_golden_invoice_files_are_valid_canonical_invoices(scenario: str) -> None:
    invoice = load_invoice(scenario)
    assert isinstance(invoice, Invoice)


def test_odoo_golden_case_in_legacy_profile() -> None:
    """spec §8.3: 1.00 at 10 % discount, 16 % VAT."""
    line = build(load_invoice("tiny-amounts"), "legacy")["itemList"][0]
    assert {key: line[key] for key in ("prc", "splyAmt", "dcAmt", "taxblAmt", "taxAmt", "totAmt")} == {
        "prc": Decimal("1.00"),
        "splyAmt": Decimal("1.00"),
        "dcAmt": Decimal("0.10"),
        "taxblAmt": Decimal("0.90"),
        "taxAmt": Decimal("0.14"),
        "totAmt": Decimal("1.04"),
    }
    assert line["pkg"] == line["qty"]


def test_gavaconnect_accepted_sample_from_spec() -> None:
    """spec §8.3, the sale KRA's GavaConnect validator accepted: 100 incl. VAT -> 86.21 + 13.79."""
    invoice = load_invoice("simple-sale").model_copy(deep=True)
    line = invoice.lines[0]
    line.quantity, line.unit_price = Decimal("1"), Decimal("100")
    got = build(invoice, "gavaconnect")
    item = got["itemList"][0]
    amounts = [item[name] for name in ("prc", "splyAmt", "taxblAmt", "taxAmt", "totAmt")]
    assert amounts == [100, 100, Decimal("86.21"), Decimal("13.79"), 100]
    assert (got["taxblAmtB"], got["taxAmtB"], got["totAmt"], item["pkg"]) == (
        Decimal("86.21"),
        Decimal("13.79"),
        100,
        1,
    )
    assert got["salesTyCd"] == "N" and got["rfdDt"] is None


def test_numbers_are_written_with_two_decimals() -> None:
    text = jsonio.dumps(build(load_invoice("tiny-amounts"), "legacy"))
    assert '"taxAmt": 0.14' in text and '"totAmt": 2.04' in text and '"taxRtB": 16.00' in text
