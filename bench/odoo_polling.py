"""Benchmark: the Odoo adapter polling 10 000 posted invoices from the fake Odoo (real HTTP, real odoorpc).

    .venv/bin/python bench/odoo_polling.py [--invoices 10000] [--page-size 200] [--version 18]

Prints, for a poll from scratch, for an incremental poll after N new invoices, and for a poll with nothing
new: pages read, RPC calls per (model, method), calls per page, and time. Polling cost is O(pages): a fixed
handful of calls per page (moves, their lines, new products/partners) whatever the number of documents,
plus a constant once per poll (taxes) and once per connection (login, fields_get, company).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from plugins.odoo.harness import adapter_for
from plugins.odoo.testing import FakeOdoo


def poll(odoo: FakeOdoo, adapter: object, cursor: str | None, label: str, page_size: int) -> str | None:
    odoo.calls.clear()
    started = time.perf_counter()
    documents = 0
    for _document, next_cursor in adapter.fetch_new(cursor):  # type: ignore[attr-defined]
        documents += 1
        cursor = next_cursor
    elapsed = time.perf_counter() - started
    calls: Counter[tuple[str, str]] = Counter(odoo.calls)
    pages = calls[("account.move", "search_read")]
    total = sum(calls.values())
    print(f"\n{label}: {documents} documents, {pages} move searches (page size {page_size}; +1 late check), "
          f"{total} RPC calls, {total / max(pages, 1):.2f} calls per page, "
          f"{total / max(documents, 1):.4f} calls per document, {elapsed:.2f} s "
          f"({documents / elapsed if elapsed else 0:.0f} documents/s)")  # fmt: skip
    for (model, method), count in sorted(calls.items()):
        print(f"    {model}.{method}: {count}")
    return cursor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--new", type=int, default=1_000, help="invoices posted before the incremental poll")
    parser.add_argument("--page-size", type=int, default=200)
    parser.add_argument("--version", choices=["17", "18"], default="18")
    args = parser.parse_args()
    with FakeOdoo(version=args.version, addon=True) as odoo:
        started = time.perf_counter()
        odoo.make_invoices(args.invoices)
        print(
            f"fake Odoo {args.version}: {args.invoices} posted invoices built in {time.perf_counter() - started:.1f} s"
        )
        adapter = adapter_for(odoo, page_size=args.page_size)
        cursor = poll(odoo, adapter, None, "from scratch (incl. login and fields_get)", args.page_size)
        odoo.make_invoices(args.new)
        cursor = poll(odoo, adapter, cursor, f"incremental after {args.new} new", args.page_size)
        poll(odoo, adapter, cursor, "nothing new", args.page_size)
        adapter.close()


if __name__ == "__main__":
    main()
