"""The standard database the fake starts with: the recorded one (samples/odoo SOURCES.md), same ids."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plugins.odoo.testing.records import Builder


def dec(value: str) -> Decimal:
    return Decimal(value)


def load_standard(builder: Builder) -> None:
    """The transcripts' database: same ids, names, taxes, products, currencies (SOURCES.md "Ids")."""
    s, ids = builder.store, builder.ids
    for cid, name, code in ((114, "Kenya", "KE"), (233, "United States", "US")):
        s.insert("res.country", {"name": name, "code": code}, cid)
    s.insert("res.currency", {"name": "USD", "symbol": "$", "active": False, "rounding": 0.01}, ids.usd)
    s.insert("res.currency", {"name": "KES", "symbol": "KSh", "active": True, "rounding": 0.01}, ids.kes)
    s.insert("res.currency", {"name": "EUR", "symbol": "€", "active": True, "rounding": 0.01}, ids.eur)
    for currency in (ids.usd, ids.kes, ids.eur):
        s.get("res.currency", currency).update(decimal_places=2, position="after", full_name=False)
    builder.set_rate(ids.eur, Decimal(1) / Decimal(130), "2026-01-01")
    s.insert("res.partner", {"name": "My Company", "is_company": True, "active": True}, 1)
    s.insert("res.partner", {"name": "Administrator", "active": True, "email": "admin@example.com"}, 3)
    company = {"name": "My Company", "currency_id": ids.kes, "country_id": 233, "partner_id": 1, "vat": False}
    if builder.version == "18":
        company["account_price_include"] = "tax_excluded"
    s.insert("res.company", company, ids.company)
    user = {"name": "Administrator", "login": "admin", "partner_id": 3, "company_id": 1, "company_ids": [1]}
    s.insert("res.users", user | {"tz": False, "lang": "en_US"}, 2)
    acme = {"name": "Acme Kenya Ltd", "is_company": True, "vat": "P051234567A", "email": "accounts@acme.example"}
    acme |= {"mobile": "+254 712 345678", "phone": "+254 20 1234567", "street": "Moi Avenue 12", "city": "Nairobi"}
    builder.add_partner(acme | {"country_id": 114, "customer_rank": 1}, ids.partner_acme)
    builder.add_partner({"name": "Walk-in Customer", "customer_rank": 1}, ids.partner_walkin)
    for cid, name in ((1, "Unit"), (2, "Weight"), (6, "Volume")):
        s.insert("uom.category", {"name": name}, cid)
    for uid, name, category, ratio, kind in (
        (1, "Units", 1, "1", "reference"),
        (2, "Dozens", 1, "12", "bigger"),
        (10, "L", 6, "1", "reference"),
        (12, "kg", 2, "1", "reference"),
    ):
        uom = {"name": name, "category_id": category, "factor_inv": dec(ratio), "factor": 1 / dec(ratio)}
        s.insert("uom.uom", uom | {"ratio": dec(ratio), "uom_type": kind, "rounding": 0.01, "active": True}, uid)
    for gid, name in ((1, "Taxes"), (2, "VAT 16%"), (3, "VAT 8%"), (4, "VAT Exempt"), (5, "Excise")):
        s.insert("account.tax.group", {"name": name, "sequence": 10, "company_id": 1}, gid)
    builder.add_tax("15%", 15, tax_group=1, tax_id=1)
    builder.add_tax("15%", 15, tax_group=1, tax_id=2, use="purchase")
    builder.add_tax("VAT 16%", 16, tax_group=2, tax_id=ids.tax_vat16)
    builder.add_tax("VAT 16% incl.", 16, tax_group=2, price_include=True, tax_id=ids.tax_vat16_incl)
    builder.add_tax("VAT Exempt 0%", 0, tax_group=4, tax_id=ids.tax_exempt)
    builder.add_tax("VAT 8%", 8, tax_group=3, tax_id=ids.tax_vat8)
    excise = {"include_base_amount": True, "sequence": 5}
    builder.add_tax("Excise duty 5.00 per unit", 5, "fixed", tax_group=5, tax_id=ids.tax_excise, **excise)
    s.insert("product.category", {"name": "All"}, 1)
    s.insert("mail.message.subtype", {"name": "Discussions"}, 1)
    s.insert("mail.message.subtype", {"name": "Note"}, 2)
    for pid, name, code, kind, price, taxes, uom, barcode in (
        (1, "Consulting service", "SRV-CONS", "service", 2500, [3], 1, False),
        (2, "Widget 500g", "WID-500", "consu", 1000, [3], 1, "6161234567890"),
        (3, "Sugar (loose, per kg)", "SUG-KG", "consu", 180, [3], 12, False),
        (4, "Maize flour 2kg", "FLR-2KG", "consu", 200, [5], 1, False),
        (5, "Soda 500ml", "SODA-500", "consu", 50, [7, 3], 1, False),
        (6, "Diesel (per litre)", "FUEL-L", "consu", 180, [6], 10, False),
    ):
        builder.add_product(name, code, kind, price, taxes, uom, barcode, pid)
    s.insert("account.journal", {"name": "Customer Invoices", "code": "INV", "type": "sale", "company_id": 1}, 1)
    s.insert("account.journal", {"name": "Vendor Bills", "code": "BILL", "type": "purchase", "company_id": 1}, 2)
    for xml_id, (model, res_id) in {
        "uom.product_uom_unit": ("uom.uom", 1),
        "uom.product_uom_dozen": ("uom.uom", 2),
        "uom.product_uom_litre": ("uom.uom", 10),
        "uom.product_uom_kgm": ("uom.uom", 12),
        "base.main_company": ("res.company", 1),
        "base.user_admin": ("res.users", 2),
        "base.KES": ("res.currency", ids.kes),
        "base.EUR": ("res.currency", ids.eur),
        "base.ke": ("res.country", 114),
        "mail.mt_note": ("mail.message.subtype", 2),
    }.items():
        module, name = xml_id.split(".")
        s.insert("ir.model.data", {"module": module, "name": name, "model": model, "res_id": res_id})
    for model in sorted(s.schema):
        s.insert("ir.model", {"model": model, "name": model})
    for name in ("account", "base", "mail", "product", "uom"):
        s.insert("ir.module.module", {"name": name, "state": "installed", "shortdesc": name})
