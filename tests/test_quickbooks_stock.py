"""QuickBooks Online inventory (QtyOnHand) as the stock source, against the fake QBO over HTTP (the real
python-quickbooks) and the strict GavaConnect simulator: the first sync reports an opening adjustment (06) and the
stock master; a sale typed in QBO lowers QtyOnHand there and is reported as its own stock-out (11) only, never
as an adjustment; an inventory adjustment in QBO becomes an adjustment_in (06) / adjustment_out (16) after two
polls agree; a sale beyond stock waits (needs-fix, with the QuickBooks advice) until the quantity on hand is
raised in QBO; services and non-inventory items never move stock."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connector.kra.simulator import Simulator
from connector.ledger import Ledger
from connector.ledger.schema import SIGNED
from connector.mapping import load_mapping
from connector.pipeline import Pipeline, Source
from connector.stock import ledger as stock_ledger
from connector.stock.on_hand import cursor_name
from plugins.quickbooks.adapter import QuickBooksAdapter
from plugins.quickbooks.harness import BUYER_PIN, connected_adapter
from plugins.quickbooks.testing import (
    FakeQuickBooks,
    Realm,
    make_credit_memo,
    make_customer,
    make_invoice,
    make_item,
    sales_line,
)
from tests.conftest import PIN
from tests.postgres_helpers import postgres_url  # noqa: F401  (a fixture)
from tests.test_stock_flow import start
from tests.test_stock_sending import drain, sim_master


class Shop:
    """A QBO company with flour (Inventory, 10 on hand, bought at 150), consulting (Service) and bags
    (NonInventory), connected as source "qbo" of the strict pipeline."""

    def __init__(self, qbo: FakeQuickBooks, sim: Simulator, pipeline: Pipeline) -> None:
        self.qbo, self.sim, self.pipeline = qbo, sim, pipeline
        realm, adapter = connected_adapter(qbo)
        self.realm: Realm = realm
        self.adapter: QuickBooksAdapter = adapter
        adapter.ledger = lambda: pipeline.ledger  # type: ignore[method-assign]
        mapping = load_mapping("quickbooks")
        pipeline.sources["qbo"] = Source("qbo", adapter, mapping, pipeline.settings.devices[0])
        self.customer = realm.add("Customer", make_customer("Amani Traders Ltd", pin=BUYER_PIN))
        self.flour = realm.add("Item", make_item("Flour", type="Inventory", sku="FL-2", unit_price="215.5",
                                                 qty_on_hand=10, purchase_cost="150"))  # fmt: skip
        self.consulting = realm.add("Item", make_item("Consulting", sku="SRV-1", unit_price="1500"))
        self.bags = realm.add("Item", make_item("Bags", type="NonInventory", sku="BAG-1", unit_price="15"))

    @property
    def ledger(self) -> Ledger:
        return self.pipeline.ledger

    @property
    def key(self) -> str:
        return self.pipeline.settings.devices[0].key

    def poll(self, times: int = 1) -> None:
        for _ in range(times):
            self.pipeline.ingest("qbo")

    def sell(self, *lines: tuple[dict, int]) -> dict:
        return self.realm.add("Invoice", make_invoice(self.customer, [sales_line(item, qty) for item, qty in lines]))

    def on_hand(self) -> Decimal:
        return Decimal(str(self.realm.get("Item", self.flour["Id"])["QtyOnHand"]))

    def adjust(self, quantity: int) -> None:
        """An inventory adjustment in QBO: the item's quantity on hand set to `quantity`."""
        self.realm.edit("Item", self.flour["Id"], QtyOnHand=Decimal(quantity))

    def stock_docs(self) -> list[Any]:
        return self.ledger.documents("kind = 'stock'")

    def adjustments(self) -> list[Any]:
        return [d for d in self.stock_docs() if d.external_id.startswith("on-hand:")]

    def document(self, entity_id: str, kind: str = "invoice") -> Any:
        return self.ledger.find("qbo", entity_id, kind)

    def flour_code(self) -> str:
        from connector.ledger import items as item_store

        known = item_store.registered_code(self.ledger.db, PIN, "FL-2")
        assert known is not None
        return known[0]

    def kra_quantity(self) -> Decimal:
        return stock_ledger.quantity_of(self.ledger, self.key, self.flour_code())


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    with FakeQuickBooks() as qbo:
        for sim, pipeline in start(tmp_path):
            yield Shop(qbo, sim, pipeline)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_ledger_shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Shop]:
    """The shop with the ledger on each backend in turn."""
    from pydantic import SecretStr

    from tests import test_stock_flow

    original = make_settings = test_stock_flow.make_settings
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")

        def make_settings(*args: Any, **kwargs: Any) -> Any:  # type: ignore[no-redef]
            settings = original(*args, **kwargs)
            settings.ledger.url = SecretStr(url)
            return settings

    with pytest.MonkeyPatch.context() as patch, FakeQuickBooks() as qbo:
        patch.setattr(test_stock_flow, "make_settings", make_settings)
        for sim, pipeline in start(tmp_path):
            yield Shop(qbo, sim, pipeline)


def sim_ios(sim: Simulator) -> dict[int, str]:
    return {int(r.key): r.body["sarTyCd"] for r in sim.store.records("stock_io", tin=PIN, bhf_id="00")}


def test_first_sync_reports_the_opening_stock_and_its_master(shop: Shop) -> None:
    shop.poll()
    (opening,) = shop.adjustments()
    move = stock_ledger.move_of(opening)
    assert (opening.external_id, opening.number) == (f"on-hand:{shop.flour['Id']}:1", "QuickBooks opening stock Flour")
    assert move.kind == "adjustment_in" and move.lines[0].quantity == Decimal(10)
    assert (move.lines[0].item.code, move.lines[0].unit_cost, move.lines[0].taxes[0].code) == ("FL-2", 150, "21")
    drain(shop.pipeline)
    opening = shop.ledger.get(opening.id)
    assert opening.state == "accepted" and opening.stock_number == 1, opening.reason
    assert opening.request["sarTyCd"] == "06" and opening.request["itemList"][0]["qty"] == 10
    assert opening.request["itemList"][0]["prc"] == 150  # PurchaseCost, VAT excluded
    assert shop.kra_quantity() == Decimal(10) and sim_master(shop.sim, shop.flour_code()) == Decimal(10)
    shop.poll(3)
    assert len(shop.stock_docs()) == 1  # nothing changed: nothing more
    assert shop.adapter.stock_on_hand(None, ["FL-2", "SRV-1", "BAG-1"]) == {"FL-2": Decimal(10)}


def test_a_sale_typed_in_quickbooks_is_its_stock_out_never_an_adjustment(any_ledger_shop: Shop) -> None:
    shop = any_ledger_shop
    shop.poll()
    drain(shop.pipeline)
    invoice = shop.sell((shop.flour, 3), (shop.consulting, 1))
    assert shop.on_hand() == Decimal(7)  # QBO lowered it when the invoice was saved
    shop.poll()  # the invoice is read first, so 7 is what the ledger expects: no adjustment
    drain(shop.pipeline)
    sold = shop.document(invoice["Id"])
    assert sold.state in SIGNED, sold.reason
    out = shop.ledger.find("qbo", f"sale-out:{sold.id}", "stock")
    assert out is not None and out.state == "accepted" and out.request["itemList"][0]["qty"] == 3
    assert len(out.request["itemList"]) == 1  # consulting is a service: no stock
    memo = shop.realm.add("CreditMemo", make_credit_memo(shop.customer, [sales_line(shop.flour, 1)],
                                                         linked_txn=[{"TxnId": invoice["Id"], "TxnType": "Invoice"}]))
    assert shop.on_hand() == Decimal(8)
    shop.poll(3)
    drain(shop.pipeline)
    note = shop.document(memo["Id"], "credit_note")
    assert note.state in SIGNED, note.reason
    shop.poll(3)
    assert len(shop.adjustments()) == 1  # the opening only
    assert (shop.kra_quantity(), sim_master(shop.sim, shop.flour_code())) == (Decimal(8), Decimal(8))
    assert sim_ios(shop.sim) == {1: "06", 2: "11", 3: "03"}


def test_a_sale_saved_between_the_invoice_read_and_the_quantity_read_is_no_adjustment(shop: Shop) -> None:
    shop.poll()
    drain(shop.pipeline)
    rows, typed = shop.adapter.stock.rows, []

    def a_bookkeeper_saves_a_sale_meanwhile() -> list[dict]:
        if not typed:
            typed.append(shop.sell((shop.flour, 2)))  # after our invoice read, before our Item query
        return rows()

    shop.adapter.stock.rows = a_bookkeeper_saves_a_sale_meanwhile  # type: ignore[method-assign]
    shop.poll()  # QBO shows 8, the ledger does not know the sale yet: seen once, not reported
    assert len(shop.adjustments()) == 1
    shop.poll(3)  # the sale is in the ledger now: 8 is expected
    drain(shop.pipeline)
    assert shop.document(typed[0]["Id"]).state in SIGNED
    assert len(shop.adjustments()) == 1 and shop.kra_quantity() == Decimal(8)
    assert shop.ledger.cursor(cursor_name("qbo")) is not None


def test_an_inventory_adjustment_in_quickbooks_is_reported_once_two_polls_agree(shop: Shop) -> None:
    shop.poll()
    drain(shop.pipeline)
    shop.adjust(15)  # 5 found in the store room
    shop.poll()
    assert len(shop.adjustments()) == 1  # seen once
    shop.poll()
    adjustment = shop.adjustments()[-1]
    assert adjustment.external_id == f"on-hand:{shop.flour['Id']}:2" and adjustment.number == "QuickBooks stock Flour"
    drain(shop.pipeline)
    adjustment = shop.ledger.get(adjustment.id)
    assert adjustment.state == "accepted", adjustment.reason
    assert adjustment.request["sarTyCd"] == "06" and adjustment.request["itemList"][0]["qty"] == 5
    assert (shop.kra_quantity(), sim_master(shop.sim, shop.flour_code())) == (Decimal(15), Decimal(15))

    shop.adjust(11)  # 4 spoilt
    shop.poll(2)
    drain(shop.pipeline)
    lowered = shop.adjustments()[-1]
    assert lowered.state == "accepted" and lowered.request["sarTyCd"] == "16", lowered.reason
    assert lowered.request["itemList"][0]["qty"] == 4
    assert (shop.kra_quantity(), sim_master(shop.sim, shop.flour_code())) == (Decimal(11), Decimal(11))
    shop.poll(3)
    assert len(shop.adjustments()) == 3
    assert sim_ios(shop.sim) == {1: "06", 2: "06", 3: "16"}


def test_a_change_seen_once_then_undone_is_not_reported(shop: Shop) -> None:
    shop.poll()
    drain(shop.pipeline)
    shop.adjust(12)
    shop.poll()
    shop.adjust(10)  # typed by mistake and put back before the next poll
    shop.poll(3)
    assert len(shop.adjustments()) == 1


def test_a_sale_beyond_stock_waits_until_the_quantity_is_raised_in_quickbooks(any_ledger_shop: Shop) -> None:
    shop = any_ledger_shop
    shop.poll()
    drain(shop.pipeline)
    invoice = shop.sell((shop.flour, 14))
    assert shop.on_hand() == Decimal(-4)  # QBO lets the sale go below zero
    shop.poll(3)  # QBO's -4 is what KRA would hold after the sale: nothing is made up for it
    drain(shop.pipeline)
    short = shop.document(invoice["Id"])
    assert short.state == "needs-fix" and short.invoice_number is None
    assert "KRA has 10 in stock on record for device" in short.reason and "this sale needs 14" in short.reason
    assert "raise the item's quantity on hand in QuickBooks (qbo)" in short.reason
    assert len(shop.adjustments()) == 1

    shop.adjust(0)  # the 4 bags of flour the bookkeeper forgot to receive
    shop.poll(2)
    drain(shop.pipeline)
    raised = shop.adjustments()[-1]
    assert raised.state == "accepted" and raised.request["itemList"][0]["qty"] == 4, raised.reason
    sold = shop.document(invoice["Id"])
    assert sold.state in SIGNED, sold.reason  # queued again by the accepted stock-in, and signed
    assert (shop.kra_quantity(), sim_master(shop.sim, shop.flour_code())) == (Decimal(0), Decimal(0))
    shop.poll(3)
    assert len(shop.adjustments()) == 2


def test_a_sale_beyond_stock_voided_in_quickbooks_gives_its_quantity_back_and_moves_nothing(shop: Shop) -> None:
    shop.poll()
    drain(shop.pipeline)
    invoice = shop.sell((shop.flour, 14))
    shop.poll()
    drain(shop.pipeline)
    assert shop.document(invoice["Id"]).state == "needs-fix"
    shop.realm.void("Invoice", invoice["Id"])  # instead of raising the quantity
    assert shop.on_hand() == Decimal(10)
    shop.poll(3)
    drain(shop.pipeline)
    voided = shop.document(invoice["Id"])
    assert voided.state == "discarded" and voided.invoice_number is None  # closed, never sent: nothing to fix
    assert "voided in QuickBooks before it was sent to KRA" in voided.reason
    assert len(shop.adjustments()) == 1 and shop.kra_quantity() == Decimal(10)


def test_services_and_non_inventory_items_never_move_stock(shop: Shop) -> None:
    invoice = shop.sell((shop.consulting, 2))
    shop.sell((shop.bags, 5))  # QBO keeps no quantity of it: never an adjustment (its sale needs stock at KRA)
    shop.poll(3)
    drain(shop.pipeline)
    sold = shop.document(invoice["Id"])
    assert sold.state in SIGNED, sold.reason
    assert [d.external_id for d in shop.stock_docs()] == [f"on-hand:{shop.flour['Id']}:1"]
    assert [item.item.code for item in shop.adapter.inventory()] == ["FL-2"]


def test_first_sync_counts_the_unsigned_sales_quickbooks_already_took_off(shop: Shop) -> None:
    invoice = shop.sell((shop.flour, 4))  # typed before the connector's first poll: QBO shows 6
    shop.poll()
    (opening,) = shop.adjustments()
    assert stock_ledger.move_of(opening).lines[0].quantity == Decimal(10)  # 6 on hand + 4 not yet signed
    drain(shop.pipeline)
    assert shop.document(invoice["Id"]).state in SIGNED
    assert shop.kra_quantity() == Decimal(6) == shop.on_hand()
    shop.poll(3)
    assert len(shop.adjustments()) == 1


def test_the_fake_moves_quantity_on_hand_like_quickbooks_through_the_library(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import json

    from quickbooks.objects.creditmemo import CreditMemo
    from quickbooks.objects.invoice import Invoice as QboInvoice
    from quickbooks.objects.item import Item

    from plugins.quickbooks.testing import quickbooks_client

    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with FakeQuickBooks() as qbo:
        realm = qbo.add_realm("9130350000000001")
        qb = quickbooks_client(qbo, qbo.issue_tokens(realm.realm_id))
        customer = realm.add("Customer", make_customer("Amani Traders Ltd"))
        flour = realm.add("Item", make_item("Flour", type="Inventory", qty_on_hand=10))
        service = realm.add("Item", make_item("Consulting"))

        def on_hand() -> Decimal:
            return Item.get(flour["Id"], qb=qb).QtyOnHand

        body = make_invoice(customer, [sales_line(flour, 3), sales_line(service, 2)])
        created = qb.create_object("Invoice", json.dumps(body, default=str))["Invoice"]
        assert on_hand() == Decimal(7)  # saving the invoice took 3 off; the service moves nothing
        lines = [sales_line(flour, 5)]
        qb.update_object("Invoice", json.dumps({"Id": created["Id"], "SyncToken": created["SyncToken"], "sparse": True,
                                                "Line": lines}, default=str))  # fmt: skip
        assert on_hand() == Decimal(5)  # the difference of the new version
        qb.update_object("Invoice", json.dumps({"Id": created["Id"], "SyncToken": "1", "sparse": True,
                                                "PrivateNote": "KRA receipt"}))  # fmt: skip
        assert on_hand() == Decimal(5)  # a write-back (no lines) moves nothing
        QboInvoice.get(created["Id"], qb=qb).void(qb=qb)
        assert on_hand() == Decimal(10)
        memo = CreditMemo.from_json(qb.create_object("CreditMemo", json.dumps(
            make_credit_memo(customer, [sales_line(flour, 2)]), default=str))["CreditMemo"])  # fmt: skip
        assert on_hand() == Decimal(12)
        memo.delete(qb=qb)
        assert on_hand() == Decimal(10)
        again = realm.add("Invoice", make_invoice(customer, [sales_line(flour, 11)]))
        assert on_hand() == Decimal(-1)  # QBO lets a sale go beyond the quantity on hand
        realm.delete("Invoice", again["Id"])
        realm.edit("Item", flour["Id"], QtyOnHand=Decimal(25))  # an inventory adjustment
        assert on_hand() == Decimal(25) and realm.get("Item", service["Id"]).get("QtyOnHand") is None


def test_an_adjustment_recorded_just_before_a_crash_is_not_numbered_twice(shop: Shop) -> None:
    shop.poll()
    drain(shop.pipeline)
    shop.ledger.set_cursor(cursor_name("qbo"), None)  # what a crash after recording, before the cursor, leaves
    shop.adjust(13)
    shop.poll(2)
    assert [d.external_id for d in shop.adjustments()] == [f"on-hand:{shop.flour['Id']}:{n}" for n in (1, 2)]
    drain(shop.pipeline)
    assert shop.kra_quantity() == Decimal(13)


def test_cost_is_the_purchase_cost_without_vat_else_the_sales_price(shop: Shop) -> None:
    shop.realm.edit("Item", shop.flour["Id"], PurchaseCost=Decimal("116"), PurchaseTaxIncluded=True)
    rice = shop.realm.add("Item", make_item("Rice", type="Inventory", sku="RC-1", unit_price="232", tax_included=True,
                                            qty_on_hand=4))  # fmt: skip
    oil = shop.realm.add("Item", make_item("Oil", type="Inventory", sku="OIL-1", unit_price="0", tax_code=None,
                                           qty_on_hand=2))  # fmt: skip
    items = {item.item.code: item for item in shop.adapter.inventory()}
    assert items["FL-2"].unit_cost == Decimal(100)  # 116 with VAT at 16 %
    assert items["RC-1"].unit_cost == Decimal(200)  # no purchase cost: the sales price, VAT excluded
    assert (items["OIL-1"].unit_cost, items["OIL-1"].taxes[0].code) == (0, "NotApplicable")
    assert (rice["Id"], oil["Id"]) == (items["RC-1"].external_id, items["OIL-1"].external_id)


def test_an_opening_without_any_cost_goes_once_the_cost_is_entered_in_quickbooks(shop: Shop) -> None:
    shop.realm.edit("Item", shop.flour["Id"], PurchaseCost=Decimal(0), UnitPrice=Decimal(0))
    shop.poll()
    drain(shop.pipeline)
    (opening,) = shop.adjustments()
    opening = shop.ledger.get(opening.id)
    assert opening.state == "needs-fix" and "unit_cost" in opening.reason and opening.stock_number is None
    shop.poll(2)
    assert shop.ledger.get(opening.id).state == "needs-fix" and len(shop.adjustments()) == 1  # not again
    shop.realm.edit("Item", shop.flour["Id"], PurchaseCost=Decimal(140))
    shop.poll()
    drain(shop.pipeline)
    opening = shop.ledger.get(opening.id)
    assert opening.state == "accepted" and opening.request["itemList"][0]["prc"] == 140, opening.reason
    assert len(shop.adjustments()) == 1 and shop.kra_quantity() == Decimal(10)


def test_quantities_quickbooks_refuses_to_give_never_hold_up_the_sales(shop: Shop) -> None:
    shop.poll()
    drain(shop.pipeline)
    invoice = shop.sell((shop.flour, 2))
    rows = shop.adapter.stock.rows

    def refused_once() -> list[dict]:
        shop.adapter.stock.rows = rows  # type: ignore[method-assign]
        shop.realm.inject("validation_400", count=1, route="query")  # QBO refuses the Item query this once
        return rows()

    shop.adapter.stock.rows = refused_once  # type: ignore[method-assign]
    shop.poll()
    drain(shop.pipeline)
    sold = shop.document(invoice["Id"])
    assert sold.state in SIGNED, sold.reason
    shop.poll(3)
    assert len(shop.adjustments()) == 1 and shop.kra_quantity() == Decimal(8)


def test_in_the_daemon_the_opening_a_sale_and_an_adjustment_reach_kra(tmp_path: Path) -> None:
    from connector.config import SourceSettings
    from connector.daemon import Daemon
    from connector.kra.simulator import SimulatorConfig, start_simulator
    from connector.source_credentials import SourceSecrets
    from connector.testing import wait_for
    from plugins.quickbooks.harness import REALM, connect_secrets, fake_options
    from tests.conftest import initialise_all, make_settings

    config = SimulatorConfig(port=0, profile="gavaconnect", oauth_clients={"key-1": "secret-1"}, seed=3)
    with start_simulator(config) as sim, FakeQuickBooks() as qbo:
        realm = qbo.add_realm(REALM)
        customer = realm.add("Customer", make_customer("Amani Traders Ltd", pin=BUYER_PIN))
        flour = realm.add("Item", make_item("Flour", type="Inventory", sku="FL-2", qty_on_hand=10, purchase_cost=150))
        settings = make_settings(tmp_path, sim.gavaconnect_base, profile="gavaconnect", token_url=sim.token_url,
                                 consumer_key="key-1", consumer_secret="secret-1", apigee_app_id="app-1")  # fmt: skip
        settings.sources = [SourceSettings(name="qbo", adapter="quickbooks", interval_seconds=0.3,
                                           options=fake_options(qbo))]  # fmt: skip
        context = initialise_all(settings)
        connect_secrets(qbo, REALM, SourceSecrets.for_context(context, "qbo"))
        context.close()
        daemon = Daemon(settings, workers=2)
        daemon.start()
        try:
            ledger = Ledger(daemon.context.db)

            def accepted(external_id: str) -> bool:
                found = ledger.find("qbo", external_id, "stock")
                return found is not None and found.state == "accepted"

            wait_for(lambda: accepted(f"on-hand:{flour['Id']}:1"), what="the opening stock accepted")
            invoice = realm.add("Invoice", make_invoice(customer, [sales_line(flour, 4)]))

            def sold() -> bool:
                doc = ledger.find("qbo", invoice["Id"], "invoice")
                return doc is not None and doc.state in SIGNED and accepted(f"sale-out:{doc.id}")

            wait_for(sold, what="the sale and its stock-out")
            realm.edit("Item", flour["Id"], QtyOnHand=Decimal(9))  # 3 found
            wait_for(lambda: accepted(f"on-hand:{flour['Id']}:2"), what="the adjustment accepted")
            code = ledger.find("qbo", f"on-hand:{flour['Id']}:2", "stock").request["itemList"][0]["itemCd"]
            wait_for(lambda: sim_master(sim, code) == Decimal(9), what="the stock master at 9")
        finally:
            daemon.stop()
        ios = sim_ios(sim)
        assert sorted(ios.values()) == ["06", "06", "11"] and len(ledger.documents("kind = 'stock'")) == 3


def test_an_item_made_inactive_in_quickbooks_takes_its_stock_out(shop: Shop) -> None:
    shop.poll()
    drain(shop.pipeline)
    shop.realm.edit("Item", shop.flour["Id"], Active=False, QtyOnHand=Decimal(0))  # QBO zeroes an inactive item
    shop.poll(2)
    drain(shop.pipeline)
    gone = shop.adjustments()[-1]
    assert gone.state == "accepted" and gone.request["sarTyCd"] == "16" and gone.request["itemList"][0]["qty"] == 10
    assert shop.kra_quantity() == Decimal(0)
    assert any(b"Active IN (true, false)" in r.body for r in shop.realm.request_log)  # real QBO: active only


def test_stock_status_shows_quickbooks_quantity_on_hand_and_a_change_not_yet_reported(shop: Shop) -> None:
    from connector.stock.report import add_source_quantities, device_stock

    def flour_row() -> Any:
        report = device_stock(shop.ledger, shop.pipeline.settings.devices[0])
        add_source_quantities(report, "qbo", shop.adapter, shop.pipeline.settings.devices[0].name)
        (row,) = [item for item in report.items if item.source_code == "FL-2"]
        return row

    shop.poll()
    drain(shop.pipeline)
    shop.sell((shop.flour, 3))
    shop.poll()  # read, not yet signed
    row = flour_row()
    assert (row.on_record, row.unsigned, row.source, row.difference) == (10, 3, 7, 0)
    shop.adjust(9)
    shop.poll()  # seen once: not reported yet, and stock status shows it
    assert (flour_row().source, flour_row().difference) == (9, 2)
