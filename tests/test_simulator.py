"""The KRA simulator over real HTTP on 127.0.0.1, with raw JSON (spec §10 checklist)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest

from connector.kra.simulator import Simulator, SimulatorConfig, start_simulator
from tests.simulator_helpers import (
    BUYER_PIN,
    GC_ITEM,
    PIN,
    GavaDevice,
    LegacyDevice,
    credit_note,
    gc_sale,
    legacy_convention_sale,
    parsed,
    post_json,
)

BASE32 = re.compile(r"^[A-Z2-7]+$")


@pytest.fixture
def legacy_sim() -> Iterator[Simulator]:
    with start_simulator(SimulatorConfig(seed=1)) as sim:
        yield sim


@pytest.fixture
def strict_sim() -> Iterator[Simulator]:
    """GavaConnect profile with the 2026 header rates (E 0), as in the §8.3 sample."""
    with start_simulator(
        SimulatorConfig(profile="gavaconnect", tax_rates={"E": 0}, seed=1, stock_enforced=False)
    ) as sim:
        yield sim


@pytest.fixture
def device(legacy_sim: Simulator) -> Iterator[LegacyDevice]:
    dev = LegacyDevice(legacy_sim)
    yield dev
    dev.close()


@pytest.fixture
def strict_device(strict_sim: Simulator) -> Iterator[LegacyDevice]:
    """A device on the legacy paths of a strict simulator: rule failures come back as 910 envelopes."""
    dev = LegacyDevice(strict_sim)
    yield dev
    dev.close()


@pytest.fixture
def gava(strict_sim: Simulator) -> Iterator[GavaDevice]:
    dev = GavaDevice(strict_sim)
    yield dev
    dev.close()


# device initialisation and identity
def test_init_gives_keys_once_then_902(device: LegacyDevice) -> None:
    info = device.info
    assert re.fullmatch(r"[0-9a-f]{32}", info["cmcKey"])
    assert re.fullmatch(r"KRACU\d+", info["sdcId"])
    assert info["mrcNo"] and info["dvcId"] and info["tin"] == PIN and info["bhfId"] == "00"
    again = device.init(PIN, "00", "dvc-1")
    assert again["resultCd"] == "902"
    assert again["resultMsg"] == "This device is installed"
    assert again["data"] is None
    assert device.init(PIN, "00", "another-serial")["resultCd"] == "901"


def test_init_validates_fields_and_allowed_devices() -> None:
    allowed = {(PIN, "00", "approved")}
    with start_simulator(SimulatorConfig(allowed_devices=allowed)) as sim, httpx.Client() as http:
        url = sim.legacy_base + "/selectInitOsdcInfo"
        missing = parsed(post_json(http, url, {"tin": PIN, "bhfId": "00"}))
        assert missing["resultCd"] == "910"
        assert missing["resultMsg"] == "Request parameter error[<dvcSrlNo> : may not be empty]"
        bad_pin = parsed(post_json(http, url, {"tin": "P05123", "bhfId": "00", "dvcSrlNo": "approved"}))
        assert bad_pin["resultCd"] == "910" and "<tin>" in bad_pin["resultMsg"]
        unknown = parsed(post_json(http, url, {"tin": PIN, "bhfId": "00", "dvcSrlNo": "other"}))
        assert unknown["resultCd"] == "901"
        approved = parsed(post_json(http, url, {"tin": PIN, "bhfId": "00", "dvcSrlNo": "approved"}))
        assert approved["resultCd"] == "000"


def test_identity_headers_900_and_901(device: LegacyDevice) -> None:
    body = {"lastReqDt": "20180101000000"}
    no_headers = device.call("selectCodeList", body, headers={"X-Nothing": "1"})
    assert no_headers["resultCd"] == "900"
    assert no_headers["resultMsg"] == "There is no Header information"
    wrong_key = device.call("selectCodeList", body, headers={**device.headers, "cmcKey": "0" * 32})
    assert wrong_key["resultCd"] == "901"
    lower_case = {"tin": PIN, "bhfid": "00", "cmckey": device.headers["cmcKey"]}
    assert device.call("selectCodeList", body, headers=lower_case)["resultCd"] == "000"
    in_body = device.call("selectCodeList", {**body, "tin": PIN, "bhfId": "00"}, {"cmcKey": device.info["cmcKey"]})
    assert in_body["resultCd"] == "000"


def test_save_without_modifier_lists_the_fields(device: LegacyDevice) -> None:
    item = {key: value for key, value in GC_ITEM.items() if key not in ("modrId", "modrNm")}
    answer = device.call("saveItem", item)
    assert answer["resultCd"] == "910"
    assert answer["resultMsg"] == "Request parameter error[<modrId> : may not be empty][<modrNm> : may not be empty]"
    assert answer["data"] is None
    too_long = device.call("saveItem", {**GC_ITEM, "itemNm": "x" * 201})
    assert too_long["resultMsg"] == "Request parameter error[<itemNm> : size must be between 0 and 200]"


def test_code_list_honours_last_request_date(device: LegacyDevice) -> None:
    first = device.call("selectCodeList", {"lastReqDt": "20180101000000"})
    assert first["resultCd"] == "000" and first["resultMsg"] == "Successful"
    assert re.fullmatch(r"\d{14}", first["resultDt"])
    tax = next(cls for cls in first["data"]["clsList"] if cls["cdCls"] == "04")
    assert {row["cd"]: row["userDfnCd1"] for row in tax["dtlList"]}["B"] == "16"
    nothing_new = device.call("selectCodeList", {"lastReqDt": first["resultDt"]})
    assert nothing_new == {**nothing_new, "resultCd": "001", "resultMsg": "There is no search result", "data": None}
    bad_date = device.call("selectCodeList", {"lastReqDt": "2018-01-01"})
    assert bad_date["resultMsg"] == "Request parameter error[<lastReqDt> : must match yyyyMMddHHmmss]"


def test_item_list_filters_by_change_time(device: LegacyDevice) -> None:
    assert device.call("selectItemList", {"lastReqDt": "20180101000000"})["resultCd"] == "001"
    device.register_item()
    items = device.call("selectItemList", {"lastReqDt": "20180101000000"})["data"]["itemList"]
    assert [(item["itemCd"], item["tin"]) for item in items] == [("KE2NTNO0000001", PIN)]
    assert device.call("selectItemList", {"lastReqDt": "20991231000000"})["resultCd"] == "001"


# items (strict item codes)
def test_strict_item_code_prefix_and_sequence(strict_device: LegacyDevice) -> None:
    def save(**changes: object) -> dict:
        return strict_device.call("saveItem", {**GC_ITEM, **changes})

    assert save(itemCd="KE2NTXU0000001")["resultMsg"] == "Incorrect QtyUnitCd Prefix"
    assert save(itemCd="KE2CTNO0000001")["resultMsg"] == "Incorrect Packaging Unit Prefix"
    wrong_number = save(itemCd="KE2NTNO0000002")
    assert wrong_number["resultCd"] == "910"
    assert wrong_number["resultMsg"] == "Invalid itemCd Sequence. Expected sequence ending with: ********1"
    assert save()["resultCd"] == "000"
    assert save(itemNm="Renamed")["resultCd"] == "000"  # same code again = update
    expected_two = save(itemCd="KE2NTNO0000003")["resultMsg"]
    assert expected_two == "Invalid itemCd Sequence. Expected sequence ending with: ********2"
    assert save(itemCd="KE2NTNO0000002")["resultCd"] == "000"
    assert save(itemCd="KE2BXNO0000003", pkgUnitCd="BX")["resultMsg"] == "Invalid Packaging Unit Code"


def test_lenient_item_rejects_unknown_packaging_unit(device: LegacyDevice) -> None:
    answer = device.call("saveItem", {**GC_ITEM, "pkgUnitCd": "BX"})
    assert answer["resultCd"] == "913"
    assert answer["resultMsg"] == "Code value error among request parameters [<pkgUnitCd>]"
    assert device.call("saveItem", {**GC_ITEM, "itemCd": "ANY-CODE-1"})["resultCd"] == "000"


# sales: numbering, duplicates, registration
def test_sale_sequence_names_expected_number_and_only_advances_on_success(device: LegacyDevice) -> None:
    device.register_item()
    too_far = device.call("saveTrnsSalesOsdc", gc_sale(2))
    assert too_far["resultCd"] == "910"
    assert too_far["resultMsg"] == "Invalid invcNo sequence, expected: 1 but found: 2"
    assert device.call("saveTrnsSalesOsdc", gc_sale(2))["resultMsg"].endswith("expected: 1 but found: 2")
    broken = gc_sale(1, totAmt=99)  # rejected for its amounts: the counter must not move
    assert device.call("saveTrnsSalesOsdc", broken)["resultCd"] == "910"
    assert device.call("saveTrnsSalesOsdc", gc_sale(1))["resultCd"] == "000"
    assert device.call("saveTrnsSalesOsdc", gc_sale(3))["resultMsg"].endswith("expected: 2 but found: 3")
    assert device.call("saveTrnsSalesOsdc", gc_sale(2))["resultCd"] == "000"


def test_resent_sale_is_994_and_signed_once(legacy_sim: Simulator, device: LegacyDevice) -> None:
    device.register_item()
    first = device.call("saveTrnsSalesOsdc", gc_sale(1))
    assert first["resultCd"] == "000"
    again = device.call("saveTrnsSalesOsdc", gc_sale(1))
    assert again["resultCd"] == "994"
    assert again["resultMsg"] == "There is an overlapped Data"
    assert again["data"] is None
    assert legacy_sim.signature_counts() == {f"{PIN}/00": {1: 1}}
    admin = httpx.get(legacy_sim.url + "/_admin/signatures").json()
    assert admin == {f"{PIN}/00": {"1": 1}}


def test_resend_can_answer_with_the_sequence_error() -> None:
    with start_simulator(SimulatorConfig(duplicate_answer="sequence")) as sim:
        device = LegacyDevice(sim)
        device.register_item()
        assert device.call("saveTrnsSalesOsdc", gc_sale(1))["resultCd"] == "000"
        again = device.call("saveTrnsSalesOsdc", gc_sale(1))
        assert again["resultMsg"] == "Invalid invcNo sequence, expected: 2 but found: 1"
        device.close()


def test_concurrent_sends_of_one_number_sign_once(legacy_sim: Simulator, device: LegacyDevice) -> None:
    device.register_item()

    def send(_: int) -> str:
        with httpx.Client(timeout=5) as http:
            response = post_json(http, legacy_sim.legacy_base + "/saveTrnsSalesOsdc", gc_sale(1), device.headers)
            return parsed(response)["resultCd"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = sorted(pool.map(send, range(8)))
    assert codes == ["000"] + ["994"] * 7
    assert legacy_sim.signature_counts() == {f"{PIN}/00": {1: 1}}


def test_sale_answer_has_receipt_fields(device: LegacyDevice) -> None:
    device.register_item()
    data = device.call("saveTrnsSalesOsdc", gc_sale(1))["data"]
    assert (data["curRcptNo"], data["totRcptNo"]) == (1, 1)
    assert len(data["intrlData"]) == 26 and BASE32.match(data["intrlData"])
    assert len(data["rcptSign"]) == 16 and BASE32.match(data["rcptSign"])
    assert re.fullmatch(r"20\d{12}", data["sdcDateTime"])


def test_sale_of_unregistered_item_is_rejected(device: LegacyDevice) -> None:
    answer = device.call("saveTrnsSalesOsdc", gc_sale(1))
    assert answer["resultCd"] == "910"
    assert answer["resultMsg"].endswith("KE2NTNO0000001 item not registered]")


def test_missing_receipt_and_bad_dates_are_910(device: LegacyDevice) -> None:
    device.register_item()
    sale = gc_sale(1, cfmDt="2026-08-11", receipt=None)
    answer = device.call("saveTrnsSalesOsdc", sale)
    assert answer["resultMsg"] == (
        "Request parameter error[<cfmDt> : must match yyyyMMddHHmmss][<receipt> : may not be empty]"
    )


# credit notes
def test_credit_note_rules_lenient(device: LegacyDevice) -> None:
    device.register_item()
    assert device.call("saveTrnsSalesOsdc", gc_sale(1, custTin=BUYER_PIN))["resultCd"] == "000"
    unknown = device.call("saveTrnsSalesOsdc", credit_note(2, 7, custTin=BUYER_PIN))
    assert unknown["resultMsg"] == "orgInvcNo does not exist"
    no_reason = device.call("saveTrnsSalesOsdc", credit_note(2, 1, custTin=BUYER_PIN, rfdRsnCd=None))
    assert no_reason["resultMsg"] == "Request parameter error[<rfdRsnCd> : may not be empty]"
    bad_reason = device.call("saveTrnsSalesOsdc", credit_note(2, 1, custTin=BUYER_PIN, rfdRsnCd="99"))
    assert bad_reason["resultCd"] == "913"
    other_buyer = device.call("saveTrnsSalesOsdc", credit_note(2, 1, custTin="B000000000B"))
    assert other_buyer["resultMsg"] == f"Invalid custTin. Expected: {BUYER_PIN}, But Found: B000000000B"
    accepted = device.call("saveTrnsSalesOsdc", credit_note(2, 1, custTin=BUYER_PIN, rfdDt=None))
    assert accepted["resultCd"] == "000"
    assert (accepted["data"]["curRcptNo"], accepted["data"]["totRcptNo"]) == (1, 2)  # first R, second overall


def test_credit_note_rules_strict(strict_device: LegacyDevice) -> None:
    strict_device.register_item()
    assert strict_device.call("saveTrnsSalesOsdc", gc_sale(1))["resultCd"] == "000"
    no_date = strict_device.call("saveTrnsSalesOsdc", credit_note(2, 1, rfdDt=None))
    assert no_date["resultMsg"] == "Missing RfdDt Date"
    bad_reason = strict_device.call("saveTrnsSalesOsdc", credit_note(2, 1, rfdRsnCd="99"))
    assert bad_reason["resultMsg"] == "Invalid RfdRsnCd"
    assert strict_device.call("saveTrnsSalesOsdc", credit_note(2, 1))["resultCd"] == "000"
    of_a_note = strict_device.call("saveTrnsSalesOsdc", credit_note(3, 2))
    assert of_a_note["resultMsg"] == "orgInvcNo does not exist"


# amounts
def test_strict_accepts_gavaconnect_sample_and_rejects_legacy_convention(gava: GavaDevice) -> None:
    assert gava.post("saveItem", GC_ITEM).status_code == 200
    accepted = gava.post("sendSalesTransaction", gc_sale(1))
    assert accepted.status_code == 200
    wrapped = parsed(accepted)
    assert wrapped["responseHeader"]["responseCode"] == 200
    assert wrapped["responseBody"]["resultCd"] == "000"
    assert len(wrapped["responseBody"]["data"]["rcptSign"]) == 16
    legacy = gava.post("sendSalesTransaction", legacy_convention_sale(2))
    assert legacy.status_code == 400
    assert legacy.text == "Invalid taxblAmt on item: 1. Expected: 86.21, But Found: 100.00"


def test_strict_header_rates_and_package_count(gava: GavaDevice) -> None:
    gava.post("saveItem", GC_ITEM)
    zero_rate = gava.post("sendSalesTransaction", gc_sale(1, taxRtB=Decimal("0.0")))
    assert zero_rate.status_code == 400
    assert zero_rate.text == "Rule taxRtB failed: Tax rate mismatch. Expected: 16.00, Found: 0.0"
    two = gc_sale(1, taxblAmtB=Decimal("172.41"), taxAmtB=Decimal("27.59"), totAmt=200)
    two.update(totTaxblAmt=Decimal("172.41"), totTaxAmt=Decimal("27.59"))
    two["itemList"][0].update(
        pkg=2, qty=2, splyAmt=200, taxblAmt=Decimal("172.41"), taxAmt=Decimal("27.59"), totAmt=200
    )
    assert gava.post("sendSalesTransaction", two).text == "Invalid pkg for ItemList 1. Expected: 1, Found: 2"
    two["itemList"][0]["pkg"] = 1
    assert gava.post("sendSalesTransaction", two).status_code == 200
    wrong_count = gava.post("sendSalesTransaction", gc_sale(2, totItemCnt=2))
    assert wrong_count.text == "Invalid totItemCnt. Expected: 1, But Found: 2"


def test_strict_sequence_error_is_http_400_on_gavaconnect(gava: GavaDevice) -> None:
    gava.post("saveItem", GC_ITEM)
    answer = gava.post("sendSalesTransaction", gc_sale(5))
    assert answer.status_code == 400
    assert answer.text == "Invalid invcNo sequence, expected: 1 but found: 5"


def test_lenient_accepts_legacy_convention_and_checks_sums(device: LegacyDevice) -> None:
    device.register_item()
    assert device.call("saveTrnsSalesOsdc", legacy_convention_sale(1))["resultCd"] == "000"
    uneven = legacy_convention_sale(2)
    uneven["itemList"][0]["taxAmt"] = 15
    assert device.call("saveTrnsSalesOsdc", uneven)["resultMsg"].startswith("Invalid totAmt on item: 1.")
    header = legacy_convention_sale(2)
    header["totTaxAmt"] = 17
    assert device.call("saveTrnsSalesOsdc", header)["resultMsg"] == (
        "Invalid totTaxAmt. Expected: 16.00, But Found: 17.00"
    )


# GavaConnect gateway
def test_gavaconnect_oauth_flow() -> None:
    config = SimulatorConfig(profile="gavaconnect", oauth_clients={"key": "secret"}, token_ttl_seconds=0.6)
    with start_simulator(config) as sim, httpx.Client() as http:
        url = sim.gavaconnect_base + "/selectCodeList"
        body = {"lastReqDt": "20180101000000"}
        no_token = post_json(http, url, body, {"apigee_app_id": "app"})
        assert no_token.status_code == 401 and "fault" in no_token.json()
        grant = {"grant_type": "client_credentials"}
        assert http.get(sim.token_url, params=grant, auth=("key", "wrong")).status_code == 401
        token = http.get(sim.token_url, params=grant, auth=("key", "secret")).json()
        assert set(token) == {"access_token", "expires_in"}
        bearer = {"Authorization": f"Bearer {token['access_token']}"}
        assert post_json(http, url, body, bearer).status_code == 400  # apigee_app_id missing
        init = post_json(
            http,
            sim.gavaconnect_base + "/initialize",
            {"tin": PIN, "bhfId": "00", "dvcSrlNo": "x"},
            {**bearer, "apigee_app_id": "app"},
        )
        key = parsed(init)["responseBody"]["data"]["info"]["cmcKey"]
        headers = {**bearer, "apigee_app_id": "app", "tin": PIN, "bhfId": "00", "cmcKey": key}
        answer = post_json(http, url, body, headers)
        assert answer.status_code == 200
        assert parsed(answer)["responseBody"]["resultCd"] == "000"
        assert post_json(http, sim.gavaconnect_base + "/noSuchThing", body, headers).status_code == 404
        time.sleep(0.7)
        assert post_json(http, url, body, headers).status_code == 401  # token expired


def test_read_back_returns_request_and_receipt(device: LegacyDevice) -> None:
    device.register_item()
    signed = device.call("saveTrnsSalesOsdc", gc_sale(1))["data"]
    answer = device.call("selectInvoiceDetails", {"invcNo": 1})
    assert answer["resultCd"] == "000"
    sale = answer["data"]["salesList"][0]
    assert sale["invcNo"] == 1 and sale["trdInvcNo"] == "INV-0001"
    assert sale["totAmt"] == Decimal("100") and sale["itemList"][0]["taxblAmt"] == Decimal("86.21")
    receipt = sale["receipt"]
    for name in ("curRcptNo", "totRcptNo", "intrlData", "rcptSign"):
        assert receipt[name] == signed[name]
    assert receipt["rcptPbctDt"] == "20260811103000"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d", receipt["sdcDateTime"])
    assert device.call("selectInvoiceDetails", {"invcNo": 2})["resultCd"] == "001"


# faults and persistence
def test_commit_then_timeout_records_the_sale(legacy_sim: Simulator) -> None:
    device = LegacyDevice(legacy_sim, timeout=1.0)
    device.register_item()
    legacy_sim.set_faults(commit_then_timeout_rate=1.0, commit_then_timeout_seconds=3.0)
    with pytest.raises(httpx.TimeoutException):
        device.call("saveTrnsSalesOsdc", gc_sale(1))
    legacy_sim.set_faults(commit_then_timeout_rate=0.0)
    found = device.call("selectInvoiceDetails", {"invcNo": 1})
    assert found["resultCd"] == "000"
    assert len(found["data"]["salesList"][0]["receipt"]["rcptSign"]) == 16
    assert device.call("saveTrnsSalesOsdc", gc_sale(1))["resultCd"] == "994"
    assert legacy_sim.signature_counts() == {f"{PIN}/00": {1: 1}}
    device.close()


def test_state_file_survives_restart(tmp_path) -> None:
    state = tmp_path / "kra.sqlite"
    with start_simulator(SimulatorConfig(state_path=state)) as sim:
        device = LegacyDevice(sim)
        device.register_item()
        assert device.call("saveTrnsSalesOsdc", gc_sale(1))["resultCd"] == "000"
        headers = device.headers
        device.close()
    with start_simulator(SimulatorConfig(state_path=state)) as sim, httpx.Client() as http:

        def call(function: str, body: dict) -> dict:
            return parsed(post_json(http, f"{sim.legacy_base}/{function}", body, headers))

        assert call("selectInvoiceDetails", {"invcNo": 1})["resultCd"] == "000"
        assert call("saveTrnsSalesOsdc", gc_sale(3))["resultMsg"].endswith("expected: 2 but found: 3")
        reinit = call("selectInitOsdcInfo", {"tin": PIN, "bhfId": "00", "dvcSrlNo": "dvc-1"})
        assert reinit["resultCd"] == "902"
        assert sim.signature_counts() == {f"{PIN}/00": {1: 1}}


def test_fault_injection(legacy_sim: Simulator, device: LegacyDevice) -> None:
    legacy_sim.set_faults(fault_rate=1.0, fault_codes=("894",))
    answer = device.call("selectCodeList", {"lastReqDt": "20180101000000"})
    assert answer["resultCd"] == "894"
    assert device.init(PIN, "01", "dvc-2")["resultCd"] == "000"  # initialisation is never faulted
    admin = httpx.post(legacy_sim.url + "/_admin/faults", json={"fault_codes": ["503"]})
    assert admin.json()["fault_codes"] == ["503"]
    gateway = post_json(
        device.http, legacy_sim.legacy_base + "/selectCodeList", {"lastReqDt": "20180101000000"}, device.headers
    )
    assert gateway.status_code == 503
    httpx.post(legacy_sim.url + "/_admin/faults", json={"fault_rate": 0})
    assert device.call("selectCodeList", {"lastReqDt": "20180101000000"})["resultCd"] == "000"


def test_bad_paths_and_bodies(legacy_sim: Simulator, device: LegacyDevice) -> None:
    assert device.call("noSuchFunction", {})["resultCd"] == "912"
    empty = device.http.post(legacy_sim.legacy_base + "/selectCodeList", content=b"", headers=device.headers)
    assert parsed(empty)["resultCd"] == "911"
    junk = device.http.post(legacy_sim.legacy_base + "/selectCodeList", content=b"{not json", headers=device.headers)
    assert parsed(junk)["resultCd"] == "910"


# other endpoints
def test_admin_sales_and_reset(legacy_sim: Simulator, device: LegacyDevice) -> None:
    device.register_item()
    device.call("saveTrnsSalesOsdc", gc_sale(1))
    listed = httpx.get(legacy_sim.url + "/_admin/sales", params={"tin": PIN, "bhfId": "00"}).json()["sales"]
    assert [(sale["invcNo"], len(sale["receipt"]["rcptSign"])) for sale in listed] == [(1, 16)]
    assert httpx.post(legacy_sim.url + "/_admin/reset").json() == {"reset": True}
    assert legacy_sim.sales() == [] and legacy_sim.signature_counts() == {}
    assert device.call("selectCodeList", {"lastReqDt": "20180101000000"})["resultCd"] == "901"


def test_customers_branches_and_notices(device: LegacyDevice) -> None:
    assert device.call("selectCustomer", {"custmTin": BUYER_PIN})["resultCd"] == "001"
    customer = {"custNo": "C1", "custTin": BUYER_PIN, "custNm": "Ralph Jr", "useYn": "Y", **GC_ITEM_AUDIT}
    assert device.call("saveBhfCustomer", customer)["resultCd"] == "000"
    found = device.call("selectCustomer", {"custmTin": BUYER_PIN})["data"]["custList"][0]
    assert (found["tin"], found["taxprNm"]) == (BUYER_PIN, "Ralph Jr")
    branches = device.call("selectBhfList", {"lastReqDt": "20180101000000"})["data"]["bhfList"]
    assert [(branch["bhfId"], branch["hqYn"]) for branch in branches] == [("00", "Y")]
    notices = device.call("selectNoticeList", {"lastReqDt": "20240201000000"})["data"]["noticeList"]
    assert [notice["noticeNo"] for notice in notices] == [2]
    assert device.call("selectImportItemList", {"lastReqDt": "20180101000000"})["resultCd"] == "001"


GC_ITEM_AUDIT = {key: GC_ITEM[key] for key in ("regrId", "regrNm", "modrId", "modrNm")}


def _stock_io(sar_no: int, sar_type: str, qty: int) -> dict:
    line = {"itemSeq": 1, "itemCd": "KE2NTNO0000001", "itemClsCd": "1010150000", "itemNm": "Test Item"}
    line.update(pkgUnitCd="NT", pkg=qty, qtyUnitCd="NO", qty=qty, prc=100, splyAmt=100 * qty, totDcAmt=0)
    line.update(taxTyCd="B", taxblAmt=Decimal("86.21") * qty, taxAmt=Decimal("13.79") * qty, totAmt=100 * qty)
    header = {"sarNo": sar_no, "orgSarNo": 0, "regTyCd": "M", "sarTyCd": sar_type, "ocrnDt": "20260811"}
    header.update(totItemCnt=1, totTaxblAmt=line["taxblAmt"], totTaxAmt=line["taxAmt"], totAmt=line["totAmt"])
    return {**header, **GC_ITEM_AUDIT, "itemList": [line]}


def test_stock_numbers_and_master_in_strict_mode(strict_device: LegacyDevice) -> None:
    strict_device.register_item()
    master = {"itemCd": "KE2NTNO0000001", "rsdQty": 8, **GC_ITEM_AUDIT}
    before_io = strict_device.call("saveStockMaster", master)
    assert before_io["resultMsg"] == "Stock IO is empty, consider adding items to the stock IO first"
    skipped = strict_device.call("insertStockIO", _stock_io(2, "06", 10))
    assert skipped["resultMsg"] == "Invalid sarNo: Expected: 1 but found: 2"
    assert strict_device.call("insertStockIO", _stock_io(1, "06", 10))["resultCd"] == "000"
    assert strict_device.call("insertStockIO", _stock_io(2, "11", 2))["resultCd"] == "000"
    assert strict_device.call("saveStockMaster", {**master, "rsdQty": 10})["resultMsg"] == (
        "rsdQty mismatch. Expected: 8 but found: 10"
    )
    assert strict_device.call("saveStockMaster", master)["resultCd"] == "000"


def test_supplier_sale_shows_up_as_purchase_until_confirmed(legacy_sim: Simulator) -> None:
    supplier, buyer = LegacyDevice(legacy_sim), LegacyDevice(legacy_sim, tin=BUYER_PIN, serial="dvc-buyer")
    supplier.register_item()
    assert supplier.call("saveTrnsSalesOsdc", gc_sale(1, custTin=BUYER_PIN))["resultCd"] == "000"
    offered = buyer.call("selectTrnsPurchaseSalesList", {"lastReqDt": "20180101000000"})["data"]["saleList"]
    assert [(sale["spplrTin"], sale["spplrInvcNo"]) for sale in offered] == [(PIN, "1")]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", offered[0]["cfmDt"])
    purchase = {key: value for key, value in gc_sale(1).items() if key.startswith(("taxblAmt", "taxRt", "taxAmt"))}
    purchase.update(invcNo=1, orgInvcNo=0, spplrTin=PIN, spplrBhfId="00", spplrInvcNo="1", regTyCd="A")
    purchase.update(pchsTyCd="N", rcptTyCd="P", pmtTyCd="01", pchsSttsCd="02", pchsDt="20260811", totItemCnt=1)
    purchase.update(totTaxblAmt=Decimal("86.21"), totTaxAmt=Decimal("13.79"), totAmt=100, **GC_ITEM_AUDIT)
    purchase["itemList"] = [{k: v for k, v in gc_sale(1)["itemList"][0].items() if k != "bcd"}]
    assert buyer.call("insertTrnsPurchase", {**purchase, "invcNo": 2})["resultMsg"].endswith("expected: 1 but found: 2")
    assert buyer.call("insertTrnsPurchase", purchase)["resultCd"] == "000"
    assert buyer.call("selectTrnsPurchaseSalesList", {"lastReqDt": "20180101000000"})["resultCd"] == "001"
    supplier.close()
    buyer.close()


def test_latency_is_added_to_answers(legacy_sim: Simulator, device: LegacyDevice) -> None:
    legacy_sim.set_faults(latency_seconds=0.3)
    started = time.monotonic()
    assert device.call("selectCodeList", {"lastReqDt": "20180101000000"})["resultCd"] == "000"
    assert time.monotonic() - started >= 0.3


def test_simulator_does_not_load_the_client_it_tests() -> None:
    probe = (
        "import sys, connector.kra.simulator;"
        "print([m for m in ('connector.kra.client', 'connector.kra.payloads') if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
