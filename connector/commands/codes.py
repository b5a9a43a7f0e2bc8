"""`etims-connector codes sync | rates`."""

from __future__ import annotations

import argparse

from connector.commands.common import add_device_option, context_from


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("codes", help="KRA code lists, item classes, notices and branches")
    actions = parser.add_subparsers(dest="action", required=True)
    sync = actions.add_parser("sync", help="pull what changed since the last sync (lastReqDt cursors)")
    add_device_option(sync)
    sync.set_defaults(func=sync_command)
    rates = actions.add_parser("rates", help="show the tax rates A–E in use")
    rates.set_defaults(func=rates_command)


def sync_command(args: argparse.Namespace) -> int:
    from connector import reference

    context = context_from(args)
    device = context.settings.device(args.device)
    reports = reference.sync_all(context.client(device), context.db)
    failed = 0
    for report in reports:
        detail = report.message or f"{report.records} records, cursor {report.cursor}"
        print(f"{report.name:13} {report.outcome.value:20} {detail}")
        failed += report.outcome.value not in ("accepted", "no-data")
    return 1 if failed else 0


def rates_command(args: argparse.Namespace) -> int:
    from connector import reference

    context = context_from(args)
    for code, rate in reference.tax_rates(context.db, context.settings.kra.tax_rates).items():
        print(f"{code}  {rate}%")
    return 0
