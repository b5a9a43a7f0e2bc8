"""The sender distrusts KRA too: a number that may be signed is verified by read-back and never given away,
repeated unknowns back off, and a document that fails while being sent is that document's failure only.
Real simulator over HTTP, real ledger; the sender is driven through `Pipeline.drain`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connector.context import Context
from connector.kra.simulator import Simulator, SimulatorConfig, start_simulator
from connector.ledger import NEEDS_FIX, RETRY_WAIT, SENDING, UNKNOWN, Ledger
from connector.ledger.schema import SIGNED
from connector.pipeline import Pipeline, Source, default_mapping
from connector.sending import DeviceSender, Waiting
from tests.conftest import PIN, initialise_all, make_settings
from tests.pipeline_helpers import make_invoice

KEY = f"{PIN}/00"


class Rig:
    def __init__(self, tmp_path: Path, sim: Simulator) -> None:
        self.sim = sim
        self.settings = make_settings(tmp_path, sim.legacy_base)
        self.settings.queue.backoff_base_seconds = 0.5
        self.settings.queue.backoff_max_seconds = 30
        self.context: Context = initialise_all(self.settings)
        self.pipeline = Pipeline(self.context, {})
        self.source = Source("test", None, default_mapping("test"), self.settings.device())
        self.ledger: Ledger = self.context.ledger

    def record(self, *numbers: str, **changes: Any) -> list[int]:
        return [self.pipeline.record_invoice(make_invoice(n, **changes), self.source, {"n": n}) for n in numbers]

    def drain(self, seconds: float = 20.0, until: Callable[[], bool] | None = None) -> None:
        """Drain the device like the queue would (sleeping the waits it asks for), for at most `seconds`."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            wait = self.pipeline.drain(KEY, budget_seconds=5)
            if (until is not None and until()) or (until is None and wait is None):
                return
            time.sleep(min(max(wait or 0.0, 0.01), 0.2))

    def states(self) -> list[str]:
        return [d.state for d in self.ledger.documents()]

    def released(self) -> int:
        return self.ledger.db.execute("SELECT COUNT(*) FROM events WHERE detail LIKE '%released)%'").fetchone()[0]

    def calls(self, endpoint: str) -> int:
        query = "SELECT COUNT(*) FROM exchanges WHERE endpoint = ?"
        return self.ledger.db.execute(query, [endpoint]).fetchone()[0]


@pytest.fixture
def sequence_sim() -> Iterator[Simulator]:
    """A KRA that answers a resent signed number with a sequence error, as the live one does."""
    with start_simulator(SimulatorConfig(port=0, seed=5, duplicate_answer="sequence")) as sim:
        yield sim


@pytest.fixture
def rig(tmp_path: Path, sequence_sim: Simulator) -> Iterator[Rig]:
    rig = Rig(tmp_path, sequence_sim)
    yield rig
    rig.context.close()


@pytest.mark.parametrize("fault", ["502", "503", "999", "truncate"])
def test_a_gateway_error_after_kra_committed_is_read_back_not_resent_and_no_number_is_released(
    rig: Rig, fault: str
) -> None:
    rig.sim.faults.update({"after_commit": fault, "after_commit_rate": 1.0})
    rig.record("A-1", "A-2", "A-3")
    rig.drain()
    assert rig.states() == ["accepted"] * 3
    assert rig.sim.signature_counts()[KEY] == {1: 1, 2: 1, 3: 1}
    assert rig.released() == 0
    receipts = {d.invoice_number: d.receipt["signature"] for d in rig.ledger.documents()}
    assert receipts == {s["invcNo"]: s["receipt"]["rcptSign"] for s in rig.sim.sales()}


def test_a_000_with_a_spoilt_receipt_takes_the_real_receipt_from_the_read_back(rig: Rig) -> None:
    rig.sim.faults.update({"after_commit": "no-signature", "after_commit_rate": 1.0})
    rig.record("B-1", "B-2")
    rig.drain()
    signatures = [d.receipt["signature"] for d in rig.ledger.documents()]
    assert signatures == [s["receipt"]["rcptSign"] for s in rig.sim.sales()] and all(len(s) == 16 for s in signatures)
    assert all(d.receipt["qr_url"].endswith(d.receipt["signature"]) for d in rig.ledger.documents())


def test_a_sequence_refusal_of_a_number_that_may_be_signed_is_read_back_never_released(rig: Rig) -> None:
    """What a lagging read-back leads to: 502 after the commit, "not found", a resend → "expected: 2"."""
    (doc_id,) = rig.record("C-1")
    rig.sim.faults.update({"after_commit": "502", "after_commit_rate": 1.0})
    sender = DeviceSender(rig.pipeline, rig.settings.device())
    sender.step(rig.ledger.get(doc_id))  # sent; KRA signed it and answered 502
    assert rig.ledger.get(doc_id).state == UNKNOWN
    rig.ledger.transition(doc_id, SENDING, "read-back said not found (lagging)", attempts=2)
    with pytest.raises(Waiting):
        sender.post(doc_id, rig.ledger.get(doc_id).request)  # the resend: "Invalid invcNo sequence, expected: 2"
    doc = rig.ledger.get(doc_id)
    assert (doc.state, doc.invoice_number, rig.released()) == (UNKNOWN, 1, 0)
    assert rig.ledger.next_number(KEY) == 2
    alerts = [r[0] for r in rig.ledger.db.execute("SELECT message FROM alerts WHERE kind = 'conflict'")]
    assert alerts and "expected: 2" in alerts[0]
    sender.resolve(rig.ledger.get(doc_id))  # the read-back now finds it: that receipt is taken
    assert rig.ledger.get(doc_id).state == "accepted"
    assert rig.ledger.get(doc_id).receipt["signature"] == rig.sim.sales()[0]["receipt"]["rcptSign"]


def test_a_kra_that_records_nothing_is_asked_with_backoff_and_its_repeats_are_stored_small(rig: Rig) -> None:
    rig.sim.faults.update({"forgetful": True})
    (doc_id,) = rig.record("D-1")
    rig.drain(seconds=3.0, until=lambda: False)  # before: ~17 calls per second, every body stored in full
    saves, reads = rig.calls("saveTrnsSalesOsdc"), rig.calls("selectInvoiceDetails")
    assert 2 <= saves <= 6 and reads <= saves
    assert rig.ledger.get(doc_id).state == UNKNOWN  # never signed, never given away
    rows = rig.ledger.db.execute("SELECT request FROM exchanges WHERE document_id = ? ORDER BY id", [doc_id])
    requests = [r[0] for r in rows]
    assert sum('"same_as_exchange"' in r for r in requests) >= saves + reads - 3  # one full body per kind of call


def test_995_keeps_the_number_and_waits(rig: Rig) -> None:
    rig.record("E-0")
    rig.drain()  # registers the item
    rig.sim.faults.update({"fault_rate": 1.0, "fault_codes": ["995"]})
    (doc_id,) = rig.record("E-1")
    rig.pipeline.drain(KEY)
    doc = rig.ledger.get(doc_id)
    assert (doc.state, doc.invoice_number) == (RETRY_WAIT, 2) and "995" in (doc.reason or "")


def test_a_document_holding_a_number_goes_before_an_older_one_queued_again(rig: Rig) -> None:
    (note,) = rig.record("F-CN", kind="credit_note", original="NOT-SIGNED")
    rig.record("F-0")
    rig.drain()  # the credit note needs fixing (its original is unknown); F-0 registers the item
    assert rig.ledger.get(note).state == NEEDS_FIX
    rig.sim.faults.update({"fault_rate": 1.0, "fault_codes": ["995"]})
    (invoice,) = rig.record("F-1")
    rig.pipeline.drain(KEY)
    assert rig.ledger.get(invoice).invoice_number == 2
    rig.pipeline.retry(note)  # older, queued again while invcNo 1 waits
    assert rig.ledger.head_of_device(KEY).id == invoice


def test_a_document_that_fails_while_being_sent_is_needs_fix_and_the_device_goes_on(rig: Rig) -> None:
    good_before = rig.record("G-1")
    poison = rig.ledger.record(
        source="test",
        external_id="G-POISON",
        kind="invoice",
        number="G-POISON",
        device_key=KEY,
        canonical='{"lines": "not an invoice"}',
        content_hash="x",
        source_ref={},
    ).document_id  # fmt: skip  (e.g. a canonical written by an older version, or input nothing bounded)
    rig.ledger.transition(poison, "queued", "queued for KRA")
    good_after = rig.record("G-2", "G-3")
    rig.drain()
    assert [rig.ledger.get(i).state in SIGNED for i in (*good_before, *good_after)] == [True] * 3
    doc = rig.ledger.get(poison)
    assert doc.state == NEEDS_FIX and doc.invoice_number is None
    assert "document test:G-POISON" in (doc.reason or "") and "ValidationError" in (doc.reason or "")
    assert rig.sim.signature_counts()[KEY] == {1: 1, 2: 1, 3: 1}
