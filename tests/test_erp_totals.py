"""The KRA request cross-checked against the totals the ERP computed (`Invoice.erp_totals`)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector.errors import DocumentError
from connector.kra_payload import check_erp_totals
from connector.models import ErpTotals, Invoice, Tax
from tests.test_payload_builder_support import build, load_invoice

PROFILES = ("legacy", "gavaconnect")


def with_totals(invoice: Invoice, untaxed: str, tax: str, total: str) -> Invoice:
    totals = ErpTotals(untaxed=Decimal(untaxed), tax=Decimal(tax), total=Decimal(total))
    return invoice.model_copy(update={"erp_totals": totals})


def erp_view(request: dict, rate: Decimal = Decimal("1")) -> tuple[str, str, str]:
    """What an ERP that computes like KRA would say, in the document currency."""
    return tuple(str((Decimal(str(request[f])) / rate).quantize(Decimal("0.01"))) for f in
                 ("totTaxblAmt", "totTaxAmt", "totAmt"))  # type: ignore[return-value]  # fmt: skip


@pytest.mark.parametrize("profile", PROFILES)
def test_matching_totals_pass_without_a_note(profile: str) -> None:
    invoice = load_invoice("vat-bands")
    request = build(invoice, profile)
    assert check_erp_totals(with_totals(invoice, *erp_view(request)), request) is None


@pytest.mark.parametrize("profile", PROFILES)
def test_a_rounding_difference_is_a_note(profile: str) -> None:
    invoice = load_invoice("vat-bands")
    request = build(invoice, profile)
    untaxed, tax, total = erp_view(request)
    nudged = str(Decimal(total) + Decimal("0.01"))
    note = check_erp_totals(with_totals(invoice, untaxed, tax, nudged), request)
    assert note is not None and f"total {nudged}" in note
    assert f"the KRA request says {Decimal(str(request['totAmt'])).quantize(Decimal('0.01'))}" in note


@pytest.mark.parametrize("profile", PROFILES)
def test_a_wrong_total_names_both_figures(profile: str) -> None:
    invoice = load_invoice("simple-sale").model_copy(update={"source": "odoo"})
    request = build(invoice, profile)
    untaxed, tax, total = erp_view(request)
    wrong = str(Decimal(total) + Decimal("0.50"))
    with pytest.raises(DocumentError) as refused:
        check_erp_totals(with_totals(invoice, untaxed, tax, wrong), request)
    text = refused.value.describe()
    assert f"Odoo says total {wrong}, the KRA request says {total}" in text
    assert "not mapped as the ERP computes it" in text and refused.value.field == "erp_totals.total"


def test_wrong_tax_is_caught_even_when_the_total_matches() -> None:
    invoice = load_invoice("simple-sale")
    request = build(invoice, "legacy")
    untaxed, tax, total = erp_view(request)
    with pytest.raises(DocumentError, match="tax"):
        check_erp_totals(with_totals(invoice, str(Decimal(untaxed) + 1), str(Decimal(tax) - 1), total), request)


def test_foreign_currency_is_compared_in_the_document_currency() -> None:
    invoice = load_invoice("foreign-currency")
    request = build(invoice, "legacy")
    rate = invoice.exchange_rate
    assert rate != 1
    untaxed, tax, total = erp_view(request, rate)
    check_erp_totals(with_totals(invoice, untaxed, tax, total), request)  # KES rounding per line: within tolerance
    with pytest.raises(DocumentError, match=f"{invoice.currency.upper()} "):
        check_erp_totals(with_totals(invoice, untaxed, tax, str(Decimal(total) + 1)), request)


def test_withholding_leaves_the_total_and_tax_uncompared() -> None:
    invoice = load_invoice("simple-sale")
    lines = [line.model_copy(update={"taxes": [*line.taxes, Tax(code="WHT", rate=Decimal("2"), kind="withholding")]})
             for line in invoice.lines]  # fmt: skip
    invoice = invoice.model_copy(update={"lines": lines})
    request = build(invoice, "legacy")
    untaxed, _, total = erp_view(request)
    net_of_withholding = str(Decimal(total) - Decimal("3.00"))  # the ERP deducts withholding from its total
    assert check_erp_totals(with_totals(invoice, untaxed, "0", net_of_withholding), request) is None
    with pytest.raises(DocumentError, match="untaxed"):
        check_erp_totals(with_totals(invoice, str(Decimal(untaxed) + 1), "0", total), request)


def test_no_erp_totals_no_check() -> None:
    invoice = load_invoice("simple-sale")
    assert check_erp_totals(invoice, build(invoice, "legacy")) is None


def test_the_sender_refuses_wrong_erp_totals_and_notes_rounding(context, simulator) -> None:  # type: ignore[no-untyped-def]
    from connector.ledger import NEEDS_FIX, Ledger
    from connector.ledger.schema import SIGNED
    from connector.pipeline import Pipeline, Source, default_mapping
    from tests.pipeline_helpers import make_invoice

    device = context.settings.device()
    source = Source("test", None, default_mapping("test"), device)
    pipeline = Pipeline(context, {"test": source})
    # 1 x 116.00 VAT-inclusive at 16 %: untaxed 100.00, tax 16.00, total 116.00
    wrong = with_totals(make_invoice("T-1"), "100.00", "16.00", "116.50")
    rounded = with_totals(make_invoice("T-2"), "100.00", "16.00", "116.01")
    ids = [pipeline.record_invoice(invoice, source, {}) for invoice in (wrong, rounded)]
    pipeline.drain(device.key, budget_seconds=30)
    ledger = Ledger(context.db)
    refused, signed = ledger.get(ids[0]), ledger.get(ids[1])
    assert refused.state == NEEDS_FIX and "says total 116.50, the KRA request says 116.00" in (refused.reason or "")
    assert refused.invoice_number is None  # its number was given back
    assert signed.state in SIGNED and signed.invoice_number == 1
    events = [row[0] for row in ledger.db.execute("SELECT detail FROM events WHERE document_id = ?", [ids[1]])]
    assert any("differ by rounding only" in (event or "") for event in events), events
