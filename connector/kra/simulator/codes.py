"""The simulator's own KRA code lists (spec §4), result-code messages and seeded look-up data.

Values are KRA's; the layout is ours: each class is a short `code|name` text block. Countries come
from pycountry (KRA's class 05 is ISO 3166 alpha-2). Only the classes a client needs are here.
"""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Any

import pycountry

# Everything seeded here counts as "changed" at this instant (for `lastReqDt` filtering).
SEEDED_AT = "20240101000000"

RESULT_MESSAGES: dict[str, str] = {
    "000": "Successful",
    "001": "There is no search result",
    "894": "An error regarding server communication occurred.",
    "899": "An error regarding Client occurred.",
    "900": "There is no Header information",
    "901": "It is not valid device",
    "902": "This device is installed",
    "903": "Only OSCU device can be verified.",
    "910": "Request parameter error",
    "911": "There is no request full text",
    "912": "There is a request Method error",
    "913": "Code value error among request parameters",
    "921": "Sales or sales invoice data which is declared cannot be received.",
    "990": "The maximum number of views are exceeded",
    "991": "There is an error during registration",
    "994": "There is an overlapped Data",
    "999": "There is an unknown error. Please ask the administrator",
}

TAX_TYPES = ("A", "B", "C", "D", "E")
DEFAULT_TAX_RATES: dict[str, Decimal] = {
    "A": Decimal("0"),
    "B": Decimal("16"),
    "C": Decimal("0"),
    "D": Decimal("0"),
    "E": Decimal("8"),
}
TAX_TYPE_NAMES = {"A": "A-Exempt", "B": "B-VAT", "C": "C-Zero Rated", "D": "D-Non VAT", "E": "E-VAT"}

_CLASSES: dict[str, tuple[str, str]] = {
    "07": (
        "Payment Type",
        "01|CASH;02|CREDIT;03|CASH/CREDIT;04|BANK CHECK;05|DEBIT&CREDIT CARD;06|MOBILE MONEY;07|OTHER",
    ),
    "09": ("Branch Status", "01|Open;02|Closed"),
    "10": (
        "Quantity Unit",
        "4B|Pair;AV|Cap;BA|Barrel;BE|bundle;BG|bag;BL|block;BLL|Barrel (petroleum);BX|box;CA|Can;CEL|Cell;"
        "CMT|centimetre;CR|CARAT;DR|Drum;DZ|Dozen;GLL|Gallon;GRM|Gram;GRO|Gross;KG|Kilo-Gramme;KTM|kilometre;"
        "KWT|kilowatt;L|Litre;LBR|pound;LK|link;LTR|Litre;M|Metre;M2|Square Metre;M3|Cubic Metre;"
        "MGM|milligram;MTR|metre;MWT|megawatt hour;NO|Number;NX|part per thousand;PA|packet;PG|plate;PR|pair;"
        "RL|reel;RO|roll;SET|set;ST|sheet;TNE|tonne (metric ton);TU|tube;U|Pieces/item [Number];YRD|yard",
    ),
    "11": (
        "Sale Status",
        "01|Wait for Approval;02|Approved;03|Cancel Requested;04|Canceled;05|Credit Note Generated;06|Transferred",
    ),
    "12": (
        "Stock I/O Type",
        "01|Import;02|Purchase;03|Return;04|Stock Movement;05|Processing;06|Adjustment;11|Sale;12|Return;"
        "13|Stock Movement;14|Processing;15|Discarding;16|Adjustment",
    ),
    "14": ("Transaction Type", "C|Copy;N|Normal;P|Proforma;T|Training"),
    "15": ("Taxpayer Status", "A|Active;D|Inactive"),
    "17": (
        "Packing Unit",
        "AM|Ampoule;BA|Barrel;BC|Bottlecrate;BE|Bundle;BF|Balloon, non-protected;BG|Bag;BJ|Bucket;BK|Basket;"
        "BL|Bale;BQ|Bottle, protected cylindrical;BR|Bar;BV|Bottle, bulbous;BZ|Bag;CA|Can;CH|Chest;CJ|Coffin;"
        "CL|Coil;CR|Wooden Box, Wooden Case;CS|Cassette;CT|Carton;CTN|Container;CY|Cylinder;DR|Drum;"
        "GT|Extra Countable Item;HH|Hand Baggage;IZ|Ingots;JR|Jar;JU|Jug;JY|Jerry CAN Cylindrical;KZ|Canester;"
        "LZ|Logs, in bundle/bunch/truss;NT|Net;OU|Non-Exterior Packaging Unit;PD|Poddon;PG|Plate;PI|Pipe;"
        "PO|Pilot;PU|Traypack;RL|Reel;RO|Roll;RZ|Rods, in bundle/bunch/truss;SK|Skeletoncase;"
        "TY|Tank, cylindrical;VG|Bulk, gas;VL|Bulk, liquid;VO|Bulk, solid, large particles;"
        "VQ|Bulk, gas (liquefied);VR|Bulk, solid, granular particles;VT|Extra Bulk Item;"
        "VY|Bulk, fine particles;ML|Mills;TN|TAN",
    ),
    "24": ("Item Type", "1|Raw Material;2|Finished Product;3|Service"),
    "26": ("Import Item Status", "1|Unsent;2|Waiting;3|Approved;4|Cancelled"),
    "31": ("Registration Type", "A|Automatic;M|Manual"),
    "32": (
        "Refund Reason",
        "01|Missing Quantity;02|Missing data;03|Damaged;04|Wasted;05|Raw Material Shortage;06|Refund;"
        "07|Wrong Customer PIN;08|Wrong Customer name;09|Wrong Amount/price;10|Wrong Quantity;"
        "11|Wrong Item(s);12|Wrong tax type;13|Other reason",
    ),
    "33": (
        "Currency",
        "KES|Kenyan Shilling;USD|US Dollar;EUR|Euro;GBP|Pound Sterling;UGX|Uganda Shilling;"
        "TZS|Tanzanian Shilling;RWF|Rwanda Franc;CNY|Yuan Renminbi;INR|Indian Rupee;AED|UAE Dirham",
    ),
    "34": (
        "Purchase Status",
        "01|Wait for Approval;02|Approved;03|Cancel Requested;04|Canceled;05|Refunded;06|Transferred",
    ),
    "35": (
        "Reason of Inventory Adjustment",
        "01|Cargo Transit Out;02|Cargo Transit In;03|Adjustment In;04|Adjustment Out;05|Discarding;"
        "06|Processing Raw;07|Processing Result",
    ),
    "37": ("Sales Receipt Type", "S|Sale;R|Credit Note after Sale"),
    "38": ("Purchase Receipt Type", "P|Purchase;R|Credit Note after Purchase"),
    "49": ("Category Level", "1|Segment;2|Family;3|Class;4|Commodity"),
}


def _parse(block: str) -> list[tuple[str, str]]:
    return [tuple(entry.split("|", 1)) for entry in block.split(";")]  # type: ignore[misc]


def _country_rows() -> list[tuple[str, str]]:
    return [(country.alpha_2, country.name) for country in pycountry.countries]


@cache
def codes_of(cd_cls: str) -> frozenset[str]:
    """The valid code values of one class."""
    if cd_cls == "04":
        return frozenset(TAX_TYPES)
    if cd_cls == "05":
        return frozenset(code for code, _ in _country_rows())
    return frozenset(code for code, _ in _parse(_CLASSES[cd_cls][1]))


def _detail(code: str, name: str, order: int, rate: str | None = None) -> dict[str, Any]:
    return {
        "cd": code,
        "cdNm": name,
        "cdDesc": name,
        "useYn": "Y",
        "srtOrd": order,
        "userDfnCd1": rate,
        "userDfnCd2": None,
        "userDfnCd3": None,
    }


def _class(cd_cls: str, name: str, details: list[dict[str, Any]], user_name: str | None = None) -> dict:
    return {
        "cdCls": cd_cls,
        "cdClsNm": name,
        "cdClsDesc": None,
        "useYn": "Y",
        "userDfnNm1": user_name,
        "userDfnNm2": None,
        "userDfnNm3": None,
        "dtlList": details,
    }


def code_list(tax_rates: dict[str, Decimal]) -> list[dict[str, Any]]:
    """`data.clsList` of selectCodeList; class 04 carries the configured rates in `userDfnCd1`."""
    tax_details = []
    for order, letter in enumerate(TAX_TYPES, start=1):
        rate = str(tax_rates[letter].normalize())
        name = TAX_TYPE_NAMES[letter] + (f" {rate}%" if tax_rates[letter] else "")
        tax_details.append(_detail(letter, name, order, rate))
    classes = [_class("04", "Taxation Type", tax_details, "Tax Rate")]
    countries = [_detail(code, name, n) for n, (code, name) in enumerate(_country_rows(), start=1)]
    classes.append(_class("05", "Country", countries))
    for cd_cls, (name, block) in _CLASSES.items():
        rows = [_detail(code, label, n) for n, (code, label) in enumerate(_parse(block), start=1)]
        classes.append(_class(cd_cls, name, rows))
    return sorted(classes, key=lambda cls: cls["cdCls"])


# A few item classifications (UNSPSC-style and KRA's own 99… tree); the real list has thousands.
ITEM_CLASSES: list[tuple[str, str, int, str | None]] = [
    ("1010150000", "Live cattle", 4, None),
    ("5059690800", "Coffee", 4, None),
    ("52161557", "Gaming devices", 4, None),
    ("80101500", "Business and corporate management consultation services", 3, "B"),
    ("81121500", "Economic analysis", 3, "B"),
    ("43211500", "Computers", 3, "B"),
    ("99000000", "VAT Act", 1, None),
    ("99010000", "Goods", 2, None),
    ("99011000", "Exempt Goods", 3, "A"),
    ("99012000", "Zero Rated Goods", 3, "C"),
]


def item_class_list() -> list[dict[str, Any]]:
    return [
        {
            "itemClsCd": code,
            "itemClsNm": name,
            "itemClsLvl": level,
            "taxTyCd": tax_type,
            "mjrTgYn": "N",
            "useYn": "Y",
        }
        for code, name, level, tax_type in ITEM_CLASSES
    ]


NOTICES: list[dict[str, Any]] = [
    {
        "noticeNo": 1,
        "title": "Welcome to the eTIMS OSCU simulator",
        "cont": "This is a local simulator of the KRA eTIMS OSCU sandbox.",
        "dtlUrl": "http://localhost/common/link/ebm/receipt/indexEbmNotice?noticeNo=1",
        "regrNm": "Administrator",
        "regDt": "20240102090000",
    },
    {
        "noticeNo": 2,
        "title": "Scheduled maintenance",
        "cont": "The simulator never goes down for maintenance, but the real sandbox may.",
        "dtlUrl": "http://localhost/common/link/ebm/receipt/indexEbmNotice?noticeNo=2",
        "regrNm": "Administrator",
        "regDt": "20240301090000",
    },
]
