"""Business rules on amounts and item codes, with GavaConnect's message texts (spec §3.4, §3.5, §5).

Strict mode checks convention (3): VAT-inclusive `prc`/`splyAmt`, net `taxblAmt`, `taxAmt` as the
remainder, fixed header rates. Lenient (legacy) mode only checks that each line and the header add up.
All arithmetic is Decimal, rounded half-up to the cent.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from connector.kra.simulator.calls import Rejected
from connector.kra.simulator.codes import TAX_TYPES
from connector.kra.simulator.fields import as_number

CENT = Decimal("0.01")
HUNDRED = Decimal("100")

# itemCd = country(2) + product type(1) + packaging unit(2) + quantity unit(2) + 7-digit sequence
_ITEM_CODE_SEGMENTS = (
    (0, 2, "orgnNatCd", "Incorrect Origin Nation Code Prefix"),
    (2, 3, "itemTyCd", "Incorrect Item Type Prefix"),
    (3, 5, "pkgUnitCd", "Incorrect Packaging Unit Prefix"),
    (5, 7, "qtyUnitCd", "Incorrect QtyUnitCd Prefix"),
)
ITEM_CODE_LENGTH = 14


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def shown(value: Decimal) -> str:
    """An amount as GavaConnect prints it: two decimals (`100.00`)."""
    return str(cents(value))


def java_double(value: Decimal) -> str:
    """A number as Java prints a double (`0.0`, `16.0`, `16.5`), as in the taxRt messages."""
    if value == value.to_integral_value():
        return f"{int(value)}.0"
    return str(value.normalize())


def fail(message: str) -> Rejected:
    return Rejected("910", message)


# item codes
def item_code_suffix(item_code: str) -> int | None:
    suffix = item_code[7:]
    return int(suffix) if len(item_code) == ITEM_CODE_LENGTH and suffix.isdigit() else None


def check_item_code(item: dict[str, Any], expected_suffix: int | None) -> None:
    """Strict item-code rules; `expected_suffix` is None when the code is already registered."""
    code = str(item["itemCd"])
    if len(code) != ITEM_CODE_LENGTH:
        raise fail(f"Invalid itemCd length. Expected: {ITEM_CODE_LENGTH}, Found: {len(code)}")
    for start, end, name, message in _ITEM_CODE_SEGMENTS:
        if code[start:end] != str(item[name]):
            raise fail(message)
    suffix = item_code_suffix(code)
    if expected_suffix is not None and suffix != expected_suffix:
        raise fail(f"Invalid itemCd Sequence. Expected sequence ending with: ********{expected_suffix}")
    if suffix is None:
        raise fail("Invalid itemCd Sequence. The last 7 characters must be digits")


# sales and purchases
def _line_label(line: dict[str, Any], index: int) -> str:
    try:
        return str(int(as_number(line["itemSeq"])))
    except (KeyError, ValueError):
        return str(index + 1)


def _numbers(row: dict[str, Any], names: Iterable[str]) -> dict[str, Decimal]:
    return {name: as_number(row[name]) for name in names}


def _same(name: str, label: str, expected: Decimal, found: Decimal) -> None:
    if expected != found:
        raise fail(f"Invalid {name} on item: {label}. Expected: {shown(expected)}, But Found: {shown(found)}")


def check_line_strict(line: dict[str, Any], label: str, rates: dict[str, Decimal]) -> None:
    """Convention (3) on one line, plus GavaConnect's `pkg` rule."""
    amounts = _numbers(line, ("pkg", "qty", "prc", "splyAmt", "dcRt", "dcAmt", "taxblAmt", "taxAmt", "totAmt"))
    pkg = amounts["pkg"]
    if pkg < 1 or (line.get("pkgUnitCd") == "NT" and pkg != 1):
        raise fail(f"Invalid pkg for ItemList {label}. Expected: 1, Found: {pkg}")
    supply = cents(amounts["qty"] * amounts["prc"])
    _same("splyAmnt", label, supply, amounts["splyAmt"])
    discount = cents(supply * amounts["dcRt"] / HUNDRED)
    _same("dcAmt", label, discount, amounts["dcAmt"])
    gross = supply - discount
    rate = rates[str(line["taxTyCd"])]
    taxable = cents(gross * HUNDRED / (HUNDRED + rate))
    _same("taxblAmt", label, taxable, amounts["taxblAmt"])
    _same("taxAmt", label, gross - taxable, amounts["taxAmt"])
    _same("totAmt", label, gross, amounts["totAmt"])


def check_line_lenient(line: dict[str, Any], label: str) -> None:
    amounts = _numbers(line, ("taxblAmt", "taxAmt", "totAmt"))
    added = amounts["taxblAmt"] + amounts["taxAmt"]
    if added != amounts["totAmt"]:
        raise fail(
            f"Invalid totAmt on item: {label}. Expected taxblAmt + taxAmt: {shown(added)},"
            f" But Found: {shown(amounts['totAmt'])}"
        )


def check_header_rates(document: dict[str, Any], rates: dict[str, Decimal]) -> None:
    for letter in TAX_TYPES:
        found = as_number(document[f"taxRt{letter}"])
        if found != rates[letter]:
            raise fail(
                f"Rule taxRt{letter} failed: Tax rate mismatch. Expected: {shown(rates[letter])},"
                f" Found: {java_double(found)}"
            )


def _check_total(name: str, expected: Decimal, found: Any) -> None:
    value = as_number(found)
    if value != expected:
        raise fail(f"Invalid {name}. Expected: {shown(expected)}, But Found: {shown(value)}")


def check_header_sums(document: dict[str, Any]) -> None:
    """Header totals are the sums of the (rounded) lines, per tax type and overall."""
    lines = document["itemList"]
    count = as_number(document["totItemCnt"])
    if count != len(lines):
        raise fail(f"Invalid totItemCnt. Expected: {len(lines)}, But Found: {count}")
    taxable_total = tax_total = Decimal(0)
    for letter in TAX_TYPES:
        of_type = [line for line in lines if line.get("taxTyCd") == letter]
        taxable = sum((as_number(line["taxblAmt"]) for line in of_type), Decimal(0))
        tax = sum((as_number(line["taxAmt"]) for line in of_type), Decimal(0))
        _check_total(f"taxblAmt{letter}", taxable, document[f"taxblAmt{letter}"])
        _check_total(f"taxAmt{letter}", tax, document[f"taxAmt{letter}"])
        taxable_total += taxable
        tax_total += tax
    _check_total("totTaxblAmt", taxable_total, document["totTaxblAmt"])
    _check_total("totTaxAmt", tax_total, document["totTaxAmt"])
    grand = sum((as_number(line["totAmt"]) for line in lines), Decimal(0))
    _check_total("totAmt", grand, document["totAmt"])


def check_amounts(document: dict[str, Any], rates: dict[str, Decimal], strict: bool) -> None:
    """All amount rules of a sale or purchase: lines first, then header rates (strict) and sums."""
    for index, line in enumerate(document["itemList"]):
        label = _line_label(line, index)
        if strict:
            check_line_strict(line, label, rates)
        else:
            check_line_lenient(line, label)
    if strict:
        check_header_rates(document, rates)
    check_header_sums(document)


def check_not_zero(row: dict[str, Any], names: Iterable[str]) -> None:
    """GavaConnect stock calls treat a literal 0 in a required amount as missing."""
    for name in names:
        if as_number(row[name]) == 0:
            raise fail(f"Expected a value for {name} but found empty or null")


# credit notes (strict mode): KRA's production limits, as peers report them (navari #233, #264/#266)
MAX_CREDIT_NOTES = 2
MAX_CREDIT_NOTE_DAYS = 183
SETTLE_VARIANCE_PERCENT = Decimal("1")


def _day(stamp: Any) -> date:
    text = str(stamp)
    return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))


def _by_item(document: dict[str, Any], name: str, combine: Any) -> dict[str, Decimal]:
    found: dict[str, Decimal] = {}
    for line in document["itemList"]:
        code, value = str(line["itemCd"]), as_number(line[name])
        found[code] = combine(found[code], value) if code in found else value
    return found


def check_credit_note_limits(note: dict[str, Any], original: dict[str, Any], earlier: list[dict[str, Any]]) -> None:
    """At most two credit notes per sale, the second settling the rest (1 %), within 183 days of the sale,
    per item no more quantity (all credit notes together) and no higher unit price than the sale's."""
    if len(earlier) >= MAX_CREDIT_NOTES:
        raise fail(f"Maximum number of credit notes ({MAX_CREDIT_NOTES}) reached for orgInvcNo {note['orgInvcNo']}")
    days = (_day(note["salesDt"]) - _day(original["salesDt"])).days
    if days > MAX_CREDIT_NOTE_DAYS:
        raise fail(f"Credit note is {days} days after the original invoice; the limit is {MAX_CREDIT_NOTE_DAYS}")
    sold_qty, sold_price = _by_item(original, "qty", Decimal.__add__), _by_item(original, "prc", max)
    credited = _by_item(note, "qty", Decimal.__add__)
    for other in earlier:
        for code, quantity in _by_item(other, "qty", Decimal.__add__).items():
            credited[code] = credited.get(code, Decimal(0)) + quantity
    for code, price in _by_item(note, "prc", max).items():
        if code not in sold_qty:
            raise fail(f"Item {code} is not on the original invoice")
        if credited[code] > sold_qty[code]:
            raise fail(f"Credit note quantity for item {code} exceeds the original invoice quantity")
        if price > sold_price[code] * (1 + SETTLE_VARIANCE_PERCENT / HUNDRED):  # exchange-rate drift
            raise fail(f"Credit note price for item {code} exceeds the original invoice price")
    remaining = as_number(original["totAmt"]) - sum((as_number(o["totAmt"]) for o in earlier), Decimal(0))
    total = as_number(note["totAmt"])
    if total > remaining:
        raise fail("Credit note amount exceeds the remaining sales invoice balance.")
    if len(earlier) + 1 == MAX_CREDIT_NOTES and remaining - total > max(
        CENT, remaining * SETTLE_VARIANCE_PERCENT / HUNDRED
    ):
        raise fail(f"The last credit note must settle the remaining balance of {shown(remaining)}")
