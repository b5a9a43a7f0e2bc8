"""`show DOC` (state, events, every KRA exchange) and `discard DOC --reason` (never to be sent)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from connector.commands.common import context_from
from connector.errors import ConnectorError

if TYPE_CHECKING:
    from connector.ledger import Document, Ledger

SUMMARY_FIELDS = ("id", "source", "external_id", "kind", "number", "device_key", "state", "reason",
                  "invoice_number", "stock_number", "receipt", "write_back_error")  # fmt: skip


def register(sub: argparse._SubParsersAction) -> None:
    show = sub.add_parser("show", help="one document: state, reason, events, every KRA exchange")
    show.add_argument("document", help="ledger id, or SOURCE:NUMBER")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=show_command)
    discard = sub.add_parser("discard", help="close a document that must never be sent (kept, with the reason)")
    discard.add_argument("document", help="ledger id, or SOURCE:NUMBER")
    discard.add_argument("--reason", required=True, help="why it must not be sent (kept in the ledger)")
    discard.set_defaults(func=discard_command)


def _exchanges(ledger: Ledger, doc: Document) -> list[dict[str, Any]]:
    from connector import jsonio

    rows = ledger.db.query(
        "SELECT at, endpoint, outcome, code, message, http_status, elapsed_seconds, request, response"
        " FROM exchanges WHERE document_id = ? ORDER BY id",
        [doc.id],
    )
    exchanges = []
    for row in rows:
        row = dict(row)
        for key in ("request", "response"):
            row[key] = jsonio.loads(row[key]) if row[key] else None
        exchanges.append(row)
    return exchanges


def show_command(args: argparse.Namespace) -> int:
    from connector import jsonio

    ledger = context_from(args).ledger
    doc = ledger.lookup(args.document)
    events, exchanges = ledger.events(doc.id), _exchanges(ledger, doc)
    if args.json:
        canonical = json.loads(doc.canonical) if doc.canonical else None
        summary = {k: getattr(doc, k) for k in SUMMARY_FIELDS}
        print(jsonio.dumps({**summary, "canonical": canonical, "events": events, "exchanges": exchanges}, pretty=True))
        return 0
    print(f"{doc.label} (id {doc.id}, {doc.kind}): {doc.state}" + (f" — {doc.reason}" if doc.reason else ""))
    name, held = ("sarNo", doc.stock_number) if doc.kind == "stock" else ("invcNo", doc.invoice_number)
    print(f"  device {doc.device_key}, {name} {held or 'not allocated'}")
    if doc.receipt:
        r = doc.receipt
        print(f"  receipt {r['receipt_number']}/{r['total_receipt_number']}, signed {r['signed_at']}, "
              f"signature {r['signature']}\n  {r['qr_url']}")  # fmt: skip
    if doc.write_back_error:
        print(f"  write-back failing: {doc.write_back_error}")
    print("Events:")
    for event in events:
        move = f"{event['from_state'] or ''} → {event['to_state']}" if event["to_state"] else "note"
        print(f"  {event['at'][:19]}  {move}: {event['detail']}")
    print("KRA exchanges:" if exchanges else "KRA exchanges: none")
    for x in exchanges:
        status = f" HTTP {x['http_status']}" if x["http_status"] else ""
        print(f"  {x['at'][:19]}  {x['endpoint']} → {x['outcome']} {x['code'] or ''}{status}: {x['message']}")
    return 0


def discard_command(args: argparse.Namespace) -> int:
    ledger = context_from(args).ledger
    doc = ledger.lookup(args.document)
    try:
        doc = ledger.discard(doc.id, args.reason)
    except ConnectorError as exc:
        raise ConnectorError(f"{doc.label}: cannot discard: {exc}") from None
    print(f"discarded {doc.label} (id {doc.id}): {args.reason}")
    return 0
