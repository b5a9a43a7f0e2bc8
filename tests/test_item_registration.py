"""Item registration per PIN happens once per item: many devices of one PIN, at once, against the simulator over
HTTP (threads, and several processes), with the ledger on SQLite and on PostgreSQL; a claim whose owner died or
expired is taken over; a document waiting for another worker's answer is left as it was."""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from connector import item_registration
from connector.clock import EAT
from connector.config import Settings
from connector.context import Context
from connector.ledger import QUEUED, Ledger, leases
from connector.ledger import items as item_store
from connector.ledger.schema import SIGNED
from connector.models import Invoice, ItemRef, Line, Party, Tax
from connector.pipeline import Pipeline, Source, default_mapping
from connector.sending import DeviceSender, Waiting
from tests.conftest import PIN, initialise_all, make_settings
from tests.postgres_helpers import postgres_url  # noqa: F401  (a fixture)

DEVICES, ITEMS = 20, 20


@pytest.fixture(params=["sqlite", "postgresql"])
def many(request: pytest.FixtureRequest, tmp_path: Path, simulator) -> Iterator[Settings]:
    """DEVICES devices of one PIN on the simulator (20 ms a call), the ledger on each backend in turn."""
    settings = make_settings(tmp_path, simulator.legacy_base, devices=DEVICES)
    if request.param == "postgresql":
        settings.ledger.url = SecretStr(request.getfixturevalue("postgres_url"))
    settings.queue.backoff_base_seconds = 0.2
    settings.queue.backoff_max_seconds = 1.0
    initialise_all(settings).close()
    simulator.set_faults(latency_seconds=0.02)
    yield settings


def invoice(number: str, branch: str, items: list[int]) -> Invoice:
    lines = [
        Line(item=ItemRef(code=f"ITEM-{i:02d}", name=f"Item {i}", category="goods"), description=f"Item {i}",
             quantity=Decimal("1"), unit="pcs", unit_price=Decimal("116.00"), price_includes_vat=True,
             taxes=[Tax(code="VAT16")])
        for i in items
    ]
    return Invoice(source="test", external_id=number, number=number, kind="invoice",
                   issued_at=datetime(2026, 11, 20, 9, 0, tzinfo=EAT), branch=branch,
                   buyer=Party(name="Ralph Jr", pin="A000123456F"), lines=lines)  # fmt: skip


def record_all(settings: Settings) -> None:
    """Every device's first sale holds all ITEMS (each device starting at another item), its second three."""
    context = Context(settings)
    pipeline = Pipeline(context, {})
    source = Source("test", None, default_mapping("test"), settings.device())
    for d, device in enumerate(settings.devices):
        first = [(d + i) % ITEMS for i in range(ITEMS)]
        for n, items in enumerate([first, first[:3]]):
            pipeline.record_invoice(invoice(f"D{d:02d}-{n}", device.name, items), source, {})
    context.close()


def drain_devices(settings: Settings, keys: list[str], start: Any) -> None:
    """One thread per device, released together, each draining its device until nothing is left."""

    def work(key: str) -> None:
        context = Context(settings)
        pipeline = Pipeline(context, {})
        start.wait()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                wait = pipeline.drain(key)
            except Exception as exc:  # what the queue does with a failed drain task: it runs again
                print(f"drain of {key} failed, again: {exc!r}", flush=True)
                wait = 0.2
            if wait is None:
                break
            time.sleep(min(wait, 0.2))
        context.close()

    threads = [threading.Thread(target=work, args=(key,)) for key in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)


def save_item_calls(ledger: Ledger) -> dict[str, int]:
    """saveItem calls per item code, from the ledger's exchanges (one row per call)."""
    rows = dict(ledger.db.execute("SELECT id, request FROM exchanges WHERE endpoint = 'saveItem'").fetchall())
    counts: dict[str, int] = {}
    for request in rows.values():
        body = json.loads(request)
        if "same_as_exchange" in body:  # a call that repeated the document's previous one exactly
            body = json.loads(rows[body["same_as_exchange"]])
        counts[body["itemCd"]] = counts.get(body["itemCd"], 0) + 1
    return counts


def assert_registered_once(settings: Settings, simulator) -> None:
    ledger = Ledger(Context(settings).db)
    states = [r[0] for r in ledger.db.execute("SELECT state FROM documents").fetchall()]
    reasons = ledger.db.execute("SELECT number, state, reason FROM documents WHERE state NOT IN ('accepted',"
                                " 'written-back') LIMIT 3").fetchall()  # fmt: skip
    assert len(states) == 2 * DEVICES and all(s in SIGNED for s in states), reasons
    items = ledger.db.execute("SELECT item_code, state FROM items WHERE pin = ?", [PIN]).fetchall()
    assert len(items) == ITEMS and {s for _, s in items} == {item_store.REGISTERED}
    calls = save_item_calls(ledger)
    assert calls == {code: 1 for code, _ in items}, f"{sum(calls.values())} saveItem calls for {ITEMS} items"
    assert sorted(int(code[-7:]) for code, _ in items) == list(range(1, ITEMS + 1))  # dense, from 1
    at_kra = simulator.store.records("item", tin=PIN, bhf_id="")
    assert sorted(r.body["itemCd"] for r in at_kra) == sorted(code for code, _ in items)


def test_many_devices_of_one_pin_register_each_item_once(many: Settings, simulator) -> None:
    record_all(many)
    drain_devices(many, [d.key for d in many.devices], threading.Barrier(DEVICES))
    assert_registered_once(many, simulator)


def _process(settings: Settings, keys: list[str], start: Any) -> None:
    drain_devices(settings, keys, start)


def test_many_processes_register_each_item_once(many: Settings, simulator) -> None:
    record_all(many)
    keys = [d.key for d in many.devices]
    # spawn, not fork: a forked child would inherit SQLite's state for the ledger file this process has open (its
    # locks then do not hold there, and commits are lost: sqlite.org/howtocorrupt.html, 2.6)
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(DEVICES, timeout=60)  # every device thread of every process, released together
    procs = [context.Process(target=_process, args=(many, keys[i::4], start)) for i in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(180)
    assert [p.exitcode for p in procs] == [0] * 4
    assert_registered_once(many, simulator)


# ---------------------------------------------------------------- claims of dead, expired and live owners


def one_device(settings: Settings, simulator) -> tuple[Context, DeviceSender, Any]:
    record_all(settings)
    context = Context(settings)
    sender = DeviceSender(Pipeline(context, {}), settings.devices[0])
    doc = context.ledger.head_of_device(settings.devices[0].key)
    return context, sender, doc


def claim_for(db: Any, owner: str, expires_at: float) -> None:
    """What a worker that reserved ITEM-00 (sequence 1) and then stopped leaves behind."""
    db.execute("INSERT INTO item_sequences (pin, next_sequence, claimed_by, claim_expires) VALUES (?, 2, ?, ?)",
               [PIN, owner, expires_at])  # fmt: skip
    db.execute("INSERT INTO items (pin, source_code, item_code, state) VALUES (?, 'ITEM-00', 'KE2NTNO0000001',"
               " 'reserved')", [PIN])  # fmt: skip


def test_a_claim_of_a_dead_process_is_taken_over_and_its_code_sent_again(many: Settings, simulator) -> None:
    context, sender, doc = one_device(many, simulator)
    dead = multiprocessing.get_context("fork").Process(target=time.sleep, args=(0,))
    dead.start()
    dead.join()
    claim_for(context.db, f"{leases.HOST}:{dead.pid}:0badc0de:1", time.time() + 600)
    sender.step(doc)
    assert context.ledger.get(doc.id).state in SIGNED
    calls = save_item_calls(context.ledger)
    assert calls["KE2NTNO0000001"] == 1 and len(calls) == ITEMS  # the reserved code itself, once; no new code
    claim = context.db.execute("SELECT claimed_by FROM item_sequences WHERE pin = ?", [PIN]).fetchone()[0]
    assert claim is None  # given up after the answer


def test_a_live_claim_of_another_host_makes_the_document_wait_untouched_until_it_expires(
    many: Settings, simulator
) -> None:
    context, sender, doc = one_device(many, simulator)
    claim_for(context.db, "another-host:4242:abcdef01:1", time.time() + 600)
    sending_wait, item_registration.ITEM_WAIT_SECONDS = item_registration.ITEM_WAIT_SECONDS, 0.3
    try:
        with pytest.raises(Waiting):
            sender.step(doc)
    finally:
        item_registration.ITEM_WAIT_SECONDS = sending_wait
    after = context.ledger.get(doc.id)
    assert (after.state, after.attempts, after.invoice_number) == (QUEUED, doc.attempts, None)
    assert save_item_calls(context.ledger) == {}  # nothing sent while the other host may be registering
    context.db.execute("UPDATE item_sequences SET claim_expires = ? WHERE pin = ?", [time.time() - 1, PIN])
    sender.step(doc)
    assert context.ledger.get(doc.id).state in SIGNED
    assert save_item_calls(context.ledger)["KE2NTNO0000001"] == 1


def test_a_waiter_in_this_process_uses_the_code_once_the_owner_has_its_answer(many: Settings, simulator) -> None:
    """The second worker wakes on the owner's answer and sends nothing (ledger level, no sleep-and-hope)."""
    context = Context(many)
    Ledger(context.db)
    entered, answered = threading.Event(), threading.Event()
    sent: list[str] = []

    def slow_send(code: str) -> item_store.Answer:
        sent.append(code)
        entered.set()
        answered.wait(5)
        return "registered"

    owner_code: list[str | None] = []
    owner = threading.Thread(target=lambda: owner_code.append(item_store.register(
        Context(many).db, PIN, "X", lambda n: f"KE2NTNO{n:07d}", slow_send, ttl=60, wait_seconds=5)))  # fmt: skip
    owner.start()
    assert entered.wait(5)

    def must_not_send(code: str) -> item_store.Answer:
        raise AssertionError("the waiter sent saveItem itself")

    threading.Timer(0.2, answered.set).start()
    started = time.monotonic()
    code = item_store.register(context.db, PIN, "X", lambda n: f"KE2NTNO{n:07d}", must_not_send, ttl=60,
                               wait_seconds=5)  # fmt: skip
    owner.join(5)
    assert code == owner_code[0] == "KE2NTNO0000001" and sent == [code]
    assert time.monotonic() - started < 1.0  # woken by the answer, not by a timeout
