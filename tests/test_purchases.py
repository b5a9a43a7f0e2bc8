"""Purchases against the real KRA simulator over HTTP: a supplier (another PIN) sells to our PIN; we poll
selectTrnsPurchaseSalesList, a CSV bill matches, insertTrnsPurchase confirms it with our own purchase number."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from connector.adapters import KnowsStockOnHand
from connector.clock import now_eat, parse_kra_datetime
from connector.config import PurchaseSettings, Settings
from connector.context import Context
from connector.kra.simulator import Simulator, SimulatorConfig, start_simulator
from connector.ledger import items as item_store
from connector.pipeline import Pipeline, Source, default_mapping
from connector.purchases import schema as s
from connector.purchases.confirming import cursor_name
from connector.purchases.cycle import due_round, run_round
from connector.purchases.store import PurchaseLedger
from connector.stock.models import StockMove
from plugins.csv.adapter import CsvAdapter
from tests.conftest import PIN, SUPPLIER, initialise_all, make_settings
from tests.postgres_helpers import postgres_url  # noqa: F401  (a fixture)
from tests.simulator_helpers import LegacyDevice, legacy_convention_sale

HEADER = ["bill_id", "date", "supplier_pin", "supplier_invoice_number", "branch", "item_code", "item_name",
          "quantity", "unit", "unit_cost", "vat_code", "category"]  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path, sim: Simulator) -> Iterator[tuple[Pipeline, Path]]:
    """Our device on the simulator with a CSV source, the ledger on each backend in turn."""
    settings: Settings = make_settings(tmp_path, sim.legacy_base, timeout_seconds=2)
    if request.param == "postgresql":
        settings.ledger.url = SecretStr(request.getfixturevalue("postgres_url"))
    settings.purchases = PurchaseSettings(enabled=True)
    context = initialise_all(settings)
    folder = tmp_path / "drop"
    adapter = CsvAdapter.from_options({"folder": str(folder), "settle_seconds": 0}, default_mapping("csv"), "dropbox")
    adapter.ledger = lambda: context.ledger
    pipeline = Pipeline(context, {"dropbox": Source("dropbox", adapter, adapter.mapping, settings.devices[0])})
    yield pipeline, folder
    adapter.close()
    context.close()


def supplier_sells(supplier: LegacyDevice, number: int, buyer: str = PIN, quantity: int = 1) -> None:
    sale = legacy_convention_sale(number)
    sale["custTin"] = buyer
    if quantity != 1:
        line = sale["itemList"][0]
        line.update(qty=quantity, splyAmt=100 * quantity, taxblAmt=100 * quantity, taxAmt=16 * quantity,
                    totAmt=116 * quantity)  # fmt: skip
        sale.update(taxblAmtB=100 * quantity, taxAmtB=16 * quantity, totTaxblAmt=100 * quantity,
                    totTaxAmt=16 * quantity, totAmt=116 * quantity)  # fmt: skip
    answer = supplier.call("saveTrnsSalesOsdc", sale)
    assert answer["resultCd"] == "000", answer


def drop_bills(folder: Path, name: str, rows: list[dict[str, Any]]) -> Path:
    inbox = folder / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    path = inbox / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, HEADER)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return path


def bill_row(bill_id: str, invoice: str, *, quantity: str = "1", pin: str = SUPPLIER, **changes: str) -> dict:
    row = {"bill_id": bill_id, "date": "2026-11-20", "supplier_pin": pin, "supplier_invoice_number": invoice,
           "branch": "", "item_code": "SOAP-IN", "item_name": "Soap bought", "quantity": quantity, "unit": "pcs",
           "unit_cost": "100.00", "vat_code": "VAT16", "category": "goods"}  # fmt: skip
    return {**row, **changes}


def stored_purchases(sim: Simulator) -> dict[str, Any]:
    return {record.key: record.body for record in sim.store.records("purchase", tin=PIN)}


def bills(pipeline: Pipeline) -> dict[str, Any]:
    return {bill.external_id: bill for bill in PurchaseLedger(pipeline.ledger.db).bills()}


def test_a_matching_bill_is_confirmed_with_purchase_number_one(sim, supplier, world) -> None:
    pipeline, folder = world
    supplier_sells(supplier, 1)
    drop_bills(folder, "november.purchases.csv", [bill_row("B-1", "1")])

    report = run_round(pipeline)

    device = report.devices["branch00"]
    assert (device.fetched, device.new, device.matched, device.confirmed) == (1, 1, 1, 1), device
    bill = bills(pipeline)["B-1"]
    assert bill.state == s.CONFIRMED and bill.purchase_number == 1
    recorded = stored_purchases(sim)
    assert list(recorded) == ["1"]
    sent = recorded["1"]
    assert (sent["spplrTin"], sent["spplrInvcNo"], sent["regTyCd"], sent["rcptTyCd"], sent["pchsSttsCd"]) == (
        SUPPLIER, 1, "A", "P", "02")  # fmt: skip
    our_code = sent["itemList"][0]["itemCd"]
    assert our_code == item_store.registered_code(pipeline.ledger.db, PIN, "SOAP-IN")[0]  # type: ignore[index]
    assert sent["itemList"][0]["spplrItemCd"] == "KE2NTNO0000001"  # the supplier's own code, kept beside ours
    assert sim.store.get("item", PIN, "", our_code) is not None  # registered under our PIN first
    assert (folder / "archive" / "purchases" / "november.purchases.csv").exists()
    # KRA no longer lists a confirmed sale; nothing is fetched or sent again
    again = run_round(pipeline).devices["branch00"]
    assert (again.fetched, again.new, again.confirmed) == (0, 0, 0)
    assert list(stored_purchases(sim)) == ["1"]


def test_unmatched_sales_and_bills_wait_and_a_later_bill_still_matches(sim, supplier, world) -> None:
    pipeline, folder = world
    supplier_sells(supplier, 1)
    supplier_sells(supplier, 2)
    drop_bills(folder, "a.purchases.csv", [bill_row("B-9", "99")])  # the supplier never sent invoice 99

    run_round(pipeline)
    store = PurchaseLedger(pipeline.ledger.db)
    assert [(r.supplier_invoice_number, r.bill_id) for r in store.supplier_sales()] == [("1", None), ("2", None)]
    assert bills(pipeline)["B-9"].state == s.UNMATCHED
    assert stored_purchases(sim) == {}

    drop_bills(folder, "b.purchases.csv", [bill_row("B-2", "0002")])  # leading zeros as printed
    report = run_round(pipeline).devices["branch00"]
    assert report.new == 0  # listed again inside the cursor's overlap, stored once
    assert bills(pipeline)["B-2"].state == s.CONFIRMED and bills(pipeline)["B-2"].purchase_number == 1
    assert [(r.supplier_invoice_number, r.bill_id is not None) for r in store.supplier_sales()] == [
        ("1", False), ("2", True)]  # fmt: skip


def test_cursor_moves_to_kra_result_time_and_nothing_is_stored_twice(sim, supplier, world) -> None:
    pipeline, _ = world
    supplier_sells(supplier, 1)
    run_round(pipeline)
    first = pipeline.ledger.cursor(cursor_name(pipeline.settings.devices[0].key))
    assert first is not None and len(first) == 14 and first.isdigit()
    assert now_eat() - timedelta(seconds=30) < parse_kra_datetime(first) < now_eat()  # resultDt less 10 s
    pipeline.ledger.set_cursor(cursor_name(pipeline.settings.devices[0].key), "20180101000000")  # listed again
    report = run_round(pipeline).devices["branch00"]
    assert (report.fetched, report.new) == (1, 0)
    assert len(PurchaseLedger(pipeline.ledger.db).supplier_sales()) == 1


def test_a_rejection_gives_the_number_back(sim, supplier, world) -> None:
    pipeline, folder = world
    supplier_sells(supplier, 1, quantity=2)
    supplier_sells(supplier, 2)
    drop_bills(folder, "a.purchases.csv", [bill_row("B-1", "1", quantity="2")])
    run_round(pipeline)  # records, matches and confirms B-1 as purchase 1
    assert bills(pipeline)["B-1"].purchase_number == 1

    # supplier sale 2 with a stored total KRA will refuse (totAmt off): the bill is rejected, number back
    store = PurchaseLedger(pipeline.ledger.db)
    row = next(r for r in store.supplier_sales() if r.supplier_invoice_number == "2")
    spoilt = {**row.sale, "totAmt": "999.00"}
    pipeline.ledger.db.execute("UPDATE supplier_sales SET sale = ? WHERE id = ?", [_json(spoilt), row.id])
    drop_bills(folder, "b.purchases.csv", [bill_row("B-2", "2")])
    run_round(pipeline)
    rejected = bills(pipeline)["B-2"]
    assert rejected.state == s.NEEDS_FIX and rejected.purchase_number is None, rejected
    assert "KRA" in (rejected.reason or "")
    assert store.next_number(pipeline.settings.devices[0].key) == 2  # 2 was given back

    # fixed (the real amounts again) and retried: it takes number 2, no gap
    pipeline.ledger.db.execute("UPDATE supplier_sales SET sale = ? WHERE id = ?", [_json(row.sale), row.id])
    store.move(rejected.id, s.QUEUED, "retry requested", reason=None)
    run_round(pipeline)
    assert bills(pipeline)["B-2"].state == s.CONFIRMED and bills(pipeline)["B-2"].purchase_number == 2
    assert sorted(stored_purchases(sim)) == ["1", "2"]


def test_a_timeout_after_kra_recorded_it_is_verified_by_resending_the_same_number(sim, supplier, world) -> None:
    pipeline, folder = world
    supplier_sells(supplier, 1)
    drop_bills(folder, "a.purchases.csv", [bill_row("B-1", "1")])
    sim.set_faults(commit_then_timeout_rate=1.0, commit_then_timeout_seconds=3.0)
    run_round(pipeline)
    sim.set_faults(commit_then_timeout_rate=0.0)
    bill = bills(pipeline)["B-1"]
    assert bill.state == s.UNKNOWN and bill.purchase_number == 1 and bill.sent_unknown
    assert list(stored_purchases(sim)) == ["1"]  # KRA did record it

    PurchaseLedger(pipeline.ledger.db).move(bill.id, s.UNKNOWN, "test: no backoff", next_attempt_at=None)
    run_round(pipeline)  # resends purchase 1: 994 duplicate → it was recorded
    bill = bills(pipeline)["B-1"]
    assert bill.state == s.CONFIRMED and bill.purchase_number == 1
    assert list(stored_purchases(sim)) == ["1"]
    assert PurchaseLedger(pipeline.ledger.db).next_number(pipeline.settings.devices[0].key) == 2  # no gap

    # the next bill gets 2
    supplier_sells(supplier, 2)
    drop_bills(folder, "b.purchases.csv", [bill_row("B-2", "2")])
    run_round(pipeline)
    assert bills(pipeline)["B-2"].purchase_number == 2
    assert sorted(stored_purchases(sim)) == ["1", "2"]


def test_bad_rows_go_to_rejected_with_an_errors_file_and_the_other_bills_go_on(sim, supplier, world) -> None:
    pipeline, folder = world
    supplier_sells(supplier, 1)
    rows = [bill_row("B-1", "1"), bill_row("B-X", "5", quantity="1,5"), bill_row("B-X", "5", item_code="OTHER")]
    drop_bills(folder, "mixed.purchases.csv", rows)
    run_round(pipeline)
    assert set(bills(pipeline)) == {"B-1"}
    errors = list(csv.DictReader((folder / "rejected" / "mixed.purchases.errors.csv").open(encoding="utf-8-sig")))
    assert [(e["row"], e["bill_id"], e["column"]) for e in errors] == [("3", "B-X", "quantity"), ("4", "B-X", "")]
    assert "decimal comma" in errors[0]["problem"]


def test_purchases_files_are_not_read_as_sales(sim, supplier, world) -> None:
    pipeline, folder = world
    drop_bills(folder, "a.purchases.csv", [bill_row("B-1", "1")])
    assert list(pipeline.sources["dropbox"].adapter.fetch_new(None)) == []
    assert (folder / "inbox" / "a.purchases.csv").exists()


def test_rounds_run_at_most_every_interval(sim, supplier, world) -> None:
    pipeline, _ = world
    assert due_round(pipeline, now=1000.0) is not None
    assert due_round(pipeline, now=1000.0 + 60) is None  # 15 minutes by default
    assert due_round(pipeline, now=1000.0 + 15 * 60) is not None
    pipeline.settings.purchases.enabled = False
    assert due_round(pipeline, now=10_000.0) is None


def _json(value: Any) -> str:
    from connector import jsonio

    return jsonio.dumps(value)


def test_a_bill_whose_quantity_differs_from_the_suppliers_invoice_needs_fixing_before_any_number(
    sim, supplier, world
) -> None:
    pipeline, folder = world
    supplier_sells(supplier, 1)
    drop_bills(folder, "a.purchases.csv", [bill_row("B-1", "1", quantity="3")])
    run_round(pipeline)
    bill = bills(pipeline)["B-1"]
    assert bill.state == s.NEEDS_FIX and bill.purchase_number is None
    assert "quantity 3 differs from the supplier's 1" in (bill.reason or "") and "B-1" in (bill.reason or "")
    assert stored_purchases(sim) == {}
    assert PurchaseLedger(pipeline.ledger.db).next_number(pipeline.settings.devices[0].key) == 1


def test_a_bill_left_sending_by_a_crash_is_resent_with_its_number(sim, supplier, world) -> None:
    """Crash between "number allocated with the request" and the POST: the same request goes, no gap."""
    pipeline, folder = world
    supplier_sells(supplier, 1)
    drop_bills(folder, "a.purchases.csv", [bill_row("B-1", "1")])
    sim.set_faults(fault_rate=1.0, fault_codes=["894"])  # every call refused: nothing recorded
    run_round(pipeline)  # the bill is recorded and matched; polling and registering fail
    sim.set_faults(fault_rate=0.0)
    run_round(pipeline)
    assert bills(pipeline)["B-1"].state == s.CONFIRMED  # (the normal path, as a baseline)

    supplier_sells(supplier, 2)
    drop_bills(folder, "b.purchases.csv", [bill_row("B-2", "2")])
    from connector.purchases.confirming import PurchaseWorker, paired_lines

    run_round(pipeline)  # B-2 confirmed normally → purchase 2; now build a third by hand and "crash"
    supplier_sells(supplier, 3)
    drop_bills(folder, "c.purchases.csv", [bill_row("B-3", "3")])
    store = PurchaseLedger(pipeline.ledger.db)
    worker = PurchaseWorker(pipeline, pipeline.settings.devices[0])
    worker.poll()
    from connector.purchases.cycle import ingest_bills

    ingest_bills(pipeline, "dropbox")
    worker.match()
    stored = bills(pipeline)["B-3"]
    sale = store.supplier_sale(stored.supplier_sale_id or 0)
    codes = worker.register_items(stored, stored.bill)
    number = store.next_number(stored.device_key)
    request = worker.build(stored.bill, sale, paired_lines(stored.bill, sale), codes, number)
    store.allocate_and_send(stored.id, stored.device_key, number, request)  # ... and the process dies here
    assert sorted(stored_purchases(sim)) == ["1", "2"]

    run_round(pipeline)
    bill = bills(pipeline)["B-3"]
    assert bill.state == s.CONFIRMED and bill.purchase_number == 3
    assert sorted(stored_purchases(sim)) == ["1", "2", "3"]


def test_strict_kra_items_registered_under_our_pin_and_amounts_accepted(tmp_path: Path) -> None:
    from tests.simulator_helpers import gc_sale

    config = SimulatorConfig(host="127.0.0.1", port=0, profile="legacy", strict=True, seed=1,
                             stock_enforced=False)  # the supplier's stock is not this test's subject
    with start_simulator(config) as strict:
        seller = LegacyDevice(strict, tin=SUPPLIER, bhf_id="00", serial="supplier-1")
        seller.register_item()
        answer = seller.call("saveTrnsSalesOsdc", gc_sale(1, custTin=PIN, taxRtE=8))
        assert answer["resultCd"] == "000", answer
        settings = make_settings(tmp_path, strict.legacy_base, timeout_seconds=2)
        context = initialise_all(settings)
        folder = tmp_path / "drop"
        adapter = CsvAdapter.from_options({"folder": str(folder), "settle_seconds": 0}, default_mapping("csv"), "d")
        pipeline = Pipeline(context, {"d": Source("d", adapter, adapter.mapping, settings.devices[0])})
        try:
            drop_bills(folder, "a.purchases.csv", [bill_row("B-1", "1", unit_cost="86.21")])
            run_round(pipeline)
            bill = bills(pipeline)["B-1"]
            assert bill.state == s.CONFIRMED, bill.reason
            assert [r.key for r in strict.store.records("purchase", tin=PIN)] == ["1"]
        finally:
            adapter.close()
            context.close()
            seller.close()


def test_purchases_command_lists_what_a_person_must_decide(tmp_path: Path, sim, supplier, capsys) -> None:
    from connector.cli import main
    from tests.conftest import write_config

    path = write_config(tmp_path / "etims-connector.toml", sim.legacy_base)
    folder = tmp_path / "drop"
    path.write_text(path.read_text().replace("[kra]", "[purchases]\nenabled = true\nunmatched_after_days = 0\n[kra]")
                    + f'[[sources]]\nname = "dropbox"\nadapter = "csv"\noptions = {{ folder = "{folder}", '
                    "settle_seconds = 0 }\n")  # fmt: skip
    assert main(["--config", str(path), "device", "init"]) == 0
    supplier_sells(supplier, 1)
    supplier_sells(supplier, 2)
    drop_bills(folder, "a.purchases.csv", [bill_row("B-1", "1"), bill_row("B-7", "7")])
    capsys.readouterr()
    assert main(["--config", str(path), "purchases", "poll"]) == 0
    out = capsys.readouterr().out
    assert "2 supplier sale(s) listed by KRA (2 new), 1 matched, 1 confirmed" in out, out

    assert main(["--config", str(path), "purchases"]) == 1  # something to decide
    out = capsys.readouterr().out
    assert "2 supplier sale(s) fetched, 1 matched with a bill, 1 confirmed; next purchase number 2" in out, out
    assert f"no bill after 0 day(s): supplier {SUPPLIER}/00" in out and "invoice 2," in out
    assert "bill dropbox:B-7" in out and "KRA lists no sale from" in out
    capsys.readouterr()
    main(["--config", str(path), "status"])
    out = capsys.readouterr().out
    assert (
        "purchases on device hq: 1 supplier sale(s) without a bill, 1 bill(s) without a supplier sale, 0 to fix" in out
    )
    assert main(["--config", str(path), "stock", "status"]) == 1  # listed beside the stock, too
    assert "purchases on device hq: 1 supplier sale(s) without a bill" in capsys.readouterr().out


def test_a_confirmed_purchase_reports_its_goods_as_stock_in_when_stock_is_reported(sim, supplier, world) -> None:
    pipeline, folder = world
    pipeline.settings.purchases.stock_in = True
    supplier_sells(supplier, 1, quantity=2)
    supplier_sells(supplier, 2)
    drop_bills(folder, "a.purchases.csv", [bill_row("B-1", "1", quantity="2", unit_cost="42.50")])
    drop_bills(folder, "b.purchases.csv", [bill_row("B-2", "2", item_code="FIX", item_name="Fixing", category="")])
    run_round(pipeline)
    first, second = bills(pipeline)["B-1"], bills(pipeline)["B-2"]
    assert first.state == second.state == s.CONFIRMED
    stock = pipeline.ledger.documents("kind = 'stock'")
    assert [(d.source, d.external_id, d.state) for d in stock] == [("dropbox", f"purchase-in:{first.id}", "queued")]
    move = StockMove.model_validate_json(stock[0].canonical or "{}")
    assert move.kind == "purchase" and [(line.item.code, line.quantity, line.unit_cost) for line in move.lines] == [
        ("SOAP-IN", Decimal("2"), Decimal("42.50"))]  # fmt: skip
    marks = dict(pipeline.ledger.db.execute("SELECT external_id, stock_move FROM bills").fetchall())
    assert marks == {"B-1": f"purchase-in:{first.id}", "B-2": "none"}  # a service moves no stock
    run_round(pipeline)
    assert len(pipeline.ledger.documents("kind = 'stock'")) == 1  # recorded once


class CountingCsv(CsvAdapter, KnowsStockOnHand):
    """A bill source whose quantity on hand already includes the goods it received (as QuickBooks' does)."""

    def inventory(self) -> list:
        return []


def test_no_stock_in_from_a_purchase_when_the_sources_quantity_on_hand_counts_it(sim, supplier, world) -> None:
    pipeline, folder = world
    pipeline.settings.purchases.stock_in = True
    source = pipeline.sources["dropbox"]
    source.adapter.__class__ = CountingCsv  # the same source, now one that knows its quantities on hand
    supplier_sells(supplier, 1, quantity=2)
    drop_bills(folder, "a.purchases.csv", [bill_row("B-1", "1", quantity="2", unit_cost="42.50")])
    run_round(pipeline)
    assert bills(pipeline)["B-1"].state == s.CONFIRMED
    assert pipeline.ledger.documents("kind = 'stock'") == []  # its quantity on hand reports it (06), not twice
    assert pipeline.ledger.db.execute("SELECT stock_move FROM bills").fetchone()[0] == "none"


def test_no_stock_in_when_stock_is_not_reported(sim, supplier, world) -> None:
    pipeline, folder = world
    supplier_sells(supplier, 1)
    drop_bills(folder, "a.purchases.csv", [bill_row("B-1", "1")])
    run_round(pipeline)  # legacy profile, no [purchases] stock_in: stock is not reported
    assert bills(pipeline)["B-1"].state == s.CONFIRMED
    assert pipeline.ledger.documents("kind = 'stock'") == []
    assert pipeline.ledger.db.execute("SELECT stock_move FROM bills").fetchone()[0] == "off"


def test_the_daemon_sweeper_runs_a_purchases_round_when_enabled(sim, supplier, world) -> None:
    from connector.daemon import Daemon

    pipeline, folder = world
    supplier_sells(supplier, 1)
    drop_bills(folder, "a.purchases.csv", [bill_row("B-1", "1")])
    daemon = Daemon(pipeline.settings, sources=pipeline.sources, workers=1)
    try:
        daemon.purchases_round()
        assert bills(daemon.pipeline)["B-1"].state == s.CONFIRMED
        daemon.purchases_round()  # within interval_minutes: nothing is asked of KRA
        polls = daemon.context.db.execute(
            "SELECT COUNT(*) FROM exchanges WHERE endpoint = 'selectTrnsPurchaseSalesList'"
        ).fetchone()[0]
        assert polls == 1
    finally:
        daemon.context.close()


def test_ledger_migrate_copies_purchases_and_the_sequence_goes_on(
    tmp_path: Path,
    sim,
    supplier,
    postgres_url: str,  # noqa: F811
) -> None:
    from connector.db_postgres import open_postgres
    from connector.ledger import Ledger
    from connector.ledger.migrate import migrate

    settings = make_settings(tmp_path, sim.legacy_base, timeout_seconds=2)
    context = initialise_all(settings)
    folder = tmp_path / "drop"
    adapter = CsvAdapter.from_options({"folder": str(folder), "settle_seconds": 0}, default_mapping("csv"), "d")
    pipeline = Pipeline(context, {"d": Source("d", adapter, adapter.mapping, settings.devices[0])})
    supplier_sells(supplier, 1)
    supplier_sells(supplier, 2)
    drop_bills(folder, "a.purchases.csv", [bill_row("B-1", "1")])
    run_round(pipeline)
    key = settings.devices[0].key
    target = open_postgres(postgres_url)
    report = migrate(context.db, target)
    assert report.problems == [] and report.counts["bills"] == 1 and report.counts["supplier_sales"] == 2
    assert report.counts["bill_events"] == len(PurchaseLedger(context.db).events(bills(pipeline)["B-1"].id))
    adapter.close()
    context.close()

    settings.ledger.url = SecretStr(postgres_url)
    context = Context(settings)
    adapter = CsvAdapter.from_options({"folder": str(folder), "settle_seconds": 0}, default_mapping("csv"), "d")
    pipeline = Pipeline(context, {"d": Source("d", adapter, adapter.mapping, settings.devices[0])})
    try:
        assert isinstance(context.ledger, Ledger) and PurchaseLedger(context.db).next_number(key) == 2
        drop_bills(folder, "b.purchases.csv", [bill_row("B-2", "2")])
        run_round(pipeline)  # new rows get new ids after the copied ones; purchase 2 follows purchase 1
        assert {b: (x.state, x.purchase_number) for b, x in bills(pipeline).items()} == {
            "B-1": (s.CONFIRMED, 1), "B-2": (s.CONFIRMED, 2)}  # fmt: skip
        assert sorted(stored_purchases(sim)) == ["1", "2"]
    finally:
        adapter.close()
        context.close()


def test_gavaconnect_profile_end_to_end(tmp_path: Path) -> None:
    """The GavaConnect gateway (OAuth, wrapped answers, its own paths), strict rules: a supplier's sale of a
    service to us is listed, our bill matches, and getPurchaseTransactionInfo/sendPurchaseTransactionInfo do it."""
    from tests.simulator_helpers import GC_ITEM, GavaDevice, gc_sale

    config = SimulatorConfig(port=0, profile="gavaconnect", oauth_clients={"key": "secret"}, seed=1)
    with start_simulator(config) as gava:
        seller = GavaDevice(gava, tin=SUPPLIER, bhf_id="00", serial="gc-supplier")  # logs in as key/secret
        service = {**GC_ITEM, "itemCd": "KE3OUNO0000001", "itemTyCd": "3", "pkgUnitCd": "OU", "itemNm": "Cleaning"}
        assert seller.post("saveItem", service).status_code == 200
        sale = gc_sale(1, custTin=PIN, taxRtE=8)
        sale["itemList"][0].update(itemCd="KE3OUNO0000001", pkgUnitCd="OU", itemNm="Cleaning")
        answer = seller.post("sendSalesTransaction", sale)
        assert answer.status_code == 200, answer.text
        settings = make_settings(
            tmp_path, gava.gavaconnect_base, profile="gavaconnect", token_url=gava.token_url,
            consumer_key="key", consumer_secret="secret", apigee_app_id="app-1",
        )  # fmt: skip
        context = initialise_all(settings)
        folder = tmp_path / "drop"
        adapter = CsvAdapter.from_options({"folder": str(folder), "settle_seconds": 0}, default_mapping("csv"), "d")
        pipeline = Pipeline(context, {"d": Source("d", adapter, adapter.mapping, settings.devices[0])})
        try:
            drop_bills(folder, "a.purchases.csv", [bill_row("B-1", "1", item_code="CLEAN", item_name="Cleaning",
                                                            category="", unit_cost="86.21")])  # fmt: skip
            report = run_round(pipeline)
            bill = bills(pipeline)["B-1"]
            assert bill.state == s.CONFIRMED, (bill.reason, report)
            assert [r.key for r in gava.store.records("purchase", tin=PIN)] == ["1"]
            cursor = pipeline.ledger.cursor(cursor_name(settings.devices[0].key))
            assert cursor is not None and cursor != "20180101000000"  # moved on
        finally:
            adapter.close()
            context.close()
            seller.close()


def test_purchases_show_and_retry(tmp_path: Path, sim, supplier, capsys) -> None:
    from connector.cli import main
    from tests.conftest import write_config

    path = write_config(tmp_path / "etims-connector.toml", sim.legacy_base)
    folder = tmp_path / "drop"
    path.write_text(path.read_text() + f'[[sources]]\nname = "dropbox"\nadapter = "csv"\noptions = {{ folder = '
                    f'"{folder}", settle_seconds = 0 }}\n')  # fmt: skip
    assert main(["--config", str(path), "device", "init"]) == 0
    supplier_sells(supplier, 1)
    drop_bills(folder, "a.purchases.csv", [bill_row("B-1", "1", quantity="4")])  # the supplier sold 1
    main(["--config", str(path), "purchases", "poll"])
    capsys.readouterr()
    assert main(["--config", str(path), "purchases", "show", "1"]) == 0
    out = capsys.readouterr().out
    assert "bill dropbox:B-1 (id 1): needs-fix" in out and "purchase number not allocated" in out, out
    assert f"supplier sale {SUPPLIER}/00 invoice 1" in out

    drop_bills(folder, "b.purchases.csv", [bill_row("B-1", "1", quantity="1")])  # corrected in the source
    main(["--config", str(path), "purchases", "poll"])
    capsys.readouterr()
    assert main(["--config", str(path), "purchases", "show", "1"]) == 0
    out = capsys.readouterr().out
    assert "bill dropbox:B-1 (id 1): confirmed" in out and "purchase number 1" in out
    assert "insertTrnsPurchase 1: accepted 000" in out, out
    assert main(["--config", str(path), "purchases", "retry", "1"]) == 2  # confirmed: nothing to retry
