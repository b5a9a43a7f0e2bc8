"""Reading posted customer invoices and credit notes from Odoo, a page at a time.

Polling order is (write_date, id) and the cursor is "<write_date>|<id>": the next page is everything
strictly after it, so moves sharing one write_date second are neither repeated nor skipped. One page costs
a fixed number of calls (moves, their lines, products, partners; taxes once per poll): O(pages).

A document's `content` is a JSON snapshot of what `to_canonical` needs, WITHOUT write_date and the addon's
kra_* fields: our own write-back changes those, and an unchanged document must look unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from connector.adapters import SourceDocument
from connector.errors import ConfigurationError
from plugins.odoo.client import OdooClient
from plugins.odoo.config import OdooConfig
from plugins.odoo.values import m2o_id, m2o_name, num, text

MOVE_FIELDS = [
    "name", "move_type", "state", "invoice_date", "partner_id", "commercial_partner_id", "company_id",
    "currency_id", "company_currency_id", "journal_id", "amount_untaxed", "amount_tax", "amount_total",
    "amount_total_signed", "invoice_line_ids", "reversed_entry_id", "ref", "write_date",
]  # fmt: skip
MOVE_OPTIONAL = ["invoice_currency_rate", "kra_state", "kra_resend_requested", "kra_signature"]
LINE_FIELDS = [
    "display_type", "product_id", "name", "quantity", "product_uom_id", "price_unit", "discount", "tax_ids",
    "price_subtotal", "price_total", "balance", "amount_currency", "currency_rate", "sequence",
]  # fmt: skip
TAX_FIELDS = ["name", "amount", "amount_type", "price_include", "include_base_amount", "sequence",
              "children_tax_ids", "type_tax_use"]  # fmt: skip
TAX_OPTIONAL = ["price_include_override"]
PRODUCT_FIELDS = ["name", "default_code", "barcode", "type", "categ_id"]
PRODUCT_OPTIONAL = ["detailed_type"]
PARTNER_FIELDS = ["name", "vat", "mobile", "email", "country_id"]
PARTNER_OPTIONAL = ["contact_address_inline", "country_code"]
SALE_TYPES = ["out_invoice", "out_refund"]
ODOO_DATETIME = "%Y-%m-%d %H:%M:%S"
LATE_SECONDS = 300  # how long an Odoo transaction may run between stamping write_date and committing


def parse_cursor(cursor: str | None) -> tuple[str, int] | None:
    if not cursor:
        return None
    write_date, _, move_id = cursor.rpartition("|")
    return write_date, int(move_id)


def make_cursor(move: dict[str, Any]) -> str:
    return f"{move['write_date']}|{move['id']}"


def after(position: tuple[str, int] | None) -> list[Any]:
    if position is None:
        return []
    write_date, move_id = position
    return ["|", ("write_date", ">", write_date), "&", ("write_date", "=", write_date), ("id", ">", move_id)]


class Reader:
    """Builds domains and SourceDocuments for one source (one company)."""

    def __init__(self, client: OdooClient, config: OdooConfig, source_name: str) -> None:
        self.client = client
        self.config = config
        self.source_name = source_name
        self.company_id: int | None = None
        self.journal_ids: list[int] = []
        self.company_price_include: str | None = None
        self.seen: dict[int, str] = {}  # move id -> write_date yielded by this process (late_arrivals' memory)

    # ------------------------------------------------------------ set-up (once per connection)

    def resolve(self) -> None:
        """Company and journal ids from the options (names are looked up once)."""
        if self.company_id is not None:
            return
        company = self.config.company
        domain = [("id", "=", company)] if isinstance(company, int) else [("name", "=", company)]
        found = self.client.search_read("res.company", domain, ["name"])
        if len(found) != 1:
            raise ConfigurationError(
                f"source {self.source_name!r}: Odoo company {company!r} not found (or not allowed for "
                f"{self.config.username!r}); give its id or exact name"
            )
        self.company_id = found[0]["id"]
        self.client.company_id = self.company_id
        if self.client.has_field("res.company", "account_price_include"):
            row = self.client.read("res.company", [self.company_id], ["account_price_include"])
            self.company_price_include = row[0].get("account_price_include") or None if row else None
        self.journal_ids = self._journals()

    def _journals(self) -> list[int]:
        if not self.config.journals:
            return []
        rows = self.client.search_read("account.journal", [("company_id", "=", self.company_id)],
                                       ["name", "code"])  # fmt: skip
        ids = []
        for wanted in self.config.journals:
            match = [r["id"] for r in rows if wanted in (r["id"], r.get("code"), r.get("name"))]
            if not match:
                raise ConfigurationError(f"source {self.source_name!r}: journal {wanted!r} not found in Odoo")
            ids.extend(match)
        return ids

    @property
    def addon(self) -> bool:
        return self.client.has_field("account.move", "kra_signature")

    def base_domain(self) -> list[Any]:
        domain: list[Any] = [("move_type", "in", SALE_TYPES), ("state", "=", "posted"),
                             ("company_id", "=", self.company_id)]  # fmt: skip
        if self.journal_ids:
            domain.append(("journal_id", "in", self.journal_ids))
        if self.config.start_date:
            domain.append(("invoice_date", ">=", self.config.start_date.isoformat()))
        return domain

    def move_fields(self) -> list[str]:
        return MOVE_FIELDS + sorted(self.client.existing_fields("account.move", MOVE_OPTIONAL))

    # ------------------------------------------------------------ reading

    def poll_domain(self) -> list[Any]:
        domain = self.base_domain()
        if self.addon:
            domain.append(("kra_state", "!=", "signed"))  # signed and written back: nothing more to do
        return domain

    def pages(self, cursor: str | None) -> Iterator[list[dict[str, Any]]]:
        """Pages of moves after `cursor`, oldest change first."""
        self.resolve()
        position = parse_cursor(cursor)
        domain, fields = self.poll_domain(), self.move_fields()
        while True:
            page = self.client.search_read("account.move", domain + after(position), fields,
                                           order="write_date asc, id asc", limit=self.config.page_size)  # fmt: skip
            if not page:
                return
            yield page
            if len(page) < self.config.page_size:
                return
            position = (page[-1]["write_date"], page[-1]["id"])

    def late_arrivals(self, cursor: str | None) -> list[dict[str, Any]]:
        """Moves at or before the cursor whose write_date is within LATE_SECONDS of it and that this process has
        not yielded with that write_date: rows committed by a transaction that began before an earlier poll
        (Odoo stamps write_date with the transaction's start) would otherwise be passed for good.

        One small call per poll (ids and dates only). After a restart the window is read once more, which is
        harmless: the ledger ignores unchanged documents.
        """
        position = parse_cursor(cursor)
        if position is None:
            return []
        self.resolve()
        write_date, move_id = position
        since = (datetime.strptime(write_date, ODOO_DATETIME) - timedelta(seconds=LATE_SECONDS)).strftime(ODOO_DATETIME)
        not_after = ["|", ("write_date", "<", write_date), "&", ("write_date", "=", write_date), ("id", "<=", move_id)]
        rows = self.client.search_read("account.move", [*self.poll_domain(), ("write_date", ">=", since), *not_after],
                                       ["write_date"])  # fmt: skip
        for seen_id in [i for i, stamp in self.seen.items() if stamp < since]:
            del self.seen[seen_id]
        late = [row["id"] for row in rows if self.seen.get(row["id"]) != row["write_date"]]
        return self.moves_by_id(late) if late else []

    def moves_by_id(self, ids: list[int]) -> list[dict[str, Any]]:
        self.resolve()
        domain = [*self.base_domain(), ("id", "in", sorted(set(ids)))]
        return self.client.search_read("account.move", domain, self.move_fields(), order="write_date asc, id asc")

    def documents(self, moves: list[dict[str, Any]], cache: dict[str, Any]) -> list[SourceDocument]:
        """SourceDocuments for one page of moves: 3-4 calls for the whole page."""
        line_ids = [i for move in moves for i in move.get("invoice_line_ids") or []]
        lines = {row["id"]: row for row in self.client.read("account.move.line", line_ids, LINE_FIELDS)}
        product_lines = [row for row in lines.values() if row.get("display_type") in ("product", False, None)]
        products = self._read_cached(cache, "product.product", [m2o_id(r.get("product_id")) for r in product_lines],
                                     PRODUCT_FIELDS, PRODUCT_OPTIONAL)  # fmt: skip
        partners = self._read_cached(cache, "res.partner", [m2o_id(m.get("commercial_partner_id")) for m in moves],
                                     PARTNER_FIELDS, PARTNER_OPTIONAL)  # fmt: skip
        taxes = self._taxes(cache, [t for r in product_lines for t in r.get("tax_ids") or []])
        return [self._document(move, lines, products, partners, taxes) for move in moves]

    def _read_cached(self, cache: dict[str, Any], model: str, ids: list[int | None], fields: list[str],
                     optional: list[str]) -> dict[int, dict[str, Any]]:  # fmt: skip
        known: dict[int, dict[str, Any]] = cache.setdefault(model, {})
        wanted = sorted({i for i in ids if i is not None} - set(known))
        if wanted:
            all_fields = fields + sorted(self.client.existing_fields(model, optional))
            known.update({row["id"]: row for row in self.client.read(model, wanted, all_fields)})
        return known

    def _taxes(self, cache: dict[str, Any], ids: list[int]) -> dict[int, dict[str, Any]]:
        taxes = self._read_cached(cache, "account.tax", list(ids), TAX_FIELDS, TAX_OPTIONAL)
        children = [c for t in taxes.values() if t.get("amount_type") == "group" for c in t["children_tax_ids"]]
        while set(children) - set(taxes):
            taxes = self._read_cached(cache, "account.tax", children, TAX_FIELDS, TAX_OPTIONAL)
            children = [c for t in taxes.values() if t.get("amount_type") == "group" for c in t["children_tax_ids"]]
        return taxes

    def _document(self, move: dict[str, Any], lines: dict[int, dict[str, Any]], products: dict[int, Any],
                  partners: dict[int, Any], taxes: dict[int, Any]) -> SourceDocument:  # fmt: skip
        move_lines = sorted((lines[i] for i in move.get("invoice_line_ids") or [] if i in lines),
                            key=lambda r: (r.get("sequence") or 0, r["id"]))  # fmt: skip
        used_products = {m2o_id(r.get("product_id")) for r in move_lines} - {None}
        used_taxes = _tax_closure([t for r in move_lines for t in r.get("tax_ids") or []], taxes)
        partner = partners.get(m2o_id(move.get("commercial_partner_id")) or 0)
        kind = "credit_note" if move["move_type"] == "out_refund" else "invoice"
        content = {
            "database": self.config.database,
            "move": _move_snapshot(move),
            "partner": _clean(partner) if partner else None,
            "lines": [_line_snapshot(r) for r in move_lines],
            "products": {str(i): _clean(products[i]) for i in sorted(used_products) if i in products},  # type: ignore[index]
            "taxes": {str(i): _clean(taxes[i]) for i in sorted(used_taxes) if i in taxes},
            "company_price_include": self.company_price_include,
        }
        ref = {"model": "account.move", "id": move["id"], "database": self.config.database, "number": move["name"]}
        return SourceDocument(
            external_id=str(move["id"]), kind=kind, number=text(move.get("name")), ref=ref, content=content,
            retry_requested=bool(move.get("kra_resend_requested")),
        )  # fmt: skip


def _tax_closure(ids: list[int], taxes: dict[int, dict[str, Any]]) -> set[int]:
    found: set[int] = set()
    todo = list(ids)
    while todo:
        tax_id = todo.pop()
        if tax_id in found:
            continue
        found.add(tax_id)
        tax = taxes.get(tax_id) or {}
        if tax.get("amount_type") == "group":
            todo.extend(tax.get("children_tax_ids") or [])
    return found


def _move_snapshot(move: dict[str, Any]) -> dict[str, Any]:
    snapshot = {
        "id": move["id"],
        "name": move.get("name"),
        "move_type": move["move_type"],
        "invoice_date": move.get("invoice_date") or None,
        "partner_id": m2o_id(move.get("commercial_partner_id")),
        "currency": m2o_name(move.get("currency_id")),
        "company_currency": m2o_name(move.get("company_currency_id")),
        "journal": m2o_name(move.get("journal_id")),
        "amount_untaxed": num(move.get("amount_untaxed")),
        "amount_tax": num(move.get("amount_tax")),
        "amount_total": num(move.get("amount_total")),
        "amount_total_signed": num(move.get("amount_total_signed")),
        "reversed_entry": list(move["reversed_entry_id"]) if move.get("reversed_entry_id") else None,
        "ref": text(move.get("ref")),
    }
    if "invoice_currency_rate" in move:
        snapshot["invoice_currency_rate"] = num(move.get("invoice_currency_rate"))
    return snapshot


def _line_snapshot(line: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": line["id"],
        "display_type": line.get("display_type") or "product",
        "product_id": m2o_id(line.get("product_id")),
        "name": text(line.get("name")),
        "quantity": num(line.get("quantity")),
        "uom": m2o_name(line.get("product_uom_id")),
        "uom_id": m2o_id(line.get("product_uom_id")),
        "price_unit": num(line.get("price_unit")),
        "discount": num(line.get("discount")),
        "tax_ids": list(line.get("tax_ids") or []),
        "price_subtotal": num(line.get("price_subtotal")),
        "price_total": num(line.get("price_total")),
        "balance": num(line.get("balance")),
        "amount_currency": num(line.get("amount_currency")),
        "currency_rate": num(line.get("currency_rate")),
    }


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    """A record as JSON-safe content: floats as exact text, many2one as [id, name]."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, float):
            out[key] = num(value)
        elif isinstance(value, tuple):
            out[key] = list(value)
        else:
            out[key] = value
    return out
