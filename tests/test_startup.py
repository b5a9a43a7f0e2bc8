"""`run` refuses to start, with one clear line each, when it could only fail later."""

from __future__ import annotations

from pathlib import Path

from connector.cli import main
from tests.conftest import PIN


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


DEVICE = f'[[devices]]\nname = "hq"\npin = "{PIN}"\nbranch = "00"\nserial = "s-1"\n'


def test_no_device_and_no_source(tmp_path: Path, capsys) -> None:
    config = write(tmp_path / "etims-connector.toml", 'data_dir = "data"\n')
    assert main(["--config", str(config), "run"]) == 2
    err = capsys.readouterr().err
    assert f"no device configured in {config}" in err and f"no source configured in {config}" in err
    assert "Traceback" not in err


def test_an_uninitialised_device_is_named(tmp_path: Path, capsys, simulator) -> None:
    source = f'[[sources]]\nname = "drop"\nadapter = "csv"\noptions = {{ folder = "{tmp_path / "drop"}" }}\n'
    kra = f'[kra]\nbase_url = "{simulator.legacy_base}"\n'
    config = write(tmp_path / "etims-connector.toml", 'data_dir = "data"\n' + kra + DEVICE + source)
    assert main(["--config", str(config), "run"]) == 2
    err = capsys.readouterr().err
    assert "cannot start:" in err and "device hq (P051234567A/00)" in err and "device init" in err


def test_wrong_source_options_name_the_file(tmp_path: Path, capsys) -> None:
    source = '[[sources]]\nname = "drop"\nadapter = "csv"\noptions = { no_such_option = 1 }\n'
    config = write(tmp_path / "etims-connector.toml", 'data_dir = "data"\n' + DEVICE + source)
    assert main(["--config", str(config), "run"]) == 2
    err = capsys.readouterr().err
    assert str(config) in err and "source 'drop' (csv)" in err
