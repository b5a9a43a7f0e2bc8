"""`etims-connector demo`: sign sample CSV invoices against a local KRA simulator, no setup needed."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "demo", help="run the whole path on this machine: KRA simulator, CSV drop folder, signed receipts"
    )
    parser.add_argument("--dir", type=Path, help="a new or empty folder for the demo (default: a temporary one)")
    parser.set_defaults(func=demo_command)


def demo_command(args: argparse.Namespace) -> int:
    from connector.demo import run_demo

    run_demo(args.dir)
    return 0
