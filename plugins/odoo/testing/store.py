"""The fake's in-memory database: tables of raw records, a controllable clock, and values rendered as Odoo's
`read` renders them (many2one as [id, display_name], floats, false for empty)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from plugins.odoo.testing.schema import Field

ODOO_DATETIME = "%Y-%m-%d %H:%M:%S"


class Clock:
    """write_date source: real UTC time, or frozen so that many records share one write_date."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None
        self._offset = timedelta()

    def now(self) -> str:
        moment = self._frozen if self._frozen is not None else datetime.now(UTC).replace(tzinfo=None) + self._offset
        return moment.strftime(ODOO_DATETIME)

    def freeze(self, at: str | None = None) -> None:
        self._frozen = datetime.strptime(at, ODOO_DATETIME) if at else datetime.strptime(self.now(), ODOO_DATETIME)

    def tick(self, seconds: float = 1) -> None:
        if self._frozen is not None:
            self._frozen += timedelta(seconds=seconds)
        else:
            self._offset += timedelta(seconds=seconds)

    def unfreeze(self) -> None:
        self._frozen = None


class Store:
    """model -> id -> raw record. Raw values: many2one an int or False, x2many a list of ints, money a Decimal."""

    def __init__(self, schema: dict[str, dict[str, Field]]) -> None:
        self.schema = schema
        self.tables: dict[str, dict[int, dict[str, Any]]] = {model: {} for model in schema}
        self.next_ids: dict[str, int] = {}
        self.lock = threading.RLock()
        self.clock = Clock()

    def insert(self, model: str, values: dict[str, Any], record_id: int | None = None) -> int:
        with self.lock:
            table = self.tables[model]
            if record_id is None:
                record_id = self.next_ids.get(model, 1)
            self.next_ids[model] = max(self.next_ids.get(model, 1), record_id + 1)
            now = self.clock.now()
            record = {"id": record_id, "create_date": now, "write_date": now}
            record.update(values)
            table[record_id] = record
            return record_id

    def update(self, model: str, record_id: int, values: dict[str, Any]) -> None:
        with self.lock:
            record = self.tables[model][record_id]
            record.update(values)
            record["write_date"] = self.clock.now()

    def get(self, model: str, record_id: int) -> dict[str, Any]:
        return self.tables[model][record_id]

    def display_name(self, model: str, record_id: int) -> str:
        record = self.tables.get(model, {}).get(record_id)
        if record is None:
            return f"{model},{record_id}"
        if model == "product.product" and record.get("default_code"):
            return f"[{record['default_code']}] {record['name']}"
        if model == "account.move":
            return record.get("name") or f"Draft ({record_id})"
        if model == "ir.model":
            return record["name"]
        return str(record.get("name") or f"{model},{record_id}")

    def render(self, model: str, record: dict[str, Any], names: list[str], classic_write: bool) -> dict[str, Any]:
        """One record as `read` answers it."""
        fields = self.schema[model]
        out: dict[str, Any] = {"id": record["id"]}
        for name in names:
            field = fields[name]
            if name == "display_name":
                out[name] = self.display_name(model, record["id"])
                continue
            value = record.get(name, False)
            out[name] = self._render_value(field, value, classic_write)
        return out

    def _render_value(self, field: Field, value: Any, classic_write: bool) -> Any:
        if field.type == "many2one":
            if not value:
                return False
            return value if classic_write else [value, self.display_name(field.relation or "", value)]
        if field.type in ("one2many", "many2many"):
            return list(value or [])
        if field.type in ("float", "monetary"):
            return float(value or 0)
        if field.type == "integer":
            return int(value or 0)
        if field.type == "boolean":
            return bool(value)
        return to_json(value) if value not in (None, "") else False


def to_json(value: Any) -> Any:
    """Decimals inside JSON blobs (tax_totals) become floats, as Odoo's JSON does."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value
