"""Stock: insertStockIO (sarNo sequence), saveStockMaster, selectStockMoveList, saveItemComposition."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connector.kra.simulator import fields, rules
from connector.kra.simulator.calls import Answer, Call, Rejected
from connector.kra.simulator.handlers import last_request, listing, require_registered_item, without_identity
from connector.kra.simulator.state import Store

HEADER_CODES = (("regTyCd", "31"), ("sarTyCd", "12"))
OUTGOING_FIRST_CODE = 11  # class 12: 01-06 bring stock in, 11-16 take it out


def plain(number: Decimal) -> str:
    """A quantity without exponent or trailing zeros (`10`, `2.5`)."""
    text = format(number.normalize(), "f")
    return text


def stock_on_hand(store: Store, tin: str, bhf_id: str, item_code: str) -> tuple[bool, Decimal]:
    """(any stock movement seen for the item, quantity in minus quantity out) for one branch."""
    seen, quantity = False, Decimal(0)
    for record in store.records("stock_io", tin=tin, bhf_id=bhf_id):
        outgoing = int(record.body["sarTyCd"]) >= OUTGOING_FIRST_CODE
        for line in record.body["itemList"]:
            if str(line.get("itemCd")) == item_code:
                seen = True
                qty = fields.as_number(line["qty"])
                quantity += -qty if outgoing else qty
    return seen, quantity


def _check_stock_io(call: Call, document: dict[str, Any]) -> None:
    fields.check_document(document, fields.STOCK_IO_HEADER, fields.STOCK_IO_ITEM, HEADER_CODES)
    count = fields.as_number(document["totItemCnt"])
    if count != len(document["itemList"]):
        raise rules.fail(f"Invalid totItemCnt. Expected: {len(document['itemList'])}, But Found: {count}")


def insert_stock_io(call: Call) -> Answer:
    document = without_identity(call.body)
    _check_stock_io(call, document)
    sar_no = int(fields.as_number(document["sarNo"]))
    if call.store.get("stock_io", call.tin, call.bhf_id, str(sar_no)) is not None:
        raise Rejected("994")
    expected = call.store.counter(call.scope, "sarNo") + 1
    if sar_no != expected:
        raise rules.fail(f"Invalid sarNo: Expected: {expected} but found: {sar_no}")
    if call.strict:
        rules.check_not_zero(document, ("totAmt",))
        for index, line in enumerate(document["itemList"]):
            rules.check_not_zero(line, ("totAmt",))
            if not fields.is_empty(line.get("itemCd")):
                require_registered_item(call, line["itemCd"], f"itemList[{index}].itemCd")
    receiver = None
    if not fields.is_empty(document.get("custTin")) and not fields.is_empty(document.get("custBhfId")):
        receiver = f"{document['custTin']}/{document['custBhfId']}"
    call.store.put("stock_io", call.tin, call.bhf_id, str(sar_no), document, call.now, ref=receiver)
    call.store.set_counter(call.scope, "sarNo", sar_no)
    return Answer(sale_committed=True)  # recorded: commit-then-timeout / after-commit faults apply as to a sale


def save_stock_master(call: Call) -> Answer:
    body = without_identity(call.body)
    fields.check(body, fields.STOCK_MASTER)
    item_code = str(body["itemCd"])
    require_registered_item(call, item_code)
    if call.strict:
        seen, quantity = stock_on_hand(call.store, call.tin, call.bhf_id, item_code)
        if not seen:
            raise rules.fail("Stock IO is empty, consider adding items to the stock IO first")
        remaining = fields.as_number(body["rsdQty"])
        if remaining != quantity:
            raise rules.fail(f"rsdQty mismatch. Expected: {plain(quantity)} but found: {plain(remaining)}")
    call.store.put("stock_master", call.tin, call.bhf_id, item_code, body, call.now)
    return Answer()


def select_stock_moves(call: Call) -> Answer:
    """Stock sent to this branch by another branch (a transfer out naming this PIN and branch)."""
    after = last_request(call)
    moves = []
    receiver = f"{call.tin}/{call.bhf_id}"
    for record in call.store.records("stock_io", ref=receiver, changed_after=after):
        if (record.tin, record.bhf_id) == (call.tin, call.bhf_id):
            continue
        document = record.body
        move = {"custTin": record.tin, "custBhfId": record.bhf_id, "sarNo": int(record.key)}
        for name in ("ocrnDt", "totItemCnt", "totTaxblAmt", "totTaxAmt", "totAmt", "remark", "itemList"):
            move[name] = document.get(name)
        moves.append(move)
    return listing("stockList", moves)


def save_item_composition(call: Call) -> Answer:
    body = without_identity(call.body)
    fields.check(body, fields.ITEM_COMPOSITION)
    require_registered_item(call, body["itemCd"])
    component = str(body["cpstItemCd"])
    require_registered_item(call, component, "cpstItemCd")
    if call.strict:
        _, quantity = stock_on_hand(call.store, call.tin, call.bhf_id, component)
        if quantity < fields.as_number(body["cpstQty"]):
            raise rules.fail("Insufficient Stock")
    key = f"{body['itemCd']}/{component}"
    call.store.put("composition", call.tin, call.bhf_id, key, body, call.now)
    return Answer()
