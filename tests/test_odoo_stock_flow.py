"""Odoo with its Inventory app on GavaConnect, end to end: the fake Odoo 17/18 over real odoorpc, the strict
simulator over HTTP. A receipt validated in Odoo reaches KRA before the invoice that needs it; the signed invoice's
stock-out and the stock master follow; an invoice beyond stock waits with Odoo's advice and goes by itself once a
receipt is validated; `stock status` compares KRA with Odoo's quants."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from connector.adapters import ReportsStock
from connector.kra.simulator import Simulator, SimulatorConfig, start_simulator
from connector.ledger.schema import NEEDS_FIX, SIGNED
from connector.pipeline import Pipeline, Source
from connector.stock import ledger as stock_ledger
from connector.stock.report import add_source_quantities, device_stock
from plugins.odoo.harness import adapter_for
from plugins.odoo.testing import FakeOdoo, InvoiceLine
from tests.conftest import initialise_all, make_settings
from tests.test_stock_sending import drain, sim_master


@pytest.fixture(params=["17", "18"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[FakeOdoo, Simulator, Pipeline]]:
    config = SimulatorConfig(port=0, profile="gavaconnect", oauth_clients={"key-1": "secret-1"}, seed=5)
    with FakeOdoo(version=request.param, stock=True) as odoo, start_simulator(config) as sim:
        odoo.clock.freeze("2026-12-02 07:00:00")
        settings = make_settings(
            tmp_path, sim.gavaconnect_base, profile="gavaconnect", token_url=sim.token_url, timeout_seconds=2,
            consumer_key="key-1", consumer_secret="secret-1", apigee_app_id="app-1",
        )  # fmt: skip
        settings.queue.backoff_base_seconds = 0.05
        settings.queue.backoff_max_seconds = 0.2
        assert settings.stock_reported  # auto: on with gavaconnect
        context = initialise_all(settings)
        adapter = adapter_for(odoo)
        assert adapter.preflight() == [] and isinstance(adapter, ReportsStock)
        adapter.ledger = lambda: context.ledger  # type: ignore[method-assign]
        source = Source("odoo", adapter, adapter.mapping, settings.devices[0])
        try:
            yield odoo, sim, Pipeline(context, {"odoo": source})
        finally:
            context.close()


def rice_invoice(odoo: FakeOdoo, quantity: int) -> int:
    ids = odoo.ids
    line = InvoiceLine(odoo.stock.ids.product_rice, quantity, "200", taxes=[ids.tax_vat16])
    return odoo.make_invoice(lines=[line])


def test_receipt_then_invoice_then_stock_out_and_master(world) -> None:
    odoo, sim, pipeline = world
    ledger, key = pipeline.ledger, pipeline.settings.devices[0].key
    sids = odoo.stock.ids
    odoo.stock.receipt([(sids.product_rice, 10, "150")], partner=sids.vendor_local)
    odoo.clock.tick(60)
    rice_invoice(odoo, 4)
    pipeline.ingest("odoo")
    drain(pipeline, rounds=80)

    [sale] = ledger.documents("kind = 'invoice'")
    assert sale.state in SIGNED, sale.reason
    stock = {d.external_id.split(":")[0]: d for d in ledger.documents("kind = 'stock'")}
    receipt = next(d for d in stock.values() if not d.external_id.startswith("sale-out"))
    assert (receipt.stock_number, stock["sale-out"].stock_number) == (1, 2)  # the receipt first, then the sale's
    assert receipt.request["sarTyCd"] == "02" and stock["sale-out"].request["sarTyCd"] == "11"
    code = sale.request["itemList"][0]["itemCd"]
    assert stock_ledger.quantity_of(ledger, key, code) == sim_master(sim, code) == Decimal(6)

    # Odoo still holds 10 (the delivery is not validated): the difference says so; once delivered, none
    report = device_stock(ledger, pipeline.settings.devices[0])
    add_source_quantities(report, "odoo", pipeline.sources["odoo"].adapter, None)
    [rice] = report.items
    assert (rice.source_code, rice.on_record, rice.source, rice.difference) == ("RICE-KG", 6, 10, 4)
    odoo.stock.move(sids.product_rice, 4, sids.stock, sids.customers)
    odoo.clock.tick(60)
    pipeline.ingest("odoo")  # the delivery is the connector's own stock-out: not read again
    drain(pipeline)
    assert len(ledger.documents("kind = 'stock'")) == 2
    report = device_stock(ledger, pipeline.settings.devices[0])
    add_source_quantities(report, "odoo", pipeline.sources["odoo"].adapter, None)
    assert report.items[0].difference == 0 and report.to_look_at == 0


def test_an_invoice_beyond_stock_waits_for_a_receipt_in_odoo(world) -> None:
    odoo, sim, pipeline = world
    ledger, key = pipeline.ledger, pipeline.settings.devices[0].key
    sids = odoo.stock.ids
    rice_invoice(odoo, 3)
    pipeline.ingest("odoo")
    drain(pipeline)
    [sale] = ledger.documents("kind = 'invoice'")
    assert sale.state == NEEDS_FIX and sale.invoice_number is None
    assert "item RICE-KG" in sale.reason and "this sale needs 3; report 3 more stock-in first" in sale.reason
    assert "validate the receipt or inventory adjustment in Odoo's Inventory app (odoo)" in sale.reason
    assert not list(sim.store.records("sale", tin=pipeline.settings.devices[0].pin, bhf_id="00"))

    odoo.clock.tick(60)
    odoo.stock.move(sids.product_rice, 5, sids.inventory, sids.stock)  # an inventory adjustment: 5 counted
    pipeline.ingest("odoo")
    drain(pipeline, rounds=80)
    sale = ledger.get(sale.id)
    assert sale.state in SIGNED and sale.invoice_number == 1, sale.reason
    [adjustment] = [d for d in ledger.documents("kind = 'stock'") if d.request["sarTyCd"] == "06"]
    assert adjustment.stock_number == 1
    code = sale.request["itemList"][0]["itemCd"]
    assert stock_ledger.quantity_of(ledger, key, code) == sim_master(sim, code) == Decimal(2)
