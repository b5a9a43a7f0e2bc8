"""`etims-connector demo`: the whole path on this machine, with no configuration, in seconds.

It starts the local KRA simulator, writes a configuration (one device, one CSV drop folder, stock reported),
initialises the device, drops sample CSV files in the inbox (an opening stock count, sales in every VAT band,
a USD invoice, a file with mistakes, then a credit note against an invoice of the first file), runs the
connector until every document is final, and prints the signed receipts, the errors report and the stock
KRA has on record.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from connector.clock import now_eat
from connector.config import Settings, load_settings
from connector.context import Context
from connector.daemon import Daemon
from connector.device_setup import initialise
from connector.errors import ConnectorError
from connector.kra.simulator import SimulatorConfig, start_simulator
from plugins.csv import samples
from plugins.csv.folder import DropFolder
from plugins.csv.results import read_rows

DEMO_PIN = "P051234567A"
CONFIG_NAME = "etims-connector.toml"
WAIT_SECONDS = 45.0
CONFIG_TEMPLATE = """\
# Written by `etims-connector demo`: a local KRA simulator, one device, one CSV drop folder.
# The simulator stopped with the demo: start one (`etims-connector simulate --port {port}`)
# before using this configuration again.
data_dir = "data"

[kra]
profile = "legacy"
base_url = {base_url}
timeout_seconds = 10

[stock]
report = "on"        # stock in/out and stock masters, as GavaConnect needs them (docs/stock.md)

[[devices]]
name = "demo"
pin = "{pin}"
branch = "00"
serial = "demo-1"

[[sources]]
name = "dropbox"
adapter = "csv"
device = "demo"
interval_seconds = 0.2

[sources.options]
folder = {folder}
settle_seconds = 0.2
"""


def run_demo(directory: Path | None = None, out: TextIO = sys.stdout) -> Path:
    """Run the demo in `directory` (new or empty; default: a temporary folder); returns the folder."""
    root = _demo_folder(directory)
    say = _printer(out)
    with start_simulator(SimulatorConfig(profile="legacy", port=0)) as simulator:
        say(f"KRA simulator (legacy OSCU API) listening on {simulator.url}")
        settings = write_config(root, simulator.legacy_base, simulator.port)
        say(f"Configuration written to {settings.config_path}")
        say(initialise_device(settings))
        drop_folder = DropFolder(root / "dropbox")
        daemon = Daemon(settings)
        daemon.start()
        try:
            _run_steps(drop_folder, say)
            _wait_for_stock(settings)
        finally:
            daemon.stop()
    print_report(drop_folder, out)
    print_stock(settings, out)
    say(f"\nEverything is in {root}. Look at the ledger with:\n"
        f"    etims-connector --config {root / CONFIG_NAME} status")  # fmt: skip
    return root


def _demo_folder(directory: Path | None) -> Path:
    if directory is None:
        return Path(tempfile.mkdtemp(prefix="etims-demo-")).resolve()
    root = directory.expanduser().resolve()
    if root.exists() and any(root.iterdir()):
        raise ConnectorError(f"{root} is not empty: give the demo a new or empty folder")
    root.mkdir(parents=True, exist_ok=True)
    return root


def _printer(out: TextIO) -> Callable[[str], None]:
    def say(text: str) -> None:
        print(text, file=out, flush=True)

    return say


def write_config(root: Path, base_url: str, port: int) -> Settings:
    path = root / CONFIG_NAME
    text = CONFIG_TEMPLATE.format(
        port=port, base_url=json.dumps(base_url), pin=DEMO_PIN, folder=json.dumps(str(root / "dropbox"))
    )
    path.write_text(text, encoding="utf-8")
    return load_settings(path, environ={})  # the demo ignores ETIMS_* overrides


def initialise_device(settings: Settings) -> str:
    context = Context(settings)
    try:
        device = settings.device()
        return initialise(device, context.client(device, initialised=False), context.devices)
    finally:
        context.close()


def _run_steps(folder: DropFolder, say: Callable[[str], None]) -> None:
    inbox = folder.sub("inbox")
    today = now_eat() - timedelta(minutes=5)
    day = today.strftime("%Y-%m-%d")
    say(f"Dropping opening.stock.csv (the goods counted on the shelves) in {inbox}")
    samples.write(inbox / "opening.stock.csv", samples.opening_stock(day), columns=samples.STOCK_COLUMNS)
    wait_until_idle(folder)
    say(f"Dropping sales.csv (every VAT band, a USD invoice) and mistakes.csv (;-separated) in {inbox}")
    samples.write(inbox / "sales.csv", samples.sales(day))
    samples.write(inbox / "mistakes.csv", samples.mistakes(day), delimiter=";", bom=True)
    wait_until_idle(folder)
    say("Dropping credit-notes.csv (2 bags of sugar returned from INV-1001)")
    samples.write(inbox / "credit-notes.csv", samples.credit_notes(day))
    wait_until_idle(folder)


def wait_until_idle(folder: DropFolder, timeout: float = WAIT_SECONDS) -> None:
    """Until nothing waits in inbox/ or processing/: every document of every file is final."""
    deadline = time.monotonic() + timeout
    while folder.waiting_in_inbox() or folder.in_processing():
        if time.monotonic() > deadline:
            raise ConnectorError(f"the demo did not finish within {timeout:.0f} s; look in {folder.root}")
        time.sleep(0.1)


def print_report(folder: DropFolder, out: TextIO) -> None:
    """The signed receipts (with QR links) and every problem, from the files in outbox/ and rejected/."""
    signed = [
        {**row, "file": path.name.removesuffix(".receipts.csv")}
        for path in folder.sub("outbox").glob("*.receipts.csv")
        for row in read_rows(path)
        if row["status"] == "accepted"
    ]
    print("\nSigned receipts (outbox/*.receipts.csv):", file=out)
    print(f"  {'invcNo':>6}  {'document':9} {'type':12} {'file':13} {'taxable KES':>12} {'VAT KES':>10} "
          f"{'total KES':>12} {'in currency':>15}  {'signature':17} QR URL", file=out)  # fmt: skip
    for row in sorted(signed, key=lambda r: int(r["kra_invoice_number"])):
        print(f"  {row['kra_invoice_number']:>6}  {row['document_number']:9} {row['document_type']:12} "
              f"{row['file']:13} {row['taxable_kes']:>12} {row['vat_kes']:>10} {row['total_kes']:>12} "
              f"{_in_currency(row):>15}  {row['signature']:17} {row['qr_url']}", file=out)  # fmt: skip
    print("\nProblems (rejected/*.errors.csv): these documents were not sent", file=out)
    for path in sorted(folder.sub("rejected").glob("*.errors.csv")):
        for row in read_rows(path):
            where = f"{row['file']} row {row['row']}"
            value = f" = {row['value']!r}" if row["value"] else ""
            print(f"  {where:18} {row['document_number'] or '-':9} {row['column']}{value}: {row['message']}",
                  file=out)  # fmt: skip


def print_stock(settings: Settings, out: TextIO) -> None:
    """What `etims-connector stock status` shows: the stock KRA has on record after the demo's documents."""
    from connector.stock.report import device_stock, lines

    context = Context(settings)
    try:
        reports = [device_stock(context.ledger, device) for device in settings.devices]
    finally:
        context.close()
    print("\nStock at KRA (etims-connector stock status): opening count, less what was sold, plus returns", file=out)
    for text in lines(reports, settings.stock_reported):
        print(f"  {text}", file=out)


def _wait_for_stock(settings: Settings, timeout: float = WAIT_SECONDS) -> None:
    """Until KRA accepted every stock movement (a sale's stock-out follows its signature)."""
    from connector.ledger.schema import IN_FLIGHT, PENDING, WAITING

    context = Context(settings)
    states = (PENDING, *WAITING, *IN_FLIGHT)
    query = f"SELECT COUNT(*) FROM documents WHERE kind = 'stock' AND state IN ({', '.join('?' for _ in states)})"
    deadline = time.monotonic() + timeout
    try:
        while context.ledger.db.execute(query, list(states)).fetchone()[0]:
            if time.monotonic() > deadline:
                raise ConnectorError(f"the demo's stock movements did not finish within {timeout:.0f} s")
            time.sleep(0.1)
    finally:
        context.close()


def _in_currency(row: dict[str, str]) -> str:
    """The document-currency total of a foreign-currency document ("USD 1113.60"); empty for KES."""
    return "" if row["currency"] in ("", "KES") else f"{row['currency']} {row['total']}"
