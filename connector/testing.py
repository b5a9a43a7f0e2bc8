"""A conformance suite every source adapter runs, built-in or third-party.

A plugin provides a harness that knows how to set up its source with sample documents and how to
read back what `write_back` wrote; one line in its test file then runs the whole suite:

    TestMyAdapter = conformance_suite(MyHarness)

The harness (a plain class; `tmp_path` is pytest's temporary folder):

    class MyHarness:
        def make_adapter(self, tmp_path) -> SourceAdapter: ...   # a source holding ≥ 1 invoice
        def written_back(self, adapter, ref) -> str | None: ...  # the KRA signature the source now shows
        # only for an adapter that `Listens`: a genuine webhook request announcing `document`
        def webhook_for(self, adapter, document) -> tuple[dict[str, str], bytes]: ...
        # optional: a forged one (default: the genuine one with a byte added, for a signature over the body;
        # an ERP that authenticates with a token instead gives the request with a wrong token)
        def forged_webhook_for(self, adapter, document) -> tuple[dict[str, str], bytes]: ...
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import pytest
from pydantic import BaseModel

from connector.adapters import Listens, SourceAdapter, SourceDocument, adapter_class
from connector.clock import EAT
from connector.models import Invoice, Receipt, receipt_qr_url

SAMPLE_SIGNATURE = "QUII27MATATSHFRB"


class AdapterHarness(Protocol):
    def make_adapter(self, tmp_path: Any) -> SourceAdapter: ...

    def written_back(self, adapter: SourceAdapter, ref: dict[str, Any]) -> str | None: ...


def wait_for(condition: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def sample_receipt(invoice_number: int = 1) -> Receipt:
    return Receipt(
        invoice_number=invoice_number,
        receipt_number=invoice_number,
        total_receipt_number=invoice_number,
        internal_data="EAHSAV6ECUUXSY6PCCJYAUP6MI",
        signature=SAMPLE_SIGNATURE,
        signed_at=datetime(2026, 11, 22, 10, 30, tzinfo=EAT),
        scu_id="KRACU013000001",
        mrc_number="WIS01000150",
        qr_url=receipt_qr_url("P051234567A", "00", SAMPLE_SIGNATURE, production=False),
    )


def conformance_suite(harness_class: type) -> type:
    """A pytest test class checking the adapter contract against `harness_class`."""

    class AdapterConformance:
        @pytest.fixture
        def harness(self) -> Any:
            return harness_class()

        @pytest.fixture
        def adapter(self, harness: Any, tmp_path: Any) -> Any:
            adapter = harness.make_adapter(tmp_path)
            yield adapter
            adapter.close()

        @pytest.fixture
        def fetched(self, adapter: SourceAdapter) -> list[tuple[SourceDocument, str | None]]:
            return list(adapter.fetch_new(None))

        def test_is_a_registered_source_adapter(self, adapter: SourceAdapter) -> None:
            cls = type(adapter)
            assert issubclass(cls, SourceAdapter)
            assert isinstance(cls.name, str) and cls.name
            assert issubclass(cls.Config, BaseModel)
            assert adapter_class(cls.name) is cls, f"{cls.name!r} is not registered as an entry point"

        def test_fetches_documents_with_unique_ids(self, fetched: list[tuple[SourceDocument, str | None]]) -> None:
            assert fetched, "the harness source should hold at least one document"
            keys = [(doc.external_id, doc.kind) for doc, _ in fetched]
            assert len(keys) == len(set(keys))
            for doc, cursor in fetched:
                assert isinstance(doc, SourceDocument)
                assert cursor is None or isinstance(cursor, str)

        def test_refetch_from_cursor_does_not_repeat(
            self, adapter: SourceAdapter, fetched: list[tuple[SourceDocument, str | None]]
        ) -> None:
            cursor = fetched[-1][1]
            again = {(d.external_id, d.kind, d.content and str(d.content)) for d, _ in adapter.fetch_new(cursor)}
            before = {(d.external_id, d.kind, d.content and str(d.content)) for d, _ in fetched}
            assert not (again & before), "unchanged documents came back after their cursor"

        def test_canonical_invoices_are_valid(
            self, adapter: SourceAdapter, fetched: list[tuple[SourceDocument, str | None]]
        ) -> None:
            for doc, _ in fetched:
                invoice = adapter.to_canonical(doc)
                assert isinstance(invoice, Invoice)
                assert invoice.external_id == doc.external_id
                assert invoice.kind == doc.kind
                assert invoice.issued_at.tzinfo is not None
                Invoice.model_validate_json(invoice.model_dump_json())  # round-trips

        def test_write_back_is_visible_and_idempotent(
            self, harness: Any, adapter: SourceAdapter, fetched: list[tuple[SourceDocument, str | None]]
        ) -> None:
            doc = fetched[0][0]
            adapter.write_back(doc.ref, sample_receipt())
            adapter.write_back(doc.ref, sample_receipt())
            assert harness.written_back(adapter, doc.ref) == SAMPLE_SIGNATURE

        def test_health_describes_the_source(self, adapter: SourceAdapter) -> None:
            assert isinstance(adapter.health(), str)
            assert all(isinstance(line, str) for line in [*adapter.preflight(), *adapter.advice()])

        def test_a_listening_adapter_verifies_and_fetches_what_a_webhook_names(
            self, harness: Any, adapter: SourceAdapter, fetched: list[tuple[SourceDocument, str | None]]
        ) -> None:
            if not isinstance(adapter, Listens):
                pytest.skip(f"{type(adapter).__name__} does not listen for webhooks (polling only)")
            assert hasattr(harness, "webhook_for"), "a Listens adapter's harness must provide webhook_for()"
            document = fetched[0][0]
            headers, body = harness.webhook_for(adapter, document)
            answer = adapter.accept_webhook({k.lower(): v for k, v in headers.items()}, body)
            assert answer.status == 200 and answer.keys, "a genuine webhook must name documents to fetch"
            again = list(adapter.fetch_changed(answer.keys))
            assert document.external_id in {d.external_id for d in again}
            if hasattr(harness, "forged_webhook_for"):
                headers, body = harness.forged_webhook_for(adapter, document)
            else:
                body += b" "
            forged = adapter.accept_webhook({k.lower(): v for k, v in headers.items()}, body)
            assert forged.status == 401 and not forged.keys, "a forged webhook must be refused"

    AdapterConformance.__name__ = f"Test{harness_class.__name__}Conformance"
    return AdapterConformance
