"""`etims-connector run | status | retry | reconcile | doctor | submit`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from connector.commands.common import add_device_option, settings_from
from connector.errors import ConfigurationError, ConnectorError

if TYPE_CHECKING:  # imported where used: `--help` builds this parser without them
    from connector.context import Context
    from connector.ledger import Ledger
    from connector.pipeline import Pipeline


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="poll the configured sources and send to KRA until stopped")
    run.add_argument("--workers", type=int, help="queue workers (default: queue.workers)")
    run.set_defaults(func=run_command)
    status = sub.add_parser("status", help="documents per state, devices, queue depth, last errors")
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=status_command)
    retry = sub.add_parser("retry", help="queue needs-fix documents again after you fixed the cause")
    retry.add_argument("document", nargs="?", help="document id, or SOURCE:NUMBER")
    retry.add_argument("--all", action="store_true", help="every needs-fix document")
    retry.set_defaults(func=retry_command)
    reconcile = sub.add_parser("reconcile", help="resolve documents whose KRA answer never arrived, now")
    reconcile.set_defaults(func=reconcile_command)
    doctor = sub.add_parser("doctor", help="check configuration, key, devices, KRA and sources")
    doctor.set_defaults(func=doctor_command)
    submit = sub.add_parser("submit", help="send one canonical JSON invoice now and print its receipt")
    submit.add_argument("file", help="canonical invoice JSON (see `payload schema`), or - for stdin")
    submit.add_argument("--mapping", help="mapping file (default: the invoice source's packaged mapping)")
    add_device_option(submit)
    submit.set_defaults(func=submit_command)


def run_command(args: argparse.Namespace) -> int:
    from connector import logs, startup
    from connector.daemon import Daemon
    from connector.instance_lock import InstanceLock

    settings = settings_from(args)
    level = "DEBUG" if args.verbose else settings.log_level  # -v wins; otherwise the configured level
    logs.configure(level, settings.log_format, settings.log_file)
    with InstanceLock(settings.data_dir):  # one `run` per data dir; a second one is refused naming the PID
        try:
            daemon = Daemon(settings, workers=args.workers)
        except ConfigurationError as exc:
            raise ConfigurationError(f"{startup.where(settings)}: {exc}") from None
        refusals = startup.problems(settings, daemon.context, daemon.sources)
        if refusals:
            daemon.context.close()
            raise ConfigurationError("cannot start:\n  " + "\n  ".join(refusals))
        kra = settings.kra
        print(f"etims-connector: data in {settings.data_dir}; KRA {kra.profile} at {kra.api_base()}", flush=True)
        daemon.run_forever()
    return 0


def _ledger(args: argparse.Namespace) -> tuple[Context, Ledger]:
    from connector.context import Context

    context = Context(settings_from(args))
    return context, context.ledger


def status_command(args: argparse.Namespace) -> int:
    from connector import jsonio
    from connector.config import DEFAULT_FILE
    from connector.ledger import STATES
    from connector.status import collect

    settings = settings_from(args)
    if not settings.ledger_target and not settings.database_path.exists():  # (a PostgreSQL ledger: just ask it)
        looked = (
            f"configuration {settings.config_path}"
            if settings.config_path
            else (f"no configuration file ($ETIMS_CONFIG unset, no ./{DEFAULT_FILE})")
        )
        print(f"Nothing recorded yet: {looked}; no ledger at {settings.database_path}.")
        return 1
    context, ledger = _ledger(args)
    report = collect(context, ledger)
    if args.json:
        print(jsonio.dumps(report, pretty=True))
        return 0
    counts = report["documents"]
    print("Documents: " + (", ".join(f"{state} {counts[state]}" for state in STATES if counts.get(state)) or "none"))
    for device in report["devices"]:
        age = device["oldest_unsigned_hours"]
        oldest = f", oldest unsigned {age:.1f} h" if age is not None else ""
        print(f"Device {device['name']} ({device['key']}): last invcNo {device['last_invoice_number']}, "
              f"waiting {device['waiting']}{oldest}")  # fmt: skip
    print(f"Queue depth: {report['queue_depth']}")
    pending = report["not_written_back"]
    if pending["count"]:
        print(f"Signed, receipt not yet written back to the source: {pending['count']}")
        for doc in pending["documents"]:
            error = f", last error: {doc['last_error']}" if doc["last_error"] else ""
            print(f"  [id {doc['id']}] {doc['document']} invcNo {doc['invoice_number']}: "
                  f"{doc['attempts']} attempt(s){error}")  # fmt: skip
    for problem in report["problems"]:
        print(f"  ! {problem}")
    return 0


def _pipeline(context: Context) -> Pipeline:
    from connector.pipeline import Pipeline
    from connector.queue import TaskQueue

    pipeline = Pipeline(context, {})
    TaskQueue(context.settings, pipeline)  # wakes a running daemon
    return pipeline


def retry_command(args: argparse.Namespace) -> int:
    from connector.ledger import NEEDS_FIX

    context, ledger = _ledger(args)
    if args.all == bool(args.document):
        raise ConnectorError("give one document, or --all")
    ids = [d.id for d in ledger.documents("state = ?", [NEEDS_FIX])] if args.all else [ledger.lookup(args.document).id]
    pipeline = _pipeline(context)
    for doc_id in ids:
        doc = pipeline.retry(doc_id)
        print(f"queued again: {doc.label} (id {doc.id})")
    if not ids:
        print("no needs-fix documents")
    return 0


def reconcile_command(args: argparse.Namespace) -> int:
    from connector.ledger import leases
    from connector.ledger.schema import IN_FLIGHT
    from connector.sending import DeviceSender, Waiting

    context, ledger = _ledger(args)
    pipeline = _pipeline(context)
    marks = ", ".join("?" for _ in IN_FLIGHT)
    docs = ledger.documents(f"state IN ({marks})", list(IN_FLIGHT))
    for doc in docs:
        if leases.acquire(ledger.db, doc.device_key, 300) is None:
            print(f"{doc.label}: its device is busy in a running connector, which resolves it first")
            continue
        sender = DeviceSender(pipeline, context.settings.device(doc.device_key))
        try:
            sender.step(doc)  # in flight: a sale is read back, a stock IO (kind "stock") resent identically
        except Waiting:
            pass
        finally:
            sender.flush()
            leases.release(ledger.db, doc.device_key)
        after = ledger.get(doc.id)
        number = f"sarNo {doc.stock_number}" if doc.kind == "stock" else f"invcNo {doc.invoice_number}"
        print(f"{doc.label}: {number} → {after.state} {after.reason or ''}".rstrip())
    if not docs:
        print("nothing to reconcile: no document is waiting for a KRA answer")
    return 0


def doctor_command(args: argparse.Namespace) -> int:
    from connector.doctor import run_checks

    failures = 0
    for ok, line in run_checks(settings_from(args)):
        print(f"[{'ok' if ok else 'FAIL'}] {line}")
        failures += not ok
    return 1 if failures else 0


def submit_command(args: argparse.Namespace) -> int:
    from connector import jsonio
    from connector.context import Context
    from connector.ledger import Ledger
    from connector.ledger.schema import SIGNED
    from connector.mapping import load_mapping
    from connector.models import Invoice
    from connector.pipeline import Pipeline, Source

    text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    try:
        invoice = Invoice.from_json(text)
    except ValueError as error:  # pydantic's ValidationError and JSON syntax errors: this invoice only
        print(f"not sent: {args.file}: {_invoice_problem(error, text)}", file=sys.stderr)
        return 1
    context = Context(settings_from(args))
    device = context.settings.device(args.device)
    mapping = load_mapping(
        args.mapping or (invoice.source if invoice.source in ("csv", "odoo", "quickbooks") else "csv")
    )
    source = Source(invoice.source, None, mapping, device)
    pipeline = Pipeline(context, {invoice.source: source})
    doc_id = pipeline.record_invoice(invoice, source, {"submitted_from": args.file})
    pipeline.drain(device.key, budget_seconds=context.settings.kra.timeout_seconds * 3)
    doc = Ledger(context.db).get(doc_id)
    print(jsonio.dumps({"id": doc.id, "state": doc.state, "reason": doc.reason, "receipt": doc.receipt}, pretty=True))
    return 0 if doc.state in SIGNED else 1


def _invoice_problem(error: ValueError, text: str) -> str:
    from connector.model_bounds import invoice_file_problem

    return invoice_file_problem(error, text)
