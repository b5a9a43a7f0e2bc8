"""Items, sales (saveTrnsSalesOsdc) and their read-back (selectInvoiceDetails)."""

from __future__ import annotations

import weakref
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from connector.kra.payloads import base
from connector.kra.payloads.base import (
    Amount,
    AuditFields,
    BranchId,
    Counter,
    Date8,
    DateTime14,
    KraRequest,
    KraResponse,
    LooseDecimal,
    LooseText,
    Pin,
    Quantity,
    Rate,
    TaxTotals,
    YesNo,
    text,
)

# ---------------------------------------------------------------- items


class SaveItemRequest(AuditFields):
    item_code: text(20, min_length=1) = Field(alias="itemCd")
    item_class: text(10, min_length=1) = Field(alias="itemClsCd")
    item_type: text(5, min_length=1) = Field(alias="itemTyCd")
    name: text(200, min_length=1) = Field(alias="itemNm")
    standard_name: text(200) | None = Field(default=None, alias="itemStdNm")
    origin_country: text(5, min_length=2) = Field(alias="orgnNatCd")
    packaging_unit: text(5, min_length=1) = Field(alias="pkgUnitCd")
    quantity_unit: text(5, min_length=1) = Field(alias="qtyUnitCd")
    tax_type: text(5, min_length=1) = Field(alias="taxTyCd")
    batch_number: text(10) | None = Field(default=None, alias="btchNo")
    barcode: text(20) | None = Field(default=None, alias="bcd")
    default_price: Amount = Field(alias="dftPrc")
    group_price_1: Amount | None = Field(default=None, alias="grpPrcL1")
    group_price_2: Amount | None = Field(default=None, alias="grpPrcL2")
    group_price_3: Amount | None = Field(default=None, alias="grpPrcL3")
    group_price_4: Amount | None = Field(default=None, alias="grpPrcL4")
    group_price_5: Amount | None = Field(default=None, alias="grpPrcL5")
    additional_info: text(7) | None = Field(default=None, alias="addInfo")
    safety_quantity: Quantity | None = Field(default=None, alias="sftyQty")
    insurance_applicable: YesNo = Field(default="N", alias="isrcAplcbYn")
    in_use: YesNo = Field(default="Y", alias="useYn")


# ---------------------------------------------------------------- sales (saveTrnsSalesOsdc)


class SaleReceipt(KraRequest):
    customer_pin: text(11) | None = Field(default=None, alias="custTin")
    customer_mobile: text(20) | None = Field(default=None, alias="custMblNo")
    published_at: DateTime14 = Field(alias="rcptPbctDt")
    trade_name: text(20) | None = Field(default=None, alias="trdeNm")
    address: text(200) | None = Field(default=None, alias="adrs")
    top_message: text(20) | None = Field(default=None, alias="topMsg")
    bottom_message: text(20) | None = Field(default=None, alias="btmMsg")
    purchaser_accepted: YesNo = Field(default="N", alias="prchrAcptcYn")


class SaleLine(KraRequest):
    sequence: Annotated[int, Field(ge=1, le=999)] = Field(alias="itemSeq")
    item_code: text(20, min_length=1) = Field(alias="itemCd")
    item_class: text(10) | None = Field(default=None, alias="itemClsCd")
    name: text(200, min_length=1) = Field(alias="itemNm")
    barcode: text(20) | None = Field(default=None, alias="bcd")
    packaging_unit: text(5, min_length=1) = Field(alias="pkgUnitCd")
    packages: Quantity = Field(alias="pkg")
    quantity_unit: text(5, min_length=1) = Field(alias="qtyUnitCd")
    quantity: Quantity = Field(alias="qty")
    unit_price: Amount = Field(alias="prc")
    supply_amount: Amount = Field(alias="splyAmt")
    discount_rate: Rate = Field(alias="dcRt")
    discount_amount: Amount = Field(alias="dcAmt")
    insurance_code: text(10) | None = Field(default=None, alias="isrccCd")
    insurance_name: text(100) | None = Field(default=None, alias="isrccNm")
    insurance_rate: Rate | None = Field(default=None, alias="isrcRt")
    insurance_amount: Amount | None = Field(default=None, alias="isrcAmt")
    tax_type: text(5, min_length=1) = Field(alias="taxTyCd")
    taxable_amount: Amount = Field(alias="taxblAmt")
    tax_amount: Amount = Field(alias="taxAmt")
    total_amount: Amount = Field(alias="totAmt")


class SaleRequest(TaxTotals, AuditFields):
    """`saveTrnsSalesOsdc` (a sale, `rcptTyCd` S, or a credit note, `rcptTyCd` R)."""

    tin: Pin | None = Field(default=None, alias="tin")
    branch_id: BranchId | None = Field(default=None, alias="bhfId")
    trader_invoice_number: text(50, min_length=1) = Field(alias="trdInvcNo")
    invoice_number: Annotated[int, Field(ge=1)] = Field(alias="invcNo")
    original_invoice_number: Annotated[int, Field(ge=0)] = Field(default=0, alias="orgInvcNo")
    customer_pin: text(11) | None = Field(default=None, alias="custTin")
    customer_name: text(60) | None = Field(default=None, alias="custNm")
    sales_type: text(5) = Field(default="N", alias="salesTyCd")
    receipt_type: Annotated[str, StringConstraints(pattern=r"^[SR]$")] = Field(alias="rcptTyCd")
    payment_type: text(5) | None = Field(default=None, alias="pmtTyCd")
    sales_status: text(5) = Field(default="02", alias="salesSttsCd")
    confirmed_at: DateTime14 = Field(alias="cfmDt")
    sales_date: Date8 = Field(alias="salesDt")
    stock_released_at: DateTime14 | None = Field(default=None, alias="stockRlsDt")
    cancel_requested_at: DateTime14 | None = Field(default=None, alias="cnclReqDt")
    cancelled_at: DateTime14 | None = Field(default=None, alias="cnclDt")
    refunded_at: DateTime14 | None = Field(default=None, alias="rfdDt")
    refund_reason: text(5) | None = Field(default=None, alias="rfdRsnCd")
    item_count: Annotated[int, Field(ge=1)] = Field(alias="totItemCnt")
    purchaser_accepted: YesNo = Field(default="N", alias="prchrAcptcYn")
    remark: text(400) | None = Field(default=None, alias="remark")
    receipt: SaleReceipt = Field(alias="receipt")
    lines: list[SaleLine] = Field(alias="itemList", min_length=1)

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready dict. A request from the fast builder hands out the dict it built with it, once,
        when nothing was assigned to any request since (an assignment to a request, a line or the receipt
        counts; base.assignments) and its lines are the same objects (else a fresh dump)."""
        kept = _built_wires.pop(id(self), None)
        if kept is not None and kept.fits(self):
            return kept.wire
        return self.model_dump(by_alias=True, mode="python")


class BuiltWire:
    """The wire dict the fast builder made together with a request, and what it was made from."""

    __slots__ = ("assignments", "fields", "line_objects", "lines", "owner", "receipt", "wire")

    def __init__(self, owner: SaleRequest, wire: dict[str, Any]) -> None:
        key, table = id(owner), _built_wires
        self.owner = weakref.ref(owner, lambda gone, forget=_forget: forget(table, key, gone))
        self.wire, self.fields, self.receipt = wire, owner.__dict__, owner.receipt.__dict__
        self.lines, self.line_objects = owner.lines, tuple(owner.lines)
        self.assignments = base.assignments

    def fits(self, request: SaleRequest) -> bool:
        return (
            self.owner() is request
            and self.assignments == base.assignments
            and request.__dict__ is self.fields
            and request.lines is self.lines
            and request.receipt.__dict__ is self.receipt
            and len(self.lines) == len(self.line_objects)
            and all(line is kept for line, kept in zip(self.lines, self.line_objects, strict=True))
        )


_built_wires: dict[int, BuiltWire] = {}


def keep_wire(request: SaleRequest, wire: dict[str, Any]) -> None:
    """Remember `wire` as `request.to_wire()` (connector/kra_fast_sale.py builds both from the same values)."""
    _built_wires[id(request)] = BuiltWire(request, wire)


def _forget(table: dict[int, BuiltWire], key: int, gone: weakref.ref) -> None:
    kept = table.get(key)
    if kept is not None and kept.owner is gone:
        table.pop(key, None)


class SaleResponseData(KraResponse):
    """What KRA signs: the receipt counters, internal data and signature."""

    receipt_number: Counter | None = Field(default=None, alias="curRcptNo")
    total_receipt_number: Counter | None = Field(default=None, alias="totRcptNo")
    internal_data: str | None = Field(default=None, alias="intrlData")
    signature: str | None = Field(default=None, alias="rcptSign")
    signed_at: str | None = Field(default=None, alias="sdcDateTime")
    # VSCU answers (spec §7.5) carry these too.
    vscu_receipt_number: Counter | None = Field(default=None, alias="rcptNo")
    scu_id: str | None = Field(default=None, alias="sdcId")
    mrc_number: str | None = Field(default=None, alias="mrcNo")


# ---------------------------------------------------------------- read-back (selectInvoiceDetails)


class InvoiceDetailsRequest(KraRequest):
    tin: Pin | None = Field(default=None, alias="tin")
    branch_id: BranchId | None = Field(default=None, alias="bhfId")
    invoice_number: Annotated[int, Field(ge=1)] = Field(alias="invcNo")


class StoredReceipt(SaleResponseData):
    customer_pin: str | None = Field(default=None, alias="custTin")


class StoredSale(KraResponse):
    invoice_number: Counter | None = Field(default=None, alias="invcNo")
    original_invoice_number: Counter | None = Field(default=None, alias="orgInvcNo")
    trader_invoice_number: str | None = Field(default=None, alias="trdInvcNo")
    customer_pin: str | None = Field(default=None, alias="custTin")
    receipt_type: str | None = Field(default=None, alias="rcptTyCd")
    total_amount: LooseDecimal | None = Field(default=None, alias="totAmt")
    receipt: StoredReceipt | None = Field(default=None, alias="receipt")


class InvoiceDetailsData(KraResponse):
    sales: list[StoredSale] = Field(default_factory=list, alias="salesList")


# -------------------------------------------------- items (selectItemList, saveItemComposition)


class RegisteredItem(KraResponse):
    """One item as KRA stores it: the `saveItem` fields plus owner and "modified by KRA" flag."""

    tin: str | None = Field(default=None, alias="tin")
    item_code: str | None = Field(default=None, alias="itemCd")
    item_class: LooseText | None = Field(default=None, alias="itemClsCd")
    item_type: LooseText | None = Field(default=None, alias="itemTyCd")
    name: str | None = Field(default=None, alias="itemNm")
    standard_name: str | None = Field(default=None, alias="itemStdNm")
    origin_country: str | None = Field(default=None, alias="orgnNatCd")
    packaging_unit: str | None = Field(default=None, alias="pkgUnitCd")
    quantity_unit: str | None = Field(default=None, alias="qtyUnitCd")
    tax_type: str | None = Field(default=None, alias="taxTyCd")
    batch_number: LooseText | None = Field(default=None, alias="btchNo")
    barcode: LooseText | None = Field(default=None, alias="bcd")
    default_price: LooseDecimal | None = Field(default=None, alias="dftPrc")
    group_price_1: LooseDecimal | None = Field(default=None, alias="grpPrcL1")
    group_price_2: LooseDecimal | None = Field(default=None, alias="grpPrcL2")
    group_price_3: LooseDecimal | None = Field(default=None, alias="grpPrcL3")
    group_price_4: LooseDecimal | None = Field(default=None, alias="grpPrcL4")
    group_price_5: LooseDecimal | None = Field(default=None, alias="grpPrcL5")
    additional_info: str | None = Field(default=None, alias="addInfo")
    safety_quantity: LooseDecimal | None = Field(default=None, alias="sftyQty")
    insurance_applicable: str | None = Field(default=None, alias="isrcAplcbYn")
    in_use: str | None = Field(default=None, alias="useYn")
    registered_branch_id: LooseText | None = Field(default=None, alias="regBhfId")
    modified_by_kra: str | None = Field(default=None, alias="rraModYn")


class ItemListData(KraResponse):
    items: list[RegisteredItem] = Field(default_factory=list, alias="itemList")


class SaveItemCompositionRequest(AuditFields):
    """`saveItemComposition`: one bill-of-materials line (no field table in [SPEC]; peers' shape)."""

    tin: Pin | None = Field(default=None, alias="tin")
    branch_id: BranchId | None = Field(default=None, alias="bhfId")
    item_code: text(20, min_length=1) = Field(alias="itemCd")  # the finished item
    component_item_code: text(20, min_length=1) = Field(alias="cpstItemCd")
    component_quantity: Quantity = Field(alias="cpstQty")
