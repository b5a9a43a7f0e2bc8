"""CPU of the send path for one device, in this thread: N invoices drained against the simulator.

    python bench/send_path_profile.py --invoices 500 --latency 0 [--profile 25]

The simulator runs in its own process (its CPU is not counted). Prints connector CPU ms per invoice
(process time of the drain only, ingest excluded) and, with --profile, the top functions by cumulative
time from cProfile. A script, not a test.
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

from bench.pipeline_throughput import prepare, settings_for, start_simulator
from connector.context import Context
from connector.ledger.schema import SIGNED
from connector.pipeline import Pipeline


def run(invoices: int, latency: float, top: int) -> None:
    simulator, base = start_simulator(latency)
    try:
        with tempfile.TemporaryDirectory() as folder:
            settings = settings_for(Path(folder), base, 1, 1)
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
    print(f"N={invoices} signed={done} L={latency * 1000:.0f}ms: {done / elapsed:.1f} invoices/s, "
          f"connector CPU {1000 * cpu / max(done, 1):.2f} ms/invoice{' (under cProfile)' if top else ''}")  # fmt: skip
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(top)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--profile", type=int, default=0, metavar="TOP", help="print the TOP functions of cProfile")
    run(parser.parse_args().invoices, parser.parse_args().latency, parser.parse_args().profile)


if __name__ == "__main__":
    main()
