"""Test kit for the Odoo adapter: a faithful fake Odoo 17/18 JSON-RPC server, built from the real
odoorpc 0.10.1 <-> Odoo wire transcripts in `samples/odoo/{17,18}`.

Public API (stable; the Odoo adapter's tests code against it)::

    from plugins.odoo.testing import FakeOdoo, InvoiceLine

    with FakeOdoo(version="18", addon=True, oscu=False) as odoo:   # real HTTP on 127.0.0.1:<ephemeral>
        odoo.url, odoo.host, odoo.port          # "http://127.0.0.1:PORT", "127.0.0.1", PORT
        odoo.database, odoo.login, odoo.password  # "demo", "admin", "admin" (keyword args override them)
        odoo.version                            # "17" or "18"

        # Standard records, same ids as the transcripts (see SOURCES.md "Ids"):
        odoo.ids.company            # 1 ("My Company", currency KES)
        odoo.ids.kes, odoo.ids.eur  # currency ids (92; EUR 125 in 18, 126 in 17), EUR rate 1/130
        odoo.ids.tax_vat16          # 3  VAT 16 % excluded       (tax_vat16_incl 4, tax_exempt 5,
                                    #    tax_vat8 6, tax_excise 7 = 5.00 fixed, include_base_amount)
        odoo.ids.partner_acme       # 7  "Acme Kenya Ltd", vat P051234567A; partner_walkin 8 (no vat)
        odoo.ids.product_service    # 1 SRV-CONS; product_widget 2 (WID-500, barcode), product_sugar 3 (kg),
                                    #   product_flour 4 (exempt), product_soda 5 (excise+16), product_fuel 6 (L, 8 %)
        odoo.ids.uom_units, uom_dozens, uom_litre, uom_kg   # 1, 2, 10, 12
        odoo.ids.journal_sales      # 1 "Customer Invoices"

        # Build records like Odoo does (direct store inserts, no RPC; amounts computed as Odoo computes them):
        move_id = odoo.make_invoice(
            lines=[InvoiceLine(product=odoo.ids.product_widget, quantity=2, price_unit="500", discount="10",
                               taxes=[odoo.ids.tax_vat16]),          # price_unit/quantity/discount: str|Decimal|int
                   InvoiceLine.section("Section title"), InvoiceLine.note("a note")],
            partner=odoo.ids.partner_acme, currency=None (company currency) or odoo.ids.eur,
            invoice_date="2026-12-02", company=1, journal=1, post=True, ref=None)
        refund_id = odoo.make_credit_note(move_id, reason="Damaged goods", post=True)   # full reversal
        odoo.post(move_id)                          # assigns INV/2026/00001 (RINV/... for refunds), bumps write_date
        odoo.make_invoices(10_000, post=True)       # bulk: seconds, cycles through standard lines; returns ids
        odoo.add_company(name="Second Co", currency=odoo.ids.kes) -> company id (with its own sales journal)
        odoo.set_rate(odoo.ids.eur, Decimal(1) / 130)

        # Inspect the store directly (dicts exactly as `read` would return them with all fields):
        odoo.record("account.move", move_id)  -> dict   (many2one as [id, display_name])
        odoo.messages(move_id)                -> list of mail.message dicts (body, message_type, subtype_xmlid)
        odoo.touch("account.move", move_id)   # bump write_date as any user edit would

        # Clock (write_date is "YYYY-MM-DD HH:MM:SS" UTC naive, as Odoo returns it):
        odoo.clock.freeze("2026-12-02 15:24:02")   # every write shares this write_date until tick/unfreeze
        odoo.clock.tick(seconds=1)
        odoo.clock.unfreeze()

        # Switches (live; take effect on the next call):
        odoo.addon_installed = True/False    # kra_* fields on account.move (fields_get, read, write)
        odoo.oscu_installed = True/False     # ir.module.module l10n_ke_edi_oscu state "installed"

        # Faults and counters:
        odoo.faults.latency = 0.05                          # seconds added to every /jsonrpc call
        odoo.faults.busy("account.move", move_id, times=1)  # next N writes/message_posts on it fail with the
                                                            # concurrency error (psycopg2 SerializationFailure)
        odoo.faults.fail_next(method="search_read", times=1)  # generic server error on the next N calls
        odoo.stop(); odoo.start()                           # down / restart on the SAME port (store kept)
        odoo.calls[("account.move", "search_read")]         # Counter of (model, method) over RPC
        odoo.calls.clear()

`FakeOdoo.harness_records()` is not provided; the adapter's conformance Harness builds on the above.
Assumptions where the transcripts are silent are listed in `plugins/odoo/testing/server.py`.
"""

from plugins.odoo.testing.records import InvoiceLine, StandardIds
from plugins.odoo.testing.rpc import OdooError
from plugins.odoo.testing.server import FakeOdoo, Faults

__all__ = ["FakeOdoo", "Faults", "InvoiceLine", "OdooError", "StandardIds"]
