"""Device init, set-key, code sync and configuration, through the real CLI against the simulator."""

from __future__ import annotations

import io
import logging
import os
import stat
from decimal import Decimal
from pathlib import Path

import pytest

from connector.cli import main
from connector.config import load_settings
from connector.context import Context
from connector.encryption import KEY_ENV, SecretBox
from connector.errors import ConfigurationError, SecretKeyError
from connector.kra.simulator import Simulator
from tests.conftest import write_config


@pytest.fixture
def config_file(tmp_path: Path, simulator: Simulator, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(KEY_ENV, raising=False)
    path = tmp_path / "etims-connector.toml"
    write_config(path, simulator.legacy_base)
    return path


def run(config: Path, *args: str) -> int:
    return main(["--config", str(config), *args])


def all_bytes(folder: Path) -> bytes:
    return b"".join(f.read_bytes() for f in folder.rglob("*") if f.is_file())


def test_init_stores_the_key_encrypted_and_never_in_clear(
    config_file: Path, simulator: Simulator, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    assert run(config_file, "-v", "device", "init") == 0
    out = capsys.readouterr().out
    assert "initialised: SCU id KRACU" in out
    settings = load_settings(config_file)
    context = Context(settings)
    key = context.devices.credentials(settings.device()).cmc_key
    assert len(key) == 32
    data = settings.data_dir
    assert key.encode() not in all_bytes(data), "the CMC key is stored in clear"
    assert key not in caplog.text and key not in out
    assert stat.S_IMODE(os.stat(data / "secret.key").st_mode) == 0o600
    row = context.devices.row(settings.device())
    assert row["cmc_key"].startswith("fernet:") and row["scu_id"].startswith("KRACU")
    assert run(config_file, "codes", "sync") == 0  # the key works for later calls
    assert key not in caplog.text


def test_second_init_explains_set_key(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(config_file, "device", "init") == 0
    assert run(config_file, "device", "init") == 2
    err = capsys.readouterr().err
    assert "already installed (902)" in err and "device set-key --device hq" in err


def test_unknown_device_explains_kra_steps(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from connector.kra.simulator import SimulatorConfig, start_simulator

    settings = load_settings(config_file)
    allowed = {("P000000000Z", "00", "other")}  # KRA approved another serial only
    with start_simulator(SimulatorConfig(port=0, allowed_devices=allowed)) as strict:
        config_file.write_text(config_file.read_text().replace(settings.kra.base_url, strict.legacy_base))
        assert run(config_file, "device", "init") == 2
    err = capsys.readouterr().err
    assert "(901)" in err and "taxpayer portal" in err


def test_set_key_reads_stdin_and_a_wrong_key_file_is_a_clear_error(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("0123456789abcdef0123456789abcdef\n"))
    assert run(config_file, "device", "set-key", "--scu-id", "KRACU0100000001") == 0
    settings = load_settings(config_file)
    assert Context(settings).devices.credentials(settings.device()).cmc_key == "0123456789abcdef0123456789abcdef"
    (settings.data_dir / "secret.key").unlink()
    with pytest.raises(SecretKeyError, match="no encryption key"):
        Context(settings).devices.credentials(settings.device())
    (settings.data_dir / "secret.key").write_text("not-a-key")
    assert run(config_file, "codes", "sync") == 2
    assert "not a valid Fernet key" in capsys.readouterr().err


def test_key_from_environment_and_wrong_key(tmp_path: Path) -> None:
    from cryptography.fernet import Fernet

    box = SecretBox(tmp_path, environ={KEY_ENV: Fernet.generate_key().decode()})
    token = box.encrypt("cmc-key-value", first_secret=True)
    assert not (tmp_path / "secret.key").exists()
    other = SecretBox(tmp_path, environ={KEY_ENV: Fernet.generate_key().decode()})
    with pytest.raises(SecretKeyError, match="does not fit") as failure:
        other.decrypt(token, what="CMC key")
    assert "cmc-key-value" not in str(failure.value)


def test_codes_sync_uses_cursors_and_tax_rates_come_from_class_04(
    config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(config_file, "device", "init")
    assert run(config_file, "codes", "sync") == 0
    first = capsys.readouterr().out
    assert run(config_file, "codes", "sync") == 0
    second = capsys.readouterr().out
    assert "codes         accepted" in first and "codes         no-data" in second
    settings = load_settings(config_file)
    db = Context(settings).db
    assert db["codes"].count > 50
    from connector.reference import tax_rates

    assert tax_rates(db) == {k: Decimal(v) for k, v in {"A": 0, "B": 16, "C": 0, "D": 0, "E": 8}.items()}
    assert tax_rates(db, {"e": Decimal("0")})["E"] == Decimal("0")


def test_configuration_errors_name_key_and_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('log_level = "loud"\n[kra]\nprofile = "v2"\n[[devices]]\nname = "x"\npin = "123"\nserial = "s"\n')
    with pytest.raises(ConfigurationError) as failure:
        load_settings(bad)
    text = str(failure.value)
    assert "kra.profile" in text and "devices.0.pin" in text and str(bad) in text
    assert "log_level" in text and "'loud'" in text
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_settings(tmp_path / "missing.toml")


def test_environment_overrides(tmp_path: Path) -> None:
    env = {"ETIMS_KRA__BASE_URL": "http://127.0.0.1:1/etims-api", "ETIMS_QUEUE__WORKERS": "7", "ETIMS_DATA_DIR": "d"}
    settings = load_settings(None, environ=env)
    assert settings.kra.api_base() == "http://127.0.0.1:1/etims-api"
    assert settings.queue.workers == 7 and settings.data_dir.name == "d"
