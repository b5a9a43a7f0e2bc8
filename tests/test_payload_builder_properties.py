"""Property-based tests over random invoices (both profiles).

Invariants of every payload:
* per line, taxblAmt + taxAmt == totAmt exactly, and taxAmt is the VAT share of totAmt to within
  half a cent: |taxAmt - totAmt x rate / (100 + rate)| <= 0.005;
* header buckets and totals are exactly the sums of the lines; totTaxAmt = sum of taxAmtA..E;
* no amount is negative;
* GavaConnect lines follow convention (3) exactly (re-computed here independently).

What "legacy and GavaConnect agree" means (they take VAT from different bases, and GavaConnect
must round the unit price to the cent before multiplying it by the quantity):
1. identical taxblAmt, taxAmt and totAmt per line when the price is VAT-inclusive, the KES unit
   price is a whole number of cents, there is no discount and no excise added on top;
2. taxAmt differs by at most 0.01 per line when the price is VAT-inclusive and the KES unit
   price is a whole number of cents (any discount);
3. always: |delta taxAmt| <= 0.01 + rate / (100 + rate) x (0.005 x qty + 0.015) and
   |delta totAmt| <= 0.005 x qty + 0.025 per line. The qty x 0.005 term is GavaConnect's rule that
   `prc` has 2 decimals: a unit price of 10.0456 is sent as 10.05, for every unit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.models import Invoice, ItemRef, Line, Party, Tax
from tests.test_payload_builder_support import TAX_RATES, build

LETTER_OF = {"EX": "A", "VAT16": "B", "ZR": "C", "NV": "D", "VAT8": "E"}
AMOUNT_FIELDS = ("prc", "splyAmt", "dcAmt", "taxblAmt", "taxAmt", "totAmt")
CENT = Decimal("0.01")


def cents(low: int, high: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-2))


def decimals(low: int, high: int, places: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-places))


@st.composite
def lines(draw: st.DrawFn, number: int) -> Line:
    includes_vat = draw(st.booleans())
    tax_code = draw(st.sampled_from(sorted(LETTER_OF)))
    taxes = [Tax(code=tax_code, rate=TAX_RATES[LETTER_OF[tax_code]])]
    excise = draw(st.sampled_from(["none", "included", "on top"] if not includes_vat else ["none", "included"]))
    if excise != "none":
        rate = draw(decimals(1, 5000, 2))
        taxes.append(Tax(code="EXC", rate=rate, kind="excise", price_included=excise == "included"))
    if draw(st.booleans()):
        taxes.append(Tax(code="WHT", rate=Decimal("2"), kind="withholding"))
    discount = draw(st.one_of(st.just(Decimal(0)), cents(0, 10000)))
    item = draw(st.sampled_from(["A1", "B2", "C3", "D4"]))
    return Line(
        item=ItemRef(code=f"{item}-{number}", name=f"Item {item}", category=draw(st.sampled_from(["goods", None]))),
        description=f"Line {number}",
        quantity=draw(st.one_of(cents(1, 100_000), st.integers(1, 50).map(Decimal))),
        unit=draw(st.sampled_from(["pcs", "kg", "hours"])),
        unit_price=draw(st.one_of(cents(0, 5_000_000), decimals(0, 50_000_000, 4))),
        price_includes_vat=includes_vat,
        discount_percent=discount,
        taxes=taxes,
    )


@st.composite
def invoices(draw: st.DrawFn) -> Invoice:
    count = draw(st.integers(1, 6))
    foreign = draw(st.booleans())
    buyer = draw(st.sampled_from([None, Party(name="Buyer Ltd", pin="A000123456F")]))
    return Invoice(
        source="csv",
        external_id="X",
        number="INV-X",
        kind=draw(st.sampled_from(["invoice", "credit_note"])),
        issued_at=datetime(2024, 4, 15, 6, 0, tzinfo=UTC),
        currency="USD" if foreign else "KES",
        exchange_rate=draw(decimals(500_000, 2_000_000, 4)) if foreign else Decimal(1),
        buyer=buyer,
        lines=[draw(lines(number)) for number in range(count)],
        payment_method="cash",
        refund_reason="refund",
    )


def rounded(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def rate_of(line: dict[str, Any]) -> Decimal:
    return TAX_RATES[line["taxTyCd"]]


def check_payload(wire: dict[str, Any]) -> None:
    taxable = dict.fromkeys("ABCDE", Decimal(0))
    tax = dict.fromkeys("ABCDE", Decimal(0))
    for line in wire["itemList"]:
        assert line["taxblAmt"] + line["taxAmt"] == line["totAmt"]
        rate = rate_of(line)
        assert abs(line["taxAmt"] - line["totAmt"] * rate / (100 + rate)) <= Decimal("0.005")
        assert all(line[name] >= 0 for name in (*AMOUNT_FIELDS, "qty", "pkg", "dcRt"))
        taxable[line["taxTyCd"]] += line["taxblAmt"]
        tax[line["taxTyCd"]] += line["taxAmt"]
    for letter in "ABCDE":
        assert wire[f"taxblAmt{letter}"] == taxable[letter] and wire[f"taxAmt{letter}"] == tax[letter]
        assert wire[f"taxRt{letter}"] == TAX_RATES[letter]
    assert wire["totTaxblAmt"] == sum(taxable.values())
    assert wire["totTaxAmt"] == sum(tax.values())
    assert wire["totAmt"] == sum(line["totAmt"] for line in wire["itemList"])
    assert wire["totItemCnt"] == len(wire["itemList"])


def check_gavaconnect_convention(wire: dict[str, Any]) -> None:
    """Convention (3) as KRA's validator applies it to the numbers actually sent."""
    for line in wire["itemList"]:
        supply = rounded(line["qty"] * line["prc"])
        discount = rounded(supply * line["dcRt"] / 100)
        gross = supply - discount
        taxable = rounded(gross * 100 / (100 + rate_of(line)))
        assert (line["splyAmt"], line["dcAmt"], line["totAmt"]) == (supply, discount, gross)
        assert (line["taxblAmt"], line["taxAmt"], line["pkg"]) == (taxable, gross - taxable, 1)


def kes_unit_price(line: Line, invoice: Invoice) -> Decimal:
    return line.unit_price * invoice.exchange_rate


def has_excise_on_top(line: Line) -> bool:
    return any(tax.kind == "excise" and tax.price_included is False for tax in line.taxes)


def check_agreement(invoice: Invoice, legacy: dict[str, Any], gava: dict[str, Any]) -> None:
    for line, old, new in zip(invoice.lines, legacy["itemList"], gava["itemList"], strict=True):
        rate = rate_of(old)
        whole_cents = kes_unit_price(line, invoice) % CENT == 0
        simple = line.price_includes_vat and whole_cents and not has_excise_on_top(line)
        delta_tax = abs(old["taxAmt"] - new["taxAmt"])
        if simple and line.discount_percent == 0:
            assert [old[k] for k in ("taxblAmt", "taxAmt", "totAmt")] == [
                new[k] for k in ("taxblAmt", "taxAmt", "totAmt")
            ]
        if simple:
            assert delta_tax <= CENT
        spread = Decimal("0.005") * line.quantity
        assert delta_tax <= CENT + rate / (100 + rate) * (spread + Decimal("0.015"))
        assert abs(old["totAmt"] - new["totAmt"]) <= spread + Decimal("0.025")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invoices())
def test_payload_invariants_and_agreement(invoice: Invoice) -> None:
    legacy, gava = build(invoice, "legacy"), build(invoice, "gavaconnect")
    check_payload(legacy)
    check_payload(gava)
    check_gavaconnect_convention(gava)
    check_agreement(invoice, legacy, gava)


@settings(max_examples=200, deadline=None)
@given(invoices())
def test_legacy_discount_arithmetic(invoice: Invoice) -> None:
    """Legacy: dcAmt = splyAmt - taxblAmt >= 0, and no discount means no discount amount."""
    for line, sent in zip(invoice.lines, build(invoice, "legacy")["itemList"], strict=True):
        assert sent["dcAmt"] == sent["splyAmt"] - sent["taxblAmt"] >= 0
        assert sent["pkg"] == sent["qty"] == line.quantity
        if line.discount_percent == 0:
            assert sent["dcAmt"] == 0
        if not line.price_includes_vat:
            assert sent["taxAmt"] == rounded(sent["taxblAmt"] * rate_of(sent) / 100)
