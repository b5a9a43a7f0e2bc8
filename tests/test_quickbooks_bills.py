"""QuickBooks Online Bills as the bill source of KRA purchases: the fake QBO over HTTP (the real python-quickbooks
and intuit-oauth), the KRA simulator over HTTP. A supplier (another PIN) sells to our PIN on KRA, the bookkeeper
enters the bill in QBO with the supplier's eTIMS invoice number as its Bill no. (DocNumber) and the supplier's PIN
as the vendor's Account no. (AcctNum), and a purchases round confirms it (insertTrnsPurchase); a vendor without
the PIN makes the bill needs-fix naming supplier_pin until the PIN is typed on the Vendor; the bills cursor reads a
bill once and again after an edit; a bill's goods raise QtyOnHand in QBO, so a confirmed bill is no stock-in of
its own."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connector.adapters import KnowsStockOnHand, RecordsBills
from connector.config import PurchaseSettings
from connector.kra.simulator import Simulator
from connector.mapping import load_mapping
from connector.pipeline import Pipeline, Source
from connector.purchases import schema as s
from connector.purchases.cycle import run_round
from connector.purchases.models import Bill
from connector.purchases.store import PurchaseLedger
from plugins.quickbooks.adapter import QuickBooksAdapter
from plugins.quickbooks.bills import supplier_invoice_number
from plugins.quickbooks.harness import connected_adapter
from plugins.quickbooks.testing import (
    FakeQuickBooks,
    Realm,
    account_expense_line,
    insecure_transport,
    item_expense_line,
    make_bill,
    make_item,
    make_vendor,
    quickbooks_client,
)
from tests.conftest import initialise_all, make_settings
from tests.test_purchases import SUPPLIER, stored_purchases, supplier_sells


@pytest.fixture
def qbo() -> Iterator[FakeQuickBooks]:
    with FakeQuickBooks() as fake:
        yield fake


class Books:
    """A QBO company with a widget (Inventory, 10 on hand, bought at 100 + VAT 16 %), connected as source "qbo"."""

    def __init__(self, qbo: FakeQuickBooks, pipeline: Pipeline | None = None, **options: Any) -> None:
        self.qbo = qbo
        realm, adapter = connected_adapter(qbo, **options)
        self.realm: Realm = realm
        self.adapter: QuickBooksAdapter = adapter
        self.pipeline = pipeline
        if pipeline is not None:
            adapter.ledger = lambda: pipeline.ledger  # type: ignore[method-assign]
            pipeline.sources["qbo"] = Source("qbo", adapter, load_mapping("quickbooks"), pipeline.settings.devices[0])
        self.widget = realm.add("Item", make_item("Widget", type="Inventory", sku="WID-500", unit_price="150",
                                                  qty_on_hand=10, purchase_cost="100"))  # fmt: skip

    def vendor(self, name: str = "Supplier Ltd", pin: str | None = SUPPLIER) -> dict[str, Any]:
        return self.realm.add("Vendor", make_vendor(name, acct_num=pin, tax_identifier=SUPPLIER))

    def bill(self, vendor: dict[str, Any], number: str | None, quantity: int = 1, **options: Any) -> dict[str, Any]:
        """What the supplier sold (legacy_convention_sale: 1 x 100 net + 16 % VAT), as the bookkeeper enters it."""
        lines = options.pop("lines", None) or [item_expense_line(self.widget, quantity, "100")]
        return self.realm.add("Bill", make_bill(vendor, lines, doc_number=number, txn_date="2026-12-02", **options))

    def on_hand(self) -> Decimal:
        return Decimal(str(self.realm.get("Item", self.widget["Id"])["QtyOnHand"]))

    def read_all(self, cursor: str | None) -> tuple[list[Any], str | None]:
        found, last = [], cursor
        for bill, next_cursor in self.adapter.fetch_bills(cursor):
            found.append(bill)
            last = next_cursor
        return found, last


def purchases_pipeline(sim: Simulator, tmp_path: Path) -> Pipeline:
    settings = make_settings(tmp_path, sim.legacy_base, timeout_seconds=2)
    settings.purchases = PurchaseSettings(enabled=True)
    context = initialise_all(settings)
    return Pipeline(context, {})


@pytest.fixture
def books(qbo: FakeQuickBooks, sim: Simulator, tmp_path: Path) -> Iterator[Books]:
    pipeline = purchases_pipeline(sim, tmp_path)
    yield Books(qbo, pipeline)
    pipeline.context.close()


def stored(pipeline: Pipeline) -> dict[str, Any]:
    return {bill.number: bill for bill in PurchaseLedger(pipeline.ledger.db).bills()}


def supplier_numbers(sim: Simulator) -> list[int]:
    """The supplier invoice numbers our confirmed purchases name at KRA."""
    return sorted(int(body["spplrInvcNo"]) for body in stored_purchases(sim).values())


# ---------------------------------------------------------------- confirmed at KRA


def test_a_bill_with_the_suppliers_invoice_number_and_the_vendors_pin_is_confirmed(sim, supplier, books) -> None:
    supplier_sells(supplier, 1)
    supplier_sells(supplier, 2)
    vendor = books.vendor(pin=SUPPLIER.lower()[:1] + " " + SUPPLIER[1:])  # typed loosely
    first = books.bill(vendor, "1")
    books.bill(vendor, "KRACU0100000001/2")  # the CU invoice number as the supplier's receipt prints it
    books.bill(vendor, None, lines=[account_expense_line("5000")])  # rent: no items, not a purchase of goods
    pipeline = books.pipeline
    assert pipeline is not None

    report = run_round(pipeline)

    assert report.problems == [] and report.bills == {"qbo": 2}
    device = report.devices["branch00"]
    assert (device.fetched, device.matched, device.confirmed) == (2, 2, 2), device
    bills = stored(pipeline)
    assert [(b.number, b.state, b.purchase_number, b.supplier_pin, b.supplier_invoice_number)
            for b in bills.values()] == [
        ("Bill 1", s.CONFIRMED, 1, SUPPLIER, "1"),
        ("Bill KRACU0100000001/2", s.CONFIRMED, 2, SUPPLIER, "2"),
    ]  # fmt: skip
    sent = stored_purchases(sim)
    assert sorted(sent) == ["1", "2"]
    assert [(sent[n]["spplrTin"], sent[n]["spplrInvcNo"], sent[n]["rcptTyCd"]) for n in ("1", "2")] == [
        (SUPPLIER, 1, "P"), (SUPPLIER, 2, "P")]  # fmt: skip
    bill = bills["Bill 1"].bill
    assert bill.external_id == first["Id"] and bill.supplier_name == "Supplier Ltd"
    assert bill.billed_at.isoformat() == "2026-12-02T00:00:00+03:00" and not bill.prices_include_vat
    [line] = bill.lines
    assert (line.item.code, line.quantity, line.unit, line.unit_cost) == ("WID-500", 1, "each", Decimal(100))
    assert [(t.code, t.rate) for t in line.taxes] == [("21", 16)]
    assert bill.totals is not None and (bill.totals.untaxed, bill.totals.tax, bill.totals.total) == (100, 16, 116)
    again = run_round(pipeline)
    assert again.bills == {"qbo": 0} and sorted(stored_purchases(sim)) == ["1", "2"]


def test_a_bill_entered_through_python_quickbooks_is_read(qbo) -> None:
    """The bookkeeper's bill as the API makes it (python-quickbooks' Bill and Vendor objects)."""
    from quickbooks.objects.base import Ref
    from quickbooks.objects.bill import Bill as QboBill
    from quickbooks.objects.detailline import ItemBasedExpenseLine, ItemBasedExpenseLineDetail
    from quickbooks.objects.vendor import Vendor

    books = Books(qbo)
    with insecure_transport():
        client = quickbooks_client(qbo, qbo.issue_tokens(books.realm.realm_id))
        vendor = Vendor()
        vendor.DisplayName, vendor.AcctNum, vendor.TaxIdentifier = "Supplier Ltd", SUPPLIER, SUPPLIER
        vendor.save(qb=client)
        bill = QboBill()
        bill.VendorRef, bill.DocNumber = vendor.to_ref(), "0009"
        detail = ItemBasedExpenseLineDetail()
        detail.ItemRef, detail.TaxCodeRef = Ref(), Ref()
        detail.ItemRef.value, detail.TaxCodeRef.value = books.widget["Id"], "21"
        detail.Qty, detail.UnitPrice = Decimal("2.5"), Decimal(180)
        line = ItemBasedExpenseLine()
        line.Amount, line.ItemBasedExpenseLineDetail = Decimal(450), detail
        bill.Line = [line]
        bill.save(qb=client)
        assert Vendor.get(vendor.Id, qb=client).TaxIdentifier == "XXXXXXX222B"  # masked, as QBO answers it
        assert QboBill.get(bill.Id, qb=client).TotalAmt == Decimal(522)
    assert books.on_hand() == Decimal("12.5")  # the goods received on the bill, as QBO counts them
    [read], _ = books.read_all(None)
    assert isinstance(read, Bill)
    assert (read.number, read.supplier_invoice_number, read.match_key) == ("Bill 0009", "0009", (SUPPLIER, "9"))
    assert [(x.item.code, x.quantity, x.unit_cost) for x in read.lines] == [("WID-500", Decimal("2.5"), 180)]
    assert read.totals is not None and read.totals.total == 522


def test_tax_inclusive_and_foreign_currency_bills_are_costed_in_kes(qbo) -> None:
    books = Books(qbo)
    books.realm.exchange_rates = {"USD": Decimal(130)}
    vendor = books.vendor()
    inclusive = books.bill(vendor, "5", tax_calculation="TaxInclusive",
                           lines=[item_expense_line(books.widget, 2, gross="232")])  # fmt: skip
    books.bill(vendor, "6", currency="USD", lines=[item_expense_line(books.widget, 1, "10")])
    mixed = books.bill(vendor, "7", lines=[item_expense_line(books.widget, 1, "100"), account_expense_line("50")])
    (kes, usd, part), _ = books.read_all(None)
    assert inclusive["TotalAmt"] == 232 and kes.prices_include_vat and kes.lines[0].unit_cost == Decimal(116)
    assert kes.totals is not None and (kes.totals.untaxed, kes.totals.tax, kes.totals.total) == (200, 32, 232)
    assert not usd.prices_include_vat and usd.lines[0].unit_cost == Decimal(1300)
    assert usd.totals is not None and (usd.totals.untaxed, usd.totals.total) == (Decimal(1300), Decimal(1508))
    # the rent line is no item: only the widget is the purchase, and QBO's totals (with the rent) are not its own
    assert mixed["TotalAmt"] == Decimal(174) and [x.item.code for x in part.lines] == ["WID-500"]
    assert part.totals is None
    assert supplier_invoice_number(" 0042 ") == "0042" and supplier_invoice_number("kracu0300000001 / 45") == "45"


# ---------------------------------------------------------------- needs fixing


def test_a_vendor_without_the_pin_needs_fixing_until_the_pin_is_added_to_the_vendor(sim, supplier, books) -> None:
    for number in (1, 2, 3):
        supplier_sells(supplier, number)
    pipeline = books.pipeline
    assert pipeline is not None
    vendor = books.vendor()
    no_pin_vendor = books.vendor("Supplier Ltd (Mombasa)", pin=None)  # a second vendor record, no Account no.
    no_pin = books.bill(no_pin_vendor, "1")
    no_number = books.bill(vendor, None)
    books.bill(vendor, "3")

    report = run_round(pipeline)

    bills = stored(pipeline)
    assert set(bills) == {"Bill 1", f"Bill {no_number['Id']}", "Bill 3"}
    pin_fix, number_fix = bills["Bill 1"], bills[f"Bill {no_number['Id']}"]
    assert pin_fix.state == number_fix.state == s.NEEDS_FIX
    assert pin_fix.reason == "document Bill 1 (bill), field supplier_pin: Field required"
    assert number_fix.reason == f"document Bill {no_number['Id']} (bill), field supplier_invoice_number: Field required"
    assert bills["Bill 3"].state == s.CONFIRMED  # one bad bill stops nothing else
    assert report.problems == [] and supplier_numbers(sim) == [3]
    assert run_round(pipeline).bills == {"qbo": 0}  # read again as needs-fix: unchanged, not new

    # the bookkeeper types the PIN on the Vendor (the Bill is not touched) and the Bill no. on the other bill
    qbo_bill = books.realm.get("Bill", no_pin["Id"])
    books.realm.edit("Vendor", no_pin_vendor["Id"], AcctNum=SUPPLIER)
    books.realm.edit("Bill", no_number["Id"], DocNumber="2")
    assert books.realm.get("Bill", no_pin["Id"])["SyncToken"] == qbo_bill["SyncToken"]
    report = run_round(pipeline)

    assert report.bills == {"qbo": 2}
    bills = stored(pipeline)
    assert [(bills[n].state, bills[n].supplier_invoice_number) for n in ("Bill 1", "Bill 2")] == [
        (s.CONFIRMED, "1"), (s.CONFIRMED, "2")]  # fmt: skip
    assert supplier_numbers(sim) == [1, 2, 3] and sorted(stored_purchases(sim)) == ["1", "2", "3"]


def test_an_account_no_that_is_not_a_pin_is_no_pin_and_another_field_can_hold_it(qbo) -> None:
    books = Books(qbo, vendor_pin_field="PrintOnCheckName")
    vendor = books.realm.add("Vendor", make_vendor("Supplier Ltd", acct_num=SUPPLIER))
    books.bill(vendor, "1")
    [fields], _ = books.read_all(None)
    assert isinstance(fields, dict) and "supplier_pin" not in fields  # "Supplier Ltd" is not a PIN
    books.realm.edit("Vendor", vendor["Id"], PrintOnCheckName=SUPPLIER)
    [bill], _ = books.read_all(None)
    assert isinstance(bill, Bill) and bill.supplier_pin == SUPPLIER


# ---------------------------------------------------------------- the cursor


def test_the_bills_cursor_reads_each_bill_once_and_again_after_an_edit(qbo) -> None:
    books = Books(qbo)
    vendor = books.vendor()
    first = books.bill(vendor, "1")
    qbo.clock.advance(1)
    second, third = books.bill(vendor, "2"), books.bill(vendor, "3")
    books.bill(vendor, "4", lines=[account_expense_line("900")])  # no items: never yielded
    bills, cursor = books.read_all(None)
    assert [b.external_id for b in bills] == [first["Id"], second["Id"], third["Id"]]
    assert cursor == f"{third['MetaData']['LastUpdatedTime']}|{third['Id']}"
    assert books.read_all(cursor) == ([], cursor)  # nothing read twice (CDC from the cursor)

    qbo.clock.advance(60)
    edited = books.realm.edit("Bill", second["Id"], DocNumber="20")  # a typo in the Bill no. corrected
    bills, cursor = books.read_all(cursor)
    assert [(b.external_id, b.supplier_invoice_number) for b in bills] == [(second["Id"], "20")]
    assert cursor == f"{edited['MetaData']['LastUpdatedTime']}|{second['Id']}"
    assert books.read_all(cursor) == ([], cursor)

    # an edit stamped behind the cursor (in its own second, or committed late): read, the cursor kept
    qbo.clock.advance(-5)
    late = books.realm.edit("Bill", first["Id"], DocNumber="10")
    qbo.clock.advance(5)
    assert late["MetaData"]["LastUpdatedTime"] < edited["MetaData"]["LastUpdatedTime"]
    bills, after = books.read_all(cursor)
    assert [(b.external_id, b.supplier_invoice_number) for b in bills] == [(first["Id"], "10")] and after == cursor
    assert books.read_all(after) == ([], cursor)

    # a cursor older than CDC's 29 days: the paged LastUpdatedTime query instead
    queries = books.realm.requests[("POST", "query")]
    bills, _ = books.read_all("2026-01-01T00:00:00-08:00|1")
    assert [b.supplier_invoice_number for b in bills] == ["3", "10", "20"]  # oldest change first
    assert books.realm.requests[("POST", "query")] > queries


# ---------------------------------------------------------------- stock


def test_with_stock_reported_a_confirmed_bill_is_no_stock_in_of_its_own(sim, supplier, books) -> None:
    pipeline = books.pipeline
    assert pipeline is not None
    pipeline.settings.purchases.stock_in = True  # stock is reported
    assert isinstance(books.adapter, RecordsBills) and isinstance(books.adapter, KnowsStockOnHand)
    supplier_sells(supplier, 1, quantity=2)
    books.bill(books.vendor(), "1", quantity=2)
    assert books.on_hand() == 12  # QBO counted the goods received on the bill
    run_round(pipeline)
    [bill] = stored(pipeline).values()
    assert bill.state == s.CONFIRMED
    assert pipeline.ledger.documents("kind = 'stock'") == []  # the QtyOnHand reconcile reports it (06), not twice
    assert pipeline.ledger.db.execute("SELECT stock_move FROM bills").fetchone()[0] == "none"


def test_a_bill_typed_in_quickbooks_raises_quantity_on_hand_reported_as_an_adjustment(tmp_path: Path) -> None:
    """GavaConnect with stock: the bill's goods reach KRA through the QtyOnHand reconcile (06), once."""
    from tests.test_quickbooks_stock import Shop
    from tests.test_stock_flow import start
    from tests.test_stock_sending import drain

    with FakeQuickBooks() as qbo:
        for sim, pipeline in start(tmp_path):
            shop = Shop(qbo, sim, pipeline)
            shop.poll()
            drain(pipeline)
            vendor = shop.realm.add("Vendor", make_vendor("Supplier Ltd", acct_num=SUPPLIER))
            shop.realm.add("Bill", make_bill(vendor, [item_expense_line(shop.flour, 4, "150")], doc_number="17"))
            assert shop.on_hand() == 14
            shop.poll(2)
            drain(pipeline)
            adjustment = shop.adjustments()[-1]
            assert adjustment.state == "accepted", adjustment.reason
            assert adjustment.request["sarTyCd"] == "06" and adjustment.request["itemList"][0]["qty"] == 4
            assert shop.kra_quantity() == 14
            shop.poll(2)
            assert len(shop.adjustments()) == 2  # the opening stock and the bill's goods, nothing more
            [bill] = [found for found, _ in shop.adapter.fetch_bills(None)]
            assert isinstance(bill, Bill) and bill.match_key == (SUPPLIER, "17")
            assert [(x.item.code, x.quantity, x.unit_cost) for x in bill.lines] == [("FL-2", 4, 150)]
