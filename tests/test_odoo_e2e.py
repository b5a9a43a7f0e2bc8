"""End to end: the real `etims-connector run` process + the KRA simulator + fake Odoo (real HTTP, real odoorpc).

Two companies in one Odoo database = two sources on two devices (branches 00 and 01); 200 invoices and credit
notes, half posted before the start and half while the daemon runs (the fake addon notifies the daemon's webhook
listener, polling catches up); the daemon is SIGKILLed several times. Then: every document signed exactly once
(the simulator's signature counts, gap-free per device), and written back exactly once (one write per move on the
fake, one chatter note per move, the addon fields equal to the ledger's receipt).
"""

from __future__ import annotations

import json
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
from connector.ledger.schema import WRITTEN_BACK
from plugins.odoo.testing import FakeOdoo, InvoiceLine
from tests.conftest import PIN, initialise_all

PER_COMPANY_INVOICES = 80
PER_COMPANY_CREDITS = 20
TOTAL = 2 * (PER_COMPANY_INVOICES + PER_COMPANY_CREDITS)
KILLS = 4
TOKEN = "e2e-notify-token"

CONFIG = """
data_dir = "data"
[kra]
base_url = "{base}"
timeout_seconds = 2
[queue]
workers = 2
backoff_base_seconds = 0.2
backoff_max_seconds = 1
lease_seconds = 6  # a SIGKILLed daemon's device leases expire this fast
write_back_retry_seconds = 1
[http]
listen = "127.0.0.1:0"
[[devices]]
name = "hq"
pin = "{pin}"
branch = "00"
serial = "odoo-e2e-0"
[[devices]]
name = "second"
pin = "{pin}"
branch = "01"
serial = "odoo-e2e-1"
[[sources]]
name = "odoo-a"
adapter = "odoo"
device = "hq"
interval_seconds = 1
[sources.options]
url = "{url}"
database = "{db}"
username = "{user}"
password_env = "E2E_ODOO_PASSWORD"
company = 1
notify_token_env = "E2E_NOTIFY_TOKEN"
page_size = 40
[[sources]]
name = "odoo-b"
adapter = "odoo"
device = "second"
interval_seconds = 1
[sources.options]
url = "{url}"
database = "{db}"
username = "{user}"
password_env = "E2E_ODOO_PASSWORD"
company = {second}
notify_token_env = "E2E_NOTIFY_TOKEN"
page_size = 40
"""


def make_documents(odoo: FakeOdoo, company: int, invoices: int, credits: int, rng: random.Random) -> list[int]:
    ids = odoo.ids
    products = [(ids.product_widget, ids.tax_vat16), (ids.product_service, ids.tax_vat16_incl),
                (ids.product_flour, ids.tax_exempt), (ids.product_sugar, ids.tax_vat16)]  # fmt: skip
    made = []
    for n in range(invoices):
        product, tax = products[n % len(products)]
        uom = ids.uom_kg if product == ids.product_sugar else None
        lines = [InvoiceLine(product, 1 + n % 3, str(100 + n), discount=str(n % 2 * 10), taxes=[tax], uom=uom)]
        if n % 5 == 0:
            lines += [InvoiceLine.section("Extras"), InvoiceLine(ids.product_service, 1, "250", taxes=[ids.tax_vat16])]
        made.append(odoo.make_invoice(lines=lines, partner=(ids.partner_acme, ids.partner_walkin)[n % 2],
                                      company=company))  # fmt: skip
    for original in rng.sample(made, credits):
        made.append(odoo.make_credit_note(original, reason="Damaged goods"))
    return made


def start(config: Path, log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "connector.cli", "--config", str(config), "run"]
    with log.open("ab") as output:
        return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)


def listener_url(data: Path, process: subprocess.Popen[bytes]) -> str | None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and process.poll() is None:
        try:
            address = json.loads((data / "listener.json").read_text())["address"]
            return f"http://{address}"
        except (OSError, ValueError, KeyError):
            time.sleep(0.1)
    return None


def written_back(ledger: Ledger) -> int:
    row = ledger.db.execute("SELECT COUNT(*) FROM documents WHERE state = ?", [WRITTEN_BACK]).fetchone()
    return row[0]


@pytest.mark.slow
def test_two_companies_signed_once_and_written_back_once_through_sigkills(tmp_path: Path) -> None:
    rng = random.Random(9)
    with (
        FakeOdoo(version="18", addon=True) as odoo,
        start_simulator(SimulatorConfig(port=0, seed=9, latency_seconds=0.05)) as sim,
    ):
        second = odoo.add_company("Second Co")
        config = tmp_path / "etims-connector.toml"
        config.write_text(CONFIG.format(base=sim.legacy_base, pin=PIN, url=odoo.url, db=odoo.database,
                                        user=odoo.login, second=second))  # fmt: skip
        context = initialise_all(load_settings(config))
        ledger = Ledger(context.db)
        env = {**os.environ, "E2E_ODOO_PASSWORD": odoo.password, "E2E_NOTIFY_TOKEN": TOKEN}
        log, moves, rounds, interrupted = tmp_path / "connector.log", [], KILLS + 1, 0
        invoices, credits = PER_COMPANY_INVOICES // rounds, PER_COMPANY_CREDITS // rounds
        moves += make_documents(odoo, 1, invoices, credits, rng)  # some are waiting before the first start
        moves += make_documents(odoo, second, invoices, credits, rng)
        deadline = time.monotonic() + 300
        for round_number in range(rounds):
            (tmp_path / "data" / "listener.json").unlink(missing_ok=True)  # the killed daemon's address
            process = start(config, log, env)
            url = listener_url(tmp_path / "data", process)
            if url:
                odoo.configure_notify(url, TOKEN)
            if round_number:  # the rest are posted while a daemon runs
                moves += make_documents(odoo, 1, invoices, credits, rng)
                moves += make_documents(odoo, second, invoices, credits, rng)
            if round_number < KILLS:
                time.sleep(rng.uniform(0.8, 2.0))  # start-up takes ~0.5 s; then kill mid-flight
                process.send_signal(signal.SIGKILL)
                process.wait()
                interrupted += written_back(ledger) < len(moves)
        while written_back(ledger) < TOTAL and time.monotonic() < deadline:
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, f"SIGTERM should stop the connector cleanly; see {log}"
        counts = sim.signature_counts()
        documents = {int(d.external_id): d for d in ledger.documents("1 = 1", [])}
        records = {m: odoo.record("account.move", m) for m in moves}
        notes = {m: [x for x in odoo.messages(m) if "Signature" in x["body"]] for m in moves}
        writes = odoo.calls[("account.move", "write")]
        notified = [n for n in odoo.notifier.sent if n.status == 200]
    assert len(moves) == TOTAL, "the rounds post every document"
    assert interrupted >= 2, "the kills should interrupt work in flight"
    assert written_back(ledger) == TOTAL, f"not all written back; see {log}"
    for key in (f"{PIN}/00", f"{PIN}/01"):
        assert counts[key] == {n: 1 for n in range(1, TOTAL // 2 + 1)}, f"double or missing signature on {key}"
    assert set(documents) == set(moves)
    for move_id in moves:
        receipt = documents[move_id].receipt or {}
        assert records[move_id]["kra_state"] == "signed"
        assert records[move_id]["kra_signature"] == receipt["signature"]
        assert records[move_id]["kra_invoice_number"] == receipt["invoice_number"]
        assert len(notes[move_id]) == 1, f"move {move_id} has {len(notes[move_id])} signing notes"
    assert writes == TOTAL, "each move is written exactly once"
    assert notified, "the daemon's webhook listener never accepted the addon's notification"
