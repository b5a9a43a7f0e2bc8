"""The project's offline KRA code tables and the checks built on them (spec §4).

is_tax_type("B")             class 04      default_tax_rates() -> {"A": 0, "B": 16, ...}
is_quantity_unit("KG")       class 10      fits_item_code("KG") -> True ("U" -> False)
is_packaging_unit("NT")      class 17      is_item_type("2")   class 24
is_payment_type("01")        class 07      is_refund_reason("06")   class 32
is_country("KE")             class 05      is_currency("USD")  class 33
is_item_class("81121500")    itemClsCd shape (8 or 10 digits; the full list is KRA's)
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache

import pycountry

from connector.kra.codes.tables import (
    ITEM_TYPES,
    LEGACY_COUNTRIES,
    LEGACY_CURRENCIES,
    PACKAGING_UNITS,
    PAYMENT_TYPES,
    QUANTITY_UNITS,
    REFUND_REASONS,
    TAX_TYPES,
)

__all__ = [
    "ITEM_TYPES",
    "PACKAGING_UNITS",
    "PAYMENT_TYPES",
    "QUANTITY_UNITS",
    "REFUND_REASONS",
    "TAX_TYPES",
    "TAX_TYPE_LETTERS",
    "default_tax_rates",
    "fits_item_code",
    "is_country",
    "is_currency",
    "is_item_class",
    "is_item_type",
    "is_packaging_unit",
    "is_payment_type",
    "is_quantity_unit",
    "is_refund_reason",
    "is_tax_type",
]

TAX_TYPE_LETTERS: tuple[str, ...] = ("A", "B", "C", "D", "E")
_ITEM_CLASS = re.compile(r"^\d{8}(\d{2})?$")


def default_tax_rates() -> dict[str, Decimal]:
    """Rates of the five tax types as the code list publishes them (A 0, B 16, C 0, D 0, E 8)."""
    return {letter: rate for letter, (_name, rate) in TAX_TYPES.items()}


def is_tax_type(code: str) -> bool:
    return code in TAX_TYPES


def is_quantity_unit(code: str) -> bool:
    return code in QUANTITY_UNITS


def fits_item_code(unit: str) -> bool:
    """True when a unit code is exactly 2 characters, as the item-code slot needs (spec §3.4)."""
    return len(unit) == 2


def is_packaging_unit(code: str) -> bool:
    return code in PACKAGING_UNITS


def is_item_type(code: str) -> bool:
    return code in ITEM_TYPES


def is_payment_type(code: str) -> bool:
    return code in PAYMENT_TYPES


def is_refund_reason(code: str) -> bool:
    return code in REFUND_REASONS


def is_item_class(code: str) -> bool:
    return bool(_ITEM_CLASS.match(code))


@cache
def _countries() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries) | LEGACY_COUNTRIES


@cache
def _currencies() -> frozenset[str]:
    return frozenset(currency.alpha_3 for currency in pycountry.currencies) | LEGACY_CURRENCIES


def is_country(code: str) -> bool:
    return code in _countries()


def is_currency(code: str) -> bool:
    return code in _currencies()
