"""A QuickBooks Invoice or CreditMemo (raw v3 JSON plus what the adapter looked up) → the canonical Invoice.

`content` (what `fetch_new`/`fetch_changed` put in SourceDocument.content):
    {"entity": "Invoice" | "CreditMemo", "doc": <QBO JSON>, "customer": <Customer JSON or None>,
     "items": {Item Id: {"Name", "Sku", "Type"}}, "tax_rates": {TaxCode Id: percent},
     "original": {"Id", "DocNumber"} | None, "original_asked": <the invoice number the memo names, or None>}

Rules (docs/quickbooks.md has the user's version):
- Tax: the global (non-US) model only. Line `TaxCodeRef` Ids → [taxes]; `NotApplicable` documents use the key
  `not_applicable_tax_code`. TaxExcluded → VAT-exclusive prices (line Amount); TaxInclusive → VAT-inclusive
  (TaxInclusiveAmt). The US model (TAX/NON codes, TxnTaxCodeRef) is refused with a clear message.
- Lines: SalesItemLineDetail, bundles (GroupLineDetail) expanded; SubTotal and DescriptionOnly skipped; a
  document DiscountLineDetail is split over the lines (amounts.largest_remainder) and shown as the line's
  discount percent when that is exact to the cent, else folded into the unit price.
- Not derived from anything the connector writes back (PrivateNote, CustomerMemo, its custom fields), so a
  write-back never changes the content hash and never causes a resend.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from connector.clock import EAT
from connector.errors import DocumentError
from connector.models import Invoice
from plugins.quickbooks.amounts import HUNDRED, discount_as_percent, largest_remainder, price_for
from plugins.quickbooks.config import QuickBooksConfig

PIN = re.compile(r"^[A-Z]\d{9}[A-Z]$")
NOTES_PIN = re.compile(r"KRA\s*PIN\s*[:=#-]?\s*([A-Za-z0-9]+)", re.IGNORECASE)
US_CODES = {"TAX", "NON"}
SKIPPED_LINES = {"SubTotalLineDetail", "DescriptionOnly", "DescriptionLineDetail"}


def dec(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else Decimal(0)


def custom_field(doc: dict[str, Any], name: str | None) -> str | None:
    if not name:
        return None
    for entry in doc.get("CustomField") or []:
        if (entry.get("Name") or "").strip().casefold() == name.strip().casefold():
            value = (entry.get("StringValue") or "").strip()
            return value or None
    return None


def is_deleted(doc: dict[str, Any]) -> bool:
    return doc.get("status") == "Deleted"


def is_voided(doc: dict[str, Any]) -> bool:
    return dec(doc.get("TotalAmt")) == 0 and (doc.get("PrivateNote") or "").startswith("Voided")


def document_label(content: dict[str, Any]) -> str:
    doc = content["doc"]
    kind = "credit memo" if content["entity"] == "CreditMemo" else "invoice"
    return f"{kind} {doc.get('DocNumber') or doc.get('Id')}"


class Converter:
    def __init__(self, config: QuickBooksConfig, source_name: str) -> None:
        self.config = config
        self.source_name = source_name

    def to_invoice(self, content: dict[str, Any]) -> Invoice:
        doc = content["doc"]
        label = document_label(content)
        if is_deleted(doc):
            raise DocumentError("deleted in QuickBooks: not sent to KRA", document=label, field="status",
                                value="Deleted")  # fmt: skip
        if content.get("voided") or is_voided(doc):
            raise DocumentError("voided in QuickBooks: not sent to KRA", document=label, field="PrivateNote",
                                value="Voided")  # fmt: skip
        mode = self._tax_mode(doc, label)
        kind = "credit_note" if content["entity"] == "CreditMemo" else "invoice"
        fields: dict[str, Any] = {
            "source": self.source_name,
            "external_id": str(doc["Id"]),
            "number": str(doc.get("DocNumber") or doc["Id"]),
            "kind": kind,
            "issued_at": self._issued_at(doc, label),
            "lines": self._lines(content, mode, label),
            "buyer": self._buyer(content, label),
            "payment_method": (doc.get("PaymentMethodRef") or {}).get("name"),
            **self._currency(doc, label),
        }
        if kind == "credit_note":
            fields["original"] = self._original(content, label)
            reason = custom_field(doc, self.config.refund_reason_field) or self.config.default_refund_reason
            fields["refund_reason"] = reason
        if "erp_totals" in Invoice.model_fields:
            total, tax = dec(doc.get("TotalAmt")), dec((doc.get("TxnTaxDetail") or {}).get("TotalTax"))
            fields["erp_totals"] = {"untaxed": total - tax, "tax": tax, "total": total}
        try:
            return Invoice.model_validate(fields)
        except ValueError as exc:  # pydantic's ValidationError
            raise DocumentError(f"not a valid document: {exc}", document=label) from None

    # ------------------------------------------------------------ header

    def _tax_mode(self, doc: dict[str, Any], label: str) -> str:
        txn_code = (doc.get("TxnTaxDetail") or {}).get("TxnTaxCodeRef")
        codes = {(line.get("SalesItemLineDetail") or {}).get("TaxCodeRef", {}).get("value") for line in _sales(doc)}
        if txn_code or "GlobalTaxCalculation" not in doc or codes & US_CODES:
            message = ("uses QuickBooks' US sales-tax model (TAX/NON codes): KRA VAT needs a non-US QuickBooks "
                       "company whose tax codes are VAT rates")  # fmt: skip
            raise DocumentError(message, document=label, field="GlobalTaxCalculation",
                                value=doc.get("GlobalTaxCalculation"))  # fmt: skip
        mode = doc["GlobalTaxCalculation"]
        if mode not in ("TaxExcluded", "TaxInclusive", "NotApplicable"):
            raise DocumentError("unknown tax calculation", document=label, field="GlobalTaxCalculation", value=mode)
        return str(mode)

    def _issued_at(self, doc: dict[str, Any], label: str) -> datetime:
        try:
            day = date.fromisoformat(str(doc["TxnDate"]))
        except (KeyError, ValueError):
            raise DocumentError(
                "has no valid date", document=label, field="TxnDate", value=doc.get("TxnDate")
            ) from None
        created = (doc.get("MetaData") or {}).get("CreateTime")
        if created:
            at = datetime.fromisoformat(created).astimezone(EAT)
            if at.date() == day:
                return at
        return datetime.combine(day, time(12, 0), EAT)  # backdated: noon of the document date

    def _currency(self, doc: dict[str, Any], label: str) -> dict[str, Any]:
        currency = (doc.get("CurrencyRef") or {}).get("value") or self.config.home_currency
        if currency == "KES":
            return {"currency": "KES", "exchange_rate": Decimal(1)}
        rate = doc.get("ExchangeRate")
        if self.config.home_currency != "KES" or rate is None or dec(rate) <= 0:
            message = "is in a foreign currency but QuickBooks gives no KES exchange rate for it"
            raise DocumentError(message, document=label, field="ExchangeRate", value=rate)
        return {"currency": currency, "exchange_rate": dec(rate)}

    def _buyer(self, content: dict[str, Any], label: str) -> dict[str, Any]:
        doc, customer = content["doc"], content.get("customer") or {}
        name = customer.get("DisplayName") or (doc.get("CustomerRef") or {}).get("name") or ""
        pin, field = custom_field(doc, self.config.buyer_pin_field), f"CustomField {self.config.buyer_pin_field!r}"
        if pin is None:
            found = NOTES_PIN.search(customer.get("Notes") or "")
            pin, field = (found.group(1) if found else None), "Customer.Notes (KRA PIN: …)"
        if pin is not None:
            pin = pin.strip().upper()
            if not PIN.match(pin):
                message = "buyer KRA PIN is not a letter, 9 digits and a letter"
                raise DocumentError(message, document=label, field=field, value=pin)
        email = (doc.get("BillEmail") or {}).get("Address") or (customer.get("PrimaryEmailAddr") or {}).get("Address")
        if not name.strip():
            raise DocumentError("has no customer name", document=label, field="CustomerRef")
        return {"name": name, "pin": pin, "email": email}

    def _original(self, content: dict[str, Any], label: str) -> dict[str, Any]:
        original = content.get("original")
        if original:
            return {"source": self.source_name, "external_id": str(original["Id"]),
                    "number": str(original.get("DocNumber") or original["Id"])}  # fmt: skip
        asked, field = content.get("original_asked"), self.config.original_invoice_field
        if asked:
            message = f"names original invoice {asked!r}, which QuickBooks does not have"
            raise DocumentError(message, document=label, field=f"CustomField {field!r}", value=asked)
        where = f" or type the original invoice number into its custom field {field!r}" if field else ""
        message = f"does not say which invoice it corrects: link it to the invoice (LinkedTxn){where}"
        raise DocumentError(message, document=label, field=f"CustomField {field!r}" if field else "LinkedTxn")

    # ------------------------------------------------------------ lines

    def _lines(self, content: dict[str, Any], mode: str, label: str) -> list[dict[str, Any]]:
        doc = content["doc"]
        for line in doc.get("Line") or []:
            kind = line.get("DetailType")
            if kind not in SKIPPED_LINES | {"SalesItemLineDetail", "GroupLineDetail", "DiscountLineDetail"}:
                raise DocumentError("has a line of a kind the connector cannot send", document=label,
                                    field="Line.DetailType", value=kind)  # fmt: skip
        inclusive = mode == "TaxInclusive"
        sales = list(_sales(doc))
        if not sales:
            raise DocumentError("has no sales lines", document=label, field="Line")
        bases = [self._base(line, inclusive, label, n) for n, line in enumerate(sales, 1)]
        discount, percent = _discount(doc)
        shares = largest_remainder(discount, bases)
        return [
            self._line(content, line, n, mode, base, base - share, percent)
            for n, (line, base, share) in enumerate(zip(sales, bases, shares, strict=True), 1)
        ]

    def _base(self, line: dict[str, Any], inclusive: bool, label: str, n: int) -> Decimal:
        if not inclusive:
            return dec(line.get("Amount"))
        gross = (line.get("SalesItemLineDetail") or {}).get("TaxInclusiveAmt")
        if gross is None:
            raise DocumentError("is TaxInclusive but the line has no TaxInclusiveAmt", document=label, line=n,
                                field="SalesItemLineDetail.TaxInclusiveAmt")  # fmt: skip
        return dec(gross)

    def _line(self, content: dict[str, Any], line: dict[str, Any], n: int, mode: str, base: Decimal,
              target: Decimal, percent: Decimal | None) -> dict[str, Any]:  # fmt: skip
        detail = line.get("SalesItemLineDetail") or {}
        quantity = dec(detail["Qty"]) if detail.get("Qty") not in (None, 0) else Decimal(1)
        listed = dec(detail["UnitPrice"]) if "UnitPrice" in detail and mode != "TaxInclusive" else None
        shown = discount_as_percent(base, target, percent) if target != base else None
        if shown is not None:
            unit_price, discount = price_for(base, quantity, listed), shown
        else:
            unit_price, discount = price_for(target, quantity, listed if target == base else None), Decimal(0)
        item_ref = detail.get("ItemRef") or {}
        item = (content.get("items") or {}).get(str(item_ref.get("value"))) or {}
        name = item.get("Name") or item_ref.get("name") or f"Item {item_ref.get('value')}"
        return {
            "line_id": str(line.get("Id")) if line.get("Id") is not None else None,
            "item": {
                "code": str(item.get("Sku") or item_ref.get("value") or name),
                "name": name,
                "category": item.get("Type"),
            },
            "description": line.get("Description") or name,
            "quantity": quantity,
            "unit": self.config.default_unit,
            "unit_price": unit_price,
            "price_includes_vat": mode == "TaxInclusive",
            "discount_percent": discount,
            "taxes": [self._tax(content, detail, mode, n)],
        }

    def _tax(self, content: dict[str, Any], detail: dict[str, Any], mode: str, n: int) -> dict[str, Any]:
        if mode == "NotApplicable":
            return {"code": self.config.not_applicable_tax_code, "rate": Decimal(0)}
        code = (detail.get("TaxCodeRef") or {}).get("value")
        if not code:
            raise DocumentError("line has no tax code", document=document_label(content), line=n,
                                field="SalesItemLineDetail.TaxCodeRef")  # fmt: skip
        rate = (content.get("tax_rates") or {}).get(str(code))
        return {"code": str(code), "rate": dec(rate) if rate is not None else None}


def _sales(doc: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for line in doc.get("Line") or []:
        if line.get("DetailType") == "SalesItemLineDetail":
            found.append(line)
        elif line.get("DetailType") == "GroupLineDetail":
            inner = (line.get("GroupLineDetail") or {}).get("Line") or []
            found.extend(item for item in inner if item.get("DetailType") == "SalesItemLineDetail")
    return found


def _discount(doc: dict[str, Any]) -> tuple[Decimal, Decimal | None]:
    """The document discount (sum of DiscountLineDetail Amounts) and its percent when there is one such line."""
    lines = [line for line in doc.get("Line") or [] if line.get("DetailType") == "DiscountLineDetail"]
    total = sum((abs(dec(line.get("Amount"))) for line in lines), Decimal(0))
    percent = None
    if len(lines) == 1 and (lines[0].get("DiscountLineDetail") or {}).get("PercentBased"):
        percent = dec(lines[0]["DiscountLineDetail"].get("DiscountPercent"))
    return total, (percent if percent is not None and 0 < percent < HUNDRED else None)
