"""Test helpers for the Odoo adapter: an adapter connected to a FakeOdoo, and the conformance-suite harness.

from plugins.odoo.harness import adapter_for, OdooHarness18
TestOdoo18 = conformance_suite(OdooHarness18)
"""

from __future__ import annotations

import json
import re
from typing import Any

from connector.mapping import load_mapping
from connector.source_credentials import SourceSecrets
from plugins.odoo.adapter import OdooAdapter
from plugins.odoo.testing import FakeOdoo, InvoiceLine

SIGNATURE = re.compile(r"Signature (\w+)\.")
NOTIFY_TOKEN = "conformance-notify-token"


def adapter_for(odoo: FakeOdoo, source: str = "odoo", secrets: dict[str, str] | None = None,
                **options: Any) -> OdooAdapter:  # fmt: skip
    """An OdooAdapter on the fake (password from an in-memory source secret)."""
    values = {"url": odoo.url, "database": odoo.database, "username": odoo.login, "company": 1} | options
    store = SourceSecrets.in_memory(source, {"password": odoo.password} | (secrets or {}))
    adapter = OdooAdapter.from_options(values, load_mapping("odoo"), source, store)
    assert isinstance(adapter, OdooAdapter)
    return adapter


def sample_invoices(odoo: FakeOdoo) -> list[int]:
    """An invoice with a discount and a section, a tax-included one, and a credit note."""
    ids = odoo.ids
    first = odoo.make_invoice(
        lines=[InvoiceLine(product=ids.product_widget, quantity=3, price_unit="1000", discount="10",
                           taxes=[ids.tax_vat16]),
               InvoiceLine.section("Services"),
               InvoiceLine(product=ids.product_service, quantity=2, price_unit="2500", taxes=[ids.tax_vat16])],
        partner=ids.partner_acme,
    )  # fmt: skip
    second = odoo.make_invoice(
        lines=[InvoiceLine(product=ids.product_service, quantity=1, price_unit="99.99", taxes=[ids.tax_vat16_incl])],
        partner=ids.partner_walkin,
    )
    return [first, second, odoo.make_credit_note(first, reason="Damaged goods")]


class _Harness:
    version = "18"
    addon = True

    def make_adapter(self, tmp_path: Any) -> OdooAdapter:
        odoo = FakeOdoo(version=self.version, addon=self.addon).start()
        sample_invoices(odoo)
        adapter = adapter_for(odoo, secrets={"notify_token": NOTIFY_TOKEN})
        close = adapter.close

        def close_both() -> None:
            close()
            odoo.stop()

        adapter.close = close_both  # type: ignore[method-assign]
        self.odoo = odoo
        return adapter

    def webhook_for(self, adapter: OdooAdapter, document: Any) -> tuple[dict[str, str], bytes]:
        """What the addon posts after `document` is posted (its notify.py): ids and the shared token."""
        body = json.dumps({"database": self.odoo.database, "model": "account.move", "ids": [int(document.external_id)]})
        return {"Content-Type": "application/json", "X-Etims-Token": NOTIFY_TOKEN}, body.encode()

    def forged_webhook_for(self, adapter: OdooAdapter, document: Any) -> tuple[dict[str, str], bytes]:
        """The addon authenticates with a token (not a body signature): a forger does not have it."""
        headers, body = self.webhook_for(adapter, document)
        return {**headers, "X-Etims-Token": NOTIFY_TOKEN[:-1] + "x"}, body

    def written_back(self, adapter: OdooAdapter, ref: dict[str, Any]) -> str | None:
        move = self.odoo.record("account.move", int(ref["id"]))
        if self.addon:
            return move.get("kra_signature") or None
        found = [m for body in self.odoo.messages(int(ref["id"])) for m in SIGNATURE.findall(body["body"])]
        return found[0] if len(found) == 1 else None  # exactly one note: idempotent


class OdooHarness17(_Harness):
    version = "17"


class OdooHarness18(_Harness):
    version = "18"


class OdooHarness18NoAddon(_Harness):
    version = "18"
    addon = False
