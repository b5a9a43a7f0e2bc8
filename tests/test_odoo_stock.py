"""Odoo's Inventory app as a stock source, through real odoorpc against the fake Odoo 17 and 18: kinds from the
locations' usages, deliveries and customer returns left to the connector, the (date, id) cursor across pages and
polls, the start date, storable products and the company only, branches from warehouses, quantities on hand, and a
site without Inventory staying as it was."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from connector.adapters import ReportsStock
from connector.stock.models import StockMove
from plugins.odoo.adapter import OdooAdapter, OdooStockAdapter
from plugins.odoo.harness import adapter_for
from plugins.odoo.testing import FakeOdoo


@pytest.fixture(params=["17", "18"])
def odoo(request: pytest.FixtureRequest) -> Iterator[FakeOdoo]:
    with FakeOdoo(version=request.param, stock=True) as fake:
        fake.clock.freeze("2026-12-02 07:00:00")
        yield fake


def stock_adapter(odoo: FakeOdoo, **options: Any) -> OdooAdapter:
    adapter = adapter_for(odoo, **options)
    assert adapter.preflight() == []
    assert isinstance(adapter, ReportsStock)
    return adapter


def poll(adapter: OdooAdapter, cursor: str | None) -> tuple[list[StockMove], str | None]:
    assert isinstance(adapter, OdooStockAdapter)
    moves, last = [], cursor
    for move, next_cursor in adapter.fetch_stock_moves(cursor):
        assert isinstance(move, StockMove), move
        moves.append(move)
        last = next_cursor
    return moves, last


def summary(move: StockMove) -> tuple[str, str, list[tuple[str, Decimal]]]:
    return move.kind, move.number, [(line.item.code, line.quantity) for line in move.lines]


def test_kinds_come_from_the_locations_and_sales_and_customer_returns_are_left_out(odoo: FakeOdoo) -> None:
    stock, ids = odoo.stock, odoo.stock.ids
    stock.receipt([(ids.product_rice, 10, "140"), (ids.product_oil, "2.5", "310")], partner=ids.vendor_local)
    odoo.clock.tick(1)
    stock.receipt([(ids.product_kettle, 3, "1800")], partner=ids.vendor_foreign)
    odoo.clock.tick(1)
    stock.picking(ids.deliveries, [(ids.product_rice, 2, 0)], ids.stock, ids.customers, partner=odoo.ids.partner_acme)
    odoo.clock.tick(1)
    stock.picking(ids.receipts, [(ids.product_rice, 1, 0)], ids.customers, ids.stock, partner=odoo.ids.partner_acme)
    odoo.clock.tick(1)
    stock.move(ids.product_rice, 1, ids.stock, ids.scrap, reference="SP/00001")
    odoo.clock.tick(1)
    stock.move(ids.product_oil, 4, ids.inventory, ids.stock)
    odoo.clock.tick(1)
    stock.move(ids.product_oil, 1, ids.stock, ids.inventory)
    odoo.clock.tick(1)
    stock.move(ids.product_rice, 5, ids.production, ids.stock)
    odoo.clock.tick(1)
    stock.move(ids.product_oil, "0.5", ids.stock, ids.production)
    odoo.clock.tick(1)
    stock.picking(ids.deliveries, [(ids.product_kettle, 1, "1800")], ids.stock, ids.vendors, partner=ids.vendor_foreign)
    odoo.clock.tick(1)
    stock.move(ids.product_rice, 3, ids.stock, ids.shelf)  # within one warehouse: no KRA movement

    moves, _ = poll(stock_adapter(odoo), None)

    kettle = f"odoo-product-{ids.product_kettle}"  # no internal reference: the invoice reader's fallback code
    assert [summary(m) for m in moves] == [
        ("purchase", "WH/IN/00001", [("RICE-KG", Decimal(10)), ("OIL-L", Decimal("2.5"))]),
        ("import", "WH/IN/00002", [(kettle, Decimal(3))]),  # the vendor is in China
        ("scrap", "SP/00001", [("RICE-KG", Decimal(1))]),
        ("adjustment_in", "Product Quantity Updated", [("OIL-L", Decimal(4))]),
        ("adjustment_out", "Product Quantity Updated", [("OIL-L", Decimal(1))]),
        ("production_in", "Product Quantity Updated", [("RICE-KG", Decimal(5))]),
        ("production_out", "Product Quantity Updated", [("OIL-L", Decimal("0.5"))]),
        ("supplier_return", "WH/OUT/00002", [(kettle, Decimal(1))]),
    ]
    receipt = moves[0]
    assert receipt.source == "odoo" and receipt.branch is None and receipt.counterpart_branch is None
    assert receipt.external_id.endswith(":02") and receipt.moved_at.isoformat() == "2026-12-02T10:00:00+03:00"
    rice, oil = receipt.lines
    assert (rice.unit, rice.unit_cost, oil.unit, oil.unit_cost) == ("kg", Decimal(140), "L", Decimal(310))
    assert [(t.code, t.rate, t.kind) for t in rice.taxes] == [("VAT 16%", Decimal(16), "vat")]
    assert rice.item.name == "Rice (per kg)"
    assert moves[2].lines[0].unit_cost == Decimal(150)  # no price on the move: the product's cost
    assert len({m.external_id for m in moves}) == len(moves)


def test_a_unit_other_than_the_products_is_kept_and_its_cost_converted(odoo: FakeOdoo) -> None:
    ids = odoo.stock.ids
    odoo.stock.picking(ids.receipts, [(ids.product_kettle, 2, "1800")], ids.vendors, ids.stock,
                       partner=ids.vendor_local, uom=odoo.ids.uom_dozens)  # fmt: skip
    (move,), _ = poll(stock_adapter(odoo), None)
    line = move.lines[0]
    assert (line.quantity, line.unit, line.unit_cost) == (Decimal(2), "Dozens", Decimal(1800 * 12))
    assert odoo.stock.on_hand(ids.product_kettle, ids.stock) == 24  # the fake's quants count units


def test_only_storable_products_of_the_company_are_read(odoo: FakeOdoo) -> None:
    ids = odoo.stock.ids
    consumable = odoo.ids.product_widget  # "consu" without inventory tracking (17 type consu, 18 is_storable false)
    company2 = odoo.add_company("Second Co")
    odoo.stock.move(consumable, 5, ids.inventory, ids.stock)
    odoo.stock.move(ids.product_rice, 7, ids.inventory, ids.stock, company=company2)
    odoo.stock.move(ids.product_rice, 2, ids.inventory, ids.stock)
    odoo.stock.move(ids.product_oil, 1, ids.inventory, ids.stock, done=False)  # not validated yet
    moves, _ = poll(stock_adapter(odoo), None)
    assert [summary(m) for m in moves] == [("adjustment_in", "Product Quantity Updated", [("RICE-KG", Decimal(2))])]


def test_the_cursor_neither_repeats_nor_misses_a_move_across_pages_and_polls(odoo: FakeOdoo) -> None:
    ids = odoo.stock.ids
    made = []
    for n in range(7):  # seven receipts of three lines and seven scraps, two or three a second
        if n % 3 == 2:
            odoo.clock.tick(1)
        made.append(odoo.stock.receipt([(ids.product_rice, 1 + n, "140"), (ids.product_oil, 1, "300"),
                                        (ids.product_kettle, 1, "1800")], partner=ids.vendor_local))  # fmt: skip
        odoo.stock.move(ids.product_rice, 1, ids.stock, ids.scrap)
    adapter = stock_adapter(odoo, page_size=4)
    yielded: list[tuple[StockMove, str | None]] = list(adapter.fetch_stock_moves(None))  # type: ignore[attr-defined]
    numbers = [m.number for m, _ in yielded if m.kind == "purchase"]
    assert numbers == [f"WH/IN/{n:05d}" for n in range(1, 8)]  # one per picking: none cut by a page
    assert all(len(m.lines) == 3 for m, _ in yielded if m.kind == "purchase")
    assert [m.kind for m, _ in yielded].count("scrap") == 7
    # A restart from any stored cursor yields exactly what came after it, nothing twice, nothing missed.
    everything = [m.external_id for m, _ in yielded]
    for position, (_move, cursor) in enumerate(yielded):
        again, _ = poll(adapter, cursor)
        assert [m.external_id for m in again] == everything[position + 1 :]
    # More in the same second after the last cursor: the next poll has them (and only them).
    last = yielded[-1][1]
    late = odoo.stock.receipt([(ids.product_oil, 9, "300")], partner=ids.vendor_local)
    odoo.clock.tick(3)
    odoo.stock.move(ids.product_oil, 2, ids.inventory, ids.stock)
    more, cursor = poll(adapter, last)
    assert [summary(m) for m in more] == [
        ("purchase", odoo.record("stock.picking", late)["name"], [("OIL-L", Decimal(9))]),
        ("adjustment_in", "Product Quantity Updated", [("OIL-L", Decimal(2))]),
    ]
    assert poll(adapter, cursor) == ([], cursor)


def test_moves_before_the_start_date_are_never_read(odoo: FakeOdoo) -> None:
    ids = odoo.stock.ids
    odoo.clock.freeze("2026-11-30 20:59:59")  # 23:59:59 EAT on 30 November
    odoo.stock.move(ids.product_rice, 1, ids.inventory, ids.stock)
    odoo.clock.freeze("2026-11-30 21:00:00")  # midnight EAT, 1 December
    odoo.stock.move(ids.product_rice, 2, ids.inventory, ids.stock)
    by_option, _ = poll(stock_adapter(odoo, stock_start_date="2026-12-01"), None)
    assert [summary(m)[2] for m in by_option] == [[("RICE-KG", Decimal(2))]]
    adapter = stock_adapter(odoo)
    assert len(poll(adapter, None)[0]) == 2
    adapter.stock_start_date = date(2026, 12, 1)  # the core's [stock] start_date wins over the option
    assert [summary(m)[2] for m in poll(adapter, None)[0]] == [[("RICE-KG", Decimal(2))]]


def test_transfers_between_branches_are_out_of_one_and_into_the_other(odoo: FakeOdoo) -> None:
    ids = odoo.stock.ids
    warehouses = {"WH": {"device": "hq", "branch_id": "00"}, "Westlands Shop": {"device": "shop", "branch_id": "01"}}
    odoo.stock.picking(ids.internal, [(ids.product_rice, 4, "150")], ids.stock, ids.shop_stock)
    odoo.clock.tick(1)
    odoo.stock.move(ids.product_oil, 1, ids.stock, ids.shelf)  # inside WH: nothing
    odoo.clock.tick(1)
    odoo.stock.move(ids.product_oil, 2, ids.shop_stock, ids.transit)
    odoo.clock.tick(1)
    odoo.stock.receipt([(ids.product_oil, 6, "300")], partner=ids.vendor_local, warehouse=ids.shop)
    adapter = stock_adapter(odoo, warehouses=warehouses)
    moves, _ = poll(adapter, None)
    assert [(m.kind, m.branch, m.counterpart_branch, m.number) for m in moves] == [
        ("transfer_out", "hq", "01", "WH/INT/00001"),
        ("transfer_in", "shop", "00", "WH/INT/00001"),
        ("transfer_out", "shop", None, "Product Quantity Updated"),  # to transit: the other end is not known
        ("purchase", "shop", None, "SHOP/IN/00001"),
    ]
    assert moves[0].external_id != moves[1].external_id
    # The cursor passes a transfer only with its second half: read again after the first, both come again, the same.
    cursors = [cursor for _move, cursor in adapter.fetch_stock_moves(None)]  # type: ignore[attr-defined]
    outgoing = cursors[0]
    assert outgoing is None and cursors[1] is not None
    assert poll(adapter, outgoing)[0][:2] == moves[:2]
    hq = adapter.stock_on_hand("hq", ["RICE-KG", "OIL-L"])
    assert hq == {"RICE-KG": Decimal(-4), "OIL-L": Decimal(0)}  # nothing received in WH; oil moved to a shelf
    assert adapter.stock_on_hand("shop", ["RICE-KG", "OIL-L"]) == {"RICE-KG": Decimal(4), "OIL-L": Decimal(4)}


def test_quantities_on_hand_are_the_internal_quants_per_item_code(odoo: FakeOdoo) -> None:
    ids = odoo.stock.ids
    odoo.stock.receipt([(ids.product_rice, 10, "140"), (ids.product_kettle, 2, "1800")], partner=ids.vendor_local)
    odoo.stock.move(ids.product_rice, 3, ids.stock, ids.shelf)
    odoo.stock.move(ids.product_rice, 1, ids.stock, ids.scrap)
    adapter = stock_adapter(odoo)
    kettle = f"odoo-product-{ids.product_kettle}"
    assert adapter.stock_on_hand(None, ["RICE-KG", kettle, "NOPE"]) == {"RICE-KG": Decimal(9), kettle: Decimal(2)}


@pytest.mark.parametrize("version", ["17", "18"])
def test_a_site_without_inventory_is_not_a_stock_source_until_it_installs_it(version: str) -> None:
    with FakeOdoo(version=version, stock=False) as odoo:
        adapter = adapter_for(odoo)
        assert adapter.preflight() == []
        assert not isinstance(adapter, ReportsStock)
        assert list(adapter.fetch_new(None)) == []  # invoices as before
        odoo.stock_installed = True
        odoo.stock.move(odoo.stock.ids.product_rice, 2, odoo.stock.ids.inventory, odoo.stock.ids.stock)
        assert adapter.check_stock() and isinstance(adapter, ReportsStock)
        assert [summary(m)[0] for m in poll(adapter, None)[0]] == ["adjustment_in"]
        odoo.stock_installed = False  # uninstalled: nothing more, and no longer a stock source
        assert list(adapter.fetch_stock_moves(None)) == []  # type: ignore[attr-defined]
        assert not isinstance(adapter, ReportsStock)


def test_the_fake_refuses_stock_models_and_fields_odoo_does_not_have(odoo: FakeOdoo) -> None:
    adapter = stock_adapter(odoo)
    client = adapter.client
    with pytest.raises(Exception, match="Invalid field"):
        client.search_read("stock.move", [], ["quantity_done"])  # Odoo 16's name, gone in 17 and 18
    product_fields = client.existing_fields("product.product", ["is_storable", "detailed_type"])
    assert product_fields == ({"detailed_type"} if odoo.version == "17" else {"is_storable"})
    odoo.stock_installed = False
    with pytest.raises(Exception, match="doesn't exist"):
        client.search_read("stock.move", [], ["date"])


def test_a_move_committed_late_behind_the_cursor_is_still_read_once(odoo: FakeOdoo) -> None:
    ids = odoo.stock.ids
    odoo.stock.receipt([(ids.product_rice, 10, "140")], partner=ids.vendor_local)
    odoo.clock.tick(20)
    odoo.stock.move(ids.product_oil, 1, ids.inventory, ids.stock)
    adapter = stock_adapter(odoo)
    first, cursor = poll(adapter, None)
    assert len(first) == 2
    odoo.clock.freeze("2026-12-02 07:00:10")  # done (dated) before the last poll, committed after it
    odoo.stock.move(ids.product_rice, 3, ids.stock, ids.scrap)
    late, after = poll(adapter, cursor)
    assert [summary(m)[0] for m in late] == ["scrap"] and after == cursor  # the cursor stays where it was
    assert poll(adapter, cursor) == ([], cursor)  # once
    restarted = stock_adapter(odoo)  # a new process reads the window again: the same movements, same ids
    again, _ = poll(restarted, cursor)
    assert [m.external_id for m in again] == [m.external_id for m in (first[0], late[0], first[1])]  # by date


def test_a_resupply_through_transit_names_the_other_branch_from_the_chained_move(odoo: FakeOdoo) -> None:
    ids = odoo.stock.ids
    out = odoo.stock.move(ids.product_oil, 5, ids.shop_stock, ids.transit, reference="SHOP/OUT/00001")
    into = odoo.stock.move(ids.product_oil, 5, ids.transit, ids.stock, reference="WH/IN/00009", done=False)
    odoo.stock.chain(out, into)
    warehouses = {"WH": {"device": "hq", "branch_id": "00"}, "SHOP": {"device": "shop", "branch_id": "01"}}
    adapter = stock_adapter(odoo, warehouses=warehouses)
    sent, cursor = poll(adapter, None)
    assert [(m.kind, m.branch, m.counterpart_branch) for m in sent] == [("transfer_out", "shop", "00")]
    odoo.clock.tick(60)
    odoo.stock.done(into)  # received in WH a minute later
    received, _ = poll(adapter, cursor)
    assert [(m.kind, m.branch, m.counterpart_branch) for m in received] == [("transfer_in", "hq", "01")]
    one_branch = stock_adapter(odoo)  # both warehouses one device: through transit is no KRA movement
    assert poll(one_branch, None)[0] == []


def test_a_receipt_from_a_contact_of_a_foreign_vendor_is_an_import(odoo: FakeOdoo) -> None:
    ids = odoo.stock.ids
    contact = odoo.builder.add_partner({"name": "Li Wei"})  # a person, no country of her own
    odoo.store.get("res.partner", contact)["commercial_partner_id"] = ids.vendor_foreign
    odoo.stock.receipt([(ids.product_oil, 1, "300")], partner=contact)
    odoo.stock.receipt([(ids.product_oil, 1, "300")])  # no contact at all: a Kenyan purchase
    assert [m.kind for m in poll(stock_adapter(odoo), None)[0]] == ["import", "purchase"]


def test_a_movement_that_cannot_be_reported_as_it_is_comes_as_its_fields_and_the_poll_goes_on(odoo: FakeOdoo) -> None:
    ids = odoo.stock.ids
    odoo.store.get("product.product", ids.product_oil)["default_code"] = "X" * 101  # longer than any item code
    odoo.stock.move(ids.product_oil, 1, ids.inventory, ids.stock)
    odoo.clock.tick(1)
    odoo.stock.move(ids.product_rice, 1, ids.inventory, ids.stock)
    adapter = stock_adapter(odoo)
    (bad, _), (good, _) = list(adapter.fetch_stock_moves(None))  # type: ignore[attr-defined]
    assert isinstance(bad, dict) and bad["kind"] == "adjustment_in" and bad["external_id"].startswith("stock.move:")
    assert isinstance(good, StockMove) and good.lines[0].item.code == "RICE-KG"


def test_reading_costs_a_few_calls_per_page_not_per_move(odoo: FakeOdoo) -> None:
    ids = odoo.stock.ids

    def receipts(count: int) -> None:
        for n in range(count):
            odoo.stock.receipt(
                [(ids.product_rice, 1 + n, "140"), (ids.product_oil, 1, "300")], partner=ids.vendor_local
            )
            odoo.clock.tick(1)

    receipts(5)
    adapter = stock_adapter(odoo, page_size=20)
    _, cursor = poll(adapter, None)  # warm: login, fields, company, units, taxes
    receipts(30)
    odoo.calls.clear()
    moves, _ = poll(adapter, cursor)
    assert len(moves) == 30
    pages = 60 // 20  # each full page is completed with the rest of its last second; an empty search ends it
    assert odoo.calls[("stock.move", "search_read")] == 1 + 2 * pages + 1  # + the late-arrivals window
    assert odoo.calls[("stock.picking", "read")] == pages
    # + once per poll: the Inventory check and the records the page refers to (locations, warehouses, partners,
    # countries, products, units, taxes); nothing per move
    assert sum(odoo.calls.values()) <= 3 * pages + 2 + 8, odoo.calls
