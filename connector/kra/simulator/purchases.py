"""Purchases: suppliers' sales addressed to this PIN, and confirming/recording purchases (spec §2.3)."""

from __future__ import annotations

from typing import Any

from connector.kra.simulator import fields, rules
from connector.kra.simulator.calls import Answer, Call, Rejected
from connector.kra.simulator.handlers import last_request, listing, without_identity

HEADER_CODES = (
    ("regTyCd", "31"),
    ("pchsTyCd", "14"),
    ("rcptTyCd", "38"),
    ("pmtTyCd", "07"),
    ("pchsSttsCd", "34"),
)
SALE_FIELDS = (
    ["rcptTyCd", "pmtTyCd", "salesDt", "totItemCnt"]
    + [f"{name}{letter}" for name in ("taxblAmt", "taxRt", "taxAmt") for letter in "ABCDE"]
    + ["totTaxblAmt", "totTaxAmt", "totAmt", "remark"]
)
LINE_FIELDS = (
    *("itemSeq", "itemClsCd", "itemCd", "itemNm", "bcd", "pkgUnitCd", "pkg", "qtyUnitCd", "qty", "prc"),
    *("splyAmt", "dcRt", "dcAmt", "taxTyCd", "taxblAmt", "taxAmt", "totAmt"),
)


def dashed_time(stamp: Any) -> str | None:
    """`yyyyMMddHHmmss` → `yyyy-MM-dd HH:mm:ss`, the form this list uses."""
    if fields.is_empty(stamp):
        return None
    text = str(stamp)
    return f"{text[0:4]}-{text[4:6]}-{text[6:8]} {text[8:10]}:{text[10:12]}:{text[12:14]}"


def _link_key(supplier_tin: str, supplier_bhf: str, invoice_no: Any) -> str:
    return f"{supplier_tin}/{supplier_bhf}/{invoice_no}"


def select_supplier_sales(call: Call) -> Answer:
    """Sales other PINs made to this PIN that this PIN has not yet confirmed as purchases."""
    after = last_request(call)
    sales = []
    for record in call.store.records("sale", ref=call.tin, changed_after=after):
        confirmed = call.store.get("purchase_link", call.tin, "", _link_key(record.tin, record.bhf_id, record.key))
        if record.tin == call.tin or confirmed is not None:
            continue
        sales.append(_as_supplier_sale(call, record.tin, record.bhf_id, record.key, record.body))
    return listing("saleList", sales)


def _as_supplier_sale(call: Call, tin: str, bhf_id: str, key: str, stored: dict[str, Any]) -> dict[str, Any]:
    sale = stored["request"]
    device = call.store.device(tin, bhf_id)
    info = device.info if device else {}
    row: dict[str, Any] = {
        "spplrTin": tin,
        "spplrNm": info.get("taxprNm"),
        "spplrBhfId": bhf_id,
        "spplrInvcNo": key,
        "spplrSdcId": info.get("sdcId"),
        "spplrMrcNo": info.get("mrcNo"),
        "cfmDt": dashed_time(sale.get("cfmDt")),
        "stockRlsDt": dashed_time(sale.get("stockRlsDt")),
    }
    row.update({name: sale.get(name) for name in SALE_FIELDS})
    row["itemList"] = [{name: line.get(name) for name in LINE_FIELDS} for line in sale["itemList"]]
    return row


def _check_structure(document: dict[str, Any]) -> None:
    fields.check_document(document, fields.PURCHASE_HEADER, fields.PURCHASE_ITEM, HEADER_CODES)


def _supplier_sale(call: Call, purchase: dict[str, Any]) -> str | None:
    """The link key of the supplier's sale this purchase confirms, if that sale exists for this PIN."""
    supplier_tin, supplier_bhf = purchase.get("spplrTin"), purchase.get("spplrBhfId")
    invoice = purchase.get("spplrInvcNo")
    if any(fields.is_empty(value) for value in (supplier_tin, supplier_bhf, invoice)):
        return None
    try:
        invoice_no = int(fields.as_number(invoice))
    except ValueError:
        return None
    sale = call.store.get("sale", str(supplier_tin), str(supplier_bhf), str(invoice_no))
    if sale is None or sale["request"].get("custTin") != call.tin:
        return None
    return _link_key(str(supplier_tin), str(supplier_bhf), invoice_no)


def insert_purchase(call: Call) -> Answer:
    purchase = without_identity(call.body)
    _check_structure(purchase)
    invoice_no = int(fields.as_number(purchase["invcNo"]))
    if call.store.get("purchase", call.tin, call.bhf_id, str(invoice_no)) is not None:
        raise Rejected("994")
    expected = call.store.counter(call.scope, "purchase") + 1
    if invoice_no != expected:
        raise rules.fail(f"Invalid invcNo sequence, expected: {expected} but found: {invoice_no}")
    link = _supplier_sale(call, purchase)
    if call.strict:
        if purchase["regTyCd"] == "A" and link is None:
            raise rules.fail("Missing purchase Record")
        for line in purchase["itemList"]:
            code = line.get("itemCd")
            if fields.is_empty(code) or call.store.get("item", call.tin, "", str(code)) is None:
                raise rules.fail(f"Item {code} does not exist in your inventory")
    rules.check_amounts(purchase, call.config.rates(), call.strict)
    call.store.put("purchase", call.tin, call.bhf_id, str(invoice_no), purchase, call.now)
    call.store.set_counter(call.scope, "purchase", invoice_no)
    if link is not None:
        call.store.put("purchase_link", call.tin, "", link, {"invcNo": invoice_no}, call.now)
    return Answer(sale_committed=True)  # recorded: commit-then-timeout faults apply as to a sale
