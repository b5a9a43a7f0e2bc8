"""Mapping files: the TOML lookup tables that turn ERP values into KRA codes.

One file per source (`mappings/<source>/default.toml`, or your own). Tables, all lookups:

    [taxes]            ERP VAT tax code -> KRA tax type A-E (class 04)
    [vat_rates]        VAT rate in percent -> tax type, used when the code is not in [taxes]
    [units]            ERP unit of measure -> KRA quantity unit (class 10)
    [categories.NAME]  item category or type -> item_class (itemClsCd), item_type (class 24),
                       packaging_unit (class 17), origin_country (class 05, optional)
                       (the category "*" is used for items that have no category)
    [payment_methods]  ERP payment method -> KRA payment type (class 07) ("*" = no method given)
    [refund_reasons]   ERP credit-note reason -> KRA refund reason (class 32)
    [columns]          CSV only: canonical field -> CSV column name

Keys match ignoring case and surrounding spaces. Every value is checked against the KRA code
tables when the file is loaded; a bad value or a missing key is a `MappingError` naming the file,
the table and the key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from connector.errors import MappingError
from connector.kra import codes
from connector.models import Tax

PACKAGED_SOURCES = ("csv", "odoo", "quickbooks")
NO_VALUE_KEY = "*"  # the key used when the document gives no category / payment method


class MissingMappingKey(MappingError):
    """A value the document uses is not in the mapping. Names the file, the table and the key."""

    def __init__(self, file: str, table: str, key: str, hint: str = "") -> None:
        self.file, self.table, self.key = file, table, key
        super().__init__(f"{file}: table [{table}] has no key {key!r}{hint}")


def _code_check(is_valid: Any, what: str) -> Any:
    def check(value: str) -> str:
        if not is_valid(value):
            raise ValueError(f"{value!r} is not a {what}")
        return value

    return AfterValidator(check)


TaxType = Annotated[str, _code_check(codes.is_tax_type, "KRA tax type (class 04: A-E)")]
QuantityUnit = Annotated[str, _code_check(codes.is_quantity_unit, "KRA quantity unit (class 10)")]
PackagingUnit = Annotated[str, _code_check(codes.is_packaging_unit, "KRA packaging unit (class 17)")]
ItemType = Annotated[str, _code_check(codes.is_item_type, "KRA item type (class 24: 1, 2 or 3)")]
ItemClass = Annotated[str, _code_check(codes.is_item_class, "KRA item classification (8 or 10 digits)")]
Country = Annotated[str, _code_check(codes.is_country, "KRA country code (class 05)")]
PaymentType = Annotated[str, _code_check(codes.is_payment_type, "KRA payment type (class 07)")]
RefundReason = Annotated[str, _code_check(codes.is_refund_reason, "KRA refund reason (class 32)")]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class CategoryMapping(_Table):
    """The KRA attributes of every item in one ERP category."""

    item_class: ItemClass
    item_type: ItemType
    packaging_unit: PackagingUnit
    origin_country: Country | None = None


class CsvColumns(_Table):
    """Canonical field -> CSV column name (read by the CSV adapter)."""

    document_number: str = "document_number"
    document_type: str = "document_type"
    issued_at: str = "issued_at"
    currency: str = "currency"
    exchange_rate: str = "exchange_rate"
    buyer_name: str = "buyer_name"
    buyer_pin: str = "buyer_pin"
    buyer_mobile: str = "buyer_mobile"
    buyer_address: str = "buyer_address"
    payment_method: str = "payment_method"
    original_document: str = "original_document"
    refund_reason: str = "refund_reason"
    item_code: str = "item_code"
    item_name: str = "item_name"
    description: str = "description"
    quantity: str = "quantity"
    unit: str = "unit"
    unit_price: str = "unit_price"
    price_includes_vat: str = "price_includes_vat"
    discount_percent: str = "discount_percent"
    tax_code: str = "tax_code"
    item_category: str = "item_category"
    units_per_package: str = "units_per_package"  # optional: units in one package (KRA pkg = quantity / this)
    remark: str = "remark"


class MappingTables(_Table):
    """The content of one mapping file."""

    description: str | None = None
    taxes: dict[str, TaxType] = {}
    vat_rates: dict[str, TaxType] = {}
    units: dict[str, QuantityUnit] = {}
    categories: dict[str, CategoryMapping] = {}
    payment_methods: dict[str, PaymentType] = {}
    refund_reasons: dict[str, RefundReason] = {}
    columns: CsvColumns | None = None


@dataclass(frozen=True)
class Mapping:
    """A loaded, validated mapping file with case-insensitive lookups."""

    file: str
    tables: MappingTables
    _index: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for table in ("taxes", "units", "categories", "payment_methods", "refund_reasons"):
            self._index[table] = _normalised(self.file, table, getattr(self.tables, table))
        self._index["vat_rates"] = _rate_index(self.file, self.tables.vat_rates)

    @property
    def columns(self) -> CsvColumns:
        return self.tables.columns or CsvColumns()

    def lookup(self, table: str, key: str, hint: str = "") -> Any:
        found = self._index[table].get(_norm(key))
        if found is None:
            raise MissingMappingKey(self.file, table, key, hint)
        return found

    def tax_type(self, tax: Tax) -> str:
        """KRA tax type of a VAT tax: by code in [taxes], else by rate in [vat_rates]."""
        found = self._index["taxes"].get(_norm(tax.code))
        if found is None and tax.rate is not None:
            found = self._index["vat_rates"].get(_rate_key(tax.rate))
        if found is None:
            rate = f", nor its rate {tax.rate} in [vat_rates]" if tax.rate is not None else ""
            raise MissingMappingKey(self.file, "taxes", tax.code, rate)
        return found

    def quantity_unit(self, unit: str) -> str:
        return self.lookup("units", unit)

    def category(self, name: str | None) -> CategoryMapping:
        hint = ' (the key "*" is used for items without a category)' if name is None else ""
        return self.lookup("categories", NO_VALUE_KEY if name is None else name, hint)

    def payment_type(self, method: str | None) -> str | None:
        """Payment type code; a document without a method uses "*", or sends none if "*" is absent."""
        if method is None:
            return self._index["payment_methods"].get(NO_VALUE_KEY)
        return self.lookup("payment_methods", method)

    def refund_reason(self, reason: str) -> str:
        return self.lookup("refund_reasons", reason)


def _norm(key: str) -> str:
    return key.strip().casefold()


def _normalised(file: str, table: str, entries: dict[str, Any]) -> dict[str, Any]:
    index: dict[str, Any] = {}
    originals: dict[str, str] = {}
    for key, value in entries.items():
        norm = _norm(key)
        if norm in originals:
            raise MappingError(
                f"{file}: table [{table}] has keys {originals[norm]!r} and {key!r}, "
                "which are the same when case and spaces are ignored"
            )
        originals[norm] = key
        index[norm] = value
    return index


def _rate_key(rate: Decimal) -> str:
    return format(rate.normalize(), "f")


def _rate_index(file: str, entries: dict[str, str]) -> dict[str, str]:
    index: dict[str, str] = {}
    for key, value in entries.items():
        try:
            index[_rate_key(Decimal(key.strip()))] = value
        except InvalidOperation:
            raise MappingError(f"{file}: table [vat_rates], key {key!r} is not a rate in percent") from None
    return index


# ---------------------------------------------------------------- loading


def load_mapping(path_or_source_name: str | Path) -> Mapping:
    """Load a mapping file, or the packaged default of a source ("csv", "odoo", "quickbooks")."""
    target = str(path_or_source_name)
    if target in PACKAGED_SOURCES and not Path(target).is_file():
        return _packaged(target)
    path = Path(target)
    if not path.is_file():
        known = ", ".join(PACKAGED_SOURCES)
        raise MappingError(f"mapping file {target} does not exist (or give one of: {known})")
    return parse_mapping(path.read_text(encoding="utf-8"), file=str(path))


@cache
def _packaged(source: str) -> Mapping:
    text = resources.files("mappings").joinpath(source, "default.toml").read_text(encoding="utf-8")
    return parse_mapping(text, file=f"mappings/{source}/default.toml")


def parse_mapping(text: str, *, file: str = "<mapping>") -> Mapping:
    """Parse and validate mapping TOML; `file` is the name used in error messages."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise MappingError(f"{file}: not valid TOML: {error}") from None
    try:
        tables = MappingTables.model_validate(raw)
    except ValidationError as error:
        raise MappingError(_describe(file, error)) from None
    return Mapping(file=file, tables=tables)


def _describe(file: str, error: ValidationError) -> str:
    problems = [_describe_one(file, detail) for detail in error.errors()]
    return "\n".join(problems)


def _describe_one(file: str, detail: Any) -> str:
    loc = [str(part) for part in detail["loc"]]
    message = detail["msg"].removeprefix("Value error, ")
    if detail["type"] == "extra_forbidden":
        message = "is not a known table or key"
    if len(loc) == 1:
        return f"{file}: [{loc[0]}] {message}"
    table, key = (".".join(loc[:2]), loc[2]) if len(loc) >= 3 else (loc[0], loc[1])
    value = detail.get("input")
    plain = detail["type"] not in ("extra_forbidden", "value_error")
    shown = f" (value {value!r})" if plain and isinstance(value, str) else ""
    return f"{file}: table [{table}], key {key!r}: {message}{shown}"
