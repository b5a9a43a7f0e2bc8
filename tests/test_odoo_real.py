"""The Odoo adapter against a REAL Odoo 17/18 server someone else started (skipped without one).

    ODOO_URL=http://127.0.0.1:8069 ODOO_DB=mydb ODOO_USER=admin ODOO_PASSWORD=admin pytest tests/test_odoo_real.py

Over RPC, as an accountant would in the UI, the test creates its own customer, product, 16 % tax, a KES invoice
(with a 10 % discount and a section) and its reversal, posts them, then runs the adapter: canonical invoice,
the KRA request's totals against Odoo's own, write-back (addon fields when installed, one chatter note), and a
needs-fix reason. It does not start Odoo and does not need ETIMS_REQUIRE_SERVICES: without ODOO_URL it skips.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import odoorpc
import pytest

from connector.mapping import load_mapping
from connector.source_credentials import SourceSecrets
from connector.testing import sample_receipt
from plugins.odoo.adapter import OdooAdapter
from plugins.odoo.config import OdooConfig
from tests.test_odoo_canonical import kra

URL = os.environ.get("ODOO_URL")
pytestmark = pytest.mark.skipif(not URL, reason="no real Odoo: set ODOO_URL, ODOO_DB, ODOO_USER, ODOO_PASSWORD")


class Accountant:
    """Plain odoorpc calls, as the Odoo UI would make them."""

    def __init__(self) -> None:
        config = OdooConfig(url=URL or "http://x", database=os.environ.get("ODOO_DB", ""),
                            username=os.environ.get("ODOO_USER", "admin"), company=1)  # fmt: skip
        self.odoo = odoorpc.ODOO(config.host, protocol=config.protocol, port=config.port, timeout=60)
        self.odoo.login(config.database, config.username, os.environ.get("ODOO_PASSWORD", ""))
        self.version = int(self.odoo.version.split(".")[0])

    def __call__(self, model: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return self.odoo.execute_kw(model, method, list(args), kwargs)

    def one(self, model: str, record_id: int, fields: list[str]) -> dict[str, Any]:
        return self(model, "read", [record_id], fields=fields)[0]


@pytest.fixture(scope="module")
def accountant() -> Accountant:
    return Accountant()


@pytest.fixture(scope="module")
def setup(accountant: Accountant) -> dict[str, Any]:
    run = secrets.token_hex(3).upper()
    user = accountant.one("res.users", accountant.odoo.env.uid, ["company_id"])
    company = user["company_id"][0]
    [kes] = accountant("res.currency", "search", [("name", "=", "KES"), ("active", "in", [True, False])])
    accountant("res.currency", "write", [kes], {"active": True})  # invoices in KES need it active
    tax = accountant("account.tax", "create", {"name": f"KRA test VAT 16% {run}", "amount": 16,
                                               "amount_type": "percent", "type_tax_use": "sale",
                                               "company_id": company})  # fmt: skip
    partner = accountant("res.partner", "create", {"name": f"KRA Test Customer {run}", "vat": "P051234567A"})
    product_type = {"detailed_type": "consu"} if accountant.version == 17 else {"type": "consu"}
    values = {"name": f"KRA test widget {run}", "default_code": f"KT-{run}", "list_price": 500}
    product = accountant("product.product", "create", values | {"taxes_id": [(6, 0, [tax])]} | product_type)
    return {"run": run, "company": company, "kes": kes, "tax": tax, "partner": partner, "product": product}


@pytest.fixture(scope="module")
def posted(accountant: Accountant, setup: dict[str, Any]) -> dict[str, int]:
    lines = [(0, 0, {"product_id": setup["product"], "quantity": 3, "price_unit": 1000, "discount": 10,
                     "tax_ids": [(6, 0, [setup["tax"]])]}),
             (0, 0, {"display_type": "line_section", "name": "Services"}),
             (0, 0, {"product_id": setup["product"], "quantity": 2, "price_unit": 2500,
                     "tax_ids": [(6, 0, [setup["tax"]])]})]  # fmt: skip
    values = {"move_type": "out_invoice", "partner_id": setup["partner"], "currency_id": setup["kes"]}
    values |= {"invoice_date": date.today().isoformat(), "invoice_line_ids": lines}
    invoice = accountant("account.move", "create", values)
    accountant("account.move", "action_post", [invoice])
    journal = accountant.one("account.move", invoice, ["journal_id"])["journal_id"][0]
    wizard = accountant("account.move.reversal", "create",
                        {"reason": "Goods returned: 1 widget damaged in transit", "journal_id": journal},
                        context={"active_model": "account.move", "active_ids": [invoice]})  # fmt: skip
    action = accountant("account.move.reversal", "refund_moves", [wizard])
    refund = action["res_id"]
    accountant("account.move", "action_post", [refund])
    return {"invoice": invoice, "refund": refund}


@pytest.fixture
def adapter(setup: dict[str, Any]) -> Iterator[OdooAdapter]:
    options = {"url": URL, "database": os.environ.get("ODOO_DB"), "username": os.environ.get("ODOO_USER", "admin"),
               "company": setup["company"], "start_date": date.today().isoformat()}  # fmt: skip
    store = SourceSecrets.in_memory("odoo-real", {"password": os.environ.get("ODOO_PASSWORD", "")})
    adapter = OdooAdapter.from_options(options, load_mapping("odoo"), "odoo-real", store)
    assert isinstance(adapter, OdooAdapter)
    yield adapter
    adapter.close()


def test_polling_finds_the_posted_invoice_and_credit_note(adapter: OdooAdapter, posted: dict[str, int]) -> None:
    seen = [document.external_id for document, _cursor in adapter.fetch_new(None)]
    assert str(posted["invoice"]) in seen and str(posted["refund"]) in seen
    assert len(seen) == len(set(seen))


def test_canonical_and_kra_totals_match_odoo(accountant: Accountant, adapter: OdooAdapter,
                                              posted: dict[str, int]) -> None:  # fmt: skip
    [document] = list(adapter.fetch_changed([str(posted["invoice"])]))
    invoice = adapter.to_canonical(document)
    assert [line.quantity for line in invoice.lines] == [3, 2] and invoice.lines[0].discount_percent == 10
    assert invoice.buyer is not None and invoice.buyer.pin == "P051234567A"
    move = accountant.one("account.move", posted["invoice"], ["amount_untaxed", "amount_tax", "amount_total"])
    wire = kra(invoice, adapter)
    assert wire["totAmt"] == Decimal(str(move["amount_total"])) == Decimal("8932")
    assert wire["totTaxAmt"] == Decimal(str(move["amount_tax"]))
    assert wire["taxblAmtB"] == Decimal(str(move["amount_untaxed"]))


def test_credit_note_names_its_original_and_reason(adapter: OdooAdapter, posted: dict[str, int]) -> None:
    [document] = list(adapter.fetch_changed([str(posted["refund"])]))
    credit = adapter.to_canonical(document)
    assert credit.kind == "credit_note" and credit.original is not None
    assert credit.original.external_id == str(posted["invoice"]) and credit.refund_reason == "Damaged"


def test_write_back_and_needs_fix_reach_odoo_once(accountant: Accountant, adapter: OdooAdapter,
                                                  posted: dict[str, int]) -> None:  # fmt: skip
    receipt = sample_receipt(posted["invoice"] % 100000)
    ref = {"id": posted["invoice"]}
    adapter.write_back(ref, receipt)
    adapter.write_back(ref, receipt)
    domain = [("model", "=", "account.move"), ("res_id", "=", posted["invoice"]), ("body", "ilike", receipt.signature)]
    assert accountant("mail.message", "search_count", domain) == 1
    adapter.report_problem({"id": posted["refund"]}, "KRA said: original invoice not found")
    adapter.report_problem({"id": posted["refund"]}, "KRA said: original invoice not found")
    domain = [("model", "=", "account.move"), ("res_id", "=", posted["refund"]), ("body", "ilike", "needs fixing")]
    assert accountant("mail.message", "search_count", domain) == 1
    if adapter.reader.addon:
        move = accountant.one("account.move", posted["invoice"], ["kra_state", "kra_signature", "kra_qr_url"])
        assert (move["kra_state"], move["kra_signature"], move["kra_qr_url"]) == ("signed", receipt.signature,
                                                                                  receipt.qr_url)  # fmt: skip
        refund = accountant.one("account.move", posted["refund"], ["kra_state", "kra_message"])
        assert refund == {"id": posted["refund"], "kra_state": "needs_fix",
                          "kra_message": "KRA said: original invoice not found"}  # fmt: skip


def test_preflight_and_health(adapter: OdooAdapter) -> None:
    assert adapter.preflight() == []  # Community: Odoo's own l10n_ke_edi_oscu is not there
    assert "Odoo 1" in adapter.health()


def test_send_to_kra_again_is_seen_once_and_cleared(accountant: Accountant, adapter: OdooAdapter,
                                                    posted: dict[str, int]) -> None:  # fmt: skip
    if not adapter.reader.addon:
        pytest.skip("the kra_etims_connector addon is not installed on this Odoo")
    refund = posted["refund"]
    adapter.report_problem({"id": refund}, "KRA said: original invoice not found")
    accountant("account.move", "action_kra_send_again", [refund])  # the button on the needs-fix invoice
    [document] = list(adapter.fetch_changed([str(refund)]))
    assert document.retry_requested
    assert accountant.one("account.move", refund, ["kra_resend_requested"])["kra_resend_requested"] is False
    [again] = list(adapter.fetch_changed([str(refund)]))
    assert not again.retry_requested
