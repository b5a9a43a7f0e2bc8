"""Legacy sales-form custom fields (spec §2.2) and the Preferences entity that defines them.

Three String fields, `DefinitionId` "1".."3", named in Preferences.SalesFormsPrefs.CustomField as
`SalesFormsPrefs.UseSalesCustomN` (enabled?) + `SalesFormsPrefs.SalesCustomNameN` (name). On a saved transaction
QBO lists one entry per ENABLED definition, with `StringValue` only when set; a value sent for a disabled or unknown
definition is dropped without any error — the adapter must check the response. Assumptions: values longer than the
(unconfirmed) limit, default 31, answer a 2050 fault; an entry may name its definition by `Name` instead of
`DefinitionId`.
"""

from __future__ import annotations

from . import faults


def _definition(entry: dict, names: list[str | None]) -> int:
    given = str(entry.get("DefinitionId") or "")
    if given.isdigit():
        return int(given)
    for number, known in enumerate(names, start=1):
        if known is not None and known == entry.get("Name"):
            return number
    return 0


def custom_fields_as_saved(names: list[str | None], max_length: int, given: list[dict]) -> list[dict]:
    """A transaction's CustomField list as QBO stores and returns it."""
    values: dict[int, str] = {}
    for entry in given or []:
        number = _definition(entry, names)
        enabled = 1 <= number <= len(names) and names[number - 1] is not None
        if entry.get("StringValue") not in (None, "") and enabled:
            value = str(entry["StringValue"])
            if len(value) > max_length:
                raise faults.too_long(f"CustomField[{number}].StringValue", max_length)
            values[number] = value
    result = []
    for number, name in enumerate(names, start=1):
        if name is None:
            continue
        entry = {"DefinitionId": str(number), "Name": name, "Type": "StringType"}
        if number in values:
            entry["StringValue"] = values[number]
        result.append(entry)
    return result


def preferences(names: list[str | None], tax_model: str, home_currency: str, multicurrency: bool) -> dict:
    """The Preferences entity (shape of preferences.salesforms-customfields.intuit-docs-sample.json)."""
    uses = [
        {"BooleanValue": name is not None, "Type": "BooleanType", "Name": f"SalesFormsPrefs.UseSalesCustom{number}"}
        for number, name in reversed(list(enumerate(names, start=1)))
    ]
    defined = [
        {"StringValue": name, "Type": "StringType", "Name": f"SalesFormsPrefs.SalesCustomName{number}"}
        for number, name in enumerate(names, start=1)
        if name is not None
    ]
    return {
        "SalesFormsPrefs": {
            "CustomTxnNumbers": False,
            "AllowDiscount": True,
            "DefaultDiscountAccount": "86",
            "AllowDeposit": True,
            "CustomField": [{"CustomField": uses}, {"CustomField": defined}],
        },
        "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": tax_model == "us"},
        "CurrencyPrefs": {"HomeCurrency": {"value": home_currency}, "MultiCurrencyEnabled": multicurrency},
        "domain": "QBO",
        "sparse": False,
        "Id": "1",
        "SyncToken": "0",
    }
