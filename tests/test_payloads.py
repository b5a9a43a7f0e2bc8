"""Golden and strictness tests for the KRA eTIMS payload models (spec §2, §3, §8)."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from connector import jsonio
from connector.kra import payloads as p

GOLDEN = Path(__file__).parent / "golden" / "kra"
AUDIT = {"regrId": "Admin", "regrNm": "Admin", "modrId": "Admin", "modrNm": "Admin"}


def load(name: str) -> Any:
    return jsonio.loads((GOLDEN / name).read_text(encoding="utf-8"))


def gc_sale() -> dict[str, Any]:
    """§8.3 GavaConnect sale with its 30-char `trdeNm` placeholder replaced by a real (≤ 20) name."""
    sample = load("sale_gc_request.json")
    sample["receipt"]["trdeNm"] = "Example TIS"
    return sample


def prune_unsent(wire: Any, sample: Any) -> Any:
    """`wire` restricted to the keys of `sample`, in its order; keys only in `wire` must be None."""
    if isinstance(wire, dict) and isinstance(sample, dict):
        unsent = {k: v for k, v in wire.items() if k not in sample}
        assert all(v is None for v in unsent.values()), unsent
        return {k: prune_unsent(wire[k], v) for k, v in sample.items() if k in wire}
    if isinstance(wire, list) and isinstance(sample, list):
        return [prune_unsent(w, s) for w, s in zip(wire, sample, strict=True)]
    return wire


def assert_round_trip(model: type[p.KraRequest], sample: dict[str, Any]) -> p.KraRequest:
    parsed = model.model_validate(sample)
    wire = prune_unsent(parsed.to_wire(), sample)
    assert wire == sample
    # Byte-exact too: 100 stays `100`, 86.21 stays `86.21`, nothing becomes a float.
    assert jsonio.dumps(wire) == jsonio.dumps(sample)
    # Exactly what was given, no more: unset optional fields are the only difference.
    assert parsed.model_dump(by_alias=True, exclude_unset=True) == sample
    return parsed


def error_locs(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[str | int, ...]]:
    return [tuple(e["loc"]) for e in exc.value.errors()]


def expect_error(model: type[BaseModel], sample: dict[str, Any], loc: tuple[str | int, ...], kind: str) -> None:
    with pytest.raises(ValidationError) as exc:
        model.model_validate(sample)
    assert loc in error_locs(exc), error_locs(exc)
    assert any(tuple(e["loc"]) == loc and e["type"] == kind for e in exc.value.errors())
    assert str(loc[-1]) in str(exc.value)  # the message names KRA's field, not the Python one


# ---------------------------------------------------------------- golden samples from spec §8


def test_init_response_lands_in_plain_english_attributes() -> None:
    envelope = p.Envelope.model_validate(load("init_response.json"))
    assert envelope.result_code == "000"
    info = p.InitData.model_validate(envelope.data).info
    assert info.scu_id == "KRACU013000001"
    assert info.mrc_number == "WIS01000150"
    assert info.device_id == "9999911300000001"
    assert info.cmc_key == "f0b9831bd2334874b7ec815e40347bc4"
    assert info.branch_open_date == "20200226"


def test_init_response_repr_hides_cmc_key() -> None:
    data = p.InitData.model_validate(load("init_response.json")["data"])
    assert "f0b9831bd2334874b7ec815e40347bc4" not in repr(data)
    assert "f0b9831bd2334874b7ec815e40347bc4" not in str(data.info)
    assert "KRACU013000001" in repr(data)


def test_init_already_installed_has_no_data() -> None:
    envelope = p.Envelope.model_validate(load("init_already_installed.json"))
    assert (envelope.result_code, envelope.data, envelope.result_datetime) == ("902", None, None)


def test_gc_save_item_round_trips() -> None:
    sample = load("save_item_gc_request.json")
    item = assert_round_trip(p.SaveItemRequest, sample)
    assert item.default_price == Decimal("100")
    # The only key the model adds is the optional standard name, sent as null.
    wire = item.to_wire()
    assert set(wire) - set(sample) == {"itemStdNm"}
    assert wire["itemStdNm"] is None


def test_gc_sale_placeholder_trade_name_is_too_long() -> None:
    sample = load("sale_gc_request.json")
    expect_error(p.SaleRequest, sample, ("receipt", "trdeNm"), "string_too_long")


def test_gc_sale_round_trips() -> None:
    sale = assert_round_trip(p.SaleRequest, gc_sale())
    assert sale.total_amount == Decimal("100")
    assert sale.lines[0].taxable_amount == Decimal("86.21")
    assert sale.receipt.published_at == "20260811103000"


@pytest.mark.parametrize("name", ["sale_response_spec.json", "sale_response_live.json"])
def test_sale_response_counters_as_strings_or_numbers(name: str) -> None:
    envelope = p.Envelope.model_validate(load(name))
    data = p.SaleResponseData.model_validate(envelope.data)
    assert isinstance(data.receipt_number, int)
    assert data.receipt_number == data.total_receipt_number
    assert len(data.internal_data or "") == 26
    assert len(data.signature or "") == 16
    assert data.signed_at is not None and len(data.signed_at) == 14


def test_sale_response_values() -> None:
    spec = p.SaleResponseData.model_validate(load("sale_response_spec.json")["data"])
    live = p.SaleResponseData.model_validate(load("sale_response_live.json")["data"])
    assert (spec.receipt_number, spec.signature) == (1, "QUII27MATATSHFRB")
    assert (live.receipt_number, live.internal_data) == (169, "GRKJVWYCFBPTYQ225X2UEYONVE")


def test_invoice_read_back_parses() -> None:
    data = p.InvoiceDetailsData.model_validate(load("invoice_details_response.json")["data"])
    (sale,) = data.sales
    assert (sale.invoice_number, sale.receipt_type, sale.total_amount) == (2, "S", Decimal("1.04"))
    assert sale.receipt is not None
    assert sale.receipt.receipt_number == 169
    assert sale.receipt.signature == "123456789ODOOGR3"
    assert sale.receipt.signed_at == "2024-04-15 15:30:39.0"  # read-back format differs from the save
    assert sale.receipt.customer_pin == "A000123456F"
    assert "itemList" in (sale.model_extra or {})  # request echo kept, not modelled


def test_invoice_details_request() -> None:
    assert p.InvoiceDetailsRequest(invcNo=2).to_wire() == {"tin": None, "bhfId": None, "invcNo": 2}


# ---------------------------------------------------------------- the remaining endpoints


def test_customer_query_uses_custm_tin() -> None:
    query = p.CustomerQuery(custmTin="A000123456F")
    assert query.to_wire()["custmTin"] == "A000123456F"
    expect_error(p.CustomerQuery, {"custTin": "A000123456F"}, ("custmTin",), "missing")


def test_customer_list() -> None:
    data = p.CustomerListData.model_validate(load("customer_list_response.json")["data"])
    (taxpayer,) = data.customers
    assert (taxpayer.taxpayer_name, taxpayer.taxpayer_status) == ("Ralph Jr", "A")


def test_customer_no_result_is_empty() -> None:
    envelope = p.Envelope.model_validate(load("select_customer_no_result.json"))
    assert (envelope.result_code, envelope.data) == ("001", None)


def test_notice_list() -> None:
    (notice,) = p.NoticeListData.model_validate(load("notice_list_response.json")["data"]).notices
    assert notice.notice_number == 26
    assert notice.detail_url is not None and notice.detail_url.endswith("noticeNo=26")


def test_branch_list() -> None:
    branches = p.BranchListData.model_validate(load("branch_list_response.json")["data"]).branches
    assert [(b.branch_id, b.branch_status, b.head_office) for b in branches] == [
        ("00", "01", "Y"),
        ("01", "01", "N"),
        ("02", "02", "N"),
    ]


def test_item_list() -> None:
    (item,) = p.ItemListData.model_validate(load("item_list_response.json")["data"]).items
    assert item.item_code == "KE2NTNO0000001"
    assert item.default_price == Decimal("100")
    assert (item.registered_branch_id, item.modified_by_kra) == ("00", "N")


def test_import_item_list_accepts_both_status_spellings() -> None:
    first, second = p.ImportItemListData.model_validate(load("import_item_list_response.json")["data"]).items
    assert (first.status, first.declaration_date, first.net_weight) == ("2", "01022023", Decimal("19945.57"))
    assert (second.status, second.task_code, second.sequence) == ("3", "2239079", 2)
    assert second.model_dump(by_alias=True)["imptItemSttsCd"] == "3"


def test_purchase_sales_list() -> None:
    (sale,) = p.PurchaseSalesListData.model_validate(load("purchase_sales_list_response.json")["data"]).sales
    assert sale.supplier_invoice_number == 123  # arrives as "123"
    assert sale.confirmed_at == "2026-08-10 15:36:25"  # 19-char date kept as sent
    assert sale.supplier_scu_id == "KRACU0000054321"
    assert sale.total_amount == Decimal("1000")
    (line,) = sale.lines
    assert (line.quantity, line.taxable_amount) == (Decimal("10"), Decimal("862.07"))


def test_stock_move_list() -> None:
    (move,) = p.StockMoveListData.model_validate(load("stock_move_list_response.json")["data"]).moves
    assert (move.stock_number, move.occurred_on, move.customer_branch_id) == (6, "20260810", "00")
    assert move.lines[0].discount_amount == Decimal("0")


@pytest.mark.parametrize(
    ("model", "name"),
    [
        (p.SaveBranchCustomerRequest, "save_branch_customer_request.json"),
        (p.SaveBranchUserRequest, "save_branch_user_request.json"),
        (p.SaveBranchInsuranceRequest, "save_branch_insurance_request.json"),
        (p.SaveItemCompositionRequest, "save_item_composition_request.json"),
        (p.UpdateImportItemRequest, "update_import_item_request.json"),
        (p.PurchaseRequest, "purchase_request.json"),
        (p.StockInOutRequest, "stock_io_request.json"),
        (p.StockMasterRequest, "stock_master_request.json"),
    ],
)
def test_save_requests_round_trip(model: type[p.KraRequest], name: str) -> None:
    assert_round_trip(model, load(name))


def test_branch_user_password_is_not_in_repr_or_errors() -> None:
    sample = load("save_branch_user_request.json")
    user = p.SaveBranchUserRequest.model_validate(sample)
    assert user.password == "not-a-real-password"
    assert user.to_wire()["pwd"] == "not-a-real-password"
    assert "not-a-real-password" not in repr(user)
    assert "not-a-real-password" not in str(user)
    with pytest.raises(ValidationError) as exc:
        p.SaveBranchUserRequest.model_validate({**sample, "userId": "x" * 21})
    assert "not-a-real-password" not in str(exc.value)


def test_update_import_item_needs_remark_and_no_registrant() -> None:
    sample = load("update_import_item_request.json")
    expect_error(p.UpdateImportItemRequest, {**sample, "remark": None}, ("remark",), "string_type")
    expect_error(p.UpdateImportItemRequest, {**sample, "remark": ""}, ("remark",), "string_too_short")
    expect_error(p.UpdateImportItemRequest, {**sample, "regrId": "Admin"}, ("regrId",), "extra_forbidden")
    expect_error(p.UpdateImportItemRequest, {**sample, "itemClCd": "5022110801"}, ("itemClCd",), "extra_forbidden")


def test_purchase_receipt_type_is_p_or_r() -> None:
    sample = load("purchase_request.json")
    assert p.PurchaseRequest.model_validate({**sample, "rcptTyCd": "R"}).receipt_type == "R"
    expect_error(p.PurchaseRequest, {**sample, "rcptTyCd": "S"}, ("rcptTyCd",), "string_pattern_mismatch")


def test_stock_io_line_uses_tot_dc_amt() -> None:
    sample = load("stock_io_request.json")
    line = dict(sample["itemList"][0])
    line["dcAmt"] = line.pop("totDcAmt")
    bad = {**sample, "itemList": [line]}
    with pytest.raises(ValidationError) as exc:
        p.StockInOutRequest.model_validate(bad)
    assert {("itemList", 0, "dcAmt"), ("itemList", 0, "totDcAmt")} <= set(error_locs(exc))


def test_stock_io_original_number_is_never_null() -> None:
    sample = load("stock_io_request.json")
    without = {k: v for k, v in sample.items() if k != "orgSarNo"}
    assert p.StockInOutRequest.model_validate(without).to_wire()["orgSarNo"] == 0
    expect_error(p.StockInOutRequest, {**sample, "orgSarNo": None}, ("orgSarNo",), "int_type")


def test_stock_io_occurrence_is_a_date() -> None:
    sample = load("stock_io_request.json")
    expect_error(p.StockInOutRequest, {**sample, "ocrnDt": "20260811103000"}, ("ocrnDt",), "string_pattern_mismatch")


# ---------------------------------------------------------------- strictness (requests)


def test_customer_name_too_long() -> None:
    expect_error(p.SaleRequest, {**gc_sale(), "custNm": "x" * 61}, ("custNm",), "string_too_long")
    customer = load("save_branch_customer_request.json")
    expect_error(p.SaveBranchCustomerRequest, {**customer, "custNm": "x" * 61}, ("custNm",), "string_too_long")
    assert p.SaleRequest.model_validate({**gc_sale(), "custNm": "x" * 60}).customer_name == "x" * 60


def test_confirmation_date_of_twelve_digits() -> None:
    expect_error(p.SaleRequest, {**gc_sale(), "cfmDt": "202608111030"}, ("cfmDt",), "string_pattern_mismatch")
    purchase = load("purchase_request.json")
    expect_error(p.PurchaseRequest, {**purchase, "cfmDt": "202608111030"}, ("cfmDt",), "string_pattern_mismatch")


def test_amount_with_three_decimals() -> None:
    expect_error(p.SaleRequest, {**gc_sale(), "totAmt": Decimal("100.005")}, ("totAmt",), "decimal_max_places")
    sale = gc_sale()
    sale["itemList"][0]["dcAmt"] = Decimal("0.001")
    expect_error(p.SaleRequest, sale, ("itemList", 0, "dcAmt"), "decimal_max_places")
    item = load("save_item_gc_request.json")
    expect_error(p.SaveItemRequest, {**item, "dftPrc": Decimal("1.005")}, ("dftPrc",), "decimal_max_places")
    stock = load("stock_io_request.json")
    stock["itemList"][0]["prc"] = Decimal("100.125")
    expect_error(p.StockInOutRequest, stock, ("itemList", 0, "prc"), "decimal_max_places")


def test_unknown_field() -> None:
    expect_error(p.SaleRequest, {**gc_sale(), "cmcKey": "secret"}, ("cmcKey",), "extra_forbidden")
    sale = gc_sale()
    sale["itemList"][0]["rptNo"] = 1
    expect_error(p.SaleRequest, sale, ("itemList", 0, "rptNo"), "extra_forbidden")
    purchase = load("purchase_request.json")
    purchase["itemList"][0]["supplrItemNm"] = "typo from a peer"
    expect_error(p.PurchaseRequest, purchase, ("itemList", 0, "supplrItemNm"), "extra_forbidden")


@pytest.mark.parametrize(
    ("model", "name", "field"),
    [
        (p.SaleRequest, None, "rcptTyCd"),
        (p.SaleRequest, None, "modrNm"),
        (p.SaveItemRequest, "save_item_gc_request.json", "itemNm"),
        (p.PurchaseRequest, "purchase_request.json", "pchsDt"),
        (p.StockInOutRequest, "stock_io_request.json", "sarTyCd"),
        (p.StockMasterRequest, "stock_master_request.json", "rsdQty"),
        (p.SaveBranchCustomerRequest, "save_branch_customer_request.json", "custTin"),
        (p.SaveBranchUserRequest, "save_branch_user_request.json", "pwd"),
        (p.SaveItemCompositionRequest, "save_item_composition_request.json", "cpstItemCd"),
        (p.UpdateImportItemRequest, "update_import_item_request.json", "remark"),
    ],
)
def test_missing_required_field(model: type[p.KraRequest], name: str | None, field: str) -> None:
    sample = gc_sale() if name is None else load(name)
    del sample[field]
    expect_error(model, sample, (field,), "missing")


def test_missing_required_line_field() -> None:
    sale = gc_sale()
    del sale["itemList"][0]["taxTyCd"]
    expect_error(p.SaleRequest, sale, ("itemList", 0, "taxTyCd"), "missing")


def test_empty_item_list() -> None:
    expect_error(p.SaleRequest, {**gc_sale(), "itemList": []}, ("itemList",), "too_short")
    expect_error(p.PurchaseRequest, {**load("purchase_request.json"), "itemList": []}, ("itemList",), "too_short")


def test_assignment_is_validated() -> None:
    sale = p.SaleRequest.model_validate(gc_sale())
    with pytest.raises(ValidationError):
        sale.customer_name = "x" * 61


# ---------------------------------------------------------------- tolerance (responses)


def test_envelope_with_extra_keys_and_null_data() -> None:
    raw = {**load("save_success_response.json"), "responseHeader": {"responseCode": 200}, "traceId": "abc"}
    envelope = p.Envelope.model_validate(raw)
    assert (envelope.result_code, envelope.data) == ("000", None)
    assert envelope.model_extra == {"responseHeader": {"responseCode": 200}, "traceId": "abc"}


def test_envelope_numeric_result_code() -> None:
    assert p.Envelope.model_validate({"resultCd": 0, "data": None}).result_code == "0"


@pytest.mark.parametrize(
    ("model", "name", "list_key"),
    [
        (p.CustomerListData, "customer_list_response.json", "custList"),
        (p.NoticeListData, "notice_list_response.json", "noticeList"),
        (p.BranchListData, "branch_list_response.json", "bhfList"),
        (p.ItemListData, "item_list_response.json", "itemList"),
        (p.ImportItemListData, "import_item_list_response.json", "itemList"),
        (p.PurchaseSalesListData, "purchase_sales_list_response.json", "saleList"),
        (p.StockMoveListData, "stock_move_list_response.json", "stockList"),
        (p.InvoiceDetailsData, "invoice_details_response.json", "salesList"),
    ],
)
def test_list_responses_keep_unknown_keys(model: type[p.KraResponse], name: str, list_key: str) -> None:
    data = copy.deepcopy(load(name)["data"])
    data["pageNo"] = 1
    data[list_key][0]["newKraField"] = "kept"
    parsed = model.model_validate(data)
    assert parsed.model_extra == {"pageNo": 1}
    (rows,) = [v for v in parsed.__dict__.values() if isinstance(v, list)]
    assert rows[0].model_extra is not None and rows[0].model_extra["newKraField"] == "kept"


@pytest.mark.parametrize(
    "model",
    [
        p.CustomerListData,
        p.NoticeListData,
        p.BranchListData,
        p.ItemListData,
        p.ImportItemListData,
        p.PurchaseSalesListData,
        p.StockMoveListData,
    ],
)
def test_list_responses_accept_empty_data(model: type[p.KraResponse]) -> None:
    parsed = model.model_validate({})
    (rows,) = [v for v in parsed.__dict__.values() if isinstance(v, list)]
    assert rows == []


def test_response_rows_tolerate_missing_and_stringly_fields() -> None:
    sale = p.SupplierSale.model_validate({"spplrInvcNo": 7, "totItemCnt": "2", "totAmt": "10.5"})
    assert (sale.supplier_invoice_number, sale.item_count, sale.total_amount) == (7, 2, Decimal("10.5"))
    assert sale.lines == []
    item = p.RegisteredItem.model_validate({"itemTyCd": 2, "dftPrc": 30.0})
    assert (item.item_type, item.default_price) == ("2", Decimal("30.0"))
