"""account.move behaviour over RPC: the posted-entry guards, create with invoice lines, the reversal wizard,
posting, and the addon's buttons (signed guard, "Send to KRA again")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from plugins.odoo.testing.errors import OdooError, invalid_field, user_error
from plugins.odoo.testing.records import InvoiceLine

if TYPE_CHECKING:
    from plugins.odoo.testing.server import FakeOdoo

PROTECTED_POSTED = ("partner_id", "invoice_date", "date", "currency_id", "journal_id", "company_id", "move_type")
PROTECTED_LINE = ("tax_ids", "tax_line_id", "price_unit", "quantity", "discount", "balance", "amount_currency",
                  "product_id", "account_id", "debit", "credit")  # fmt: skip


class AccountingMethods:
    """Mixed into the Dispatcher; uses its fields(), _raw() and _existing()."""

    odoo: FakeOdoo

    def fields(self, model: str) -> dict[str, Any]:
        raise NotImplementedError

    def _raw(self, field: Any, value: Any) -> Any:
        raise NotImplementedError

    def _existing(self, model: str, ids: Any) -> list[int]:
        raise NotImplementedError

    def _guard_write(self, model: str, record: dict[str, Any], values: dict[str, Any]) -> None:
        if model == "account.move" and record.get("state") == "posted":
            changed = [n for n in PROTECTED_POSTED if n in values and values[n] != record.get(n)]
            if self.odoo.version == "17":
                if "invoice_date" in changed or "date" in changed:
                    day = values.get("invoice_date") or values.get("date")
                    y, m, d = str(day).split("-")
                    raise OdooError(
                        "odoo.exceptions.ValidationError",
                        f"The Date ({m}/{d}/{y}) doesn't match the sequence number of the related Journal Entry "
                        f"({record['name']})\nYou will need to clear the Journal Entry's Number to proceed.\n"
                        "In doing so, you might want to resequence your entries in order to maintain a continuous "
                        "date-based sequence.",
                    )
                changed = [n for n in changed if n != "partner_id"]  # 17 accepted it (07-error-protected-field)
            if changed:
                raise user_error(
                    f"You cannot modify the following readonly fields on a posted move: {', '.join(changed)}"
                )
        posted_line = model == "account.move.line" and record.get("parent_state") == "posted"
        if posted_line and any(n in values for n in PROTECTED_LINE):
            raise user_error(
                "You cannot modify the taxes related to a posted journal item, you should reset the journal "
                "entry to draft to do so."
            )
        new_currency = model == "res.company" and values.get("currency_id", record.get("currency_id")) != record.get(
            "currency_id"
        )
        if new_currency and any(
            m["company_id"] == record["id"] for m in self.odoo.store.tables["account.move"].values()
        ):
            raise user_error("You cannot change the currency of the company since some journal items already exist")

    def m_create(self, model: str, values: Any, _context: Any = None) -> Any:
        many = isinstance(values, list)
        created = [self._create_one(model, v, _context) for v in (values if many else [values])]
        return created if many else created[0]

    def _create_one(self, model: str, values: dict[str, Any], context: Any) -> int:
        schema, odoo = self.fields(model), self.odoo
        for name in values:
            if name not in schema:
                raise invalid_field(model, name)
        if model == "account.move":
            lines = [self._line(command[2]) for command in values.get("invoice_line_ids", []) if command[0] == 0]
            rest = {k: v for k, v in values.items() if k not in ("invoice_line_ids", "line_ids")}
            keys = {
                "partner_id": "partner",
                "currency_id": "currency",
                "company_id": "company",
                "journal_id": "journal",
            }
            kwargs = {keys[k]: rest.pop(k) for k in list(rest) if k in keys}
            return odoo.builder.make_invoice(lines, post=False, **kwargs, **rest)
        raw = {name: self._raw(schema[name], value) for name, value in values.items()}
        if model == "account.move.reversal":
            return self._create_reversal(raw, context if isinstance(context, dict) else {})
        if model == "account.tax" and odoo.version == "18":  # 18 ignores the 17-style key (02-setup-tax-legacy…)
            raw["price_include"] = raw.get("price_include_override") == "tax_included"
        return odoo.store.insert(model, raw)

    def _create_reversal(self, raw: dict[str, Any], context: dict[str, Any]) -> int:
        store = self.odoo.store
        moves = list(context.get("active_ids") or []) if context.get("active_model") == "account.move" else []
        if not raw.get("journal_id"):
            store.next_ids["account.move.reversal"] = (
                store.next_ids.get("account.move.reversal", 1) + 1
            )  # like a sequence
            raise OdooError(
                "odoo.exceptions.ValidationError",
                "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: another "
                "model requires the record being deleted. If possible, archive it instead.\n\nModel: Account Move "
                "Reversal (account.move.reversal)\nField: Journal (journal_id)\n",
                'psycopg2.errors.NotNullViolation: null value in column "journal_id" of relation '
                '"account_move_reversal" violates not-null constraint\n\n',
            )
        company = store.get("account.move", moves[0])["company_id"] if moves else 1
        return store.insert(
            "account.move.reversal", raw | {"move_ids": moves, "company_id": company, "new_move_ids": []}
        )

    def m_refund_moves(self, model: str, ids: Any, _context: Any = None) -> dict[str, Any]:
        wizard = self.odoo.store.get(model, self._existing(model, ids)[0])
        made = [self.odoo.builder.make_credit_note(m, wizard.get("reason") or "", False, wizard.get("date") or None)
                for m in wizard["move_ids"]]  # fmt: skip
        wizard["new_move_ids"] = made
        action = {"name": "Reverse Moves", "type": "ir.actions.act_window", "res_model": "account.move"}
        if len(made) == 1:
            return action | {"view_mode": "form", "res_id": made[0], "context": {"default_move_type": "out_refund"}}
        return action | {
            "view_mode": "list",
            "domain": [["id", "in", made]],
            "context": {"default_move_type": "out_refund"},
        }

    def _line(self, values: dict[str, Any]) -> InvoiceLine:
        taxes = (
            self._raw(self.fields("account.move.line")["tax_ids"], values["tax_ids"]) if "tax_ids" in values else None
        )
        return InvoiceLine(values.get("product_id"), values.get("quantity", 1), values.get("price_unit", 0),
                           values.get("discount", 0), taxes, values.get("product_uom_id"), values.get("name"),
                           values.get("display_type") or "product")  # fmt: skip

    def m_unlink(self, model: str, ids: Any, _context: Any = None) -> bool:
        ids = self._existing(model, ids)
        store = self.odoo.store
        if model == "account.move" and any(store.get(model, i)["state"] == "posted" for i in ids):
            raise user_error(
                "You can't delete a posted journal item. Don\u2019t play games with your accounting records; reset "
                "the journal entry to draft before deleting it."
            )
        for record_id in ids:
            del store.tables[model][record_id]
        return True

    def m_action_post(self, model: str, ids: Any, _context: Any = None) -> bool:
        posted = []
        for move_id in self._existing(model, ids):
            if self.odoo.store.get(model, move_id)["state"] == "draft":
                self.odoo.builder.post(move_id, notify=False)
                posted.append(move_id)
        self.odoo.notifier.moves_posted(posted)  # one notification per transaction, like the addon
        return False

    def m_action_kra_send_again(self, model: str, ids: Any, _context: Any = None) -> bool:
        """The addon's "Send to KRA again" button."""
        store = self.odoo.store
        moves = [i for i in self._existing(model, ids) if store.get(model, i).get("kra_state") == "needs_fix"]
        if not moves:
            raise user_error("Only an invoice that KRA refused (state: Needs fix) can be sent again.")
        for move_id in moves:
            store.update(model, move_id, {"kra_resend_requested": True, "kra_state": "queued"})
        self.odoo.notifier.moves_posted(moves)
        return True

    def _guard_signed(self, move: dict[str, Any]) -> None:
        if self.odoo.addon_installed and move.get("kra_state") == "signed":
            raise user_error(
                f"This invoice is signed by KRA (CU invoice number {move.get('kra_invoice_number')}). "
                "Issue a credit note instead."
            )

    def m_button_draft(self, model: str, ids: Any, _context: Any = None) -> bool:
        for move_id in self._existing(model, ids):
            self._guard_signed(self.odoo.store.get(model, move_id))
            self.odoo.store.update(model, move_id, {"state": "draft"})
        return True

    def m_button_cancel(self, model: str, ids: Any, _context: Any = None) -> bool:
        for move_id in self._existing(model, ids):
            move = self.odoo.store.get(model, move_id)
            self._guard_signed(move)
            if move["state"] == "posted":
                raise user_error("Only draft journal entries can be cancelled.")
            self.odoo.store.update(model, move_id, {"state": "cancel"})
        return True
