"""`etims-connector report daily [--date D] [--device NAME] [--format csv|html|pdf] [--output FILE]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from connector.commands.common import add_device_option, context_from
from connector.errors import ConnectorError


def register(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="reports an accountant files")
    kinds = report.add_subparsers(dest="report", metavar="REPORT", required=True)
    daily = kinds.add_parser("daily", help="per device: signed documents, band totals, numbers and gaps, open items")
    daily.add_argument("--date", help="the day in EAT: YYYY-MM-DD, today (default) or yesterday")
    add_device_option(daily)
    daily.add_argument("--format", choices=("csv", "html", "pdf"), default="csv", help="output format (default csv)")
    daily.add_argument("--output", metavar="FILE", help="write to FILE (default: standard output)")
    daily.set_defaults(func=daily_command)


def daily_command(args: argparse.Namespace) -> int:
    from connector.reports import build_report, parse_day, render_csv, render_html, render_pdf

    context = context_from(args)
    settings = context.settings
    try:
        day = parse_day(args.date)
    except ValueError as error:
        raise ConnectorError(str(error)) from None
    chosen = [settings.device(args.device)] if args.device else settings.devices
    report = build_report(
        context.ledger, day, [(d.name, d.key) for d in chosen], max_unsigned_hours=settings.monitor.max_unsigned_hours
    )
    if args.format == "pdf":
        content = render_pdf(report)
    else:
        content = (render_csv(report) if args.format == "csv" else render_html(report)).encode("utf-8")
    if args.output and args.output != "-":
        Path(args.output).write_bytes(content)
        print(f"daily report {day.isoformat()} ({args.format}): {args.output}", file=sys.stderr)
    elif args.format == "pdf" and sys.stdout.isatty():
        raise ConnectorError("a PDF report needs --output FILE (or redirect standard output)")
    else:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
    return 0
