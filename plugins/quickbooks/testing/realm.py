"""One fake QBO company: a thread-safe in-memory store with SyncTokens, CDC history, custom-field definitions,
request counters, injected faults and a rate limiter.

Assumptions: Ids are per-entity sequences starting at 1 (Invoice at 100, like a sandbox with sample data);
`realm.edit/void/delete` are a bookkeeper's actions (MetaData.LastModifiedByRef = `ui_user_id`), API writes carry
`api_user_id` — so an adapter can tell its own write-backs apart, as the spec suggests.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from . import faults, inventory
from .builders import kenya_tax_entities
from .clock import FakeClock
from .custom_fields import custom_fields_as_saved, preferences
from .entities import BILLS, TRANSACTIONS, prepare, voided
from .tax import Rate
from .webhooks import ChangeEvent
from .wire import metadata_time

ENTITIES = ("Invoice", "CreditMemo", "Customer", "Item", "TaxCode", "TaxRate", "Payment", "Vendor", "Bill")
FIRST_ID = {"Invoice": 100, "CreditMemo": 500}


@dataclass
class Record:
    entity: str
    obj: dict
    created: datetime
    updated: datetime
    deleted: bool = False


@dataclass
class RequestRecord:
    method: str
    route: str
    query: dict[str, str]
    body: bytes
    status: int = 0


@dataclass
class _Injected:
    kind: str
    remaining: int
    route: str | None


@dataclass
class Limit:
    per_minute: int = 500
    concurrent: int = 10
    fmt: str = "xml"
    recent: deque = field(default_factory=deque)


class Realm:
    """A QBO company. Everything a test does "in QBO" goes through these methods; all are thread-safe."""

    def __init__(
        self,
        realm_id: str,
        clock: FakeClock,
        *,
        tax_model: str = "global",
        home_currency: str = "KES",
        timezone: tzinfo | None = None,
    ) -> None:
        if tax_model not in {"global", "us"}:
            raise ValueError("tax_model is 'global' or 'us'")
        self.realm_id, self.clock, self.tax_model, self.home_currency = realm_id, clock, tax_model, home_currency
        self.timezone = timezone or ZoneInfo("Africa/Nairobi")
        self.lock = threading.RLock()
        self.records: dict[str, dict[str, Record]] = {name: {} for name in ENTITIES}
        self._ids = {name: itertools.count(FIRST_ID.get(name, 1)) for name in ENTITIES}
        self._doc_numbers = {"Invoice": itertools.count(1001), "CreditMemo": itertools.count(5001)}
        self.custom_field_names: list[str | None] = [None, None, None]
        self.custom_field_max_length = 31
        self.unique_doc_numbers = False
        self.exchange_rates: dict[str, Decimal] = {}
        self.us_tax_rates: dict[str, Rate] = {}
        self.api_user_id, self.ui_user_id = "9130350000000099", "9130350000000042"
        self.requests: Counter[tuple[str, str]] = Counter()
        self.request_log: list[RequestRecord] = []
        self.writes = 0
        self.latency = 0.0
        self.cdc_max = 1000
        self.cdc_days = 30
        self.replies: dict[str, Any] = {}  # requestid -> Reply
        self.listeners: list[Callable[[ChangeEvent], None]] = []
        self._injected: list[_Injected] = []
        self._limit: Limit | None = None
        self._in_flight = 0
        if tax_model == "global":
            codes, rates = kenya_tax_entities()
            for obj in rates:
                self._store("TaxRate", copy.deepcopy(obj), by=self.ui_user_id)
            for obj in codes:
                self._store("TaxCode", copy.deepcopy(obj), by=self.ui_user_id)

    # ---- reading -------------------------------------------------------------------------------------------
    def live(self, entity: str, entity_id: str) -> dict | None:
        """The stored entity itself (no copy), None when absent or deleted. Hold `lock` while using it."""
        record = self.records.get(entity, {}).get(str(entity_id))
        return None if record is None or record.deleted else record.obj

    def get(self, entity: str, entity_id: str) -> dict | None:
        with self.lock:
            found = self.live(entity, entity_id)
            return copy.deepcopy(found) if found is not None else None

    def all(self, entity: str) -> list[dict]:
        with self.lock:
            return [copy.deepcopy(rec.obj) for rec in self.records[entity].values() if not rec.deleted]

    @property
    def tax_rates(self) -> dict[str, Rate]:
        """{TaxCode Id: Rate} from this realm's TaxCode and TaxRate entities (first sales rate of each code)."""
        with self.lock:
            result = {}
            for record in self.records["TaxCode"].values():
                details = record.obj.get("SalesTaxRateList", {}).get("TaxRateDetail", [])
                rate = self.live("TaxRate", details[0]["TaxRateRef"]["value"]) if details else None
                if rate is not None:
                    result[record.obj["Id"]] = Rate(rate["Id"], Decimal(str(rate["RateValue"])))
            return result

    def next_doc_number(self, entity: str) -> str:
        return str(next(self._doc_numbers[entity]))

    def doc_number_taken(self, entity: str, number: str, own_id: str | None) -> bool:
        return any(
            rec.obj.get("DocNumber") == number and rec.obj.get("Id") != own_id and not rec.deleted
            for rec in self.records[entity].values()
        )

    # ---- custom fields and preferences (custom_fields.py) ----------------------------------------------------
    def set_custom_fields(self, names: Iterable[str | None]) -> None:
        """Names of sales-form custom fields 1..3 (None = disabled)."""
        with self.lock:
            self.custom_field_names = [*names, None, None, None][:3]

    def custom_fields_for(self, given: list[dict]) -> list[dict]:
        return custom_fields_as_saved(self.custom_field_names, self.custom_field_max_length, given)

    def preferences(self) -> dict:
        with self.lock:
            return preferences(self.custom_field_names, self.tax_model, self.home_currency, bool(self.exchange_rates))

    # ---- writing -------------------------------------------------------------------------------------------
    def _stamp(self, record: Record, by: str) -> None:
        record.obj["MetaData"] = {
            "CreateTime": metadata_time(record.created),
            "LastModifiedByRef": {"value": by},
            "LastUpdatedTime": metadata_time(record.updated),
        }

    def _store(self, entity: str, obj: dict, *, by: str) -> Record:
        given = str(obj.get("Id", "")) or None
        if given is None or given in self.records[entity]:
            given = str(next(self._ids[entity]))
            while given in self.records[entity]:
                given = str(next(self._ids[entity]))
        obj["Id"] = given
        obj["SyncToken"] = "0"
        now = self.clock.now()
        record = Record(entity, obj, now, now)
        self._stamp(record, by)
        self.records[entity][given] = record
        return record

    def _emit(self, record: Record, operation: str) -> None:
        if record.entity not in TRANSACTIONS | BILLS | {"Customer", "Item", "Vendor"}:
            return
        event = ChangeEvent(self.realm_id, record.entity, record.obj["Id"], operation, record.updated)
        for listener in list(self.listeners):
            listener(event)

    def create(self, entity: str, obj: dict, *, by: str | None = None) -> dict:
        """Validate, complete and store a new entity (QBO's create); fires "Create". Returns a copy."""
        with self.lock:
            body = copy.deepcopy(obj)
            if by == self.api_user_id:
                body.pop("Id", None)  # the API assigns Ids; a test's `add` may choose one
            for key in ("SyncToken", "MetaData"):
                body.pop(key, None)
            prepare(self, entity, body)
            record = self._store(entity, body, by=by or self.ui_user_id)
            inventory.apply(self, entity, None, record.obj)
            self.writes += by == self.api_user_id
            result = copy.deepcopy(record.obj)
        self._emit(record, "Create")
        return result

    add = create  # a test "types the document into QBO"

    def _bump(self, record: Record, by: str) -> None:
        record.obj["SyncToken"] = str(int(record.obj["SyncToken"]) + 1)
        record.updated = self.clock.now()
        self._stamp(record, by)

    def _existing(self, entity: str, entity_id: str, sync_token: str | None) -> Record:
        record = self.records.get(entity, {}).get(str(entity_id))
        if record is None or record.deleted:
            raise faults.object_not_found(entity, str(entity_id))
        if sync_token is not None and str(sync_token) != record.obj["SyncToken"]:
            raise faults.stale_object()
        return record

    def update(self, entity: str, body: dict, *, sparse: bool, by: str | None = None) -> dict:
        """QBO's update: SyncToken must match (else 5010); sparse merges the given top-level fields (a Line array
        replaces all lines; CustomField merges by definition), full replaces every writable field."""
        if "SyncToken" not in body:
            raise faults.required_param("SyncToken")
        with self.lock:
            record = self._existing(entity, body.get("Id", ""), body["SyncToken"])
            changes = {
                k: copy.deepcopy(v) for k, v in body.items() if k not in {"Id", "SyncToken", "sparse", "MetaData"}
            }
            if sparse:
                merged = copy.deepcopy(record.obj)
                if "CustomField" in changes:
                    changes["CustomField"] = _merge_custom_fields(merged.get("CustomField", []), changes["CustomField"])
                merged.update(changes)
            else:
                merged = changes
            merged["Id"] = record.obj["Id"]
            if entity in TRANSACTIONS and "DocNumber" not in merged:
                merged["DocNumber"] = record.obj.get("DocNumber")
            prepare(self, entity, merged)
            merged["SyncToken"] = record.obj["SyncToken"]
            inventory.apply(self, entity, record.obj, merged)
            record.obj = merged
            self._bump(record, by or self.ui_user_id)
            self.writes += by == self.api_user_id
            result = copy.deepcopy(record.obj)
        self._emit(record, "Update")
        return result

    def edit(self, entity: str, entity_id: str, **fields: Any) -> dict:
        """A bookkeeper edits the document in QBO (sparse semantics, SyncToken + 1, webhook "Update")."""
        with self.lock:
            token = self._existing(entity, entity_id, None).obj["SyncToken"]
        return self.update(entity, {"Id": str(entity_id), "SyncToken": token, **fields}, sparse=True)

    def void(self, entity: str, entity_id: str, sync_token: str | None = None, *, by: str | None = None) -> dict:
        with self.lock:
            record = self._existing(entity, entity_id, sync_token)
            before = copy.deepcopy(record.obj)
            voided(record.obj)
            inventory.apply(self, entity, before, record.obj)
            self._bump(record, by or self.ui_user_id)
            self.writes += by == self.api_user_id
            result = copy.deepcopy(record.obj)
        self._emit(record, "Void")
        return result

    def delete(self, entity: str, entity_id: str, sync_token: str | None = None, *, by: str | None = None) -> dict:
        """Delete: the entity becomes a CDC tombstone `{"domain", "status": "Deleted", "Id", "MetaData"}`."""
        with self.lock:
            record = self._existing(entity, entity_id, sync_token)
            inventory.apply(self, entity, record.obj, None)
            record.deleted = True
            record.updated = self.clock.now()
            record.obj = {"domain": "QBO", "status": "Deleted", "Id": record.obj["Id"],
                          "MetaData": {"LastUpdatedTime": metadata_time(record.updated)}}  # fmt: skip
            self.writes += by == self.api_user_id
            result = copy.deepcopy(record.obj)
        self._emit(record, "Delete")
        return result

    # ---- faults, limits, counters --------------------------------------------------------------------------
    def inject(self, kind: str, count: int = 1, route: str | None = None) -> None:
        if kind not in faults.INJECTABLE:
            raise ValueError(f"unknown fault {kind!r}; one of {sorted(faults.INJECTABLE)}")
        with self.lock:
            self._injected.append(_Injected(kind, count, route))

    def throttle_storm(self, n: int, fmt: str = "xml") -> None:
        self.inject("throttle_429_xml" if fmt == "xml" else "throttle_429_json", n)

    def limit(self, per_minute: int = 500, concurrent: int = 10, fmt: str = "xml") -> None:
        with self.lock:
            self._limit = Limit(per_minute, concurrent, fmt)

    def take_injected(self, route: str) -> str | None:
        with self.lock:
            for injected in self._injected:
                if injected.remaining > 0 and injected.route in (None, route):
                    injected.remaining -= 1
                    return injected.kind
            self._injected = [item for item in self._injected if item.remaining > 0]
            return None

    def admit(self) -> str | None:
        """Start a request under the limiter: None, or the 429 fault kind to answer. Call `done()` after."""
        with self.lock:
            self._in_flight += 1
            if self._limit is None:
                return None
            now = self.clock.timestamp()
            recent = self._limit.recent
            while recent and recent[0] <= now - 60:
                recent.popleft()
            kind = "throttle_429_xml" if self._limit.fmt == "xml" else "throttle_429_json"
            if self._in_flight > self._limit.concurrent or len(recent) >= self._limit.per_minute:
                return kind
            recent.append(now)
            return None

    def done(self) -> None:
        with self.lock:
            self._in_flight -= 1

    def count(self, record: RequestRecord) -> None:
        with self.lock:
            self.requests[(record.method, record.route)] += 1
            self.request_log.append(record)


def _merge_custom_fields(current: list[dict], given: list[dict]) -> list[dict]:
    merged = {str(entry.get("DefinitionId")): dict(entry) for entry in current}
    for entry in given:
        key = str(entry.get("DefinitionId") or entry.get("Name"))
        merged[key] = {**merged.get(key, {}), **entry}
    return list(merged.values())
