"""Imports, purchases and stock."""

from __future__ import annotations

from typing import Annotated

from pydantic import AliasChoices, Field, StringConstraints

from connector.kra.payloads.base import (
    Amount,
    AuditFields,
    BranchId,
    Counter,
    Date8,
    DateTime14,
    DocumentNumber,
    ItemSequence,
    KraRequest,
    KraResponse,
    LooseDecimal,
    LooseText,
    OriginalNumber,
    Pin,
    Quantity,
    Rate,
    TaxTotals,
    UnitPrice,
    text,
)

# -------------------------------------------------- imports (selectImportItemList, updateImportItem)


class ImportedItem(KraResponse):
    """A customs-declared import. `dclDe` is `-1` in [SPEC]'s sample and `ddMMyyyy` live."""

    task_code: LooseText | None = Field(default=None, alias="taskCd")
    declaration_date: LooseText | None = Field(default=None, alias="dclDe")
    sequence: Counter | None = Field(default=None, alias="itemSeq")
    declaration_number: LooseText | None = Field(default=None, alias="dclNo")
    hs_code: LooseText | None = Field(default=None, alias="hsCd")
    name: str | None = Field(default=None, alias="itemNm")
    # [SPEC]'s sample spells it `imptItemsttsCd`; accept both, emit the live spelling.
    status: LooseText | None = Field(
        default=None,
        alias="imptItemSttsCd",
        validation_alias=AliasChoices("imptItemSttsCd", "imptItemsttsCd"),
    )
    origin_country: str | None = Field(default=None, alias="orgnNatCd")
    export_country: str | None = Field(default=None, alias="exptNatCd")
    packages: LooseDecimal | None = Field(default=None, alias="pkg")
    packaging_unit: str | None = Field(default=None, alias="pkgUnitCd")
    quantity: LooseDecimal | None = Field(default=None, alias="qty")
    quantity_unit: str | None = Field(default=None, alias="qtyUnitCd")
    gross_weight: LooseDecimal | None = Field(default=None, alias="totWt")
    net_weight: LooseDecimal | None = Field(default=None, alias="netWt")
    supplier_name: str | None = Field(default=None, alias="spplrNm")
    agent_name: str | None = Field(default=None, alias="agntNm")
    invoice_foreign_amount: LooseDecimal | None = Field(default=None, alias="invcFcurAmt")
    invoice_currency: str | None = Field(default=None, alias="invcFcurCd")
    invoice_exchange_rate: LooseDecimal | None = Field(default=None, alias="invcFcurExcrt")


class ImportItemListData(KraResponse):
    items: list[ImportedItem] = Field(default_factory=list, alias="itemList")


class UpdateImportItemRequest(KraRequest):
    """`updateImportItem`: approve (3) / cancel (4) an import and map it to a registered item.

    Live spellings `imptItemSttsCd` / `itemClsCd` ([SPEC]'s table has `imptItemsttsCd` / `itemClCd`).
    Only modifier audit fields. `remark` is required here: [GC] answers 999 to `remark: null`.
    """

    tin: Pin | None = Field(default=None, alias="tin")
    branch_id: BranchId | None = Field(default=None, alias="bhfId")
    task_code: text(50, min_length=1) = Field(alias="taskCd")
    declaration_date: Date8 = Field(alias="dclDe")  # echo what selectImportItemList returned
    sequence: Annotated[int, Field(ge=1)] = Field(alias="itemSeq")
    hs_code: text(17, min_length=1) = Field(alias="hsCd")
    item_class: text(10, min_length=1) = Field(alias="itemClsCd")
    item_code: text(20, min_length=1) = Field(alias="itemCd")
    status: text(5, min_length=1) = Field(alias="imptItemSttsCd")
    remark: text(400, min_length=1) = Field(alias="remark")
    modifier_id: text(20, min_length=1) = Field(alias="modrId")
    modifier_name: text(60, min_length=1) = Field(alias="modrNm")


# -------------------------------------------------- supplier sales (selectTrnsPurchaseSalesList)


class SupplierSaleLine(KraResponse):
    sequence: Counter | None = Field(default=None, alias="itemSeq")
    item_class: LooseText | None = Field(default=None, alias="itemClsCd")
    item_code: str | None = Field(default=None, alias="itemCd")
    name: str | None = Field(default=None, alias="itemNm")
    barcode: LooseText | None = Field(default=None, alias="bcd")
    packaging_unit: str | None = Field(default=None, alias="pkgUnitCd")
    packages: LooseDecimal | None = Field(default=None, alias="pkg")
    quantity_unit: str | None = Field(default=None, alias="qtyUnitCd")
    quantity: LooseDecimal | None = Field(default=None, alias="qty")
    unit_price: LooseDecimal | None = Field(default=None, alias="prc")
    supply_amount: LooseDecimal | None = Field(default=None, alias="splyAmt")
    discount_rate: LooseDecimal | None = Field(default=None, alias="dcRt")
    discount_amount: LooseDecimal | None = Field(default=None, alias="dcAmt")
    tax_type: str | None = Field(default=None, alias="taxTyCd")
    taxable_amount: LooseDecimal | None = Field(default=None, alias="taxblAmt")
    tax_amount: LooseDecimal | None = Field(default=None, alias="taxAmt")
    total_amount: LooseDecimal | None = Field(default=None, alias="totAmt")


class SupplierSale(KraResponse):
    """A supplier's sale addressed to this PIN, waiting to be confirmed with `insertTrnsPurchase`.

    `cfmDt` / `stockRlsDt` arrive as 19-char 'YYYY-MM-DD HH24:MI:SS' here, not yyyyMMddHHmmss.
    """

    supplier_pin: str | None = Field(default=None, alias="spplrTin")
    supplier_name: str | None = Field(default=None, alias="spplrNm")
    supplier_branch_id: LooseText | None = Field(default=None, alias="spplrBhfId")
    supplier_invoice_number: Counter | None = Field(default=None, alias="spplrInvcNo")
    supplier_scu_id: str | None = Field(default=None, alias="spplrSdcId")  # live only
    supplier_mrc_number: str | None = Field(default=None, alias="spplrMrcNo")  # live only
    receipt_type: str | None = Field(default=None, alias="rcptTyCd")
    payment_type: LooseText | None = Field(default=None, alias="pmtTyCd")
    confirmed_at: str | None = Field(default=None, alias="cfmDt")
    sales_date: LooseText | None = Field(default=None, alias="salesDt")
    stock_released_at: str | None = Field(default=None, alias="stockRlsDt")
    item_count: Counter | None = Field(default=None, alias="totItemCnt")
    taxable_amount_a: LooseDecimal | None = Field(default=None, alias="taxblAmtA")
    taxable_amount_b: LooseDecimal | None = Field(default=None, alias="taxblAmtB")
    taxable_amount_c: LooseDecimal | None = Field(default=None, alias="taxblAmtC")
    taxable_amount_d: LooseDecimal | None = Field(default=None, alias="taxblAmtD")
    taxable_amount_e: LooseDecimal | None = Field(default=None, alias="taxblAmtE")
    tax_rate_a: LooseDecimal | None = Field(default=None, alias="taxRtA")
    tax_rate_b: LooseDecimal | None = Field(default=None, alias="taxRtB")
    tax_rate_c: LooseDecimal | None = Field(default=None, alias="taxRtC")
    tax_rate_d: LooseDecimal | None = Field(default=None, alias="taxRtD")
    tax_rate_e: LooseDecimal | None = Field(default=None, alias="taxRtE")
    tax_amount_a: LooseDecimal | None = Field(default=None, alias="taxAmtA")
    tax_amount_b: LooseDecimal | None = Field(default=None, alias="taxAmtB")
    tax_amount_c: LooseDecimal | None = Field(default=None, alias="taxAmtC")
    tax_amount_d: LooseDecimal | None = Field(default=None, alias="taxAmtD")
    tax_amount_e: LooseDecimal | None = Field(default=None, alias="taxAmtE")
    total_taxable_amount: LooseDecimal | None = Field(default=None, alias="totTaxblAmt")
    total_tax_amount: LooseDecimal | None = Field(default=None, alias="totTaxAmt")
    total_amount: LooseDecimal | None = Field(default=None, alias="totAmt")
    remark: str | None = Field(default=None, alias="remark")
    lines: list[SupplierSaleLine] = Field(default_factory=list, alias="itemList")


class PurchaseSalesListData(KraResponse):
    sales: list[SupplierSale] = Field(default_factory=list, alias="saleList")


# ---------------------------------------------------------------- purchases (insertTrnsPurchase)


class PurchaseLine(KraRequest):
    sequence: ItemSequence = Field(alias="itemSeq")
    item_code: text(20) | None = Field(default=None, alias="itemCd")  # our own registered item
    item_class: text(10, min_length=1) = Field(alias="itemClsCd")
    name: text(200, min_length=1) = Field(alias="itemNm")
    barcode: text(20) | None = Field(default=None, alias="bcd")
    supplier_item_class: text(10) | None = Field(default=None, alias="spplrItemClsCd")
    supplier_item_code: text(20) | None = Field(default=None, alias="spplrItemCd")
    supplier_item_name: text(200) | None = Field(default=None, alias="spplrItemNm")
    packaging_unit: text(5) | None = Field(default=None, alias="pkgUnitCd")
    packages: Quantity = Field(alias="pkg")
    quantity_unit: text(5, min_length=1) = Field(alias="qtyUnitCd")
    quantity: Quantity = Field(alias="qty")
    unit_price: Amount = Field(alias="prc")
    supply_amount: Amount = Field(alias="splyAmt")
    discount_rate: Rate = Field(alias="dcRt")
    discount_amount: Amount = Field(alias="dcAmt")
    taxable_amount: Amount = Field(alias="taxblAmt")
    tax_type: text(5, min_length=1) = Field(alias="taxTyCd")
    tax_amount: Amount = Field(alias="taxAmt")
    total_amount: Amount = Field(alias="totAmt")
    expiry_date: Date8 | None = Field(default=None, alias="itemExprDt")


class PurchaseRequest(TaxTotals, AuditFields):
    """`insertTrnsPurchase`: confirm a supplier sale (`regTyCd` A) or record one by hand (M).

    `invcNo` is this PIN's own purchase sequence, separate from sales.
    """

    tin: Pin | None = Field(default=None, alias="tin")
    branch_id: BranchId | None = Field(default=None, alias="bhfId")
    invoice_number: DocumentNumber = Field(alias="invcNo")
    original_invoice_number: OriginalNumber = Field(default=0, alias="orgInvcNo")
    supplier_pin: text(11) | None = Field(default=None, alias="spplrTin")
    supplier_branch_id: BranchId | None = Field(default=None, alias="spplrBhfId")
    supplier_name: text(60) | None = Field(default=None, alias="spplrNm")
    supplier_invoice_number: OriginalNumber | None = Field(default=None, alias="spplrInvcNo")
    registration_type: text(5, min_length=1) = Field(alias="regTyCd")  # A automatic / M manual
    purchase_type: text(5, min_length=1) = Field(default="N", alias="pchsTyCd")
    receipt_type: Annotated[str, StringConstraints(pattern=r"^[PR]$")] = Field(alias="rcptTyCd")
    payment_type: text(5, min_length=1) = Field(alias="pmtTyCd")
    purchase_status: text(5, min_length=1) = Field(default="02", alias="pchsSttsCd")
    confirmed_at: DateTime14 | None = Field(default=None, alias="cfmDt")
    purchase_date: Date8 = Field(alias="pchsDt")
    warehoused_at: DateTime14 | None = Field(default=None, alias="wrhsDt")
    cancel_requested_at: DateTime14 | None = Field(default=None, alias="cnclReqDt")
    cancelled_at: DateTime14 | None = Field(default=None, alias="cnclDt")
    refunded_at: DateTime14 | None = Field(default=None, alias="rfdDt")
    item_count: Annotated[int, Field(ge=1)] = Field(alias="totItemCnt")
    remark: text(400) | None = Field(default=None, alias="remark")
    lines: list[PurchaseLine] = Field(alias="itemList", min_length=1)


# ---------------------------------------- stock (selectStockMoveList, insertStockIO, saveStockMaster)


class StockMoveLine(KraResponse):
    sequence: Counter | None = Field(default=None, alias="itemSeq")
    item_code: str | None = Field(default=None, alias="itemCd")
    item_class: LooseText | None = Field(default=None, alias="itemClsCd")
    name: str | None = Field(default=None, alias="itemNm")
    barcode: LooseText | None = Field(default=None, alias="bcd")
    packaging_unit: str | None = Field(default=None, alias="pkgUnitCd")
    packages: LooseDecimal | None = Field(default=None, alias="pkg")
    quantity_unit: str | None = Field(default=None, alias="qtyUnitCd")
    quantity: LooseDecimal | None = Field(default=None, alias="qty")
    expiry_date: LooseText | None = Field(default=None, alias="itemExprDt")
    unit_price: LooseDecimal | None = Field(default=None, alias="prc")
    supply_amount: LooseDecimal | None = Field(default=None, alias="splyAmt")
    discount_amount: LooseDecimal | None = Field(default=None, alias="totDcAmt")
    taxable_amount: LooseDecimal | None = Field(default=None, alias="taxblAmt")
    tax_type: str | None = Field(default=None, alias="taxTyCd")
    tax_amount: LooseDecimal | None = Field(default=None, alias="taxAmt")
    total_amount: LooseDecimal | None = Field(default=None, alias="totAmt")


class StockMove(KraResponse):
    """Stock sent to this branch (e.g. a transfer from head office)."""

    customer_pin: str | None = Field(default=None, alias="custTin")
    customer_branch_id: LooseText | None = Field(default=None, alias="custBhfId")
    stock_number: Counter | None = Field(default=None, alias="sarNo")
    occurred_on: LooseText | None = Field(default=None, alias="ocrnDt")
    item_count: Counter | None = Field(default=None, alias="totItemCnt")
    total_taxable_amount: LooseDecimal | None = Field(default=None, alias="totTaxblAmt")
    total_tax_amount: LooseDecimal | None = Field(default=None, alias="totTaxAmt")
    total_amount: LooseDecimal | None = Field(default=None, alias="totAmt")
    remark: str | None = Field(default=None, alias="remark")
    lines: list[StockMoveLine] = Field(default_factory=list, alias="itemList")


class StockMoveListData(KraResponse):
    moves: list[StockMove] = Field(default_factory=list, alias="stockList")


class StockInOutLine(KraRequest):
    sequence: ItemSequence = Field(alias="itemSeq")
    item_code: text(20) | None = Field(default=None, alias="itemCd")
    item_class: text(10, min_length=1) = Field(alias="itemClsCd")
    name: text(200, min_length=1) = Field(alias="itemNm")
    barcode: text(20) | None = Field(default=None, alias="bcd")
    packaging_unit: text(5, min_length=1) = Field(alias="pkgUnitCd")
    packages: Quantity = Field(alias="pkg")
    quantity_unit: text(5, min_length=1) = Field(alias="qtyUnitCd")
    quantity: Quantity = Field(alias="qty")
    expiry_date: Date8 | None = Field(default=None, alias="itemExprDt")
    unit_price: UnitPrice = Field(alias="prc")
    supply_amount: Amount = Field(alias="splyAmt")
    discount_amount: Amount = Field(alias="totDcAmt")  # `totDcAmt` here, not `dcAmt`
    taxable_amount: Amount = Field(alias="taxblAmt")
    tax_type: text(5, min_length=1) = Field(alias="taxTyCd")
    tax_amount: Amount = Field(alias="taxAmt")
    total_amount: Amount = Field(alias="totAmt")


class StockInOutRequest(AuditFields):
    """`insertStockIO`: one stock in/out document (`sarTyCd`, code class 12).

    `sarNo` is a per-PIN sequence; `orgSarNo` is always sent, 0 when there is no original
    ([GC] crashes on null). `ocrnDt` is a date (yyyyMMdd), not a date-time.
    """

    tin: Pin | None = Field(default=None, alias="tin")
    branch_id: BranchId | None = Field(default=None, alias="bhfId")
    stock_number: DocumentNumber = Field(alias="sarNo")
    original_stock_number: OriginalNumber = Field(default=0, alias="orgSarNo")
    registration_type: text(5, min_length=1) = Field(alias="regTyCd")
    customer_pin: text(11) | None = Field(default=None, alias="custTin")
    customer_name: text(100) | None = Field(default=None, alias="custNm")
    customer_branch_id: BranchId | None = Field(default=None, alias="custBhfId")  # transfers
    stock_type: text(5, min_length=1) = Field(alias="sarTyCd")
    occurred_on: Date8 = Field(alias="ocrnDt")
    item_count: Annotated[int, Field(ge=1)] = Field(alias="totItemCnt")
    total_taxable_amount: Amount = Field(alias="totTaxblAmt")
    total_tax_amount: Amount = Field(alias="totTaxAmt")
    total_amount: Amount = Field(alias="totAmt")
    remark: text(400) | None = Field(default=None, alias="remark")
    lines: list[StockInOutLine] = Field(alias="itemList", min_length=1)


class StockMasterRequest(AuditFields):
    """`saveStockMaster`: remaining quantity of one item (must match the stock I/O ledger on [GC])."""

    tin: Pin | None = Field(default=None, alias="tin")
    branch_id: BranchId | None = Field(default=None, alias="bhfId")
    item_code: text(20, min_length=1) = Field(alias="itemCd")
    remaining_quantity: Quantity = Field(alias="rsdQty")
