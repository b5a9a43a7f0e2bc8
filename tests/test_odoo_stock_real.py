"""The Odoo stock source against a REAL Odoo 17/18 with the Inventory app (skipped without one).

    ODOO_URL=http://127.0.0.1:8069 ODOO_DB=mydb ODOO_USER=admin ODOO_PASSWORD=admin pytest tests/test_odoo_stock_real.py

As a warehouse clerk would in the UI (over RPC), the test creates a storable product, receives 10 from a vendor
and counts 13 on the shelf (an inventory adjustment of +3), then reads the stock source: a purchase (02) of 10 at
the product's cost, an adjustment in (06) of 3, 13 on hand, and nothing again after the last cursor. It does not
start Odoo; without ODOO_URL it skips, and it skips when the Inventory app is not installed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from connector.adapters import ReportsStock
from connector.mapping import load_mapping
from connector.source_credentials import SourceSecrets
from plugins.odoo.adapter import OdooAdapter
from tests.test_odoo_real import URL, Accountant

pytestmark = pytest.mark.skipif(not URL, reason="no real Odoo: set ODOO_URL, ODOO_DB, ODOO_USER, ODOO_PASSWORD")


@pytest.fixture(scope="module")
def clerk() -> Accountant:
    clerk = Accountant()
    if not clerk("ir.module.module", "search_count", [("name", "=", "stock"), ("state", "=", "installed")]):
        pytest.skip("the Inventory app (stock) is not installed on this Odoo")
    return clerk


@pytest.fixture(scope="module")
def received(clerk: Accountant) -> dict[str, Any]:
    run = secrets.token_hex(3).upper()
    company = clerk.one("res.users", clerk.odoo.env.uid, ["company_id"])["company_id"][0]
    storable = {"detailed_type": "product"} if clerk.version == 17 else {"type": "consu", "is_storable": True}
    code = f"KS-{run}"
    product = clerk(
        "product.product",
        "create",
        {"name": f"KRA stock widget {run}", "default_code": code, "standard_price": 120} | storable,
    )
    [receipts] = clerk("stock.picking.type", "search", [("code", "=", "incoming"), ("company_id", "=", company)],
                       limit=1)  # fmt: skip
    shelf = clerk.one("stock.picking.type", receipts, ["default_location_dest_id"])["default_location_dest_id"][0]
    [vendors] = clerk("stock.location", "search", [("usage", "=", "supplier")], limit=1)
    vendor = clerk("res.partner", "create", {"name": f"KRA Test Vendor {run}"})
    unit = clerk.one("product.product", product, ["uom_id"])["uom_id"][0]
    move = {"name": "receipt", "product_id": product, "product_uom_qty": 10, "product_uom": unit,
            "location_id": vendors, "location_dest_id": shelf}  # fmt: skip
    picking = clerk("stock.picking", "create", {"picking_type_id": receipts, "partner_id": vendor,
                                                "location_id": vendors, "location_dest_id": shelf,
                                                "move_ids": [(0, 0, move)]})  # fmt: skip
    clerk("stock.picking", "action_confirm", [picking])
    clerk("stock.move", "write", clerk("stock.move", "search", [("picking_id", "=", picking)]), {"quantity": 10})
    clerk("stock.picking", "button_validate", [picking])
    quant = clerk("stock.quant", "create", {"product_id": product, "location_id": shelf, "inventory_quantity": 13},
                  context={"inventory_mode": True})  # fmt: skip
    clerk("stock.quant", "action_apply_inventory", [quant])
    return {"company": company, "code": code, "picking": clerk.one("stock.picking", picking, ["name"])["name"]}


@pytest.fixture
def adapter(received: dict[str, Any]) -> Iterator[OdooAdapter]:
    options = {"url": URL, "database": os.environ.get("ODOO_DB"), "username": os.environ.get("ODOO_USER", "admin"),
               "company": received["company"], "start_date": date.today().isoformat(),
               "stock_start_date": date.today().isoformat()}  # fmt: skip
    store = SourceSecrets.in_memory("odoo-real", {"password": os.environ.get("ODOO_PASSWORD", "")})
    adapter = OdooAdapter.from_options(options, load_mapping("odoo"), "odoo-real", store)
    assert isinstance(adapter, OdooAdapter)
    adapter.preflight()
    yield adapter
    adapter.close()


def ours(moves: list[tuple[Any, str | None]], code: str) -> list[tuple[str, str, Decimal, Decimal]]:
    return [(move.kind, move.number, line.quantity, line.unit_cost)
            for move, _ in moves for line in move.lines if line.item.code == code]  # fmt: skip


def test_receipt_and_count_become_a_purchase_and_an_adjustment(adapter: OdooAdapter, received: dict) -> None:
    assert isinstance(adapter, ReportsStock), "the Inventory app is installed: the source reports stock"
    moves = list(adapter.fetch_stock_moves(None))
    found = ours(moves, received["code"])
    assert ("purchase", received["picking"], Decimal(10), Decimal(120)) in found
    assert [(kind, qty) for kind, _, qty, _ in found if kind != "purchase"] == [("adjustment_in", Decimal(3))]
    assert all(move.kind not in ("sale", "customer_return") for move, _ in moves)
    assert adapter.stock_on_hand(None, [received["code"]]) == {received["code"]: Decimal(13)}
    last = moves[-1][1]
    assert ours(list(adapter.fetch_stock_moves(last)), received["code"]) == []
