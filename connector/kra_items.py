"""KRA item attributes of a canonical line: tax type, units, classification, item code (spec §3.4).

    item_spec(line, invoice, mapping)          -> ItemSpec (what `saveItem` registers)
    format_item_code(spec, sequence)           -> "KE2NTNO0000001"
    build_save_item(spec, item_code, audit)    -> SaveItemRequest

Mapping gaps surface as `DocumentError`s that name the document, the line and the field, and
carry the mapping file / table / key in their message.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from connector.errors import DocumentError, MappingError
from connector.kra.payloads import SaveItemRequest
from connector.kra_amounts import LinePricing
from connector.mapping import CategoryMapping, Mapping
from connector.models import Invoice, Line, Tax
from connector.money import round_money

ITEM_CODE_SEQUENCE_DIGITS = 7
LARGEST_AMOUNT = Decimal(10) ** 16  # KRA amounts are NUMBER(18,2)
SHORT_UNIT_PAD = "X"  # the spec samples' padding of 1-character units (KE1NTXU0000001)


@dataclass(frozen=True, slots=True)
class AuditNames:
    """Who registers / modifies records at KRA (regrId/regrNm/modrId/modrNm)."""

    id: str
    name: str


@dataclass(frozen=True, slots=True)
class ItemSpec:
    """The KRA attributes of one item, as `saveItem` registers them."""

    item_class: str  # itemClsCd
    item_type: str  # itemTyCd, class 24
    packaging_unit: str  # pkgUnitCd, class 17
    quantity_unit: str  # qtyUnitCd, class 10
    origin_country: str  # orgnNatCd, class 05
    tax_type: str  # taxTyCd, A-E
    name: str
    barcode: str | None
    default_price: Decimal  # KES, the price as entered on the line that introduced the item


def document_error(
    invoice: Invoice, message: str, *, line: int | None = None, field: str | None = None, value: object = None
) -> DocumentError:
    return DocumentError(message, document=invoice.number, line=line, field=field, value=value)


def taxes_of_kind(line: Line, kind: str) -> list[Tax]:
    return [tax for tax in line.taxes if tax.kind == kind]


def is_price_included(tax: Tax, line: Line) -> bool:
    """A tax is inside the price when it says so, or, when it does not say, when the line says so."""
    return line.price_includes_vat if tax.price_included is None else tax.price_included


def vat_tax(line: Line, invoice: Invoice, number: int) -> Tax:
    """The line's single VAT tax; none or several is an error."""
    vat = taxes_of_kind(line, "vat")
    if len(vat) != 1:
        found = ", ".join(tax.code for tax in vat) or "none"
        message = f"needs exactly one VAT tax, found {len(vat)}"
        raise document_error(invoice, message, line=number, field="taxes", value=found)
    return vat[0]


def tax_type(line: Line, invoice: Invoice, mapping: Mapping, number: int) -> str:
    """The KRA tax type (A-E) of the line's VAT tax, from the mapping."""
    tax = vat_tax(line, invoice, number)
    try:
        return mapping.tax_type(tax)
    except MappingError as error:
        raise document_error(invoice, str(error), line=number, field="taxes.code", value=tax.code) from error


def quantity_unit(line: Line, invoice: Invoice, mapping: Mapping, number: int) -> str:
    try:
        return mapping.quantity_unit(line.unit)
    except MappingError as error:
        raise document_error(invoice, str(error), line=number, field="unit", value=line.unit) from error


def category(line: Line, invoice: Invoice, mapping: Mapping, number: int) -> CategoryMapping:
    try:
        return mapping.category(line.item.category)
    except MappingError as error:
        field, value = "item.category", line.item.category
        raise document_error(invoice, str(error), line=number, field=field, value=value) from error


def item_spec(line: Line, invoice: Invoice, mapping: Mapping, number: int = 1) -> ItemSpec:
    """The KRA attributes of the line's item. `number` (1-based) only labels errors."""
    found = category(line, invoice, mapping, number)
    origin = line.item.origin_country or found.origin_country
    if not origin:
        message = "has no origin country (set it on the item or on its mapping category)"
        raise document_error(invoice, message, line=number, field="item.origin_country")
    return ItemSpec(
        item_class=found.item_class,
        item_type=found.item_type,
        packaging_unit=found.packaging_unit,
        quantity_unit=quantity_unit(line, invoice, mapping, number),
        origin_country=origin.upper(),
        tax_type=tax_type(line, invoice, mapping, number),
        name=line.item.name,
        barcode=line.item.barcode,
        default_price=round_money(line.unit_price * invoice.exchange_rate),
    )


def format_item_code(spec: ItemSpec, sequence: int, *, strict: bool = True) -> str:
    """country(2) + item type(1) + packaging(2) + quantity unit(2) + 7-digit sequence = 14 chars.

    GavaConnect checks every segment against the item's fields, so `strict` (the default) refuses
    units that are not exactly 2 characters. Not strict (legacy API): a 1-character unit is padded
    with X as in the spec's samples (KE1NTXU0000001) and a 3-character one is written as is.
    """
    if not 1 <= sequence < 10**ITEM_CODE_SEQUENCE_DIGITS:
        raise ValueError(f"item code sequence {sequence} is not between 1 and 9999999")
    _check_segment("origin country", spec.origin_country, 2)
    _check_segment("item type", spec.item_type, 1)
    unit = spec.quantity_unit
    if not strict and len(unit) == 1:
        unit = SHORT_UNIT_PAD + unit
    if strict:
        _check_segment("packaging unit", spec.packaging_unit, 2)
        _check_segment("quantity unit", unit, 2)
    prefix = f"{spec.origin_country}{spec.item_type}{spec.packaging_unit}{unit}"
    return f"{prefix}{sequence:0{ITEM_CODE_SEQUENCE_DIGITS}d}"


def _check_segment(what: str, code: str, length: int) -> None:
    if len(code) != length:
        raise MappingError(
            f"{what} {code!r} cannot be part of a KRA item code: it must be exactly {length} "
            f"character(s) (spec §3.4); map it to a {length}-character code (e.g. quantity unit NO, "
            "KG, BX, PA or DZ; packaging unit NT or OU)"
        )


def build_save_item(spec: ItemSpec, item_code: str, audit: AuditNames) -> SaveItemRequest:
    """The `saveItem` request that registers an item before it is sold."""
    return SaveItemRequest(
        item_code=item_code,
        item_class=spec.item_class,
        item_type=spec.item_type,
        name=spec.name[:200],
        origin_country=spec.origin_country,
        packaging_unit=spec.packaging_unit,
        quantity_unit=spec.quantity_unit,
        tax_type=spec.tax_type,
        barcode=spec.barcode,
        default_price=spec.default_price,
        insurance_applicable="N",
        in_use="Y",
        **audit_fields(audit),
    )


def audit_fields(audit: AuditNames) -> dict[str, str]:
    identity, name = audit.id[:20], audit.name[:60]
    return {
        "registrant_id": identity,
        "registrant_name": name,
        "modifier_id": identity,
        "modifier_name": name,
    }


def excise_factor(line: Line, invoice: Invoice, number: int) -> Decimal:
    """1 + rate/100 for each excise added on top of a VAT-exclusive price; 1 when excise is included.

    An excise already inside the price stays in the VAT base untouched (VAT is charged on the
    excise-inclusive value). Excise on top of a VAT-inclusive price cannot be reported: VAT would
    have to be charged on the excise too, so such a line is refused.
    """
    factor = Decimal("1")
    for tax in taxes_of_kind(line, "excise"):
        if is_price_included(tax, line):
            continue
        if line.price_includes_vat:
            message = "excise added on top of a VAT-inclusive price cannot be reported; include it in the price"
            raise document_error(invoice, message, line=number, field="taxes", value=tax.code)
        if tax.rate is None:
            message = "excise added on top of the price needs a rate (or include it in the price)"
            raise document_error(invoice, message, line=number, field="taxes", value=tax.code)
        factor *= 1 + tax.rate / 100
    return factor


def line_pricing(line: Line, invoice: Invoice, vat_rate: Decimal, number: int) -> LinePricing:
    """The inputs of the line's KRA arithmetic, converted to KES (exact, not rounded)."""
    pricing = LinePricing(
        quantity=line.quantity,
        unit_price=line.unit_price * invoice.exchange_rate,
        price_includes_vat=line.price_includes_vat,
        vat_rate=vat_rate,
        discount_percent=line.discount_percent,
        excise_factor=excise_factor(line, invoice, number),
    )
    if abs(pricing.quantity * pricing.unit_price * pricing.excise_factor) >= LARGEST_AMOUNT:
        message = "quantity x unit price (in KES) is larger than KRA's largest amount (16 digits)"
        raise document_error(invoice, message, line=number, field="unit_price", value=str(line.unit_price))
    return pricing


def packages(line: Line, packaging_unit: str, profile: str) -> Decimal:
    """KRA's `pkg`, the number of packages (spec §3.5).

    legacy: quantity / units per package, 2 decimals half-up, as Odoo sends it (1 unit of an item
    packed 5 per box -> 0.2). GavaConnect rejects pkg 0 and pkg = qty for packaging unit NT, so
    it gets 1 when packaging is not modelled (units per package 1, or NT), else the packages the
    quantity takes, rounded up to whole packages (never below 1).
    """
    count = line.quantity / line.units_per_package
    if profile != "gavaconnect":
        return round_money(count)
    if line.units_per_package == 1 or packaging_unit == "NT":
        return Decimal("1")
    return max(Decimal("1"), count.to_integral_value(rounding=ROUND_CEILING))
