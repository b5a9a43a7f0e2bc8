"""`etims-connector ledger migrate`: move the SQLite ledger of this data dir into PostgreSQL."""

from __future__ import annotations

import argparse

from connector.commands.common import settings_from
from connector.errors import ConfigurationError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("ledger", help="the ledger database (SQLite file or PostgreSQL)")
    actions = parser.add_subparsers(dest="action", required=True)
    migrate = actions.add_parser(
        "migrate",
        help="copy this data dir's SQLite ledger into an empty PostgreSQL database and verify the copy",
    )
    migrate.add_argument(
        "--to",
        metavar="URL",
        help="postgresql://user@host:5432/dbname (default: the configured ledger_url; give a URL with a "
        "password through $ETIMS_LEDGER_URL rather than here, where other users' `ps` can see it)",
    )
    migrate.set_defaults(func=migrate_command)


def migrate_command(args: argparse.Namespace) -> int:
    from connector.db import is_postgres_url, open_database
    from connector.db_postgres import open_postgres, redacted
    from connector.instance_lock import InstanceLock
    from connector.ledger.migrate import migrate

    settings = settings_from(args)
    url = args.to or settings.ledger_target
    if not is_postgres_url(url):
        raise ConfigurationError("give the target with --to postgresql://… (or set ledger_url / $ETIMS_LEDGER_URL)")
    if not settings.database_path.exists():
        raise ConfigurationError(f"no SQLite ledger at {settings.database_path}: nothing to migrate")
    with InstanceLock(settings.data_dir):  # `run` on this data dir would keep writing to the old ledger
        source, target = open_database(settings.database_path), open_postgres(url)
        try:
            report = migrate(source, target)
        finally:
            target.close()
    for table, count in report.counts.items():
        print(f"  {table}: {count} rows")
    for device, (highest, next_number) in report.last_numbers.items():
        print(f"  device {device}: last invcNo {highest}, next {next_number}")
    if report.problems:
        for problem in report.problems:
            print(f"  ! {problem}")
        print("migration NOT verified: keep using the SQLite ledger")
        return 1
    print(f"done: {settings.database_path} copied to {redacted(url)} and verified (counts per table, invoice numbers "
          "per device; leases are not copied).")  # fmt: skip
    print("Next: set ledger_url (or [ledger] url) to it on every host, give every host the same ETIMS_SECRET_KEY "
          f"(or a copy of {settings.data_dir / 'secret.key'}), and start `run`.")  # fmt: skip
    return 0
