"""Shared pieces of the payload-builder tests (no tests here): fixed build parameters and helpers."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from connector import jsonio
from connector.kra_payload import (
    AuditNames,
    DeviceIdentity,
    build_sale,
    format_item_code,
    item_spec,
)
from connector.mapping import Mapping, load_mapping
from connector.models import Invoice

GOLDEN = Path(__file__).parent / "golden" / "payloads"
DEVICE = DeviceIdentity(pin="P051234567A", branch_id="00")
AUDIT = AuditNames(id="etims-connector", name="eTIMS Connector")
TRADE_NAME = "Mfano Traders"
CONFIRMED_AT = datetime(2024, 4, 15, 8, 0, tzinfo=UTC)  # 11:00 in Nairobi, after the invoices' dates
CREDIT_CONFIRMED_AT = datetime(2024, 4, 16, 8, 0, tzinfo=UTC)  # after the credit note's date
TAX_RATES = {"A": Decimal("0"), "B": Decimal("16"), "C": Decimal("0"), "D": Decimal("0"), "E": Decimal("8")}


def golden_mapping() -> Mapping:
    return load_mapping(GOLDEN / "mapping.toml")


def load_invoice(scenario: str) -> Invoice:
    return Invoice.from_json((GOLDEN / f"{scenario}.invoice.json").read_text(encoding="utf-8"))


def item_codes_for(invoice: Invoice, mapping: Mapping, *, first_sequence: int = 1) -> dict[str, str]:
    """Item codes numbered in order of first appearance, as a fresh device would register them."""
    codes: dict[str, str] = {}
    for line in invoice.lines:
        if line.item.code not in codes:
            spec = item_spec(line, invoice, mapping)
            codes[line.item.code] = format_item_code(spec, first_sequence + len(codes))
    return codes


def build(invoice: Invoice, profile: str, mapping: Mapping | None = None, **overrides: Any) -> dict[str, Any]:
    """The wire JSON (parsed back, numbers as Decimal) of the sale built with the fixed parameters."""
    mapping = mapping or golden_mapping()
    arguments: dict[str, Any] = {
        "profile": profile,
        "mapping": mapping,
        "device": DEVICE,
        "invoice_number": 2 if invoice.is_credit_note else 1,
        "original_invoice_number": 1 if invoice.is_credit_note else None,
        "item_codes": item_codes_for(invoice, mapping),
        "tax_rates": TAX_RATES,
        "confirmed_at": CREDIT_CONFIRMED_AT if invoice.is_credit_note else CONFIRMED_AT,
        "audit": AUDIT,
        "trade_name": TRADE_NAME,
    }
    arguments.update(overrides)
    request = build_sale(invoice, **arguments)
    return jsonio.loads(jsonio.dumps(request.to_wire()))
