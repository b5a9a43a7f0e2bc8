"""Stock around sales on the strict (GavaConnect) simulator over HTTP: a sale of goods beyond the stock on record
is refused before it gets a number, with the reason naming item and quantities, and goes by itself once stock-in
is accepted; a signed sale reports its stock-out (11) and a credit note its return-in (03), followed by the
stock masters; a crash between signing and recording the stock-out is caught up; the CSV source's stock file
and sales file end to end; `[stock] report = "off"` changes nothing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connector.adapters import ReportsStock
from connector.clock import EAT
from connector.kra.simulator import Simulator, SimulatorConfig, start_simulator
from connector.ledger import Ledger
from connector.ledger.schema import SIGNED
from connector.mapping import load_mapping
from connector.pipeline import Pipeline, Source
from connector.stock import ledger as stock_ledger
from tests.conftest import PIN, initialise_all, make_settings
from tests.pipeline_helpers import make_invoice
from tests.test_stock_sending import drain, make_move, sim_master

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def start(tmp_path: Path, report: str = "auto", enforced: bool | None = None) -> Iterator[tuple[Simulator, Pipeline]]:
    config = SimulatorConfig(port=0, profile="gavaconnect", oauth_clients={"key-1": "secret-1"}, seed=3,
                             stock_enforced=enforced)  # fmt: skip
    with start_simulator(config) as sim:
        settings = make_settings(
            tmp_path, sim.gavaconnect_base, profile="gavaconnect", token_url=sim.token_url, timeout_seconds=2,
            consumer_key="key-1", consumer_secret="secret-1", apigee_app_id="app-1",
        )  # fmt: skip
        settings.stock.report = report  # type: ignore[assignment]
        settings.queue.backoff_base_seconds = 0.05
        settings.queue.backoff_max_seconds = 0.2
        context = initialise_all(settings)
        try:
            yield sim, Pipeline(context, {})
        finally:
            context.close()


@pytest.fixture
def strict(tmp_path: Path) -> Iterator[tuple[Simulator, Pipeline]]:
    yield from start(tmp_path)


def sell(pipeline: Pipeline, number: str, quantity: str, **options: str) -> int:
    source = Source(name="test", adapter=None, mapping=load_mapping("csv"), device=pipeline.settings.devices[0])
    return pipeline.record_invoice(make_invoice(number, quantity=quantity, **options), source, {})


def sales_sent(ledger: Ledger) -> int:
    return ledger.db.execute("SELECT count(*) FROM exchanges WHERE endpoint = 'saveTrnsSalesOsdc'").fetchone()[0]


def test_a_sale_beyond_stock_waits_for_stock_in_then_moves_the_stock_out(strict) -> None:
    sim, pipeline = strict
    ledger, key = pipeline.ledger, pipeline.settings.devices[0].key
    short = sell(pipeline, "S-1", "3")
    drain(pipeline)
    doc = ledger.get(short)
    assert doc.state == "needs-fix" and doc.invoice_number is None and sales_sent(ledger) == 0
    assert "item SOAP (KE2" in doc.reason and "KRA has 0 in stock on record for device branch00" in doc.reason
    assert "this sale needs 3; report 3 more stock-in first" in doc.reason
    assert "(test does not report stock: drop a stock file (<name>.stock.csv" in doc.reason

    stock_ledger.record_move(ledger, key, make_move("open-1", quantity="5"))
    drain(pipeline)  # the stock-in is accepted, the waiting sale queued again and signed, then its stock-out
    doc = ledger.get(short)
    assert doc.state in SIGNED and doc.invoice_number == 1, doc.reason
    code = doc.request["itemList"][0]["itemCd"]
    out = ledger.find("test", f"sale-out:{short}", "stock")
    assert out is not None and out.state == "accepted" and out.stock_number == 2
    assert out.request["sarTyCd"] == "11" and out.request["itemList"][0]["qty"] == 3
    assert stock_ledger.quantity_of(ledger, key, code) == Decimal(2)
    assert sim_master(sim, code) == Decimal(2)  # the strict simulator took the master: it agrees with the IO

    again = sell(pipeline, "S-2", "3")
    drain(pipeline)
    assert "KRA has 2 in stock on record" in ledger.get(again).reason and sales_sent(ledger) == 1

    note = sell(pipeline, "CN-1", "1", kind="credit_note", original="S-1")
    drain(pipeline)
    assert ledger.get(note).state in SIGNED, ledger.get(note).reason
    back = ledger.find("test", f"return-in:{note}", "stock")
    assert back is not None and back.request["sarTyCd"] == "03" and back.state == "accepted"
    assert ledger.get(again).state in SIGNED  # the return (2 + 1) brought the stock S-2 was waiting for
    assert (stock_ledger.quantity_of(ledger, key, code), sim_master(sim, code)) == (Decimal(0), Decimal(0))
    ios = {int(r.key): r.body["sarTyCd"] for r in sim.store.records("stock_io", tin=PIN, bhf_id="00")}
    assert ios == {1: "06", 2: "11", 3: "03", 4: "11"}


def test_services_need_no_stock_and_move_none(strict) -> None:
    _, pipeline = strict
    ledger = pipeline.ledger
    sold = pipeline.record_invoice(_service_invoice(), _source(pipeline), {})
    drain(pipeline)
    assert ledger.get(sold).state in SIGNED, ledger.get(sold).reason
    assert ledger.documents("kind = 'stock'") == []


def _source(pipeline: Pipeline) -> Source:
    return Source(name="test", adapter=None, mapping=load_mapping("csv"), device=pipeline.settings.devices[0])


def _service_invoice() -> Any:
    invoice = make_invoice("SVC-1", quantity="2")
    line = invoice.lines[0].model_copy(update={"item": invoice.lines[0].item.model_copy(update={"category": None})})
    return invoice.model_copy(update={"lines": [line]})


def test_a_crash_between_signing_and_the_stock_out_is_caught_up(strict) -> None:
    sim, pipeline = strict
    ledger, key = pipeline.ledger, pipeline.settings.devices[0].key
    stock_ledger.record_move(ledger, key, make_move("open-1", quantity="5"))
    drain(pipeline)
    # what a crash right after the signature leaves: the sale signed, its stock-out never recorded (here: the
    # sale is signed while stock reporting is off, so nothing records it)
    pipeline.settings.stock.report = "off"
    sold = sell(pipeline, "S-1", "2")
    drain(pipeline)
    assert ledger.get(sold).state in SIGNED and ledger.find("test", f"sale-out:{sold}", "stock") is None
    pipeline.settings.stock.report = "on"
    drain(pipeline)  # the next drain catches it up
    out = ledger.find("test", f"sale-out:{sold}", "stock")
    assert out is not None and out.state == "accepted" and out.stock_number == 2
    code = ledger.get(sold).request["itemList"][0]["itemCd"]
    assert (stock_ledger.quantity_of(ledger, key, code), sim_master(sim, code)) == (Decimal(3), Decimal(3))
    drain(pipeline)
    assert len(ledger.documents("kind = 'stock'")) == 2  # caught up once, not again


def test_the_csv_stock_file_and_sales_file_end_to_end(tmp_path: Path) -> None:
    from plugins.csv.adapter import CsvAdapter

    for sim, pipeline in start(tmp_path):
        options = {"folder": str(tmp_path / "dropbox"), "settle_seconds": 0}
        adapter = CsvAdapter.from_options(options, load_mapping("csv"), "dropbox")
        adapter.ledger = lambda ledger=pipeline.ledger: ledger  # type: ignore[method-assign]
        pipeline.sources["dropbox"] = Source("dropbox", adapter, load_mapping("csv"), pipeline.settings.devices[0])
        inbox = tmp_path / "dropbox" / "inbox"
        inbox.mkdir(parents=True, exist_ok=True)
        shutil.copy(EXAMPLES / "sales.csv", inbox / "sales.csv")
        pipeline.ingest("dropbox")  # the sales first, no stock yet
        shutil.copy(EXAMPLES / "opening-stock.stock.csv", inbox / "opening-stock.stock.csv")
        pipeline.ingest("dropbox")
        drain(pipeline, rounds=80)
        ledger = pipeline.ledger
        stock = ledger.documents("kind = 'stock'")
        opening = [d for d in stock if d.external_id == "OPEN-2025-03"]
        assert opening and opening[0].state == "accepted" and opening[0].stock_number == 1
        sales = [d for d in ledger.documents("kind != 'stock'") if d.canonical]
        assert sales and all(d.state in SIGNED for d in sales), {d.number: d.reason for d in sales}
        outs = [d for d in stock if d.external_id.startswith(("sale-out:", "return-in:"))]
        assert outs and all(d.state == "accepted" for d in outs), {d.external_id: d.reason for d in outs}
        numbers = sorted(d.stock_number for d in stock if d.stock_number)
        assert numbers == list(range(1, len(numbers) + 1))  # gap-free sarNo
        key = pipeline.settings.devices[0].key
        for code, level in stock_ledger.levels(ledger, key).items():
            assert sim_master(sim, code) == level.quantity == level.master_quantity


def test_report_off_sends_no_stock_and_checks_none(tmp_path: Path) -> None:
    for sim, pipeline in start(tmp_path, report="off", enforced=False):
        sold = sell(pipeline, "S-1", "3")
        drain(pipeline)
        assert pipeline.ledger.get(sold).state in SIGNED
        assert pipeline.ledger.documents("kind = 'stock'") == []
        assert list(sim.store.records("stock_io", tin=PIN, bhf_id="00")) == []


class ListedStock(ReportsStock):
    """A stock source whose movements are a list (its cursor: how many were read), as a plugin would be."""

    def __init__(self, moves: list[Any]) -> None:
        self.moves = moves
        self.cursors: list[str | None] = []

    def fetch_stock_moves(self, cursor: str | None) -> Iterator[tuple[Any, str | None]]:
        self.cursors.append(cursor)
        start = int(cursor or 0)
        for index, move in enumerate(self.moves[start:], start + 1):
            yield move, str(index)


def test_a_sources_stock_moves_are_polled_with_a_cursor_one_bad_move_needs_fixing(strict) -> None:
    from connector.stock.polling import cursor_name, ingest_stock

    _, pipeline = strict
    ledger, key = pipeline.ledger, pipeline.settings.devices[0].key
    pipeline.settings.stock.start_date = date(2026, 11, 1)
    old = make_move("old-1").model_copy(update={"moved_at": datetime(2026, 10, 31, 23, 0, tzinfo=EAT)})
    moves = [
        make_move("rec-1", kind="purchase", quantity="4"),
        make_move("rec-2", kind="purchase", quantity="2", branch="branch07"),  # no such device
        make_move("sold-1", kind="sale", quantity="1"),  # the connector reports sales itself
        old,  # before start_date: never reported
        {"external_id": "half-1", "number": "HALF-1", "kind": "purchase"},  # what a plugin may yield: no lines
        make_move("rec-3", kind="adjustment_in", quantity="1"),
    ]
    source = Source("test", ListedStock(moves), load_mapping("csv"), pipeline.settings.devices[0])
    assert ingest_stock(pipeline, source) == {key}
    assert ledger.cursor(cursor_name("test")) == "6"
    stock = {d.external_id: d for d in ledger.documents("kind = 'stock'")}
    assert sorted(stock) == ["half-1", "rec-1", "rec-2", "rec-3"]
    bad = stock["rec-2"]
    assert bad.state == "needs-fix" and bad.canonical is None
    assert "REC-2" in bad.reason and "branch" in bad.reason and "'branch07'" in bad.reason, bad.reason
    half = stock["half-1"]
    assert half.state == "needs-fix" and "HALF-1" in half.reason and "field source: Field required" in half.reason
    drain(pipeline)
    assert [ledger.get(stock[i].id).state for i in ("rec-1", "rec-3")] == ["accepted", "accepted"]
    assert ingest_stock(pipeline, source) == set() and source.adapter.cursors[-1] == "6"  # nothing new


def test_sales_signed_before_stock_reporting_was_turned_on_move_nothing(tmp_path: Path) -> None:
    for _sim, pipeline in start(tmp_path, report="off", enforced=False):
        ledger, key = pipeline.ledger, pipeline.settings.devices[0].key
        sold = sell(pipeline, "S-1", "2")
        drain(pipeline)
        assert ledger.get(sold).state in SIGNED
        pipeline.settings.stock.report = "on"
        stock_ledger.record_move(ledger, key, make_move("open-1", quantity="5"))
        drain(pipeline)  # the first drain with reporting on marks what was signed before as history
        later = sell(pipeline, "S-2", "1")
        drain(pipeline)
        assert ledger.find("test", f"sale-out:{sold}", "stock") is None
        out = ledger.find("test", f"sale-out:{later}", "stock")
        assert out is not None and out.state == "accepted"
        assert ledger.cursor(f"stock-checked:{key}") == "1"  # checked at each drain's start
        drain(pipeline)
        assert ledger.cursor(f"stock-checked:{key}") == "2" and len(ledger.documents("kind = 'stock'")) == 2
