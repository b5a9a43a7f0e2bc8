"""Errors a user can cause with their input are one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "connector.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["submit", "no-such.json"], "error: no-such.json: no such file or directory"),
        (["submit", "."], "error: .: is a directory"),
        (["payload", "build", "no-such.json"], "No such file or directory"),
        (["csv", "import", "missing.csv"], "missing.csv"),
        (["--config", "nope.toml", "status"], "configuration file nope.toml does not exist"),
    ],
)
def test_bad_files_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    done = run(*args, cwd=tmp_path)
    assert done.returncode != 0
    assert message in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_binary_invoice_file(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe\x00garbage")
    done = run("payload", "build", "bad.json", cwd=tmp_path)
    assert done.returncode != 0 and "Traceback" not in done.stderr and "error" in done.stderr.lower(), done.stderr


def test_a_json_float_in_a_money_field_is_refused(tmp_path: Path) -> None:
    example = (Path(__file__).parent.parent / "docs" / "examples" / "invoice.json").read_text()
    import json

    invoice = json.loads(example)
    invoice["lines"][0]["unit_price"] = "__FLOAT__"
    (tmp_path / "float.json").write_text(json.dumps(invoice).replace('"__FLOAT__"', "230.0"))
    done = run("payload", "build", "float.json", cwd=tmp_path)
    assert done.returncode == 2 and "field unit_price" in done.stderr
    assert 'is a JSON number with a decimal point; write it as text ("230.0")' in done.stderr
    (tmp_path / "int.json").write_text(json.dumps(invoice).replace('"__FLOAT__"', "230"))
    assert run("payload", "build", "int.json", cwd=tmp_path).returncode == 0  # an integer is exact
