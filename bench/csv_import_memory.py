"""Benchmark: `csv import` of a 100 000-row file (20 000 documents) against the in-process simulator.

    .venv/bin/python bench/csv_import_memory.py [--documents 20000] [--lines 5] [--dir DIR]

Generates the file (streamed, every VAT band, 5 items), initialises a device on the simulator
(legacy profile, state on disk so its memory is not counted as ours), runs the same code as
`etims-connector csv import`, and prints rows/s, documents/s and memory: the RSS when reading
starts, the highest RSS sampled while importing, and the process's peak RSS. Flat memory means the
RSS during the import does not grow with the number of rows (compare --documents 2000 and 20000).
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connector.config import DeviceSettings, KraSettings, Settings, SourceSettings
from connector.context import Context
from connector.device_setup import initialise
from connector.kra.simulator import SimulatorConfig, start_simulator
from plugins.csv import samples
from plugins.csv.importer import import_file

MB = 1024 * 1024


class MemorySampler(threading.Thread):
    """Samples this process's resident memory every 0.2 s."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process()
        self.highest = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.2):
            self.highest = max(self.highest, self.process.memory_info().rss)


class Progress:
    def __init__(self) -> None:
        self.last = 0.0

    def reading(self, rows: int, total_rows: int) -> None:
        self._show(f"read {rows}/{total_rows} rows")

    def sending(self, final: int, total: int) -> None:
        self._show(f"{final}/{total} documents final")

    def _show(self, text: str) -> None:
        if time.monotonic() - self.last > 5:
            self.last = time.monotonic()
            print(f"  … {text}, RSS {psutil.Process().memory_info().rss / MB:.0f} MB", flush=True)


def write_file(path: Path, documents: int, lines: int) -> int:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=samples.COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        rows = 0
        for row in samples.many_rows(documents, lines):
            writer.writerow(row)
            rows += 1
    return rows


def settings_for(root: Path, base_url: str) -> Settings:
    return Settings(
        data_dir=root / "data",
        kra=KraSettings(base_url=base_url, timeout_seconds=30),
        devices=[DeviceSettings(name="bench", pin="P051234567A", branch="00", serial="bench-1")],
        sources=[SourceSettings(name="bulk", adapter="csv", options={"folder": str(root / "dropbox")})],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--lines", type=int, default=5, help="rows per document")
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    args = parser.parse_args()
    root = (args.dir or Path(tempfile.mkdtemp(prefix="etims-bench-"))).resolve()
    root.mkdir(parents=True, exist_ok=True)
    export = root / "bulk.csv"
    rows = write_file(export, args.documents, args.lines)
    print(f"{export}: {rows} rows, {args.documents} documents, {export.stat().st_size / MB:.1f} MB")
    with start_simulator(SimulatorConfig(profile="legacy", port=0, state_path=root / "simulator.db")) as simulator:
        settings = settings_for(root, simulator.legacy_base)
        context = Context(settings)
        print(initialise(settings.device(), context.client(settings.device(), initialised=False), context.devices))
        context.close()
        run(settings, export, rows, args.documents)


def run(settings: Settings, export: Path, rows: int, documents: int) -> None:
    sampler = MemorySampler()
    start_rss = sampler.process.memory_info().rss
    sampler.start()
    started = time.monotonic()
    result = import_file(settings, export, progress=Progress())
    seconds = time.monotonic() - started
    sampler.stopping.set()
    sampler.join()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux
    print(f"done: {result.state}, {result.documents}, {result.problems} problem rows, {seconds:.1f} s")
    print(f"throughput: {rows / seconds:.0f} rows/s, {documents / seconds:.0f} documents/s")
    print(f"memory: RSS {start_rss / MB:.0f} MB before, at most {sampler.highest / MB:.0f} MB during the import; "
          f"process peak {peak / MB:.0f} MB")  # fmt: skip
    print(f"results: {result.receipts}")


if __name__ == "__main__":
    main()
