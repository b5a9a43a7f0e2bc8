"""saveTrnsSalesOsdc (sales and credit notes) and selectInvoiceDetails (read-back), spec §3 and §8.5."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from connector.kra.simulator import fields, rules
from connector.kra.simulator.calls import Answer, Call, Rejected, no_result
from connector.kra.simulator.codes import codes_of
from connector.kra.simulator.handlers import require_registered_item, without_identity
from connector.kra.simulator.stock import plain, stock_on_hand

BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
GOODS = ("1", "2")  # item types that hold stock (class 24); 3 = service
HEADER_CODES = (("rcptTyCd", "37"), ("salesTyCd", "14"), ("pmtTyCd", "07"), ("salesSttsCd", "11"))


def random_base32(length: int) -> str:
    return "".join(secrets.choice(BASE32_ALPHABET) for _ in range(length))


def check_structure(sale: dict[str, Any]) -> None:
    """Required fields, lengths, formats (910), then code values (913)."""
    receipt = (("receipt", fields.SALE_RECEIPT),)
    fields.check_document(sale, fields.SALE_HEADER, fields.SALE_ITEM, HEADER_CODES, receipt)


def save_sale(call: Call) -> Answer:
    sale = without_identity(call.body)
    check_structure(sale)
    invoice_no = int(fields.as_number(sale["invcNo"]))
    already_signed = call.store.get("sale", call.tin, call.bhf_id, str(invoice_no)) is not None
    if already_signed and call.config.duplicate_answer == "994":
        raise Rejected("994")  # never sign the same number twice; "sequence" falls to the check below
    expected = call.store.counter(call.scope, "invcNo") + 1
    if invoice_no != expected:
        raise rules.fail(f"Invalid invcNo sequence, expected: {expected} but found: {invoice_no}")
    items = [require_registered_item(call, line["itemCd"], f"itemList[{index}].itemCd")
             for index, line in enumerate(sale["itemList"])]  # fmt: skip
    if sale["rcptTyCd"] == "S" and call.config.enforces_stock:
        check_stock(call, sale, items)
    if sale["rcptTyCd"] == "R":
        check_credit_note(call, sale)
    rules.check_amounts(sale, call.config.rates(), call.strict)
    receipt = sign(call, str(sale["rcptTyCd"]))
    stored = {"request": sale, "receipt": receipt}
    call.store.put("sale", call.tin, call.bhf_id, str(invoice_no), stored, call.now, ref=_buyer(sale))
    call.store.set_counter(call.scope, "invcNo", invoice_no)
    call.store.count_signature(call.tin, call.bhf_id, invoice_no)
    return Answer(data=dict(receipt), sale_committed=True)


def check_stock(call: Call, sale: dict[str, Any], items: list[dict[str, Any]]) -> None:
    """GavaConnect refuses a sale of goods (item types 1 and 2) beyond the stock on record (spec §3.4, §7.6).

    "On record" here is the branch's stock IO: quantities in minus out. The spec does not say whether KRA also
    counts sales not yet followed by their stock-out (11); the connector sends that stock-out right after each
    sale, so this reading refuses exactly what the stock IO ledger cannot cover. Services (3) need no stock.
    """
    needed: dict[str, Decimal] = {}
    for line, item in zip(sale["itemList"], items, strict=True):
        if str(item.get("itemTyCd")) in GOODS:
            code = str(line["itemCd"])
            needed[code] = needed.get(code, Decimal(0)) + fields.as_number(line["qty"])
    short = []
    for code, quantity in needed.items():
        _, on_hand = stock_on_hand(call.store, call.tin, call.bhf_id, code)
        if quantity > on_hand:
            short.append(f"{code} (in stock: {plain(on_hand)}, sold: {plain(quantity)})")
    if short:
        raise rules.fail("Items provided under the itemList section do not exist in your stock: " + ", ".join(short))


def _buyer(document: dict[str, Any]) -> str | None:
    pin = document.get("custTin")
    return None if fields.is_empty(pin) else str(pin).strip()


def check_credit_note(call: Call, note: dict[str, Any]) -> None:
    """A credit note points at an accepted sale of this device, gives a reason and the same buyer."""
    original_no = int(fields.as_number(note["orgInvcNo"]))
    original = call.store.get("sale", call.tin, call.bhf_id, str(original_no)) if original_no else None
    if original is None or original["request"].get("rcptTyCd") != "S":
        raise rules.fail("orgInvcNo does not exist")
    reason = note.get("rfdRsnCd")
    if call.strict:
        if fields.is_empty(note.get("rfdDt")):
            raise rules.fail("Missing RfdDt Date")
        if fields.is_empty(reason) or str(reason) not in codes_of("32"):
            raise rules.fail("Invalid RfdRsnCd")
    elif fields.is_empty(reason):
        fields.require(["[<rfdRsnCd> : may not be empty]"])
    else:
        fields.require_codes(fields.code_problems(note, (("rfdRsnCd", "32"),)))
    expected, found = _buyer(original["request"]), _buyer(note)
    if expected != found:
        raise rules.fail(f"Invalid custTin. Expected: {expected}, But Found: {found}")
    if call.strict:
        rules.check_credit_note_limits(note, original["request"], _credit_notes_of(call, original_no))


def _credit_notes_of(call: Call, original_no: int) -> list[dict[str, Any]]:
    """The signed credit notes of one sale (this device)."""
    found = []
    for record in call.store.records("sale", tin=call.tin, bhf_id=call.bhf_id):
        sale = record.body["request"]
        if sale.get("rcptTyCd") == "R" and int(fields.as_number(sale.get("orgInvcNo") or 0)) == original_no:
            found.append(sale)
    return found


def sign(call: Call, receipt_type: str) -> dict[str, Any]:
    """Receipt counters and the opaque signature fields of an accepted sale."""
    return {
        "curRcptNo": call.store.next_counter(call.scope, f"rcpt:{receipt_type}"),
        "totRcptNo": call.store.next_counter(call.scope, "rcpt:total"),
        "intrlData": random_base32(26),
        "rcptSign": random_base32(16),
        "sdcDateTime": call.now,
    }


def read_back_time(stamp: str) -> str:
    """`yyyyMMddHHmmss` → `yyyy-MM-dd HH:mm:ss.S`, the read-back form."""
    return f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]} {stamp[8:10]}:{stamp[10:12]}:{stamp[12:14]}.0"


def read_back(tin: str, bhf_id: str, stored: dict[str, Any]) -> dict[str, Any]:
    """A stored sale as `selectInvoiceDetails` returns it: the request plus the filled-in receipt."""
    sale = {"tin": tin, "bhfId": bhf_id, **stored["request"]}
    receipt = dict(sale.get("receipt") or {})
    receipt.update(stored["receipt"])
    receipt["sdcDateTime"] = read_back_time(stored["receipt"]["sdcDateTime"])
    sale["receipt"] = receipt
    return sale


def select_invoice_details(call: Call) -> Answer:
    fields.check(call.body, fields.INVOICE_SEARCH)
    invoice_no = int(fields.as_number(call.body["invcNo"]))
    stored = call.store.get("sale", call.tin, call.bhf_id, str(invoice_no))
    if stored is None:
        return no_result()
    return Answer(data={"salesList": [read_back(call.tin, call.bhf_id, stored)]})
