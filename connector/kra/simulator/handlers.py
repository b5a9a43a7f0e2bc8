"""Handlers for device initialisation, look-ups, customers, users, insurers, items and imports."""

from __future__ import annotations

import re
import secrets
from typing import Any

from connector.kra.simulator import fields, rules
from connector.kra.simulator.calls import Answer, Call, Rejected, no_result
from connector.kra.simulator.codes import NOTICES, SEEDED_AT, code_list, codes_of, item_class_list
from connector.kra.simulator.state import Device

PIN_PATTERN = re.compile(r"^[A-Z]\d{9}[A-Z]$")
BRANCH_PATTERN = re.compile(r"^[0-9A-Za-z]{2}$")
IDENTITY_FIELDS = ("tin", "bhfId", "cmcKey")
ITEM_CODES = (("itemTyCd", "24"), ("orgnNatCd", "05"), ("taxTyCd", "04"))


def without_identity(body: dict[str, Any]) -> dict[str, Any]:
    """The request body minus tin/bhfId/cmcKey, as stored."""
    return {name: value for name, value in body.items() if name not in IDENTITY_FIELDS}


def last_request(call: Call) -> str:
    """The validated `lastReqDt` of a select…List call."""
    fields.check(call.body, fields.LAST_REQUEST)
    return str(call.body["lastReqDt"])


def listing(name: str, rows: list[dict[str, Any]]) -> Answer:
    """000 with `data.<name>`, or 001 when there is nothing."""
    return Answer(data={name: rows}) if rows else no_result()


def require_registered_item(call: Call, item_code: Any, field: str = "itemCd") -> dict[str, Any]:
    item = call.store.get("item", call.tin, "", str(item_code))
    if item is None:
        raise Rejected("910", f"Request parameter error[<{field}> : {item_code} item not registered]")
    return item


# device initialisation
def initialize(call: Call) -> Answer:
    body = call.body
    fields.check(body, fields.INIT)
    tin, bhf_id, serial = (str(body[name]).strip() for name in ("tin", "bhfId", "dvcSrlNo"))
    bad = []
    if not PIN_PATTERN.match(tin):
        bad.append("[<tin> : must be a KRA PIN (letter, 9 digits, letter)]")
    if not BRANCH_PATTERN.match(bhf_id):
        bad.append("[<bhfId> : must be 2 characters]")
    fields.require(bad)
    allowed = call.config.allowed_devices
    if allowed is not None and (tin, bhf_id, serial) not in allowed:
        raise Rejected("901")
    installed = call.store.device(tin, bhf_id)
    if installed is not None:
        raise Rejected("902" if installed.serial == serial else "901")
    if call.store.device_by_serial(serial) is not None:
        raise Rejected("901")  # this serial is installed for another PIN or branch
    number = call.store.next_counter("", "devices")
    info = _device_info(tin, bhf_id, number, call.now)
    call.store.add_device(Device(tin, bhf_id, serial, info["cmcKey"], info, call.now))
    return Answer(data={"info": info})


def _device_info(tin: str, bhf_id: str, number: int, now: str) -> dict[str, Any]:
    head_office = bhf_id == "00"
    return {
        "tin": tin,
        "taxprNm": f"TAXPAYER {tin}",
        "bsnsActv": "business",
        "bhfId": bhf_id,
        "bhfNm": "Headquarter" if head_office else f"Branch {bhf_id}",
        "bhfOpenDt": now[:8],
        "prvncNm": "NAIROBI CITY",
        "dstrtNm": "WESTLANDS",
        "sctrNm": "WON",
        "locDesc": "Westlands Towers",
        "hqYn": "Y" if head_office else "N",
        "mgrNm": f"Manager {bhf_id}",
        "mgrTelNo": "0700000000",
        "mgrEmail": f"manager{bhf_id}@{tin.lower()}.example",
        "dvcId": f"99999{number:011d}",
        "sdcId": f"KRACU{number:09d}",
        "mrcNo": f"WIS{number:08d}",
        "cmcKey": secrets.token_hex(16),
    }


# look-ups
def select_code_list(call: Call) -> Answer:
    if last_request(call) >= SEEDED_AT:
        return no_result()
    return Answer(data={"clsList": code_list(call.config.rates())})


def select_item_classes(call: Call) -> Answer:
    if last_request(call) >= SEEDED_AT:
        return no_result()
    return Answer(data={"itemClsList": item_class_list()})


def select_notices(call: Call) -> Answer:
    after = last_request(call)
    return listing("noticeList", [dict(notice) for notice in NOTICES if notice["regDt"] > after])


def select_branches(call: Call) -> Answer:
    after = last_request(call)
    branches = []
    for device in call.store.devices(call.tin):
        if device.installed_at > after:
            info = device.info
            branch = {name: info[name] for name in ("tin", "bhfId", "bhfNm")}
            branch["bhfSttsCd"] = "01"
            for name in ("prvncNm", "dstrtNm", "sctrNm", "locDesc", "mgrNm", "mgrTelNo", "mgrEmail", "hqYn"):
                branch[name] = info[name]
            branches.append(branch)
    return listing("bhfList", branches)


def select_customer(call: Call) -> Answer:
    """A taxpayer is known if some device's PIN is theirs or some branch saved them as a customer."""
    fields.check(call.body, fields.CUSTOMER_SEARCH)
    pin = str(call.body["custmTin"]).strip()
    taxpayer: dict[str, Any] = {"tin": pin, "taxprNm": None, "taxprSttsCd": "A", "prvncNm": "NAIROBI CITY"}
    taxpayer.update(dstrtNm="WESTLANDS", sctrNm="WON", locDesc=None)
    devices = call.store.devices(pin)
    saved = call.store.records("customer", ref=pin)
    if devices:
        taxpayer["taxprNm"] = devices[0].info["taxprNm"]
    elif saved:
        taxpayer["taxprNm"] = saved[-1].body.get("custNm")
        taxpayer["locDesc"] = saved[-1].body.get("adrs")
    else:
        return no_result()
    return Answer(data={"custList": [taxpayer]})


# branch records
def save_customer(call: Call) -> Answer:
    fields.check(call.body, fields.SAVE_CUSTOMER)
    body = without_identity(call.body)
    ref = str(body["custTin"])
    call.store.put("customer", call.tin, call.bhf_id, str(body["custNo"]), body, call.now, ref=ref)
    return Answer()


def save_user(call: Call) -> Answer:
    fields.check(call.body, fields.SAVE_USER)
    body = without_identity(call.body)
    call.store.put("user", call.tin, call.bhf_id, str(body["userId"]), body, call.now)
    return Answer()


def save_insurance(call: Call) -> Answer:
    fields.check(call.body, fields.SAVE_INSURANCE)
    body = without_identity(call.body)
    call.store.put("insurance", call.tin, call.bhf_id, str(body["isrccCd"]), body, call.now)
    return Answer()


# items
def select_items(call: Call) -> Answer:
    after = last_request(call)
    items = []
    for record in call.store.records("item", tin=call.tin, bhf_id="", changed_after=after):
        item = {"tin": call.tin, **record.body, "rraModYn": "N"}
        items.append(item)
    return listing("itemList", items)


def save_item(call: Call) -> Answer:
    item = without_identity(call.body)
    fields.check(item, fields.SAVE_ITEM)
    _check_item_units(call, item)
    fields.require_codes(fields.code_problems(item, ITEM_CODES))
    code = str(item["itemCd"])
    known = call.store.get("item", call.tin, "", code) is not None
    if call.strict:
        expected = None if known else call.store.counter(call.tin, "itemCd") + 1
        rules.check_item_code(item, expected)
    item["regBhfId"] = call.bhf_id
    call.store.put("item", call.tin, "", code, item, call.now)
    suffix = rules.item_code_suffix(code)
    if call.strict and not known and suffix is not None:
        call.store.set_counter(call.tin, "itemCd", suffix)
    return Answer()


def _check_item_units(call: Call, item: dict[str, Any]) -> None:
    """Packaging and quantity units must be in classes 17 and 10 (`BX` is a quantity unit only)."""
    if call.strict:
        if str(item["pkgUnitCd"]) not in codes_of("17"):
            raise rules.fail("Invalid Packaging Unit Code")
        if str(item["qtyUnitCd"]) not in codes_of("10"):
            raise rules.fail("Invalid Quantity Unit Code")
    units = (("pkgUnitCd", "17"), ("qtyUnitCd", "10"))
    fields.require_codes(fields.code_problems(item, units))


# imports (the simulator has no customs declarations)
def select_import_items(call: Call) -> Answer:
    last_request(call)
    return no_result()


def update_import_item(call: Call) -> Answer:
    body = call.body
    fields.check(body, fields.UPDATE_IMPORT)
    fields.require_codes(fields.code_problems(body, (("imptItemSttsCd", "26"),)))
    require_registered_item(call, body["itemCd"])
    if call.strict and str(body["imptItemSttsCd"]) == "3" and fields.is_empty(body.get("remark")):
        raise Rejected("999")
    return Answer()


def accept_without_saving(call: Call) -> Answer:
    """GavaConnect's `/importedItemConvertedInfo`: answers 000 and keeps nothing."""
    return Answer()
