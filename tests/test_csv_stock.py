"""The CSV stock file (`*.stock.csv`): real files in a temp drop folder, read through the CSV adapter."""

from __future__ import annotations

import csv
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from connector import cli
from connector.adapters import ReportsStock
from connector.kra.simulator import Simulator
from connector.mapping import load_mapping
from connector.stock.models import StockMove
from plugins.csv.adapter import CsvAdapter
from plugins.csv.stock import COLUMNS

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "opening-stock.stock.csv"


@pytest.fixture
def adapter(tmp_path: Path) -> CsvAdapter:
    options = {"folder": str(tmp_path / "dropbox"), "settle_seconds": 0}
    return CsvAdapter.from_options(options, load_mapping("csv"), "dropbox")  # type: ignore[return-value]


def row(movement_id: str, kind: str, item: str, quantity: str, cost: str = "100.00", **extra: str) -> dict[str, str]:
    values = {"movement_id": movement_id, "date": "2025-03-01 08:00", "kind": kind, "item_code": item,
              "item_name": f"{item} name", "quantity": quantity, "unit": "pcs", "unit_cost": cost, "vat_code": "B",
              "category": "goods"}  # fmt: skip
    return {**values, **extra}


def drop(adapter: CsvAdapter, name: str, rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS) -> Path:
    path = adapter.folder.root / "inbox" / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def moves(adapter: CsvAdapter) -> list[StockMove]:
    return [move for move, _cursor in adapter.fetch_stock_moves(None)]


def errors_of(adapter: CsvAdapter, name: str) -> list[dict[str, str]]:
    path = adapter.folder.root / "rejected" / name
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_csv_source_reports_stock_but_its_purchases_still_become_stock_in(adapter: CsvAdapter) -> None:
    assert isinstance(adapter, ReportsStock)
    assert adapter.stock_includes_purchases is False  # bills of *.purchases.csv are not in the stock files


def test_a_valid_file_becomes_moves_with_their_kinds_quantities_and_decimal_costs(adapter: CsvAdapter) -> None:
    drop(adapter, "week.stock.csv", [
        row("OPEN-1", "opening", "SUGAR-2KG", "100", "190.50"),
        row("OPEN-1", "opening", "OIL-1L", "12.5", "330", category="raw material"),
        row("GRN-7", "receipt", "SUGAR-2KG", "40", "185.25", branch="shop", remark="lorry 4"),
        row("ADJ-2", "Adjustment Out", "OIL-1L", "1"),
        row("TR-3", "transfer-out", "SUGAR-2KG", "5", counterpart_branch="02"),
        row("SCR-9", "scrap", "OIL-1L", "0.5", ""),
    ])  # fmt: skip
    found = {move.external_id: move for move in moves(adapter)}

    assert {key: move.kind for key, move in found.items()} == {
        "OPEN-1": "adjustment_in", "GRN-7": "purchase", "ADJ-2": "adjustment_out", "TR-3": "transfer_out",
        "SCR-9": "scrap",
    }  # fmt: skip
    opening = found["OPEN-1"]
    assert [(line.item.code, line.quantity, line.unit_cost) for line in opening.lines] == [
        ("SUGAR-2KG", Decimal("100"), Decimal("190.50")), ("OIL-1L", Decimal("12.5"), Decimal("330"))
    ]  # fmt: skip
    assert all(isinstance(line.unit_cost, Decimal) and isinstance(line.quantity, Decimal) for line in opening.lines)
    assert opening.lines[1].item.category == "raw material" and opening.lines[0].taxes[0].code == "B"
    assert opening.source == "dropbox" and opening.incoming and opening.moved_at.utcoffset().total_seconds() == 3 * 3600
    assert (found["GRN-7"].branch, found["GRN-7"].remark) == ("shop", "lorry 4")
    assert found["TR-3"].counterpart_branch == "02" and not found["TR-3"].incoming
    assert found["SCR-9"].lines[0].unit_cost == Decimal("0")  # empty cost: the sender uses the item's price
    root = adapter.folder.root
    assert (root / "archive" / "stock" / "week.stock.csv").exists()
    assert not (root / "rejected" / "week.stock.errors.csv").exists()


def test_a_file_is_yielded_once(adapter: CsvAdapter) -> None:
    drop(adapter, "opening.stock.csv", [row("OPEN-1", "opening", "SUGAR-2KG", "100")])
    first = list(adapter.fetch_stock_moves(None))
    assert [(move.external_id, cursor) for move, cursor in first] == [("OPEN-1", "opening.stock.csv#0")]
    assert list(adapter.fetch_stock_moves(first[-1][1])) == []
    assert list(adapter.fetch_stock_moves(None)) == []  # the folder, not the cursor, says what was read


def test_a_file_read_only_in_part_is_read_again(adapter: CsvAdapter) -> None:
    drop(adapter, "two.stock.csv", [row("A", "opening", "SUGAR-2KG", "1"), row("B", "opening", "OIL-1L", "2")])
    reading = adapter.fetch_stock_moves(None)
    assert next(reading)[0].external_id == "A"
    reading.close()  # the consumer stopped (a crash, a shutdown) before the file's end
    assert (adapter.folder.root / "processing" / "stock" / "two.stock.csv").exists()
    assert [move.external_id for move in moves(adapter)] == ["A", "B"]  # recorded idempotently by the ledger
    assert moves(adapter) == []


def test_a_bad_row_is_listed_with_row_column_and_value_and_the_other_movements_go_on(adapter: CsvAdapter) -> None:
    drop(adapter, "mixed.stock.csv", [
        row("OPEN-1", "opening", "SUGAR-2KG", "100"),
        row("OPEN-2", "opening", "OIL-1L", "1,5"),
        row("OPEN-2", "opening", "RICE-5KG", "3"),
        row("OPEN-3", "opening", "SALT-1KG", "4", unit="crate"),
        row("OPEN-4", "opening", "BANK-CHARGES", "1", category="service"),
    ])  # fmt: skip
    assert [move.external_id for move in moves(adapter)] == ["OPEN-1"]
    errors = errors_of(adapter, "mixed.stock.errors.csv")
    assert [(e["row"], e["movement_id"], e["column"], e["value"]) for e in errors] == [
        ("3", "OPEN-2", "quantity", "1,5"), ("4", "OPEN-2", "", ""), ("5", "OPEN-3", "unit", "crate"),
        ("6", "OPEN-4", "category", "service"),
    ]  # fmt: skip
    assert "decimal comma" in errors[0]["problem"]
    assert "bad row (3)" in errors[1]["problem"]
    assert "crate" in errors[2]["problem"] and "units" in errors[2]["problem"]
    assert "services hold no stock" in errors[3]["problem"]
    assert (adapter.folder.root / "archive" / "stock" / "mixed.stock.csv").exists()  # its good movement was read


def test_sales_and_customer_returns_are_refused_in_the_stock_file(adapter: CsvAdapter) -> None:
    rows = [row("S-1", "sale", "SUGAR-2KG", "2"), row("R-1", "customer_return", "OIL-1L", "1"),
            row("T-1", "transfer_in", "OIL-1L", "1")]  # fmt: skip
    drop(adapter, "wrong.stock.csv", rows)
    assert moves(adapter) == []
    errors = errors_of(adapter, "wrong.stock.errors.csv")
    assert [(e["movement_id"], e["column"], e["value"]) for e in errors] == [
        ("S-1", "kind", "sale"), ("R-1", "kind", "customer_return"), ("T-1", "counterpart_branch", "")
    ]  # fmt: skip
    assert all("connector reports them itself" in e["problem"] for e in errors[:2])


def test_an_unknown_kind_and_a_bad_date_name_their_value(adapter: CsvAdapter) -> None:
    drop(adapter, "odd.stock.csv", [row("X-1", "gift", "SUGAR-2KG", "2"), row("X-2", "opening", "OIL-1L", "1",
                                                                                date="01/03/2025")])  # fmt: skip
    assert moves(adapter) == []
    errors = errors_of(adapter, "odd.stock.errors.csv")
    assert [(e["column"], e["value"]) for e in errors] == [("kind", "gift"), ("date", "01/03/2025")]
    assert "opening" in errors[0]["problem"] and "not a date" in errors[1]["problem"]


def test_a_file_without_a_required_column_is_rejected_whole(adapter: CsvAdapter) -> None:
    drop(adapter, "short.stock.csv", [row("OPEN-1", "opening", "SUGAR-2KG", "100")],
         columns=tuple(c for c in COLUMNS if c != "quantity"))  # fmt: skip
    assert moves(adapter) == []
    root = adapter.folder.root
    assert (root / "rejected" / "short.stock.csv").exists()
    [error] = errors_of(adapter, "short.stock.errors.csv")
    assert (error["row"], error["column"]) == ("1", "quantity") and "no column(s) quantity" in error["problem"]


def test_a_file_that_is_not_utf8_is_rejected_whole(adapter: CsvAdapter) -> None:
    path = drop(adapter, "latin.stock.csv", [row("OPEN-1", "opening", "CAFE", "1", item_name="Café")])
    path.write_bytes(path.read_bytes().replace("é".encode(), "é".encode("cp1252")))
    assert moves(adapter) == []
    assert (adapter.folder.root / "rejected" / "latin.stock.csv").exists()
    assert "not UTF-8" in errors_of(adapter, "latin.stock.errors.csv")[0]["problem"]


def test_stock_files_are_kept_apart_from_sales_files(adapter: CsvAdapter) -> None:
    drop(adapter, "opening.stock.csv", [row("OPEN-1", "opening", "SUGAR-2KG", "100")])
    assert list(adapter.fetch_new(None)) == []  # the sales reader leaves it alone
    assert adapter.state.files_to_read() == []
    assert (adapter.folder.root / "inbox" / "opening.stock.csv").exists()
    assert list(adapter.fetch_bills(None)) == []
    assert [move.external_id for move in moves(adapter)] == ["OPEN-1"]


def test_a_second_file_of_the_same_name_is_kept_apart(adapter: CsvAdapter) -> None:
    drop(adapter, "daily.stock.csv", [row("D-1", "receipt", "SUGAR-2KG", "1")])
    assert [move.external_id for move in moves(adapter)] == ["D-1"]
    drop(adapter, "daily.stock.csv", [row("D-2", "receipt", "SUGAR-2KG", "2")])
    assert [move.external_id for move in moves(adapter)] == ["D-2"]
    archived = sorted(path.name for path in (adapter.folder.root / "archive" / "stock").iterdir())
    assert archived == ["daily.stock.csv", "daily~2.stock.csv"]


def test_the_documented_example_is_a_valid_opening_stock(adapter: CsvAdapter) -> None:
    shutil.copy(EXAMPLE, adapter.folder.root / "inbox" / EXAMPLE.name)
    [opening] = moves(adapter)
    assert opening.kind == "adjustment_in" and len(opening.lines) == 5
    assert all(line.quantity > 0 and line.unit_cost > 0 for line in opening.lines)


def test_a_file_with_broken_quotes_is_rejected_whole(adapter: CsvAdapter) -> None:
    path = adapter.folder.root / "inbox" / "quotes.stock.csv"
    path.write_text("movement_id,date,kind,item_code,item_name,quantity,unit,vat_code,category\n"
                    'OPEN-1,2025-03-01,opening,SUGAR-2KG,"Sugar "2" kg,1,pcs,B,goods\n', encoding="utf-8")  # fmt: skip
    assert moves(adapter) == []
    assert (adapter.folder.root / "rejected" / "quotes.stock.csv").exists()
    assert "not a readable CSV" in errors_of(adapter, "quotes.stock.errors.csv")[0]["problem"]


def test_csv_import_of_a_stock_file_says_where_to_drop_it(
    tmp_path: Path, simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "shop"
    config = tmp_path / "etims-connector.toml"
    config.write_text(
        f"data_dir = {json.dumps(str(tmp_path / 'data'))}\n[kra]\nbase_url = {json.dumps(simulator.legacy_base)}\n"
        '[[devices]]\nname = "branch00"\npin = "P051234567A"\nbranch = "00"\nserial = "serial-0"\n'
        f'[[sources]]\nname = "shop"\nadapter = "csv"\noptions = {{ folder = {json.dumps(str(folder))} }}\n',
        encoding="utf-8",
    )
    export = shutil.copy(EXAMPLE, tmp_path / EXAMPLE.name)
    assert cli.main(["--config", str(config), "csv", "import", str(export)]) == 2
    error = capsys.readouterr().err
    assert "opening-stock.stock.csv is a stock file" in error and f"{folder}/inbox/" in error
    assert not (folder / "processing" / EXAMPLE.name).exists()  # never read as a sales file
