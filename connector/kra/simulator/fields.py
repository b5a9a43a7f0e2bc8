"""Field-level validation: required fields, CHAR lengths, numbers, date formats, code values.

Field tables are written in a small notation, one `name kind` per `;`: `c20` = CHAR(20), `n` = number,
`i` = integer, `d14` = yyyyMMddHHmmss, `d8` = yyyyMMdd, `yn` = "Y"/"N"; a trailing `!` = required
(spec §2.3 and §3.1). Problems read like KRA's: `[<modrId> : may not be empty]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from connector.kra.simulator.calls import Rejected
from connector.kra.simulator.codes import codes_of

AUDIT = "regrId c20!; regrNm c60!; modrId c20!; modrNm c60!"
TAX_FIELDS = "; ".join(f"{name}{letter} n!" for name in ("taxblAmt", "taxRt", "taxAmt") for letter in "ABCDE")

INIT = "tin c11!; bhfId c2!; dvcSrlNo c100!"
LAST_REQUEST = "lastReqDt d14!"
CUSTOMER_SEARCH = "custmTin c11!"
INVOICE_SEARCH = "invcNo i!"
SAVE_CUSTOMER = (
    "custNo c9!; custTin c11!; custNm c60!; adrs c300; telNo c20; email c50; faxNo c20; useYn yn!;"
    " remark c1000; " + AUDIT
)
SAVE_USER = "userId c20!; userNm c60!; pwd c255!; adrs c200; cntc c20; authCd c100; remark c2000; useYn yn!; " + AUDIT
SAVE_INSURANCE = "isrccCd c10!; isrccNm c100!; isrcRt n!; useYn yn!; " + AUDIT
SAVE_ITEM = (
    "itemCd c20!; itemClsCd c10!; itemTyCd c5!; itemNm c200!; itemStdNm c200; orgnNatCd c5!; pkgUnitCd c5!;"
    " qtyUnitCd c5!; taxTyCd c5!; btchNo c10; bcd c20; dftPrc n!; grpPrcL1 n; grpPrcL2 n; grpPrcL3 n;"
    " grpPrcL4 n; grpPrcL5 n; addInfo c7; sftyQty n; isrcAplcbYn yn!; useYn yn!; " + AUDIT
)
ITEM_COMPOSITION = "itemCd c20!; cpstItemCd c20!; cpstQty n!; regrId c20!; regrNm c60!"
UPDATE_IMPORT = (
    "taskCd c50!; dclDe c8!; itemSeq i!; hsCd c17!; itemClsCd c10!; itemCd c20!; imptItemSttsCd c5!;"
    " remark c400; modrId c20!; modrNm c60!"
)
SALE_HEADER = (
    "trdInvcNo c50!; invcNo i!; orgInvcNo i!; custTin c11; custNm c60; salesTyCd c5; rcptTyCd c5!; pmtTyCd c5;"
    " salesSttsCd c5!; cfmDt d14!; salesDt d8!; stockRlsDt d14; cnclReqDt d14; cnclDt d14; rfdDt d14;"
    " rfdRsnCd c5; totItemCnt i!; " + TAX_FIELDS + "; totTaxblAmt n!; totTaxAmt n!; totAmt n!;"
    " prchrAcptcYn yn!; remark c400; " + AUDIT
)
SALE_RECEIPT = (
    "custTin c11; custMblNo c20; rcptPbctDt d14!; trdeNm c20; adrs c200; topMsg c20; btmMsg c20; prchrAcptcYn yn!"
)
SALE_ITEM = (
    "itemSeq i!; itemCd c20!; itemClsCd c10; itemNm c200!; bcd c20; pkgUnitCd c5!; pkg n!; qtyUnitCd c5!;"
    " qty n!; prc n!; splyAmt n!; dcRt n!; dcAmt n!; isrccCd c10; isrccNm c100; isrcRt n; isrcAmt n;"
    " taxTyCd c5!; taxblAmt n!; taxAmt n!; totAmt n!"
)
PURCHASE_HEADER = (
    "invcNo i!; orgInvcNo i!; spplrTin c11; spplrBhfId c2; spplrNm c60; spplrInvcNo c38; regTyCd c5!;"
    " pchsTyCd c5!; rcptTyCd c5!; pmtTyCd c5!; pchsSttsCd c5!; cfmDt d14; pchsDt d8!; wrhsDt d14;"
    " cnclReqDt d14; cnclDt d14; rfdDt d14; totItemCnt i!; " + TAX_FIELDS + "; totTaxblAmt n!; totTaxAmt n!;"
    " totAmt n!; remark c400; " + AUDIT
)
PURCHASE_ITEM = (
    "itemSeq i!; itemCd c20; itemClsCd c10!; itemNm c200!; bcd c20; spplrItemClsCd c10; spplrItemCd c20;"
    " spplrItemNm c200; pkgUnitCd c5; pkg n!; qtyUnitCd c5!; qty n!; prc n!; splyAmt n!; dcRt n!; dcAmt n!;"
    " taxblAmt n!; taxTyCd c5!; taxAmt n!; totAmt n!; itemExprDt d8"
)
STOCK_IO_HEADER = (
    "sarNo i!; orgSarNo i!; regTyCd c5!; custTin c11; custNm c100; custBhfId c2; sarTyCd c5!; ocrnDt d8!;"
    " totItemCnt i!; totTaxblAmt n!; totTaxAmt n!; totAmt n!; remark c400; " + AUDIT
)
STOCK_IO_ITEM = (
    "itemSeq i!; itemCd c20; itemClsCd c10!; itemNm c200!; bcd c20; pkgUnitCd c5!; pkg n!; qtyUnitCd c5!;"
    " qty n!; itemExprDt d8; prc n!; splyAmt n!; totDcAmt n!; taxblAmt n!; taxTyCd c5!; taxAmt n!; totAmt n!"
)
STOCK_MASTER = "itemCd c20!; rsdQty n!; " + AUDIT

_DATE_FORMATS = {"d14": ("%Y%m%d%H%M%S", "yyyyMMddHHmmss"), "d8": ("%Y%m%d", "yyyyMMdd")}


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # "c", "n", "i", "d14", "d8", "yn"
    size: int
    required: bool


@cache
def parse_table(table: str) -> tuple[Field, ...]:
    fields = []
    for part in table.split(";"):
        name, kind = part.split()
        required = kind.endswith("!")
        kind = kind.rstrip("!")
        size = int(kind[1:]) if kind.startswith("c") else 0
        fields.append(Field(name, "c" if size else kind, size, required))
    return tuple(fields)


def as_number(value: Any) -> Decimal:
    """A JSON number (already Decimal/int) or numeric text as Decimal; ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise ValueError(f"{value!r} is not a number")
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a number")
    return number


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _value_problem(field: Field, value: Any) -> str | None:
    """What is wrong with a present value, or None."""
    if field.kind == "c":
        if isinstance(value, dict | list | bool):
            return "must be a string"
        return f"size must be between 0 and {field.size}" if len(str(value)) > field.size else None
    if field.kind in ("n", "i"):
        try:
            number = as_number(value)
        except ValueError:
            return "must be a number"
        if field.kind == "i" and number != number.to_integral_value():
            return "must be an integer"
        return "must be greater than or equal to 0" if number < 0 else None
    if field.kind in _DATE_FORMATS:
        pattern, shown = _DATE_FORMATS[field.kind]
        text = str(value)
        if not text.isdigit() or len(text) != len(shown):
            return f"must match {shown}"
        try:
            datetime.strptime(text, pattern)
        except ValueError:
            return f"must match {shown}"
        return None
    return "must be Y or N" if value not in ("Y", "N") else None


def problems(body: dict[str, Any], table: str, path: str = "") -> list[str]:
    """Problems of one object against a field table, as `[<field> : reason]` strings."""
    found = []
    for field in parse_table(table):
        value = body.get(field.name)
        if is_empty(value):
            if field.required:
                found.append(f"[<{path}{field.name}> : may not be empty]")
            continue
        reason = _value_problem(field, value)
        if reason:
            found.append(f"[<{path}{field.name}> : {reason}]")
    return found


def list_problems(body: dict[str, Any], name: str, table: str) -> list[str]:
    """Problems of a required, non-empty list of objects (e.g. `itemList`)."""
    rows = body.get(name)
    if not isinstance(rows, list) or not rows:
        return [f"[<{name}> : may not be empty]"]
    found = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            found.append(f"[<{name}[{index}]> : must be an object]")
        else:
            found.extend(problems(row, table, f"{name}[{index}]."))
    return found


def object_problems(body: dict[str, Any], name: str, table: str) -> list[str]:
    """Problems of a required nested object (e.g. `receipt`)."""
    value = body.get(name)
    if not isinstance(value, dict):
        return [f"[<{name}> : may not be empty]"]
    return problems(value, table, f"{name}.")


def require(found: list[str]) -> None:
    """Reject with 910 listing every problem, if there are any."""
    if found:
        raise Rejected("910", "Request parameter error" + "".join(found))


def check(body: dict[str, Any], table: str) -> None:
    require(problems(body, table))


def code_problems(row: dict[str, Any], checks: tuple[tuple[str, str], ...], path: str = "") -> list[str]:
    """`[<path><field>]` for each present value that is not in its code class."""
    found = []
    for name, cd_cls in checks:
        value = row.get(name)
        if not is_empty(value) and str(value) not in codes_of(cd_cls):
            found.append(f"[{path}<{name}>]")
    return found


def require_codes(found: list[str]) -> None:
    """Reject with 913 naming the fields whose code values are unknown."""
    if found:
        raise Rejected("913", "Code value error among request parameters " + "".join(found))


LINE_CODES = (("pkgUnitCd", "17"), ("qtyUnitCd", "10"), ("taxTyCd", "04"))  # every itemList row


def check_document(
    document: dict[str, Any],
    header: str,
    items: str,
    header_codes: tuple[tuple[str, str], ...],
    objects: tuple[tuple[str, str], ...] = (),
) -> None:
    """A header, its nested objects and its itemList: fields and formats (910), then code values (913)."""
    found = problems(document, header)
    for name, table in objects:
        found += object_problems(document, name, table)
    found += list_problems(document, "itemList", items)
    require(found)
    codes = code_problems(document, header_codes)
    for line in document["itemList"]:
        codes += code_problems(line, LINE_CODES, "<itemList>")
    require_codes(codes)
