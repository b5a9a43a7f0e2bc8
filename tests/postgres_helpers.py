"""A real PostgreSQL for the ledger tests: one new database per test (random name), dropped afterwards.

The server is the one on 127.0.0.1:5432 (trust auth, user postgres). Without it the tests skip with a
reason; with ETIMS_REQUIRE_SERVICES=1 (set by .ci/run) that skip is a failure, like the Redis fixture.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator

import pytest

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
ADMIN_URL = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres"


def postgres_reachable() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


def require_postgres() -> None:
    if not postgres_reachable():
        reason = f"no PostgreSQL server on {PG_HOST}:{PG_PORT}"
        if os.environ.get("ETIMS_REQUIRE_SERVICES"):
            pytest.fail(f"{reason}, and ETIMS_REQUIRE_SERVICES is set")
        pytest.skip(reason)


def create_database() -> tuple[str, str]:
    """(name, url) of a new, empty database."""
    import psycopg

    name = f"etims_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    return name, f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of a fresh PostgreSQL database for this test only."""
    require_postgres()
    name, url = create_database()
    try:
        yield url
    finally:
        drop_database(name)
