"""`etims-connector csv import FILE` and `etims-connector demo`, through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connector import cli
from connector.context import Context
from connector.kra.simulator import Simulator
from plugins.csv import samples
from plugins.csv.results import read_rows
from plugins.csv.testing import DAY

CONFIG = """\
data_dir = {data_dir}
[kra]
base_url = {base_url}
timeout_seconds = 5
[[devices]]
name = "branch00"
pin = "P051234567A"
branch = "00"
serial = "serial-0"
"""
SOURCE = """\
[[sources]]
name = "shop"
adapter = "csv"
options = {{ folder = {folder} }}
"""


@pytest.fixture(autouse=True)
def commands_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Until connector/cli.py lists them, add this issue's command modules."""
    missing = tuple(name for name in ("csv", "demo") if name not in cli.COMMAND_MODULES)
    monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, *missing))


def write_config(tmp_path: Path, simulator: Simulator, folder: Path | None) -> Path:
    text = CONFIG.format(data_dir=json.dumps(str(tmp_path / "data")), base_url=json.dumps(simulator.legacy_base))
    if folder is not None:
        text += SOURCE.format(folder=json.dumps(str(folder)))
    path = tmp_path / "etims-connector.toml"
    path.write_text(text, encoding="utf-8")
    return path


def signature_counts(simulator: Simulator) -> list[int]:
    return list(simulator.signature_counts().get("P051234567A/00", {}).values())


def test_csv_import_sends_waits_and_summarises(
    tmp_path: Path, context: Context, simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "shop"
    config = write_config(tmp_path, simulator, folder)
    export = samples.write(tmp_path / "march.csv", samples.sales(DAY) + samples.mistakes(DAY))
    assert cli.main(["--config", str(config), "csv", "import", str(export)]) == 1  # some need fixing
    out = capsys.readouterr()
    assert "march.csv: 13 rows, 8 documents" in out.out
    assert "accepted 4, needs fixing 4, still waiting 0" in out.out
    assert "read 13/13 rows; 8/8 documents final" in out.err
    assert export.exists(), "the user's file stays where it is"
    receipts = read_rows(folder / "outbox" / "march.receipts.csv")
    assert len(receipts) == 8 and (folder / "archive" / "march.csv").exists()
    assert len(signature_counts(simulator)) == 4

    assert cli.main(["--config", str(config), "csv", "import", str(export)]) == 1  # the same file again
    assert signature_counts(simulator) == [1, 1, 1, 1]
    again = read_rows(folder / "outbox" / "march~2.receipts.csv")
    assert [r["signature"] for r in again] == [r["signature"] for r in receipts]


def test_csv_import_without_a_csv_source_uses_the_data_folder(
    tmp_path: Path, context: Context, simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, simulator, folder=None)
    export = samples.write(tmp_path / "sales.csv", samples.sales(DAY))
    assert cli.main(["--config", str(config), "csv", "import", str(export)]) == 0
    assert "accepted 3, needs fixing 0" in capsys.readouterr().out
    assert (tmp_path / "data" / "csv" / "outbox" / "sales.receipts.csv").exists()


def test_csv_import_of_a_missing_file_is_an_error(
    tmp_path: Path, simulator: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, simulator, folder=None)
    assert cli.main(["--config", str(config), "csv", "import", str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv is not a file" in capsys.readouterr().err


def test_demo_signs_the_samples_and_reports_the_mistakes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "demo"
    assert cli.main(["demo", "--dir", str(target)]) == 0
    out = capsys.readouterr().out
    signed = [line for line in out.splitlines() if "indexEtimsReceiptData?Data=P051234567A00" in line]
    assert len(signed) == 5  # three sales, the good invoice of the mistakes file, the credit note
    assert "CN-1001" in out and "decimal comma" in out and "crate" in out
    usd = next(line for line in signed if "INV-1003" in line)  # totals in KES as signed, and in USD
    assert "124272.00" in usd and "19883.52" in usd and "144155.52" in usd and "USD 1113.60" in usd
    assert sorted(p.name for p in (target / "dropbox" / "archive").iterdir()) == [
        "credit-notes.csv",
        "mistakes.csv",
        "sales.csv",
        "stock",
    ]
    assert [p.name for p in (target / "dropbox" / "archive" / "stock").iterdir()] == ["opening.stock.csv"]
    stock = out[out.index("Stock at KRA"):].splitlines()
    sugar = next(line.split() for line in stock if line.strip().startswith("SUGAR-2KG"))
    assert sugar[2:4] == ["91", "91"]  # counted 100, sold 10 + 1, 2 returned; its stock master agrees
    assert cli.main(["demo", "--dir", str(target)]) == 2  # a used folder is refused
    assert "not empty" in capsys.readouterr().err
