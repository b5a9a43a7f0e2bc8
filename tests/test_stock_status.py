"""`etims-connector stock status [ITEM]`: per device and item, KRA's stock on record against the source's.

Through the command line on a CSV drop folder (opening stock file, sales file, a stock movement that needs
fixing) against the simulator over HTTP, and with a stock source that knows its quantities on hand (the
difference column)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connector.adapters import ReportsStock
from connector.cli import main
from connector.config import load_settings
from connector.context import Context
from connector.kra.simulator import Simulator
from connector.ledger.schema import SIGNED
from connector.pipeline import Pipeline, build_sources
from connector.stock import ledger as stock_ledger
from connector.stock.report import add_source_quantities, device_stock
from tests.conftest import write_config
from tests.test_stock_flow import EXAMPLES, sell, start
from tests.test_stock_sending import drain, make_move

STOCK_FILE_WITH_A_BAD_BRANCH = (
    "movement_id,date,kind,branch,item_code,item_name,quantity,unit,unit_cost,vat_code,category\n"
    "ADJ-9,2025-03-02 10:00,adjustment_in,nowhere,SUGAR-2KG,Sugar 2 kg,5,pcs,190.00,B,goods\n"
)


@pytest.fixture
def shop(tmp_path: Path, simulator: Simulator) -> Iterator[tuple[Path, Path]]:
    """A configuration with stock reporting on and a CSV drop folder, device initialised."""
    folder = tmp_path / "dropbox"
    path = write_config(tmp_path / "etims-connector.toml", simulator.legacy_base)
    path.write_text(path.read_text() + '[stock]\nreport = "on"\n'
                    f'[[sources]]\nname = "dropbox"\nadapter = "csv"\noptions = {{ folder = "{folder}", '
                    "settle_seconds = 0 }\n")  # fmt: skip
    assert main(["--config", str(path), "device", "init"]) == 0
    (folder / "inbox").mkdir(parents=True, exist_ok=True)
    yield path, folder


def run_once(path: Path) -> None:
    """What `run` does for one poll: read the drop folder, then send everything queued."""
    context = Context(load_settings(str(path)))
    try:
        pipeline = Pipeline(context, build_sources(context))
        pipeline.ingest("dropbox")
        drain(pipeline, rounds=80)
    finally:
        context.close()


def test_stock_status_after_opening_stock_and_sales(shop, capsys) -> None:
    path, folder = shop
    shutil.copy(EXAMPLES / "opening-stock.stock.csv", folder / "inbox" / "opening-stock.stock.csv")
    shutil.copy(EXAMPLES / "sales.csv", folder / "inbox" / "sales.csv")
    run_once(path)
    capsys.readouterr()

    assert main(["--config", str(path), "stock", "status", "--json"]) == 0
    [report] = json.loads(capsys.readouterr().out)
    items = {item["source_code"]: item for item in report["items"]}
    sugar = items["SUGAR-2KG"]
    context = Context(load_settings(str(path)))
    try:
        signed = [d for d in context.ledger.documents("kind != 'stock'") if d.state in SIGNED]
        lines = [(d.kind, line) for d in signed for line in d.request["itemList"]]
        sold = sum(Decimal(str(line["qty"])) * (-1 if kind == "credit_note" else 1)
                   for kind, line in lines if line["itemCd"] == sugar["item_code"])  # fmt: skip
    finally:
        context.close()
    assert sold > 0
    assert Decimal(str(sugar["on_record"])) == Decimal(100) - sold  # opening 100, less what was sold, plus returns
    assert Decimal(str(sugar["master"])) == Decimal(str(sugar["on_record"]))
    assert (sugar["coming_in"], sugar["going_out"], sugar["unsigned"]) == (0, 0, 0)
    assert sugar["source"] is None and sugar["difference"] is None  # a CSV folder knows no quantities on hand
    assert report["needs_fix"] == []

    assert main(["--config", str(path), "stock", "status", "sugar-2kg"]) == 0
    out = capsys.readouterr().out
    assert f"SUGAR-2KG ({sugar['item_code']})" in out and "MAIZE-FLOUR-2KG" not in out
    assert "device hq: 1 item(s), 0 with a difference, 0 stock movement(s) to fix" in out


def test_a_stock_movement_that_needs_fixing_is_listed_and_the_exit_code_says_so(shop, capsys) -> None:
    path, folder = shop
    (folder / "inbox" / "adjust.stock.csv").write_text(STOCK_FILE_WITH_A_BAD_BRANCH, encoding="utf-8")
    run_once(path)
    capsys.readouterr()
    assert main(["--config", str(path), "stock"]) == 1  # `stock` alone is `stock status`
    out = capsys.readouterr().out
    assert "1 stock movement(s) to fix" in out
    assert "needs fix: stock movement ADJ-9" in out and "nowhere" in out and "branch" in out


class CountedStock(ReportsStock):
    """A stock source that knows its quantities on hand, as an ERP's adapter would (no movements to read)."""

    def __init__(self, on_hand: dict[str, str]) -> None:
        self.on_hand = on_hand
        self.asked: list[tuple[str | None, list[str]]] = []

    def fetch_stock_moves(self, cursor: str | None) -> Iterator[tuple[Any, str | None]]:
        return iter(())

    def stock_on_hand(self, branch: str | None, item_codes: list[str]) -> dict[str, Any]:
        self.asked.append((branch, item_codes))
        return {code: Decimal(self.on_hand[code]) for code in item_codes if code in self.on_hand}


def test_the_difference_is_the_source_against_what_kra_will_hold(tmp_path: Path) -> None:
    for _sim, pipeline in start(tmp_path):
        ledger, device = pipeline.ledger, pipeline.settings.devices[0]
        stock_ledger.record_move(ledger, device.key, make_move("open-1", quantity="10"))
        drain(pipeline)
        sold = sell(pipeline, "S-1", "3")
        drain(pipeline)  # signed, its stock-out accepted: KRA has 7
        assert ledger.get(sold).state in SIGNED
        stock_ledger.record_move(ledger, device.key, make_move("recv-2", kind="purchase", quantity="4"))
        waiting = sell(pipeline, "S-2", "2")  # recorded, not yet sent: counted as unsigned
        assert ledger.get(waiting).state not in SIGNED

        source = CountedStock({"SOAP": "9"})  # the ERP: 10 - 3 - 2 + 4 = 9
        report = device_stock(ledger, device)
        add_source_quantities(report, "erp", source, device.name)
        [soap] = report.items
        assert source.asked == [(device.name, ["SOAP"])]
        assert (soap.on_record, soap.master, soap.coming_in, soap.going_out) == (7, 7, 4, 0)
        assert (soap.unsigned, soap.source, soap.difference) == (2, 9, 0)  # S-2's 2 are still to go out

        source.on_hand["SOAP"] = "12"  # someone counted 3 more in the ERP without a stock movement
        report = device_stock(ledger, device)
        add_source_quantities(report, "erp", source, device.name)
        assert report.items[0].difference == report.items[0].source - report.items[0].expected != 0
        assert report.differences == report.items and report.to_look_at == 1
