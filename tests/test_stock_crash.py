"""Kill the connector (SIGKILL) at many points while it sends stock movements, restart it, and prove with the
simulator's stock records and the ledger: every movement recorded once, sarNo 1..N per device without a gap,
never two movements under one sarNo nor one movement under two (like tests/test_crash.py for invcNo)."""

from __future__ import annotations

import random
import signal
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from connector.clock import EAT
from connector.config import load_settings
from connector.kra.simulator import SimulatorConfig, start_simulator
from connector.ledger import Ledger
from connector.ledger.schema import SIGNED
from connector.models import ItemRef, Tax
from connector.stock import ledger as stock_ledger
from connector.stock.models import StockLine, StockMove
from tests.conftest import PIN, initialise_all
from tests.test_crash import DEVICES, start_connector, write_config

MOVES = 200  # 50 per device; with the latency below ~12 s of sending, so all 10 kills land mid-flight
KILLS = 10


def move(i: int) -> StockMove:
    item = ItemRef(code=f"ITEM-{i % 5}", name=f"Item {i % 5}", category="goods")
    line = StockLine(
        item=item, quantity=Decimal(1 + i % 4), unit="pcs", unit_cost=Decimal("25"), taxes=[Tax(code="VAT16")]
    )
    return StockMove(source="test", external_id=f"M-{i:04d}", number=f"M-{i:04d}", kind="purchase",
                     moved_at=datetime(2026, 11, 20, 9, 0, tzinfo=EAT), lines=[line], remark=f"M-{i:04d}")  # fmt: skip


def accepted_count(ledger: Ledger) -> int:
    marks = ", ".join("?" for _ in SIGNED)
    query = f"SELECT COUNT(*) FROM documents WHERE kind = 'stock' AND state IN ({marks})"
    return ledger.db.execute(query, list(SIGNED)).fetchone()[0]


@pytest.mark.slow
def test_sigkill_while_sending_stock_keeps_sar_numbers_gap_free_and_never_duplicated(tmp_path: Path) -> None:
    rng = random.Random(11)
    sim_config = SimulatorConfig(port=0, latency_seconds=0.12, commit_then_timeout_rate=0.05,
                                 commit_then_timeout_seconds=3.0, seed=11)  # fmt: skip
    with start_simulator(sim_config) as sim:
        config = write_config(tmp_path, sim.legacy_base)
        settings = load_settings(config)
        context = initialise_all(settings)
        ledger = Ledger(context.db)
        for i in range(MOVES):
            stock_ledger.record_move(ledger, settings.devices[i % DEVICES].key, move(i))
        kills, log = 0, tmp_path / "connector.log"
        deadline = time.monotonic() + 240
        while accepted_count(ledger) < MOVES and time.monotonic() < deadline:
            process = start_connector(config, log)
            if kills < KILLS:
                time.sleep(rng.uniform(0.5, 1.5))  # Python start-up takes ~0.5 s; then kill mid-flight
                process.send_signal(signal.SIGKILL)
                process.wait()
                kills += accepted_count(ledger) < MOVES  # count only kills that interrupted work
            else:
                while accepted_count(ledger) < MOVES and time.monotonic() < deadline:
                    time.sleep(0.2)
                process.send_signal(signal.SIGTERM)
                assert process.wait(timeout=30) == 0, "SIGTERM should stop the connector cleanly"
        recorded = {(r.bhf_id, int(r.key)): r.body for r in sim.store.records("stock_io", tin=PIN)}
    assert kills == KILLS
    assert accepted_count(ledger) == MOVES, f"lost movements; see {log}"
    resent = ledger.db.execute(
        "SELECT COUNT(*) FROM events WHERE detail LIKE '%may be at KRA: resending the same request%'"
    ).fetchone()[0]
    assert resent > 0, "no in-flight stock document was ever verified: the kills and timeouts missed"
    per_device = MOVES // DEVICES
    for device in settings.devices:
        docs = ledger.documents("device_key = ? AND kind = 'stock'", [device.key], order_by="stock_number")
        assert [d.stock_number for d in docs] == list(range(1, per_device + 1)), f"gap on {device.key}"
        at_kra = {n: body for (branch, n), body in recorded.items() if branch == device.branch}
        assert sorted(at_kra) == list(range(1, per_device + 1)), f"gap or extra record at KRA on {device.key}"
        for doc in docs:  # each sarNo holds exactly the movement the ledger gave it (none under two numbers)
            assert at_kra[doc.stock_number]["remark"] == doc.external_id
        levels = stock_ledger.levels(ledger, device.key)
        expected: dict[str, Decimal] = {}
        for doc in docs:
            for line in doc.request["itemList"]:
                expected[line["itemCd"]] = expected.get(line["itemCd"], Decimal(0)) + Decimal(line["qty"])
        assert {code: level.quantity for code, level in levels.items()} == expected  # each counted once
