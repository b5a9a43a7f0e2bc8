"""Sample CSV content for the demo, the tests, the benchmark and docs/examples/sales.csv.

Rows are dictionaries keyed by the default column names; `csv_text` writes them as a file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from connector.mapping import CsvColumns

COLUMNS = list(CsvColumns().model_dump().values())
ITEM_NAMES = {
    "SUGAR-2KG": "Sugar 2 kg", "MAIZE-FLOUR-2KG": "Maize flour 2 kg", "COOKING-OIL-1L": "Cooking oil 1 litre",
    "TEA-EXPORT-50KG": "Black tea, export grade, 50 kg bag", "BANK-CHARGES": "Bank charges",
    "LPG-REFILL-6KG": "LPG gas refill 6 kg", "CONSULTING": "IT consulting",
}  # fmt: skip
BUYER = {"buyer_name": "Mama Mboga Traders", "buyer_pin": "P051234568B", "buyer_mobile": "0712345678",
         "buyer_address": "Moi Avenue, Nairobi"}  # fmt: skip


def line(number: str, item: str, quantity: str, price: str, tax: str, **fields: Any) -> dict[str, str]:
    """One CSV row: document number, item code, quantity, unit price and tax code, plus any column."""
    row = {
        "document_number": number,
        "document_type": "invoice",
        "issued_at": "2025-03-03 09:15",
        "currency": "KES",
        "item_code": item,
        "item_name": ITEM_NAMES.get(item) or item.replace("-", " ").capitalize(),
        "quantity": quantity,
        "unit": "pcs",
        "unit_price": price,
        "price_includes_vat": "yes",
        "tax_code": tax,
        "item_category": "goods",
        "payment_method": "cash",
    }
    row.update({key: str(value) for key, value in fields.items()})
    return row


def csv_text(rows: Iterable[dict[str, str]], delimiter: str = ",", columns: list[str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns or COLUMNS, delimiter=delimiter, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write(path: Path, rows: Iterable[dict[str, str]], delimiter: str = ",", bom: bool = False,
          columns: list[str] | None = None) -> Path:  # fmt: skip
    """Write rows as a CSV file in one go (rename into place, so a watcher never sees half of it)."""
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_text(csv_text(rows, delimiter, columns), encoding="utf-8-sig" if bom else "utf-8", newline="")
    partial.replace(path)
    return path


# ---------------------------------------------------------------- the demo's files


def sales(day: str) -> list[dict[str, str]]:
    """Invoices in every VAT band (A exempt, B 16 %, C zero-rated, D non-VAT, E 8 %) and one in USD."""
    at = f"{day} 09:15"
    return [
        line("INV-1001", "SUGAR-2KG", "10", "250.00", "B", issued_at=at, payment_method="mpesa", **BUYER),
        line("INV-1001", "MAIZE-FLOUR-2KG", "5", "180.00", "A", issued_at=at, payment_method="", **BUYER),
        line("INV-1001", "COOKING-OIL-1L", "4", "420.00", "B", issued_at=at, payment_method="", discount_percent="5",
             **BUYER),
        line("INV-1002", "TEA-EXPORT-50KG", "2", "15000.00", "C", issued_at=at, unit="bag"),
        line("INV-1002", "BANK-CHARGES", "1", "350.00", "D", issued_at=at, item_category="service"),
        line("INV-1002", "LPG-REFILL-6KG", "3", "1300.00", "E", issued_at=at),
        line("INV-1003", "CONSULTING", "8", "120.00", "VAT16", issued_at=f"{day} 11:00", currency="USD",
             exchange_rate="129.45", price_includes_vat="no", unit="hour", item_category="service",
             payment_method="bank transfer", buyer_name="Savannah Exports Ltd", buyer_pin="P051234569C"),
    ]  # fmt: skip


STOCK_COLUMNS = ["movement_id", "date", "kind", "item_code", "item_name", "quantity", "unit", "unit_cost", "vat_code",
                 "category", "remark"]  # fmt: skip


def opening_stock(day: str) -> list[dict[str, str]]:
    """The demo's stock file: what the shop counted before its first sale (the goods the sales files sell)."""
    counted = [("SUGAR-2KG", "100", "pcs", "190.00", "B"), ("MAIZE-FLOUR-2KG", "80", "pcs", "140.00", "A"),
               ("COOKING-OIL-1L", "60", "pcs", "330.00", "B"), ("TEA-EXPORT-50KG", "10", "bag", "11500.00", "C"),
               ("LPG-REFILL-6KG", "40", "pcs", "1000.00", "E")]  # fmt: skip
    return [
        {"movement_id": "OPENING-1", "date": f"{day} 08:00", "kind": "opening", "item_code": code,
         "item_name": ITEM_NAMES[code], "quantity": quantity, "unit": unit, "unit_cost": cost, "vat_code": tax,
         "category": "goods", "remark": "opening stock count"}
        for code, quantity, unit, cost, tax in counted
    ]  # fmt: skip


def credit_notes(day: str) -> list[dict[str, str]]:
    """A credit note for 2 of the 10 bags of sugar on INV-1001 (returned)."""
    return [
        line("CN-1001", "SUGAR-2KG", "2", "250.00", "B", document_type="credit_note", issued_at=f"{day} 16:40",
             original_document="INV-1001", refund_reason="return", **BUYER),
    ]  # fmt: skip


def mistakes(day: str) -> list[dict[str, str]]:
    """One good invoice and four with the mistakes people make, plus a row without a number."""
    at = f"{day} 10:05"
    return [
        line("INV-2001", "SUGAR-2KG", "1", "250.00", "B", issued_at=at),
        line("INV-2002", "RICE-5KG", "2,5", "900.00", "B", issued_at=at),
        line("INV-2003", "SOAP-BAR", "3", "80.00", "VAT20", issued_at=at),
        line("INV-2004", "NAILS-1KG", "4", "300.00", "B", issued_at="", buyer_name="Jua Kali Works",
             buyer_pin="P05123"),
        line("INV-2005", "SODA-CRATE", "1", "960.00", "B", issued_at=at, unit="crate"),
        line("", "BREAD-400G", "1", "65.00", "A", issued_at=at),
    ]  # fmt: skip


def many_rows(documents: int, lines_per_document: int = 5, start: int = 1) -> Iterator[dict[str, str]]:
    """A large file's rows, generated lazily (benchmark)."""
    taxes = ("A", "B", "C", "D", "E")
    for number in range(start, start + documents):
        for index in range(lines_per_document):
            yield line(f"BULK-{number:07d}", f"ITEM-{index}", str(1 + index), f"{100 + index}.50", taxes[index % 5],
                       issued_at="2025-03-03 09:15")  # fmt: skip
