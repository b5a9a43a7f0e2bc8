"""The periodic scans (sweep, monitor, status) find their documents through an index, never a table scan.

Each scan runs for real on a ledger; every SELECT it sends is traced and its EXPLAIN QUERY PLAN read.
`bench/ledger_scans.py` measures what this means on 500 000 documents.
"""

from __future__ import annotations

import re
from pathlib import Path

from connector import monitor, status
from connector.config import MonitorSettings, load_settings
from connector.context import Context
from connector.daemon import write_backs_due
from connector.ledger import PENDING
from connector.pipeline import Pipeline, Source, default_mapping
from tests.pipeline_helpers import make_invoice

# "SCAN documents" reads every row; "SCAN … USING … INDEX" does not. d and x: the aliases status gives them.
# (The alerts table is read newest first up to a limit: small, not a growing table of every document.)
TABLE_SCAN = re.compile(r"^SCAN (documents|exchanges|d|x)$")


def _plans(context: Context, scan) -> dict[str, list[str]]:
    conn = context.db.conn
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        scan()
    finally:
        conn.set_trace_callback(None)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT") and " documents" in s]
    assert selects, "the scan sent no SELECT on documents"
    return {sql: [row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall()] for sql in selects}


def _table_scans(plans: dict[str, list[str]]) -> dict[str, list[str]]:
    return {sql: steps for sql, steps in plans.items() if any(TABLE_SCAN.match(step) for step in steps)}


def _ledger_with_documents(config: Path) -> Context:
    context = Context(load_settings(config))
    pipeline = Pipeline(context, {})
    source = Source("test", None, default_mapping("test"), context.settings.device())
    for number in range(5):
        pipeline.record_invoice(make_invoice(f"S-{number}"), source, {"test": number})
    pipeline.record_invoice(make_invoice("S-bad", tax="NO-SUCH-TAX"), source, {"test": "bad"})
    pipeline.drain(context.settings.device().key)
    return context


def test_the_sweep_uses_indexes(config: Path) -> None:
    context = _ledger_with_documents(config)
    ledger = context.ledger

    def sweep() -> None:
        ledger.documents("state = ?", [PENDING])
        ledger.devices_with_work()
        write_backs_due(ledger, 15.0)

    assert _table_scans(_plans(context, sweep)) == {}


def test_the_monitor_uses_indexes(config: Path) -> None:
    context = _ledger_with_documents(config)
    assert _table_scans(_plans(context, lambda: monitor.find_flags(context.ledger, MonitorSettings()))) == {}


def test_status_uses_indexes(config: Path) -> None:
    context = _ledger_with_documents(config)
    plans = _plans(context, lambda: status.collect(context, context.ledger))
    assert _table_scans(plans) == {}
    alerts = [steps for sql, steps in plans.items() if "FROM alerts" in sql]
    assert alerts and all(any("exchanges_device_outcome" in step for step in steps) for steps in alerts)


def _vm_steps(context: Context, work) -> int:
    """SQLite virtual-machine steps `work` takes: what reading more rows costs, without a clock."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    context.db.conn.set_progress_handler(count, 1)
    try:
        work()
    finally:
        context.db.conn.set_progress_handler(None, 1)
    return steps[0]


def test_finding_a_devices_next_document_does_not_read_its_whole_queue(config: Path) -> None:
    """head_of_device runs before every document: a backlog of 2 000 (half signed) costs what one of 20 does."""
    context = Context(load_settings(config))
    ledger, key = context.ledger, context.settings.device().key

    def backlog(count: int) -> None:
        ledger.db.execute("DELETE FROM documents")
        rows = [["test", f"Q-{i}", "invoice", f"Q-{i}", key, "queued" if i >= count // 2 else "accepted",
                 "{}", "h", "{}", i + 1 if i < count // 2 else None, "t", "t"] for i in range(count)]  # fmt: skip
        ledger.db.executemany(
            "INSERT INTO documents (source, external_id, kind, number, device_key, state, canonical, content_hash,"
            " source_ref, invoice_number, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", rows)  # fmt: skip

    backlog(20)
    small = _vm_steps(context, lambda: ledger.head_of_device(key))
    backlog(2000)
    head = ledger.head_of_device(key)
    large = _vm_steps(context, lambda: ledger.head_of_device(key))
    assert head is not None and head.external_id == "Q-1000"  # the oldest waiting one
    assert large < 2 * small, (small, large)
