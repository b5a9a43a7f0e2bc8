"""Helpers shared by the command modules.

Command modules import only argparse and the standard library at the top: `etims-connector --help` builds
every parser, so anything heavier (pydantic settings, the ledger, httpx, PDF) is imported inside the command
that needs it.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connector.config import Settings
    from connector.context import Context


def settings_from(args: argparse.Namespace) -> Settings:
    from connector.config import load_settings

    return load_settings(getattr(args, "config", None))


def context_from(args: argparse.Namespace) -> Context:
    from connector.context import Context

    return Context(settings_from(args))


def add_device_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", help="device name from the configuration (default: the first)")
