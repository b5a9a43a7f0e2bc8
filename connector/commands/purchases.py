"""`etims-connector purchases [status]`, `purchases poll`, `purchases retry BILL`: suppliers' sales and bills."""

from __future__ import annotations

import argparse
import dataclasses

from connector.commands.common import context_from


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("purchases", help="suppliers' sales to us and the bills that confirm them (KRA purchases)")
    parser.set_defaults(func=status_command, json=False)
    actions = parser.add_subparsers(dest="action")
    status = actions.add_parser("status", help="fetched, matched, confirmed, and what a person must decide")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=status_command)
    poll = actions.add_parser("poll", help="fetch suppliers' sales and bills now, match and confirm them")
    poll.set_defaults(func=poll_command)
    show = actions.add_parser("show", help="one bill: state, reason, supplier sale, events, its KRA exchanges")
    show.add_argument("bill", type=int, help="the bill's id (from `purchases status`)")
    show.set_defaults(func=show_command)
    retry = actions.add_parser("retry", help="match and confirm a bill that needed fixing again")
    retry.add_argument("bill", type=int, help="the bill's id (from `purchases status`)")
    retry.set_defaults(func=retry_command)


def status_command(args: argparse.Namespace) -> int:
    from connector import jsonio
    from connector.purchases.report import lines, summarise

    context = context_from(args)
    days = context.settings.purchases.unmatched_after_days
    devices = [(device.name, device.key) for device in context.settings.devices]
    summaries = summarise(context.ledger.db, devices, days)
    if args.json:
        print(jsonio.dumps([dataclasses.asdict(summary) for summary in summaries], pretty=True))
    else:
        print("\n".join(lines(summaries, days)) or "no devices configured")
    return 1 if any(summary.to_decide for summary in summaries) else 0


def poll_command(args: argparse.Namespace) -> int:
    from connector.pipeline import Pipeline, build_sources
    from connector.purchases.cycle import run_round

    context = context_from(args)
    report = run_round(Pipeline(context, build_sources(context)))
    for source, count in report.bills.items():
        print(f"source {source}: {count} bill(s) new or corrected")
    for name, device in report.devices.items():
        print(f"device {name}: {device.fetched} supplier sale(s) listed by KRA ({device.new} new), "
              f"{device.matched} matched, {device.confirmed} confirmed")  # fmt: skip
    for name in report.busy:
        print(f"device {name}: busy (another worker holds it); try again shortly")
    for problem in report.problems + [p for d in report.devices.values() for p in d.problems]:
        print(f"problem: {problem}")
    return 1 if report.problems else 0


def show_command(args: argparse.Namespace) -> int:
    from connector import jsonio
    from connector.purchases.store import PurchaseLedger

    context = context_from(args)
    store = PurchaseLedger(context.ledger.db)
    bill = store.get(args.bill)
    print(f"bill {bill.label} (id {bill.id}): {bill.state}" + (f" — {bill.reason}" if bill.reason else ""))
    print(f"  device {bill.device_key}, supplier {bill.supplier_pin} invoice {bill.supplier_invoice_number}, "
          f"purchase number {bill.purchase_number or 'not allocated'}")  # fmt: skip
    if bill.supplier_sale_id is not None:
        sale = store.supplier_sale(bill.supplier_sale_id)
        print(f"  supplier sale {sale.label} ({sale.supplier_name or 'no name'}), total {sale.total_amount}, "
              f"{len(sale.sale.get('itemList') or [])} line(s), fetched {sale.fetched_at[:19]}")  # fmt: skip
    for event in store.events(bill.id):
        move = f"{event['from_state'] or ''} → {event['to_state']}" if event["to_state"] else "note"
        print(f"  {event['at'][:19]}  {move}: {event['detail']}")
    if bill.purchase_number is not None:
        rows = context.ledger.db.execute(
            "SELECT at, outcome, code, message, request FROM exchanges WHERE device_key = ? AND endpoint = ?"
            " ORDER BY id", [bill.device_key, "insertTrnsPurchase"],
        ).fetchall()  # fmt: skip
        for at, outcome, code, message, request in rows:
            body = jsonio.loads(request) if request and request.startswith("{") else {}
            if isinstance(body, dict) and body.get("invcNo") == bill.purchase_number:
                print(f"  {at[:19]}  insertTrnsPurchase {bill.purchase_number}: {outcome} {code or ''} {message}")
    return 0


def retry_command(args: argparse.Namespace) -> int:
    from connector.errors import ConnectorError
    from connector.purchases import schema as s
    from connector.purchases.store import PurchaseLedger

    store = PurchaseLedger(context_from(args).ledger.db)
    bill = store.get(args.bill)
    if bill.state != s.NEEDS_FIX:
        raise ConnectorError(f"bill {bill.label} is {bill.state}, not needs-fix; nothing to retry")
    to_state = s.QUEUED if bill.supplier_sale_id is not None else s.UNMATCHED
    store.move(bill.id, to_state, "retry requested", reason=None, attempts=0, next_attempt_at=None)
    print(f"bill {bill.label}: {to_state}; `etims-connector purchases poll` (or `run`) confirms it")
    return 0
