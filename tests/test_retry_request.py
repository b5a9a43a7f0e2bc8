"""A retry asked for in the source (Odoo's "Send to KRA again"): queued again when it can be sent, told again
otherwise, so the source never keeps showing "queued" for a document nothing will send."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from connector.adapters import SourceAdapter, SourceDocument
from connector.errors import DocumentError
from connector.ledger import Ledger
from connector.pipeline import Pipeline, Source, default_mapping
from tests.conftest import initialise_all, make_settings
from tests.pipeline_helpers import make_invoice


class NoOptions(BaseModel):
    pass


class ButtonErp(SourceAdapter):
    name = "button"
    Config = NoOptions

    def __init__(self) -> None:
        super().__init__(self.Config(), default_mapping("test"), "erp")
        self.documents: dict[str, dict] = {}
        self.problems: list[str] = []
        self.written: list[str] = []

    def fetch_new(self, cursor: str | None) -> Iterator[tuple[SourceDocument, str | None]]:
        for key, doc in self.documents.items():
            yield SourceDocument(external_id=key, number=key, ref={"id": key}, content=doc["content"],
                                 retry_requested=doc.pop("button", False)), None  # fmt: skip

    def to_canonical(self, document: SourceDocument):
        if document.content.get("unreadable"):
            raise DocumentError("no product on line 1", document=document.number, field="product_id", value=False)
        return make_invoice(document.external_id, tax=document.content["tax"]).model_copy(update={"source": "erp"})

    def write_back(self, ref, receipt) -> None:
        self.written.append(ref["id"])

    def report_problem(self, ref, message: str) -> None:
        self.problems.append(f"{ref['id']}: {message}")


def test_the_button_queues_a_fixable_document_and_re_reports_an_unreadable_one(tmp_path: Path, simulator) -> None:
    settings = make_settings(tmp_path, simulator.legacy_base)
    context = initialise_all(settings)
    erp = ButtonErp()
    written: list[int] = []
    pipeline = Pipeline(context, {"erp": Source("erp", erp, default_mapping("test"), settings.device())},
                        enqueue_write_back=written.append)  # fmt: skip
    erp.documents = {"A": {"content": {"tax": "VAT16"}}, "B": {"content": {"unreadable": True}}}
    pipeline.ingest("erp")
    ledger = Ledger(context.db)
    key = settings.device().key
    ledger.db.execute("UPDATE documents SET state = 'needs-fix', reason = 'KRA was down' WHERE external_id = 'A'")
    written.clear()
    erp.documents["A"]["button"] = erp.documents["B"]["button"] = True  # pressed on both, content unchanged
    pipeline.ingest("erp")
    a, b = ledger.documents("external_id = 'A'")[0], ledger.documents("external_id = 'B'")[0]
    assert a.state == "queued" and b.state == "needs-fix"
    assert written == [b.id]  # B is told again (needs-fix), A will be told when it is signed
    assert any("asked in the source to send it again" in e["detail"] for e in ledger.events(b.id))
    pipeline.drain(key)
    assert ledger.get(a.id).state == "accepted"
