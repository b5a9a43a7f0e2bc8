"""Cross-check of the built KRA request against what the ERP itself computed (`Invoice.erp_totals`).

    check_erp_totals(invoice, request) -> None | note      raises DocumentError when off

The comparison is in the document's currency: the request's KES totals are divided by the
exchange rate. The ERP's figures are in that currency and are what the accountant sees, so the
message quotes numbers they can find on the invoice; comparing in KES would scale the tolerance
with the rate instead.

Tolerance: each line's rounding may move a total by up to one cent of the document currency,
and, for a foreign currency, by one KES cent more (KRA's amounts are rounded per line in KES).
More than that is a DocumentError naming both figures ("a tax or discount is not mapped as the
ERP computes it"); a smaller, non-zero difference is a note for the ledger.

Which totals can be compared (spec §3.5: only VAT is reported; excise is in the VAT base):
    total    KRA totAmt       unless a line has a withholding or other tax (the ERP deducts or adds it)
    untaxed  KRA totTaxblAmt  unless a line has excise (KRA's base includes it, the ERP's does not)
    tax      KRA totTaxAmt    only when every tax is VAT
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connector.errors import DocumentError
from connector.models import Invoice
from connector.money import CENT

SOURCE_NAMES = {"odoo": "Odoo", "quickbooks": "QuickBooks", "csv": "the CSV file"}
FIGURES = (("total", "totAmt"), ("untaxed", "totTaxblAmt"), ("tax", "totTaxAmt"))


def comparable(invoice: Invoice) -> list[tuple[str, str]]:
    """(ERP figure, KRA field) pairs whose meaning is the same for this invoice."""
    kinds = {tax.kind for line in invoice.lines for tax in line.taxes}
    pairs = []
    for figure, field in FIGURES:
        if figure == "total" and kinds & {"withholding", "other"}:
            continue
        if figure == "untaxed" and "excise" in kinds:
            continue
        if figure == "tax" and kinds - {"vat"}:
            continue
        pairs.append((figure, field))
    return pairs


def tolerance(invoice: Invoice) -> Decimal:
    per_line = CENT if invoice.exchange_rate == 1 else CENT + CENT / invoice.exchange_rate
    return per_line * len(invoice.lines)


def check_erp_totals(invoice: Invoice, request: dict[str, Any]) -> str | None:
    """None when the request matches the ERP's totals exactly (or there are none), a note when it is off
    by rounding only; raises `DocumentError` naming both figures when it is off by more."""
    erp = invoice.erp_totals
    if erp is None:
        return None
    allowed, notes = tolerance(invoice), []
    source = SOURCE_NAMES.get(invoice.source, invoice.source)
    for figure, field in comparable(invoice):
        theirs = getattr(erp, figure)
        ours = Decimal(str(request.get(field, "0"))) / invoice.exchange_rate
        difference = abs(ours - theirs)
        said = f"{source} says {figure} {_money(invoice, theirs)}, the KRA request says {_money(invoice, ours)}"
        if difference > allowed:
            message = f"{said}: a tax or discount is not mapped as the ERP computes it"
            raise DocumentError(message, document=invoice.number, field=f"erp_totals.{figure}", value=str(theirs))
        if difference:
            notes.append(said)
    if not notes:
        return None
    return f"ERP totals differ by rounding only (at most {allowed} allowed): " + "; ".join(notes)


def _money(invoice: Invoice, amount: Decimal) -> str:
    """KES with cents; a foreign amount converted back from KES with 4 decimals (and its currency)."""
    if invoice.currency.upper() == "KES":
        return str(amount.quantize(CENT))
    return f"{invoice.currency.upper()} {amount.quantize(Decimal('0.0001'))}"
