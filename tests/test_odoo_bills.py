"""Odoo vendor bills as the bill source of KRA purchases: the fake Odoo 17 and 18 over real odoorpc, the KRA
simulator over HTTP. A supplier (another PIN) sells to our PIN on KRA, the accountant posts the vendor bill in Odoo
with the supplier's eTIMS invoice number as its Bill Reference, and a purchases round confirms it
(insertTrnsPurchase); a bill without the vendor's PIN or a reference needs fixing, naming the field, until it is
corrected in Odoo; the bills cursor reads a bill once and again after an edit; the stock-in of a confirmed bill
depends on whether Odoo's Inventory app reports the receipts itself."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from connector.adapters import RecordsBills, ReportsStock
from connector.config import PurchaseSettings
from connector.kra.simulator import Simulator
from connector.pipeline import Pipeline, Source
from connector.purchases import schema as s
from connector.purchases.cycle import run_round
from connector.purchases.models import Bill
from connector.purchases.store import PurchaseLedger
from connector.stock.models import StockMove
from plugins.odoo.adapter import OdooAdapter, OdooStockAdapter
from plugins.odoo.bills import supplier_invoice_number
from plugins.odoo.harness import adapter_for
from plugins.odoo.testing import FakeOdoo, InvoiceLine
from tests.conftest import PIN, initialise_all, make_settings
from tests.postgres_helpers import postgres_url  # noqa: F401  (a fixture)
from tests.simulator_helpers import LegacyDevice
from tests.test_purchases import SUPPLIER, stored_purchases, supplier_sells


@pytest.fixture(params=["17", "18"])
def odoo(request: pytest.FixtureRequest) -> Iterator[FakeOdoo]:
    with FakeOdoo(version=request.param) as fake:
        fake.clock.freeze("2026-12-02 07:00:00")
        yield fake


def pipeline_for(odoo: FakeOdoo, sim: Simulator, tmp_path: Path, ledger_url: str | None = None) -> Pipeline:
    settings = make_settings(tmp_path, sim.legacy_base, timeout_seconds=2)
    if ledger_url is not None:
        settings.ledger.url = SecretStr(ledger_url)
    settings.purchases = PurchaseSettings(enabled=True)
    context = initialise_all(settings)
    adapter = adapter_for(odoo)
    assert adapter.preflight() == []
    adapter.ledger = lambda: context.ledger  # type: ignore[method-assign]
    return Pipeline(context, {"odoo": Source("odoo", adapter, adapter.mapping, settings.devices[0])})


@pytest.fixture
def world(odoo: FakeOdoo, sim: Simulator, tmp_path: Path) -> Iterator[Pipeline]:
    pipeline = pipeline_for(odoo, sim, tmp_path)
    yield pipeline
    pipeline.sources["odoo"].adapter.close()
    pipeline.context.close()


def widget_bill(odoo: FakeOdoo, vendor: int, ref: str | bool, quantity: int = 1, **kwargs: Any) -> int:
    """What the supplier sold (legacy_convention_sale: 1 x 100 net + 16 % VAT), as the accountant enters it."""
    return odoo.make_bill([InvoiceLine(odoo.ids.product_widget, quantity, "100")], vendor, ref, **kwargs)


def stored(pipeline: Pipeline) -> dict[str, Any]:
    return {bill.number: bill for bill in PurchaseLedger(pipeline.ledger.db).bills()}


def supplier_numbers(sim: Simulator) -> list[int]:
    """The supplier invoice numbers our confirmed purchases name at KRA."""
    return sorted(int(body["spplrInvcNo"]) for body in stored_purchases(sim).values())


def read_all(adapter: OdooAdapter, cursor: str | None) -> tuple[list[Any], str | None]:
    found, last = [], cursor
    for bill, next_cursor in adapter.fetch_bills(cursor):
        found.append(bill)
        last = next_cursor
    return found, last


# ---------------------------------------------------------------- confirmed at KRA


def test_a_posted_vendor_bill_with_the_suppliers_invoice_number_is_confirmed(odoo, sim, supplier, world) -> None:
    supplier_sells(supplier, 1)
    supplier_sells(supplier, 2)
    vendor = odoo.add_vendor("Supplier Ltd", vat=SUPPLIER.lower()[:1] + " " + SUPPLIER[1:])  # typed loosely
    first = widget_bill(odoo, vendor, "1")
    widget_bill(odoo, vendor, "KRACU0100000001/2")  # the CU invoice number as the supplier's receipt prints it
    odoo.make_invoice([InvoiceLine(odoo.ids.product_widget, 1, "100")])  # a sale: not a bill
    draft = widget_bill(odoo, vendor, "3", post=False)

    report = run_round(world)

    assert report.problems == [] and report.bills == {"odoo": 2}
    device = report.devices["branch00"]
    assert (device.fetched, device.matched, device.confirmed) == (2, 2, 2), device
    bills = stored(world)
    name = odoo.record("account.move", first)["name"]
    assert name == "BILL/2026/12/0001" and odoo.record("account.move", draft)["state"] == "draft"
    assert [(b.number, b.state, b.purchase_number, b.supplier_pin, b.supplier_invoice_number)
            for b in bills.values()] == [
        ("BILL/2026/12/0001", s.CONFIRMED, 1, SUPPLIER, "1"),
        ("BILL/2026/12/0002", s.CONFIRMED, 2, SUPPLIER, "2"),
    ]  # fmt: skip
    sent = stored_purchases(sim)
    assert sorted(sent) == ["1", "2"]
    assert [(sent[n]["spplrTin"], sent[n]["spplrInvcNo"], sent[n]["rcptTyCd"]) for n in ("1", "2")] == [
        (SUPPLIER, 1, "P"), (SUPPLIER, 2, "P")]  # fmt: skip
    bill = bills["BILL/2026/12/0001"].bill
    assert bill.external_id == str(first) and bill.supplier_name == "Supplier Ltd"
    assert bill.billed_at.isoformat() == "2026-12-02T00:00:00+03:00"
    [line] = bill.lines
    assert (line.item.code, line.quantity, line.unit, line.unit_cost) == ("WID-500", 1, "Units", Decimal(100))
    assert [(t.code, t.rate, t.kind) for t in line.taxes] == [("VAT 16% (purchases)", 16, "vat")]
    assert bill.totals is not None and (bill.totals.untaxed, bill.totals.tax, bill.totals.total) == (100, 16, 116)
    # a stock-in is not reported on the legacy profile (no [stock]): marked, never sent
    assert world.ledger.db.execute("SELECT DISTINCT stock_move FROM bills").fetchall() == [("off",)]
    again = run_round(world)
    assert again.bills == {"odoo": 0} and sorted(stored_purchases(sim)) == ["1", "2"]


def test_a_bill_in_another_currency_and_a_tax_included_price_are_costed_in_kes(odoo) -> None:
    vendor = odoo.add_vendor("Supplier Ltd", vat=SUPPLIER)
    included = odoo.builder.add_tax("VAT 16% incl. (purchases)", 16, use="purchase", price_include=True)
    odoo.make_bill([InvoiceLine(odoo.ids.product_widget, 2, "116", taxes=[included])], vendor, "5")
    odoo.make_bill([InvoiceLine(odoo.ids.product_widget, 1, "10", discount=10)], vendor, "6", currency=odoo.ids.eur)
    adapter = adapter_for(odoo)
    (kes, eur), _ = read_all(adapter, None)
    assert isinstance(kes, Bill) and isinstance(eur, Bill)
    assert kes.prices_include_vat and kes.lines[0].unit_cost == Decimal(116)
    assert kes.lines[0].taxes[0].price_included is True
    assert not eur.prices_include_vat and eur.lines[0].unit_cost == Decimal(1170)  # 10 EUR less 10 %, 130 KES / EUR
    assert eur.totals is not None and (eur.totals.untaxed, eur.totals.total) == (Decimal(1170), Decimal("1357.2"))
    adapter.close()


def test_a_bill_entered_and_posted_over_rpc_is_read_from_the_purchase_journal(odoo) -> None:
    import odoorpc

    vendor = odoo.add_vendor("Supplier Ltd", vat=SUPPLIER)
    client = odoorpc.ODOO(odoo.host, port=odoo.port, timeout=10)
    client.login(odoo.database, odoo.login, odoo.password)
    line = {"product_id": odoo.ids.product_sugar, "quantity": 2.5, "price_unit": 180.0}
    move_id = client.env["account.move"].create({"move_type": "in_invoice", "partner_id": vendor, "ref": "0009",
                                                 "invoice_date": "2026-12-01", "invoice_line_ids": [(0, 0, line)]})
    client.execute("account.move", "action_post", [move_id])
    adapter = adapter_for(odoo)
    [bill], _ = read_all(adapter, None)
    record = odoo.record("account.move", move_id)
    assert record["journal_id"][1] == "Vendor Bills" and record["amount_total_signed"] == -522.0
    assert (bill.number, bill.supplier_invoice_number, bill.match_key) == ("BILL/2026/12/0001", "0009",
                                                                          (SUPPLIER, "9"))  # fmt: skip
    assert [(x.item.code, x.quantity, x.unit, x.unit_cost) for x in bill.lines] == [
        ("SUG-KG", Decimal("2.5"), "kg", Decimal(180))]  # fmt: skip
    assert bill.billed_at.isoformat() == "2026-12-01T00:00:00+03:00"
    adapter.close()


# ---------------------------------------------------------------- needs fixing


def test_a_bill_without_the_vendors_pin_or_a_reference_needs_fixing_until_corrected(
    odoo, sim, supplier, world
) -> None:
    needs_fixing_until_corrected(odoo, sim, supplier, world)


def test_needs_fixing_until_corrected_with_the_ledger_on_postgresql(sim, supplier, tmp_path, request) -> None:
    url = request.getfixturevalue("postgres_url")
    with FakeOdoo(version="18") as odoo:
        odoo.clock.freeze("2026-12-02 07:00:00")
        pipeline = pipeline_for(odoo, sim, tmp_path, url)
        try:
            needs_fixing_until_corrected(odoo, sim, supplier, pipeline)
        finally:
            pipeline.sources["odoo"].adapter.close()
            pipeline.context.close()


def needs_fixing_until_corrected(odoo: FakeOdoo, sim: Simulator, supplier: LegacyDevice, world: Pipeline) -> None:
    for number in (1, 2, 3):
        supplier_sells(supplier, number)
    vendor = odoo.add_vendor("Supplier Ltd", vat=SUPPLIER)
    no_pin_vendor = odoo.add_vendor("Supplier Ltd (Mombasa)")  # a second contact for the supplier, no Tax ID
    no_pin = widget_bill(odoo, no_pin_vendor, "1")
    no_ref = widget_bill(odoo, vendor, False)
    good = widget_bill(odoo, vendor, "3")

    report = run_round(world)

    bills = stored(world)
    names = {i: odoo.record("account.move", i)["name"] for i in (no_pin, no_ref, good)}
    pin_fix, ref_fix = bills[names[no_pin]], bills[names[no_ref]]
    assert pin_fix.state == ref_fix.state == s.NEEDS_FIX
    assert pin_fix.reason == f"document {names[no_pin]} (bill), field supplier_pin: Field required"
    assert ref_fix.reason == f"document {names[no_ref]} (bill), field supplier_invoice_number: Field required"
    assert bills[names[good]].state == s.CONFIRMED  # one bad bill stops nothing else
    assert report.problems == [] and supplier_numbers(sim) == [3]
    assert run_round(world).bills == {"odoo": 0}  # read again behind the cursor's window: unchanged, not new

    # the accountant corrects them in Odoo: the reference typed into the bill; the vendor's Tax ID on the contact
    # (which leaves the bill's write_date as it was: the ledger's needs-fix bills are read again)
    odoo.clock.tick(60)
    odoo.store.update("account.move", no_ref, {"ref": "2"})
    odoo.store.update("res.partner", no_pin_vendor, {"vat": SUPPLIER})
    before = odoo.record("account.move", no_pin)["write_date"]
    report = run_round(world)
    assert odoo.record("account.move", no_pin)["write_date"] == before

    assert report.bills == {"odoo": 2}
    bills = stored(world)
    assert [(bills[names[i]].state, bills[names[i]].supplier_invoice_number) for i in (no_pin, no_ref)] == [
        (s.CONFIRMED, "1"), (s.CONFIRMED, "2")]  # fmt: skip
    assert supplier_numbers(sim) == [1, 2, 3] and sorted(stored_purchases(sim)) == ["1", "2", "3"]
    events = [e["detail"] for e in PurchaseLedger(world.ledger.db).events(bills[names[no_ref]].id)]
    assert events[0].endswith("field supplier_invoice_number: Field required") and "corrected in the source" in events


def test_a_vendor_outside_kenya_is_an_import_and_refunds_are_not_read(odoo) -> None:
    abroad = odoo.add_vendor("Shenzhen Widgets", vat="CN91440300", country=None)
    odoo.store.get("res.partner", abroad)["country_id"] = odoo.store.insert("res.country", {"name": "China",
                                                                                             "code": "CN"})
    widget_bill(odoo, abroad, "77")
    kenyan = odoo.add_vendor("Supplier Ltd", vat=SUPPLIER)
    refund = widget_bill(odoo, kenyan, "8")
    odoo.store.get("account.move", refund)["move_type"] = "in_refund"
    adapter = adapter_for(odoo)
    assert read_all(adapter, None)[0] == []
    adapter.close()
    assert supplier_invoice_number(" 0042 ") == "0042" and supplier_invoice_number("INV/2026/0042") == "INV/2026/0042"
    assert supplier_invoice_number("kracu0300000001 / 45") == "45" and supplier_invoice_number(False) is None


# ---------------------------------------------------------------- the cursor


def test_the_bills_cursor_reads_each_bill_once_and_again_after_an_edit(odoo) -> None:
    vendor = odoo.add_vendor("Supplier Ltd", vat=SUPPLIER)
    first = widget_bill(odoo, vendor, "1")
    odoo.clock.tick(1)
    second, third = widget_bill(odoo, vendor, "2"), widget_bill(odoo, vendor, "3")  # one write_date second
    adapter = adapter_for(odoo, page_size=2)
    bills, cursor = read_all(adapter, None)
    assert [b.external_id for b in bills] == [str(first), str(second), str(third)]
    assert cursor == f"2026-12-02 07:00:01|{third}"
    assert read_all(adapter, cursor) == ([], cursor)  # nothing read twice

    odoo.clock.tick(60)
    odoo.store.update("account.move", second, {"ref": "20"})  # edited after posting (the reference is editable)
    bills, cursor = read_all(adapter, cursor)
    assert [(b.external_id, b.supplier_invoice_number) for b in bills] == [(str(second), "20")]
    assert cursor == f"2026-12-02 07:01:01|{second}"

    # a bill committed late, stamped behind the cursor (a long transaction): read once, the cursor kept
    odoo.clock.freeze("2026-12-02 07:00:30")
    late = widget_bill(odoo, vendor, "4")
    odoo.clock.freeze("2026-12-02 07:02:00")
    bills, after = read_all(adapter, cursor)
    assert [b.external_id for b in bills] == [str(late)] and after == cursor
    assert read_all(adapter, cursor) == ([], cursor)
    adapter.close()


# ---------------------------------------------------------------- stock-in of a confirmed bill


def test_with_inventory_the_receipt_is_odoos_so_a_confirmed_bill_is_no_stock_in(sim, supplier, tmp_path) -> None:
    with FakeOdoo(version="18", stock=True) as odoo:
        pipeline = pipeline_for(odoo, sim, tmp_path)
        pipeline.settings.purchases.stock_in = True  # stock is reported
        adapter = pipeline.sources["odoo"].adapter
        assert isinstance(adapter, OdooStockAdapter) and isinstance(adapter, RecordsBills)  # survives the switch
        supplier_sells(supplier, 1, quantity=2)
        widget_bill(odoo, odoo.add_vendor("Supplier Ltd", vat=SUPPLIER), "1", quantity=2)
        run_round(pipeline)
        [bill] = stored(pipeline).values()
        assert bill.state == s.CONFIRMED
        assert pipeline.ledger.documents("kind = 'stock'") == []  # Odoo's receipt (02) is read from Inventory
        assert pipeline.ledger.db.execute("SELECT stock_move FROM bills").fetchone()[0] == "none"
        adapter.close()
        pipeline.context.close()


def test_without_inventory_a_confirmed_bill_becomes_a_purchase_stock_in(odoo, sim, supplier, world) -> None:
    adapter = world.sources["odoo"].adapter
    assert type(adapter) is OdooAdapter and not isinstance(adapter, ReportsStock)
    world.settings.purchases.stock_in = True
    supplier_sells(supplier, 1, quantity=2)
    widget_bill(odoo, odoo.add_vendor("Supplier Ltd", vat=SUPPLIER), "1", quantity=2)
    run_round(world)
    [bill] = stored(world).values()
    assert bill.state == s.CONFIRMED
    [stock] = world.ledger.documents("kind = 'stock'")
    assert (stock.source, stock.external_id) == ("odoo", f"purchase-in:{bill.id}")
    move = StockMove.model_validate_json(stock.canonical or "{}")
    assert move.kind == "purchase" and move.number == bill.number
    assert [(line.item.code, line.quantity, line.unit_cost) for line in move.lines] == [
        ("WID-500", Decimal(2), Decimal(100))]  # fmt: skip
    assert PIN in stock.device_key
