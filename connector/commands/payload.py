"""`etims-connector payload build | schema`: see the exact KRA request for a canonical invoice.

`payload build` is a preview: it uses the configured device (the first, or `--pin/--branch`; a
placeholder when none is configured, and it says so) and profile (or `--profile`), numbers items 1..n in
order of first appearance and, for a credit note, trusts the `--original-invoice-number` you give it (the
ledger's checks against the original invoice are skipped). Nothing is sent anywhere.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from typing import TYPE_CHECKING

from connector.errors import ConnectorError

if TYPE_CHECKING:  # imported where used: `--help` builds this parser without them
    from connector.kra.payloads import SaleRequest
    from connector.kra_payload import OriginalInvoice
    from connector.mapping import Mapping
    from connector.models import Invoice

PLACEHOLDER_PIN = "P000000000A"
PLACEHOLDER_BRANCH = "00"
PREVIEW_AUDIT = {"id": "etims-connector", "name": "eTIMS Connector (preview)"}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("payload", help="show the KRA request for a canonical invoice (no sending)")
    actions = parser.add_subparsers(dest="action", required=True)
    build = actions.add_parser("build", help="canonical invoice JSON -> saveTrnsSalesOsdc request JSON")
    build.add_argument("file", nargs="?", default="-", help="canonical invoice JSON file, or - for stdin")
    build.add_argument("--profile", choices=("legacy", "gavaconnect"), help="default: the configured kra.profile")
    build.add_argument("--mapping", help="mapping TOML file (default: the packaged one of the source)")
    build.add_argument("--invoice-number", type=int, default=1, help="KRA invcNo to show (default 1)")
    build.add_argument(
        "--original-invoice-number", type=int, default=1, help="credit notes: the original's KRA invcNo (default 1)"
    )
    build.add_argument("--pin", help=f"seller PIN (default: the configured device's, else {PLACEHOLDER_PIN})")
    build.add_argument("--branch", help="seller branch id (default: the configured device's, else 00)")
    build.set_defaults(func=run_build)
    schema = actions.add_parser("schema", help="print the JSON Schema of the canonical invoice")
    schema.set_defaults(func=run_schema)


def run_schema(args: argparse.Namespace) -> int:
    from connector import jsonio
    from connector.models import invoice_json_schema

    print(jsonio.dumps(invoice_json_schema(), pretty=True))
    return 0


def run_build(args: argparse.Namespace) -> int:
    from connector import jsonio
    from connector.kra_payload import precheck
    from connector.mapping import load_mapping
    from connector.models import Invoice

    text = ""
    try:
        text = _read(args.file)
        invoice = Invoice.from_json(text)
    except OSError as error:
        print(f"error: {args.file}: {error.strerror or error}", file=sys.stderr)
        return 2
    except ValueError as error:
        from connector.model_bounds import invoice_file_problem

        print(f"error: {args.file}: not a canonical invoice: {invoice_file_problem(error, text)}", file=sys.stderr)
        return 2
    _choose_device(args)
    mapping = load_mapping(args.mapping or _default_mapping(invoice.source))
    problems = precheck(invoice, mapping, original=_assumed_original(invoice, args.original_invoice_number))
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        return 1
    try:
        request = _build(invoice, mapping, args)
    except ConnectorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(jsonio.dumps(request.to_wire(), pretty=True))
    return 0


def _choose_device(args: argparse.Namespace) -> None:
    """PIN, branch and profile from the options, else the configuration, else placeholders — said on stderr."""
    from connector.config import load_settings

    settings = load_settings(getattr(args, "config", None))
    device = settings.devices[0] if settings.devices else None
    args.profile = args.profile or ("gavaconnect" if settings.kra.profile == "gavaconnect" else "legacy")
    args.pin = args.pin or (device.pin if device else PLACEHOLDER_PIN)
    args.branch = args.branch or (device.branch if device else PLACEHOLDER_BRANCH)
    if device is not None and (args.pin, args.branch) == (device.pin, device.branch):
        who = f"device {device.name} ({args.pin}/{args.branch})"
    elif args.pin == PLACEHOLDER_PIN:
        who = f"a placeholder device ({args.pin}/{args.branch}: no device configured)"
    else:
        who = f"PIN {args.pin}, branch {args.branch}"
    print(f"preview for {who}, {args.profile} profile, invcNo {args.invoice_number}: nothing is sent",
          file=sys.stderr)  # fmt: skip


def _build(invoice: Invoice, mapping: Mapping, args: argparse.Namespace) -> SaleRequest:
    from connector.clock import now_eat
    from connector.kra.codes import default_tax_rates
    from connector.kra_payload import AuditNames, DeviceIdentity, build_sale

    return build_sale(
        invoice,
        profile=args.profile,
        mapping=mapping,
        device=DeviceIdentity(pin=args.pin.upper(), branch_id=args.branch),
        invoice_number=args.invoice_number,
        original_invoice_number=args.original_invoice_number if invoice.is_credit_note else None,
        item_codes=preview_item_codes(invoice, mapping, strict=args.profile == "gavaconnect"),
        tax_rates=default_tax_rates(),
        confirmed_at=now_eat(),
        audit=AuditNames(**PREVIEW_AUDIT),
    )


def preview_item_codes(invoice: Invoice, mapping: Mapping, *, strict: bool) -> dict[str, str]:
    """Item codes numbered 1..n in order of first appearance, so the shape of the codes shows."""
    from connector.kra_payload import format_item_code, item_spec

    found: dict[str, str] = {}
    for number, line in enumerate(invoice.lines, start=1):
        if line.item.code not in found:
            spec = item_spec(line, invoice, mapping, number)
            found[line.item.code] = format_item_code(spec, len(found) + 1, strict=strict)
    return found


def _assumed_original(invoice: Invoice, number: int) -> OriginalInvoice | None:
    """For a preview, an original that allows exactly this credit note."""
    from connector.kra_payload import OriginalInvoice

    if not invoice.is_credit_note:
        return None
    remaining: dict[str, Decimal] = {}
    for line in invoice.lines:
        remaining[line.item.code] = remaining.get(line.item.code, Decimal(0)) + line.quantity
    return OriginalInvoice(
        invoice_number=number,
        buyer_pin=invoice.buyer.pin if invoice.buyer else None,
        issued_at=invoice.issued_at,
        remaining_quantity=remaining,
        remaining_amount=Decimal("1e18"),
    )


def _default_mapping(source: str) -> str:
    from connector.mapping import PACKAGED_SOURCES

    return source if source in PACKAGED_SOURCES else "csv"


def _read(file: str) -> str:
    if file == "-":
        return sys.stdin.read()
    with open(file, encoding="utf-8") as handle:
        return handle.read()
