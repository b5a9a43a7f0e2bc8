"""Throughput of the sending engine: N invoices over D devices with KRA latency L.

    python bench/pipeline_throughput.py --invoices 10000 --devices 50 --latency 0.05
    python bench/pipeline_throughput.py --ledger sqlite --ledger postgresql://postgres@127.0.0.1:5432/postgres
    python bench/pipeline_throughput.py --devices 50 --queue redis --consumers 2

The simulator runs in its own process (so its CPU is not counted); the connector runs the real
huey consumer (SqliteHuey, or RedisHuey with --queue redis) in this process, or with --consumers N in N
consumer processes (each a `run` daemon without sources, the workers shared out) on the same ledger.
--queue redis without --redis starts a redis-server of its own on 127.0.0.1 (stopped afterwards). Prints
invoices/s, the ratio to the ideal D/L (one invoice in flight per device), connector CPU ms per invoice
(all consumer processes), the steady rate (first to last invcNo allocation: start-up, first item
registrations and this script's polling excluded) and its ratio to D/call, peak RSS and the saveItem
calls made for the 20 items (one each when deduplicated), one line per --ledger (default: the SQLite file).
For a PostgreSQL URL the bench creates a new database on that server (the URL's database is only used to
connect) and drops it afterwards. A script, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connector.config import DeviceSettings, KraSettings, QueueSettings, Settings
from connector.context import Context
from connector.daemon import Daemon
from connector.device_setup import initialise
from connector.ledger import Ledger
from connector.ledger.schema import SIGNED
from connector.pipeline import Pipeline, Source, default_mapping
from tests.pipeline_helpers import make_invoice

PIN = "P051234567A"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_simulator(latency: float) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "connector.cli", "simulate", "--port", str(port), "--latency", str(latency)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"http://127.0.0.1:{port}/etims-api"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the simulator did not start")


@contextlib.contextmanager
def ledger_database(ledger: str) -> Iterator[str | None]:
    """None for the SQLite file in the data dir; else the URL of a new PostgreSQL database, dropped afterwards."""
    if ledger == "sqlite":
        yield None
        return
    import psycopg

    name = f"etims_bench_{time.time_ns()}"
    with psycopg.connect(ledger, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    head, _, _ = ledger.partition("?")[0].rpartition("/")
    try:
        yield f"{head}/{name}"
    finally:
        with psycopg.connect(ledger, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


@contextlib.contextmanager
def redis_server(url: str | None) -> Iterator[str]:
    """The Redis URL to use: the one given, else a redis-server of our own on a free port (no persistence)."""
    if url:
        yield url
        return
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait()


def consume(settings: Settings, workers: int, go: object, stop: object, cpu: object) -> None:
    """One consumer process: a daemon without sources from `go` until `stop`; reports the CPU seconds in
    between (its start-up, imports included, is not the sending's)."""
    daemon = Daemon(settings, sources={}, workers=workers)
    cpu.put(0.0)  # type: ignore[attr-defined]  # ready
    go.wait()  # type: ignore[attr-defined]
    before = time.process_time()
    daemon.start()
    stop.wait()  # type: ignore[attr-defined]
    used = time.process_time() - before
    daemon.stop()
    cpu.put(used)  # type: ignore[attr-defined]


def settings_for(
    folder: Path, base: str, devices: int, workers: int, redis_url: str | None = None, ledger_url: str | None = None
) -> Settings:
    return Settings(
        data_dir=folder,
        ledger_url=ledger_url,
        kra=KraSettings(base_url=base, timeout_seconds=30),
        devices=[
            DeviceSettings(name=f"d{i:03d}", pin=PIN, branch=f"{i:02d}", serial=f"s{i}")
            for i in range(min(devices, 100))
        ],
        queue=QueueSettings(workers=workers, redis_url=redis_url, name=f"bench-{time.time_ns()}"),
    )


def prepare(settings: Settings, invoices: int) -> None:
    context = Context(settings)
    for device in settings.devices:
        initialise(device, context.client(device, initialised=False), context.devices)
    pipeline = Pipeline(context, {})
    source = Source("bench", None, default_mapping("bench"), settings.device())
    names = [d.name for d in settings.devices]
    for i in range(invoices):
        invoice = make_invoice(f"B-{i:06d}", branch=names[i % len(names)], item=f"ITEM-{i % 20}")
        pipeline.record_invoice(invoice, source, {"n": i})
    context.close()


def run(
    invoices: int,
    devices: int,
    latency: float,
    workers: int,
    redis_url: str | None,
    ledger: str = "sqlite",
    consumers: int = 1,
) -> dict[str, float]:
    simulator, base = start_simulator(latency)
    try:
        with tempfile.TemporaryDirectory() as folder, ledger_database(ledger) as ledger_url:
            settings = settings_for(Path(folder), base, devices, workers, redis_url, ledger_url)
            prepare(settings, invoices)
            ledger = Ledger(Context(settings).db)
            marks = ", ".join("?" for _ in SIGNED)
            query = f"SELECT COUNT(*) FROM documents WHERE state IN ({marks})"
            if consumers > 1:
                spawn = multiprocessing.get_context("spawn")
                go, stop, cpu_queue = spawn.Event(), spawn.Event(), spawn.Queue()
                share = -(-workers // consumers)
                children = [spawn.Process(target=consume, args=(settings, share, go, stop, cpu_queue))
                            for _ in range(consumers)]  # fmt: skip
                for child in children:
                    child.start()
                for _ in children:
                    cpu_queue.get(timeout=120)  # every consumer built and waiting
            cpu_before, started = time.process_time(), time.monotonic()
            if consumers > 1:
                go.set()
            else:
                daemon = Daemon(settings, sources={}, workers=workers)
                daemon.start()
            while ledger.db.execute(query, list(SIGNED)).fetchone()[0] < invoices:
                time.sleep(0.2)
            elapsed, cpu = time.monotonic() - started, time.process_time() - cpu_before
            if consumers > 1:
                stop.set()
                cpu += sum(cpu_queue.get(timeout=60) for _ in children)
                for child in children:
                    child.join(timeout=30)
            else:
                daemon.stop()
            call = ledger.db.execute(  # the simulator's measured call time, as the connector saw it
                "SELECT AVG(elapsed_seconds) FROM exchanges WHERE endpoint = 'saveTrnsSalesOsdc'"
            ).fetchone()[0]
            save_items = ledger.db.execute("SELECT COUNT(*) FROM exchanges WHERE endpoint = 'saveItem'").fetchone()[0]
            items = ledger.db.execute("SELECT COUNT(*) FROM items").fetchone()[0]
            steady = steady_rate(ledger)
            ledger.db.close()
    finally:
        simulator.terminate()
        simulator.wait()
    rate = invoices / elapsed
    ideal = devices / latency if latency > 0 else float("inf")  # one invoice in flight per device
    measured = devices / call if call else float("inf")  # the same, from the measured call time
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"invoices_per_s": rate, "ideal_per_s": ideal, "ratio": rate / ideal, "cpu_ms": 1000 * cpu / invoices,
            "peak_rss_mb": peak_mb, "seconds": elapsed, "call_ms": 1000 * (call or 0.0),
            "measured_ratio": rate / measured, "save_item_calls": save_items, "items": items,
            "steady_per_s": steady, "steady_ratio": steady / measured}  # fmt: skip


def steady_rate(ledger: Ledger) -> float:
    """Invoices per second once sending: from the first invcNo allocation to the last, of all devices (start-up,
    the first item registrations and this script's polling excluded)."""
    first, last, count = ledger.db.execute(
        "SELECT MIN(at), MAX(at), COUNT(*) FROM events WHERE detail LIKE 'invcNo % allocated'"
    ).fetchone()
    seconds = (datetime.fromisoformat(last) - datetime.fromisoformat(first)).total_seconds() if count > 1 else 0
    return (count - 1) / seconds if seconds > 0 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10000)
    parser.add_argument("--devices", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds KRA takes per answer")
    parser.add_argument("--workers", type=int, help="queue workers (default: min(devices, 64))")
    parser.add_argument(
        "--queue", choices=("sqlite", "redis"), help="queue backend (default sqlite; redis with --redis)"
    )
    parser.add_argument("--redis", help="use this Redis URL for the queue (default with --queue redis: start one)")
    parser.add_argument("--consumers", type=int, default=1, help="consumer processes (default 1: this process)")
    parser.add_argument(
        "--ledger",
        action="append",
        metavar="sqlite|URL",
        help="sqlite (default) or a postgresql:// server URL; repeat to compare side by side",
    )
    args = parser.parse_args()
    workers = args.workers or min(args.devices, 64)
    queue = args.queue or ("redis" if args.redis else "sqlite")
    for ledger in args.ledger or ["sqlite"]:
        with redis_server(args.redis) if queue == "redis" else contextlib.nullcontext() as redis_url:
            result = run(args.invoices, args.devices, args.latency, workers, redis_url, ledger, args.consumers)
        print(
            f"N={args.invoices} D={args.devices} L={args.latency * 1000:.0f}ms workers={workers} "
            f"consumers={args.consumers} queue={queue} ledger={'sqlite' if ledger == 'sqlite' else 'postgresql'}: "
            f"{result['invoices_per_s']:.1f} invoices/s in {result['seconds']:.1f}s, "
            f"ideal D/L={result['ideal_per_s']:.0f}/s, ratio {result['ratio']:.2f}, "
            f"measured call {result['call_ms']:.1f} ms (ratio to D/call {result['measured_ratio']:.2f}), "
            f"steady {result['steady_per_s']:.1f}/s (ratio to D/call {result['steady_ratio']:.3f}), "
            f"connector CPU {result['cpu_ms']:.2f} ms/invoice, peak RSS {result['peak_rss_mb']:.0f} MB, "
            f"saveItem calls {result['save_item_calls']} for {result['items']} items",
            flush=True,
        )


if __name__ == "__main__":
    main()
