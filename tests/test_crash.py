"""Kill the connector (SIGKILL) at many points while it sends, restart it, and prove with the
simulator's signature counts and the ledger: 0 lost, 0 signed twice, 0 gaps."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from connector.config import load_settings
from connector.kra.simulator import SimulatorConfig, start_simulator
from connector.ledger import Ledger
from connector.ledger.schema import SIGNED
from connector.pipeline import Pipeline, Source, default_mapping
from tests.conftest import PIN, initialise_all
from tests.pipeline_helpers import make_invoice

DEVICES = 4
INVOICES = 400
KILLS = 12

CONFIG = """
data_dir = "data"
[kra]
base_url = "{base}"
timeout_seconds = 2
[queue]
workers = 4
backoff_base_seconds = 0.2
backoff_max_seconds = 1
lease_seconds = 30
[[sources]]  # `run` needs a source; the documents themselves are recorded straight into the ledger
name = "drop"
adapter = "csv"
options = {{ folder = "{drop}" }}
"""
DEVICE = """
[[devices]]
name = "branch{i:02d}"
pin = "{pin}"
branch = "{i:02d}"
serial = "serial-{i}"
"""


def write_config(folder: Path, base: str) -> Path:
    path = folder / "etims-connector.toml"
    devices = "".join(DEVICE.format(i=i, pin=PIN) for i in range(DEVICES))
    text = CONFIG.format(base=base, drop=folder / "drop") + devices
    path.write_text(text)
    return path


def start_connector(config: Path, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "connector.cli", "--config", str(config), "run"]
    with log.open("ab") as output:
        return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env={**os.environ})


def signed_count(ledger: Ledger) -> int:
    marks = ", ".join("?" for _ in SIGNED)
    return ledger.db.execute(f"SELECT COUNT(*) FROM documents WHERE state IN ({marks})", list(SIGNED)).fetchone()[0]


@pytest.mark.slow
def test_sigkill_at_many_points_loses_nothing_signs_nothing_twice_leaves_no_gap(tmp_path: Path) -> None:
    rng = random.Random(7)
    sim_config = SimulatorConfig(port=0, latency_seconds=0.02, commit_then_timeout_rate=0.05,
                                 commit_then_timeout_seconds=3.0, seed=7)  # fmt: skip
    with start_simulator(sim_config) as sim:
        config = write_config(tmp_path, sim.legacy_base)
        settings = load_settings(config)
        context = initialise_all(settings)
        pipeline = Pipeline(context, {})
        source = Source("test", None, default_mapping("test"), settings.device())
        for i in range(INVOICES):
            invoice = make_invoice(f"K-{i:04d}", branch=f"branch{i % DEVICES:02d}", item=f"ITEM-{i % 7}")
            pipeline.record_invoice(invoice, source, {"n": i})
        ledger = Ledger(context.db)
        kills, log = 0, tmp_path / "connector.log"
        deadline = time.monotonic() + 240
        while signed_count(ledger) < INVOICES and time.monotonic() < deadline:
            process = start_connector(config, log)
            if kills < KILLS:
                time.sleep(rng.uniform(0.5, 1.5))  # Python start-up takes ~0.5 s; then kill mid-flight
                process.send_signal(signal.SIGKILL)
                process.wait()
                kills += signed_count(ledger) < INVOICES  # count only kills that interrupted work
            else:
                while signed_count(ledger) < INVOICES and time.monotonic() < deadline:
                    time.sleep(0.2)
                process.send_signal(signal.SIGTERM)
                assert process.wait(timeout=30) == 0, "SIGTERM should stop the connector cleanly"
        counts = sim.signature_counts()
    assert kills == KILLS
    read_backs = ledger.db.execute("SELECT COUNT(*) FROM exchanges WHERE endpoint = 'selectInvoiceDetails'")
    assert read_backs.fetchone()[0] > 0, "no in-flight document was ever resolved: the kills missed"
    assert signed_count(ledger) == INVOICES, f"lost documents; see {log}"
    for i in range(DEVICES):
        key = f"{PIN}/{i:02d}"
        per_device = INVOICES // DEVICES
        assert counts[key] == {n: 1 for n in range(1, per_device + 1)}, f"double or missing signature on {key}"
        numbers = [d.invoice_number for d in ledger.documents("device_key = ?", [key])]
        assert numbers == list(range(1, per_device + 1)), f"gap or disorder on {key}"
