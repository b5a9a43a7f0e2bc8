"""The adapter conformance suite on the fake Odoo: 17 and 18 with the addon, 18 without it (chatter only).

The addon authenticates its notification with a shared token (X-Etims-Token, ODOO-FIELDS.md): the harness's
forged webhook is one with a wrong token. More token cases: tests/test_odoo_webhook.py.
"""

from connector.testing import conformance_suite
from plugins.odoo.harness import OdooHarness17, OdooHarness18, OdooHarness18NoAddon

TestOdoo17 = conformance_suite(OdooHarness17)
TestOdoo18 = conformance_suite(OdooHarness18)
TestOdoo18NoAddon = conformance_suite(OdooHarness18NoAddon)
