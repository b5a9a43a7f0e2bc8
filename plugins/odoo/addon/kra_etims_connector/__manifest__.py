# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0)
{  # noqa: B018  (an Odoo manifest is a bare dict literal)
    "name": "KRA eTIMS Connector",
    "summary": "Shows KRA eTIMS signatures on invoices signed by the kra-etims-connector service",
    "description": """
Fields, form page, list column, search filter and invoice report block for the KRA eTIMS data that the
kra-etims-connector service writes back on customer invoices and credit notes. Signed invoices cannot be
reset to draft or cancelled. Optionally notifies the connector when an invoice is posted.
""",
    # No series prefix: Odoo prefixes it (17.0.1.0.0 / 18.0.1.0.0), so one folder installs in 17 and 18.
    "version": "1.0.0",
    "category": "Accounting/Localizations",
    "author": "kra-etims-connector",
    "license": "LGPL-3",
    "depends": ["account"],
    "data": [
        "views/account_move_views.xml",
        "views/res_config_settings_views.xml",
        "views/report_invoice.xml",
    ],
    "installable": True,
    "application": False,
    "auto_install": False,
}
