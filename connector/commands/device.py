"""`etims-connector device init | set-key | show`."""

from __future__ import annotations

import argparse
import getpass
import sys

from connector import device_setup
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
    show = actions.add_parser("show", help="show the configured devices and whether each is initialised")
    show.set_defaults(func=show_command)


def init_command(args: argparse.Namespace) -> int:
    context = context_from(args)
    device = context.settings.device(args.device)
    print(device_setup.initialise(device, context.client(device, initialised=False), context.devices))
    return 0


def set_key_command(args: argparse.Namespace) -> int:
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
