"""The ledger's concurrency rules on both backends, from several processes at once (real SQLite file, real PostgreSQL):
invcNo allocation, recording, leases, item sequences. Plus what only PostgreSQL shows: two hosts and a lease."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connector.db import open_database, open_ledger
from connector.ledger import Ledger, leases
from connector.ledger import items as item_store
from tests.postgres_helpers import postgres_url  # noqa: F401  (a fixture)

PROCESSES = 4
DEVICES = ("P051234567A/00", "P051234567A/01")


def _open(target: str) -> Any:
    if target.startswith("postgresql://"):
        from connector.db_postgres import open_postgres

        return open_postgres(target)
    return open_database(Path(target))


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where the ledger lives: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "postgresql":
        yield request.getfixturevalue("postgres_url")
    else:
        yield str(tmp_path / "ledger.db")


def _in_processes(work: Callable[..., None], *args: Any) -> None:
    """Run `work(target, index, *args)` in PROCESSES processes started together; each must succeed."""
    context = multiprocessing.get_context("spawn")  # not fork: see test_item_registration
    start = context.Barrier(PROCESSES, timeout=60)  # released together, once every one has started
    procs = [context.Process(target=_gate, args=(start, work, i, *args)) for i in range(PROCESSES)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    assert [p.exitcode for p in procs] == [0] * PROCESSES


def _gate(start: Any, work: Callable[..., None], index: int, *args: Any) -> None:
    start.wait()
    work(index, *args)


def _record(ledger: Ledger, external_id: str, device_key: str) -> int:
    recorded = ledger.record(source="shop", external_id=external_id, kind="invoice", number=external_id,
                             device_key=device_key, canonical="{}", content_hash="h1", source_ref={})  # fmt: skip
    return recorded.document_id


# ---------------------------------------------------------------- invcNo allocation


def _allocate(index: int, target: str, ids: list[int]) -> None:
    ledger = Ledger(_open(target))
    for doc_id in ids[index::PROCESSES] + ids[::-1]:  # its share, then everyone's again (must be a no-op)
        doc = ledger.get(doc_id)
        ledger.allocate_number(doc_id, doc.device_key, "allocated")


def test_numbers_allocated_by_many_processes_are_unique_and_without_gaps(target: str) -> None:
    ledger = Ledger(_open(target))
    ids = [_record(ledger, f"INV-{i}", DEVICES[i % 2]) for i in range(120)]
    _in_processes(_allocate, target, ids)
    for device in DEVICES:
        numbers = sorted(d.invoice_number or 0 for d in ledger.documents("device_key = ?", [device]))
        assert numbers == list(range(1, 61))
        assert ledger.next_number(device) == 61
    allocated = [e for i in ids for e in ledger.events(i) if "allocated" in e["detail"]]
    assert len(allocated) == 120  # each document got one number, once


# ---------------------------------------------------------------- recording the same documents


def _record_all(index: int, target: str) -> None:
    ledger = Ledger(_open(target))
    for i in range(40):
        _record(ledger, f"SAME-{i}", DEVICES[0])


def test_the_same_documents_recorded_by_many_processes_are_stored_once(target: str) -> None:
    Ledger(_open(target))  # the schema, before the race (as `run` does at start)
    _in_processes(_record_all, target)
    ledger = Ledger(_open(target))
    docs = ledger.documents()
    assert sorted(d.external_id for d in docs) == sorted(f"SAME-{i}" for i in range(40))
    assert all(len(ledger.events(d.id)) == 1 for d in docs)  # one "recorded" event each


# ---------------------------------------------------------------- leases: one holder at a time


def _hold_and_count(index: int, target: str, rounds: int) -> None:
    """Take the lease, then increment a counter by read-sleep-write: only mutual exclusion keeps every increment."""
    db = _open(target)
    done = 0
    while done < rounds:
        if leases.acquire(db, "device", ttl=60) is None:
            continue
        value = int(db.execute("SELECT value FROM cursors WHERE name = 'counter'").fetchone()[0])
        time.sleep(0.002)
        db.execute("UPDATE cursors SET value = ? WHERE name = 'counter'", [str(value + 1)])
        leases.release(db, "device")
        done += 1


def test_a_lease_has_one_holder_at_a_time_across_processes(target: str) -> None:
    ledger = Ledger(_open(target))
    ledger.set_cursor("counter", "0")
    _in_processes(_hold_and_count, target, 25)
    assert ledger.cursor("counter") == str(PROCESSES * 25)


def test_a_lease_held_on_another_host_is_taken_over_only_when_it_expires(target: str) -> None:
    db = _open(target)
    Ledger(db)
    other = "another-host:4242:abcdef01:1"
    db.execute("INSERT INTO leases (device_key, owner, expires_at) VALUES ('d', ?, ?)", [other, time.time() + 60])
    assert leases.acquire(db, "d", ttl=30) is None  # pid 4242 means nothing here: not declared dead
    db.execute("UPDATE leases SET expires_at = ? WHERE device_key = 'd'", [time.time() - 1])
    me = leases.acquire(db, "d", ttl=30)
    assert me is not None and me.startswith(leases.HOST + ":")
    owner = db.execute("SELECT owner FROM leases WHERE device_key = 'd'").fetchone()[0]
    assert owner == me


# ---------------------------------------------------------------- item codes


def _reserve(index: int, target: str) -> None:
    db = _open(target)
    for i in range(15):
        item_store.reserve_sequence(db, "P051234567A", f"SHARED-{i}", lambda n: f"KE1NTXU{n:07d}")
        item_store.reserve_sequence(db, "P051234567A", f"OWN-{index}-{i}", lambda n: f"KE1NTXU{n:07d}")


def test_item_codes_reserved_by_many_processes_are_unique_and_dense(target: str) -> None:
    db = _open(target)
    Ledger(db)
    _in_processes(_reserve, target)
    rows = db.execute("SELECT source_code, item_code FROM items").fetchall()
    assert len(rows) == 15 + PROCESSES * 15
    sequences = sorted(int(code[-7:]) for _, code in rows)
    assert sequences == list(range(1, len(rows) + 1))
    assert db.execute("SELECT next_sequence FROM item_sequences").fetchone()[0] == len(rows) + 1


# ---------------------------------------------------------------- the same rules, both backends


def test_release_gives_back_only_the_last_number(target: str) -> None:
    ledger = Ledger(_open(target))
    first, second = _record(ledger, "R-1", DEVICES[0]), _record(ledger, "R-2", DEVICES[0])
    for doc_id in (first, second):
        ledger.transition(doc_id, "queued", "valid")
        ledger.allocate_number(doc_id, DEVICES[0], "allocated")
        ledger.transition(doc_id, "sending", "sending")
    with pytest.raises(Exception, match="not the last allocated"):
        ledger.release_number(first, DEVICES[0], "needs-fix", "rejected")
    assert ledger.get(first).invoice_number == 1  # the failed release changed nothing
    ledger.release_number(second, DEVICES[0], "needs-fix", "rejected")
    assert ledger.next_number(DEVICES[0]) == 2 and ledger.get(second).invoice_number is None
    assert ledger.get(second).state == "needs-fix"


def test_settings_choose_the_backend(tmp_path: Path, postgres_url: str) -> None:  # noqa: F811
    from connector.config import load_settings

    file = tmp_path / "etims-connector.toml"
    file.write_text(f'[ledger]\nurl = "{postgres_url}"\n')
    settings = load_settings(file, environ={})
    assert open_ledger(settings).dialect == "postgresql"
    assert not settings.database_path.exists()
    plain = tmp_path / "plain.toml"
    plain.write_text('data_dir = "d"\n')
    env = load_settings(plain, environ={"ETIMS_LEDGER_URL": postgres_url})
    assert env.ledger_target == postgres_url and "postgres" not in repr(env.ledger)
    sqlite = load_settings(plain, environ={})
    assert sqlite.ledger_target is None and open_ledger(sqlite).dialect == "sqlite"
    assert sqlite.database_path.exists()


def test_quotes_percent_signs_and_placeholders_mean_the_same_on_both(target: str) -> None:
    db = _open(target)
    Ledger(db)
    db.execute("INSERT INTO cursors (name, value) VALUES (?, '50% off?')", ["a?b"])
    assert db.execute("SELECT name, value FROM cursors WHERE value LIKE '%off?'").fetchall() == [("a?b", "50% off?")]
    assert db.execute("SELECT value FROM cursors WHERE name = ? AND value LIKE ?", ["a?b", "50%"]).fetchone() == (
        "50% off?",
    )


def test_status_reads_a_postgresql_ledger_with_no_ledger_file(
    tmp_path: Path,
    postgres_url: str,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    from connector.cli import main
    from connector.config import load_settings

    file = tmp_path / "etims-connector.toml"
    file.write_text(f'data_dir = "data"\nledger_url = "{postgres_url}"\n')
    ledger = Ledger(open_ledger(load_settings(file, environ={})))
    _record(ledger, "S-1", DEVICES[0])
    assert main(["--config", str(file), "status"]) == 0
    assert "pending 1" in capsys.readouterr().out
    assert not (tmp_path / "data" / "ledger.db").exists()


def test_a_postgresql_connection_dropped_by_the_server_is_opened_again(postgres_url: str) -> None:  # noqa: F811
    import psycopg

    from connector.db_postgres import open_postgres

    db = open_postgres(postgres_url)
    ledger = Ledger(db)
    doc_id = _record(ledger, "R-1", "P051234567A/00")
    pid = db.execute("SELECT pg_backend_pid()").fetchone()[0]
    with psycopg.connect(postgres_url, autocommit=True) as admin:  # the server restarts / a DBA kills it
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    assert ledger.get(doc_id).external_id == "R-1"  # one statement: sent again on a new connection
    assert db.execute("SELECT pg_backend_pid()").fetchone()[0] != pid
    assert ledger.allocate_number(doc_id, "P051234567A/00", "allocated") == 1  # transactions work again
