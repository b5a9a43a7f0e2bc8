"""How the fake computes an invoice's or credit memo's lines, tax and totals (what QBO does on save).

Assumptions (the spec and samples show the shapes, not QBO's arithmetic):
- Tax is computed per tax RATE at document level on the sum of that rate's line amounts and rounded once, half-up,
  to the cent (the US sample: 8 % of 335.25 = 26.82; the AU sample: 10 % of 1183 = 118.30). One TaxLine per rate
  used, zero-rated and exempt rates included with Amount 0.
- TaxExcluded: line Amount = Qty × UnitPrice (net, rounded to the cent); tax added on top.
- TaxInclusive: a line is entered by its gross total (`TaxInclusiveAmt`); net line Amount = gross ÷ (1 + rate)
  rounded to the cent and UnitPrice = net ÷ Qty to 7 places (the AU sample's 92.5633333). The rate's tax is
  gross_sum × rate ÷ (100 + rate) rounded once; NetAmountTaxable = gross_sum − tax; TotalAmt = gross sum. The net
  line Amounts may therefore differ from NetAmountTaxable by a cent — a real trap the adapter must survive.
- NotApplicable: no tax at all (`TxnTaxDetail = {"TotalTax": 0}`).
- US model (`TxnTaxDetail.TxnTaxCodeRef` set, line codes TAX/NON): the TAX lines' sum is taxed at the TxnTaxCode's rate.
- A document-level DiscountLineDetail (percent: of the subtotal, rounded to the cent; in TaxInclusive mode of the
  gross subtotal) reduces each rate's base in proportion to it; cents left by rounding go to the largest base.
  (Global companies always tax after discount; in the US model only when ApplyTaxAfterDiscount is true.)
- GroupLineDetail: the bundle's Amount is the sum of its inner lines; tax comes from the inner lines.
- SubTotalLineDetail is (re)appended last with the sum of sales line Amounts (net), like every sample.
- Multicurrency: HomeTotalAmt = TotalAmt × ExchangeRate rounded to the cent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
UNIT_PRICE_PLACES = Decimal("0.0000001")
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Rate:
    """A sales TaxCode's single TaxRate: its Id and percent."""

    rate_id: str
    percent: Decimal


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def dec(value: Any) -> Decimal:
    """A JSON number or text as Decimal; floats are refused."""
    if isinstance(value, float):
        raise TypeError(f"{value!r} is a float; QBO amounts in the fake are Decimal")
    return Decimal(str(value))


def sales_lines(lines: list[dict]) -> Iterator[dict]:
    """Every SalesItemLineDetail line, the ones inside bundles included."""
    for line in lines:
        if line.get("DetailType") == "SalesItemLineDetail":
            yield line
        elif line.get("DetailType") == "GroupLineDetail":
            yield from sales_lines(line.get("GroupLineDetail", {}).get("Line", []))


def _line_code(line: dict) -> str | None:
    ref = line["SalesItemLineDetail"].get("TaxCodeRef")
    return ref.get("value") if ref else None


def _price_line(line: dict, rate: Rate | None, inclusive: bool) -> Decimal:
    """Fill Amount (and UnitPrice/TaxInclusiveAmt); return the line's base for tax (gross when inclusive)."""
    detail = line["SalesItemLineDetail"]
    qty = dec(detail["Qty"]) if "Qty" in detail else None
    percent = rate.percent if rate else Decimal(0)
    if inclusive:
        if "TaxInclusiveAmt" in detail:
            gross = cents(dec(detail["TaxInclusiveAmt"]))
        elif "Amount" in line and "UnitPrice" not in detail:
            gross = cents(dec(line["Amount"]) * (HUNDRED + percent) / HUNDRED)
        else:
            gross = cents(dec(detail["UnitPrice"]) * (qty if qty is not None else 1) * (HUNDRED + percent) / HUNDRED)
        net = cents(gross * HUNDRED / (HUNDRED + percent))
        detail["TaxInclusiveAmt"] = gross
        if qty:
            detail["UnitPrice"] = (net / qty).quantize(UNIT_PRICE_PLACES, rounding=ROUND_HALF_UP)
        line["Amount"] = net
        return gross
    if "UnitPrice" in detail and qty is not None:
        line["Amount"] = cents(dec(detail["UnitPrice"]) * qty)
    elif "Amount" not in line:
        raise ValueError(f"line {line.get('Id', '?')} has neither Amount nor Qty and UnitPrice")
    line["Amount"] = cents(dec(line["Amount"]))
    detail.pop("TaxInclusiveAmt", None)
    return line["Amount"]


def _allocate(total: Decimal, bases: dict[str, Decimal]) -> dict[str, Decimal]:
    """Split `total` over `bases` in proportion, to the cent; leftover cents go to the largest base."""
    whole = sum(bases.values(), Decimal(0))
    if not bases or whole == 0:
        return dict.fromkeys(bases, Decimal(0))
    shares = {key: cents(total * base / whole) for key, base in bases.items()}
    largest = max(bases, key=lambda key: bases[key])
    shares[largest] += total - sum(shares.values(), Decimal(0))
    return shares


def compute_totals(
    doc: dict,
    rates: Mapping[str, Rate],
    *,
    us_rates: Mapping[str, Rate] | None = None,
    home_currency: str | None = None,
) -> dict:
    """Recompute Line amounts, the SubTotal line, TxnTaxDetail, TotalAmt, Balance and home amounts in place."""
    lines = [line for line in doc.get("Line", []) if line.get("DetailType") != "SubTotalLineDetail"]
    txn_code_ref = (doc.get("TxnTaxDetail") or {}).get("TxnTaxCodeRef")
    us_model = txn_code_ref is not None or ("GlobalTaxCalculation" not in doc and us_rates is not None)
    mode = "TaxExcluded" if us_model else doc.get("GlobalTaxCalculation", "TaxExcluded")
    inclusive = mode == "TaxInclusive"

    bases: dict[str, Decimal] = {}
    for line in sales_lines(lines):
        code = _line_code(line)
        if us_model:
            rate = None
        elif mode == "NotApplicable" or code is None:
            rate = None
            if mode != "NotApplicable":
                raise ValueError(f"line {line.get('Id', '?')} has no TaxCodeRef")
        else:
            if code not in rates:
                raise KeyError(code)
            rate = rates[code]
        base = _price_line(line, rate, inclusive)
        key = code or "NON"
        bases[key] = bases.get(key, Decimal(0)) + base
    for line in lines:
        if line.get("DetailType") == "GroupLineDetail":
            inner = sales_lines(line["GroupLineDetail"].get("Line", []))
            line["Amount"] = sum((item["Amount"] for item in inner), Decimal(0))

    net_subtotal = sum((line["Amount"] for line in sales_lines(lines)), Decimal(0))
    gross_subtotal = sum(bases.values(), Decimal(0))
    discount = Decimal(0)
    for line in lines:
        if line.get("DetailType") == "DiscountLineDetail":
            detail = line["DiscountLineDetail"]
            if detail.get("PercentBased"):
                line["Amount"] = cents(gross_subtotal * dec(detail["DiscountPercent"]) / HUNDRED)
            else:
                line["Amount"] = cents(dec(line["Amount"]))
            discount += line["Amount"]

    tax_lines: list[dict] = []
    total_tax = Decimal(0)
    if us_model:
        taxable = bases.get("TAX", Decimal(0))
        if doc.get("ApplyTaxAfterDiscount"):
            taxable -= _allocate(discount, bases).get("TAX", Decimal(0))
        if txn_code_ref is not None and us_rates and txn_code_ref["value"] in us_rates:
            rate = us_rates[txn_code_ref["value"]]
            tax = cents(taxable * rate.percent / HUNDRED)
            tax_lines.append(_tax_line(rate, tax, taxable))
            total_tax = tax
        total = net_subtotal - discount + total_tax
    elif mode == "NotApplicable":
        total = net_subtotal - discount
    else:
        shares = _allocate(discount, bases)
        total = Decimal(0)
        for code, base in bases.items():
            rate = rates[code]
            taxed = base - shares[code]
            if inclusive:
                tax = cents(taxed * rate.percent / (HUNDRED + rate.percent))
                tax_lines.append(_tax_line(rate, tax, taxed - tax))
                total += taxed
            else:
                tax = cents(taxed * rate.percent / HUNDRED)
                tax_lines.append(_tax_line(rate, tax, taxed))
                total += taxed + tax
            total_tax += tax

    lines.append({"Amount": net_subtotal, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}})
    doc["Line"] = lines
    detail = {"TotalTax": total_tax}
    if txn_code_ref is not None:
        detail = {"TxnTaxCodeRef": txn_code_ref, "TotalTax": total_tax}
    if tax_lines:
        detail["TaxLine"] = tax_lines
    doc["TxnTaxDetail"] = detail
    doc["TotalAmt"] = total
    doc["Balance"] = total
    currency = (doc.get("CurrencyRef") or {}).get("value")
    if "ExchangeRate" in doc and home_currency and currency and currency != home_currency:
        doc["HomeTotalAmt"] = cents(total * dec(doc["ExchangeRate"]))
        doc["HomeBalance"] = doc["HomeTotalAmt"]
    return doc


def _tax_line(rate: Rate, tax: Decimal, base: Decimal) -> dict:
    return {
        "Amount": tax,
        "DetailType": "TaxLineDetail",
        "TaxLineDetail": {
            "TaxRateRef": {"value": rate.rate_id},
            "PercentBased": True,
            "TaxPercent": rate.percent,
            "NetAmountTaxable": base,
        },
    }


BILL_DETAILS = ("ItemBasedExpenseLineDetail", "AccountBasedExpenseLineDetail")


def bill_lines(lines: list[dict]) -> Iterator[dict]:
    """A Bill's expense lines (item-based and account-based)."""
    return (line for line in lines if line.get("DetailType") in BILL_DETAILS)


def compute_bill_totals(doc: dict, rates: Mapping[str, Rate], *, home_currency: str | None = None) -> dict:
    """A Bill's line Amounts, TxnTaxDetail, TotalAmt and Balance, with the sales arithmetic above (assumption: QBO
    taxes a bill's lines per rate like a sale's). An item line's Amount is Qty × UnitPrice; an account line has
    only its Amount (TaxInclusiveAmt in TaxInclusive mode). Bills have no SubTotal line."""
    lines = [line for line in doc.get("Line", []) if line.get("DetailType") != "SubTotalLineDetail"]
    renamed = []
    for line in bill_lines(lines):  # priced as sales lines, then given back their own detail
        kind = line["DetailType"]
        line["SalesItemLineDetail"] = line.pop(kind)
        line["DetailType"] = "SalesItemLineDetail"
        renamed.append((line, kind))
    doc["Line"] = lines
    try:
        compute_totals(doc, rates, home_currency=home_currency)
    finally:
        for line, kind in renamed:
            line[kind] = line.pop("SalesItemLineDetail")
            line["DetailType"] = kind
        doc["Line"] = [line for line in doc["Line"] if line.get("DetailType") != "SubTotalLineDetail"]
    return doc
