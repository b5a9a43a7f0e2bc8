"""The limits the canonical model enforces on every number, date and text an ERP gives us.

Garbage is refused at the boundary, with a pydantic error naming the field and the value, instead
of crashing deeper (a 27-digit quantity used to make `Decimal.quantize` raise inside the sender).

Numbers (finite `Decimal`s written with ASCII digits; the KRA fields are NUMBER(13,2) for
quantities and NUMBER(18,2) for amounts):

    quantity, unit price     |x| < 10^11, at most 6 decimals  (KRA keeps 2; precheck says so)
    percentages, tax rates   |x| < 10^4,  at most 6 decimals  (precheck checks 0-100)
    exchange rate            |x| < 10^6,  at most 12 decimals (ERPs store inverted rates)
    units per package        0 < x < 10^9, at most 6 decimals
    ERP totals               |x| < 10^16, at most 6 decimals
    decimal places are counted after dropping trailing zeros ("1.500000000" has 1)

Dates: `issued_at` between 2000-01-01 and one year from now. eTIMS did not exist before 2021, so
2000 only refuses typos and keeps every date far from `datetime`'s limits (0001-01-01 used to make
`content_hash` overflow); a year ahead tolerates a wrong clock on the ERP, but not year 2205.

Text: no control characters (tab, CR and LF are allowed in free text only), no bidi overrides or
isolates (U+202A-U+202E, U+2066-U+2069, which can make a receipt read differently from what was
signed), no lone surrogates; each field has a maximum length.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, WithJsonSchema

from connector.clock import EAT, now_eat
from connector.errors import DocumentError
from connector.money import to_decimal

EARLIEST_DATE = datetime(2000, 1, 1, tzinfo=EAT)
LATEST_AHEAD = timedelta(days=366)
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
FREE_TEXT_CONTROLS = frozenset("\t\r\n")
SHOWN_VALUE_CHARS = 60

_DECIMAL_SCHEMA = {
    "type": "string",
    "pattern": r"^-?\d+(\.\d+)?$",
    "description": 'A decimal number written as text (e.g. "1160.00"); JSON floats are refused.',
}


def decimal_places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _bounded(limit: int, places: int, *, positive: bool = False) -> Any:
    """A validator: an exact, finite Decimal with |x| < 10^limit and at most `places` decimals."""

    def check(value: object) -> Decimal:
        try:
            number = to_decimal(value, what="number")
        except (TypeError, ValueError) as error:  # pydantic reports ValueErrors as validation errors
            raise ValueError(str(error).removeprefix(f"number: {value!r} ")) from None
        if abs(number) >= Decimal(10) ** limit:
            raise ValueError(f"is too large (at most {limit} digits before the decimal point)")
        if decimal_places(number) > places:
            raise ValueError(f"has more than {places} decimals")
        if positive and number <= 0:
            raise ValueError("must be above zero")
        return number

    return BeforeValidator(check)


def _decimal(limit: int, places: int, *, positive: bool = False) -> Any:
    return Annotated[Decimal, _bounded(limit, places, positive=positive), WithJsonSchema(_DECIMAL_SCHEMA)]


Quantity = _decimal(11, 6)
Price = _decimal(11, 6)
Percent = _decimal(4, 6)
ExchangeRate = _decimal(6, 12)
UnitsPerPackage = _decimal(9, 6, positive=True)
Total = _decimal(16, 6)


def _clean_text(free: bool) -> Any:
    def check(text: str) -> str:
        for position, char in enumerate(text, start=1):
            if char in BIDI_CONTROLS:
                raise ValueError(f"has a bidirectional control character (U+{ord(char):04X}) at position {position}")
            category = unicodedata.category(char)
            if category == "Cc" and not (free and char in FREE_TEXT_CONTROLS):
                raise ValueError(f"has a control character (U+{ord(char):04X}) at position {position}")
            if category == "Cs":
                raise ValueError(f"has an invalid character (lone surrogate U+{ord(char):04X}) at position {position}")
        return text

    return AfterValidator(check)


def text(max_length: int, *, required: bool = False, free: bool = False) -> Any:
    """A text field: no control or bidi characters (free text may hold tab/CR/LF), at most `max_length`."""
    return Annotated[str, Field(min_length=1 if required else 0, max_length=max_length), _clean_text(free)]


def check_issued_at(moment: datetime) -> datetime:
    if moment < EARLIEST_DATE:
        raise ValueError("is before 2000-01-01: not a plausible invoice date")
    if moment > now_eat() + LATEST_AHEAD:
        raise ValueError("is more than a year ahead: not a plausible invoice date")
    return moment


# ---------------------------------------------------------------- errors for people


def validation_problems(error: ValidationError, document: str | None) -> list[DocumentError]:
    """Each pydantic error as a `DocumentError` naming the document, the line (1-based), field and value."""
    problems = []
    for detail in error.errors():
        line, field = _where(detail.get("loc", ()))
        message = str(detail.get("msg", "is invalid")).removeprefix("Value error, ")
        problems.append(DocumentError(message, document=document, line=line, field=field, value=shown(detail)))
    return problems


def validation_error(error: ValidationError, document: str | None) -> DocumentError:
    """The first problem of a `ValidationError` (with a count of the others) as one `DocumentError`."""
    problems = validation_problems(error, document)
    if not problems:
        return DocumentError("is not a valid canonical invoice", document=document)
    first = problems[0]
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    return DocumentError(first.message + more, document=document, line=first.line, field=first.field,
                         value=first.value)  # fmt: skip


def _where(loc: tuple[Any, ...]) -> tuple[int | None, str | None]:
    parts = list(loc)
    line = None
    if len(parts) >= 2 and parts[0] == "lines" and isinstance(parts[1], int):
        line, parts = parts[1] + 1, parts[2:]
    return line, ".".join(str(part) for part in parts if not isinstance(part, int)) or None


def shown(detail: Any) -> str | None:
    """The refused value, short enough for a message and an errors file."""
    value = detail.get("input") if isinstance(detail, dict) else detail
    if value is None or isinstance(value, dict | list):
        return None
    text_value = str(value)
    return text_value if len(text_value) <= SHOWN_VALUE_CHARS else text_value[:SHOWN_VALUE_CHARS] + "…"


def invoice_file_problem(error: ValueError, text: str | bytes) -> str:
    """Why a canonical invoice file was refused, naming document, line, field and value (one line)."""
    if not isinstance(error, ValidationError):
        return f"not valid JSON ({error})"
    from connector import jsonio

    try:
        number = jsonio.loads(text).get("number")
    except (ValueError, AttributeError):
        number = None
    return validation_error(error, str(number) if number else None).describe()
