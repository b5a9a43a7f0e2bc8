"""`etims-connector stock status [ITEM]`: per device and item, KRA's stock on record against the source's."""

from __future__ import annotations

import argparse

from connector.commands.common import context_from


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("stock", help="stock KRA has on record per device and item, against the source's")
    parser.set_defaults(func=status_command, json=False, item=None, device=None, no_source=False)
    actions = parser.add_subparsers(dest="action")
    status = actions.add_parser("status", help="per device and item: on record at KRA, waiting, source, difference")
    status.add_argument("item", nargs="?", help="only this item (the source's item code or KRA's item code)")
    status.add_argument("--device", help="only this device (name from the configuration)")
    status.add_argument("--no-source", action="store_true", help="do not ask the sources for their quantities")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=status_command)


def status_command(args: argparse.Namespace) -> int:
    """Exit 1 when something needs a person: a stock movement to fix, a refused stock master, a difference."""
    from connector import jsonio
    from connector.status import purchase_problems
    from connector.stock.report import add_source_quantities, device_stock, lines, matches

    context = context_from(args)
    settings = context.settings
    devices = [settings.device(args.device)] if args.device else list(settings.devices)
    reports = [device_stock(context.ledger, device) for device in devices]
    if not args.no_source:
        _ask_sources(context, reports, add_source_quantities)
    if args.item:
        for report in reports:
            report.items = [item for item in report.items if matches(item, args.item)]
    purchases = purchase_problems(context, context.ledger)  # suppliers' sales a person must decide
    if args.json:
        print(jsonio.dumps([report.as_dict() for report in reports], pretty=True))
    else:
        print("\n".join(lines(reports, settings.stock_reported) + purchases) or "no devices configured")
    return 1 if purchases or any(report.to_look_at for report in reports) else 0


def _ask_sources(context: object, reports: list, add: object) -> None:
    from connector.pipeline import build_sources

    by_key = {report.key: report for report in reports}
    for name, source in build_sources(context).items():  # type: ignore[arg-type]
        report = by_key.get(source.device.key)
        if report is None or source.adapter is None:
            continue
        preflight = getattr(source.adapter, "preflight", None)
        try:
            if preflight is not None:
                preflight()  # Odoo: finds out whether the Inventory app is installed
        except Exception as error:  # the source's column stays empty, with the reason
            report.source_notes.append(f"{name}: not reachable ({error})")
            continue
        if hasattr(source.adapter, "stock_on_hand"):
            add(report, name, source.adapter, source.device.name)  # type: ignore[operator]
