"""Bounded fuzz: mutated CSV text and mutated canonical JSON through reading -> canonical -> precheck -> build.

Seeded (the same cases every run, a few thousand in all); no exception may escape, and every refusal
names its field (a CSV column, or a canonical field).
"""

from __future__ import annotations

import contextlib
import random
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from connector import jsonio
from connector.errors import DocumentError, MappingError
from connector.kra_payload import AuditNames, DeviceIdentity, build_sale, format_item_code, item_spec, precheck
from connector.mapping import load_mapping
from connector.model_bounds import validation_problems
from connector.models import Invoice
from plugins.csv import reader, samples
from plugins.csv.documents import ParseOptions, parse_document
from plugins.csv.reader import FileProblem

POISON = ["1" * 27, "9" * 30, "NaN", "-Infinity", "1E+400", "1e-400", "0001-01-01", "9999-12-31T23:59:59-05:00",
          "١٢", "１００", "\x00", "\x1b[31m", "\u202eabc", "\u2066x", "", " ", "-1", "0", "1,5", "=cmd|' /C calc'!A0",
          "x" * 5000, '"', ";", "\r\n", "\ud800", "1_000", "+.5", "1.0000000001", "2024-02-30", "yes",
          "credit"]  # fmt: skip
RATES = {"A": Decimal("0"), "B": Decimal("16"), "C": Decimal("0"), "D": Decimal("0"), "E": Decimal("8")}
MAPPING = load_mapping("csv")
CSV_CASES, JSON_CASES = 1200, 2500


def build_both(invoice: Invoice) -> None:
    """Build the KRA request in both profiles; a refusal must be a DocumentError or MappingError."""
    codes = {}
    for line in invoice.lines:
        codes.setdefault(line.item.code, format_item_code(item_spec(line, invoice, MAPPING), len(codes) + 1))
    for profile in ("legacy", "gavaconnect"):
        with contextlib.suppress(DocumentError, MappingError):
            build_sale(invoice, profile=profile, mapping=MAPPING, device=DeviceIdentity("P051234567A", "00"),  # type: ignore[arg-type]
                       invoice_number=1, original_invoice_number=1 if invoice.is_credit_note else None,
                       item_codes=codes, tax_rates=RATES, confirmed_at=datetime.now(UTC),
                       audit=AuditNames("etims", "eTIMS"))  # fmt: skip


def through_the_checks(invoice: Invoice, refusals: list[DocumentError]) -> None:
    invoice.content_hash()
    problems = precheck(invoice, MAPPING, original_known=False, tax_rates=RATES)
    refusals += problems
    if not problems:
        build_both(invoice)


def mutate_text(rng: random.Random, text: str) -> str:
    lines = text.split("\r\n")
    for _ in range(rng.randint(1, 3)):
        index = rng.randrange(1, max(2, len(lines) - 1))
        cells = lines[index].split(",")
        where = rng.randrange(len(cells))
        choice = rng.random()
        if choice < 0.7:
            cells[where] = rng.choice(POISON)
        elif choice < 0.85:
            cells[where] = cells[where][: rng.randrange(len(cells[where]) + 1)] + chr(rng.randrange(0x20, 0x3000))
        else:
            cells.insert(where, rng.choice(POISON))
        lines[index] = ",".join(cells)
    if rng.random() < 0.05:
        lines = lines[: rng.randrange(1, len(lines) + 1)]
    return "\r\n".join(lines)


def test_mutated_csv_never_escapes_and_every_refusal_names_its_column(tmp_path: Path) -> None:
    rng = random.Random(8)
    base = samples.csv_text(samples.sales("2025-03-03") + samples.credit_notes("2025-03-03"))
    options = ParseOptions("csv", MAPPING)
    refused = parsed = 0
    for case in range(CSV_CASES):
        path = tmp_path / f"{case}.csv"
        path.write_text(mutate_text(rng, base), encoding="utf-8", errors="surrogatepass")
        try:
            scan = reader.scan(path, MAPPING.columns)
        except FileProblem as problem:
            assert problem.message
            continue
        for raw in reader.documents(path, scan):
            result = parse_document(raw, options)
            for problem in result.problems:
                refused += 1
                assert (
                    problem.column
                    or problem.message.startswith(("the row has", "cannot be read"))
                    or (":" in problem.message)
                ), problem
            if result.invoice is not None:
                parsed += 1
                through_the_checks(result.invoice, [])
        path.unlink()
    assert refused > CSV_CASES // 2 and parsed > 0  # the mutations did reach both sides


def mutate_json(rng: random.Random, data: Any) -> None:
    """Set one random leaf of the JSON document to a poison value (or a different type)."""
    node: Any = data
    while True:
        key = None
        keys = list(range(len(node))) if isinstance(node, list) else list(node)
        if not keys:
            break
        key = rng.choice(keys)
        if isinstance(node[key], dict | list) and rng.random() < 0.8:
            node = node[key]
            continue
        break
    if key is not None:
        node[key] = rng.choice([*POISON, 1.5, None, True, [], {}, 10**40, -(10**12)])


def test_mutated_canonical_json_never_escapes_and_every_refusal_names_its_field() -> None:
    rng = random.Random(8)
    examples = [jsonio.loads(Path(f"docs/examples/{name}.json").read_text()) for name in ("invoice", "credit-note")]
    refusals: list[DocumentError] = []
    invalid = 0
    for _ in range(JSON_CASES):
        data = jsonio.loads(jsonio.dumps(rng.choice(examples)))
        for _ in range(rng.randint(1, 3)):
            mutate_json(rng, data)
        try:
            invoice = Invoice.model_validate(data)
        except ValidationError as error:
            invalid += 1
            problems = validation_problems(error, "X")
            assert problems and all(p.field or p.line for p in problems), [p.describe() for p in problems]
            continue
        through_the_checks(invoice, refusals)
    assert all(problem.field for problem in refusals), [p.describe() for p in refusals if not p.field]
    assert invalid > JSON_CASES // 3 and refusals
