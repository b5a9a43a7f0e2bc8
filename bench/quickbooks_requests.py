"""Requests to QuickBooks per synced document, on the webhook path and on the CDC (poll) path.

Runs the real adapter (python-quickbooks + intuit-oauth) against the fake QBO server; no KRA involved. A synced
document = read, made canonical, receipt written back, and the echo of our own write-back read and found unchanged.

    .venv/bin/python bench/quickbooks_requests.py [--documents 200]
"""

from __future__ import annotations

import argparse
from collections import Counter

from connector.testing import sample_receipt
from plugins.quickbooks.harness import connected_adapter
from plugins.quickbooks.testing import (
    FakeQuickBooks,
    cloudevents_body,
    make_customer,
    make_invoice,
    make_item,
    sales_line,
    sign,
)


def company(qbo: FakeQuickBooks, customers: int = 20):
    realm, adapter = connected_adapter(qbo, write_custom_fields={"cu_invoice_number": "CU Invoice No"})
    realm.set_custom_fields(["CU Invoice No", None, None])
    people = [realm.add("Customer", make_customer(f"Customer {i}")) for i in range(customers)]
    items = [realm.add("Item", make_item(f"Item {i}", sku=f"SKU-{i}", unit_price="100")) for i in range(10)]
    return realm, adapter, people, items


def invoice(realm, people, items, n: int) -> dict:
    lines = [sales_line(items[n % 10], 1 + n % 3), sales_line(items[(n * 7) % 10], 2)]
    return realm.add("Invoice", make_invoice(people[n % len(people)], lines))


def webhook_path(documents: int) -> Counter:
    with FakeQuickBooks() as qbo:
        realm, adapter, people, items = company(qbo)
        events: list = []
        realm.listeners.append(events.append)  # what Intuit would POST, one event per save
        realm.requests.clear()
        for n in range(documents):
            invoice(realm, people, items, n)
            while events:  # the bookkeeper's save, then the echo of our own write-back
                body = cloudevents_body([events.pop(0)])
                answer = adapter.accept_webhook({"intuit-signature": sign(body, qbo.verifier_token)}, body)
                for document in adapter.fetch_changed(answer.keys) if answer.keys else []:
                    adapter.to_canonical(document)
                    adapter.write_back(document.ref, sample_receipt(n + 1))
        return Counter(realm.requests)


def cdc_path(documents: int, batch: int) -> Counter:
    with FakeQuickBooks() as qbo:
        realm, adapter, people, items = company(qbo)
        cursor, written = None, set()
        for _ in adapter.fetch_new(None):  # the first run's query (empty company)
            pass
        realm.requests.clear()
        made = 0
        while made < documents:
            for _ in range(min(batch, documents - made)):
                invoice(realm, people, items, made)
                made += 1
            for document, next_cursor in list(adapter.fetch_new(cursor)):
                adapter.to_canonical(document)
                if document.external_id not in written:  # the ledger writes back once (the echo is unchanged)
                    adapter.write_back(document.ref, sample_receipt(made))
                    written.add(document.external_id)
                cursor = next_cursor
        list(adapter.fetch_new(cursor))  # the poll that sees our own write-backs
        return Counter(realm.requests)


def report(name: str, counts: Counter, documents: int) -> None:
    total = sum(counts.values())
    detail = ", ".join(f"{method} {route}: {n}" for (method, route), n in counts.most_common())
    print(f"{name}: {total} requests for {documents} documents = {total / documents:.2f} per document ({detail})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--batch", type=int, default=20, help="documents saved between two CDC polls")
    args = parser.parse_args()
    report("webhook path", webhook_path(args.documents), args.documents)
    report(f"CDC path (polls of {args.batch})", cdc_path(args.documents, args.batch), args.documents)


if __name__ == "__main__":
    main()
