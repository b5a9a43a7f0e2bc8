"""CPU of the send path for one device, in this thread: N invoices drained against the simulator.

    python bench/send_path_profile.py --invoices 500 --latency 0 [--profile 25]
    python bench/send_path_profile.py --ledger postgresql://postgres@127.0.0.1:5432/postgres

The simulator runs in its own process (its CPU is not counted). Prints connector CPU ms per invoice
(process time of the drain only, ingest excluded) and, with --profile, the top functions by cumulative
time from cProfile. --ledger URL: the ledger in a new PostgreSQL database on that server (dropped afterwards;
its CPU, in the server's processes, is not counted). A script, not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pipeline_throughput import ledger_database, prepare, settings_for, start_simulator
from connector.context import Context
from connector.ledger.schema import SIGNED
from connector.pipeline import Pipeline


def run(invoices: int, latency: float, top: int, ledger: str = "sqlite") -> None:
    simulator, base = start_simulator(latency)
    try:
        with tempfile.TemporaryDirectory() as folder, ledger_database(ledger) as ledger_url:
            settings = settings_for(Path(folder), base, 1, 1, ledger_url=ledger_url)
            prepare(settings, invoices)
            context = Context(settings)
            pipeline = Pipeline(context, {})
            key = settings.devices[0].key
            profiler = cProfile.Profile() if top else None
            cpu, started = time.process_time(), time.monotonic()
            if profiler:
                profiler.enable()
            while pipeline.drain(key, budget_seconds=600) is not None:
                pass
            if profiler:
                profiler.disable()
            cpu, elapsed = time.process_time() - cpu, time.monotonic() - started
            marks = ", ".join("?" for _ in SIGNED)
            signed = context.db.execute(f"SELECT COUNT(*) FROM documents WHERE state IN ({marks})", list(SIGNED))
            done = signed.fetchone()[0]
            context.close()
    finally:
        simulator.terminate()
        simulator.wait()
    kind = "sqlite" if ledger == "sqlite" else "postgresql"
    print(f"N={invoices} signed={done} L={latency * 1000:.0f}ms ledger={kind}: {done / elapsed:.1f} invoices/s, "
          f"connector CPU {1000 * cpu / max(done, 1):.2f} ms/invoice{' (under cProfile)' if top else ''}")  # fmt: skip
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--profile", type=int, default=0, metavar="TOP", help="print the TOP functions of cProfile")
    parser.add_argument("--ledger", default="sqlite", metavar="sqlite|URL", help="sqlite or a postgresql:// URL")
    args = parser.parse_args()
    run(args.invoices, args.latency, args.profile, args.ledger)


if __name__ == "__main__":
    main()
