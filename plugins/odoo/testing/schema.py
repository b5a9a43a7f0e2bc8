"""Which fields each model of the fake has, per Odoo version, and `fields_get` answers built from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from plugins.odoo.testing import fields_data

RELATIONAL = ("many2one", "one2many", "many2many")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    string: str
    relation: str | None = None
    selection: tuple[tuple[str, str], ...] | None = None
    required: bool = False
    readonly: bool = False
    store: bool = True

    def describe(self, attributes: list[str] | None) -> dict[str, Any]:
        """The field as `fields_get` shows it (only the asked attributes, like Odoo)."""
        full: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "string": self.string,
            "required": self.required,
            "readonly": self.readonly,
            "store": self.store,
            "searchable": True,
            "sortable": self.store,
            "manual": False,
            "exportable": True,
            "company_dependent": False,
            "change_default": False,
        }
        if self.relation:
            full["relation"] = self.relation
        if self.selection is not None:
            full["selection"] = [list(pair) for pair in self.selection]
        if not attributes:
            return full
        return {key: full[key] for key in attributes if key in full}


def _f(type_: str, string: str, relation: str | None = None, selection: Any = None, *flags: bool) -> tuple:
    required, readonly, store = (list(flags) + [False, False, True][len(flags) :])[:3]
    return (type_, string, relation, selection, required, readonly, store)


_AUDIT = {
    "id": _f("integer", "ID", None, None, False, True),
    "display_name": _f("char", "Display Name", None, None, False, True, False),
    "create_date": _f("datetime", "Created on", None, None, False, True),
    "write_date": _f("datetime", "Last Updated on", None, None, False, True),
}

# Fields the transcripts did not show but the adapter or odoorpc may ask for (types as in Odoo's source).
EXTRA: dict[str, dict[str, tuple]] = {
    "res.users": {
        "name": _f("char", "Name", None, None, True),
        "login": _f("char", "Login", None, None, True),
        "partner_id": _f("many2one", "Related Partner", "res.partner", None, True),
        "company_id": _f("many2one", "Company", "res.company", None, True),
        "company_ids": _f("many2many", "Companies", "res.company"),
        "tz": _f("selection", "Timezone", None, (("Africa/Nairobi", "Africa/Nairobi"), ("UTC", "UTC"))),
        "lang": _f("selection", "Language", None, (("en_US", "English (US)"),)),
    },
    "res.company": {"partner_id": _f("many2one", "Partner", "res.partner", None, True)},
    "res.partner": {"company_id": _f("many2one", "Company", "res.company"), "active": _f("boolean", "Active")},
    "account.journal": {
        "name": _f("char", "Journal Name", None, None, True),
        "code": _f("char", "Short Code", None, None, True),
        "type": _f(
            "selection",
            "Type",
            None,
            (
                ("sale", "Sales"),
                ("purchase", "Purchase"),
                ("cash", "Cash"),
                ("bank", "Bank"),
                ("general", "Miscellaneous"),
            ),
            True,
        ),
        "company_id": _f("many2one", "Company", "res.company", None, True),
        "currency_id": _f("many2one", "Currency", "res.currency"),
        "active": _f("boolean", "Active"),
    },
    "account.move": {
        "partner_shipping_id": _f("many2one", "Delivery Address", "res.partner"),
        "invoice_date_due": _f("date", "Due Date"),
        "payment_reference": _f("char", "Payment Reference"),
        "amount_residual": _f("monetary", "Amount Due", None, None, False, True),
        "needed_terms": _f("binary", "Needed Terms", None, None, False, True, False),
        "message_ids": _f("one2many", "Messages", "mail.message"),
    },
    "account.move.line": {
        "company_id": _f("many2one", "Company", "res.company", None, False, True),
        "company_currency_id": _f("many2one", "Company Currency", "res.currency", None, False, True, False),
        "parent_state": _f("char", "Status", None, None, False, True),
        "date": _f("date", "Date", None, None, False, True),
    },
    "product.product": {
        "active": _f("boolean", "Active"),
        "company_id": _f("many2one", "Company", "res.company"),
    },
    "product.template": {
        "name": _f("char", "Name", None, None, True),
        "default_code": _f("char", "Internal Reference"),
    },
    "ir.config_parameter": {"key": _f("char", "Key", None, None, True), "value": _f("text", "Value", None, None, True)},
    "mail.message.subtype": {"name": _f("char", "Message Type", None, None, True)},
    "product.category": {"name": _f("char", "Name", None, None, True)},
    "uom.category": {"name": _f("char", "Unit of Measure Category", None, None, True)},
    "mail.message": {"subtype_xmlid": _f("char", "Subtype XML ID", None, None, False, True, False)},
    "ir.module.module": {},
    "ir.model": {
        "model": _f("char", "Model", None, None, True),
        "name": _f("char", "Model Description", None, None, True),
    },
    "ir.model.data": {
        "module": _f("char", "Module", None, None, True),
        "name": _f("char", "External Identifier", None, None, True),
        "model": _f("char", "Model Name", None, None, True),
        "res_id": _f("many2one_reference", "Record ID"),
    },
}

# The addon's fields on account.move (ODOO-FIELDS.md), present only while the addon is "installed".
KRA_STATES = (("not_sent", "Not sent"), ("queued", "Queued"), ("signed", "Signed"), ("needs_fix", "Needs fix"))
ADDON_FIELDS: dict[str, tuple] = {
    "kra_state": _f("selection", "KRA State", None, KRA_STATES, False, True),
    "kra_message": _f("text", "KRA Message", None, None, False, True),
    "kra_invoice_number": _f("integer", "KRA Invoice Number", None, None, False, True),
    "kra_receipt_number": _f("integer", "KRA Receipt Number", None, None, False, True),
    "kra_total_receipt_number": _f("integer", "KRA Total Receipt Number", None, None, False, True),
    "kra_signature": _f("char", "KRA Signature", None, None, False, True),
    "kra_internal_data": _f("char", "KRA Internal Data", None, None, False, True),
    "kra_scu_id": _f("char", "KRA SCU ID", None, None, False, True),
    "kra_mrc_number": _f("char", "KRA MRC Number", None, None, False, True),
    "kra_signed_at": _f("datetime", "KRA Signed At", None, None, False, True),
    "kra_qr_url": _f("char", "KRA QR URL", None, None, False, True),
    "kra_resend_requested": _f("boolean", "KRA Resend Requested", None, None, False, True),
}
ADDON_DEFAULTS: dict[str, Any] = {name: False for name in ADDON_FIELDS} | {"kra_state": "not_sent"}

MAIL_THREADS = ("account.move", "res.partner", "product.product")


def build_schema(version: str) -> dict[str, dict[str, Field]]:
    """model -> field name -> Field, for Odoo `version` ("17" or "18"), without the addon's fields."""
    only = fields_data.ONLY_17 if version == "17" else fields_data.ONLY_18
    models = set(fields_data.COMMON) | set(only) | set(EXTRA)
    schema: dict[str, dict[str, Field]] = {}
    for model in sorted(models):
        merged = dict(_AUDIT)
        for source in (fields_data.COMMON, EXTRA, only):
            merged.update(source.get(model, {}))
        schema[model] = {name: Field(name, *spec) for name, spec in merged.items()}
    return schema


AUDIT_FIELDS: dict[str, Field] = {name: Field(name, *spec) for name, spec in _AUDIT.items()}


def addon_fields() -> dict[str, Field]:
    return {name: Field(name, *spec) for name, spec in ADDON_FIELDS.items()}
