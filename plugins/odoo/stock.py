"""Odoo Inventory as a stock source: done `stock.move` records of storable products become `StockMove`s.

Which moves: state done, the source company's, storable products only (18 `is_storable`; 17 product type
"product"), done on/after the stock start date (EAT). The kind comes from the two locations' `usage`, as Odoo's
own l10n_ke_edi_oscu_stock does (spec odoo.md §3):

    supplier -> internal      purchase (02), or import (01) when the vendor (the picking's partner, else the
                              move's) has a country that is not Kenya; no country = a Kenyan vendor
    internal -> supplier      supplier_return (12)
    inventory -> internal     adjustment_in (06)            internal -> inventory   adjustment_out (16),
                                                            scrap (15) when the destination is a scrap location
    production -> internal    production_in (05)            internal -> production  production_out (14)
    internal -> internal      nothing in one branch; between warehouses of two branches ([warehouses] option)
                              a transfer_out (13) for the sender and a transfer_in (04) for the receiver, each
                              naming the other's branch id
    internal -> transit       transfer_out (13)             transit -> internal     transfer_in (04)
                              the other branch from the chained move (move_dest_ids / move_orig_ids) when known;
                              nothing when both ends are one branch
    customer <-> internal     left out: the connector reports sales (11) and returns (03) from signed documents

Grouping: one StockMove per run of consecutive moves (in (date, id) order) of one picking with the same
movement, done in the same second, like Odoo's own module groups per (picking, flow, date): a receipt of 40
products is one stock IO with 40 lines and one sarNo, named by the picking (WH/IN/00012) a person recognises.
Moves without a picking (inventory adjustments applied together) group the same way. The external id is
"stock.move:<first move id>:<KRA type>".

Cursor "<date>|<id>" over (date, id), oldest first; a page is completed with the rest of its last second before
it is grouped, so no run is cut by a page, and a cursor always ends a run: read again from any cursor, the
moves after it form the same runs with the same external ids (a restart neither repeats nor splits a movement).
Quantities are the done `quantity` in the move's unit; the unit cost is the move's `price_unit` (company
currency, per product unit, converted to the move's unit), else the product's `standard_price`. Taxes: the
product's sale VAT (to register the item).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import ValidationError

from connector.clock import EAT
from connector.errors import DocumentError
from connector.models import MAX_LINES, Tax
from connector.stock.models import STOCK_IO_TYPE, StockMove
from plugins.odoo.canonical import _item
from plugins.odoo.client import OdooClient
from plugins.odoo.config import OdooConfig, WarehouseBranch
from plugins.odoo.reading import LATE_SECONDS, ODOO_DATETIME, Reader
from plugins.odoo.taxes import expand, kind_of
from plugins.odoo.values import dec, m2o_id, m2o_name, text

log = logging.getLogger("plugins.odoo")

STOCK_MODULE = "stock"
MOVE_FIELDS = [
    "name", "reference", "date", "state", "company_id", "product_id", "product_uom", "quantity", "price_unit",
    "location_id", "location_dest_id", "picking_id", "partner_id", "move_orig_ids", "move_dest_ids",
]  # fmt: skip
LOCATION_FIELDS = ["complete_name", "usage", "scrap_location", "warehouse_id", "company_id"]
PICKING_FIELDS = ["name", "partner_id"]
WAREHOUSE_FIELDS = ["name", "code"]
PRODUCT_FIELDS = ["name", "default_code", "barcode", "type", "categ_id", "uom_id", "taxes_id", "standard_price"]
PRODUCT_OPTIONAL = ["detailed_type", "is_storable"]
PARTNER_FIELDS = ["name", "country_id", "commercial_partner_id"]
TAX_FIELDS = ["name", "amount", "amount_type", "children_tax_ids", "sequence", "type_tax_use", "company_id"]
UOM_FIELDS = ["name", "factor_inv"]
SIX_PLACES = Decimal("0.000001")


def parse_cursor(cursor: str | None) -> tuple[str, int] | None:
    if not cursor:
        return None
    moment, _, move_id = cursor.rpartition("|")
    return moment, int(move_id)


def _cursor(position: tuple[str, int]) -> str:
    return f"{position[0]}|{position[1]}"


def _after(position: tuple[str, int] | None) -> list[Any]:
    if position is None:
        return []
    moment, move_id = position
    return ["|", ("date", ">", moment), "&", ("date", "=", moment), ("id", ">", move_id)]


def start_of(day: date) -> str:
    """Midnight EAT of `day` as Odoo's UTC datetime text."""
    return datetime.combine(day, time(0, 0), tzinfo=EAT).astimezone(UTC).strftime(ODOO_DATETIME)


@dataclass(frozen=True)
class Leg:
    """One KRA movement a stock.move makes: its kind, for which branch (device), naming which other branch."""

    kind: str
    device: str | None
    counterpart: str | None = None


@dataclass
class Run:
    """Consecutive moves of one picking, with the same movements (legs), done in the same second."""

    key: tuple[Any, ...]
    legs: tuple[Leg, ...]
    moves: list[dict[str, Any]] = field(default_factory=list)


class StockReader:
    """Reads one company's done stock moves (and quants) for the Odoo adapter."""

    def __init__(self, client: OdooClient, config: OdooConfig, source_name: str, reader: Reader, mapping: Any) -> None:
        self.client = client
        self.config = config
        self.source_name = source_name
        self.reader = reader  # company resolution is shared with the invoice reader
        self.mapping = mapping
        self.seen: dict[int, str] = {}  # move id -> date, yielded by this process (late arrivals' memory)

    # ------------------------------------------------------------ set-up

    def installed(self) -> bool:
        """The Inventory app (module `stock`) is installed."""
        rows = self.client.search_read("ir.module.module", [("name", "=", STOCK_MODULE)], ["state"])
        return bool(rows) and rows[0].get("state") == "installed"

    def storable_leaf(self) -> tuple[str, str, Any]:
        if self.client.has_field("product.product", "is_storable"):
            return ("product_id.is_storable", "=", True)  # 18
        return ("product_id.type", "=", "product")  # 17: "Storable Product"

    def domain(self, start: date | None) -> list[Any]:
        domain: list[Any] = [("state", "=", "done"), ("company_id", "=", self.reader.company_id), self.storable_leaf()]
        # Deliveries and customer returns are the connector's: left out here, so a site's many deliveries are not
        # read (and read again behind a cursor that only a reported movement moves on).
        domain += [("location_id.usage", "!=", "customer"), ("location_dest_id.usage", "!=", "customer")]
        if not self.config.warehouses:
            # one branch: a move between two internal locations (a multi-step route) is no KRA movement
            domain += ["|", ("location_id.usage", "!=", "internal"), ("location_dest_id.usage", "!=", "internal")]
        if start is not None:
            domain.append(("date", ">=", start_of(start)))
        return domain

    # ------------------------------------------------------------ moves

    def pages(self, cursor: str | None, start: date | None) -> Iterator[list[dict[str, Any]]]:
        """Pages of done moves after `cursor`, oldest first, each complete through the second of its last move."""
        self.reader.resolve()
        position = parse_cursor(cursor)
        domain, size = self.domain(start), self.config.page_size
        while True:
            page = self.client.search_read("stock.move", domain + _after(position), MOVE_FIELDS,
                                           order="date asc, id asc", limit=size)  # fmt: skip
            if not page:
                return
            full = len(page) >= size
            if full:  # the rest of the last second, so that no picking is cut between pages
                last = page[-1]
                page += self.client.search_read("stock.move", [*domain, ("date", "=", last["date"]),
                                                               ("id", ">", last["id"])],
                                                MOVE_FIELDS, order="id asc")  # fmt: skip
            yield page
            if not full:
                return
            position = (page[-1]["date"], page[-1]["id"])

    def moves(self, cursor: str | None, start: date | None) -> Iterator[tuple[Any, str | None]]:
        cache: dict[str, Any] = {}
        late = self.late_arrivals(cursor, start)
        if late:  # committed late, behind the cursor: yielded without moving it
            yield from self._page(late, cache, cursor, advance=False)
        for page in self.pages(cursor, start):
            yield from self._page(page, cache, cursor)
            cursor = _cursor((page[-1]["date"], page[-1]["id"]))

    def late_arrivals(self, cursor: str | None, start: date | None) -> list[dict[str, Any]]:
        """Done moves at or before the cursor, dated within LATE_SECONDS of it, that this process has not yielded:
        Odoo dates a move when `_action_done` runs and commits later, so a poll in between can pass it. One small
        call (ids and dates). After a restart the window is read again; its runs come again unchanged (same
        external ids), which the ledger takes as already recorded."""
        position = parse_cursor(cursor)
        if position is None:
            return []
        self.reader.resolve()
        moment, move_id = position
        since = (datetime.strptime(moment, ODOO_DATETIME) - timedelta(seconds=LATE_SECONDS)).strftime(ODOO_DATETIME)
        not_after = ["|", ("date", "<", moment), "&", ("date", "=", moment), ("id", "<=", move_id)]
        rows = self.client.search_read("stock.move", [*self.domain(start), ("date", ">=", since), *not_after],
                                       ["date"])  # fmt: skip
        for old in [i for i, stamp in self.seen.items() if stamp < since]:
            del self.seen[old]
        late = sorted(row["id"] for row in rows if row["id"] not in self.seen)
        if not late:
            return []
        return self.client.search_read("stock.move", [("id", "in", late)], MOVE_FIELDS, order="date asc, id asc")

    def _page(self, page: list[dict[str, Any]], cache: dict[str, Any], cursor: str | None,
              advance: bool = True) -> Iterator[tuple[Any, str | None]]:  # fmt: skip
        linked_ids = [i for m in page for f in ("move_orig_ids", "move_dest_ids") for i in m.get(f) or []]
        linked = self._read(cache, "stock.move", linked_ids, ["location_id", "location_dest_id"])  # transit's ends
        ends = [m2o_id(m.get(f)) for m in [*page, *linked.values()] for f in ("location_id", "location_dest_id")]
        locations = self._read(cache, "stock.location", ends, LOCATION_FIELDS)
        warehouses = self._read(cache, "stock.warehouse", [m2o_id(r.get("warehouse_id")) for r in locations.values()],
                                WAREHOUSE_FIELDS)  # fmt: skip
        pickings = self._read(cache, "stock.picking", [m2o_id(m.get("picking_id")) for m in page], PICKING_FIELDS)
        runs: list[Run] = []  # consecutive moves (in (date, id) order) of one picking, kinds and second
        for move in page:
            legs = tuple(self._legs(move, locations, warehouses, pickings, cache))
            if not legs:
                continue  # nothing for KRA (a move the cursor passes with the next run)
            key = (m2o_id(move.get("picking_id")), legs, move["date"])
            if not runs or runs[-1].key != key or len(runs[-1].moves) >= MAX_LINES:
                runs.append(Run(key, legs))
            runs[-1].moves.append(move)
        products = self._read(cache, "product.product", [m2o_id(m.get("product_id")) for m in page],
                              PRODUCT_FIELDS, PRODUCT_OPTIONAL)  # fmt: skip
        self._read(cache, "uom.uom", [m2o_id(m.get("product_uom")) for m in page]
                   + [m2o_id(p.get("uom_id")) for p in products.values()], UOM_FIELDS)  # fmt: skip
        self._taxes(cache, [t for p in products.values() for t in p.get("taxes_id") or []])
        for move in page:
            self.seen[move["id"]] = move["date"]
        for run in runs:
            last = run.moves[-1]
            for number, leg in enumerate(run.legs, start=1):
                if advance and number == len(run.legs):  # every movement of the run yielded: the cursor passes it
                    cursor = _cursor((last["date"], last["id"]))
                yield self._stock_move(run.moves, leg, locations, pickings, cache), cursor

    def _legs(self, move: dict[str, Any], locations: dict[int, Any], warehouses: dict[int, Any],
              pickings: dict[int, Any], cache: dict[str, Any]) -> list[Leg]:  # fmt: skip
        source = locations.get(m2o_id(move.get("location_id")) or 0) or {}
        dest = locations.get(m2o_id(move.get("location_dest_id")) or 0) or {}
        if dec(move.get("quantity")) <= 0:
            return []
        frm, to = source.get("usage"), dest.get("usage")
        here, there = self._branch(source, warehouses), self._branch(dest, warehouses)
        if to == "internal":
            if frm == "supplier":
                kind = "import" if self._foreign_vendor(move, pickings, cache) else "purchase"
                return [Leg(kind, there.device)]
            if frm == "inventory":
                return [Leg("adjustment_in", there.device)]
            if frm == "production":
                return [Leg("production_in", there.device)]
            if frm == "transit":  # the other end: where the chained move out of a warehouse came from
                other = self._far_end(move, "move_orig_ids", "location_id", locations, warehouses, cache)
                if other is not None and other.device == there.device:
                    return []  # through transit within one branch
                return [Leg("transfer_in", there.device, other.branch_id if other else None)]
            if frm == "internal" and here.device != there.device:
                return [
                    Leg("transfer_out", here.device, there.branch_id),
                    Leg("transfer_in", there.device, here.branch_id),
                ]
            return []  # within one branch; from customers: the connector's return-in
        if frm == "internal":
            if to == "supplier":
                return [Leg("supplier_return", here.device)]
            if to == "inventory":
                return [Leg("scrap" if dest.get("scrap_location") else "adjustment_out", here.device)]
            if to == "production":
                return [Leg("production_out", here.device)]
            if to == "transit":  # the other end: where the chained move into a warehouse goes
                other = self._far_end(move, "move_dest_ids", "location_dest_id", locations, warehouses, cache)
                if other is not None and other.device == here.device:
                    return []
                return [Leg("transfer_out", here.device, other.branch_id if other else None)]
        return []  # to customers (the connector's sale stock-out), dropship, view locations…

    def _far_end(self, move: dict[str, Any], chain: str, end: str, locations: dict[int, Any],
                 warehouses: dict[int, Any], cache: dict[str, Any]) -> WarehouseBranch | None:  # fmt: skip
        """The branch at the other end of a transit: the chained move's internal location (None = not known)."""
        for linked_id in move.get(chain) or []:
            linked = cache["stock.move"].get(linked_id) or {}
            location = locations.get(m2o_id(linked.get(end)) or 0) or {}
            if location.get("usage") == "internal":
                return self._branch(location, warehouses)
        return None

    def _branch(self, location: dict[str, Any], warehouses: dict[int, Any]) -> WarehouseBranch:
        warehouse = warehouses.get(m2o_id(location.get("warehouse_id")) or 0)
        if warehouse is None:
            return WarehouseBranch()
        for key in (warehouse.get("code"), warehouse.get("name")):
            if key and key in self.config.warehouses:
                return self.config.warehouses[key]
        return WarehouseBranch()

    def _foreign_vendor(self, move: dict[str, Any], pickings: dict[int, Any], cache: dict[str, Any]) -> bool:
        picking = pickings.get(m2o_id(move.get("picking_id")) or 0) or {}
        partner_id = m2o_id(picking.get("partner_id")) or m2o_id(move.get("partner_id"))
        if partner_id is None:
            return False
        partner = self._read(cache, "res.partner", [partner_id], PARTNER_FIELDS).get(partner_id) or {}
        company_id = m2o_id(partner.get("commercial_partner_id"))
        if not partner.get("country_id") and company_id and company_id != partner_id:  # a contact of the vendor
            partner = self._read(cache, "res.partner", [company_id], PARTNER_FIELDS).get(company_id) or {}
        country_id = m2o_id(partner.get("country_id"))
        if country_id is None:
            return False  # no country: a Kenyan vendor
        country = self._read(cache, "res.country", [country_id], ["code"]).get(country_id) or {}
        return str(country.get("code") or "KE").upper() != "KE"  # the code, not the (translated) name

    def _stock_move(self, moves: list[dict[str, Any]], leg: Leg, locations: dict[int, Any],
                    pickings: dict[int, Any], cache: dict[str, Any]) -> Any:  # fmt: skip
        first = moves[0]
        picking = pickings.get(m2o_id(first.get("picking_id")) or 0)
        number = text(picking.get("name")) if picking else None
        number = number or text(first.get("reference")) or f"stock.move {first['id']}"
        code = STOCK_IO_TYPE[leg.kind]
        source = locations.get(m2o_id(first.get("location_id")) or 0) or {}
        dest = locations.get(m2o_id(first.get("location_dest_id")) or 0) or {}
        values: dict[str, Any] = {
            "source": self.source_name,
            "external_id": f"stock.move:{first['id']}:{code}",
            "number": number,
            "kind": leg.kind,
            "moved_at": datetime.strptime(first["date"], ODOO_DATETIME).replace(tzinfo=UTC).astimezone(EAT),
            "branch": leg.device,
            "counterpart_branch": leg.counterpart,
            "remark": f"Odoo {source.get('complete_name') or '?'} -> {dest.get('complete_name') or '?'}",
        }
        where = f"{number} (stock.move {first['id']})"
        try:
            values["lines"] = [self._line(move, cache, where, n) for n, move in enumerate(moves, start=1)]
            return StockMove.model_validate(values)
        except (DocumentError, ValidationError) as error:
            # Not silently dropped: the core validates what it gets and makes this movement needs-fix.
            log.warning("%s: stock movement %s cannot be reported as it is: %s", self.source_name, where, error)
            values.setdefault("lines", [])
            return values

    def _line(self, move: dict[str, Any], cache: dict[str, Any], where: str, number: int) -> dict[str, Any]:
        product = cache["product.product"].get(m2o_id(move.get("product_id")) or 0)
        if product is None:
            raise DocumentError("the product cannot be read", document=where, line=number, field="product_id",
                                value=str(move.get("product_id")))  # fmt: skip
        uoms = cache["uom.uom"]
        move_uom = uoms.get(m2o_id(move.get("product_uom")) or 0) or {}
        product_uom = uoms.get(m2o_id(product.get("uom_id")) or 0) or move_uom
        cost = abs(dec(move.get("price_unit"))) or abs(dec(product.get("standard_price")))
        ratio = dec(move_uom.get("factor_inv") or 1) / (dec(product_uom.get("factor_inv") or 1) or Decimal(1))
        return {
            "line_id": str(move["id"]),
            "item": _item(product, self.mapping, where, number),
            "quantity": dec(move.get("quantity")).quantize(SIX_PLACES, ROUND_HALF_UP),
            "unit": m2o_name(move.get("product_uom")) or text(move_uom.get("name")) or "",
            "unit_cost": (cost * ratio).quantize(SIX_PLACES, ROUND_HALF_UP),
            "taxes": self._vat(product, cache),
        }

    def _vat(self, product: dict[str, Any], cache: dict[str, Any]) -> list[Tax]:
        """The product's sale VAT of this company (what registering the item needs)."""
        taxes = cache["account.tax"]
        ids = [t for t in product.get("taxes_id") or [] if t in taxes
               and m2o_id(taxes[t].get("company_id")) in (None, self.reader.company_id)]  # fmt: skip
        found = []
        for tax in expand(ids, taxes, "product"):
            if tax.get("type_tax_use") in ("sale", None) and kind_of(tax, self.mapping, self.config) == "vat":
                found.append(Tax(code=str(tax["name"]), rate=dec(tax["amount"]), kind="vat"))
        return found[:1]

    def _taxes(self, cache: dict[str, Any], ids: list[int]) -> None:
        taxes = self._read(cache, "account.tax", ids, TAX_FIELDS)
        children = [c for t in taxes.values() if t.get("amount_type") == "group" for c in t["children_tax_ids"]]
        while set(children) - set(taxes):
            taxes = self._read(cache, "account.tax", children, TAX_FIELDS)
            children = [c for t in taxes.values() if t.get("amount_type") == "group" for c in t["children_tax_ids"]]

    def _read(self, cache: dict[str, Any], model: str, ids: list[int | None], fields: list[str],
              optional: list[str] | None = None) -> dict[int, dict[str, Any]]:  # fmt: skip
        known: dict[int, dict[str, Any]] = cache.setdefault(model, {})
        wanted = sorted({i for i in ids if i is not None} - set(known))
        if wanted:
            names = fields + sorted(self.client.existing_fields(model, optional or []))
            known.update({row["id"]: row for row in self.client.read(model, wanted, names)})
        return known

    # ------------------------------------------------------------ on hand

    def on_hand(self, branch: str | None, codes: list[str]) -> dict[str, Decimal]:
        """stock.quant quantities (product unit) in the branch's internal locations, per item code."""
        self.reader.resolve()
        by_code = {c: c for c in codes}
        ids = [int(c.removeprefix("odoo-product-")) for c in codes if c.removeprefix("odoo-product-").isdigit()
               and c.startswith("odoo-product-")]  # fmt: skip
        leaf: list[Any] = ["|", ("product_id.default_code", "in", list(by_code)), ("product_id", "in", ids)]
        domain: list[Any] = [("location_id.usage", "=", "internal"), ("company_id", "=", self.reader.company_id), *leaf]
        warehouses = self._warehouses_of(branch)
        if warehouses is not None:
            domain.append(("location_id.warehouse_id", "in", warehouses))
        quants = self.client.search_read("stock.quant", domain, ["product_id", "quantity"])
        products = self._read({}, "product.product", [m2o_id(q.get("product_id")) for q in quants], ["default_code"])
        totals: dict[str, Decimal] = {}
        for quant in quants:
            product_id = m2o_id(quant.get("product_id")) or 0
            code = text((products.get(product_id) or {}).get("default_code")) or f"odoo-product-{product_id}"
            if code in by_code:
                totals[code] = totals.get(code, Decimal(0)) + dec(quant.get("quantity"))
        return totals

    def _warehouses_of(self, branch: str | None) -> list[int] | None:
        """Warehouse ids whose stock belongs to `branch`; None = every warehouse (no [warehouses] option)."""
        if not self.config.warehouses:
            return None
        rows = self.client.search_read("stock.warehouse", [("company_id", "=", self.reader.company_id)],
                                       WAREHOUSE_FIELDS)  # fmt: skip
        found = []
        for row in rows:
            mapped = self.config.warehouses.get(row.get("code")) or self.config.warehouses.get(row.get("name"))
            if (mapped.device if mapped else None) == branch:
                found.append(row["id"])
        return found
