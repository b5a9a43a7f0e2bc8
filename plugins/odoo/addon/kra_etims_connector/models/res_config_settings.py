# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0)
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    kra_notify_url = fields.Char(
        string="Connector URL",
        config_parameter="kra_etims_connector.notify_url",
        help="Base URL of the kra-etims-connector listener, e.g. http://127.0.0.1:8470. "
        "When set, posting an invoice tells the connector at once (polling still catches up).",
    )
    kra_notify_token = fields.Char(
        string="Connector token",
        config_parameter="kra_etims_connector.notify_token",
        help="Sent as the X-Etims-Token header; the same value as the connector's notify_token secret.",
    )
