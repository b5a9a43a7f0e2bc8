"""Two "hosts" (two `run` processes, separate data dirs and host ids) share one PostgreSQL ledger and one Redis
queue. 1 000 documents over 10 devices while host B is SIGKILLed again and again, then stopped for good:
host A finishes everything (B's leases are taken over when they expire) — 0 lost, 0 signed twice, 0 gaps,
proved with the simulator's signature counts and the ledger."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from connector.config import load_settings
from connector.kra.simulator import SimulatorConfig, start_simulator
from connector.ledger import Ledger
from connector.pipeline import Pipeline, Source, default_mapping
from tests.conftest import PIN, initialise_all
from tests.pipeline_helpers import make_invoice
from tests.postgres_helpers import postgres_url  # noqa: F401  (a fixture)
from tests.test_crash import signed_count

DEVICES = 10
INVOICES = 1000
KILLS = 8
LEASE_SECONDS = 8

CONFIG = """
data_dir = "data"
ledger_url = "{ledger}"
[kra]
base_url = "{base}"
timeout_seconds = 2
[queue]
redis_url = "{redis}"
name = "{queue}"
workers = 4
backoff_base_seconds = 0.2
backoff_max_seconds = 1
lease_seconds = {lease}
[[sources]]  # `run` needs a source; the documents themselves are recorded straight into the ledger
name = "drop-{host}"
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


def write_host(folder: Path, host: str, **values: str) -> Path:
    folder.mkdir()
    path = folder / "etims-connector.toml"
    devices = "".join(DEVICE.format(i=i, pin=PIN) for i in range(DEVICES))
    path.write_text(CONFIG.format(host=host, drop=folder / "drop", lease=LEASE_SECONDS, **values) + devices)
    return path


def start_host(config: Path, host: str, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "connector.cli", "--config", str(config), "run"]
    with log.open("ab") as output:
        env = {**os.environ, "ETIMS_HOST_ID": host}
        return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)


def lease_owners(ledger: Ledger) -> set[str]:
    rows = ledger.db.execute("SELECT owner FROM leases WHERE owner != ''").fetchall()
    return {owner.split(":", 1)[0] for (owner,) in rows}


@pytest.mark.slow
def test_two_hosts_share_the_ledger_one_killed_again_and_again_then_for_good(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ETIMS_SECRET_KEY", Fernet.generate_key().decode())  # every host has the same key
    rng = random.Random(15)
    sim_config = SimulatorConfig(port=0, latency_seconds=0.005, commit_then_timeout_rate=0.01,
                                 commit_then_timeout_seconds=3.0, seed=15)  # fmt: skip
    with start_simulator(sim_config) as sim:
        values = {"ledger": postgres_url, "base": sim.legacy_base, "redis": redis_url,
                  "queue": f"two-hosts-{uuid.uuid4().hex[:8]}"}  # fmt: skip
        config_a = write_host(tmp_path / "host-a", "a", **values)
        config_b = write_host(tmp_path / "host-b", "b", **values)
        settings = load_settings(config_a)
        context = initialise_all(settings)  # devices (and their encrypted keys) in the shared ledger
        pipeline = Pipeline(context, {})
        source = Source("test", None, default_mapping("test"), settings.device())
        for i in range(INVOICES):
            invoice = make_invoice(f"H-{i:04d}", branch=f"branch{i % DEVICES:02d}", item=f"ITEM-{i % 7}")
            pipeline.record_invoice(invoice, source, {"n": i})
        ledger = Ledger(context.db)
        log_a, log_b = tmp_path / "host-a.log", tmp_path / "host-b.log"
        host_a = start_host(config_a, "host-a", log_a)
        try:
            kills, deadline = 0, time.monotonic() + 150
            while kills < KILLS and signed_count(ledger) < INVOICES * 0.8 and time.monotonic() < deadline:
                host_b = start_host(config_b, "host-b", log_b)
                time.sleep(rng.uniform(1.0, 2.5))  # start-up takes ~0.7 s; then kill it mid-flight
                host_b.send_signal(signal.SIGKILL)
                host_b.wait()
                kills += 1
            gone_at, signed_then = time.monotonic(), signed_count(ledger)
            owners_then = lease_owners(ledger)
            while signed_count(ledger) < INVOICES and time.monotonic() < deadline:
                time.sleep(0.2)
            finished_in = time.monotonic() - gone_at
        finally:
            host_a.send_signal(signal.SIGTERM)
            assert host_a.wait(timeout=30) == 0, f"host A did not stop cleanly; see {log_a}"
        counts = sim.signature_counts()
    print(
        f"\n{kills} kills of host B; {signed_then} signed when B stopped for good (leases held by {owners_then}); "
        f"host A finished the other {INVOICES - signed_then} in {finished_in:.1f} s (lease {LEASE_SECONDS} s)"
    )
    assert kills >= 3, "host B was not killed often enough to prove anything"
    assert signed_count(ledger) == INVOICES, f"lost documents; see {log_a} and {log_b}"
    assert lease_owners(ledger) <= {"host-a"}, "host B's leases outlived it"
    allocations = ledger.db.execute("SELECT COUNT(*) FROM events WHERE detail LIKE 'invcNo % allocated'").fetchone()
    assert allocations[0] == INVOICES  # no number allocated twice, by either host
    for i in range(DEVICES):
        key = f"{PIN}/{i:02d}"
        per_device = INVOICES // DEVICES
        assert counts[key] == {n: 1 for n in range(1, per_device + 1)}, f"double or missing signature on {key}"
        numbers = sorted(d.invoice_number for d in ledger.documents("device_key = ?", [key]))
        assert numbers == list(range(1, per_device + 1)), f"gap on {key}"
    sent_by = {log: log.read_text().count(" accepted (rcpt ") for log in (log_a, log_b)}
    assert all(sent_by.values()), f"both hosts must have signed documents: {sent_by}"
