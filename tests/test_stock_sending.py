"""Stock documents in the ledger (record_move, levels, sarNo) and the stock sender against the KRA simulator
over HTTP: insertStockIO numbering, stock masters, rejections, unknown outcomes verified by resending."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr

from connector.clock import EAT
from connector.db import open_database
from connector.kra.simulator import Simulator, SimulatorConfig, start_simulator
from connector.ledger import Ledger, LedgerError
from connector.ledger import schema as ledger_schema
from connector.ledger.schema import SIGNED
from connector.models import ItemRef, Tax
from connector.pipeline import Pipeline, Source, default_mapping
from connector.sending import DeviceSender
from connector.stock import ledger as stock_ledger
from connector.stock.models import StockLine, StockMove
from tests.conftest import PIN, initialise_all, make_settings
from tests.pipeline_helpers import make_invoice
from tests.postgres_helpers import postgres_url  # noqa: F401  (a fixture)


def make_move(
    external_id: str = "open-1",
    *,
    kind: str = "adjustment_in",
    quantity: str = "10",
    cost: str = "50",
    item: str = "SOAP",
    branch: str | None = None,
    number: str | None = None,
) -> StockMove:
    line = StockLine(
        item=ItemRef(code=item, name=f"Item {item}", category="goods"),
        quantity=Decimal(quantity),
        unit="pcs",
        unit_cost=Decimal(cost),
        taxes=[Tax(code="VAT16")],
    )
    return StockMove(
        source="test", external_id=external_id, number=number or external_id.upper(), kind=kind,  # type: ignore[arg-type]
        moved_at=datetime(2026, 11, 20, 9, 0, tzinfo=EAT), branch=branch, lines=[line],
    )  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    if request.param == "postgresql":
        from connector.db_postgres import open_postgres

        db = open_postgres(request.getfixturevalue("postgres_url"))
    else:
        db = open_database(tmp_path / "ledger.db")
    yield Ledger(db)
    db.close()


# ------------------------------------------------------------ the ledger side


def test_record_move_is_idempotent_and_queues_new_movements(ledger: Ledger) -> None:
    first = stock_ledger.record_move(ledger, "dev-a", make_move())
    assert stock_ledger.record_move(ledger, "dev-a", make_move()) == first
    doc = ledger.get(first)
    assert (doc.kind, doc.state, doc.stock_number, doc.number) == ("stock", "queued", None, "OPEN-1")
    assert doc.label == "test:OPEN-1 (stock)"
    assert stock_ledger.move_of(doc) == make_move()
    assert len(ledger.events(first)) == 1
    assert ledger.head_of_device("dev-a").id == first


def test_a_changed_move_is_updated_until_it_holds_a_sar_number(ledger: Ledger) -> None:
    doc_id = stock_ledger.record_move(ledger, "dev-a", make_move(quantity="10"))
    assert stock_ledger.record_move(ledger, "dev-a", make_move(quantity="12")) == doc_id
    assert stock_ledger.move_of(ledger.get(doc_id)).lines[0].quantity == Decimal("12")
    stock_ledger.allocate_and_move(ledger, doc_id, "dev-a", 1, "sending", "sending sarNo 1", request={"sarNo": 1})
    assert stock_ledger.record_move(ledger, "dev-a", make_move(quantity="15")) == doc_id
    doc = ledger.get(doc_id)
    assert stock_ledger.move_of(doc).lines[0].quantity == Decimal("12")  # numbered: left alone
    assert (doc.state, doc.stock_number) == ("sending", 1)
    assert "changed in the source after it was numbered" in ledger.events(doc_id)[-1]["detail"]


def test_sar_numbers_are_per_device_and_given_back_only_when_last(ledger: Ledger) -> None:
    a1 = stock_ledger.record_move(ledger, "dev-a", make_move("m1"))
    a2 = stock_ledger.record_move(ledger, "dev-a", make_move("m2"))
    b1 = stock_ledger.record_move(ledger, "dev-b", make_move("m3"))
    assert stock_ledger.next_stock_number(ledger, "dev-a") == 1
    stock_ledger.allocate_and_move(ledger, a1, "dev-a", 1, "sending", "s")
    with pytest.raises(LedgerError, match="not device dev-a's next"):
        stock_ledger.allocate_and_move(ledger, a2, "dev-a", 1, "sending", "s")
    stock_ledger.allocate_and_move(ledger, a2, "dev-a", 2, "sending", "s")
    stock_ledger.allocate_and_move(ledger, b1, "dev-b", 1, "sending", "s")
    with pytest.raises(LedgerError, match="not the last allocated"):
        stock_ledger.release_and_move(ledger, a1, "dev-a", "needs-fix", "refused")
    stock_ledger.release_and_move(ledger, a2, "dev-a", "needs-fix", "refused", reason="KRA said no")
    assert ledger.get(a2).stock_number is None and stock_ledger.next_stock_number(ledger, "dev-a") == 2
    assert ledger.get(a2).state == "needs-fix"


def test_accepting_updates_the_levels_in_the_same_transaction(ledger: Ledger) -> None:
    doc_id = stock_ledger.record_move(ledger, "dev-a", make_move())
    stock_ledger.allocate_and_move(ledger, doc_id, "dev-a", 1, "sending", "s")
    stock_ledger.accept(ledger, doc_id, "dev-a", [("KE2NTNO0000001", Decimal("10"))], "recorded by KRA")
    assert ledger.get(doc_id).state == "accepted"
    level = stock_ledger.levels(ledger, "dev-a")["KE2NTNO0000001"]
    assert (level.quantity, level.master_quantity, level.master_due) == (Decimal("10"), None, True)
    doc2 = stock_ledger.record_move(ledger, "dev-a", make_move("out-1", kind="scrap", quantity="2.5"))
    stock_ledger.allocate_and_move(ledger, doc2, "dev-a", 2, "sending", "s")
    stock_ledger.accept(ledger, doc2, "dev-a", [("KE2NTNO0000001", Decimal("-2.5"))], "recorded by KRA")
    assert stock_ledger.quantity_of(ledger, "dev-a", "KE2NTNO0000001") == Decimal("7.5")
    assert stock_ledger.quantity_of(ledger, "dev-b", "KE2NTNO0000001") == 0
    stock_ledger.mark_master(ledger, "dev-a", "KE2NTNO0000001", Decimal("7.5"))
    assert stock_ledger.due_masters(ledger, "dev-a") == []


def test_discard_only_without_a_sar_number(ledger: Ledger) -> None:
    kept = stock_ledger.record_move(ledger, "dev-a", make_move("m1"))
    dropped = stock_ledger.record_move(ledger, "dev-a", make_move("m2"))
    assert ledger.discard(dropped, "entered twice").state == "discarded"
    stock_ledger.allocate_and_move(ledger, kept, "dev-a", 1, "retry-wait", "KRA busy")
    with pytest.raises(LedgerError, match="holds sarNo 1"):
        ledger.discard(kept, "no")


def test_waiting_stock_goes_before_waiting_sales(ledger: Ledger) -> None:
    ledger.record(source="test", external_id="INV-1", kind="invoice", number="INV-1", device_key="dev-a",
                  canonical="{}", content_hash="h", source_ref={})  # fmt: skip
    sale = ledger.find("test", "INV-1", "invoice")
    assert sale is not None
    ledger.move(sale.id, "queued", "checked")
    stock = stock_ledger.record_move(ledger, "dev-a", make_move())
    assert ledger.head_of_device("dev-a").id == stock
    ledger.move(sale.id, "sending", "sending")  # in flight goes first, whatever its kind
    assert ledger.head_of_device("dev-a").id == sale.id


def test_an_existing_ledger_gains_the_stock_column_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:  # the documents table as it was before stock
        old.executescript(ledger_schema.LEDGER_TABLES)
        old.execute("INSERT INTO documents (source, external_id, kind, device_key, state, created_at, updated_at)"
                    " VALUES ('csv', 'A', 'invoice', 'dev', 'accepted', 'x', 'x')")  # fmt: skip
    ledger = Ledger(open_database(path))
    assert ledger.get(1).stock_number is None
    doc_id = stock_ledger.record_move(ledger, "dev", make_move())
    stock_ledger.allocate_and_move(ledger, doc_id, "dev", 1, "sending", "s")
    other = stock_ledger.record_move(ledger, "dev", make_move("m2"))
    with pytest.raises(Exception, match="UNIQUE"):  # the unique index (device_key, stock_number) is there
        ledger.db.execute("UPDATE documents SET stock_number = 1 WHERE id = ?", [other])
    Ledger(open_database(path))  # a second start changes nothing


# ------------------------------------------------------------ the stock sender against the strict simulator


@pytest.fixture(params=["sqlite", "postgresql"])
def strict(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Simulator, Pipeline]]:
    """A GavaConnect-profile connector on the strict simulator over HTTP (stock masters checked against the IO),
    with the ledger on each backend in turn."""
    config = SimulatorConfig(port=0, profile="gavaconnect", oauth_clients={"key-1": "secret-1"}, seed=3)
    with start_simulator(config) as sim:
        settings = make_settings(
            tmp_path, sim.gavaconnect_base, profile="gavaconnect", token_url=sim.token_url, timeout_seconds=1,
            consumer_key="key-1", consumer_secret="secret-1", apigee_app_id="app-1",
        )  # fmt: skip
        if request.param == "postgresql":
            settings.ledger.url = SecretStr(request.getfixturevalue("postgres_url"))
        settings.queue.backoff_base_seconds = 0.05
        settings.queue.backoff_max_seconds = 0.2
        context = initialise_all(settings)
        try:
            yield sim, Pipeline(context, {})
        finally:
            context.close()


def drain(pipeline: Pipeline, rounds: int = 40) -> None:
    """Run the device's sender until its queue is empty (short waits are slept through)."""
    device = pipeline.settings.devices[0]
    for _ in range(rounds):
        wait = DeviceSender(pipeline, device).run(5.0, lambda: True)
        if wait is None:
            return
        time.sleep(min(wait, 0.3))
    raise AssertionError("the device queue did not empty")


def sim_stock_ios(sim: Simulator) -> dict[int, dict]:
    return {int(r.key): r.body for r in sim.store.records("stock_io", tin=PIN, bhf_id="00")}


def sim_master(sim: Simulator, item_code: str) -> Decimal | None:
    found = sim.store.get("stock_master", PIN, "00", item_code)
    return None if found is None else Decimal(str(found["rsdQty"]))


def record(pipeline: Pipeline, move: StockMove) -> int:
    return stock_ledger.record_move(pipeline.ledger, pipeline.settings.devices[0].key, move)


def test_opening_stock_is_numbered_and_its_stock_master_matches_on_the_strict_simulator(strict) -> None:
    sim, pipeline = strict
    ledger, key = pipeline.ledger, pipeline.settings.devices[0].key
    first = record(pipeline, make_move("open-soap", quantity="10", cost="50"))
    second = record(pipeline, make_move("open-salt", quantity="4", cost="12.5", item="SALT"))
    scrap = record(pipeline, make_move("scrap-1", kind="scrap", quantity="3", cost="50"))
    drain(pipeline)
    docs = [ledger.get(i) for i in (first, second, scrap)]
    assert [(d.state, d.stock_number) for d in docs] == [("accepted", 1), ("accepted", 2), ("accepted", 3)]
    ios = sim_stock_ios(sim)
    assert sorted(ios) == [1, 2, 3]
    line = ios[1]["itemList"][0]
    assert (ios[1]["sarTyCd"], ios[3]["sarTyCd"], ios[1]["regTyCd"], ios[1]["orgSarNo"]) == ("06", "15", "M", 0)
    assert ios[1]["ocrnDt"] == "20261120"
    assert (line["qty"], line["prc"], line["splyAmt"], line["totDcAmt"]) == (10, 50, 500, 0)
    assert (line["taxblAmt"], line["taxAmt"], line["totAmt"], line["taxTyCd"]) == (500, 80, 580, "B")
    assert (ios[1]["totTaxblAmt"], ios[1]["totTaxAmt"], ios[1]["totAmt"]) == (500, 80, 580)
    soap, salt = line["itemCd"], ios[2]["itemList"][0]["itemCd"]
    assert soap[2] == "2" and soap[-7:] == "0000001"  # registered before its first movement (goods)
    levels = stock_ledger.levels(ledger, key)
    assert (levels[soap].quantity, levels[soap].master_quantity) == (Decimal("7"), Decimal("7"))
    assert (levels[salt].quantity, levels[salt].master_quantity) == (Decimal("4"), Decimal("4"))
    assert (sim_master(sim, soap), sim_master(sim, salt)) == (Decimal("7"), Decimal("4"))  # the strict check passed
    endpoints = [r[0] for r in ledger.db.execute("SELECT endpoint FROM exchanges ORDER BY id").fetchall()]
    assert endpoints.count("insertStockIO") == 3 and endpoints.count("saveStockMaster") == 3


def test_a_kra_rejection_gives_the_sar_number_back_to_the_next_movement(strict) -> None:
    sim, pipeline = strict
    ledger = pipeline.ledger
    refused = record(pipeline, make_move("m1"))
    drain(pipeline)  # items registered; no fault yet: accepted as sarNo 1
    assert ledger.get(refused).stock_number == 1
    second = record(pipeline, make_move("m2"))
    sim.set_faults(fault_rate=1.0, fault_codes=("910",))  # a definite refusal, before anything is recorded
    drain(pipeline)
    sim.set_faults(fault_rate=0.0)
    doc = ledger.get(second)
    assert (doc.state, doc.stock_number, doc.request) == ("needs-fix", None, None)
    assert (
        "KRA refused stock IO sarNo 2" in (doc.reason or "")
        and "sarNo 2 released" in ledger.events(second)[-1]["detail"]
    )
    third = record(pipeline, make_move("m3", quantity="1"))
    drain(pipeline)
    assert (ledger.get(third).state, ledger.get(third).stock_number) == ("accepted", 2)  # the number reused
    assert sorted(sim_stock_ios(sim)) == [1, 2]


@pytest.mark.parametrize("fault", ["timeout", "502", "999"])
def test_an_unknown_outcome_after_commit_is_verified_by_resending_no_gap_no_duplicate(strict, fault) -> None:
    sim, pipeline = strict
    ledger, key = pipeline.ledger, pipeline.settings.devices[0].key
    record(pipeline, make_move("m1", quantity="5"))
    drain(pipeline)
    doc_id = record(pipeline, make_move("m2", quantity="2"))
    if fault == "timeout":
        sim.set_faults(commit_then_timeout_rate=1.0, commit_then_timeout_seconds=2.0)  # > the client's 1 s
    else:
        sim.faults.update({"after_commit": fault, "after_commit_rate": 1.0})  # recorded, then a 502 / a 999
    drain(pipeline)  # recorded at KRA, the answer lost: unknown, then the identical resend answers 994
    sim.set_faults(commit_then_timeout_rate=0.0)
    sim.faults.update({"after_commit_rate": 0.0})
    doc = ledger.get(doc_id)
    assert (doc.state, doc.stock_number) == ("accepted", 2)
    assert "recorded by an earlier attempt" in ledger.events(doc_id)[-1]["detail"]
    outcomes = ledger.db.execute(
        "SELECT outcome, code FROM exchanges WHERE document_id = ? AND endpoint = 'insertStockIO' ORDER BY id", [doc_id]
    ).fetchall()
    assert [o[0] for o in outcomes] == ["unknown", "unknown"] and outcomes[1][1] == "994"
    assert sorted(sim_stock_ios(sim)) == [1, 2]  # recorded once
    code = sim_stock_ios(sim)[1]["itemList"][0]["itemCd"]
    assert stock_ledger.quantity_of(ledger, key, code) == Decimal("7")  # counted once
    assert sim_master(sim, code) == Decimal("7")
    third = record(pipeline, make_move("m3", quantity="1"))
    drain(pipeline)
    assert ledger.get(third).stock_number == 3


def test_waiting_stock_is_sent_before_an_older_waiting_sale(strict) -> None:
    _, pipeline = strict
    ledger = pipeline.ledger
    source = Source("test", None, default_mapping("test"), pipeline.settings.devices[0])
    pipeline.record_invoice(make_invoice("S-1", price="116.00", quantity="2"), source, {"test": "S-1"})
    stock = record(pipeline, make_move("open-soap", quantity="10"))
    drain(pipeline)
    sale = ledger.find("test", "S-1", "invoice")
    assert sale is not None and ledger.get(sale.id).state in SIGNED, ledger.get(sale.id).reason
    order = [(r[0], r[1]) for r in ledger.db.execute(
        "SELECT document_id, endpoint FROM exchanges WHERE endpoint IN ('insertStockIO', 'saveTrnsSalesOsdc')"
        " ORDER BY id").fetchall()]  # fmt: skip
    out = ledger.find("test", f"sale-out:{sale.id}", "stock")  # the sale's own stock-out comes after it
    assert out is not None
    assert order == [(stock, "insertStockIO"), (sale.id, "saveTrnsSalesOsdc"), (out.id, "insertStockIO")]


def test_a_zero_cost_line_takes_the_registered_price_or_needs_fixing(strict) -> None:
    sim, pipeline = strict
    ledger = pipeline.ledger
    unknown = record(pipeline, make_move("free-1", cost="0", item="GIFT"))
    drain(pipeline)
    doc = ledger.get(unknown)
    assert doc.state == "needs-fix" and "line 1" in (doc.reason or "") and "unit_cost" in (doc.reason or "")
    assert doc.stock_number is None and not sim_stock_ios(sim)
    record(pipeline, make_move("open", cost="40", item="SOAP"))  # registers SOAP with dftPrc 40
    priced = record(pipeline, make_move("free-2", cost="0", item="SOAP", quantity="2"))
    drain(pipeline)
    assert ledger.get(priced).state == "accepted"
    line = sim_stock_ios(sim)[ledger.get(priced).stock_number]["itemList"][0]
    assert (line["prc"], line["totAmt"]) == (40, Decimal("92.8"))


def test_a_refused_stock_master_is_an_alert_not_a_loop(strict) -> None:
    _, pipeline = strict
    pipeline.settings.stock.report = "off"  # the sales' own stock-outs would change the quantity (test_stock_flow)
    ledger, key = pipeline.ledger, pipeline.settings.devices[0].key
    record(pipeline, make_move("m1", quantity="10"))
    drain(pipeline)
    code = next(iter(stock_ledger.levels(ledger, key)))
    # the ledger and KRA disagree (e.g. stock reported for this branch by something else)
    ledger.db.execute("UPDATE stock_levels SET quantity = '12' WHERE item_code = ?", [code])
    source = Source("test", None, default_mapping("test"), pipeline.settings.devices[0])
    for number in ("S-1", "S-2"):  # the due master goes before each sale: refused once, then left alone
        pipeline.record_invoice(make_invoice(number), source, {"test": number})
        drain(pipeline)
        assert ledger.find("test", number, "invoice").state in SIGNED  # the sales go on
    masters = ledger.db.execute(
        "SELECT outcome, message FROM exchanges WHERE endpoint = 'saveStockMaster' ORDER BY id"
    ).fetchall()
    assert len(masters) == 2 and masters[1][0] == "rejected" and "Expected: 10" in masters[1][1]
    alerts = [r[0] for r in ledger.db.execute("SELECT message FROM alerts WHERE kind = 'stock-master'").fetchall()]
    assert len(alerts) == 1 and "rsdQty 12" in alerts[0]
    assert stock_ledger.due_masters(ledger, key) == []


def build_request(pipeline: Pipeline, doc_id: int) -> dict:
    """The insertStockIO body the sender would send for the document with the device's next sarNo."""
    from connector.stock import build
    from connector.stock.sending import StockSender

    ledger, device = pipeline.ledger, pipeline.settings.devices[0]
    stock = StockSender(DeviceSender(pipeline, device))
    doc = ledger.get(doc_id)
    move = stock_ledger.move_of(doc)
    invoice = build.as_invoice(move)
    specs = build.specs_of(move, invoice, default_mapping("test"))
    codes = stock.register_items(doc, invoice, specs)
    return build.build_stock_io(
        move, invoice, specs, codes, [line.unit_cost for line in move.lines],
        stock_number=stock_ledger.next_stock_number(ledger, device.key), device=stock.device,
        tax_rates=pipeline.tax_rates(), audit=stock.audit, profile="gavaconnect",
    )  # fmt: skip


def leave_in_flight(pipeline: Pipeline, doc_id: int) -> dict:
    """What a crash right after "sarNo allocated and request stored" leaves: state sending, nothing answered."""
    request = build_request(pipeline, doc_id)
    key = pipeline.settings.devices[0].key
    stock_ledger.allocate_and_move(pipeline.ledger, doc_id, key, request["sarNo"], "sending", "sending",
                                   request=request, attempts=1)  # fmt: skip
    return request


@pytest.mark.parametrize("posted", [False, True])
def test_a_crash_between_allocating_and_the_answer_is_resolved_by_the_same_request(strict, posted) -> None:
    sim, pipeline = strict
    ledger, device = pipeline.ledger, pipeline.settings.devices[0]
    record(pipeline, make_move("m1"))
    drain(pipeline)
    doc_id = record(pipeline, make_move("m2", quantity="3"))
    request = leave_in_flight(pipeline, doc_id)
    if posted:  # the request reached KRA, the process died before the answer was stored
        assert pipeline.context.client(device).save_stock_io(request).outcome.value == "accepted"
    later = record(pipeline, make_move("m3", quantity="1"))
    assert ledger.head_of_device(device.key).id == doc_id  # in flight goes before any waiting movement
    drain(pipeline)
    doc = ledger.get(doc_id)
    assert (doc.state, doc.stock_number, ledger.get(later).stock_number) == ("accepted", 2, 3)
    query = "SELECT code FROM exchanges WHERE document_id = ? AND endpoint = 'insertStockIO'"
    codes = [c for (c,) in ledger.db.execute(query, [doc_id]).fetchall()]
    assert codes == (["994"] if posted else ["000"])
    assert sorted(sim_stock_ios(sim)) == [1, 2, 3]
    assert sim_stock_ios(sim)[2]["itemList"][0]["qty"] == 3  # sarNo 2 is m2, recorded once


def test_a_sar_number_kra_already_holds_from_elsewhere_is_never_taken_as_ours(strict) -> None:
    sim, pipeline = strict
    ledger, device = pipeline.ledger, pipeline.settings.devices[0]
    other = record(pipeline, make_move("elsewhere", quantity="9"))
    request = build_request(pipeline, other)  # sarNo 1, reported for this branch by another system
    assert pipeline.context.client(device).save_stock_io(request).outcome.value == "accepted"
    ledger.discard(other, "test: sent by another system")
    ours = record(pipeline, make_move("m1", quantity="2"))
    with pytest.raises(AssertionError):
        drain(pipeline, rounds=3)  # 994 to a first send: kept unknown, alerted, resent later, never accepted
    doc = ledger.get(ours)
    assert (doc.state, doc.stock_number) == ("unknown", 1)
    alerts = [m for (m,) in ledger.db.execute("SELECT message FROM alerts WHERE kind = 'conflict'").fetchall()]
    assert alerts and "never renumbered" in alerts[0]
    assert stock_ledger.levels(ledger, device.key) == {}  # nothing counted for a movement KRA does not hold
    assert sim_stock_ios(sim)[1]["itemList"][0]["qty"] == 9


def test_retry_later_keeps_the_sar_number_and_the_request(strict) -> None:
    sim, pipeline = strict
    ledger = pipeline.ledger
    record(pipeline, make_move("m1"))
    drain(pipeline)
    doc_id = record(pipeline, make_move("m2", quantity="4"))
    sim.set_faults(fault_rate=1.0, fault_codes=("991",))  # KRA busy: nothing recorded, try again later
    with pytest.raises(AssertionError):
        drain(pipeline, rounds=2)
    waiting = ledger.get(doc_id)
    assert (waiting.state, waiting.stock_number, waiting.request["sarNo"]) == ("retry-wait", 2, 2)
    assert ledger.head_of_device(pipeline.settings.devices[0].key).id == doc_id
    sim.set_faults(fault_rate=0.0)
    drain(pipeline)
    doc = ledger.get(doc_id)
    assert (doc.state, doc.stock_number, doc.request) == ("accepted", 2, waiting.request)
    assert sorted(sim_stock_ios(sim)) == [1, 2]


def test_a_transfer_names_the_other_branch(strict) -> None:
    sim, pipeline = strict
    record(pipeline, make_move("m1", quantity="5"))
    transfer = make_move("t1", kind="transfer_out", quantity="2").model_copy(update={"counterpart_branch": "01"})
    record(pipeline, transfer)
    drain(pipeline)
    sent = sim_stock_ios(sim)[2]
    assert (sent["sarTyCd"], sent["custTin"], sent["custBhfId"]) == ("13", PIN, "01")
    assert sim_stock_ios(sim)[1]["custTin"] is None  # not a transfer: no counterpart


def test_the_log_names_the_sar_number(strict, caplog: pytest.LogCaptureFixture) -> None:
    _, pipeline = strict
    record(pipeline, make_move("m1"))
    with caplog.at_level("INFO", logger="connector.sending"):
        drain(pipeline)
    assert "test:M1 (stock) → sarNo 1 accepted" in caplog.text


def test_a_stock_master_that_failed_is_retried_by_the_drain_even_with_an_empty_queue(strict) -> None:
    sim, pipeline = strict
    ledger, device = pipeline.ledger, pipeline.settings.devices[0]
    record(pipeline, make_move("m1", quantity="6"))
    drain(pipeline)
    code = next(iter(stock_ledger.levels(ledger, device.key)))
    ledger.db.execute("UPDATE stock_levels SET master_quantity = NULL")  # as left by a master KRA did not take
    sim.set_faults(fault_rate=1.0, fault_codes=("991",))
    wait = DeviceSender(pipeline, device).run(5.0, lambda: True)
    assert wait is not None and wait > 0  # nothing queued, but the device comes back for its master
    assert stock_ledger.levels(ledger, device.key)[code].master_quantity is None
    sim.set_faults(fault_rate=0.0)
    assert DeviceSender(pipeline, device).run(5.0, lambda: True) is None
    assert stock_ledger.levels(ledger, device.key)[code].master_quantity == Decimal("6")
    assert sim_master(sim, code) == Decimal("6")
