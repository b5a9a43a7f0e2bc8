"""Reading CSV files: encodings, delimiters, quoting, line endings, and the errors people make."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from connector.mapping import load_mapping, parse_mapping
from plugins.csv import reader, samples
from plugins.csv.documents import Parsed, ParseOptions, parse_document
from plugins.csv.reader import FileProblem, RawDocument

MAPPING = load_mapping("csv")
OPTIONS = ParseOptions("dropbox", MAPPING)
HEADER = ",".join(samples.COLUMNS)


def write(tmp_path: Path, data: bytes | str, name: str = "sales.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def read(path: Path, options: ParseOptions = OPTIONS, delimiter: str | None = None) -> list[tuple[RawDocument, Parsed]]:
    scan = reader.scan(path, options.mapping.columns, delimiter)
    return [(raw, parse_document(raw, options)) for raw in reader.documents(path, scan)]


def only_invoice(path: Path) -> Parsed:
    [(_, parsed)] = read(path)
    assert parsed.problems == [], parsed.problems
    return parsed


def sales_text(delimiter: str = ",") -> str:
    return samples.csv_text(samples.sales("2025-03-03")[:3], delimiter=delimiter)


def test_utf8_with_byte_order_mark(tmp_path: Path) -> None:
    parsed = only_invoice(write(tmp_path, b"\xef\xbb\xbf" + sales_text().encode()))
    assert parsed.invoice is not None and parsed.invoice.number == "INV-1001"


def test_semicolon_is_detected_and_can_be_forced(tmp_path: Path) -> None:
    path = write(tmp_path, sales_text(";"))
    assert reader.scan(path, MAPPING.columns).delimiter == ";"
    assert only_invoice(path).invoice.lines[0].unit_price == Decimal("250.00")  # type: ignore[union-attr]
    with pytest.raises(FileProblem, match="missing required column 'document_number'"):
        reader.scan(path, MAPPING.columns, delimiter=",")


def test_quoted_fields_keep_delimiters_quotes_and_line_breaks(tmp_path: Path) -> None:
    rows = samples.sales("2025-03-03")[:3]
    for row in rows:
        row["buyer_address"] = 'Moi Avenue, "Stall 4"\nNairobi'
    path = write(tmp_path, samples.csv_text(rows))
    [(raw, parsed)] = read(path)
    assert parsed.invoice is not None and parsed.invoice.buyer is not None
    assert parsed.invoice.buyer.address == 'Moi Avenue, "Stall 4"\nNairobi'
    assert [row.number for row in raw.rows] == [2, 3, 4]  # spreadsheet rows, not text lines


def test_crlf_and_lf_line_endings_read_the_same(tmp_path: Path) -> None:
    crlf = only_invoice(write(tmp_path, sales_text(), "crlf.csv")).invoice
    lf = only_invoice(write(tmp_path, sales_text().replace("\r\n", "\n"), "lf.csv")).invoice
    assert crlf is not None and lf is not None and crlf.content_hash() == lf.content_hash()


def test_decimal_comma_is_a_named_error(tmp_path: Path) -> None:
    text = sales_text(";").replace(";250.00;", ";250,50;")
    [(_, parsed)] = read(write(tmp_path, text))
    [problem] = parsed.problems
    assert (problem.row, problem.column, problem.value) == (2, "unit_price", "250,50")
    assert "decimal comma" in problem.message and parsed.invoice is None


def test_unquoted_decimal_comma_in_a_comma_file_is_explained(tmp_path: Path) -> None:
    lines = sales_text().split("\r\n")
    lines[1] = lines[1].replace(",250.00,", ",250,50,")
    [(_, parsed)] = read(write(tmp_path, "\r\n".join(lines)))
    assert parsed.problems[0].row == 2 and "decimal comma" in parsed.problems[0].message


def test_missing_required_column_names_the_column_and_the_file(tmp_path: Path) -> None:
    text = sales_text().replace(",unit_price,", ",price,")
    with pytest.raises(FileProblem) as raised:
        reader.scan(write(tmp_path, text, "export.csv"), MAPPING.columns)
    assert raised.value.column == "unit_price"
    assert str(raised.value).startswith("export.csv (row 1): missing required column 'unit_price'")


def test_non_utf8_file_names_the_line(tmp_path: Path) -> None:
    text = sales_text().replace("Mama Mboga", "Café Mboga")
    with pytest.raises(FileProblem, match=r"not UTF-8 text \(byte 0xE9 on line 2\)"):
        reader.scan(write(tmp_path, text.encode("cp1252")), MAPPING.columns)


def test_empty_file_and_bad_quotes_are_file_problems(tmp_path: Path) -> None:
    with pytest.raises(FileProblem, match="empty"):
        reader.scan(write(tmp_path, ""), MAPPING.columns)
    with pytest.raises(FileProblem, match="row 3"):
        bad = HEADER + '\r\nA,invoice\r\nB,"unterminated\r\n'
        reader.scan(write(tmp_path, bad, "quotes.csv"), MAPPING.columns, ",")


def test_rows_of_a_document_that_are_not_together_are_joined(tmp_path: Path) -> None:
    rows = samples.sales("2025-03-03")
    mixed = [rows[0], rows[3], rows[1], rows[2], rows[4]]  # INV-1001, INV-1002, INV-1001, INV-1001, INV-1002
    documents = read(write(tmp_path, samples.csv_text(mixed)))
    assert [(raw.number, [r.number for r in raw.rows]) for raw, _ in documents] == [
        ("INV-1001", [2, 4, 5]),
        ("INV-1002", [3, 6]),
    ]


def test_header_values_may_be_given_once_but_must_agree(tmp_path: Path) -> None:
    rows = samples.sales("2025-03-03")[:3]
    rows[1]["issued_at"] = ""  # given once is fine
    rows[2]["issued_at"] = "2025-03-04 09:15"  # a different value is not
    [(_, parsed)] = read(write(tmp_path, samples.csv_text(rows)))
    [problem] = parsed.problems
    assert (problem.row, problem.column) == (4, "issued_at") and "differs from row 2" in problem.message


def test_values_people_get_wrong(tmp_path: Path) -> None:
    rows = [
        samples.line("A-1", "SUGAR", "1", "100", "B", issued_at="03/03/2025"),
        samples.line("A-2", "SUGAR", "1", "100", "B", price_includes_vat="maybe"),
        samples.line("A-3", "SUGAR", "1", "100", "B", currency="USD"),
        samples.line("A-4", "SUGAR", "1", "100", "B", document_type="credit_note"),
        samples.line("A-5", "SUGAR", "1,000", "100", "B", buyer_pin="P051234567A"),
    ]
    documents = read(write(tmp_path, samples.csv_text(rows)))
    found = {raw.number: [(p.column, p.message) for p in parsed.problems] for raw, parsed in documents}
    assert "YYYY-MM-DD" in found["A-1"][0][1]
    assert found["A-2"] == [("price_includes_vat", "write yes or no")]
    assert found["A-3"][0][0] == "exchange_rate"
    assert [column for column, _ in found["A-4"]] == ["original_document", "refund_reason"]
    assert [column for column, _ in found["A-5"]] == ["buyer_name", "quantity"]
    assert "thousands separator" in found["A-5"][1][1]


def test_foreign_currency_invoice(tmp_path: Path) -> None:
    rows = samples.sales("2025-03-03")[6:]
    parsed = only_invoice(write(tmp_path, samples.csv_text(rows)))
    invoice = parsed.invoice
    assert invoice is not None and (invoice.currency, invoice.exchange_rate) == ("USD", Decimal("129.45"))
    assert invoice.lines[0].price_includes_vat is False and invoice.issued_at.utcoffset().total_seconds() == 3 * 3600  # type: ignore[union-attr]


def test_own_column_names_and_date_format_from_the_mapping_and_options(tmp_path: Path) -> None:
    text = (Path(__file__).parents[1] / "mappings" / "csv" / "default.toml").read_text(encoding="utf-8")
    mapping = parse_mapping(
        text.replace('document_number = "document_number"', 'document_number = "Invoice No"').replace(
            'issued_at = "issued_at"', 'issued_at = "Date"'
        )
    )
    renamed = {"document_number": "Invoice No", "issued_at": "Date"}
    rows = [{renamed.get(k, k): v for k, v in row.items()} for row in samples.sales("2025-03-03")[:3]]
    for row in rows:
        row["Date"] = "03.03.2025"
    columns = [renamed.get(column, column) for column in samples.COLUMNS]
    path = write(tmp_path, samples.csv_text(rows, columns=columns))
    [(_, parsed)] = read(path, ParseOptions("dropbox", mapping, date_format="%d.%m.%Y"))
    assert parsed.problems == [] and parsed.invoice is not None
    assert parsed.invoice.issued_at.day == 3 and parsed.invoice.number == "INV-1001"


def test_the_documented_example_reads_without_problems() -> None:
    example = Path(__file__).parents[1] / "docs" / "examples" / "sales.csv"
    documents = read(example)
    assert [raw.number for raw, _ in documents] == ["INV-1001", "INV-1002", "INV-1003", "CN-1001"]
    assert all(parsed.problems == [] for _, parsed in documents)
