"""A worker that lost its device's lease while preparing a document finds, at allocation, that another worker
moved the device's sequence: nothing is allocated, and the document is not its problem — it stays queued, unmarked,
and the device tries again (before: needs-fix "could not be prepared for KRA")."""

from __future__ import annotations

import pytest

from connector.context import Context
from connector.ledger import QUEUED
from connector.ledger.store import SequenceMoved
from connector.mapping import load_mapping
from connector.pipeline import Pipeline, Source
from connector.sending import DeviceSender
from tests.pipeline_helpers import make_invoice


def test_a_sequence_moved_by_another_worker_refuses_the_allocation_and_leaves_the_document_queued(
    context: Context,
) -> None:
    pipeline = Pipeline(context, {})
    device = context.settings.devices[0]
    source = Source("test", None, load_mapping("csv"), device)
    first = pipeline.record_invoice(make_invoice("INV-1"), source, {})
    second = pipeline.record_invoice(make_invoice("INV-2"), source, {})
    ledger = context.ledger
    built_with = ledger.next_number(device.key)  # what this worker built INV-2 with, before it lost the lease
    ledger.allocate_and_move(first, device.key, built_with, "sending", "another worker's allocation")
    with pytest.raises(SequenceMoved, match=r"is not device .*'s next"):
        ledger.allocate_and_move(second, device.key, built_with, "sending", "ours")
    assert ledger.get(second).invoice_number is None

    sender = DeviceSender(pipeline, device)
    try:
        raise SequenceMoved(f"invcNo {built_with} is not device {device.key}'s next ({built_with + 1})")
    except SequenceMoved as exc:
        wait = sender.poisoned(ledger.get(second), exc)
    doc = ledger.get(second)
    assert wait == 1.0 and doc.state == QUEUED and doc.reason is None  # tried again, nothing marked
