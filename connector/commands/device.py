"""`etims-connector device init | set-key | show`."""

from __future__ import annotations

import argparse
import getpass
import sys

from connector.commands.common import add_device_option, context_from


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("device", help="initialise a KRA device and manage its CMC key")
    actions = parser.add_subparsers(dest="action", required=True)
    init = actions.add_parser("init", help="call KRA's selectInitOsdcInfo and store the CMC key encrypted")
    add_device_option(init)
    init.set_defaults(func=init_command)
    set_key = actions.add_parser("set-key", help="enter a CMC key KRA issued earlier (read from stdin)")
    add_device_option(set_key)
    set_key.add_argument("--scu-id", help="the SCU id (sdcId) KRA issued with the key")
    set_key.add_argument("--mrc-number", help="the MRC number KRA issued with the key")
    set_key.set_defaults(func=set_key_command)
    resync = actions.add_parser(
        "resync", help="after KRA and the ledger disagree on the next invoice number: read back, adopt, move"
    )
    resync.add_argument("device", help="device name from the configuration")
    resync.add_argument("--expected", type=int, help="the invcNo KRA expects next (default: from its last message)")
    resync.add_argument("--yes", action="store_true", help="carry out the plan (without it, only show it)")
    resync.set_defaults(func=resync_command)
    show = actions.add_parser("show", help="show the configured devices and whether each is initialised")
    show.set_defaults(func=show_command)


def init_command(args: argparse.Namespace) -> int:
    from connector import device_setup

    context = context_from(args)
    device = context.settings.device(args.device)
    print(device_setup.initialise(device, context.client(device, initialised=False), context.devices))
    return 0


def set_key_command(args: argparse.Namespace) -> int:
    from connector import device_setup

    context = context_from(args)
    device = context.settings.device(args.device)
    prompt = f"CMC key for {device.name} ({device.key}): "
    key = getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.readline()
    print(device_setup.set_key(device, context.devices, key, args.scu_id, args.mrc_number))
    return 0


def show_command(args: argparse.Namespace) -> int:
    context = context_from(args)
    if not context.settings.devices:
        print("no devices configured")
    for device in context.settings.devices:
        row = context.devices.row(device) or {}
        state = (
            f"initialised ({row.get('key_source')}), SCU {row.get('scu_id')}"
            if row.get("cmc_key")
            else "not initialised"
        )
        print(f"{device.name:12} {device.key:15} serial {device.serial:20} {state}")
    return 0


def resync_command(args: argparse.Namespace) -> int:
    from connector import resync
    from connector.errors import ConnectorError
    from connector.ledger import leases
    from connector.pipeline import Pipeline
    from connector.queue import TaskQueue
    from connector.sending import DeviceSender

    context = context_from(args)
    device = context.settings.device(args.device)
    ledger = context.ledger
    if leases.acquire(ledger.db, device.key, 300) is None:
        raise ConnectorError(f"device {device.name} is busy in a running connector; try again in a moment")
    try:
        pipeline = Pipeline(context, {})
        TaskQueue(context.settings, pipeline)  # write-backs of adopted documents reach a running daemon
        sender = DeviceSender(pipeline, device)
        plan = resync.plan(ledger, sender.client, device.key, args.expected)
        print(f"device {device.name} ({device.key}): ledger next invcNo {plan.ledger_next}, KRA next {plan.kra_next}")
        for line in plan.lines:
            print(f"  {line}")
        if plan.ledger_next == plan.kra_next and not plan.adopt:
            print("  nothing to do: KRA and the ledger agree")
            return 0
        if not args.yes:
            print("  nothing changed: run again with --yes to carry this out")
            return 0
        resync.apply(ledger, sender, device.key, plan)
        sender.flush()
        print(f"  done: next invcNo is {ledger.next_number(device.key)}")
        return 1 if plan.unknown_at_kra else 0
    finally:
        leases.release(ledger.db, device.key)
