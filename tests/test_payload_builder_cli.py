"""`etims-connector payload build | schema`."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from connector import jsonio
from connector.cli import main
from connector.kra.payloads import SaleRequest
from tests.test_payload_builder_support import GOLDEN

EXAMPLES = Path(__file__).parent.parent / "docs" / "examples"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["payload", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_schema_prints_the_canonical_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    schema = jsonio.loads(out)
    assert code == 0 and schema["title"].startswith("Canonical invoice") and "lines" in schema["properties"]


@pytest.mark.parametrize("profile", ["legacy", "gavaconnect"])
@pytest.mark.parametrize("example", ["invoice.json", "credit-note.json"])
def test_build_the_documentation_examples(capsys: pytest.CaptureFixture[str], profile: str, example: str) -> None:
    code, out, err = run(capsys, "build", "--profile", profile, str(EXAMPLES / example))
    assert code == 0 and err.startswith("preview for a placeholder device (P000000000A/00: no device configured)")
    request = SaleRequest.model_validate(jsonio.loads(out))
    assert request.tin == "P000000000A" and request.invoice_number == 1
    assert request.lines[0].item_code.endswith("0000001")


def test_build_reads_stdin_and_takes_options(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = (GOLDEN / "simple-sale.invoice.json").read_text(encoding="utf-8")
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    mapping = str(GOLDEN / "mapping.toml")
    argv = ["build", "--profile", "gavaconnect", "--mapping", mapping, "--invoice-number", "42"]
    code, out, _ = run(capsys, *argv, "--pin", "p051234567a", "--branch", "01", "-")
    wire = jsonio.loads(out)
    assert code == 0
    assert (wire["invcNo"], wire["tin"], wire["bhfId"], wire["totAmt"]) == (42, "P051234567A", "01", 1392)
    assert '"taxblAmtB": 1200.00' in out  # exact decimals, pretty-printed


def test_build_reports_prechecks(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    invoice = jsonio.loads((GOLDEN / "simple-sale.invoice.json").read_text(encoding="utf-8"))
    invoice["lines"][0]["unit"] = "crate"
    invoice["lines"][0]["quantity"] = "0"
    path = tmp_path / "bad.json"
    path.write_text(jsonio.dumps(invoice), encoding="utf-8")
    code, out, err = run(capsys, "build", "--mapping", str(GOLDEN / "mapping.toml"), str(path))
    assert code == 1 and out == ""
    assert "document INV-0001, line 1, field unit" in err and "field quantity" in err


def test_build_refuses_what_is_not_a_canonical_invoice(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "float.json"
    path.write_text('{"source": "csv", "lines": [{"quantity": 1.5}]}', encoding="utf-8")
    code, _, err = run(capsys, "build", str(path))
    assert code == 2 and "not a canonical invoice" in err


def test_gavaconnect_preview_explains_one_character_units(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    mapping = tmp_path / "map.toml"
    text = (GOLDEN / "mapping.toml").read_text(encoding="utf-8").replace('"pcs" = "NO"', '"pcs" = "U"')
    mapping.write_text(text, encoding="utf-8")
    invoice = str(GOLDEN / "simple-sale.invoice.json")
    assert run(capsys, "build", "--profile", "legacy", "--mapping", str(mapping), invoice)[0] == 0
    code, _, err = run(capsys, "build", "--profile", "gavaconnect", "--mapping", str(mapping), invoice)
    assert code == 1 and "quantity unit 'U' cannot be part of a KRA item code" in err


def test_build_uses_the_configured_device_and_profile(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    config = tmp_path / "etims-connector.toml"
    config.write_text('[kra]\nprofile = "gavaconnect"\nbase_url = "http://127.0.0.1:9"\ntoken_url = "http://127.0.0.1:9"\n'
                      '[[devices]]\nname = "hq"\npin = "P051234567A"\nbranch = "03"\nserial = "s"\n')  # fmt: skip
    code = main(["--config", str(config), "payload", "build", str(EXAMPLES / "invoice.json")])
    out, err = capsys.readouterr()
    assert code == 0 and err.startswith("preview for device hq (P051234567A/03), gavaconnect profile, invcNo 1")
    request = SaleRequest.model_validate(jsonio.loads(out))
    assert (request.tin, request.branch_id) == ("P051234567A", "03")
