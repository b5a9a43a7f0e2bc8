"""Reading CSV files: encoding, delimiter, header, and rows grouped into documents.

Every pass streams the file, so memory stays flat however large it is:

    scan(path, columns)        -> FileScan   checks UTF-8 and the header, counts rows and documents
    documents(path, scan)      -> RawDocument, one at a time, rows of one document together

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2.
A document's rows should be next to each other; when they are not, its rows are kept aside and the
document comes after the others (so a badly sorted export still works, using more memory).
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from connector.mapping import CsvColumns

ENCODING = "utf-8-sig"  # UTF-8, with or without a byte-order mark
DELIMITERS = (",", ";")
CHUNK_BYTES = 1 << 16
REQUIRED_FIELDS = ("document_number", "issued_at", "item_code", "quantity", "unit", "unit_price", "tax_code")
NAME_FIELDS = ("item_name", "description")  # at least one of them
MAX_KINDS = 50  # distinct document_type values remembered by scan()


class FileProblem(Exception):
    """The whole file cannot be read; nothing in it is sent."""

    def __init__(self, file: str, message: str, *, row: int | None = None, column: str = "", value: str = "") -> None:
        self.file, self.message, self.row, self.column, self.value = file, message, row, column, value
        where = f" (row {row})" if row else ""
        super().__init__(f"{file}{where}: {message}")


@dataclass(frozen=True)
class Row:
    number: int  # spreadsheet row number
    values: dict[str, str]  # canonical field -> text, stripped
    problem: str | None = None  # the row itself is broken (too many values)


@dataclass
class RawDocument:
    number: str  # "" for rows without a document number
    rows: list[Row]


@dataclass
class FileScan:
    name: str
    delimiter: str
    positions: dict[str, int]  # canonical field -> column index
    width: int  # cells in the header row
    rows: int = 0
    documents: int = 0
    scattered: set[str] = field(default_factory=set)  # documents whose rows are not together
    kinds: set[str] = field(default_factory=set)  # document_type values seen


def scan(path: Path, columns: CsvColumns, delimiter: str | None = None) -> FileScan:
    """Check the whole file before anything in it is used; raise `FileProblem` for what stops it."""
    check_utf8(path)
    with path.open(encoding=ENCODING, newline="") as handle:
        first_line = handle.readline()
        if not first_line.strip():
            raise FileProblem(path.name, "the file is empty: the first line must be the header row")
        chosen = delimiter or detect_delimiter(first_line)
        handle.seek(0)
        reader = csv.reader(handle, delimiter=chosen, strict=True)
        header = _next_row(reader, path.name)
        result = FileScan(path.name, chosen, header_positions(header, columns, path.name), len(header))
        _count(reader, result)
    return result


def check_utf8(path: Path) -> None:
    """Decode the file in chunks; name the line of the first byte that is not UTF-8."""
    decoder = codecs.getincrementaldecoder(ENCODING)()
    lines = 1
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                line = lines + chunk[: max(error.start, 0)].count(b"\n")
                _not_utf8(path, line, chunk[error.start : error.start + 1])
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            _not_utf8(path, lines, b"")


def _not_utf8(path: Path, line: int, byte: bytes) -> None:
    shown = f"byte 0x{byte.hex().upper()} " if byte else ""
    message = (
        f"the file is not UTF-8 text ({shown}on line {line}): save it as 'CSV UTF-8' "
        "(Excel: File > Save As > CSV UTF-8), or convert it from its current encoding (e.g. Windows-1252)"
    )
    raise FileProblem(path.name, message, row=line)


def detect_delimiter(header_line: str) -> str:
    """`,` or `;`: whichever separates more header cells outside quotes."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    return max(DELIMITERS, key=lambda d: counts[d])  # ties (one column) go to ","


def header_positions(header: list[str], columns: CsvColumns, file: str) -> dict[str, int]:
    """Canonical field -> column index; missing required columns are a `FileProblem`."""
    by_name: dict[str, int] = {}
    for index, name in enumerate(header):
        key = name.strip().lstrip("\ufeff").casefold()
        if key in by_name:
            raise FileProblem(file, f"the header has column {name.strip()!r} twice", row=1, column=name.strip())
        by_name[key] = index
    positions = {
        field_name: by_name[column.strip().casefold()]
        for field_name, column in columns.model_dump().items()
        if column.strip().casefold() in by_name
    }
    _require_columns(positions, columns, header, file)
    return positions


def _require_columns(positions: dict[str, int], columns: CsvColumns, header: list[str], file: str) -> None:
    found = ", ".join(h.strip() for h in header) or "nothing"
    for field_name in REQUIRED_FIELDS:
        if field_name not in positions:
            column = getattr(columns, field_name)
            message = f"missing required column {column!r} (the header row has: {found})"
            raise FileProblem(file, message, row=1, column=column)
    if not any(name in positions for name in NAME_FIELDS):
        names = " or ".join(repr(getattr(columns, name)) for name in NAME_FIELDS)
        raise FileProblem(file, f"missing column {names}: each line needs an item name", row=1)


def _next_row(reader: Iterator[list[str]], file: str) -> list[str]:
    try:
        return next(reader)
    except csv.Error as error:
        raise FileProblem(file, f"the header row cannot be read: {error}", row=1) from None


def _count(reader: Iterator[list[str]], result: FileScan) -> None:
    seen: set[str] = set()
    current: str | None = None
    position = result.positions["document_number"]
    kind_position = result.positions.get("document_type")
    for _, cells in _records(reader, result.name):
        number = _cell(cells, position)
        result.rows += 1
        if kind_position is not None and len(result.kinds) < MAX_KINDS:
            result.kinds.add(_cell(cells, kind_position).casefold())
        if not number or number == current:
            continue
        if number in seen:
            result.scattered.add(number)
        else:
            seen.add(number)
            result.documents += 1
        current = number


def _cell(cells: list[str], position: int) -> str:
    return cells[position].strip() if position < len(cells) else ""


def _records(reader: Iterator[list[str]], file: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of every non-blank data row; a quoting error stops the file."""
    number = 1
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            message = f"the row cannot be read ({error}): check its quotes"
            raise FileProblem(file, message, row=number) from None
        if any(cell.strip() for cell in cells):
            yield number, cells


def documents(path: Path, result: FileScan) -> Iterator[RawDocument]:
    """Rows grouped by document number, in file order; scattered documents come last."""
    aside: dict[str, list[Row]] = {}
    current: RawDocument | None = None
    for row in rows(path, result):
        number = row.values.get("document_number", "")
        if not number:
            yield RawDocument("", [row])
        elif number in result.scattered:
            aside.setdefault(number, []).append(row)
        elif current is not None and current.number == number:
            current.rows.append(row)
        else:
            if current is not None:
                yield current
            current = RawDocument(number, [row])
    if current is not None:
        yield current
    for number, kept in aside.items():
        yield RawDocument(number, kept)


def rows(path: Path, result: FileScan) -> Iterator[Row]:
    with path.open(encoding=ENCODING, newline="") as handle:
        reader = csv.reader(handle, delimiter=result.delimiter, strict=True)
        next(reader)  # the header, checked by scan()
        for number, cells in _records(reader, result.name):
            values = {name: _cell(cells, i) for name, i in result.positions.items()}
            yield Row(number, values, _width_problem(cells, result))


def _width_problem(cells: list[str], result: FileScan) -> str | None:
    if len(cells) <= result.width:
        return None
    return (
        f"the row has {len(cells)} values but the header has {result.width} columns: a value contains the "
        f"delimiter {result.delimiter!r} (a decimal comma such as 12,50?); quote it or use a decimal point"
    )
