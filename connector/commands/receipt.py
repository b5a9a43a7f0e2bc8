"""`etims-connector receipt DOC [--pdf FILE | --html FILE] [--copy]`: the signed receipt of one document."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from connector.commands.common import context_from

if TYPE_CHECKING:
    from connector.receipts import ReceiptData


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("receipt", help="the KRA-signed receipt of a document, as PDF or HTML with its QR code")
    parser.add_argument("document", help="document id (see `status`), or SOURCE:NUMBER")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--pdf", metavar="FILE", help="write the receipt as PDF (- for standard output)")
    out.add_argument("--html", metavar="FILE", help="write the receipt as one self-contained HTML file (- for stdout)")
    parser.add_argument("--copy", action="store_true", help="mark it COPY (every print after the first is one anyway)")
    parser.set_defaults(func=receipt_command)


def receipt_command(args: argparse.Namespace) -> int:
    from connector.receipts import find_document, mark_issued, receipt_data, render_html, render_pdf

    context = context_from(args)
    ledger = context.ledger
    doc = find_document(ledger, args.document)
    data = receipt_data(ledger, doc, copy=True if args.copy else None)  # unsigned: ReceiptError, exit 2
    if args.pdf:
        _write(args.pdf, render_pdf(data))
        mark_issued(ledger, data, f"pdf {args.pdf}")
    elif args.html:
        _write(args.html, render_html(data).encode("utf-8"))
        mark_issued(ledger, data, f"html {args.html}")
    else:
        print(summary(data))
        return 0
    if args.pdf != "-" and args.html != "-":
        kind = "COPY" if data.copy else "original"
        print(f"{data.title.lower()} {data.trader_invoice_number} ({kind}): {args.pdf or args.html}", file=sys.stderr)
    return 0


def _write(target: str, content: bytes) -> None:
    if target == "-":
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
    else:
        Path(target).write_bytes(content)


def summary(data: ReceiptData) -> str:
    """The signature block as text, for the terminal."""
    from connector.receipts.data import grouped
    from connector.receipts.formatting import eat_time, money

    rows = [
        (data.title, f"{data.trader_invoice_number} ({data.document_label}, id {data.document_id})"),
        ("Seller", f"{data.trade_name or ''} PIN {data.seller_pin} branch {data.branch}".strip()),
        ("Buyer", f"{data.buyer_name or '-'}" + (f" PIN {data.buyer_pin}" if data.buyer_pin else "")),
        ("Total", f"KES {money(data.shown(data.total))} (tax KES {money(data.shown(data.total_tax))})"),
        ("Signed", eat_time(data.signed_at) + " EAT"),
        ("SCU ID", data.scu_id),
        ("CU invoice no.", data.cu_invoice_number),
        ("Receipt no.", data.receipt_counter),
        ("Internal data", grouped(data.internal_data)),
        ("Signature", grouped(data.signature)),
        ("KRA link", data.qr_url),
    ]
    if data.original_cu_invoice_number:
        rows.insert(4, ("Original CU no.", data.original_cu_invoice_number))
    return "\n".join(f"{label:<15} {value}" for label, value in rows)
