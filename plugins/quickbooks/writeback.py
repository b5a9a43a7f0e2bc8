"""What the connector writes into a QuickBooks document: a sparse-update body built from a KRA receipt.

- `PrivateNote` (the internal "Memo", ≤ 4000 characters) gets the full KRA block between two marker lines; a
  block from an earlier write (or a needs-fix notice) is replaced, the bookkeeper's own text is kept.
- `CustomerMemo` (printed on the invoice, ≤ 1000) gets one line "KRA eTIMS: CU invoice no … · verify: <QR link>"
  (option `customer_memo`).
- The configured legacy String custom fields get receipt values (names → DefinitionIds from Preferences).
Never `Line`: in a sparse update a Line array replaces every line.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from connector.models import Receipt

BLOCK_START = "--- KRA eTIMS ---"
BLOCK_END = "--- end KRA eTIMS ---"
MEMO_PREFIX = "KRA eTIMS:"
PRIVATE_NOTE_MAX = 4000
CUSTOMER_MEMO_MAX = 1000
_BLOCK = re.compile(re.escape(BLOCK_START) + r".*?" + re.escape(BLOCK_END), re.DOTALL)


def cu_invoice_number(receipt: Receipt) -> str:
    """KRA's "CU invoice number" as printed on receipts: control unit id / invoice number."""
    return f"{receipt.scu_id}/{receipt.invoice_number}"


def receipt_values(receipt: Receipt) -> dict[str, str]:
    return {
        "cu_invoice_number": cu_invoice_number(receipt),
        "signature": receipt.signature,
        "receipt_number": f"{receipt.receipt_number}/{receipt.total_receipt_number}",
        "internal_data": receipt.internal_data,
        "signed_at": receipt.signed_at.strftime("%Y-%m-%d %H:%M:%S"),
    }


def kra_block(receipt: Receipt) -> str:
    lines = [
        BLOCK_START,
        f"CU invoice no: {cu_invoice_number(receipt)}",
        f"Receipt no: {receipt.receipt_number}/{receipt.total_receipt_number}",
        f"Signed: {receipt.signed_at.strftime('%Y-%m-%d %H:%M:%S')} EAT",
        f"Signature: {receipt.signature}",
        f"Internal data: {receipt.internal_data}",
        f"MRC: {receipt.mrc_number}" if receipt.mrc_number else "",
        f"Verify: {receipt.qr_url}",
        BLOCK_END,
    ]
    return "\n".join(line for line in lines if line)


def problem_block(message: str) -> str:
    text = " ".join(message.split())[: PRIVATE_NOTE_MAX - 200]
    return (
        f"{BLOCK_START}\nNOT SENT to KRA - needs fixing: {text}\nFix it here and save; it is sent again.\n{BLOCK_END}"
    )


def without_block(note: str | None) -> str:
    return _BLOCK.sub("", note or "").strip()


def note_with(note: str | None, block: str) -> str:
    own = without_block(note)
    room = PRIVATE_NOTE_MAX - len(block) - 2
    own = own[:room] if room > 0 else ""
    return f"{own}\n\n{block}" if own else block


def signature_in(note: str | None) -> str | None:
    found = re.search(re.escape(BLOCK_START) + r".*?Signature: (\S+)", note or "", re.DOTALL)
    return found.group(1) if found else None


def memo_with(memo: str | None, receipt: Receipt) -> str:
    kept = [line for line in (memo or "").splitlines() if not line.startswith(MEMO_PREFIX)]
    line = f"{MEMO_PREFIX} CU invoice no {cu_invoice_number(receipt)} · verify: {receipt.qr_url}"
    own = "\n".join(kept).strip()
    room = CUSTOMER_MEMO_MAX - len(line) - 1
    own = own[:room] if room > 0 else ""
    return f"{own}\n{line}" if own else line[:CUSTOMER_MEMO_MAX]


def definition_ids(preferences: dict[str, Any]) -> dict[str, str]:
    """Enabled legacy sales-form custom fields: {name (case-folded): DefinitionId}."""
    flags: dict[str, bool] = {}
    names: dict[str, str] = {}
    for group in (preferences.get("SalesFormsPrefs") or {}).get("CustomField") or []:
        for entry in group.get("CustomField") or []:
            key = str(entry.get("Name", ""))
            if key.startswith("SalesFormsPrefs.UseSalesCustom"):
                flags[key.removeprefix("SalesFormsPrefs.UseSalesCustom")] = bool(entry.get("BooleanValue"))
            elif key.startswith("SalesFormsPrefs.SalesCustomName") and entry.get("StringValue"):
                names[key.removeprefix("SalesFormsPrefs.SalesCustomName")] = str(entry["StringValue"])
    return {name.strip().casefold(): number for number, name in names.items() if flags.get(number, True)}


def custom_fields(
    wanted: dict[str, str], defined: dict[str, str], receipt: Receipt, max_length: int
) -> tuple[list[dict[str, str]], list[str]]:
    """CustomField entries for the wanted {receipt value: field name}, and what could not be written."""
    values, entries, problems = receipt_values(receipt), [], []
    for purpose, name in wanted.items():
        number = defined.get(name.strip().casefold())
        if number is None:
            problems.append(f"custom field {name!r} is not an enabled sales-form custom field in QuickBooks")
            continue
        value = values[purpose]
        if len(value) > max_length:
            problems.append(f"custom field {name!r}: the {purpose} ({len(value)} characters) is longer than "
                            f"{max_length}")  # fmt: skip
            continue
        entries.append({"DefinitionId": number, "Name": name, "Type": "StringType", "StringValue": value})
    return entries, problems


def dropped_fields(sent: list[dict[str, str]], answer: dict[str, Any]) -> list[str]:
    """Names of fields QuickBooks silently did not keep (it drops values of fields that are not enabled)."""
    kept = {(str(e.get("DefinitionId")), e.get("StringValue")) for e in answer.get("CustomField") or []}
    return [e["Name"] for e in sent if (e["DefinitionId"], e["StringValue"]) not in kept]


def already_shows(entity: dict[str, Any], body: dict[str, Any]) -> bool:
    """The document already carries exactly what `body` would write (so nothing is sent)."""
    if "PrivateNote" in body and (entity.get("PrivateNote") or "") != body["PrivateNote"]:
        return False
    if "CustomerMemo" in body and (entity.get("CustomerMemo") or {}).get("value") != body["CustomerMemo"]["value"]:
        return False
    kept = {(str(e.get("DefinitionId")), e.get("StringValue")) for e in entity.get("CustomField") or []}
    return all((e["DefinitionId"], e["StringValue"]) in kept for e in body.get("CustomField", []))


def request_id(realm: str, entity: str, entity_id: str, sync_token: str, content: str) -> str:
    """Stable for one write of one content onto one version: a retried write is replayed, not applied twice."""
    digest = hashlib.sha256(f"{realm}|{entity}|{entity_id}|{sync_token}|{content}".encode()).hexdigest()
    return f"kra-{digest[:40]}"
