"""`etims-connector odoo addon-path`: the folder to add to Odoo's addons_path for the kra_etims_connector addon."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ADDON = "kra_etims_connector"


def addon_folder() -> Path:
    """The folder holding the addon (put this folder, not the addon itself, on addons_path)."""
    import plugins.odoo

    return Path(plugins.odoo.__file__).resolve().parent / "addon"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("odoo", help="Odoo: where the kra_etims_connector addon is")
    actions = parser.add_subparsers(dest="action", required=True)
    command = actions.add_parser("addon-path", help="print the folder to add to Odoo's addons_path")
    command.set_defaults(func=addon_path_command)


def addon_path_command(args: argparse.Namespace) -> int:
    folder = addon_folder()
    if not (folder / ADDON / "__manifest__.py").is_file():
        print(f"the addon is missing from this installation (expected {folder / ADDON})", file=sys.stderr)
        return 1
    print(folder)
    if sys.stdout.isatty():
        print(f"add it to addons_path, then install: odoo-bin -d DATABASE -i {ADDON} (or Apps > Update Apps List)",
              file=sys.stderr)  # fmt: skip
    return 0
