"""The fake's Inventory app (module `stock`): its models and fields per version, a standard warehouse set-up, and
done moves built like Odoo's `_action_done` leaves them (state done, `date` = when done, `quantity` in the move's
unit, quants updated). Field names and types as in Odoo 17/18 addons/stock/models (stock_move.py, stock_location.py,
stock_quant.py, stock_picking.py, stock_warehouse.py) and addons/stock/models/product.py.

    with FakeOdoo(version="18", stock=True) as odoo:       # odoo.stock_installed = True/False (live switch)
        ids = odoo.stock.ids                                 # StockIds: locations, warehouses, products below
        odoo.stock.receipt([(ids.product_rice, 10, "250")], partner=odoo.ids.partner_acme)   # WH/IN/00001, done
        odoo.stock.move(ids.product_rice, 2, ids.stock, ids.scrap)                          # a done scrap move
        odoo.stock.picking(code, [(product, qty, price_unit), ...], source, dest, partner=None, uom=None)
        odoo.stock.on_hand(product, location) -> Decimal
        odoo.stock.chain(out_move, in_move); odoo.stock.done(in_move)   # a resupply through transit

Storable products: 17 type/detailed_type "product"; 18 type "consu" with is_storable True.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from plugins.odoo.testing.schema import Field, _f

if TYPE_CHECKING:
    from plugins.odoo.testing.records import Builder

USAGES = (
    ("supplier", "Vendor Location"),
    ("view", "View"),
    ("internal", "Internal Location"),
    ("customer", "Customer Location"),
    ("inventory", "Inventory Loss"),
    ("production", "Production"),
    ("transit", "Transit Location"),
)
MOVE_STATES = (
    ("draft", "New"),
    ("waiting", "Waiting Another Move"),
    ("confirmed", "Waiting Availability"),
    ("partially_available", "Partially Available"),
    ("assigned", "Available"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
)
PICKING_CODES = (("incoming", "Receipt"), ("outgoing", "Delivery"), ("internal", "Internal Transfer"))

MODELS: dict[str, dict[str, tuple]] = {
    "stock.move": {
        "name": _f("char", "Description", None, None, True),
        "reference": _f("char", "Reference", None, None, False, True),
        "date": _f("datetime", "Date Scheduled", None, None, True),
        "state": _f("selection", "Status", None, MOVE_STATES, False, True),
        "company_id": _f("many2one", "Company", "res.company", None, True),
        "product_id": _f("many2one", "Product", "product.product", None, True),
        "product_uom_qty": _f("float", "Demand", None, None, True),
        "product_qty": _f("float", "Real Quantity", None, None, False, True),
        "quantity": _f("float", "Quantity"),
        "product_uom": _f("many2one", "UoM", "uom.uom", None, True),
        "location_id": _f("many2one", "Source Location", "stock.location", None, True),
        "location_dest_id": _f("many2one", "Destination Location", "stock.location", None, True),
        "partner_id": _f("many2one", "Destination Address ", "res.partner"),
        "picking_id": _f("many2one", "Transfer", "stock.picking"),
        "picking_type_id": _f("many2one", "Operation Type", "stock.picking.type"),
        "price_unit": _f("float", "Unit Price"),
        "origin": _f("char", "Source Document"),
        "scrapped": _f("boolean", "Scrapped", None, None, False, True),
        "is_inventory": _f("boolean", "Inventory"),
        "move_orig_ids": _f("many2many", "Original Move", "stock.move"),
        "move_dest_ids": _f("many2many", "Destination Moves", "stock.move"),
    },
    "stock.location": {
        "name": _f("char", "Location Name", None, None, True),
        "complete_name": _f("char", "Full Location Name", None, None, False, True),
        "usage": _f("selection", "Location Type", None, USAGES, True),
        "location_id": _f("many2one", "Parent Location", "stock.location"),
        "company_id": _f("many2one", "Company", "res.company"),
        "scrap_location": _f("boolean", "Is a Scrap Location?"),
        "warehouse_id": _f("many2one", "Warehouse", "stock.warehouse", None, False, True),
        "active": _f("boolean", "Active"),
    },
    "stock.warehouse": {
        "name": _f("char", "Warehouse", None, None, True),
        "code": _f("char", "Short Name", None, None, True),
        "company_id": _f("many2one", "Company", "res.company", None, True),
        "lot_stock_id": _f("many2one", "Location Stock", "stock.location", None, True),
        "active": _f("boolean", "Active"),
    },
    "stock.picking.type": {
        "name": _f("char", "Operation Type", None, None, True),
        "code": _f("selection", "Type of Operation", None, PICKING_CODES, True),
        "sequence_code": _f("char", "Sequence Prefix", None, None, True),
        "warehouse_id": _f("many2one", "Warehouse", "stock.warehouse"),
        "company_id": _f("many2one", "Company", "res.company", None, True),
    },
    "stock.picking": {
        "name": _f("char", "Reference"),
        "origin": _f("char", "Source Document"),
        "state": _f("selection", "Status", None, MOVE_STATES[:2] + MOVE_STATES[2:3] + MOVE_STATES[4:], False, True),
        "date_done": _f("datetime", "Date of Transfer", None, None, False, True),
        "location_id": _f("many2one", "Source Location", "stock.location", None, True),
        "location_dest_id": _f("many2one", "Destination Location", "stock.location", None, True),
        "picking_type_id": _f("many2one", "Operation Type", "stock.picking.type", None, True),
        "partner_id": _f("many2one", "Contact", "res.partner"),
        "company_id": _f("many2one", "Company", "res.company", None, False, True),
        "move_ids": _f("one2many", "Stock move", "stock.move"),
    },
    "stock.quant": {
        "product_id": _f("many2one", "Product", "product.product", None, True),
        "location_id": _f("many2one", "Location", "stock.location", None, True),
        "company_id": _f("many2one", "Company", "res.company", None, False, True),
        "warehouse_id": _f("many2one", "Warehouse", "stock.warehouse", None, False, True, False),
        "quantity": _f("float", "Quantity", None, None, False, True),
        "reserved_quantity": _f("float", "Reserved Quantity", None, None, True, True),
        "product_uom_id": _f("many2one", "Unit of Measure", "uom.uom", None, False, True, False),
    },
}
PRODUCT_COMMON = {
    "standard_price": _f("float", "Cost"),
    "qty_available": _f("float", "Quantity On Hand", None, None, False, True, False),
}
TYPES_17 = (("consu", "Consumable"), ("service", "Service"), ("product", "Storable Product"))
PRODUCT_ONLY = {
    "17": {
        "type": _f("selection", "Type", None, TYPES_17, True),
        "detailed_type": _f("selection", "Product Type", None, TYPES_17, True),
    },
    "18": {"is_storable": _f("boolean", "Track Inventory")},
}
COMPANY_MODELS = (
    "stock.move",
    "stock.location",
    "stock.warehouse",
    "stock.picking.type",
    "stock.picking",
    "stock.quant",
)


def stock_schema(version: str) -> dict[str, dict[str, Field]]:
    """The models the Inventory app adds, and its extra product.product fields (merged over the base schema)."""
    schema = {model: {name: Field(name, *spec) for name, spec in fields.items()} for model, fields in MODELS.items()}
    product = PRODUCT_COMMON | PRODUCT_ONLY[version]
    schema["product.product"] = {name: Field(name, *spec) for name, spec in product.items()}
    return schema


@dataclass
class StockIds:
    warehouse: int = 1  # "WH" / "Main Warehouse"
    shop: int = 2  # "SHOP" / "Westlands Shop"
    vendors: int = 1  # Partners/Vendors (supplier)
    customers: int = 2  # Partners/Customers (customer)
    inventory: int = 3  # Virtual Locations/Inventory adjustment (inventory)
    scrap: int = 4  # Virtual Locations/Scrap (inventory, scrap_location)
    production: int = 5  # Virtual Locations/Production (production)
    transit: int = 6  # Virtual Locations/Inter-warehouse transit (transit)
    stock: int = 8  # WH/Stock (internal); WH view 7
    shelf: int = 9  # WH/Stock/Shelf 1 (internal)
    shop_stock: int = 11  # SHOP/Stock (internal); SHOP view 10
    receipts: int = 1  # picking types of WH: receipts, deliveries, internal; SHOP receipts 4
    deliveries: int = 2
    internal: int = 3
    shop_receipts: int = 4
    product_rice: int = 0  # storable, kg, VAT 16 %, cost 150
    product_oil: int = 0  # storable, L, VAT 16 %, cost 300
    product_kettle: int = 0  # storable, Units, VAT 16 %, no default_code, cost 2000
    vendor_foreign: int = 0  # "Shenzhen Supplies Ltd" (China)
    vendor_local: int = 0  # "Nairobi Wholesalers" (Kenya)


class StockBuilder:
    def __init__(self, builder: Builder) -> None:
        self.builder = builder
        self.store = builder.store
        self.version = builder.version
        self.ids = StockIds()
        self._names: dict[int, int] = {}

    def setup(self) -> None:
        s, company = self.store, 1
        s.insert("res.country", {"name": "China", "code": "CN"}, 48)
        for lid, name, usage, parent, extra in (
            (1, "Partners/Vendors", "supplier", False, {}),
            (2, "Partners/Customers", "customer", False, {}),
            (3, "Virtual Locations/Inventory adjustment", "inventory", False, {}),
            (4, "Virtual Locations/Scrap", "inventory", False, {"scrap_location": True}),
            (5, "Virtual Locations/Production", "production", False, {}),
            (6, "Virtual Locations/Inter-warehouse transit", "transit", False, {}),
        ):
            values = {"name": name.rsplit("/", 1)[-1], "complete_name": name, "usage": usage, "location_id": parent}
            s.insert(
                "stock.location", values | {"company_id": False, "warehouse_id": False, "active": True} | extra, lid
            )
        for wid, code, name, view, stock in ((1, "WH", "Main Warehouse", 7, 8), (2, "SHOP", "Westlands Shop", 10, 11)):
            s.insert(
                "stock.location",
                {
                    "name": code,
                    "complete_name": code,
                    "usage": "view",
                    "location_id": False,
                    "company_id": company,
                    "warehouse_id": wid,
                    "active": True,
                },
                view,
            )
            s.insert(
                "stock.location",
                {
                    "name": "Stock",
                    "complete_name": f"{code}/Stock",
                    "usage": "internal",
                    "location_id": view,
                    "company_id": company,
                    "warehouse_id": wid,
                    "active": True,
                },
                stock,
            )
            s.insert(
                "stock.warehouse",
                {"name": name, "code": code, "company_id": company, "lot_stock_id": stock, "active": True},
                wid,
            )
        s.insert(
            "stock.location",
            {
                "name": "Shelf 1",
                "complete_name": "WH/Stock/Shelf 1",
                "usage": "internal",
                "location_id": 8,
                "company_id": company,
                "warehouse_id": 1,
                "active": True,
            },
            9,
        )
        for tid, name, code, prefix, warehouse in (
            (1, "Receipts", "incoming", "IN", 1),
            (2, "Delivery Orders", "outgoing", "OUT", 1),
            (3, "Internal Transfers", "internal", "INT", 1),
            (4, "Receipts", "incoming", "IN", 2),
        ):
            values = {"name": name, "code": code, "sequence_code": prefix, "warehouse_id": warehouse}
            s.insert("stock.picking.type", values | {"company_id": company}, tid)
        vat16 = self.builder.ids.tax_vat16
        self.ids.product_rice = self.add_product("Rice (per kg)", "RICE-KG", 150, [vat16], self.builder.ids.uom_kg)
        self.ids.product_oil = self.add_product(
            "Cooking oil (per litre)", "OIL-L", 300, [vat16], self.builder.ids.uom_litre
        )
        self.ids.product_kettle = self.add_product("Electric kettle", False, 2000, [vat16], self.builder.ids.uom_units)
        self.ids.vendor_foreign = self.builder.add_partner(
            {"name": "Shenzhen Supplies Ltd", "is_company": True, "country_id": 48, "supplier_rank": 1}
        )
        self.ids.vendor_local = self.builder.add_partner(
            {"name": "Nairobi Wholesalers", "is_company": True, "country_id": 114, "vat": "P051111111B"}
        )
        for product in self.store.tables["product.product"].values():  # the standard products: not storable
            product.setdefault("standard_price", Decimal(0))
            if self.version == "18":
                product.setdefault("is_storable", False)

    def add_product(self, name: str, code: str | bool, cost: Any, taxes: list[int], uom: int) -> int:
        kind = "product" if self.version == "17" else "consu"
        product = self.builder.add_product(name, code, kind, Decimal(cost) * 2, taxes, uom)
        values: dict[str, Any] = {"standard_price": Decimal(str(cost))}
        if self.version == "18":
            values["is_storable"] = True
        self.store.get("product.product", product).update(values)
        return product

    # -- moves --------------------------------------------------------------------------------------------------
    def picking(
        self,
        picking_type: int,
        lines: list[tuple[int, Any, Any]],
        source: int,
        dest: int,
        partner: int | None = None,
        uom: int | None = None,
        company: int = 1,
        done: bool = True,
    ) -> int:
        """A transfer, one move per (product, quantity, price_unit); validated (all moves done) unless done=False."""
        s = self.store
        with s.lock:
            kind = s.get("stock.picking.type", picking_type)
            warehouse = s.get("stock.warehouse", kind["warehouse_id"])
            self._names[picking_type] = self._names.get(picking_type, 0) + 1
            name = f"{warehouse['code']}/{kind['sequence_code']}/{self._names[picking_type]:05d}"
            values = {"name": name, "origin": False, "state": "assigned", "date_done": False, "location_id": source}
            values |= {"location_dest_id": dest, "picking_type_id": picking_type, "partner_id": partner or False}
            picking = s.insert("stock.picking", values | {"company_id": company, "move_ids": []})
            moves = [
                self.move(
                    product,
                    quantity,
                    source,
                    dest,
                    price_unit=price,
                    picking=picking,
                    uom=uom,
                    partner=partner,
                    company=company,
                    done=False,
                )
                for product, quantity, price in lines
            ]
            s.get("stock.picking", picking)["move_ids"] = moves
            if done:
                self.validate(picking)
            return picking

    def receipt(self, lines: list[tuple[int, Any, Any]], partner: int | None = None, warehouse: int = 1) -> int:
        picking_type, dest = (
            (self.ids.receipts, self.ids.stock) if warehouse == 1 else (self.ids.shop_receipts, self.ids.shop_stock)
        )
        return self.picking(picking_type, lines, self.ids.vendors, dest, partner=partner)

    def validate(self, picking: int) -> None:
        """button_validate: every move done at one moment (Odoo writes one `date` for the whole batch)."""
        s = self.store
        with s.lock:
            now = s.clock.now()
            for move in s.get("stock.picking", picking)["move_ids"]:
                self._done(move, now)
            s.update("stock.picking", picking, {"state": "done", "date_done": now})

    def move(
        self,
        product: int,
        quantity: Any,
        source: int,
        dest: int,
        *,
        price_unit: Any = 0,
        picking: int | None = None,
        uom: int | None = None,
        partner: int | None = None,
        company: int = 1,
        done: bool = True,
        reference: str | None = None,
    ) -> int:
        """One stock.move (an inventory adjustment or scrap when picking is None), done at once unless done=False."""
        s = self.store
        with s.lock:
            record = s.get("product.product", product)
            picking_name = s.get("stock.picking", picking)["name"] if picking else None
            quantity = Decimal(str(quantity))
            values = {"name": record["name"], "reference": picking_name or reference or "Product Quantity Updated"}
            values |= {"date": s.clock.now(), "state": "assigned", "company_id": company, "product_id": product}
            values |= {"product_uom_qty": quantity, "product_qty": quantity, "quantity": quantity}
            values |= {"product_uom": uom or record["uom_id"], "location_id": source, "location_dest_id": dest}
            values |= {"partner_id": partner or False, "picking_id": picking or False, "origin": False}
            values |= {"price_unit": Decimal(str(price_unit)), "picking_type_id": False}
            values |= {"scrapped": bool(s.get("stock.location", dest).get("scrap_location"))}
            values |= {"is_inventory": picking is None and not values["scrapped"], "move_orig_ids": []}
            values |= {"move_dest_ids": []}
            move = s.insert("stock.move", values)
            if done:
                self._done(move, s.clock.now())
            return move

    def done(self, move_id: int) -> None:
        """Validate one move now (e.g. the receiving half of a resupply)."""
        with self.store.lock:
            self._done(move_id, self.store.clock.now())

    def chain(self, first: int, then: int) -> None:
        """Chain two moves (a resupply through transit: out of one warehouse, then into the other)."""
        with self.store.lock:
            self.store.get("stock.move", first)["move_dest_ids"].append(then)
            self.store.get("stock.move", then)["move_orig_ids"].append(first)

    def _done(self, move_id: int, now: str) -> None:
        s = self.store
        move = s.get("stock.move", move_id)
        s.update("stock.move", move_id, {"state": "done", "date": now})
        factor = self._factor(move["product_uom"]) / self._factor(
            s.get("product.product", move["product_id"])["uom_id"]
        )
        quantity = move["quantity"] * factor  # quants are in the product's unit
        for location, sign in ((move["location_id"], -1), (move["location_dest_id"], 1)):
            if s.get("stock.location", location)["usage"] in ("internal", "transit"):
                self._quant(move["product_id"], location, sign * quantity)

    def _factor(self, uom: int) -> Decimal:
        return Decimal(str(self.store.get("uom.uom", uom)["factor_inv"]))

    def _quant(self, product: int, location: int, quantity: Decimal) -> None:
        s = self.store
        for quant in s.tables["stock.quant"].values():
            if quant["product_id"] == product and quant["location_id"] == location:
                s.update("stock.quant", quant["id"], {"quantity": quant["quantity"] + quantity})
                return
        place = s.get("stock.location", location)
        values = {"product_id": product, "location_id": location, "company_id": place.get("company_id") or False}
        values |= {"warehouse_id": place.get("warehouse_id") or False, "quantity": quantity}
        values |= {"reserved_quantity": Decimal(0), "product_uom_id": s.get("product.product", product)["uom_id"]}
        s.insert("stock.quant", values)

    def on_hand(self, product: int, location: int) -> Decimal:
        return sum(
            (
                q["quantity"]
                for q in self.store.tables["stock.quant"].values()
                if q["product_id"] == product and q["location_id"] == location
            ),
            Decimal(0),
        )
