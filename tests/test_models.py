"""The canonical model: exact decimals, aware datetimes, the JSON Schema and the example files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from connector import jsonio
from connector.models import Invoice, Receipt, Tax, invoice_json_schema, receipt_qr_url

EXAMPLES = Path(__file__).parent.parent / "docs" / "examples"


def minimal(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "source": "csv",
        "external_id": "42",
        "number": "INV-42",
        "kind": "invoice",
        "issued_at": "2024-04-15T10:00:00+03:00",
        "lines": [
            {
                "item": {"code": "W1", "name": "Widget"},
                "description": "Widget",
                "quantity": "2",
                "unit": "pcs",
                "unit_price": "116.00",
                "price_includes_vat": True,
                "taxes": [{"code": "VAT16", "rate": "16"}],
            }
        ],
    }
    data.update(changes)
    return data


def with_line(**changes: Any) -> dict[str, Any]:
    data = minimal()
    data["lines"][0].update(changes)
    return data


@pytest.mark.parametrize("field", ["quantity", "unit_price", "discount_percent"])
def test_floats_are_refused_on_lines(field: str) -> None:
    with pytest.raises(ValidationError, match="float"):
        Invoice.model_validate(with_line(**{field: 1.5}))


def test_floats_are_refused_for_rates() -> None:
    with pytest.raises(ValidationError, match="float"):
        Invoice.model_validate(minimal(exchange_rate=129.5))
    with pytest.raises(ValidationError, match="float"):
        Tax(code="VAT16", rate=16.0)


def test_json_numbers_with_a_decimal_point_are_refused_and_text_is_kept_exact() -> None:
    text = jsonio.dumps(with_line(quantity=Decimal("2.50")))  # a JSON number 2.50, as a float would be written
    with pytest.raises(ValidationError, match=r"2\.50 is a JSON number with a decimal point; write it as text"):
        Invoice.from_json(text)
    with pytest.raises(ValidationError, match="float"):
        Invoice.model_validate_json(text)  # pydantic's own JSON parser reads 2.50 as a float
    exact = Invoice.model_validate(with_line(quantity="2.50")).model_dump_json()
    assert Invoice.from_json(exact).lines[0].quantity == Decimal("2.50")  # as text it stays exact


def test_strings_ints_and_decimals_are_accepted_exactly() -> None:
    invoice = Invoice.model_validate(with_line(quantity=3, unit_price=Decimal("0.1"), discount_percent="12.5"))
    line = invoice.lines[0]
    assert (line.quantity, line.unit_price, line.discount_percent) == (3, Decimal("0.1"), Decimal("12.5"))
    assert line.quantity * line.unit_price == Decimal("0.3")


def test_junk_numbers_are_refused() -> None:
    with pytest.raises(ValidationError, match="not a number"):
        Invoice.model_validate(with_line(quantity="two"))
    with pytest.raises(ValidationError, match="finite"):
        Invoice.model_validate(with_line(unit_price="NaN"))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        Invoice.model_validate(minimal(issued_at="2024-04-15T10:00:00"))
    with pytest.raises(ValidationError, match="timezone"):
        Invoice.model_validate(minimal(issued_at=datetime(2024, 4, 15, 10)))


def test_unknown_fields_and_empty_invoices_are_refused() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        Invoice.model_validate(minimal(colour="blue"))
    with pytest.raises(ValidationError, match="at least 1"):
        Invoice.model_validate(minimal(lines=[]))


def test_defaults() -> None:
    invoice = Invoice.model_validate(minimal())
    assert (invoice.currency, invoice.exchange_rate, invoice.branch, invoice.buyer) == ("KES", 1, None, None)
    tax = invoice.lines[0].taxes[0]
    assert (tax.kind, tax.price_included, invoice.lines[0].discount_percent) == ("vat", None, 0)


def test_key_identifies_the_document() -> None:
    assert Invoice.model_validate(minimal()).key == ("csv", "42", "invoice")
    assert Invoice.model_validate(minimal(kind="credit_note")).key == ("csv", "42", "credit_note")


def test_content_hash_is_stable_and_ignores_notation() -> None:
    first = Invoice.model_validate(minimal())
    same_value = Invoice.model_validate(
        {**with_line(quantity="2.000", unit_price="116"), "issued_at": "2024-04-15T07:00:00Z"}
    )
    assert first.content_hash() == same_value.content_hash()
    assert len(first.content_hash()) == 64
    changed = Invoice.model_validate(with_line(quantity="3"))
    assert changed.content_hash() != first.content_hash()


def test_json_round_trip_keeps_exact_values() -> None:
    invoice = Invoice.model_validate(with_line(unit_price="0.005"))
    again = Invoice.model_validate_json(invoice.model_dump_json())
    assert again == invoice and again.lines[0].unit_price == Decimal("0.005")


def test_schema_generation() -> None:
    schema = invoice_json_schema()
    assert schema["title"].startswith("Canonical invoice")
    assert schema["$schema"].endswith("2020-12/schema")
    assert set(schema["required"]) >= {"source", "external_id", "number", "issued_at", "lines"}
    line = schema["$defs"]["Line"]["properties"]
    assert line["quantity"]["type"] == "string" and "pattern" in line["quantity"]
    assert schema["properties"]["issued_at"]["format"] == "date-time"
    jsonio.dumps(schema)  # serialisable


@pytest.mark.parametrize("name", ["invoice.json", "credit-note.json"])
def test_example_files_validate(name: str) -> None:
    invoice = Invoice.from_json((EXAMPLES / name).read_text(encoding="utf-8"))
    assert invoice.issued_at.tzinfo is not None
    if name == "credit-note.json":
        assert invoice.kind == "credit_note" and invoice.original is not None and invoice.refund_reason


def test_receipt_qr_url_per_environment() -> None:
    signature = "QUII27MATATSHFRB"
    assert receipt_qr_url("P052112956W", "00", signature, production=True) == (
        "https://etims.kra.go.ke/common/link/etims/receipt/indexEtimsReceiptData?Data=P052112956W00QUII27MATATSHFRB"
    )
    assert receipt_qr_url("P052112956W", "00", signature, production=False).startswith(
        "https://etims-sbx.kra.go.ke/common/link/etims/receipt/indexEtimsReceiptData?Data="
    )


def test_receipt_requires_an_aware_signing_time() -> None:
    fields = {
        "invoice_number": 1,
        "receipt_number": 169,
        "total_receipt_number": 169,
        "internal_data": "GRKJVWYCFBPTYQ225X2UEYONVE",
        "signature": "QUII27MATATSHFRB",
        "scu_id": "KRACU013000001",
        "qr_url": receipt_qr_url("P052112956W", "00", "QUII27MATATSHFRB", production=False),
    }
    eat = timezone(timedelta(hours=3))
    receipt = Receipt(**fields, signed_at=datetime(2024, 4, 15, 15, 30, 39, tzinfo=eat))
    assert receipt.mrc_number is None and receipt.signed_at.utcoffset() == timedelta(hours=3)
    assert Receipt(**fields, signed_at=datetime(2024, 4, 15, tzinfo=UTC)).signed_at.tzinfo is UTC
    with pytest.raises(ValidationError):
        Receipt(**fields, signed_at=datetime(2024, 4, 15, 15, 30, 39))
