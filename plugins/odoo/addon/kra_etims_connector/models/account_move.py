# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0)
"""KRA eTIMS data on customer invoices and credit notes, written by the kra-etims-connector service."""

from odoo import _, fields, models
from odoo.exceptions import UserError

from . import notify

KRA_STATES = [
    ("not_sent", "Not sent"),
    ("queued", "Queued"),
    ("signed", "Signed"),
    ("needs_fix", "Needs fix"),
]
SALE_MOVE_TYPES = ("out_invoice", "out_refund")


class AccountMove(models.Model):
    _inherit = "account.move"

    kra_state = fields.Selection(
        KRA_STATES, string="KRA state", default="not_sent", copy=False, readonly=True, index=True
    )
    kra_message = fields.Text(string="KRA message", copy=False, readonly=True)
    kra_invoice_number = fields.Integer(string="CU invoice number", copy=False, readonly=True)
    kra_receipt_number = fields.Integer(string="KRA receipt number", copy=False, readonly=True)
    kra_total_receipt_number = fields.Integer(string="KRA total receipt number", copy=False, readonly=True)
    kra_signature = fields.Char(string="Receipt signature", copy=False, readonly=True)
    kra_internal_data = fields.Char(string="Internal data", copy=False, readonly=True)
    kra_scu_id = fields.Char(string="SCU ID", copy=False, readonly=True)
    kra_mrc_number = fields.Char(string="MRC number", copy=False, readonly=True)
    kra_signed_at = fields.Datetime(string="Signed by KRA at", copy=False, readonly=True)
    kra_qr_url = fields.Char(string="KRA receipt URL", copy=False, readonly=True)
    kra_resend_requested = fields.Boolean(string="Resend to KRA requested", copy=False, readonly=True)

    # --- compliance guard -------------------------------------------------------------------------

    def _kra_refuse_if_signed(self):
        for move in self:
            if move.kra_state == "signed":
                raise UserError(
                    _(
                        "This invoice is signed by KRA (CU invoice number %s). Issue a credit note instead.",
                        move.kra_invoice_number,
                    )
                )

    def write(self, vals):
        # Every path that un-posts a move ends in write({'state': ...}); refuse it for signed moves too.
        if vals.get("state") in ("draft", "cancel"):
            self._kra_refuse_if_signed()
        return super().write(vals)

    def button_draft(self):
        self._kra_refuse_if_signed()
        return super().button_draft()

    def button_cancel(self):
        self._kra_refuse_if_signed()
        return super().button_cancel()

    # --- notifying the connector ------------------------------------------------------------------

    def _kra_sale_moves(self):
        return self.filtered(lambda move: move.move_type in SALE_MOVE_TYPES)

    def _post(self, soft=True):
        # _post is what action_post (and auto-posting) call; only moves really posted are notified.
        posted = super()._post(soft=soft)
        sale_moves = posted._kra_sale_moves().filtered(lambda move: move.state == "posted")
        notify.schedule(self.env, sale_moves.ids)
        return posted

    def action_kra_send_again(self):
        """The "Send to KRA again" button: the connector picks the request up on its next poll."""
        to_resend = self.filtered(lambda move: move.kra_state == "needs_fix" and move.state == "posted")
        if not to_resend:
            raise UserError(_("Only a posted invoice that KRA refused (state: Needs fix) can be sent again."))
        to_resend.write({"kra_resend_requested": True, "kra_state": "queued"})
        notify.schedule(self.env, to_resend.ids)
        return True
