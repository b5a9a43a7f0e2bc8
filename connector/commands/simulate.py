"""`etims-connector simulate`: the local KRA simulator, for tests, demos and offline development."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("simulate", help="run a local KRA eTIMS simulator (127.0.0.1 by default)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8088)
    parser.add_argument("--profile", choices=("legacy", "gavaconnect"), default="legacy",
                        help="gavaconnect validates amounts and item codes strictly")  # fmt: skip
    parser.add_argument("--state", help="keep state in this SQLite file (default: memory)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="fraction of calls given a fault")
    parser.add_argument("--fault-codes", default="894", help="comma-separated: 894, 999, 503 …")
    parser.add_argument("--commit-then-timeout-rate", type=float, default=0.0,
                        help="fraction of accepted sales recorded but never answered")  # fmt: skip
    parser.add_argument("--seed", type=int)
    parser.add_argument("--no-stock-check", action="store_true",
                        help="gavaconnect: accept sales of goods beyond the stock on record")  # fmt: skip
    parser.set_defaults(func=simulate_command)


def simulate_command(args: argparse.Namespace) -> int:
    from connector.kra.simulator import SimulatorConfig, serve_forever

    serve_forever(
        SimulatorConfig(
            host=args.host,
            port=args.port,
            profile=args.profile,
            state_path=args.state,
            latency_seconds=args.latency,
            fault_rate=args.fault_rate,
            fault_codes=tuple(c.strip() for c in args.fault_codes.split(",") if c.strip()),
            commit_then_timeout_rate=args.commit_then_timeout_rate,
            seed=args.seed,
            stock_enforced=False if args.no_stock_check else None,
        )
    )
    return 0
