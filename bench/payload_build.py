"""Benchmark: build the KRA sales requests of 10,000 invoices with mixed lines, both profiles.

    .venv/bin/python bench/payload_build.py [--invoices N] [--profile legacy|gavaconnect|both]

Prints payloads built per second (wall clock) and CPU time per invoice (time.process_time).
The timed part is what the sender does per document: precheck, then build_sale (validated
pydantic request), then to_wire(). Invoices are generated before the clock starts.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connector.kra.codes import default_tax_rates
from connector.kra_payload import AuditNames, DeviceIdentity, build_sale, format_item_code, item_spec, precheck
from connector.mapping import Mapping, load_mapping
from connector.models import Invoice, ItemRef, Line, Party, Tax

TAXES = [("VAT16", "16"), ("VAT16", "16"), ("VAT8", "8"), ("ZERO", "0"), ("EXEMPT", "0"), ("NON-VAT", "0")]
UNITS = ["pcs", "kg", "box", "hours", "dozen"]
CATEGORIES = ["goods", "service", None, "raw material"]


def random_line(rng: random.Random, number: int) -> Line:
    code, rate = rng.choice(TAXES)
    taxes = [Tax(code=code, rate=Decimal(rate))]
    includes_vat = rng.random() < 0.5
    if rng.random() < 0.1:
        taxes.append(Tax(code="EXC", rate=Decimal("20"), kind="excise", price_included=True))
    item = rng.randrange(500)
    return Line(
        line_id=str(number),
        item=ItemRef(code=f"ITEM-{item}", name=f"Item {item}", category=CATEGORIES[item % len(CATEGORIES)]),
        description=f"Item {item}, line {number}",
        quantity=Decimal(rng.randrange(1, 50_000)).scaleb(-2),
        unit=UNITS[item % len(UNITS)],
        unit_price=Decimal(rng.randrange(1, 10_000_000)).scaleb(-rng.choice([2, 2, 3, 4])),
        price_includes_vat=includes_vat,
        discount_percent=Decimal(rng.choice([0, 0, 0, 500, 1000, 1250])).scaleb(-2),
        taxes=taxes,
    )


def random_invoice(rng: random.Random, number: int) -> Invoice:
    foreign = rng.random() < 0.1
    return Invoice(
        source="csv",
        external_id=str(number),
        number=f"INV-{number:06d}",
        issued_at=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=number),
        currency="USD" if foreign else "KES",
        exchange_rate=Decimal("129.50") if foreign else Decimal(1),
        buyer=Party(name="Buyer Ltd", pin="A000123456F") if rng.random() < 0.6 else None,
        lines=[random_line(rng, line) for line in range(1, rng.randint(1, 8) + 1)],
        payment_method=rng.choice(["cash", "mpesa", "card"]),
    )


def item_codes(invoices: list[Invoice], mapping: Mapping) -> dict[str, str]:
    codes: dict[str, str] = {}
    for invoice in invoices:
        for line in invoice.lines:
            if line.item.code not in codes:
                codes[line.item.code] = format_item_code(item_spec(line, invoice, mapping), len(codes) + 1)
    return codes


def run(invoices: list[Invoice], mapping: Mapping, profile: str) -> None:
    codes, rates = item_codes(invoices, mapping), default_tax_rates()
    device, audit = DeviceIdentity("P051234567A", "00"), AuditNames("bench", "Benchmark")
    confirmed = datetime(2024, 6, 1, tzinfo=UTC)
    wall, cpu = time.perf_counter(), time.process_time()
    for number, invoice in enumerate(invoices, start=1):
        assert not precheck(invoice, mapping)
        request = build_sale(
            invoice,
            profile=profile,
            mapping=mapping,
            device=device,
            invoice_number=number,
            item_codes=codes,
            tax_rates=rates,
            confirmed_at=confirmed,
            audit=audit,
        )
        request.to_wire()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    lines = sum(len(invoice.lines) for invoice in invoices)
    print(
        f"{profile:12} {len(invoices)} invoices ({lines} lines): {len(invoices) / wall:,.0f} payloads/s, "
        f"{cpu / len(invoices) * 1e6:,.0f} µs CPU per invoice ({wall:.2f} s wall)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--profile", choices=("legacy", "gavaconnect", "both"), default="both")
    args = parser.parse_args()
    rng = random.Random(20240415)
    invoices = [random_invoice(rng, number) for number in range(1, args.invoices + 1)]
    mapping = load_mapping("csv")
    for profile in ("legacy", "gavaconnect") if args.profile == "both" else (args.profile,):
        run(invoices, mapping, profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
