"""`etims-connector quickbooks connect SOURCE` and `quickbooks backfill SOURCE --since DATE`."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from connector.commands.common import context_from
from connector.errors import ConfigurationError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("quickbooks", help="QuickBooks Online: connect a company, read older documents")
    actions = parser.add_subparsers(dest="action", required=True)
    connect = actions.add_parser("connect", help="connect a QuickBooks company (OAuth; tokens stored encrypted)")
    connect.add_argument("source", help="the quickbooks source's name in the configuration")
    connect.add_argument("--paste", action="store_true",
                         help="paste the address the browser ends on instead of receiving it on 127.0.0.1")  # fmt: skip
    connect.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for the redirect")
    connect.set_defaults(func=connect_command)
    backfill = actions.add_parser("backfill", help="record every document changed since DATE (`run` sends them)")
    backfill.add_argument("source")
    backfill.add_argument("--since", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    backfill.set_defaults(func=backfill_command)


def _source(context: Any, name: str) -> Any:
    for cfg in context.settings.sources:
        if cfg.name == name:
            if cfg.adapter != "quickbooks":
                raise ConfigurationError(f"source {name!r} uses adapter {cfg.adapter!r}, not quickbooks")
            return cfg
    raise ConfigurationError(f"no source named {name!r} in the configuration")


def connect_command(args: argparse.Namespace) -> int:
    from connector.source_credentials import SourceSecrets
    from plugins.quickbooks.config import QuickBooksConfig
    from plugins.quickbooks.connect import CallbackServer, Connection
    from plugins.quickbooks.tokens import Tokens

    context = context_from(args)
    try:
        cfg = _source(context, args.source)
        config = QuickBooksConfig.model_validate(cfg.options)
        tokens = Tokens(config, SourceSecrets.for_context(context, cfg.name), cfg.name)
        if args.paste:
            connection = Connection(tokens)
            print(f"Open this address, sign in and choose the company:\n\n  {connection.start()}\n", flush=True)
            pasted = (
                input("Then paste the address your browser ended on: ") if sys.stdin.isatty() else sys.stdin.readline()
            )
            realm = connection.finish(pasted)
        else:
            with CallbackServer(config.redirect_uri) as server:
                connection = Connection(tokens, server.redirect_uri)
                print(f"Open this address, sign in and choose the company:\n\n  {connection.start()}\n", flush=True)
                print(f"Waiting for Intuit's redirect to {server.redirect_uri} ...", flush=True)
                realm = connection.finish(server.wait(args.timeout))
    finally:
        context.close()
    print(f"Connected QuickBooks company {realm} to source {args.source!r}; tokens stored encrypted.")
    return 0


def backfill_command(args: argparse.Namespace) -> int:
    from connector.pipeline import IngestReport, Pipeline, build_sources

    context = context_from(args)
    try:
        _source(context, args.source)
        sources = build_sources(context)
        source = sources[args.source]
        pipeline = Pipeline(context, sources)
        report = IngestReport()
        for document in source.adapter.backfill(args.since):  # type: ignore[union-attr]
            report.fetched += 1
            pipeline.record(source, document, report)
    finally:
        context.close()
    print(f"{args.source}: {report.fetched} document(s) read since {args.since}: {report.new} new, "
          f"{report.corrected} changed, {report.problems} need fixing; `etims-connector run` sends them")  # fmt: skip
    return 0
