"""How numbers, dates and text look on a printed receipt or report."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from decimal import Decimal

from connector.clock import EAT

# Characters the PDF core fonts (Latin-1) lack but that have a plain equivalent.
_PLAIN = str.maketrans(
    {"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "€": "EUR", "•": "*", "\u00a0": " "}
)


def money(amount: Decimal) -> str:
    """1234.5 → "1,234.50". Signed amounts are already cents; this only formats them."""
    return f"{amount:,.2f}"


def quantity(amount: Decimal) -> str:
    """2.000 → "2", 1.250 → "1.25"."""
    text = format(amount.normalize(), "f") if amount == amount.to_integral() else format(amount, "f").rstrip("0")
    return text.rstrip(".") if "." in text else text


def rate(percent: Decimal) -> str:
    return f"{quantity(percent)}%"


def eat_time(moment: datetime) -> str:
    """dd/mm/yyyy HH:MM:SS in East Africa Time."""
    return moment.astimezone(EAT).strftime("%d/%m/%Y %H:%M:%S")


def latin1(text: str | None) -> str:
    """Text the PDF core fonts can draw: accents kept where Latin-1 has them, others replaced by "?"."""
    if not text:
        return ""
    text = text.translate(_PLAIN)
    out = []
    for char in text:
        try:
            char.encode("latin-1")
            out.append(char)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
            out.append(base or "?")
    return "".join(out)
