"""Test kit for the Odoo adapter: a faithful fake Odoo 17/18 JSON-RPC server, built from the real
odoorpc 0.10.1 <-> Odoo wire transcripts (samples/odoo/{17,18}; the extract in `transcripts.json` is replayed
by tests/test_odoo_fake.py and every recorded answer is reproduced, timestamps aside).

Public API (stable; the Odoo adapter's tests code against it)::

    from plugins.odoo.testing import FakeOdoo, InvoiceLine, OdooError

    with FakeOdoo(version="18", addon=True, oscu=False) as odoo:   # real HTTP on 127.0.0.1:<ephemeral>
        # keyword args: database="demo", login="admin", password="admin", api_key=None (also accepted as password),
        #               standard=True (load the transcripts' database)
        odoo.url, odoo.host, odoo.port            # "http://127.0.0.1:PORT", "127.0.0.1", PORT
        odoo.database, odoo.login, odoo.password, odoo.version   # version "17" or "18"

        # Standard records, same ids as the transcripts (SOURCES.md "Ids"):
        odoo.ids.company            # 1 ("My Company", currency KES)
        odoo.ids.kes, odoo.ids.eur  # 92; EUR 125 in 18, 126 in 17; EUR rate 1/130 dated 2026-01-01
        odoo.ids.tax_vat16          # 3  VAT 16 % excluded; tax_vat16_incl 4, tax_exempt 5 (0 %), tax_vat8 6,
                                    #    tax_excise 7 (5.00 fixed per unit, include_base_amount, sequence 5)
        odoo.ids.partner_acme       # 7  "Acme Kenya Ltd", vat P051234567A; partner_walkin 8 (no vat)
        odoo.ids.product_service    # 1 SRV-CONS (service); product_widget 2 (WID-500, barcode 6161234567890),
                                    # product_sugar 3 (kg), product_flour 4 (exempt), product_soda 5 (excise + 16 %),
                                    # product_fuel 6 (L, 8 %)
        odoo.ids.uom_units, .uom_dozens, .uom_litre, .uom_kg   # 1, 2, 10, 12
        odoo.ids.journal_sales      # 1 "Customer Invoices" (code INV)

        # Build records like Odoo does (direct store inserts, no RPC; Odoo's amounts, lines, names):
        move_id = odoo.make_invoice(
            [InvoiceLine(odoo.ids.product_widget, quantity=3, price_unit="1000", discount=10,
                         taxes=[odoo.ids.tax_vat16]),       # numbers: str | Decimal | int; taxes/uom None = product's
             InvoiceLine.section("On-site services"), InvoiceLine.note("Installation on 3 December")],
            partner=odoo.ids.partner_acme, currency=None or odoo.ids.eur, invoice_date="2026-12-02",
            company=1, journal=None, post=True, ref=False, move_type="out_invoice")
        vendor = odoo.add_vendor("Supplier Ltd", vat="P000111222B", country=odoo.ids.kenya)  # supplier_rank 1
        bill_id = odoo.make_bill([InvoiceLine(odoo.ids.product_widget, 2, "100")], vendor, ref="42",
            invoice_date=None, currency=None, company=1, journal=None, post=True)  # vendor bill (in_invoice) in
                                    # the purchase journal "Vendor Bills" (BILL/2026/12/0001, monthly as Odoo's),
                                    # ref = Bill Reference; taxes None = "VAT 16% (purchases)" (purchase tax made
                                    # on first use: odoo.builder.purchase_tax(rate))
        refund_id = odoo.make_credit_note(move_id, reason="Goods returned", post=True)  # full reversal, ref
                                    # "Reversal of: INV/2026/00001, Goods returned"; original payment_state "reversed"
        odoo.post(move_id)          # a draft: INV/2026/00001 (RINV/… for refunds), state posted, write_date bumped
        odoo.make_invoices(10_000, post=True, company=1)   # bulk, seconds; returns the ids
        company2 = odoo.add_company("Second Co")           # own sales journal: odoo.ids.extra[f"journal_{company2}"]
        odoo.set_rate(odoo.ids.eur, Decimal(1) / 130, "2026-01-01")
        odoo.builder.add_tax(name, amount, "percent" | "fixed" | "division" | "group", tax_group=2,
                             price_include=False, children=[...], include_base_amount=..., sequence=...) -> id
        odoo.builder.add_product(name, code, "consu" | "service", price, taxes, uom, barcode) -> id
        odoo.builder.add_partner({"name": ..., "vat": ...}) -> id

        # Inspect the store directly:
        odoo.record("account.move", move_id) -> dict   # as `read` answers it (many2one [id, name], floats)
        odoo.messages(move_id) -> list[dict]           # stored mail.message rows: body, message_type,
                                                       # subtype_xmlid, model, res_id, author_id, date
        odoo.touch("account.move", move_id)            # bump write_date, as any user edit would
        odoo.store.tables[model][id]                   # raw rows (Decimal money) for anything else

        # Clock (write_date is "YYYY-MM-DD HH:MM:SS", UTC, naive, as Odoo returns it):
        odoo.clock.freeze("2026-12-02 15:24:02")   # every write shares this write_date until tick/unfreeze
        odoo.clock.tick(seconds=1)
        odoo.clock.unfreeze()

        # Switches (live; take effect on the next call):
        odoo.addon_installed = True/False  # kra_* fields on account.move (fields_get/read/write), the module
                                           # record kra_etims_connector, action_kra_send_again, notifications
        odoo.oscu_installed = True/False   # ir.module.module l10n_ke_edi_oscu "installed" (absent when False)
        odoo.set_module("l10n_ke_edi_oscu", "uninstalled")   # any state; None = not on the addons path
        odoo.stock_installed = True/False  # the Inventory app (FakeOdoo(stock=True)): stock.move, stock.location,
                                           # stock.picking(.type), stock.warehouse, stock.quant, storable products,
                                           # module `stock`; odoo.stock builds receipts, moves, transfers
                                           # (plugins/odoo/testing/stock.py)

        # The addon's notification to the connector (POST <url>/webhooks/odoo, X-Etims-Token, after posting):
        odoo.configure_notify("http://127.0.0.1:8470", "token")   # ir.config_parameter, None clears
        odoo.request_resend(move_id)       # "Send to KRA again" on a needs_fix invoice
        odoo.notifier.wait(); odoo.notifier.sent   # [Notification(ids, status, error)]

        # Faults and counters:
        odoo.faults.latency = 0.05                          # seconds added to every /jsonrpc call
        odoo.faults.busy("account.move", move_id, times=1)  # next N write/message_post on it fail with
                                                            # psycopg2.errors.SerializationFailure
        odoo.faults.fail_next(method="search_read", times=1)  # a server error on the next N such calls ("*" = any)
        odoo.stop(); odoo.start()                           # down / restart on the SAME port (store kept)
        odoo.calls[("account.move", "search_read")]         # Counter of (model, method) over RPC
        odoo.calls.clear()

RPC methods served: fields_get, search, search_read, search_count, read (load="_classic_write" too), write,
create (account.move with invoice_line_ids (0, 0, vals)), unlink, message_post, res.users.context_get,
ir.model.data.check_object_reference, ir.config_parameter.get_param/set_param, account.move.action_post /
button_draft / button_cancel (the addon's signed guard) / action_kra_send_again, account.move.reversal create +
refund_moves; services common.login/version/authenticate and db.list. Assumptions where the transcripts are
silent are listed in `plugins/odoo/testing/server.py`.
"""

from plugins.odoo.testing.errors import OdooError
from plugins.odoo.testing.records import InvoiceLine, StandardIds
from plugins.odoo.testing.server import FakeOdoo, Faults

__all__ = ["FakeOdoo", "Faults", "InvoiceLine", "OdooError", "StandardIds"]
