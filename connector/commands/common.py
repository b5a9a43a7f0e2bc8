"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse

from connector.config import Settings, load_settings
from connector.context import Context


def settings_from(args: argparse.Namespace) -> Settings:
    return load_settings(getattr(args, "config", None))


def context_from(args: argparse.Namespace) -> Context:
    return Context(settings_from(args))


def add_device_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", help="device name from the configuration (default: the first)")
