"""Shared fixtures: the KRA simulator on 127.0.0.1, settings in a temporary folder, a real Redis.

Tests that need a real server (Redis) skip with a reason when it is absent; with
ETIMS_REQUIRE_SERVICES=1 (set by .ci/run) that skip becomes a failure.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connector.config import DeviceSettings, KraSettings, Settings
from connector.context import Context
from connector.device_setup import initialise
from connector.kra.simulator import Simulator, SimulatorConfig, start_simulator

PIN = "P051234567A"
SUPPLIER = "P000111222B"  # the supplier in the purchases tests
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    with start_simulator(SimulatorConfig(host="127.0.0.1", port=0, profile="legacy", seed=1)) as sim:
        yield sim


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """The legacy simulator, for the purchases tests (a supplier sells to us on it)."""
    with start_simulator(SimulatorConfig(host="127.0.0.1", port=0, profile="legacy", seed=1)) as simulator:
        yield simulator


@pytest.fixture
def supplier(sim: Simulator) -> Iterator[Any]:
    """A supplier's own KRA device (PIN SUPPLIER) on `sim`, with one item registered, selling to our PIN."""
    from tests.simulator_helpers import LegacyDevice

    device = LegacyDevice(sim, tin=SUPPLIER, bhf_id="00", serial="supplier-1")
    device.register_item()
    yield device
    device.close()


@pytest.fixture
def strict_simulator() -> Iterator[Simulator]:
    with start_simulator(SimulatorConfig(host="127.0.0.1", port=0, profile="gavaconnect", seed=1)) as sim:
        yield sim


CONFIG_FILE = """
data_dir = "data"
[kra]
base_url = "{base}"
timeout_seconds = 5
[[devices]]
name = "hq"
pin = "{pin}"
branch = "00"
serial = "dvc-hq-1"
"""


def write_config(path: Path, base: str) -> Path:
    """A configuration file with one device, "hq", talking to KRA at `base`."""
    path.write_text(CONFIG_FILE.format(base=base, pin=PIN))
    return path


@pytest.fixture
def config(tmp_path: Path, simulator: Simulator) -> Path:
    """A configuration file with device "hq" on the simulator, already initialised (`device init`)."""
    from connector.cli import main

    path = write_config(tmp_path / "etims-connector.toml", simulator.legacy_base)
    assert main(["--config", str(path), "device", "init"]) == 0
    return path


def make_settings(tmp_path: Path, base_url: str, *, devices: int = 1, **kra: Any) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        kra=KraSettings(base_url=base_url, timeout_seconds=kra.pop("timeout_seconds", 5), **kra),
        devices=[
            DeviceSettings(name=f"branch{i:02d}", pin=PIN, branch=f"{i:02d}", serial=f"serial-{i}")
            for i in range(devices)
        ],
    )


@pytest.fixture
def settings(tmp_path: Path, simulator: Simulator) -> Settings:
    return make_settings(tmp_path, simulator.legacy_base)


def initialise_all(settings: Settings) -> Context:
    context = Context(settings)
    for device in settings.devices:
        initialise(device, context.client(device, initialised=False), context.devices)
    return context


@pytest.fixture
def context(settings: Settings) -> Iterator[Context]:
    context = initialise_all(settings)
    yield context
    context.close()


def _redis_reachable() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_url() -> str:
    if not _redis_reachable():
        reason = f"no Redis server on {REDIS_HOST}:{REDIS_PORT}"
        if os.environ.get("ETIMS_REQUIRE_SERVICES"):
            pytest.fail(f"{reason}, and ETIMS_REQUIRE_SERVICES is set")
        pytest.skip(reason)
    return f"redis://{REDIS_HOST}:{REDIS_PORT}/0"
