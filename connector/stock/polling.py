"""Reading a source's stock movements (the `ReportsStock` capability) into the stock ledger.

Runs with every poll of the source, before its invoices are read (and the devices woken after both), so a
receipt recorded in the ERP reaches KRA before the sale that needs it (stock documents go first on a device).
The cursor is kept like the invoice cursor, under "<source>:stock".
Movements the connector reports itself (sales, customer returns) and movements dated before `[stock] start_date`
are skipped. A movement that cannot be read is that movement's needs-fix (document, field, value), never the
poll's failure; the cursor moves on either way (the document stays in the ledger to be fixed and retried).
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import TYPE_CHECKING, Any

from connector.adapters import KnowsStockOnHand, ReportsStock
from connector.clock import EAT
from connector.errors import ConfigurationError, ConnectorError, DocumentError, SecretKeyError
from connector.stock.ledger import KIND, record_move
from connector.stock.models import REPORTED_BY_THE_CONNECTOR, StockMove

if TYPE_CHECKING:
    from connector.pipeline import Pipeline, Source

log = logging.getLogger("connector.stock")

INFRASTRUCTURE = (ConfigurationError, SecretKeyError, OSError)


def cursor_name(source_name: str) -> str:
    return f"{source_name}:stock"


def ingest_stock(pipeline: Pipeline, source: Source) -> set[str]:
    """Record the source's new stock movements (or, for a source that knows quantities on hand only, the
    adjustments they call for: connector/stock/on_hand.py); returns the device keys that got work."""
    adapter = source.adapter
    settings = pipeline.settings
    if isinstance(adapter, KnowsStockOnHand) and settings.stock_reported:
        from connector.stock.on_hand import reconcile

        return reconcile(pipeline, source)
    if not isinstance(adapter, ReportsStock) or not settings.stock_reported:
        return set()
    start = settings.stock.start_date
    if start is not None and hasattr(adapter, "stock_start_date"):
        adapter.stock_start_date = start  # the Odoo source filters by it itself
    ledger, name, devices = pipeline.ledger, cursor_name(source.name), set()
    for item, next_cursor in adapter.fetch_stock_moves(ledger.cursor(name)):
        try:
            key = _record_one(pipeline, source, item)
            if key:
                devices.add(key)
        except INFRASTRUCTURE:
            raise
        except Exception as exc:  # the one boundary: this movement's problem, not the poll's
            devices.add(_record_problem(pipeline, source, item, exc))
        ledger.set_cursor(name, next_cursor)
    return devices


def _record_one(pipeline: Pipeline, source: Source, item: Any) -> str | None:
    move = item if isinstance(item, StockMove) else StockMove.model_validate(item)
    if move.kind in REPORTED_BY_THE_CONNECTOR:
        log.info("%s: stock movement %s (%s) skipped: the connector reports it from the signed documents",
                 source.name, move.number, move.kind)  # fmt: skip
        return None
    start = pipeline.settings.stock.start_date
    if start is not None and move.moved_at.astimezone(EAT).date() < start:
        return None
    device = source.device
    if move.branch:
        try:
            device = pipeline.settings.device(move.branch)
        except ConnectorError as error:
            message = f"names a branch that is not a configured device ({error})"
            raise DocumentError(message, document=move.number, field="branch", value=move.branch) from None
    record_move(pipeline.ledger, device.key, move)
    return device.key


def _record_problem(pipeline: Pipeline, source: Source, item: Any, exc: Exception) -> str:
    from connector.pipeline import document_problem

    data = item.model_dump(mode="json") if isinstance(item, StockMove) else item
    data = data if isinstance(data, dict) else {"value": repr(data)}
    external_id = str(data.get("external_id") or "unreadable-" + _digest(data))
    number = str(data.get("number") or external_id)
    problem = document_problem(exc, f"{number} (stock)").describe()
    log.warning("%s: stock movement %s cannot be read: %s", source.name, external_id, problem)
    pipeline.ledger.record(source=source.name, external_id=external_id, kind=KIND, number=number,
                           device_key=source.device.key, canonical=None, content_hash=f"problem:{_digest(data)}",
                           source_ref={}, problem=problem)  # fmt: skip
    return source.device.key


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]
