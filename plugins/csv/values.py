"""Text cells -> values: numbers with a decimal point, yes/no, dates, document types.

Each parser raises `ValueError` with a message meant for the person who made the file.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Literal

from connector.clock import EAT

NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$", re.ASCII)  # ASCII 0-9 only: \d alone takes ١٢٣ and １２３
MAX_NUMBER_CHARS = 40
TRUE_WORDS = {"yes", "y", "true", "1", "inclusive", "incl", "included"}
FALSE_WORDS = {"no", "n", "false", "0", "exclusive", "excl", "excluded"}
INVOICE_WORDS = {"invoice", "inv", "sale", "sales", "tax invoice"}
CREDIT_NOTE_WORDS = {"credit_note", "credit note", "credit-note", "creditnote", "credit", "cn", "refund", "return"}
ISO_HINT = "write dates as YYYY-MM-DD or YYYY-MM-DD HH:MM (e.g. 2025-01-31 14:05), or set the date_format option"


def parse_decimal(text: str) -> Decimal:
    cleaned = text.strip()
    if len(cleaned) > MAX_NUMBER_CHARS:
        raise ValueError(f"is too long to be a number ({len(cleaned)} characters)")
    if NUMBER.match(cleaned):
        return Decimal(cleaned)
    if any(char.isdigit() and not char.isascii() for char in cleaned):
        raise ValueError(
            "has digits other than 0-9 (e.g. Arabic-Indic or full-width digits): write numbers with the digits 0-9"
        )
    if "," in cleaned:
        raise ValueError(
            "decimal comma or thousands separator: write numbers with a decimal point and nothing else, "
            "e.g. 1234.50 (not 1234,50 or 1,234.50)"
        )
    raise ValueError("is not a number")


def parse_bool(text: str) -> bool:
    word = text.strip().casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError("write yes or no")


def parse_datetime(text: str, date_format: str | None = None) -> datetime:
    """A date or date-time; without a timezone it is East Africa Time."""
    try:
        moment = datetime.strptime(text.strip(), date_format) if date_format else datetime.fromisoformat(text.strip())
    except ValueError:
        hint = f"write dates in the format {date_format}" if date_format else ISO_HINT
        raise ValueError(f"is not a date: {hint}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=EAT)


def parse_kind(text: str) -> Literal["invoice", "credit_note"]:
    word = text.strip().casefold()
    if word in INVOICE_WORDS:
        return "invoice"
    if word in CREDIT_NOTE_WORDS:
        return "credit_note"
    raise ValueError("write invoice or credit_note")
