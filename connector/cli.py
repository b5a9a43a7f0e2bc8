"""The `etims-connector` command. Each command group lives in `connector/commands/<group>.py`."""

from __future__ import annotations

import argparse
import importlib
import sys

from connector import __version__, logs
from connector.errors import ConnectorError

COMMAND_MODULES = (
    "device",
    "source",
    "documents",
    "codes",
    "simulate",
    "payload",
    "operate",
    "csv",
    "demo",
    "receipt",
    "report",
    "odoo",
    "quickbooks",
    "ledger",
    "purchases",
    "stock",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="etims-connector", description="Make every ERP invoice a KRA eTIMS tax invoice."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--config", help="configuration file (default: $ETIMS_CONFIG or ./etims-connector.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every KRA call")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"connector.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.configure("DEBUG" if args.verbose else "WARNING")  # `run` applies the configured level and format
    try:
        return int(args.func(args) or 0)
    except ConnectorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (IsADirectoryError, NotADirectoryError, FileNotFoundError, PermissionError) as exc:
        print(f"error: {exc.filename}: {exc.strerror.lower() if exc.strerror else exc}", file=sys.stderr)
        return 2
    except UnicodeDecodeError as exc:
        print(f"error: a file is not UTF-8 text ({exc.reason} at byte {exc.start})", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
