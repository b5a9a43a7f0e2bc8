"""Working ahead (connector/sending_ahead.py): while an invoice is at KRA, the next one's new items are registered
and its request prepared — against the simulator over HTTP, with its latency, on one device. The numbers stay
gap-free, each request stored is the one sent, and a document changed while it was prepared is sent as changed."""

from __future__ import annotations

import itertools
import json
import threading
import time
from pathlib import Path

from connector.context import Context
from connector.ledger import Ledger
from connector.ledger.schema import SIGNED
from connector.pipeline import Pipeline, Source, default_mapping
from connector.sending import DeviceSender
from tests.conftest import initialise_all, make_settings
from tests.pipeline_helpers import make_invoice


def _pipeline(tmp_path: Path, simulator) -> tuple[Pipeline, Source]:
    settings = make_settings(tmp_path, simulator.legacy_base)
    initialise_all(settings).close()
    simulator.set_faults(latency_seconds=0.05)
    pipeline = Pipeline(Context(settings), {})
    return pipeline, Source("test", None, default_mapping("test"), settings.device())


def _sales(ledger: Ledger) -> list[dict]:
    return list(ledger.db.query("SELECT * FROM exchanges WHERE endpoint = 'saveTrnsSalesOsdc' ORDER BY id"))


def test_new_items_are_registered_while_the_invoice_before_is_at_kra(tmp_path: Path, simulator) -> None:
    pipeline, source = _pipeline(tmp_path, simulator)
    ids = [pipeline.record_invoice(make_invoice(f"INV-{i}", item=f"NEW-{i}"), source, {"n": i}) for i in range(6)]
    pipeline.drain(source.device.key, budget_seconds=30)

    ledger = pipeline.ledger
    docs = [ledger.get(i) for i in ids]
    assert all(d.state in SIGNED for d in docs)
    assert [d.invoice_number for d in docs] == [1, 2, 3, 4, 5, 6]
    items = {r["document_id"]: r["id"] for r in ledger.db.query("SELECT * FROM exchanges WHERE endpoint = 'saveItem'")}
    sales = {r["document_id"]: r for r in _sales(ledger)}
    assert len(items) == 6 and len(sales) == 6
    # The first item is registered in its document's turn; every later one while the invoice before was at KRA,
    # so its saveItem is on record before that invoice's answer.
    assert items[ids[0]] < sales[ids[0]]["id"]
    for before, after in itertools.pairwise(ids):
        assert items[after] < sales[before]["id"], f"document {after}'s item waited for document {before}"
    for doc in docs:  # the stored request is the one KRA got, with the document's own number
        sent = json.loads(sales[doc.id]["request"])
        assert sent == doc.request and sent["invcNo"] == doc.invoice_number and sent["trdInvcNo"] == doc.number


def test_a_document_discarded_while_prepared_is_never_sent(tmp_path: Path, simulator) -> None:
    """A queued document's content never changes (a correction in the source is ignored once it is queued), but
    it can be closed while it is being prepared: a person discards it. The one after it then gets its number."""
    pipeline, source = _pipeline(tmp_path, simulator)
    first = pipeline.record_invoice(make_invoice("INV-1", item="NEW-1"), source, {"n": 1})
    second = pipeline.record_invoice(make_invoice("INV-2", item="NEW-2"), source, {"n": 2})
    third = pipeline.record_invoice(make_invoice("INV-3", item="NEW-2", price="232.00"), source, {"n": 3})
    discarded = threading.Event()

    def discard_while_first_is_at_kra() -> None:
        other = Ledger(pipeline.context.db)  # this thread's own connection
        deadline = time.monotonic() + 20
        while other.get(first).state != "sending" and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(0.025)  # the second is prepared by now (the first's answer takes 50 ms)
        other.discard(second, "typed twice")
        discarded.set()

    worker = threading.Thread(target=discard_while_first_is_at_kra)
    worker.start()
    pipeline.drain(source.device.key, budget_seconds=30)
    worker.join()
    assert discarded.is_set()
    ledger = pipeline.ledger
    assert ledger.get(second).state == "discarded" and ledger.get(second).invoice_number is None
    assert ledger.get(third).state in SIGNED and ledger.get(third).invoice_number == 2
    sent = [json.loads(r["request"]) for r in _sales(ledger)]
    assert [(s["invcNo"], s["trdInvcNo"]) for s in sent] == [(1, "INV-1"), (2, "INV-3")]
    assert sent[1]["totAmt"] == 232


def _event_id(ledger: Ledger, document_id: int, detail_start: str) -> int:
    rows = [r["id"] for r in ledger.db.query("SELECT * FROM events WHERE document_id = ? ORDER BY id", [document_id])
            if r["detail"].startswith(detail_start)]  # fmt: skip
    assert len(rows) == 1, (document_id, detail_start, rows)
    return rows[0]


def test_the_next_invoice_is_numbered_and_sent_before_the_signed_one_is_recorded(tmp_path: Path, simulator, caplog):
    """Once invoice k's answer proves KRA signed it, k+1 (prepared meanwhile) is numbered and posted first, and
    k's receipt is written while k+1 is at KRA: in the ledger, k+1's allocation comes before k's acceptance."""
    pipeline, source = _pipeline(tmp_path, simulator)
    ids = [pipeline.record_invoice(make_invoice(f"INV-{i}", item="SAME"), source, {"n": i}) for i in range(6)]
    caplog.set_level("INFO", logger="connector.sending")
    pipeline.drain(source.device.key, budget_seconds=30)

    ledger = pipeline.ledger
    docs = [ledger.get(i) for i in ids]
    assert [d.invoice_number for d in docs] == [1, 2, 3, 4, 5, 6] and all(d.state in SIGNED for d in docs)
    for before, after in itertools.pairwise(ids):
        allocated = _event_id(ledger, after, "invcNo")
        assert allocated < _event_id(ledger, before, "signed by KRA"), f"{after} waited for {before}'s bookkeeping"
    sales = {r["document_id"]: json.loads(r["request"]) for r in _sales(ledger)}
    assert all(sales[d.id] == d.request and d.receipt and d.receipt["invoice_number"] == d.invoice_number
               for d in docs)  # fmt: skip
    assert [s["invcNo"] for s in simulator.sales()] == [1, 2, 3, 4, 5, 6]  # each signed once, in order
    said = [r.getMessage() for r in caplog.records if "accepted" in r.getMessage()]
    assert [m.split(" → ")[0] for m in said] == [d.label for d in docs]  # one line each, in order


def test_a_numbered_next_invoice_left_by_a_lost_lease_is_read_back_then_sent(tmp_path: Path, simulator) -> None:
    """The lease is lost right after k+1 was numbered (stored as sending) and before it was posted: k's receipt
    is still recorded, and the next drain reads k+1 back from KRA, finds it missing, and sends the same request."""
    pipeline, source = _pipeline(tmp_path, simulator)
    ids = [pipeline.record_invoice(make_invoice(f"INV-{i}", item="SAME"), source, {"n": i}) for i in range(3)]
    sender = DeviceSender(pipeline, source.device)
    sender.run(30, renew=lambda: False)  # one document, then the lease is gone

    ledger = pipeline.ledger
    first, second = ledger.get(ids[0]), ledger.get(ids[1])
    assert first.state in SIGNED and first.invoice_number == 1
    assert second.state == "sending" and second.invoice_number == 2 and second.request["invcNo"] == 2
    assert [s["invcNo"] for s in simulator.sales()] == [1]  # never posted
    stored = second.request

    pipeline.drain(source.device.key, budget_seconds=30)
    docs = [ledger.get(i) for i in ids]
    assert [d.invoice_number for d in docs] == [1, 2, 3] and all(d.state in SIGNED for d in docs)
    assert docs[1].request == stored
    endpoints = [r["endpoint"] for r in ledger.db.query(
        "SELECT endpoint FROM exchanges WHERE document_id = ? ORDER BY id", [ids[1]])]  # fmt: skip
    assert endpoints == ["selectInvoiceDetails", "saveTrnsSalesOsdc"]  # read back (not there), then sent once
    assert [s["invcNo"] for s in simulator.sales()] == [1, 2, 3]
