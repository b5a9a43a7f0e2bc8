"""What QBO does to an Invoice/CreditMemo/Bill (or list entity) on save: validation, defaults, references, totals.

Assumptions (not in the spec or samples): unknown references → 2500 "Invalid Reference Id"; a missing CustomerRef or
Line → 2020; a global-model line without TaxCodeRef → 6000 (the AU "Make sure all your transactions have a GST
rate" business error); DocNumber auto-numbered from 1001 when absent; TxnDate defaults to today in the company's
time zone and DueDate to TxnDate; a foreign currency without ExchangeRate uses the realm's table (default 1).
Empty strings the library's full `save()` sends for dates/totals (`DueDate ""`, `TotalAmt ""`) count as absent.
Bills and Vendors (the spec and samples have none; shapes as python-quickbooks models them, objects/bill.py and
vendor.py): a Bill needs a VendorRef and Line; its ItemBasedExpenseLineDetail lines an Item and, in a global
company, a TaxCodeRef (as sales lines); an AccountBasedExpenseLineDetail line an AccountRef (accounts are not
checked: the fake has no Account entity). DocNumber ("Bill no.") is never assigned by QBO. A Vendor needs a
DisplayName; its TaxIdentifier is kept masked to its last four characters ("XXXXXXX345B"), as QBO answers it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import faults
from .builders import CURRENCY_NAMES, number_lines
from .tax import bill_lines, compute_bill_totals, compute_totals, sales_lines

if TYPE_CHECKING:
    from .realm import Realm

TRANSACTIONS = {"Invoice", "CreditMemo"}
BILLS = {"Bill"}
MASK_KEEPS = 4  # characters of a Vendor's TaxIdentifier QBO shows
COMPUTED = {"TotalAmt", "Balance", "HomeTotalAmt", "HomeBalance", "RemainingCredit", "TxnTaxDetail"}
DOC_NUMBER_MAX = 21
PRIVATE_NOTE_MAX = 4000
CUSTOMER_MEMO_MAX = 1000


def _blank(value: Any) -> bool:
    return value == "" or value is None


def prepare(realm: Realm, entity: str, obj: dict) -> dict:
    """Validate and complete `obj` in place as QBO would on create or update; returns it."""
    for key in [key for key, value in obj.items() if _blank(value)]:
        del obj[key]
    obj.setdefault("domain", "QBO")
    obj["sparse"] = False
    if entity == "Customer":
        if not obj.get("DisplayName"):
            raise faults.required_param("DisplayName")
        obj.setdefault("FullyQualifiedName", obj["DisplayName"])
        obj.setdefault("Active", True)
    elif entity == "Item":
        if not obj.get("Name"):
            raise faults.required_param("Name")
        obj.setdefault("FullyQualifiedName", obj["Name"])
        obj.setdefault("Active", True)
    elif entity == "Vendor":
        if not obj.get("DisplayName"):
            raise faults.required_param("DisplayName")
        obj.setdefault("Active", True)
        obj.setdefault("PrintOnCheckName", obj["DisplayName"])
        if obj.get("TaxIdentifier") and not str(obj["TaxIdentifier"]).startswith("X"):
            value = str(obj["TaxIdentifier"])
            obj["TaxIdentifier"] = "X" * max(0, len(value) - MASK_KEEPS) + value[-MASK_KEEPS:]
    elif entity in TRANSACTIONS:
        _prepare_transaction(realm, entity, obj)
    elif entity in BILLS:
        _prepare_bill(realm, obj)
    return obj


def _prepare_bill(realm: Realm, doc: dict) -> None:
    for key in COMPUTED & doc.keys():
        if key != "TxnTaxDetail":
            del doc[key]
    vendor = _resolve(realm, "Vendor", doc.get("VendorRef"), "VendorRef")
    doc["VendorRef"] = {"value": vendor["Id"], "name": vendor["DisplayName"]}
    if not doc.get("Line"):
        raise faults.required_param("Line")
    doc.setdefault("GlobalTaxCalculation", "TaxExcluded")
    doc.setdefault("APAccountRef", {"value": "33", "name": "Accounts Payable (A/P)"})
    for line in bill_lines(doc["Line"]):
        kind = line["DetailType"]
        detail = line.get(kind) or {}
        line[kind] = detail
        _drop_library_defaults(detail)
        for key in [key for key, value in detail.items() if value is None]:
            del detail[key]
        if kind == "ItemBasedExpenseLineDetail":
            item = _resolve(realm, "Item", detail.get("ItemRef"), "ItemRef")
            detail["ItemRef"] = {"value": item["Id"], "name": item["Name"]}
        elif not (detail.get("AccountRef") or {}).get("value"):
            raise faults.required_param("AccountRef")
        code = (detail.get("TaxCodeRef") or {}).get("value")
        if code is None and doc["GlobalTaxCalculation"] != "NotApplicable":
            raise faults.business_validation(
                "Business Validation Error: Make sure all your transactions have a VAT rate before you save."
            )
        if code is not None and code not in realm.tax_rates:
            raise faults.invalid_reference("TaxCodeRef", code)
    _check_length(doc.get("DocNumber"), DOC_NUMBER_MAX, "DocNumber")
    _check_length(doc.get("PrivateNote"), PRIVATE_NOTE_MAX, "PrivateNote")
    today = realm.clock.now().astimezone(realm.timezone).date().isoformat()
    doc.setdefault("TxnDate", today)
    doc.setdefault("DueDate", doc["TxnDate"])
    currency = (doc.get("CurrencyRef") or {}).get("value") or realm.home_currency
    doc["CurrencyRef"] = {"value": currency, "name": CURRENCY_NAMES.get(currency, currency)}
    if str(doc.get("ExchangeRate", "")) in {"0", "0.0", "0.00"}:
        del doc["ExchangeRate"]  # python-quickbooks' Bill sends ExchangeRate 0 on every save
    if currency != realm.home_currency:
        doc.setdefault("ExchangeRate", realm.exchange_rates.get(currency, 1))
    else:
        doc.pop("ExchangeRate", None)
    doc.setdefault("LinkedTxn", [])
    number_lines(doc["Line"])
    compute_bill_totals(doc, realm.tax_rates, home_currency=realm.home_currency)


def _resolve(realm: Realm, entity: str, ref: dict | None, element: str) -> dict:
    if not ref or _blank(ref.get("value")):
        raise faults.required_param(element)
    target = realm.live(entity, str(ref["value"]))
    if target is None:
        raise faults.invalid_reference(element, str(ref["value"]))
    return target


def _prepare_transaction(realm: Realm, entity: str, doc: dict) -> None:
    for key in COMPUTED & doc.keys():
        if key != "TxnTaxDetail":
            del doc[key]
    customer = _resolve(realm, "Customer", doc.get("CustomerRef"), "CustomerRef")
    doc["CustomerRef"] = {"value": customer["Id"], "name": customer["DisplayName"]}
    if not doc.get("Line"):
        raise faults.required_param("Line")
    us_model = realm.tax_model == "us"
    if us_model:
        doc.pop("GlobalTaxCalculation", None)
    else:
        doc.setdefault("GlobalTaxCalculation", "TaxExcluded")
        (doc.get("TxnTaxDetail") or {}).pop("TxnTaxCodeRef", None)
    for line in sales_lines(doc["Line"]):
        detail = line["SalesItemLineDetail"]
        _drop_library_defaults(detail)
        item = _resolve(realm, "Item", detail.get("ItemRef"), "ItemRef")
        detail["ItemRef"] = {"value": item["Id"], "name": item["Name"]}
        code = (detail.get("TaxCodeRef") or {}).get("value")
        if code is None and not us_model and doc["GlobalTaxCalculation"] != "NotApplicable":
            raise faults.business_validation(
                "Business Validation Error: Make sure all your transactions have a VAT rate before you save."
            )
        if code is not None and not us_model and code not in realm.tax_rates:
            raise faults.invalid_reference("TaxCodeRef", code)
    _check_length(doc.get("DocNumber"), DOC_NUMBER_MAX, "DocNumber")
    _check_length(doc.get("PrivateNote"), PRIVATE_NOTE_MAX, "PrivateNote")
    _check_length((doc.get("CustomerMemo") or {}).get("value"), CUSTOMER_MEMO_MAX, "CustomerMemo")
    if "DocNumber" not in doc:
        doc["DocNumber"] = realm.next_doc_number(entity)
    elif realm.unique_doc_numbers and realm.doc_number_taken(entity, doc["DocNumber"], doc.get("Id")):
        raise faults.duplicate_doc_number()
    today = realm.clock.now().astimezone(realm.timezone).date().isoformat()
    doc.setdefault("TxnDate", today)
    if entity == "Invoice":
        doc.setdefault("DueDate", doc["TxnDate"])
    currency = (doc.get("CurrencyRef") or {}).get("value") or realm.home_currency
    doc["CurrencyRef"] = {"value": currency, "name": CURRENCY_NAMES.get(currency, currency)}
    if currency != realm.home_currency:
        doc.setdefault("ExchangeRate", realm.exchange_rates.get(currency, 1))
    else:
        doc.pop("ExchangeRate", None)
    doc["CustomField"] = realm.custom_fields_for(doc.get("CustomField", []))
    doc.setdefault("LinkedTxn", [])
    doc.setdefault("PrintStatus", "NotSet")
    doc.setdefault("EmailStatus", "NotSet")
    number_lines(doc["Line"])
    compute_totals(doc, realm.tax_rates, us_rates=realm.us_tax_rates if us_model else None,
                   home_currency=realm.home_currency)  # fmt: skip
    if entity == "CreditMemo":
        doc["RemainingCredit"] = doc["TotalAmt"]


def _drop_library_defaults(detail: dict) -> None:
    """python-quickbooks' full save sends `ServiceDate ""` and `TaxInclusiveAmt 0` on every line: not values."""
    for key in [key for key, value in detail.items() if value == ""]:
        del detail[key]
    if "TaxInclusiveAmt" in detail and str(detail["TaxInclusiveAmt"]) in {"0", "0.0", "0.00"}:
        del detail["TaxInclusiveAmt"]


def _check_length(value: str | None, limit: int, element: str) -> None:
    if value is not None and len(str(value)) > limit:
        raise faults.too_long(element, limit)


def voided(doc: dict) -> dict:
    """A voided transaction as this fake shows it (assumption; the spec marks the detail unverified): amounts and
    quantities zeroed, tax gone, DocNumber, lines and items kept, PrivateNote "Voided"."""
    for line in doc.get("Line", []):
        line["Amount"] = 0
        for inner in sales_lines([line]):
            inner["Amount"] = 0
            inner["SalesItemLineDetail"]["Qty"] = 0
            inner["SalesItemLineDetail"].pop("TaxInclusiveAmt", None)
    doc["TxnTaxDetail"] = {"TotalTax": 0}
    for key in ("TotalAmt", "Balance", "HomeTotalAmt", "HomeBalance", "RemainingCredit"):
        if key in doc or key in {"TotalAmt", "Balance"}:
            doc[key] = 0
    doc["PrivateNote"] = "Voided"
    return doc
