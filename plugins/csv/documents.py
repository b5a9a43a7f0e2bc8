"""One document's rows -> a canonical `Invoice`, or every problem that stops it.

Each `Problem` names the row, the CSV column and the value, with a plain-English message. Header
fields (date, buyer, currency…) may be repeated on every row of a document or given once; two
different values are a problem. After the rows themselves, `precheck` adds what the mapping
knows (unknown tax code or unit, bad PIN…), translated back to rows and columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from connector.clock import EAT
from connector.errors import DocumentError
from connector.kra_payload import precheck
from connector.mapping import Mapping
from connector.model_bounds import validation_problems
from connector.models import DocumentRef, Invoice, Line, Party
from plugins.csv.reader import RawDocument, Row
from plugins.csv.values import parse_bool, parse_datetime, parse_decimal, parse_kind

HEADER_FIELDS = (
    "document_type", "issued_at", "currency", "exchange_rate", "buyer_name", "buyer_pin", "buyer_mobile",
    "buyer_address", "payment_method", "original_document", "refund_reason", "remark",
)  # fmt: skip
BUYER_FIELDS = ("buyer_pin", "buyer_mobile", "buyer_address")
# precheck's field names -> our canonical CSV fields
PRECHECK_FIELDS = {
    "currency": "currency", "exchange_rate": "exchange_rate", "buyer.pin": "buyer_pin",
    "payment_method": "payment_method", "refund_reason": "refund_reason", "original": "original_document",
    "issued_at": "issued_at", "taxes": "tax_code", "taxes.code": "tax_code", "taxes.rate": "tax_code",
    "taxes.price_included": "price_includes_vat", "unit": "unit", "item.category": "item_category",
    "item.origin_country": "item_category", "quantity": "quantity", "unit_price": "unit_price",
    "discount_percent": "discount_percent", "item.code": "item_code",
}  # fmt: skip
# the canonical model's field names (validation errors) -> our canonical CSV fields
MODEL_FIELDS = {
    "issued_at": "issued_at", "currency": "currency", "exchange_rate": "exchange_rate",
    "payment_method": "payment_method", "refund_reason": "refund_reason", "remark": "remark",
    "external_id": "document_number", "number": "document_number", "lines": "document_number",
    "quantity": "quantity", "unit_price": "unit_price", "discount_percent": "discount_percent", "unit": "unit",
    "description": "description", "item.code": "item_code", "item.name": "item_name",
    "item.category": "item_category", "taxes.code": "tax_code", "units_per_package": "units_per_package",
    "buyer.name": "buyer_name", "buyer.pin": "buyer_pin", "buyer.mobile": "buyer_mobile",
    "buyer.address": "buyer_address",
}  # fmt: skip
SHOWN_PROBLEMS = 5  # in the one-line reason kept in the ledger
STAND_IN_DATE = datetime(2000, 1, 1, tzinfo=EAT)
MISSING_KEY = re.compile(r"^(?P<file>.+): table \[(?P<table>\w+)\] has no key (?P<key>'.*?'|\".*?\")(?P<rest>.*)$")
MAPPING_WHAT = {"taxes": "tax code", "units": "unit", "categories": "item category",
                "payment_methods": "payment method", "refund_reasons": "refund reason"}  # fmt: skip


@dataclass(frozen=True)
class Problem:
    row: int | None
    column: str
    value: str
    message: str
    document: str = ""


@dataclass(frozen=True)
class ParseOptions:
    source: str  # the configured source name (Invoice.source)
    mapping: Mapping
    prices_include_vat: bool = True  # for rows that leave price_includes_vat empty
    date_format: str | None = None  # strptime format; None = ISO 8601


@dataclass
class Parsed:
    invoice: Invoice | None
    problems: list[Problem]


class Problems:
    """Collects problems of one document, naming CSV columns as the user's file does."""

    def __init__(self, document: str, mapping: Mapping) -> None:
        self.document = document
        self.columns = mapping.columns
        self.items: list[Problem] = []

    def add(self, row: Row | None, field: str, message: str, value: str | None = None) -> None:
        column = getattr(self.columns, field, "") if field else ""
        shown = value if value is not None else (row.values.get(field, "") if row else "")
        self.items.append(Problem(row.number if row else None, column, shown, message, self.document))


def parse_document(raw: RawDocument, options: ParseOptions) -> Parsed:
    """The document, or its problems; never raises (anything unexpected is this document's problem)."""
    problems = Problems(raw.number, options.mapping)
    try:
        return _parse(raw, options, problems)
    except Exception as error:  # the one boundary: a document that breaks us is refused, the file goes on
        problems.add(raw.rows[0] if raw.rows else None, "", f"cannot be read ({type(error).__name__}: {error})", "")
        return Parsed(None, problems.items)


def _parse(raw: RawDocument, options: ParseOptions, problems: Problems) -> Parsed:
    for row in raw.rows:
        if row.problem:
            problems.add(row, "", row.problem, "")
    header = _header_values(raw, problems)
    fields = _header_fields(raw, header, problems, options)
    lines = [_line(row, problems, options) for row in raw.rows]
    if any(line is None for line in lines):
        return Parsed(None, problems.items)
    invoice = _build(raw, fields, lines, problems, options)
    if invoice is not None:
        _add_precheck(invoice, raw, header, problems, options.mapping)
    return Parsed(None if problems.items else invoice, problems.items)


def _build(
    raw: RawDocument, fields: dict[str, Any], lines: list[Any], problems: Problems, options: ParseOptions
) -> Invoice | None:
    """The invoice; a missing date gets a stand-in so the other checks still run."""
    values = {**fields, "issued_at": fields["issued_at"] or STAND_IN_DATE}
    try:
        return Invoice(source=options.source, external_id=raw.number, number=raw.number, lines=lines, **values)
    except ValidationError as error:
        add_validation_problems(error, raw, problems)
        return None


def add_validation_problems(error: ValidationError, raw: RawDocument, problems: Problems) -> None:
    """The model's refusals, on the row and column they came from (line n = the document's n-th row)."""
    for found in validation_problems(error, raw.number):
        field = MODEL_FIELDS.get(found.field or "", "")
        row = raw.rows[found.line - 1] if found.line and found.line <= len(raw.rows) else raw.rows[0]
        message = found.message if field else f"{found.field or 'document'}: {found.message}"
        problems.add(row, field, message, row.values.get(field) if field else (found.value or ""))


def reason(problems: list[Problem]) -> str:
    """One line for the ledger and the receipts file."""
    parts = [f"row {p.row}, {p.column or 'row'}: {p.message}" if p.row else p.message for p in problems]
    more = len(parts) - SHOWN_PROBLEMS
    text = "; ".join(parts[:SHOWN_PROBLEMS]) + (f"; and {more} more" if more > 0 else "")
    return f"not sent: {text} (see the errors file)"


def as_error(document: str, problems: list[Problem]) -> DocumentError:
    return DocumentError(reason(problems), document=document)


# ---------------------------------------------------------------- header


def _header_values(raw: RawDocument, problems: Problems) -> dict[str, tuple[str, Row]]:
    """The first non-empty value of each header field; a different value later is a problem."""
    found: dict[str, tuple[str, Row]] = {}
    for row in raw.rows:
        for field in HEADER_FIELDS:
            text = row.values.get(field, "")
            if not text:
                continue
            if field not in found:
                found[field] = (text, row)
            elif text != found[field][0]:
                first, first_row = found[field]
                message = (f"differs from row {first_row.number} ({first!r}): every row of a document "
                           "must give the same value, or leave it empty")  # fmt: skip
                problems.add(row, field, message)
    return found


def _header_fields(
    raw: RawDocument, header: dict[str, tuple[str, Row]], problems: Problems, options: ParseOptions
) -> dict[str, Any]:
    first = raw.rows[0]
    kind = _convert(header, "document_type", parse_kind, problems) or "invoice"
    issued_at = _convert(header, "issued_at", lambda t: parse_datetime(t, options.date_format), problems)
    if "issued_at" not in header:
        problems.add(first, "issued_at", "the document date is missing")
    currency = header.get("currency", ("KES", first))[0].upper()
    rate = _convert(header, "exchange_rate", parse_decimal, problems)
    if rate is None and currency != "KES" and "exchange_rate" not in header:
        problems.add(first, "exchange_rate", f"a {currency} document needs its exchange rate (KES per 1 {currency})")
    return {
        "kind": kind,
        "issued_at": issued_at,
        "currency": currency,
        "exchange_rate": rate if rate is not None else Decimal("1"),
        "buyer": _buyer(header, problems),
        "payment_method": _text(header, "payment_method"),
        "original": _original(kind, header, first, problems, options.source),
        "refund_reason": _text(header, "refund_reason"),
        "remark": _text(header, "remark"),
    }


def _text(header: dict[str, tuple[str, Row]], field: str) -> str | None:
    return header[field][0] if field in header else None


def _convert(header: dict[str, tuple[str, Row]], field: str, convert: Any, problems: Problems) -> Any:
    if field not in header:
        return None
    text, row = header[field]
    try:
        return convert(text)
    except ValueError as error:
        problems.add(row, field, str(error))
        return None


def _buyer(header: dict[str, tuple[str, Row]], problems: Problems) -> Party | None:
    given = [field for field in BUYER_FIELDS if field in header]
    if "buyer_name" not in header:
        if given:
            problems.add(header[given[0]][1], "buyer_name", "the buyer has a PIN, mobile or address but no name")
        return None
    try:
        return Party(
            name=header["buyer_name"][0],
            pin=_text(header, "buyer_pin"),
            mobile=_text(header, "buyer_mobile"),
            address=_text(header, "buyer_address"),
        )
    except ValidationError as error:
        for found in validation_problems(error, None):
            field = f"buyer_{found.field}" if found.field in ("name", "pin", "mobile", "address") else "buyer_name"
            problems.add(header.get(field, header["buyer_name"])[1], field, found.message)
        return None


def _original(
    kind: str, header: dict[str, tuple[str, Row]], first: Row, problems: Problems, source: str
) -> DocumentRef | None:
    number = _text(header, "original_document")
    if kind != "credit_note":
        if number:
            problems.add(header["original_document"][1], "original_document", "only credit notes name an original")
        return None
    if not number:
        problems.add(first, "original_document", "a credit note must name the invoice it credits")
        return None
    if not header.get("refund_reason"):
        problems.add(first, "refund_reason", "a credit note needs a refund reason (e.g. return, damaged)")
    try:
        return DocumentRef(source=source, external_id=number, number=number)
    except ValidationError as error:
        problems.add(header["original_document"][1], "original_document", validation_problems(error, None)[0].message)
        return None


# ---------------------------------------------------------------- lines


def _line(row: Row, problems: Problems, options: ParseOptions) -> Line | None:
    values = row.values
    before = len(problems.items)
    name = values.get("item_name") or values.get("description")
    if not name:
        problems.add(row, "item_name", "the item name is empty")
    for field in ("item_code", "unit", "tax_code", "quantity", "unit_price"):
        if not values.get(field):
            problems.add(row, field, f"{getattr(problems.columns, field)} is empty: every line needs it")
    quantity = _cell(row, "quantity", parse_decimal, problems)
    unit_price = _cell(row, "unit_price", parse_decimal, problems)
    discount = _cell(row, "discount_percent", parse_decimal, problems) or Decimal("0")
    includes = _cell(row, "price_includes_vat", parse_bool, problems)
    per_package = _cell(row, "units_per_package", parse_decimal, problems)
    if len(problems.items) > before:
        return None
    try:
        return Line(
            item={"code": values["item_code"], "name": name or "", "category": values.get("item_category") or None},
            description=values.get("description") or name or "",
            quantity=quantity,
            unit=values["unit"],
            unit_price=unit_price,
            price_includes_vat=options.prices_include_vat if includes is None else includes,
            discount_percent=discount,
            taxes=[{"code": values["tax_code"]}],
            units_per_package=per_package if per_package is not None else Decimal("1"),
        )
    except ValidationError as error:
        add_validation_problems(error, RawDocument(problems.document, [row]), problems)
        return None


def _cell(row: Row, field: str, convert: Any, problems: Problems) -> Any:
    text = row.values.get(field, "")
    if not text:
        return None
    try:
        return convert(text)
    except ValueError as error:
        problems.add(row, field, str(error))
        return None


# ---------------------------------------------------------------- what the mapping knows


def _add_precheck(
    invoice: Invoice, raw: RawDocument, header: dict[str, tuple[str, Row]], problems: Problems, mapping: Mapping
) -> None:
    already = {(p.row, p.column) for p in problems.items}
    for error in precheck(invoice, mapping, original_known=False):  # the ledger checks the original later
        field = PRECHECK_FIELDS.get(error.field or "", "")
        if error.line is not None:
            row = raw.rows[error.line - 1]
        else:
            row = header[field][1] if field in header else raw.rows[0]
        if (row.number, getattr(problems.columns, field, "")) in already:
            continue  # e.g. the stand-in date, or a value already reported
        value = row.values.get(field) if field else None
        problems.add(row, field, plain_message(error.message), value if value is not None else _shown(error.value))


def plain_message(message: str) -> str:
    """ "file: table [units] has no key 'crate'" -> a sentence saying what to do."""
    found = MISSING_KEY.match(message)
    if found is None:
        return message
    what = MAPPING_WHAT.get(found["table"], "value")
    return (f"{what} {found['key']} is not in the [{found['table']}] table of {found['file']}{found['rest']}: "
            f"use a {what} listed there, or add this one to your mapping file")  # fmt: skip


def _shown(value: object) -> str:
    return "" if value is None else str(value)
