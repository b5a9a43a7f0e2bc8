"""`etims-connector source …`: a source's secrets (ERP passwords, API keys), entered without argv."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from connector.commands.common import context_from
from connector.errors import ConfigurationError

if TYPE_CHECKING:
    from connector.source_credentials import SourceSecrets


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("source", help="manage a configured source's secrets")
    actions = parser.add_subparsers(dest="action", required=True)
    set_secret = actions.add_parser(
        "set-secret", help="store a password, API key or token for a source, encrypted (read from the terminal/stdin)"
    )
    set_secret.add_argument("source", help="the source's name in the configuration")
    set_secret.add_argument("name", help="the secret's name, e.g. password, client_secret, notify_token")
    set_secret.set_defaults(func=set_secret_command)
    listing = actions.add_parser("secrets", help="list which secrets a source has stored (names only)")
    listing.add_argument("source")
    listing.set_defaults(func=list_secrets_command)


def _secrets(args: argparse.Namespace) -> SourceSecrets:
    from connector.source_credentials import SourceSecrets

    context = context_from(args)
    names = [s.name for s in context.settings.sources]
    if args.source not in names:
        known = ", ".join(names) or "none configured"
        raise ConfigurationError(f"unknown source {args.source!r}; configured sources: {known}")
    return SourceSecrets.for_context(context, args.source)


def set_secret_command(args: argparse.Namespace) -> int:
    secrets = _secrets(args)
    prompt = f"{args.name} for source {args.source}: "
    value = getpass.getpass(prompt) if sys.stdin.isatty() else sys.stdin.readline()
    value = value.rstrip("\r\n")
    if not value:
        raise ConfigurationError(f"no value given for {args.name}; nothing stored")
    secrets.set(args.name, value)
    print(f"stored {args.name} for source {args.source} (encrypted)")
    return 0


def list_secrets_command(args: argparse.Namespace) -> int:
    names = _secrets(args).names()
    print("\n".join(names) if names else f"source {args.source}: no secrets stored")
    return 0
