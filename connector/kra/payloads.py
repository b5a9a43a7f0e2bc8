"""Pydantic models of every KRA eTIMS OSCU request and response (spec §2–§3).

Python names are plain English; KRA's abbreviations exist only as aliases. Requests are strict
(lengths, formats, required fields, 2-decimal amounts); responses are tolerant (counters as
strings or numbers, `data: null`, unknown keys kept). `to_wire()` gives the JSON-ready dict.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

# ---------------------------------------------------------------- field types

Amount = Annotated[Decimal, Field(max_digits=20, decimal_places=2)]  # NUMBER(18,2)
Quantity = Annotated[Decimal, Field(max_digits=15, decimal_places=2)]  # NUMBER(13,2)
Rate = Annotated[Decimal, Field(ge=0, max_digits=9, decimal_places=2)]  # NUMBER(7,2) / (5,2)
DateTime14 = Annotated[str, StringConstraints(pattern=r"^\d{14}$")]  # yyyyMMddHHmmss
Date8 = Annotated[str, StringConstraints(pattern=r"^\d{8}$")]  # yyyyMMdd
YesNo = Annotated[str, StringConstraints(pattern=r"^[YN]$")]
Pin = Annotated[str, StringConstraints(min_length=11, max_length=11)]
BranchId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z]{2}$")]


def text(max_length: int, *, min_length: int = 0) -> Any:
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length)]


def _to_int(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def _to_decimal(value: Any) -> Any:
    if isinstance(value, int | str) and not isinstance(value, bool):
        try:
            return Decimal(str(value))
        except ArithmeticError:
            return value
    return value


Counter = Annotated[int, BeforeValidator(_to_int)]
LooseDecimal = Annotated[Decimal, BeforeValidator(_to_decimal)]


class KraRequest(BaseModel):
    """A request body. Strict: unknown fields and bad formats are errors before anything is sent."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid", validate_assignment=True)

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="python")


class KraResponse(BaseModel):
    """A response part. Tolerant: extra keys are kept, missing optional keys are `None`."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")


class AuditFields(KraRequest):
    """Who registered / modified the record (required on every save, spec §2.2)."""

    registrant_id: text(20, min_length=1) = Field(alias="regrId")
    registrant_name: text(60, min_length=1) = Field(alias="regrNm")
    modifier_id: text(20, min_length=1) = Field(alias="modrId")
    modifier_name: text(60, min_length=1) = Field(alias="modrNm")


# ---------------------------------------------------------------- envelope


class Envelope(KraResponse):
    """`{"resultCd","resultMsg","resultDt","data"}` around every answer."""

    result_code: Annotated[str, BeforeValidator(lambda v: v if isinstance(v, str) else str(v))] = Field(
        alias="resultCd"
    )
    result_message: str | None = Field(default=None, alias="resultMsg")
    result_datetime: str | None = Field(default=None, alias="resultDt")
    data: Any = None


class LastRequestQuery(KraRequest):
    """Every `select…List` look-up: records changed after `lastReqDt`."""

    tin: Pin | None = Field(default=None, alias="tin")
    branch_id: BranchId | None = Field(default=None, alias="bhfId")
    last_request: DateTime14 = Field(alias="lastReqDt")


# ---------------------------------------------------------------- device initialisation


class InitRequest(KraRequest):
    tin: Pin = Field(alias="tin")
    branch_id: BranchId = Field(alias="bhfId")
    device_serial: text(100, min_length=1) = Field(alias="dvcSrlNo")


class InitInfo(KraResponse):
    tin: str | None = Field(default=None, alias="tin")
    taxpayer_name: str | None = Field(default=None, alias="taxprNm")
    business_activity: str | None = Field(default=None, alias="bsnsActv")
    branch_id: str | None = Field(default=None, alias="bhfId")
    branch_name: str | None = Field(default=None, alias="bhfNm")
    branch_open_date: str | None = Field(default=None, alias="bhfOpenDt")
    province: str | None = Field(default=None, alias="prvncNm")
    district: str | None = Field(default=None, alias="dstrtNm")
    sector: str | None = Field(default=None, alias="sctrNm")
    location: str | None = Field(default=None, alias="locDesc")
    head_office: str | None = Field(default=None, alias="hqYn")
    manager_name: str | None = Field(default=None, alias="mgrNm")
    manager_phone: str | None = Field(default=None, alias="mgrTelNo")
    manager_email: str | None = Field(default=None, alias="mgrEmail")
    device_id: str | None = Field(default=None, alias="dvcId")
    scu_id: str | None = Field(default=None, alias="sdcId")
    mrc_number: str | None = Field(default=None, alias="mrcNo")
    cmc_key: str | None = Field(default=None, alias="cmcKey", repr=False)


class InitData(KraResponse):
    info: InitInfo


# ---------------------------------------------------------------- code lists


class CodeDetail(KraResponse):
    code: str = Field(alias="cd")
    name: str | None = Field(default=None, alias="cdNm")
    description: str | None = Field(default=None, alias="cdDesc")
    in_use: str | None = Field(default="Y", alias="useYn")
    sort_order: Counter | None = Field(default=None, alias="srtOrd")
    user_defined_1: str | None = Field(default=None, alias="userDfnCd1")
    user_defined_2: str | None = Field(default=None, alias="userDfnCd2")
    user_defined_3: str | None = Field(default=None, alias="userDfnCd3")


class CodeClass(KraResponse):
    code_class: str = Field(alias="cdCls")
    name: str | None = Field(default=None, alias="cdClsNm")
    description: str | None = Field(default=None, alias="cdClsDesc")
    in_use: str | None = Field(default="Y", alias="useYn")
    details: list[CodeDetail] = Field(default_factory=list, alias="dtlList")


class CodeListData(KraResponse):
    classes: list[CodeClass] = Field(default_factory=list, alias="clsList")


class ItemClass(KraResponse):
    code: str = Field(alias="itemClsCd")
    name: str | None = Field(default=None, alias="itemClsNm")
    level: Counter | None = Field(default=None, alias="itemClsLvl")
    tax_type: str | None = Field(default=None, alias="taxTyCd")
    major_target: str | None = Field(default=None, alias="mjrTgYn")
    in_use: str | None = Field(default="Y", alias="useYn")


class ItemClassListData(KraResponse):
    item_classes: list[ItemClass] = Field(default_factory=list, alias="itemClsList")


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


class SaleRequest(AuditFields):
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
    taxable_amount_a: Amount = Field(alias="taxblAmtA")
    taxable_amount_b: Amount = Field(alias="taxblAmtB")
    taxable_amount_c: Amount = Field(alias="taxblAmtC")
    taxable_amount_d: Amount = Field(alias="taxblAmtD")
    taxable_amount_e: Amount = Field(alias="taxblAmtE")
    tax_rate_a: Rate = Field(alias="taxRtA")
    tax_rate_b: Rate = Field(alias="taxRtB")
    tax_rate_c: Rate = Field(alias="taxRtC")
    tax_rate_d: Rate = Field(alias="taxRtD")
    tax_rate_e: Rate = Field(alias="taxRtE")
    tax_amount_a: Amount = Field(alias="taxAmtA")
    tax_amount_b: Amount = Field(alias="taxAmtB")
    tax_amount_c: Amount = Field(alias="taxAmtC")
    tax_amount_d: Amount = Field(alias="taxAmtD")
    tax_amount_e: Amount = Field(alias="taxAmtE")
    total_taxable_amount: Amount = Field(alias="totTaxblAmt")
    total_tax_amount: Amount = Field(alias="totTaxAmt")
    total_amount: Amount = Field(alias="totAmt")
    purchaser_accepted: YesNo = Field(default="N", alias="prchrAcptcYn")
    remark: text(400) | None = Field(default=None, alias="remark")
    receipt: SaleReceipt = Field(alias="receipt")
    lines: list[SaleLine] = Field(alias="itemList", min_length=1)


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


# ---------------------------------------------------------------- helpers for the remaining endpoints


def _to_text(value: Any) -> Any:
    """Codes KRA documents as CHAR but sometimes sends as JSON numbers (`taskCd`, `itemTyCd`)."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    return value


LooseText = Annotated[str, BeforeValidator(_to_text)]
UnitPrice = Annotated[Decimal, Field(max_digits=17, decimal_places=2)]  # NUMBER(15,2), stock I/O `prc`
ItemSequence = Annotated[int, Field(ge=1, le=999)]  # NUMBER(3)
DocumentNumber = Annotated[int, Field(ge=1)]  # NUMBER(38) sequences: invcNo, sarNo
OriginalNumber = Annotated[int, Field(ge=0)]  # NUMBER(38), 0 = none


# ---------------------------------------------------------------- taxpayer look-up (selectCustomer)


class CustomerQuery(KraRequest):
    """`selectCustomer`: look up a taxpayer by PIN. Note KRA's spelling `custmTin`."""

    tin: Pin | None = Field(default=None, alias="tin")
    branch_id: BranchId | None = Field(default=None, alias="bhfId")
    customer_pin: Pin = Field(alias="custmTin")


class Taxpayer(KraResponse):
    tin: str | None = Field(default=None, alias="tin")
    taxpayer_name: str | None = Field(default=None, alias="taxprNm")
    taxpayer_status: str | None = Field(default=None, alias="taxprSttsCd")  # A active / D inactive
    province: str | None = Field(default=None, alias="prvncNm")
    district: str | None = Field(default=None, alias="dstrtNm")
    sector: str | None = Field(default=None, alias="sctrNm")
    location: str | None = Field(default=None, alias="locDesc")


class CustomerListData(KraResponse):
    customers: list[Taxpayer] = Field(default_factory=list, alias="custList")


# ---------------------------------------------------------------- notices (selectNoticeList)


class Notice(KraResponse):
    notice_number: Counter | None = Field(default=None, alias="noticeNo")
    title: str | None = Field(default=None, alias="title")
    content: str | None = Field(default=None, alias="cont")
    detail_url: str | None = Field(default=None, alias="dtlUrl")
    registrant_name: str | None = Field(default=None, alias="regrNm")
    registered_at: str | None = Field(default=None, alias="regDt")


class NoticeListData(KraResponse):
    notices: list[Notice] = Field(default_factory=list, alias="noticeList")


# ---------------------------------------------------------------- branches (selectBhfList, saveBhf…)


class Branch(KraResponse):
    tin: str | None = Field(default=None, alias="tin")
    branch_id: LooseText | None = Field(default=None, alias="bhfId")
    branch_name: str | None = Field(default=None, alias="bhfNm")
    branch_status: LooseText | None = Field(default=None, alias="bhfSttsCd")  # 01 open / 02 closed
    province: str | None = Field(default=None, alias="prvncNm")
    district: str | None = Field(default=None, alias="dstrtNm")
    sector: str | None = Field(default=None, alias="sctrNm")
    location: str | None = Field(default=None, alias="locDesc")
    manager_name: str | None = Field(default=None, alias="mgrNm")
    manager_phone: str | None = Field(default=None, alias="mgrTelNo")
    manager_email: str | None = Field(default=None, alias="mgrEmail")
    head_office: str | None = Field(default=None, alias="hqYn")


class BranchListData(KraResponse):
    branches: list[Branch] = Field(default_factory=list, alias="bhfList")


class SaveBranchCustomerRequest(AuditFields):
    """`saveBhfCustomer`: a customer of this branch (answer `data: null`)."""

    tin: Pin | None = Field(default=None, alias="tin")
    branch_id: BranchId | None = Field(default=None, alias="bhfId")
    customer_number: text(9, min_length=1) = Field(alias="custNo")
    customer_pin: Pin = Field(alias="custTin")  # [GC] rejects an empty one
    customer_name: text(60, min_length=1) = Field(alias="custNm")
    address: text(300) | None = Field(default=None, alias="adrs")
    phone: text(20) | None = Field(default=None, alias="telNo")
    email: text(50) | None = Field(default=None, alias="email")
    fax: text(20) | None = Field(default=None, alias="faxNo")
    in_use: YesNo = Field(default="Y", alias="useYn")
    remark: text(1000) | None = Field(default=None, alias="remark")


class SaveBranchUserRequest(AuditFields):
    """`saveBhfUser`: a branch user account. The password never shows in repr or error messages."""

    model_config = ConfigDict(hide_input_in_errors=True)

    tin: Pin | None = Field(default=None, alias="tin")
    branch_id: BranchId | None = Field(default=None, alias="bhfId")
    user_id: text(20, min_length=1) = Field(alias="userId")
    user_name: text(60, min_length=1) = Field(alias="userNm")
    password: text(255, min_length=1) = Field(alias="pwd", repr=False)
    address: text(200) | None = Field(default=None, alias="adrs")
    contact: text(20) | None = Field(default=None, alias="cntc")
    authority_code: text(100) | None = Field(default=None, alias="authCd")
    remark: text(2000) | None = Field(default=None, alias="remark")
    in_use: YesNo = Field(default="Y", alias="useYn")


class SaveBranchInsuranceRequest(AuditFields):
    """`saveBhfInsurance`: an insurer of this branch (pharmacies only)."""

    tin: Pin | None = Field(default=None, alias="tin")
    branch_id: BranchId | None = Field(default=None, alias="bhfId")
    insurer_code: text(10, min_length=1) = Field(alias="isrccCd")
    insurer_name: text(100, min_length=1) = Field(alias="isrccNm")
    insurance_rate: Annotated[Rate, Field(le=100)] = Field(alias="isrcRt")  # NUMBER(3), percent
    in_use: YesNo = Field(default="Y", alias="useYn")


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


class PurchaseRequest(AuditFields):
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
    taxable_amount_a: Amount = Field(alias="taxblAmtA")
    taxable_amount_b: Amount = Field(alias="taxblAmtB")
    taxable_amount_c: Amount = Field(alias="taxblAmtC")
    taxable_amount_d: Amount = Field(alias="taxblAmtD")
    taxable_amount_e: Amount = Field(alias="taxblAmtE")
    tax_rate_a: Rate = Field(alias="taxRtA")
    tax_rate_b: Rate = Field(alias="taxRtB")
    tax_rate_c: Rate = Field(alias="taxRtC")
    tax_rate_d: Rate = Field(alias="taxRtD")
    tax_rate_e: Rate = Field(alias="taxRtE")
    tax_amount_a: Amount = Field(alias="taxAmtA")
    tax_amount_b: Amount = Field(alias="taxAmtB")
    tax_amount_c: Amount = Field(alias="taxAmtC")
    tax_amount_d: Amount = Field(alias="taxAmtD")
    tax_amount_e: Amount = Field(alias="taxAmtE")
    total_taxable_amount: Amount = Field(alias="totTaxblAmt")
    total_tax_amount: Amount = Field(alias="totTaxAmt")
    total_amount: Amount = Field(alias="totAmt")
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
