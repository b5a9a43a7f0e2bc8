# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0)
from . import account_move, res_config_settings  # noqa: F401  (Odoo registers models on import)
