"""The periodic scans on a big ledger: Daemon.sweep (every 10 s), the monitor's checks, and `status`.

    python bench/ledger_scans.py --documents 500000
    python bench/ledger_scans.py --documents 50000 --status-cli

Builds a ledger of N documents (bulk insert, one exchange and one event each, bodies of realistic size, a few
hundred documents in every unsigned state, spread over 50 devices and 180 days), then times each scan
(wall and CPU, min/median/max over --repeat runs) and prints the sweep's share of one core at its interval,
and the monitor's at its. `--status-cli` also times `etims-connector status` as a process on that ledger and
on an empty ledger of the same configuration (the difference is the status beyond start-up: imports,
settings, opening the ledger and the queue are in both), and `--help`. A script, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connector import monitor, status
from connector.clock import now_utc
from connector.config import DeviceSettings, KraSettings, QueueSettings, Settings
from connector.daemon import SWEEP_SECONDS, Daemon, write_backs_due
from connector.db import open_database
from connector.ledger import PENDING, Ledger
from connector.ledger import schema as ledger_schema

PIN = "P051234567A"
DEVICES = 50
# Unsigned documents at any moment, per state (the rest is written back): a busy but healthy connector.
UNSIGNED = {"pending": 20, "queued": 300, "retry-wait": 50, "needs-fix": 200, "accepted": 100, "unknown": 5,
            "discarded": 50}  # fmt: skip


def settings_for(folder: Path) -> Settings:
    return Settings(
        data_dir=folder,
        kra=KraSettings(base_url="http://127.0.0.1:9/etims-api"),
        devices=[DeviceSettings(name=f"d{i:03d}", pin=PIN, branch=f"{i:02d}", serial=f"s{i}") for i in range(DEVICES)],
        queue=QueueSettings(name="scans"),
    )


def build(settings: Settings, documents: int) -> float:
    """The ledger, by bulk insert (seconds taken)."""
    started = time.monotonic()
    db = open_database(settings.database_path)
    ledger_schema.ensure(db)
    keys = [d.key for d in settings.devices]
    states = [state for state, n in UNSIGNED.items() for _ in range(n)]
    unsigned_at = {i * (documents // max(len(states), 1)): s for i, s in enumerate(states)}
    now = now_utc()
    canonical = json.dumps({"lines": [{"code": f"ITEM-{i}", "qty": "1", "price": "100.00"} for i in range(6)],
                            "buyer": {"name": "Buyer Ltd", "pin": "P000000000B"}, "pad": "x" * 200})  # fmt: skip
    request = json.dumps({"invcNo": 1, "itemList": [{"itemCd": f"KE2NTU000000{i}", "qty": 1} for i in range(6)],
                          "pad": "y" * 300})  # fmt: skip
    receipt = json.dumps({"rcptNo": 1, "intrlData": "z" * 26, "rcptSign": "s" * 16, "sdcDateTime": "20260101120000"})
    conn = db.conn
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    batch, exchanges, events = [], [], []
    numbers = dict.fromkeys(keys, 0)
    for i in range(documents):
        key = keys[i % DEVICES]
        state = unsigned_at.get(i, "written-back")
        at = (now - timedelta(days=180) + timedelta(seconds=180 * 86400 * i / documents)).isoformat()
        signed = state in ("accepted", "written-back")
        number = None
        if signed or state == "unknown":
            numbers[key] += 1
            number = numbers[key]
        batch.append((i + 1, "bench", f"E-{i:07d}", "invoice", f"INV-{i:07d}", key, state, canonical, f"h{i}",
                      number, request if number else None, receipt if signed else None,
                      "a reason" if state == "needs-fix" else None, at, at, at if signed else None))  # fmt: skip
        exchanges.append((i + 1, key, at, "saveTrnsSalesOsdc", "accepted" if signed else "rejected", request, receipt))
        events.append((i + 1, at, "sending", state, "bench"))
        if len(batch) == 20000:
            _flush(conn, batch, exchanges, events)
    _flush(conn, batch, exchanges, events)
    conn.executemany("INSERT INTO sequences VALUES (?, ?)", [(k, n + 1) for k, n in numbers.items()])
    conn.executemany(
        "INSERT INTO alerts (at, kind, device_key, document_id, message) VALUES (?, ?, ?, ?, ?)",
        [(now.isoformat(), "needs-fix", keys[i % DEVICES], i * 97 + 1, f"alert {i}") for i in range(200)]
        + [(now.isoformat(), "kra-unavailable", keys[i], None, f"device alert {i}") for i in range(5)],
    )
    conn.execute("COMMIT")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.close()
    return time.monotonic() - started


def _flush(conn: object, batch: list, exchanges: list, events: list) -> None:
    conn.executemany(  # type: ignore[attr-defined]
        "INSERT INTO documents (id, source, external_id, kind, number, device_key, state, canonical, content_hash,"
        " invoice_number, request, receipt, reason, created_at, updated_at, signed_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        batch,
    )
    conn.executemany(  # type: ignore[attr-defined]
        "INSERT INTO exchanges (document_id, device_key, at, endpoint, outcome, request, response)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        exchanges,
    )
    conn.executemany(  # type: ignore[attr-defined]
        "INSERT INTO events (document_id, at, from_state, to_state, detail) VALUES (?, ?, ?, ?, ?)", events
    )
    batch.clear(), exchanges.clear(), events.clear()


def timed(repeat: int, work: Callable[[], object]) -> tuple[list[float], list[float]]:
    walls, cpus = [], []
    for _ in range(repeat):
        cpu, wall = time.process_time(), time.perf_counter()
        work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return walls, cpus


def spread(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"{min(ms):.2f}/{statistics.median(ms):.2f}/{max(ms):.2f} ms"


def cli_seconds(args: list[str], env: dict[str, str], repeat: int) -> list[float]:
    walls = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "connector.cli", *args], env=env, check=False, capture_output=True)
        walls.append(time.perf_counter() - started)
    return walls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=500_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--status-cli", action="store_true", help="also time `etims-connector status` as a process")
    parser.add_argument("--plans", action="store_true", help="print EXPLAIN QUERY PLAN of each scan")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = settings_for(Path(folder))
        seconds = build(settings, args.documents)
        size = settings.database_path.stat().st_size / 1e6
        print(f"ledger: {args.documents} documents, {size:.0f} MB, built in {seconds:.1f} s", flush=True)
        daemon = Daemon(settings, sources={}, workers=1)  # not started: its sweep is what the sweeper thread runs
        context = daemon.context
        ledger = Ledger(context.db)
        if args.plans:
            scans = {"sweep": daemon.sweep, "monitor": lambda: monitor.find_flags(ledger, settings.monitor),
                     "status": lambda: status.collect(context, ledger)}  # fmt: skip
            print_plans(context.db, scans)
        sweep = timed(args.repeat, daemon.sweep)
        retry = settings.queue.write_back_retry_seconds
        scans = timed(args.repeat, lambda: (ledger.documents("state = ?", [PENDING]), ledger.devices_with_work(),
                                            write_backs_due(ledger, retry)))  # fmt: skip
        flags = timed(args.repeat, lambda: monitor.find_flags(ledger, settings.monitor))
        collect = timed(args.repeat, lambda: status.collect(context, ledger))
        sweep_share = 100 * statistics.median(sweep[1]) / SWEEP_SECONDS
        monitor_share = 100 * statistics.median(flags[1]) / settings.monitor.interval_seconds
        print(f"sweep (every {SWEEP_SECONDS:.0f} s): wall {spread(sweep[0])}, CPU {spread(sweep[1])} "
              f"(min/median/max) = {sweep_share:.3f} % of a core", flush=True)  # fmt: skip
        print(f"  of which its ledger scans (no queue writes): wall {spread(scans[0])}, CPU {spread(scans[1])} "
              f"= {100 * statistics.median(scans[1]) / SWEEP_SECONDS:.3f} % of a core; "
              f"devices woken per sweep: {len(ledger.devices_with_work())}", flush=True)  # fmt: skip
        print(f"monitor find_flags (every {settings.monitor.interval_seconds:.0f} s): wall {spread(flags[0])}, "
              f"CPU {spread(flags[1])} = {monitor_share:.4f} % of a core", flush=True)  # fmt: skip
        print(f"status collect: wall {spread(collect[0])}, CPU {spread(collect[1])}", flush=True)
        daemon.queue.huey.storage.close() if hasattr(daemon.queue.huey.storage, "close") else None
        context.close()
        if args.status_cli:
            empty = Path(folder) / "empty"  # the same configuration on a ledger with no documents: start-up only
            ledger_schema.ensure(open_database(settings_for(empty).database_path))
            root = str(Path(__file__).resolve().parent.parent)
            runs = {}
            for name, data_dir in (("empty", empty), ("full", Path(folder))):
                config = data_dir / "etims-connector.toml"
                config.write_text(cli_config(data_dir, settings))
                env = {**os.environ, "ETIMS_CONFIG": str(config), "PYTHONPATH": root}
                runs[name] = cli_seconds(["status"], env, args.repeat)
            helps = cli_seconds(["--help"], env, args.repeat)
            beyond = statistics.median(runs["full"]) - statistics.median(runs["empty"])
            print(f"CLI: --help {spread(helps)}; status on an empty ledger {spread(runs['empty'])}, on "
                  f"{args.documents} documents {spread(runs['full'])}: {beyond:.3f} s beyond start-up (medians)",
                  flush=True)  # fmt: skip


def cli_config(data_dir: Path, settings: Settings) -> str:
    devices = "".join(
        f'[[devices]]\nname = "{d.name}"\npin = "{d.pin}"\nbranch = "{d.branch}"\nserial = "{d.serial}"\n'
        for d in settings.devices
    )
    return (
        f'data_dir = "{data_dir}"\n[kra]\nbase_url = "http://127.0.0.1:9/etims-api"\n[queue]\nname = "scans"\n{devices}'
    )


def print_plans(db: object, scans: dict[str, Callable[[], object]]) -> None:
    """EXPLAIN QUERY PLAN of every SELECT each scan really runs (traced, with its parameters filled in)."""
    conn = db.conn  # type: ignore[attr-defined]
    for label, work in scans.items():
        statements: list[str] = []
        conn.set_trace_callback(statements.append)
        try:
            work()
        finally:
            conn.set_trace_callback(None)
        print(f"{label}:")
        shapes = {re.sub(r"'[^']*'|\b\d+\b", "?", s): s for s in statements if s.lstrip().upper().startswith("SELECT")}
        for sql in shapes.values():  # one of each shape (the last: parameters differ, plans do not)
            plan = "; ".join(row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall())
            print(f"  {' '.join(sql.split())[:110]}\n    -> {plan}")


if __name__ == "__main__":
    main()
