# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0)
from . import models  # noqa: F401  (Odoo loads the models by importing them)
