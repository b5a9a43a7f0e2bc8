"""The engine with the real huey consumer and the simulator over HTTP: order, rejections, outages,
timeouts after commit, crash leftovers, Redis with several consumers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr

from connector.adapters import SourceAdapter
from connector.config import Settings
from connector.context import Context
from connector.daemon import Daemon
from connector.ledger import NEEDS_FIX, Ledger
from connector.ledger.schema import SIGNED
from connector.pipeline import Source, default_mapping
from connector.testing import wait_for
from tests.conftest import PIN, initialise_all, make_settings
from tests.pipeline_helpers import all_final, leave_in_flight, make_invoice, numbers_by_device
from tests.postgres_helpers import postgres_url  # noqa: F401  (a fixture)


def start_daemon(settings: Settings, workers: int = 4) -> Daemon:
    daemon = Daemon(settings, sources={}, workers=workers)
    daemon.start()
    return daemon


@pytest.fixture(params=["sqlite", "postgresql"])
def fast(request: pytest.FixtureRequest, tmp_path: Path, simulator) -> Iterator[Settings]:
    """Three devices on the simulator, with the ledger on each backend in turn (one code path for the rules)."""
    settings = make_settings(tmp_path, simulator.legacy_base, devices=3)
    if request.param == "postgresql":
        settings.ledger.url = SecretStr(request.getfixturevalue("postgres_url"))
    settings.queue.backoff_base_seconds = 0.2
    settings.queue.backoff_max_seconds = 1.0
    initialise_all(settings).close()
    yield settings


def record(daemon_or_context: Daemon | Context, settings: Settings, invoices: list) -> None:
    context = daemon_or_context.context if isinstance(daemon_or_context, Daemon) else daemon_or_context
    pipeline = daemon_or_context.pipeline if isinstance(daemon_or_context, Daemon) else None
    if pipeline is None:
        from connector.pipeline import Pipeline

        pipeline = Pipeline(context, {})
    source = Source("test", None, default_mapping("test"), settings.device())
    for invoice in invoices:
        pipeline.record_invoice(invoice, source, {"test": invoice.number})


def signed_once(simulator, device_key: str, count: int) -> bool:
    return simulator.signature_counts().get(device_key, {}) == {n: 1 for n in range(1, count + 1)}


def test_each_device_signs_in_order_while_devices_run_in_parallel(fast: Settings, simulator) -> None:
    simulator.set_faults(latency_seconds=0.01)
    daemon = start_daemon(fast)
    try:
        branches = [d.name for d in fast.devices]
        record(daemon, fast, [make_invoice(f"INV-{i:03d}", branch=branches[i % 3]) for i in range(45)])
        ledger = Ledger(daemon.context.db)
        wait_for(lambda: all_final(ledger, 45), what="45 documents signed")
    finally:
        daemon.stop()
    numbers = numbers_by_device(ledger)
    assert numbers == {d.key: list(range(1, 16)) for d in fast.devices}  # recording order = number order
    for device in fast.devices:
        assert signed_once(simulator, device.key, 15)
        sold = [s["trdInvcNo"] for s in simulator.sales(PIN, device.branch)]
        assert sold == sorted(sold)


def test_a_rejected_document_releases_its_number_and_the_next_goes_on(fast: Settings, simulator) -> None:
    context = Context(fast)
    ledger = Ledger(context.db)
    # An item the ledger believes registered but KRA never saw: KRA refuses the sale (910).
    ledger.db.execute(
        "INSERT INTO items (pin, source_code, item_code, state) VALUES (?, 'GHOST', 'KE2NTNO0999999', 'registered')",
        [PIN],
    )
    record(context, fast, [make_invoice("A-1"), make_invoice("A-2", item="GHOST"), make_invoice("A-3")])
    daemon = start_daemon(fast)
    try:
        wait_for(lambda: all_final(ledger, 3), what="three documents final")
    finally:
        daemon.stop()
    docs = {d.number: d for d in ledger.documents()}
    assert docs["A-2"].state == NEEDS_FIX and docs["A-2"].invoice_number is None
    assert "910" in docs["A-2"].reason and "KE2NTNO0999999" in (docs["A-2"].reason + str(ledger.events(docs["A-2"].id)))
    assert (docs["A-1"].invoice_number, docs["A-3"].invoice_number) == (1, 2)  # no gap
    assert any("released" in e["detail"] for e in ledger.events(docs["A-2"].id))


def test_outage_backlog_drains_in_order_when_kra_returns(fast: Settings, simulator) -> None:
    simulator.set_faults(fault_rate=1.0, fault_codes=("894",))
    daemon = start_daemon(fast)
    ledger = Ledger(daemon.context.db)
    try:
        record(daemon, fast, [make_invoice(f"OUT-{i}") for i in range(6)])
        refused = "SELECT COUNT(*) FROM exchanges WHERE outcome = 'retry-later'"
        wait_for(lambda: ledger.db.execute(refused).fetchone()[0] >= 3, what="three refused attempts")
        assert not ledger.documents("state IN ('accepted', 'written-back')")
        simulator.set_faults(fault_rate=0.0)
        wait_for(lambda: all_final(ledger, 6), what="backlog drained")
    finally:
        daemon.stop()
    assert numbers_by_device(ledger) == {fast.device().key: [1, 2, 3, 4, 5, 6]}
    assert signed_once(simulator, fast.device().key, 6)


def test_commit_then_timeout_means_no_second_signature_and_no_gap(tmp_path: Path, simulator) -> None:
    settings = make_settings(tmp_path, simulator.legacy_base, timeout_seconds=0.5)
    settings.queue.backoff_base_seconds = 0.1
    initialise_all(settings).close()
    simulator.set_faults(commit_then_timeout_rate=0.5, commit_then_timeout_seconds=1.0)
    daemon = start_daemon(settings)
    ledger = Ledger(daemon.context.db)
    try:
        record(daemon, settings, [make_invoice(f"T-{i}") for i in range(10)])
        wait_for(lambda: all_final(ledger, 10), what="ten documents signed")
    finally:
        daemon.stop()
    assert numbers_by_device(ledger) == {settings.device().key: list(range(1, 11))}
    assert signed_once(simulator, settings.device().key, 10)
    read_backs = ledger.db.execute("SELECT COUNT(*) FROM exchanges WHERE endpoint = 'selectInvoiceDetails'").fetchone()
    assert read_backs[0] >= 1, "with a 50% timeout rate some sales must have been resolved by read-back"


def test_a_request_stored_but_never_sent_is_resent_with_the_same_number(fast: Settings, simulator) -> None:
    context = Context(fast)
    ledger = Ledger(context.db)
    record(context, fast, [make_invoice("CRASH-1")])
    doc = leave_in_flight(context, fast.device(), ledger.documents()[0])
    daemon = start_daemon(fast)
    try:
        wait_for(lambda: all_final(ledger, 1), what="resolved")
    finally:
        daemon.stop()
    exchanges = [r[0] for r in ledger.db.execute("SELECT endpoint FROM exchanges ORDER BY id").fetchall()]
    assert exchanges[-2:] == ["selectInvoiceDetails", "saveTrnsSalesOsdc"]  # looked first, then resent
    assert ledger.get(doc.id).invoice_number == 1 and signed_once(simulator, fast.device().key, 1)


def test_credit_note_queued_with_its_invoice_is_sent_after_it(fast: Settings, simulator) -> None:
    daemon = start_daemon(fast)
    ledger = Ledger(daemon.context.db)
    try:
        record(daemon, fast, [
            make_invoice("S-1", quantity="2"),
            make_invoice("CN-1", kind="credit_note", original="S-1"),
            make_invoice("CN-2", kind="credit_note", original="S-1", quantity="5"),  # more than remains
        ])  # fmt: skip
        wait_for(lambda: all_final(ledger, 3), what="final")
    finally:
        daemon.stop()
    docs = {d.number: d for d in ledger.documents()}
    assert docs["CN-1"].state in SIGNED and docs["CN-1"].request["orgInvcNo"] == docs["S-1"].invoice_number
    assert docs["CN-1"].request["rcptTyCd"] == "R"
    assert docs["CN-2"].state == NEEDS_FIX and "quantity" in docs["CN-2"].reason


def test_redis_queue_with_two_consumers(tmp_path: Path, simulator, redis_url: str) -> None:
    settings = make_settings(tmp_path, simulator.legacy_base, devices=2)
    settings.queue.redis_url = redis_url
    settings.queue.name = f"etims-test-{uuid.uuid4().hex[:8]}"
    initialise_all(settings).close()
    simulator.set_faults(latency_seconds=0.01)
    first, second = start_daemon(settings, workers=3), start_daemon(settings, workers=3)
    ledger = Ledger(first.context.db)
    try:
        record(first, settings, [make_invoice(f"R-{i:02d}", branch=f"branch0{i % 2}") for i in range(30)])
        wait_for(lambda: all_final(ledger, 30), what="thirty documents signed through Redis")
    finally:
        first.stop()
        second.stop()
        first.queue.huey.storage.flush_all()
    assert numbers_by_device(ledger) == {d.key: list(range(1, 16)) for d in settings.devices}
    for device in settings.devices:
        assert signed_once(simulator, device.key, 15)


def test_gavaconnect_profile_end_to_end_through_the_strict_simulator(tmp_path: Path) -> None:
    from connector.kra.simulator import SimulatorConfig, start_simulator

    config = SimulatorConfig(port=0, profile="gavaconnect", oauth_clients={"key-1": "secret-1"}, stock_enforced=False)
    with start_simulator(config) as sim:
        settings = make_settings(
            tmp_path, sim.gavaconnect_base, profile="gavaconnect", token_url=sim.token_url,
            consumer_key="key-1", consumer_secret="secret-1", apigee_app_id="app-1",
        )  # fmt: skip
        settings.stock.report = "off"  # amounts and items, not stock (tests/test_stock_flow.py is about stock)
        initialise_all(settings).close()
        daemon = start_daemon(settings)
        ledger = Ledger(daemon.context.db)
        try:
            record(daemon, settings, [
                make_invoice("G-1", price="100.00", item="SOAP"),
                make_invoice("G-2", price="33.33", quantity="3", item="SALT", tax="VAT8"),
                make_invoice("G-3", price="1392.00", item="OIL", tax="EXEMPT"),
                make_invoice("G-CN", kind="credit_note", original="G-1", price="100.00", item="SOAP"),
            ])  # fmt: skip
            wait_for(lambda: all_final(ledger, 4), what="four documents final")
        finally:
            daemon.stop()
        docs = {d.number: d for d in ledger.documents()}
        assert all(d.state in SIGNED for d in docs.values()), {n: d.reason for n, d in docs.items()}
        assert sim.signature_counts()[f"{PIN}/00"] == {1: 1, 2: 1, 3: 1, 4: 1}
        assert docs["G-1"].request["itemList"][0]["taxblAmt"] == Decimal("86.21")
        assert docs["G-CN"].request["rfdDt"] and docs["G-CN"].request["orgInvcNo"] == 1
        codes = sorted(r[0] for r in ledger.db.execute("SELECT item_code FROM items").fetchall())
        assert [c[-7:] for c in codes] == ["0000001", "0000002", "0000003"]  # strict per-PIN sequence


def test_credit_note_arriving_before_its_invoice_goes_once_the_invoice_is_signed(fast: Settings, simulator) -> None:
    daemon = start_daemon(fast)
    ledger = Ledger(daemon.context.db)
    try:
        record(daemon, fast, [make_invoice("EARLY-CN", kind="credit_note", original="LATE-1")])
        wait_for(lambda: all_final(ledger, 1), what="the credit note refused for now")
        assert "original" in ledger.documents()[0].reason
        record(daemon, fast, [make_invoice("LATE-1")])
        wait_for(lambda: len(ledger.documents("state IN ('accepted', 'written-back')")) == 2, what="both signed")
    finally:
        daemon.stop()
    docs = {d.number: d for d in ledger.documents()}
    assert (docs["LATE-1"].invoice_number, docs["EARLY-CN"].invoice_number) == (1, 2)
    assert docs["EARLY-CN"].request["orgInvcNo"] == 1


class NoOptions(BaseModel):
    pass


class FlakyErp(SourceAdapter):
    """A source whose write-back fails a few times (an ERP that is down), then works."""

    name = "flaky"
    Config = NoOptions

    def __init__(self, failures: int) -> None:
        super().__init__(self.Config(), default_mapping("test"), "test")
        self.failures = failures
        self.written: dict[str, str] = {}

    def fetch_new(self, cursor):
        return iter(())

    def to_canonical(self, document):
        raise NotImplementedError

    def write_back(self, ref, receipt) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("ERP is down")
        self.written[ref["test"]] = receipt.signature


def test_a_failing_write_back_is_retried_on_its_own_and_never_blocks_sending(fast: Settings, simulator) -> None:
    fast.queue.write_back_retry_seconds = 0.2
    erp = FlakyErp(failures=3)
    daemon = Daemon(fast, sources={"test": Source("test", erp, default_mapping("test"), fast.device())}, workers=4)
    daemon.start()
    ledger = Ledger(daemon.context.db)
    try:
        record(daemon, fast, [make_invoice(f"WB-{i}") for i in range(5)])
        wait_for(lambda: len(ledger.documents("state = 'accepted' OR state = 'written-back'")) == 5, what="all signed")
        wait_for(lambda: len(ledger.documents("state = 'written-back'")) == 5, what="all written back")
    finally:
        daemon.stop()
    assert sorted(erp.written) == [f"WB-{i}" for i in range(5)]
    failed = ledger.documents("write_back_attempts > 0")
    assert failed and all(d.state == "written-back" and d.write_back_error is None for d in failed)
    assert any("write-back failed" in e["detail"] for e in ledger.events(failed[0].id))


def test_a_device_out_of_step_with_kra_pauses_without_blaming_the_documents(fast: Settings, simulator) -> None:
    context = Context(fast)
    ledger = Ledger(context.db)
    key = fast.device().key
    ledger.db.execute("INSERT INTO sequences (device_key, next_invoice_number) VALUES (?, 5)", [key])
    record(context, fast, [make_invoice("STEP-1"), make_invoice("STEP-2")])
    daemon = start_daemon(fast)
    try:
        wait_for(lambda: ledger.db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0] >= 1, what="an alert")
    finally:
        daemon.stop()
    docs = ledger.documents()
    assert [d.state for d in docs] == ["retry-wait", "queued"]  # nothing marked needs-fix
    assert "expected: 1 but found: 5" in docs[0].reason and docs[0].invoice_number is None
    assert ledger.next_number(key) == 5  # the allocated number was given back
    alert = ledger.db.execute("SELECT kind, message FROM alerts").fetchone()
    assert alert[0] == "configuration" and "expected: 1 but found: 5" in alert[1]
    assert simulator.signature_counts().get(key, {}) == {}
