"""`etims-connector csv import FILE`: send one CSV file now, wait for KRA's answers, print a summary."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TextIO

from connector.commands.common import settings_from

REFRESH_SECONDS = 0.5  # progress line on a terminal
LOG_SECONDS = 10.0  # progress line when stderr is a file


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("csv", help="CSV files: import one now (the drop folder is watched by `run`)")
    actions = parser.add_subparsers(dest="action", required=True)
    command = actions.add_parser("import", help="record, send and wait for every document of one CSV file")
    command.add_argument("file", type=Path, help="the CSV file (layout: docs/csv-format.md)")
    command.add_argument("--source", help="CSV source whose folder, mapping and device to use (default: the first)")
    command.add_argument("--timeout", type=float, help="stop waiting after this many seconds (the rest stay queued)")
    command.add_argument("--workers", type=int, help="queue workers (default: queue.workers)")
    command.set_defaults(func=import_command)


class Progress:
    """One line on stderr: rows read, documents final."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stderr
        self.terminal = self.out.isatty()
        self.last = 0.0
        self.rows = self.total_rows = self.final = self.total = 0

    def reading(self, rows: int, total_rows: int) -> None:
        self.rows, self.total_rows = rows, total_rows
        self._show()

    def sending(self, final: int, total: int) -> None:
        self.final, self.total = final, total
        self._show(force=final == total)

    def _show(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < (REFRESH_SECONDS if self.terminal else LOG_SECONDS):
            return
        self.last = now
        line = f"read {self.rows}/{self.total_rows} rows; {self.final}/{self.total} documents final"
        self.out.write(f"\r{line}" if self.terminal else f"{line}\n")
        self.out.flush()

    def done(self) -> None:
        if self.terminal:
            self.out.write("\n")


def import_command(args: argparse.Namespace) -> int:
    from plugins.csv.importer import import_file

    progress = Progress()
    result = import_file(
        settings_from(args), args.file, source_name=args.source, timeout=args.timeout,
        workers=args.workers, progress=progress,
    )  # fmt: skip
    progress.done()
    rate = result.rows / result.seconds if result.seconds else 0.0
    print(f"{result.name}: {result.rows} rows, {result.total} documents in {result.seconds:.1f} s ({rate:.0f} rows/s)")
    counts = result.documents
    print(f"  accepted {counts['accepted']}, needs fixing {counts['needs-fix']}, still waiting {counts['waiting']}; "
          f"{result.problems} problem(s) found in the rows")  # fmt: skip
    if result.state == "archived":
        print(f"  receipts: {result.receipts}")
    if result.errors is not None:
        print(f"  errors:   {result.errors}")
    if not result.finished:
        print(
            "  not finished: the waiting documents stay queued; `etims-connector run` sends them and writes the results"
        )
    return 0 if result.all_accepted else 1
