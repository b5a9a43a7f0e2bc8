"""Device initialisation, code lists, taxpayer look-up, notices and branches."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from connector.kra.payloads.base import (
    AuditFields,
    BranchId,
    Counter,
    KraRequest,
    KraResponse,
    LooseText,
    Pin,
    Rate,
    YesNo,
    text,
)

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
