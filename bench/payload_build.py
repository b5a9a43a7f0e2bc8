"""Benchmark: build the KRA sales requests of 10,000 invoices with mixed lines, both profiles.

    .venv/bin/python bench/payload_build.py [--invoices N] [--profile legacy|gavaconnect|both]
    .venv/bin/python bench/payload_build.py --etims-shape [--etims-python /tmp/etims-venv/bin/python]

Prints payloads built per second (wall clock) and CPU time per invoice (time.process_time). Each timed run
starts after gc.collect(), so the garbage of generating the invoices is not charged to the first run.
The timed part is what the sender does per document: precheck, then build_sale (validated
pydantic request), then to_wire(). Invoices are generated before the clock starts.

--etims-shape: invoices the `etims` PyPI package can express too (KES, VAT-inclusive prices with two decimals,
one VAT band per line, a discount rate, no excise), built by us (the same timed part) and, in the separate
venv that has `etims` installed, by `etims.Sale.to_api()` from the same invoices (written to a JSON file).
Prints both, min/median/max over --repeat runs, and the ratio of bodies per CPU second. Without that venv it
compares against the figure recorded in issue 12 (121 µs CPU per body).

--etims-shape also prints `build_sale_wire` (the same checks and dict as build_sale(...).to_wire(), without the
pydantic objects in the plain case): what the sender would spend if it called that instead.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connector.kra.codes import default_tax_rates
from connector.kra_payload import (
    AuditNames,
    DeviceIdentity,
    build_sale,
    build_sale_wire,
    format_item_code,
    item_spec,
    precheck,
)
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
    gc.collect()  # the invoices' own garbage is not the timed part's
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


ETIMS_RECORDED_US = 121.0  # issue 12: etims 0.1.0a1, CPU per body on this machine
ETIMS_BANDS = {"VAT16": ("16", "B"), "VAT8": ("8", "E"), "ZERO": ("0", "C"), "EXEMPT": ("0", "A"),
               "NON-VAT": ("0", "D")}  # fmt: skip
ETIMS_SCRIPT = """
import gc, json, statistics, sys, time
from datetime import datetime
from decimal import Decimal
import etims
from etims.sales import Sale, SaleLine
invoices, repeat = json.load(open(sys.argv[1])), int(sys.argv[2])
sales = [Sale(trader_invoice_no=i["number"], invoice_no=n, confirmed_at=datetime.fromisoformat(i["confirmed_at"]),
              customer_pin=i["buyer_pin"], customer_name=i["buyer_name"],
              lines=[SaleLine(item_code=l["item_code"], item_class_code="5020230601", name=l["name"],
                              quantity=Decimal(l["quantity"]), unit_price=Decimal(l["unit_price"]),
                              tax_type=etims.TaxType(l["band"]), discount_rate=Decimal(l["discount"]),
                              quantity_unit="U", packaging_unit="NT") for l in i["lines"]])
         for n, i in enumerate(invoices, start=1)]
operator = etims.Operator("bench", "Benchmark")
runs = []
for _ in range(repeat):
    gc.collect()
    cpu = time.process_time()
    for sale in sales:
        sale.to_api(operator)
    runs.append((time.process_time() - cpu) / len(sales) * 1e6)
print(json.dumps(runs))
"""


def etims_invoice(rng: random.Random, number: int) -> dict[str, object]:
    """One invoice both builders can express, as plain data."""
    lines = []
    for line in range(1, rng.randint(1, 8) + 1):
        band = rng.choice(list(ETIMS_BANDS))
        item = rng.randrange(500)
        lines.append({"line": str(line), "code": f"ITEM-{item}", "name": f"Item {item}", "band": ETIMS_BANDS[band][1],
                      "tax": band, "rate": ETIMS_BANDS[band][0],
                      "quantity": str(Decimal(rng.randrange(1, 50_000)).scaleb(-2)),
                      "unit_price": str(Decimal(rng.randrange(1, 10_000_000)).scaleb(-2)),
                      "discount": rng.choice(["0", "0", "0", "5", "10", "12.5"])})  # fmt: skip
    buyer = rng.random() < 0.6
    return {"number": f"INV-{number:06d}", "issued_at": (datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=number))
            .isoformat(), "confirmed_at": "2024-06-01T12:00:00+03:00", "buyer_pin": "A000123456F" if buyer else None,
            "buyer_name": "Buyer Ltd" if buyer else None, "lines": lines}  # fmt: skip


def canonical(data: dict[str, object]) -> Invoice:
    buyer = Party(name=data["buyer_name"], pin=data["buyer_pin"]) if data["buyer_pin"] else None
    lines = [
        Line(line_id=line["line"], item=ItemRef(code=line["code"], name=line["name"], category="goods"),
             description=line["name"], quantity=Decimal(line["quantity"]), unit="pcs",
             unit_price=Decimal(line["unit_price"]), price_includes_vat=True,
             discount_percent=Decimal(line["discount"]), taxes=[Tax(code=line["tax"], rate=Decimal(line["rate"]))])
        for line in data["lines"]  # type: ignore[attr-defined]
    ]  # fmt: skip
    return Invoice(source="csv", external_id=str(data["number"]), number=str(data["number"]),
                   issued_at=datetime.fromisoformat(str(data["issued_at"])), currency="KES", exchange_rate=Decimal(1),
                   buyer=buyer, lines=lines, payment_method="cash")  # fmt: skip


def ours_us(invoices: list[Invoice], mapping: Mapping, profile: str, *, wire: bool = False) -> float:
    """CPU µs per body: precheck + build_sale + to_wire, as run() times it (`wire`: build_sale_wire instead)."""
    codes, rates = item_codes(invoices, mapping), default_tax_rates()
    device, audit = DeviceIdentity("P051234567A", "00"), AuditNames("bench", "Benchmark")
    confirmed = datetime(2024, 6, 1, tzinfo=UTC)
    gc.collect()
    cpu = time.process_time()
    for number, invoice in enumerate(invoices, start=1):
        assert not precheck(invoice, mapping)
        if wire:
            build_sale_wire(invoice, profile=profile, mapping=mapping, device=device, invoice_number=number,
                            item_codes=codes, tax_rates=rates, confirmed_at=confirmed, audit=audit)  # fmt: skip
            continue
        build_sale(invoice, profile=profile, mapping=mapping, device=device, invoice_number=number, item_codes=codes,
                   tax_rates=rates, confirmed_at=confirmed, audit=audit).to_wire()  # fmt: skip
    return (time.process_time() - cpu) / len(invoices) * 1e6


def spread(values: list[float]) -> str:
    return f"{min(values):.0f}/{statistics.median(values):.0f}/{max(values):.0f} µs"


def etims_shape(count: int, repeat: int, etims_python: str) -> None:
    rng = random.Random(20240415)
    data = [etims_invoice(rng, number) for number in range(1, count + 1)]
    invoices, mapping = [canonical(d) for d in data], load_mapping("csv")
    codes = item_codes(invoices, mapping)
    for item in data:
        for line in item["lines"]:  # type: ignore[attr-defined]
            line["item_code"] = codes[line["code"]]  # the same item codes for both
    ours = {
        profile: [ours_us(invoices, mapping, profile) for _ in range(repeat)] for profile in ("legacy", "gavaconnect")
    }
    for profile in ("legacy", "gavaconnect"):
        ours[f"{profile} (build_sale_wire)"] = [ours_us(invoices, mapping, profile, wire=True) for _ in range(repeat)]
    theirs, label = [ETIMS_RECORDED_US], "recorded in issue 12 (no etims venv here)"
    if Path(etims_python).exists():
        with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
            json.dump(data, file)
            file.flush()
            done = subprocess.run([etims_python, "-c", ETIMS_SCRIPT, file.name, str(repeat)],
                                  capture_output=True, text=True, check=True)  # fmt: skip
        theirs, label = json.loads(done.stdout), f"measured with {etims_python}"
    lines = sum(len(invoice.lines) for invoice in invoices)
    print(f"etims shape: {count} invoices ({lines} lines), CPU per body min/median/max over {repeat} runs")
    print(f"  etims Sale.to_api   {spread(theirs)} ({label})")
    for profile, runs in ours.items():
        ratio = statistics.median(theirs) / statistics.median(runs)
        print(f"  ours {profile:12}  {spread(runs)}: {ratio:.2f}x etims' bodies per CPU second")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--profile", choices=("legacy", "gavaconnect", "both"), default="both")
    parser.add_argument("--etims-shape", action="store_true", help="compare with the etims package (see above)")
    parser.add_argument("--etims-python", default="/tmp/etims-venv/bin/python", help="a python that has etims")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.etims_shape:
        etims_shape(args.invoices, args.repeat, args.etims_python)
        return 0
    rng = random.Random(20240415)
    invoices = [random_invoice(rng, number) for number in range(1, args.invoices + 1)]
    mapping = load_mapping("csv")
    for profile in ("legacy", "gavaconnect") if args.profile == "both" else (args.profile,):
        run(invoices, mapping, profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
