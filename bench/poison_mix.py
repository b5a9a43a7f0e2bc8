"""Benchmark: good CSV documents with poison mixed in, through the real daemon and the local simulator.

    .venv/bin/python bench/poison_mix.py [--good N] [--poison-every K]

Prints how many good documents were signed, how many poison ones were refused (needs-fix or a
rejected file), and how long it took. Every good document must be signed whatever the poison.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connector.config import DeviceSettings, KraSettings, Settings
from connector.context import Context
from connector.device_setup import initialise
from connector.kra.simulator import SimulatorConfig, start_simulator
from connector.ledger import NEEDS_FIX
from connector.testing import wait_for
from plugins.csv import samples
from plugins.csv.testing import running_daemon, with_csv_source

POISON = [("quantity", "1" * 27), ("unit_price", "9" * 27), ("issued_at", "0001-01-01"), ("quantity", "NaN"),
          ("unit_price", "1E+400"), ("item_name", "Soap\x07"), ("buyer_name", "x\u202ey"),
          ("quantity", "١٢")]  # fmt: skip


def rows(good: int, every: int) -> tuple[list[dict[str, str]], int]:
    out, poison = [], 0
    for index in range(good):
        out.append(samples.line(f"G-{index}", "SUGAR-2KG", "1", "116.00", "VAT16", **samples.BUYER))
        if index % every == 0:
            column, value = POISON[poison % len(POISON)]
            bad = samples.line(f"P-{poison}", "SUGAR-2KG", "1", "116.00", "VAT16", **samples.BUYER)
            out.append(bad | {column: value})
            poison += 1
    return out, poison


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--good", type=int, default=200)
    parser.add_argument("--poison-every", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, start_simulator(SimulatorConfig(host="127.0.0.1", port=0)) as sim:
        folder = Path(tmp) / "dropbox"
        device = DeviceSettings(name="hq", pin="P051234567A", branch="00", serial="bench-1")
        settings = Settings(data_dir=Path(tmp) / "data", kra=KraSettings(base_url=sim.legacy_base), devices=[device])
        context = Context(settings)
        initialise(device, context.client(device, initialised=False), context.devices)
        data, poison = rows(args.good, args.poison_every)
        started = time.perf_counter()
        with running_daemon(with_csv_source(settings, folder)):
            samples.write(folder / "inbox" / "mixed.csv", data)
            (folder / "inbox" / "broken.csv").write_bytes(b"\xff\xfe not utf-8")
            wait_for(lambda: not any((folder / "processing").iterdir()) and not any((folder / "inbox").iterdir()),
                     timeout=600, what="the drop folder to be done")  # fmt: skip
        elapsed = time.perf_counter() - started
        signed = sum(1 for sale in sim.sales() if str(sale["trdInvcNo"]).startswith("G-"))
        refused = context.db.execute("SELECT COUNT(*) FROM documents WHERE state = ?", [NEEDS_FIX]).fetchone()[0]
        rejected_files = len(list((folder / "rejected").glob("*.csv"))) - len(
            list((folder / "rejected").glob("*.errors.csv"))
        )
        context.close()
    print(f"good signed: {signed}/{args.good}  poison refused: {refused}/{poison} documents, "
          f"{rejected_files}/1 file  in {elapsed:.1f}s")  # fmt: skip
    return 0 if signed == args.good and refused == poison and rejected_files == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
