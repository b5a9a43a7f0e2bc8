"""The core pipeline with the Odoo source (fake Odoo over real odoorpc, the KRA simulator over HTTP): a needs-fix
reason reaches the invoice, "Send to KRA again" after the fix gets it signed, and re-polling records nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connector.ledger import NEEDS_FIX, WRITTEN_BACK
from connector.mapping import load_mapping, parse_mapping
from connector.pipeline import Pipeline, Source
from plugins.odoo.harness import adapter_for
from plugins.odoo.testing import FakeOdoo, InvoiceLine
from tests.conftest import initialise_all, make_settings


@pytest.fixture
def odoo() -> Iterator[FakeOdoo]:
    with FakeOdoo(version="18", addon=True) as fake:
        yield fake


def test_needs_fix_reaches_odoo_and_send_again_gets_it_signed(odoo: FakeOdoo, simulator, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, simulator.legacy_base)
    context = initialise_all(settings)
    default = (Path(__file__).parents[1] / "mappings" / "odoo" / "default.toml").read_text()
    without_goods = parse_mapping(default.replace("[categories.consu]", "[categories.consu-removed]"))
    adapter = adapter_for(odoo)
    adapter.mapping = without_goods
    source = Source("odoo", adapter, without_goods, settings.device())
    write_backs: list[int] = []
    pipeline = Pipeline(context, {"odoo": source}, enqueue_write_back=write_backs.append)
    ids = odoo.ids
    move_id = odoo.make_invoice(lines=[InvoiceLine(ids.product_widget, 2, "500", taxes=[ids.tax_vat16])])

    assert pipeline.ingest("odoo").new == 1
    pipeline.drain(settings.device().key)
    [doc] = context.ledger.documents()
    assert doc.state == NEEDS_FIX and "consu" in (doc.reason or "")
    for doc_id in write_backs:
        pipeline.write_back(doc_id)
    move = odoo.record("account.move", move_id)
    assert move["kra_state"] == "needs_fix" and "consu" in move["kra_message"]

    fixed = load_mapping("odoo")  # the accountant fixes the mapping, then presses "Send to KRA again"
    source.mapping = adapter.mapping = fixed
    odoo.clock.tick(2)
    odoo.request_resend(move_id)
    write_backs.clear()
    report = pipeline.ingest("odoo")
    assert report.fetched == 1 and settings.device().key in report.devices
    assert odoo.record("account.move", move_id)["kra_resend_requested"] is False
    pipeline.drain(settings.device().key)
    pipeline.write_back(doc.id)
    assert context.ledger.get(doc.id).state == WRITTEN_BACK
    move = odoo.record("account.move", move_id)
    assert move["kra_state"] == "signed" and move["kra_invoice_number"] == 1
    assert simulator.signature_counts()[settings.device().key] == {1: 1}

    odoo.clock.tick(2)
    again = pipeline.ingest("odoo")  # our write-back bumped write_date; signed moves are not polled again
    assert (again.new, again.corrected) == (0, 0)
    context.close()
