"""The Odoo vendor-bill source against a REAL Odoo 17/18 (skipped without one).

    ODOO_URL=http://127.0.0.1:8069 ODOO_DB=mydb ODOO_USER=admin ODOO_PASSWORD=admin pytest tests/test_odoo_bills_real.py

As an accountant would in the UI (over RPC), the test creates a Kenyan vendor with its KRA PIN, a purchase VAT
16 % tax and a product, and posts two vendor bills: one whose Bill Reference is the supplier's eTIMS invoice
number, one without a reference. The bill source reads the first as a Bill (supplier PIN, invoice number, the
line at its cost in KES, VAT excluded) and gives the second as its fields (to become needs-fix naming
supplier_invoice_number); after the last cursor only the late window's unchanged bills come again.
It does not start Odoo.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from connector.adapters import RecordsBills
from connector.mapping import load_mapping
from connector.purchases.models import Bill
from connector.source_credentials import SourceSecrets
from plugins.odoo.adapter import OdooAdapter
from tests.test_odoo_real import URL, Accountant

pytestmark = pytest.mark.skipif(not URL, reason="no real Odoo: set ODOO_URL, ODOO_DB, ODOO_USER, ODOO_PASSWORD")


@pytest.fixture(scope="module")
def billed() -> dict[str, Any]:
    accountant = Accountant()
    run = secrets.token_hex(3).upper()
    company = accountant.one("res.users", accountant.odoo.env.uid, ["company_id"])["company_id"][0]
    [kes] = accountant("res.currency", "search", [("name", "=", "KES"), ("active", "in", [True, False])])
    accountant("res.currency", "write", [kes], {"active": True})
    [kenya] = accountant("res.country", "search", [("code", "=", "KE")])
    tax = accountant("account.tax", "create", {"name": f"KRA test purchase VAT 16% {run}", "amount": 16,
                                               "amount_type": "percent", "type_tax_use": "purchase",
                                               "company_id": company})  # fmt: skip
    pin = f"P05{secrets.randbelow(10**7):07d}Z"
    vendor = accountant("res.partner", "create", {"name": f"KRA Test Supplier {run}", "vat": pin, "is_company": True,
                                                  "country_id": kenya})  # fmt: skip
    product_type = {"detailed_type": "consu"} if accountant.version == 17 else {"type": "consu"}
    code = f"KB-{run}"
    product = accountant("product.product", "create", {"name": f"KRA bill widget {run}", "default_code": code,
                                                       "standard_price": 90} | product_type)  # fmt: skip
    today = date.today().isoformat()

    def bill(ref: str | bool) -> str:
        line = {"product_id": product, "quantity": 4, "price_unit": 250, "tax_ids": [(6, 0, [tax])]}
        values = {"move_type": "in_invoice", "partner_id": vendor, "invoice_date": today, "currency_id": kes,
                  "ref": ref, "invoice_line_ids": [(0, 0, line)], "company_id": company}  # fmt: skip
        move = accountant("account.move", "create", values)
        accountant("account.move", "action_post", [move])
        return accountant.one("account.move", move, ["name"])["name"]

    return {"company": company, "pin": pin, "code": code, "good": bill("41"), "bad": bill(False)}


@pytest.fixture
def adapter(billed: dict[str, Any]) -> Iterator[OdooAdapter]:
    options = {"url": URL, "database": os.environ.get("ODOO_DB"), "username": os.environ.get("ODOO_USER", "admin"),
               "company": billed["company"], "start_date": date.today().isoformat()}  # fmt: skip
    store = SourceSecrets.in_memory("odoo-real", {"password": os.environ.get("ODOO_PASSWORD", "")})
    adapter = OdooAdapter.from_options(options, load_mapping("odoo"), "odoo-real", store)
    assert isinstance(adapter, OdooAdapter)
    adapter.preflight()
    yield adapter
    adapter.close()


def test_a_posted_vendor_bill_is_read_with_its_supplier_pin_and_invoice_number(adapter, billed) -> None:
    assert isinstance(adapter, RecordsBills)
    read = list(adapter.fetch_bills(None))
    found = {(item.number if isinstance(item, Bill) else item.get("number")): item for item, _ in read}
    good = found[billed["good"]]
    assert isinstance(good, Bill)
    assert (good.supplier_pin, good.supplier_invoice_number) == (billed["pin"], "41")
    [line] = good.lines
    assert (line.item.code, line.quantity, line.unit_cost) == (billed["code"], Decimal(4), Decimal(250))
    assert good.totals is not None and good.totals.total == Decimal(1160)
    bad = found[billed["bad"]]
    assert not isinstance(bad, Bill) and not bad.get("supplier_invoice_number")  # needs-fix, naming that field
    again = [item for item, _ in adapter.fetch_bills(read[-1][1])]  # the late window reads recent ones again,
    assert all(item in [first for first, _ in read] for item in again)  # unchanged (the ledger keeps them once)
