"""Test harness: a QuickBooksAdapter connected to a FakeQuickBooks realm (conformance suite, tests, bench).

qbo = FakeQuickBooks().start()
realm, adapter = connected_adapter(qbo, "9130350000000001")
"""

from __future__ import annotations

from typing import Any

from connector.adapters import SourceDocument
from connector.mapping import load_mapping
from connector.source_credentials import SourceSecrets
from plugins.quickbooks.adapter import QuickBooksAdapter
from plugins.quickbooks.config import QuickBooksConfig
from plugins.quickbooks.testing import (
    ChangeEvent,
    FakeQuickBooks,
    Realm,
    cloudevents_body,
    make_customer,
    make_invoice,
    make_item,
    sales_line,
    sign,
)
from plugins.quickbooks.tokens import Tokens
from plugins.quickbooks.writeback import signature_in

REALM = "9130350000000001"
BUYER_PIN = "P051234567X"


def fake_options(qbo: FakeQuickBooks, **options: Any) -> dict[str, Any]:
    """Options pointing at the fake, with short waits so throttling tests stay fast."""
    return {"environment": qbo.discovery_url, "api_url": qbo.api_url_v3, "throttle_wait_seconds": 0.05,
            "timeout_seconds": 10, **options}  # fmt: skip


def connect_secrets(qbo: FakeQuickBooks, realm_id: str, secrets: SourceSecrets) -> None:
    """What `quickbooks connect` leaves in the store (without the browser round trip)."""
    secrets.set_many({"client_id": qbo.client_id, "client_secret": qbo.client_secret,
                      "verifier_token": qbo.verifier_token})  # fmt: skip
    tokens = qbo.issue_tokens(realm_id)
    config = QuickBooksConfig(environment=qbo.discovery_url)
    Tokens(config, secrets, secrets.source).save(realm_id, tokens.access_token, tokens.refresh_token, tokens.expires_in)


def connected_adapter(
    qbo: FakeQuickBooks, realm_id: str = REALM, source: str = "qbo", secrets: SourceSecrets | None = None,
    **options: Any,
) -> tuple[Realm, QuickBooksAdapter]:  # fmt: skip
    realm = qbo.realms.get(realm_id) or qbo.add_realm(realm_id)
    secrets = secrets or SourceSecrets.in_memory(source)
    connect_secrets(qbo, realm_id, secrets)
    adapter = QuickBooksAdapter.from_options(fake_options(qbo, **options), load_mapping("quickbooks"), source, secrets)
    assert isinstance(adapter, QuickBooksAdapter)
    return realm, adapter


def seed(realm: Realm, invoices: int = 2) -> list[dict[str, Any]]:
    customer = realm.add("Customer", make_customer("Amani Traders Ltd", pin=BUYER_PIN))
    item = realm.add("Item", make_item("Consulting", type="Service", sku="SRV-001", unit_price="1000"))
    return [realm.add("Invoice", make_invoice(customer, [sales_line(item, n + 1)])) for n in range(invoices)]


class QuickBooksHarness:
    """For `connector.testing.conformance_suite`."""

    def make_adapter(self, tmp_path: Any) -> QuickBooksAdapter:
        qbo = FakeQuickBooks().start()
        realm, adapter = connected_adapter(qbo)
        seed(realm)
        self.qbo, self.realm = qbo, realm
        close = adapter.close

        def close_and_stop() -> None:
            close()
            qbo.stop()

        adapter.close = close_and_stop  # type: ignore[method-assign]
        return adapter

    def webhook_for(self, adapter: QuickBooksAdapter, document: SourceDocument) -> tuple[dict[str, str], bytes]:
        entity = document.ref["entity"]
        event = ChangeEvent(self.realm.realm_id, entity, document.external_id, "Update", self.qbo.clock.now())
        body = cloudevents_body([event])
        return {"intuit-signature": sign(body, self.qbo.verifier_token), "Content-Type": "application/json"}, body

    def written_back(self, adapter: QuickBooksAdapter, ref: dict[str, Any]) -> str | None:
        doc = self.realm.get(ref["entity"], ref["id"])
        return signature_in(doc.get("PrivateNote")) if doc else None
