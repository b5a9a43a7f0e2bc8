"""KRA results back into Odoo: the addon's kra_* fields (when installed) and one chatter note per outcome.

Idempotent: the fields are written only when they differ, and a note is posted only when no note on the
invoice carries the same marker (the receipt signature, or a short hash of the problem text) — so a
write-back retried after a crash, or the same receipt written twice, leaves one note. A busy record or an
unreachable Odoo raises (OdooError / OdooUnavailable) and the core's write-back queue tries again.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC
from typing import Any

from connector.errors import ConnectorError
from connector.models import Receipt
from plugins.odoo.client import OdooClient

NOTE = {"message_type": "comment", "subtype_xmlid": "mail.mt_note"}  # an internal note, never an e-mail


def receipt_fields(receipt: Receipt) -> dict[str, Any]:
    return {
        "kra_state": "signed",
        "kra_message": f"signed by KRA on {receipt.signed_at:%Y-%m-%d %H:%M:%S} (CU invoice {receipt.invoice_number})",
        "kra_invoice_number": receipt.invoice_number,
        "kra_receipt_number": receipt.receipt_number,
        "kra_total_receipt_number": receipt.total_receipt_number,
        "kra_signature": receipt.signature,
        "kra_internal_data": receipt.internal_data,
        "kra_scu_id": receipt.scu_id,
        "kra_mrc_number": receipt.mrc_number or False,
        "kra_signed_at": receipt.signed_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "kra_qr_url": receipt.qr_url,
        "kra_resend_requested": False,
    }


def receipt_note(receipt: Receipt) -> str:
    return (
        f"KRA eTIMS: signed. CU invoice number {receipt.invoice_number}, receipt {receipt.receipt_number}"
        f"/{receipt.total_receipt_number}, SCU {receipt.scu_id}, signed at {receipt.signed_at:%Y-%m-%d %H:%M:%S} "
        f"(EAT). Internal data {receipt.internal_data}. Signature {receipt.signature}. "
        f"Verify: {receipt.qr_url}"
    )


def problem_marker(message: str) -> str:
    return "ref " + hashlib.sha256(message.encode("utf-8")).hexdigest()[:12]


class WriteBack:
    def __init__(self, client: OdooClient) -> None:
        self.client = client
        # One write-back at a time: two workers writing the same move (a queued task and the sweeper's
        # re-queue of it) would both find it unwritten and both post a note.
        self._lock = threading.Lock()

    def receipt(self, ref: dict[str, Any], receipt: Receipt, addon: bool) -> None:
        move_id = _move_id(ref)
        with self._lock:
            if addon:
                self._write_if_changed(move_id, receipt_fields(receipt))
            self._note_once(move_id, receipt.signature, receipt_note(receipt))

    def problem(self, ref: dict[str, Any], message: str, addon: bool) -> None:
        move_id = _move_id(ref)
        marker = problem_marker(message)
        with self._lock:
            if addon:
                self._write_if_changed(move_id, {"kra_state": "needs_fix", "kra_message": message})
            self._note_once(move_id, marker, f"KRA eTIMS: needs fixing. {message} ({marker})")

    def clear_resend(self, move_ids: list[int]) -> None:
        """The connector has acted on "Send to KRA again": clear the request (one write for the page)."""
        if move_ids:
            self.client.call("account.move", "write", [sorted(move_ids), {"kra_resend_requested": False}])

    def _write_if_changed(self, move_id: int, values: dict[str, Any]) -> None:
        rows = self.client.read("account.move", [move_id], sorted(values))
        if not rows:
            raise ConnectorError(f"Odoo account.move {move_id} does not exist (deleted?)")
        current = rows[0]
        changed = {k: v for k, v in values.items() if not _same(current.get(k), v)}
        if changed:
            self.client.call("account.move", "write", [[move_id], changed])

    def _note_once(self, move_id: int, marker: str, body: str) -> None:
        domain = [("model", "=", "account.move"), ("res_id", "=", move_id), ("body", "ilike", marker)]
        if self.client.call("mail.message", "search_count", [domain]):
            return
        self.client.call("account.move", "message_post", [[move_id]], body=body, **NOTE)


def _same(current: Any, wanted: Any) -> bool:
    if wanted is False or wanted is None:
        return current in (False, None, "")
    return current == wanted


def _move_id(ref: dict[str, Any]) -> int:
    try:
        return int(ref["id"])
    except (KeyError, TypeError, ValueError):
        raise ConnectorError(f"not an Odoo document reference: {ref!r}") from None
