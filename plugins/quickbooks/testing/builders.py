"""Builders of QBO entities in the exact JSON shapes of the recorded samples (amounts as Decimal).

A builder's dict can be stored with `Realm.add` (as if a bookkeeper had typed it in QBO) or sent through the API.
Assumptions: the Kenyan TaxCode/TaxRate Ids are the SYNTHESIZED set of samples/taxcode-taxrate.samples.json;
tax arithmetic is `tax.compute_totals` (see its docstring); Customer has no PIN field readable through the API
(PrimaryTaxIdentifier is masked), so `pin=` writes it where Kenyan bookkeepers would: `ResaleNum` is too short, so
it goes to the customer's `Notes` as "KRA PIN: P051234567X" (a convention the adapter may read; documented here).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from .tax import Rate, compute_bill_totals, compute_totals, dec

KENYA_TAX: dict[str, Rate] = {
    "21": Rate("11", Decimal(16)),
    "22": Rate("12", Decimal(8)),
    "23": Rate("13", Decimal(0)),
    "24": Rate("14", Decimal(0)),
}
_KENYA_NAMES = {
    "21": ("VAT 16%", "VAT 16% (sales)", "NONE"),
    "22": ("VAT 8%", "VAT 8% (sales)", "NONE"),
    "23": ("Zero-rated", "Zero-rated (sales)", "ZERO_RATE"),
    "24": ("Exempt", "Exempt (sales)", "NONE"),
}
CURRENCY_NAMES = {
    "KES": "Kenyan Shilling",
    "USD": "United States Dollar",
    "EUR": "Euro",
    "GBP": "British Pound Sterling",
}


def make_tax_code(
    code_id: str, name: str, rate_id: str, rate_name: str, percent: Decimal | str | int, special: str = "NONE"
) -> tuple[dict, dict]:
    """A sales TaxCode with one TaxRate, shaped like the samples."""
    tax_rate = {
        "Id": rate_id,
        "Name": rate_name,
        "RateValue": dec(percent),
        "Active": True,
        "AgencyRef": {"value": "1"},
        "SpecialTaxType": special,
        "DisplayType": "ReadOnly",
    }
    detail = {"TaxRateRef": {"value": rate_id, "name": rate_name}, "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0}
    tax_code = {
        "Id": code_id,
        "Name": name,
        "Description": name,
        "Active": True,
        "Taxable": True,
        "TaxGroup": False,
        "SalesTaxRateList": {"TaxRateDetail": [detail]},
        "PurchaseTaxRateList": {"TaxRateDetail": []},
    }
    return tax_code, tax_rate


def kenya_tax_entities() -> tuple[list[dict], list[dict]]:
    """TaxCodes 21–24 and TaxRates 11–14 (16 %, 8 %, zero-rated, exempt)."""
    codes, rates = [], []
    for code_id, rate in KENYA_TAX.items():
        name, rate_name, special = _KENYA_NAMES[code_id]
        tax_code, tax_rate = make_tax_code(code_id, name, rate.rate_id, rate_name, rate.percent, special)
        codes.append(tax_code)
        rates.append(tax_rate)
    return codes, rates


def _ref(value: str, name: str | None = None) -> dict:
    return {"value": value, "name": name} if name is not None else {"value": value}


def make_customer(
    display_name: str,
    *,
    id: str | None = None,
    currency: str = "KES",
    email: str | None = None,
    pin: str | None = None,
    tax_code: str | None = None,
    company_name: str | None = None,
) -> dict:
    customer: dict[str, Any] = {
        "Taxable": tax_code is not None,
        "Job": False,
        "BillWithParent": False,
        "Balance": Decimal(0),
        "BalanceWithJobs": Decimal(0),
        "CurrencyRef": _ref(currency, CURRENCY_NAMES.get(currency, currency)),
        "PreferredDeliveryMethod": "Print",
        "IsProject": False,
        "domain": "QBO",
        "sparse": False,
        "GivenName": display_name.split()[0],
        "FullyQualifiedName": display_name,
        "CompanyName": company_name or display_name,
        "DisplayName": display_name,
        "PrintOnCheckName": company_name or display_name,
        "Active": True,
    }
    if id is not None:
        customer["Id"] = id
    if email:
        customer["PrimaryEmailAddr"] = {"Address": email}
    if pin:
        customer["Notes"] = f"KRA PIN: {pin}"
    if tax_code:
        customer["DefaultTaxCodeRef"] = _ref(tax_code)
    return customer


def make_item(
    name: str,
    *,
    id: str | None = None,
    type: str = "Service",
    sku: str | None = None,
    unit_price: Decimal | str | int = 0,
    tax_code: str | None = "21",
    description: str | None = None,
    tax_included: bool = False,
    qty_on_hand: Decimal | str | int = 100,
    purchase_cost: Decimal | str | int = 0,
) -> dict:
    """An Item like item-19.get.us-sandbox.json; Inventory items track quantity on hand (`qty_on_hand`, bought at
    `purchase_cost`), like the Inventory item of item.query-response.us-sandbox.json."""
    if type not in {"Service", "Inventory", "NonInventory", "Group", "Category"}:
        raise ValueError(f"unknown item type {type!r}")
    item: dict[str, Any] = {
        "Name": name,
        "Description": description or name,
        "Active": True,
        "FullyQualifiedName": name,
        "Taxable": tax_code is not None,
        "SalesTaxIncluded": tax_included,
        "UnitPrice": dec(unit_price),
        "Type": type,
        "IncomeAccountRef": _ref("79", "Sales of Product Income"),
        "PurchaseCost": dec(purchase_cost),
        "TrackQtyOnHand": type == "Inventory",
        "domain": "QBO",
        "sparse": False,
    }
    if type == "Inventory":
        item.update(QtyOnHand=dec(qty_on_hand), InvStartDate="2026-01-01",
                    AssetAccountRef=_ref("81", "Inventory Asset"))  # fmt: skip
    if id is not None:
        item["Id"] = id
    if sku is not None:
        item["Sku"] = sku
    if tax_code is not None:
        item["SalesTaxCodeRef"] = _ref(tax_code)
    return item


def sales_line(
    item: Mapping[str, Any],
    qty: Decimal | str | int | None,
    unit_price: Decimal | str | int | None = None,
    *,
    tax_code: str | None = None,
    description: str | None = None,
    service_date: date | str | None = None,
    gross: Decimal | str | int | None = None,
    amount: Decimal | str | int | None = None,
) -> dict:
    """A SalesItemLineDetail line. `gross` = line total including tax (TaxInclusive documents); `amount` without
    qty/unit price gives a line like Intuit's sample 239."""
    detail: dict[str, Any] = {"ItemRef": _ref(str(item.get("Id", "")), item.get("Name"))}
    if qty is not None:
        price = item.get("UnitPrice", 0) if unit_price is None else unit_price
        detail["UnitPrice"] = dec(price)
        detail["Qty"] = dec(qty)
    detail["ItemAccountRef"] = _ref("79", "Sales of Product Income")
    code = tax_code or (item.get("SalesTaxCodeRef") or {}).get("value")
    if code is not None:
        detail["TaxCodeRef"] = _ref(code)
    if service_date is not None:
        detail["ServiceDate"] = str(service_date)
    if gross is not None:
        detail["TaxInclusiveAmt"] = dec(gross)
    line: dict[str, Any] = {"Description": description or item.get("Description") or item.get("Name", "")}
    if amount is not None:
        line["Amount"] = dec(amount)
    line.update(DetailType="SalesItemLineDetail", SalesItemLineDetail=detail)
    return line


def discount_line(amount: Decimal | str | int | None = None, *, percent: Decimal | str | int | None = None) -> dict:
    """A document-level DiscountLineDetail, by amount or by percent."""
    if (amount is None) == (percent is None):
        raise ValueError("give exactly one of amount or percent")
    detail: dict[str, Any] = {"PercentBased": percent is not None}
    if percent is not None:
        detail["DiscountPercent"] = dec(percent)
    detail["DiscountAccountRef"] = _ref("86", "Discounts given")
    return {"Amount": dec(amount if amount is not None else 0), "DetailType": "DiscountLineDetail",
            "DiscountLineDetail": detail}  # fmt: skip


def group_line(group_item: Mapping[str, Any], lines: list[dict], qty: Decimal | str | int = 1) -> dict:
    """A GroupLineDetail bundle holding its component sales lines."""
    detail = {"GroupItemRef": _ref(str(group_item.get("Id", "")), group_item.get("Name")), "Quantity": dec(qty),
              "Line": [copy.deepcopy(line) for line in lines]}  # fmt: skip
    return {"Description": group_item.get("Description") or group_item.get("Name", ""),
            "DetailType": "GroupLineDetail", "GroupLineDetail": detail}  # fmt: skip


def description_line(text: str) -> dict:
    return {"Description": text, "DetailType": "DescriptionOnly", "DescriptionLineDetail": {}}


def number_lines(lines: list[dict]) -> None:
    """Give lines without an Id the next Id and LineNum (the SubTotal line never gets one)."""
    used = [int(line["Id"]) for line in lines if str(line.get("Id", "")).isdigit()]
    next_id = max(used, default=0) + 1
    for line in lines:
        if line.get("DetailType") == "SubTotalLineDetail":
            continue
        if "Id" not in line:
            line["Id"] = str(next_id)
            next_id += 1
        line["LineNum"] = int(line["Id"])
        for inner in line.get("GroupLineDetail", {}).get("Line", []):
            if "Id" not in inner:
                inner["Id"] = str(next_id)
                next_id += 1
            inner["LineNum"] = int(inner["Id"])
    lines.sort(key=lambda line: (line.get("DetailType") == "SubTotalLineDetail", int(line.get("LineNum", 0))))


def custom_field_values(values: Mapping[str | int, str] | None) -> list[dict]:
    """{definition id or name: value} → CustomField entries; names resolved by the realm on save."""
    entries = []
    for key, value in (values or {}).items():
        key_text = str(key)
        entry = {"DefinitionId": key_text} if key_text.isdigit() else {"Name": key_text}
        entry.update(Type="StringType", StringValue=value)
        entries.append(entry)
    return entries


def _transaction(
    customer: Mapping[str, Any],
    lines: list[dict],
    *,
    tax_calculation: str | None,
    doc_number: str | None,
    txn_date: date | str | None,
    currency: str | None,
    exchange_rate: Decimal | str | int | None,
    custom_fields: Mapping[str | int, str] | None,
    linked_txn: list[dict] | None,
    private_note: str | None,
    customer_memo: str | None,
    tax_rates: Mapping[str, Rate] | None,
    us_tax: tuple[str, str, Decimal | str | int] | None,
    home_currency: str,
) -> dict:
    doc: dict[str, Any] = {"domain": "QBO", "sparse": False, "CustomField": custom_field_values(custom_fields)}
    if doc_number is not None:
        doc["DocNumber"] = doc_number
    if txn_date is not None:
        doc["TxnDate"] = str(txn_date)
    currency = currency or (customer.get("CurrencyRef") or {}).get("value") or home_currency
    doc["CurrencyRef"] = _ref(currency, CURRENCY_NAMES.get(currency, currency))
    if exchange_rate is not None:
        doc["ExchangeRate"] = dec(exchange_rate)
    if private_note is not None:
        doc["PrivateNote"] = private_note
    doc["LinkedTxn"] = list(linked_txn or [])
    doc["Line"] = [copy.deepcopy(line) for line in lines]
    number_lines(doc["Line"])
    doc["CustomerRef"] = _ref(str(customer.get("Id", "")), customer.get("DisplayName"))
    if customer_memo is not None:
        doc["CustomerMemo"] = {"value": customer_memo}
    us_rates = None
    if us_tax is not None:
        txn_code, rate_id, percent = us_tax
        doc["TxnTaxDetail"] = {"TxnTaxCodeRef": {"value": txn_code}}
        doc["ApplyTaxAfterDiscount"] = False
        us_rates = {txn_code: Rate(rate_id, dec(percent))}
    else:
        doc["GlobalTaxCalculation"] = tax_calculation or "TaxExcluded"
    compute_totals(doc, tax_rates or KENYA_TAX, us_rates=us_rates, home_currency=home_currency)
    doc["PrintStatus"] = "NotSet"
    doc["EmailStatus"] = "NotSet"
    return doc


def make_invoice(
    customer: Mapping[str, Any],
    lines: list[dict],
    *,
    tax_calculation: str | None = "TaxExcluded",
    doc_number: str | None = None,
    txn_date: date | str | None = None,
    due_date: date | str | None = None,
    currency: str | None = None,
    exchange_rate: Decimal | str | int | None = None,
    custom_fields: Mapping[str | int, str] | None = None,
    linked_txn: list[dict] | None = None,
    private_note: str | None = None,
    customer_memo: str | None = None,
    tax_rates: Mapping[str, Rate] | None = None,
    us_tax: tuple[str, str, Decimal | str | int] | None = None,
    home_currency: str = "KES",
) -> dict:
    """An Invoice computed like QBO (lines, SubTotal, TxnTaxDetail, TotalAmt, Balance). `us_tax` =
    (TxnTaxCodeRef, TaxRateRef, percent) selects the US tax model (lines coded TAX/NON)."""
    doc = _transaction(
        customer, lines, tax_calculation=tax_calculation, doc_number=doc_number, txn_date=txn_date,
        currency=currency, exchange_rate=exchange_rate, custom_fields=custom_fields, linked_txn=linked_txn,
        private_note=private_note, customer_memo=customer_memo, tax_rates=tax_rates, us_tax=us_tax,
        home_currency=home_currency,
    )  # fmt: skip
    if due_date is not None:
        doc["DueDate"] = str(due_date)
    doc.update(AllowIPNPayment=False, AllowOnlinePayment=False, AllowOnlineCreditCardPayment=False,
               AllowOnlineACHPayment=False, Deposit=Decimal(0))  # fmt: skip
    return doc


def make_credit_memo(customer: Mapping[str, Any], lines: list[dict], **options: Any) -> dict:
    """A CreditMemo (same lines and tax as an invoice, plus RemainingCredit; no DueDate or Deposit)."""
    options.pop("due_date", None)
    options.setdefault("tax_calculation", "TaxExcluded")
    options.setdefault("home_currency", "KES")
    for name in ("doc_number", "txn_date", "currency", "exchange_rate", "custom_fields", "linked_txn",
                 "private_note", "customer_memo", "tax_rates", "us_tax"):  # fmt: skip
        options.setdefault(name, None)
    doc = _transaction(customer, lines, **options)
    doc["RemainingCredit"] = doc["TotalAmt"]
    return doc


def make_vendor(
    display_name: str,
    *,
    id: str | None = None,
    acct_num: str | None = None,
    tax_identifier: str | None = None,
    currency: str = "KES",
    company_name: str | None = None,
) -> dict:
    """A Vendor as python-quickbooks models it (objects/vendor.py; the spec and samples have none). `acct_num` is
    the vendor form's "Account no." (≤ 100 characters); `tax_identifier` is stored but, as QBO does, only its last
    four characters are ever returned (masked "XXXXXXX345B")."""
    vendor: dict[str, Any] = {
        "DisplayName": display_name,
        "CompanyName": company_name or display_name,
        "PrintOnCheckName": company_name or display_name,
        "Active": True,
        "Vendor1099": False,
        "Balance": Decimal(0),
        "CurrencyRef": _ref(currency, CURRENCY_NAMES.get(currency, currency)),
        "domain": "QBO",
        "sparse": False,
    }
    if id is not None:
        vendor["Id"] = id
    if acct_num is not None:
        vendor["AcctNum"] = acct_num
    if tax_identifier is not None:
        vendor["TaxIdentifier"] = tax_identifier
    return vendor


def item_expense_line(
    item: Mapping[str, Any],
    qty: Decimal | str | int | None,
    unit_price: Decimal | str | int | None = None,
    *,
    tax_code: str | None = None,
    description: str | None = None,
    gross: Decimal | str | int | None = None,
) -> dict:
    """A Bill line for an item (ItemBasedExpenseLineDetail): Qty at UnitPrice (the item's PurchaseCost by
    default); `gross` = the line total including tax (TaxInclusive bills); tax_code defaults to the item's
    purchase tax code, else its sales tax code."""
    detail: dict[str, Any] = {"BillableStatus": "NotBillable",
                              "ItemRef": _ref(str(item.get("Id", "")), item.get("Name"))}  # fmt: skip
    if qty is not None:
        price = item.get("PurchaseCost", 0) if unit_price is None else unit_price
        detail["UnitPrice"] = dec(price)
        detail["Qty"] = dec(qty)
    code = tax_code or (item.get("PurchaseTaxCodeRef") or {}).get("value") or (item.get("SalesTaxCodeRef") or {}).get(
        "value"
    )
    if code is not None:
        detail["TaxCodeRef"] = _ref(code)
    if gross is not None:
        detail["TaxInclusiveAmt"] = dec(gross)
    return {"Description": description or item.get("Description") or item.get("Name", ""),
            "DetailType": "ItemBasedExpenseLineDetail", "ItemBasedExpenseLineDetail": detail}  # fmt: skip


def account_expense_line(amount: Decimal | str | int, *, account: str = "7", account_name: str = "Rent or Lease",
                         tax_code: str | None = "21", description: str | None = None) -> dict:  # fmt: skip
    """A Bill line booked to an expense account (AccountBasedExpenseLineDetail): no item, no quantity."""
    detail: dict[str, Any] = {"AccountRef": _ref(account, account_name), "BillableStatus": "NotBillable"}
    if tax_code is not None:
        detail["TaxCodeRef"] = _ref(tax_code)
    return {"Description": description or account_name, "Amount": dec(amount),
            "DetailType": "AccountBasedExpenseLineDetail", "AccountBasedExpenseLineDetail": detail}  # fmt: skip


def make_bill(
    vendor: Mapping[str, Any],
    lines: list[dict],
    *,
    doc_number: str | None = None,
    txn_date: date | str | None = None,
    due_date: date | str | None = None,
    tax_calculation: str = "TaxExcluded",
    currency: str | None = None,
    exchange_rate: Decimal | str | int | None = None,
    private_note: str | None = None,
    tax_rates: Mapping[str, Rate] | None = None,
    home_currency: str = "KES",
) -> dict:
    """A Bill (python-quickbooks objects/bill.py): VendorRef, APAccountRef, expense lines, DocNumber = the form's
    "Bill no." (QBO does not number bills itself), totals computed like a sale's (tax.compute_bill_totals)."""
    doc: dict[str, Any] = {"domain": "QBO", "sparse": False, "VendorRef": _ref(str(vendor.get("Id", "")),
                                                                               vendor.get("DisplayName"))}  # fmt: skip
    doc["APAccountRef"] = _ref("33", "Accounts Payable (A/P)")
    if doc_number is not None:
        doc["DocNumber"] = doc_number
    if txn_date is not None:
        doc["TxnDate"] = str(txn_date)
    if due_date is not None:
        doc["DueDate"] = str(due_date)
    currency = currency or (vendor.get("CurrencyRef") or {}).get("value") or home_currency
    doc["CurrencyRef"] = _ref(currency, CURRENCY_NAMES.get(currency, currency))
    if exchange_rate is not None:
        doc["ExchangeRate"] = dec(exchange_rate)
    if private_note is not None:
        doc["PrivateNote"] = private_note
    doc["GlobalTaxCalculation"] = tax_calculation
    doc["Line"] = [copy.deepcopy(line) for line in lines]
    number_lines(doc["Line"])
    doc["LinkedTxn"] = []
    compute_bill_totals(doc, tax_rates or KENYA_TAX, home_currency=home_currency)
    return doc
