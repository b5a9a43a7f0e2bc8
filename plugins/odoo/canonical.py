"""One Odoo move snapshot (see reading.py) -> the canonical `Invoice`. No RPC here.

Lines: only `display_type` product lines are reported. Sections and notes carry no amount and are
skipped; cash-rounding and tax/payment-term lines are not in `invoice_line_ids` at all (a cash rounding
shows up only in Odoo's totals, which the core cross-checks). A down-payment invoice is an ordinary
product line and is sent; the negative line that deducts a down payment on the final invoice cannot be
reported to KRA (no negative lines) and makes the document needs-fix with that reason.

Amounts are in the document currency with the invoice's own rate: 18 `invoice_currency_rate` (document
units per KES), 17 the lines' `currency_rate`; KES per unit is its inverse, rounded to 6 decimals.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from connector.clock import EAT
from connector.errors import DocumentError, MappingError
from connector.mapping import Mapping
from connector.models import DocumentRef, Invoice, ItemRef, Line, Party
from plugins.odoo.taxes import line_taxes
from plugins.odoo.values import dec, m2o_name, text

KRA_PIN = re.compile(r"^[A-Z]\d{9}[A-Z]$")
RATE_PLACES = Decimal("0.000001")
PRODUCT_TYPES = {"consu", "service", "product"}  # 17 detailed_type "product" = storable; 18 combo is refused
REVERSAL_PREFIX = re.compile(r"^\s*reversal of:?\s*[^,]*,?\s*", re.IGNORECASE)


def to_invoice(content: dict[str, Any], *, source: str, mapping: Mapping, options: Any) -> Invoice:
    move = content["move"]
    where = f"{move.get('name') or 'draft'} (account.move {move['id']})"
    is_credit = move["move_type"] == "out_refund"
    taxes = {int(k): v for k, v in (content.get("taxes") or {}).items()}
    products = {int(k): v for k, v in (content.get("products") or {}).items()}
    lines: list[Line] = []
    for row in content["lines"]:
        if row["display_type"] != "product":
            continue  # line_section / line_note: titles and remarks, no amount
        lines.append(_line(row, len(lines) + 1, products, taxes, content, mapping, options, where))
    if not lines:
        raise DocumentError("has no product line to report", document=where, field="invoice_line_ids")
    fields: dict[str, Any] = {
        "source": source,
        "external_id": str(move["id"]),
        "number": move.get("name") or str(move["id"]),
        "kind": "credit_note" if is_credit else "invoice",
        "issued_at": _issued_at(move, where),
        "currency": move.get("currency") or "KES",
        "exchange_rate": _exchange_rate(move, content["lines"], where),
        "buyer": _buyer(content.get("partner"), where),
        "lines": lines,
    }
    if is_credit:
        fields |= _credit_fields(move, source, mapping, options, where)
    fields["erp_totals"] = {  # Odoo's own figures, document currency: the core cross-checks the KRA request
        "untaxed": dec(move["amount_untaxed"]),
        "tax": dec(move["amount_tax"]),
        "total": dec(move["amount_total"]),
    }
    return Invoice.model_validate(fields)


def _line(row: dict[str, Any], number: int, products: dict[int, Any], taxes: dict[int, Any],
          content: dict[str, Any], mapping: Mapping, options: Any, where: str) -> Line:  # fmt: skip
    label = f"account.move.line {row['id']}"
    quantity, price = dec(row["quantity"]), dec(row["price_unit"])
    if row.get("product_id") is None:
        raise DocumentError("a product line without a product cannot be reported to KRA (choose a product)",
                            document=where, line=number, field="product_id", value=label)  # fmt: skip
    if quantity < 0 or price < 0:
        message = ("a negative line (e.g. a deducted down payment) cannot be reported to KRA; "
                   "issue a credit note for the down payment instead")  # fmt: skip
        raise DocumentError(message, document=where, line=number, field="quantity" if quantity < 0 else "price_unit",
                            value=f"{label}: {quantity} x {price}")  # fmt: skip
    product = products.get(row["product_id"])
    if product is None:
        raise DocumentError("the product cannot be read", document=where, line=number, field="product_id",
                            value=f"product.product {row['product_id']}")  # fmt: skip
    unit = row.get("uom") or ""
    try:
        mapping.quantity_unit(unit)
    except MappingError as error:
        value = f"uom.uom {row.get('uom_id')} {unit!r}"
        message = f"unknown unit of measure: {error}"
        raise DocumentError(message, document=where, line=number, field="product_uom_id", value=value) from None
    line_taxes_, price_includes_vat = line_taxes(
        row, taxes, mapping, options, content.get("company_price_include"), where, number
    )
    return Line(
        line_id=str(row["id"]),
        item=_item(product, mapping, where, number),
        description=row.get("name") or product.get("name") or "",
        quantity=quantity,
        unit=unit,
        unit_price=price,
        price_includes_vat=price_includes_vat,
        discount_percent=dec(row.get("discount")),
        taxes=line_taxes_,
    )


def _item(product: dict[str, Any], mapping: Mapping, where: str, number: int) -> ItemRef:
    kind = product.get("detailed_type") or product.get("type")
    if kind not in PRODUCT_TYPES:
        message = "product type cannot be reported to KRA (goods or service only)"
        raise DocumentError(message, document=where, line=number, field="product.type",
                            value=f"product.product {product['id']} {kind!r}")  # fmt: skip
    category = m2o_name(product.get("categ_id"))
    if category is None or not _has_category(mapping, category):
        category = str(kind)  # the product type (service / consu / product) picks the KRA attributes
    return ItemRef(
        code=text(product.get("default_code")) or f"odoo-product-{product['id']}",
        name=text(product.get("name")) or f"product {product['id']}",
        barcode=text(product.get("barcode")),
        category=category,
    )


def _has_category(mapping: Mapping, name: str) -> bool:
    try:
        mapping.category(name)
    except MappingError:
        return False
    return True


def _issued_at(move: dict[str, Any], where: str) -> datetime:
    day = move.get("invoice_date")
    if not day:
        raise DocumentError("has no invoice date", document=where, field="invoice_date")
    return datetime.combine(date.fromisoformat(day), time(0, 0), tzinfo=EAT)


def _exchange_rate(move: dict[str, Any], lines: list[dict[str, Any]], where: str) -> Decimal:
    """KES per 1 unit of the document currency."""
    currency, company_currency = move.get("currency") or "KES", move.get("company_currency") or "KES"
    if currency == "KES":
        return Decimal(1)
    if company_currency != "KES":
        message = (f"KRA needs amounts in KES: this invoice is in {currency} and the company's currency is "
                   f"{company_currency}, so there is no rate to KES; invoice in KES")  # fmt: skip
        raise DocumentError(message, document=where, field="currency_id", value=currency)
    rate = dec(move.get("invoice_currency_rate") or 0)  # 18: document units per company unit
    if rate <= 0:
        rates = [dec(r["currency_rate"]) for r in lines if r["display_type"] == "product" and dec(r["currency_rate"])]
        rate = rates[0] if rates else Decimal(0)
    if rate <= 0:
        amounts = [(dec(r["balance"]), dec(r["amount_currency"])) for r in lines if dec(r["amount_currency"])]
        if amounts:
            return (abs(amounts[0][0]) / abs(amounts[0][1])).quantize(RATE_PLACES)
        raise DocumentError("the exchange rate cannot be read", document=where, field="invoice_currency_rate")
    return (1 / rate).quantize(RATE_PLACES)


def _buyer(partner: dict[str, Any] | None, where: str) -> Party | None:
    if not partner:
        return None
    vat = re.sub(r"[\s-]", "", str(partner.get("vat") or "")).upper() or None
    if vat and not KRA_PIN.match(vat):
        if _in_kenya(partner):
            raise DocumentError("the customer's Tax ID is not a KRA PIN (a letter, 9 digits, a letter)",
                                document=where, field="partner_id.vat",
                                value=f"res.partner {partner['id']} {partner.get('vat')!r}")  # fmt: skip
        vat = None  # a foreign buyer's VAT number is not a KRA PIN: sold without one
    return Party(
        name=text(partner.get("name")) or f"partner {partner['id']}",
        pin=vat,
        mobile=text(partner.get("mobile")),
        email=text(partner.get("email")),
        address=text(partner.get("contact_address_inline")),
    )


def _in_kenya(partner: dict[str, Any]) -> bool:
    """Kenyan, or no country given (a Kenyan business's customers are Kenyan unless said otherwise)."""
    code = partner.get("country_code")
    if code:
        return str(code).upper() == "KE"
    name = m2o_name(partner.get("country_id"))
    return name is None or name.casefold() == "kenya"


def _credit_fields(move: dict[str, Any], source: str, mapping: Mapping, options: Any, where: str) -> dict[str, Any]:
    fields: dict[str, Any] = {"refund_reason": refund_reason(move.get("ref"), mapping, options.refund_reason)}
    original = move.get("reversed_entry")
    if original:
        fields["original"] = DocumentRef(source=source, external_id=str(original[0]), number=str(original[1]))
    return fields


def refund_reason(ref: str | None, mapping: Mapping, default: str) -> str:
    """The [refund_reasons] key for a credit note: its reason text (after "Reversal of: INV/…, "), the longest
    mapping key found inside that text, or the configured default."""
    reason = REVERSAL_PREFIX.sub("", ref or "", count=1).strip() if ref else ""
    if reason:
        try:
            mapping.refund_reason(reason)
            return reason
        except MappingError:
            pass
        folded = reason.casefold()
        keys = sorted(mapping.tables.refund_reasons, key=len, reverse=True)
        for key in keys:
            if len(key) > 2 and re.search(rf"\b{re.escape(key.casefold())}\b", folded):
                return key
    return default
