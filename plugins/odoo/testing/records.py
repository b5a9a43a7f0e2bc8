"""Records built like Odoo builds them: the standard database of the transcripts (same ids), invoices and credit
notes with Odoo's amounts, journal items (product, section/note, tax and receivable lines) and posting names."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from plugins.odoo.testing import amounts
from plugins.odoo.testing.schema import ADDON_DEFAULTS
from plugins.odoo.testing.standard import load_standard
from plugins.odoo.testing.store import Store


def dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass
class InvoiceLine:
    """One invoice line for `make_invoice`. taxes/uom None = the product's own; display_type for sections/notes."""

    product: int | None = None
    quantity: Any = 1
    price_unit: Any = 0
    discount: Any = 0
    taxes: list[int] | None = None
    uom: int | None = None
    name: str | None = None
    display_type: str = "product"

    @classmethod
    def section(cls, name: str) -> InvoiceLine:
        return cls(name=name, display_type="line_section", quantity=0)

    @classmethod
    def note(cls, name: str) -> InvoiceLine:
        return cls(name=name, display_type="line_note", quantity=0)


@dataclass
class StandardIds:
    """Ids of the standard records (the transcripts' database)."""

    company: int = 1
    kes: int = 92
    eur: int = 125
    usd: int = 1
    tax_vat16: int = 3
    tax_vat16_incl: int = 4
    tax_exempt: int = 5
    tax_vat8: int = 6
    tax_excise: int = 7
    partner_acme: int = 7
    partner_walkin: int = 8
    product_service: int = 1
    product_widget: int = 2
    product_sugar: int = 3
    product_flour: int = 4
    product_soda: int = 5
    product_fuel: int = 6
    uom_units: int = 1
    uom_dozens: int = 2
    uom_litre: int = 10
    uom_kg: int = 12
    journal_sales: int = 1
    kenya: int = 114
    extra: dict[str, int] = field(default_factory=dict)


class Builder:
    def __init__(self, store: Store, version: str) -> None:
        self.store = store
        self.version = version
        self.ids = StandardIds(eur=125 if version == "18" else 126)
        self.sequences: dict[tuple[int, str, str], int] = {}
        self.on_posted: Callable[[list[int]], None] | None = None  # the addon's post-commit notification

    def standard_setup(self) -> None:
        load_standard(self)

    def set_rate(self, currency: int, rate: Decimal, date: str = "2026-01-01", company: int = 1) -> None:
        """Company currency -> `currency` rate (Odoo's `rate`: document units per company unit)."""
        values = {"currency_id": currency, "name": date, "rate": rate, "company_rate": rate, "company_id": company}
        self.store.insert("res.currency.rate", values | {"inverse_company_rate": 1 / rate})
        self.store.get("res.currency", currency).update(rate=rate, inverse_rate=1 / rate)

    def rate(self, currency: int, date: str | None, company: int) -> Decimal:
        if currency == self.store.get("res.company", company)["currency_id"]:
            return Decimal(1)
        rates = [r for r in self.store.tables["res.currency.rate"].values() if r["currency_id"] == currency]
        dated = [r for r in rates if not date or r["name"] <= date] or rates
        return max(dated, key=lambda r: r["name"])["rate"] if dated else Decimal(1)

    def add_partner(self, values: dict[str, Any], partner_id: int | None = None) -> int:
        new_id = self.store.insert("res.partner", {"active": True} | values, partner_id)
        partner = self.store.get("res.partner", new_id)
        country = self.store.tables["res.country"].get(partner.get("country_id") or 0, {}).get("name")
        address = [part for part in (partner.get("street"), partner.get("city"), country) if part]
        partner.update(commercial_partner_id=new_id, contact_address_inline=", ".join(address) or False)
        return new_id

    def add_tax(self, name: str, amount: Any, amount_type: str = "percent", *, tax_group: int = 1,
                price_include: bool = False, tax_id: int | None = None, use: str = "sale",
                children: list[int] | None = None, **extra: Any) -> int:  # fmt: skip
        values = {"name": name, "amount": dec(amount), "amount_type": amount_type, "type_tax_use": use}
        values |= {"price_include": price_include, "include_base_amount": False, "is_base_affected": True}
        values |= {"sequence": 10, "tax_group_id": tax_group, "children_tax_ids": children or [], "company_id": 1}
        values |= {"active": True, "description": False, "invoice_label": False}
        if self.version == "18":
            values["price_include_override"] = "tax_included" if price_include else "tax_excluded"
        return self.store.insert("account.tax", values | extra, tax_id)

    def add_product(self, name: str, code: str | bool, kind: str, price: Any, taxes: list[int], uom: int = 1,
                    barcode: str | bool = False, product_id: int | None = None) -> int:  # fmt: skip
        template = self.store.insert("product.template", {"name": name, "default_code": code}, product_id)
        values = {"name": name, "default_code": code, "type": kind, "list_price": dec(price), "taxes_id": taxes}
        values |= {"uom_id": uom, "uom_po_id": uom, "barcode": barcode, "categ_id": 1, "product_tmpl_id": template}
        if self.version == "17":
            values["detailed_type"] = kind
        return self.store.insert("product.product", values | {"active": True, "company_id": False}, product_id)

    def add_company(self, name: str, currency: int | None = None) -> int:
        s = self.store
        partner = self.add_partner({"name": name, "is_company": True})
        values = {"name": name, "currency_id": currency or self.ids.kes, "partner_id": partner, "country_id": 114}
        if self.version == "18":
            values["account_price_include"] = "tax_excluded"
        company = s.insert("res.company", values | {"vat": False})
        s.get("res.users", 2)["company_ids"].append(company)
        journal = {"name": "Customer Invoices", "code": "INV", "type": "sale", "company_id": company}
        self.ids.extra[f"journal_{company}"] = s.insert("account.journal", journal)
        return company

    def sales_journal(self, company: int) -> int:
        journals = self.store.tables["account.journal"].values()
        return min(j["id"] for j in journals if j["company_id"] == company and j["type"] == "sale")

    def purchase_journal(self, company: int) -> int:
        """The company's "Vendor Bills" journal (BILL); made for a company added without one."""
        journals = [j["id"] for j in self.store.tables["account.journal"].values()
                    if j["company_id"] == company and j["type"] == "purchase"]  # fmt: skip
        if journals:
            return min(journals)
        values = {"name": "Vendor Bills", "code": "BILL", "type": "purchase", "company_id": company}
        return self.store.insert("account.journal", values)

    def purchase_tax(self, rate: Any = 16, company: int = 1) -> int:
        """A purchase VAT tax ("VAT 16% (purchases)", type_tax_use purchase), made on first use."""
        key = f"tax_purchase_vat{rate}_{company}"
        if key not in self.ids.extra:
            group = 2 if dec(rate) == 16 else 3 if dec(rate) == 8 else 1
            self.ids.extra[key] = self.add_tax(f"VAT {rate}% (purchases)", rate, tax_group=group, use="purchase",
                                               company_id=company)  # fmt: skip
        return self.ids.extra[key]

    def make_bill(self, lines: Iterable[InvoiceLine], vendor: int, ref: str | bool = False,
                  invoice_date: str | None = None, currency: int | None = None, company: int = 1,
                  journal: int | None = None, post: bool = True, **extra: Any) -> int:  # fmt: skip
        """A vendor bill (move_type in_invoice) in the purchase journal, `ref` its Bill Reference; lines whose
        taxes are None get the purchase VAT 16 % (the fake's products carry no supplier taxes)."""
        return self.make_invoice(lines, vendor, currency, invoice_date, company, journal, post=post, ref=ref,
                                 move_type="in_invoice", **extra)  # fmt: skip

    # -- invoices ---------------------------------------------------------------------------------------------
    def make_invoice(self, lines: Iterable[InvoiceLine], partner: int | None = None, currency: int | None = None,
                     invoice_date: str | None = None, company: int = 1, journal: int | None = None,
                     post: bool = True, ref: str | bool = False, move_type: str = "out_invoice",
                     **extra: Any) -> int:  # fmt: skip
        s = self.store
        with s.lock:
            company_currency = s.get("res.company", company)["currency_id"]
            date = invoice_date or s.clock.now()[:10]
            partner = partner or self.ids.partner_acme
            commercial = s.get("res.partner", partner).get("commercial_partner_id") or partner
            move = {"move_type": move_type, "state": "draft", "name": "/" if self.version == "17" else False}
            move |= {"partner_id": partner, "commercial_partner_id": commercial, "company_id": company}
            move |= {"currency_id": currency or company_currency, "company_currency_id": company_currency}
            default = self.purchase_journal(company) if move_type.startswith("in_") else self.sales_journal(company)
            move |= {"journal_id": journal or default, "invoice_date": date, "date": date}
            move |= {"ref": ref, "narration": False, "invoice_origin": False, "payment_state": "not_paid"}
            move |= {"reversed_entry_id": False, "reversal_move_ids": [], "reversal_move_id": [], "message_ids": []}
            move |= {"invoice_date_due": date, "payment_reference": False} | dict(ADDON_DEFAULTS) | extra
            move_id = s.insert("account.move", move)
            self._build_lines(move_id, list(lines))
            if post:
                self.post(move_id)
            return move_id

    def _build_lines(self, move_id: int, lines: list[InvoiceLine]) -> None:
        s = self.store
        move = s.get("account.move", move_id)
        rate = self.rate(move["currency_id"], move["invoice_date"], move["company_id"])
        sign = -1 if move["move_type"] in ("out_invoice", "out_receipt") else 1  # product lines are credits
        taxes = s.tables["account.tax"]
        common = {"move_id": move_id, "company_id": move["company_id"], "currency_id": move["currency_id"]}
        common |= {"partner_id": move["commercial_partner_id"], "date": move["date"], "parent_state": "draft"}
        common |= {"company_currency_id": move["company_currency_id"], "currency_rate": rate}
        invoice_ids, computed, by_tax = [], [], {}
        for position, line in enumerate(lines, start=1):
            values = dict(common, sequence=position * 10, display_type=line.display_type, discount=dec(line.discount))
            if line.display_type != "product":
                values |= {"name": line.name or False, "quantity": Decimal(0), "price_unit": Decimal(0)}
                values |= {"product_id": False, "product_uom_id": False, "tax_ids": [], "tax_line_id": False}
                values |= {"price_subtotal": Decimal(0), "price_total": Decimal(0), "balance": Decimal(0)}
                values |= {"amount_currency": Decimal(0), "debit": Decimal(0), "credit": Decimal(0)}
                invoice_ids.append(s.insert("account.move.line", values))
                continue
            product = s.get("product.product", line.product) if line.product else {}
            tax_ids = list(product.get("taxes_id", [])) if line.taxes is None else list(line.taxes)
            if line.taxes is None and move["move_type"].startswith("in_"):  # the fake's products have no supplier
                tax_ids = [self.purchase_tax(16, move["company_id"])]  # taxes: a bill gets the purchase VAT 16 %
            result = amounts.compute_line(
                dec(line.price_unit), dec(line.quantity), dec(line.discount), amounts.flatten_taxes(taxes, tax_ids)
            )
            computed.append(result)
            for tax in result.taxes:
                by_tax[tax.tax_id] = by_tax.get(tax.tax_id, Decimal(0)) + tax.amount
            balance = sign * amounts.to_company(result.subtotal, rate)
            name = line.name or (s.display_name("product.product", line.product) if line.product else False)
            values |= {"name": name, "product_id": line.product or False, "quantity": dec(line.quantity)}
            values |= {"product_uom_id": line.uom or product.get("uom_id") or False, "price_unit": dec(line.price_unit)}
            values |= {"tax_ids": tax_ids, "tax_line_id": False, "price_subtotal": result.subtotal}
            values |= {"price_total": result.total, "amount_currency": sign * result.subtotal, "balance": balance}
            values |= _debit_credit(balance)
            invoice_ids.append(s.insert("account.move.line", values))
        line_ids = list(invoice_ids)
        for tax_id, total in by_tax.items():
            if not total:
                continue  # Odoo writes no journal item for a zero tax
            balance = sign * amounts.to_company(total, rate)
            values = dict(common, display_type="tax", name=taxes[tax_id]["name"], tax_line_id=tax_id, tax_ids=[])
            values |= {"quantity": Decimal(1), "price_unit": Decimal(0), "discount": Decimal(0), "product_id": False}
            values |= {"amount_currency": sign * total, "balance": balance, "product_uom_id": False}
            values |= {"price_subtotal": Decimal(0), "price_total": Decimal(0)} | _debit_credit(balance)
            line_ids.append(s.insert("account.move.line", values))
        rows = [s.get("account.move.line", i) for i in line_ids]
        term_balance = -sum((r["balance"] for r in rows), Decimal(0))
        term = dict(common, display_type="payment_term", name=False, tax_line_id=False, tax_ids=[], product_id=False)
        term |= {"amount_currency": -sum((r["amount_currency"] for r in rows), Decimal(0)), "balance": term_balance}
        term |= {"quantity": Decimal(0), "price_unit": Decimal(0), "discount": Decimal(0), "product_uom_id": False}
        term |= {"price_subtotal": Decimal(0), "price_total": Decimal(0)} | _debit_credit(term_balance)
        line_ids.append(s.insert("account.move.line", term))
        self._totals(move, computed, rate, by_tax)
        move.update(invoice_line_ids=invoice_ids, line_ids=line_ids)

    def _totals(self, move: dict[str, Any], lines: list[amounts.LineAmounts], rate: Decimal, by_tax: dict) -> None:
        s, direction = self.store, 1 if move["move_type"] in ("out_invoice", "out_receipt") else -1
        untaxed = sum((line.subtotal for line in lines), Decimal(0))
        tax = sum(by_tax.values(), Decimal(0))
        untaxed_company = sum((amounts.to_company(line.subtotal, rate) for line in lines), Decimal(0))
        tax_company = sum((amounts.to_company(total, rate) for total in by_tax.values()), Decimal(0))
        totals = {"untaxed": untaxed, "tax": tax, "total": untaxed + tax, "untaxed_company": untaxed_company}
        totals |= {"tax_company": tax_company, "total_company": untaxed_company + tax_company}
        move |= {"amount_untaxed": untaxed, "amount_tax": tax, "amount_total": untaxed + tax}
        move |= {"amount_untaxed_signed": direction * untaxed_company, "amount_tax_signed": direction * tax_company}
        move |= {"amount_total_signed": direction * (untaxed_company + tax_company)}
        move |= {"amount_total_in_currency_signed": direction * (untaxed + tax), "amount_residual": untaxed + tax}
        if self.version == "18":
            move["invoice_currency_rate"] = rate
        groups = {g["id"]: g["name"] for g in s.tables["account.tax.group"].values()}
        currency, company_currency = (
            s.get("res.currency", move["currency_id"]),
            s.get("res.currency", move["company_currency_id"]),
        )
        group_totals = amounts.group_totals(lines, groups, rate)
        move["tax_totals"] = amounts.tax_totals(self.version, group_totals, totals, currency, company_currency)

    def post(self, move_id: int, notify: bool = True) -> None:
        s = self.store
        with s.lock:
            move = s.get("account.move", move_id)
            if not move.get("name") or move["name"] == "/":
                move["name"] = self._next_name(move)
            s.update("account.move", move_id, {"state": "posted"})
            for line_id in move["line_ids"]:
                s.update("account.move.line", line_id, {"parent_state": "posted"})
            original = move.get("reversed_entry_id")
            if original and move["move_type"] == "out_refund":
                invoice = s.get("account.move", original)
                if invoice["amount_total"] == move["amount_total"]:
                    s.update("account.move", original, {"payment_state": "reversed"})
        if notify and self.on_posted is not None:
            self.on_posted([move_id])

    def _next_name(self, move: dict[str, Any]) -> str:
        journal = self.store.get("account.journal", move["journal_id"])
        code = journal["code"]
        prefix = ("R" + code) if move["move_type"] in ("out_refund", "in_refund") else code
        if journal["type"] not in ("sale", "bank", "cash"):  # Odoo's purchase journals number by month
            key = (move["journal_id"], prefix, move["date"][:7])
            self.sequences[key] = self.sequences.get(key, 0) + 1
            return f"{prefix}/{key[2].replace('-', '/')}/{self.sequences[key]:04d}"  # BILL/2026/12/0001
        key = (move["journal_id"], prefix, move["date"][:4])
        self.sequences[key] = self.sequences.get(key, 0) + 1
        return f"{prefix}/{key[2]}/{self.sequences[key]:05d}"

    def make_credit_note(self, invoice_id: int, reason: str = "", post: bool = True, date: str | None = None) -> int:
        """A full reversal, as the "Credit Note" wizard (account.move.reversal, refund_moves) makes it."""
        s = self.store
        with s.lock:
            invoice = s.get("account.move", invoice_id)
            lines = []
            for line_id in invoice["invoice_line_ids"]:
                line = s.get("account.move.line", line_id)
                lines.append(InvoiceLine(line["product_id"] or None, line["quantity"], line["price_unit"],
                                         line["discount"], line["tax_ids"], line["product_uom_id"] or None,
                                         line["name"] or None, line["display_type"]))  # fmt: skip
            ref = f"Reversal of: {invoice['name']}, {reason}" if reason else f"Reversal of: {invoice['name']}"
            refund = self.make_invoice(lines, invoice["partner_id"], invoice["currency_id"],
                                       date or invoice["invoice_date"], invoice["company_id"], invoice["journal_id"],
                                       post=False, ref=ref, move_type="out_refund",
                                       reversed_entry_id=invoice_id)  # fmt: skip
            if self.version == "17":
                s.get("account.move", refund)["name"] = self._next_name(s.get("account.move", refund))
            invoice["reversal_move_ids"] = invoice["reversal_move_id"] = invoice["reversal_move_ids"] + [refund]
            if post:
                self.post(refund)
            return refund


def _debit_credit(balance: Decimal) -> dict[str, Decimal]:
    return {"debit": balance if balance > 0 else Decimal(0), "credit": -balance if balance < 0 else Decimal(0)}
