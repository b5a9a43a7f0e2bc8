"""The QBO v3 accounting API of one realm: /v3/company/<realmId>/<...> after the Bearer check (spec §1.2, §2).

Routes: query (POST application/text or GET ?query=), GET <entity>/<id>, POST <entity> (create, update when the
body has an Id; ?operation=void|delete|update), GET cdc, POST batch, GET preferences, GET companyinfo/<id>.
Assumptions: a CDC `changedSince` older than 30 days answers a 400 ValidationFault (code 4001); CDC returns the
1000 oldest changes when more exist; `Sku` is left out of `SELECT *` (returned with `SELECT *, Sku` and by a read
by Id); a batch of more than 30 items is refused with a 6000 fault.
"""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from . import faults
from .faults import QboFault, Reply
from .query import lookup, parse, run
from .realm import Realm, Record
from .wire import dumps, envelope_time, loads, parse_time

PATH_ENTITIES = {
    "invoice": "Invoice",
    "creditmemo": "CreditMemo",
    "customer": "Customer",
    "item": "Item",
    "taxcode": "TaxCode",
    "taxrate": "TaxRate",
    "payment": "Payment",
    "vendor": "Vendor",
    "bill": "Bill",
}
WRITABLE = {"Invoice", "CreditMemo", "Customer", "Item", "Payment", "Vendor", "Bill"}
BATCH_MAX = 30


def route_of(parts: list[str], params: dict[str, str]) -> str:
    """The counter key of a request path: "invoice/{id}", "query", "invoice?operation=void", ..."""
    if not parts:
        return ""
    route = parts[0] if len(parts) == 1 else f"{parts[0]}/{{id}}" + "".join(f"/{p}" for p in parts[2:])
    if params.get("operation"):
        route += f"?operation={params['operation']}"
    return route


def handle(realm: Realm, method: str, parts: list[str], params: dict[str, str], body: bytes) -> Reply:
    """One API call; a QboFault raised anywhere becomes QBO's Fault envelope."""
    now = realm.clock.now()
    try:
        result = _dispatch(realm, method, parts, params, body)
    except QboFault as fault:
        return fault.reply(now)
    if isinstance(result, Reply):
        return result
    result.setdefault("time", envelope_time(realm.clock.now()))
    return Reply(200, dumps(result))


def _dispatch(realm: Realm, method: str, parts: list[str], params: dict[str, str], body: bytes) -> Any:
    head = parts[0] if parts else ""
    if head == "query" and method in {"GET", "POST"}:
        text = params.get("query") if method == "GET" else body.decode("utf-8")
        if not text:
            raise faults.invalid_query("QueryParserError: empty query")
        return {"QueryResponse": query(realm, text)}
    if head == "cdc" and method == "GET":
        return cdc(realm, params)
    if head == "batch" and method == "POST":
        return batch(realm, _json(body))
    if head == "preferences" and method == "GET" and len(parts) == 1:
        return {"Preferences": realm.preferences()}
    if head == "companyinfo" and method == "GET":
        return {"CompanyInfo": _company_info(realm)}
    entity = PATH_ENTITIES.get(head)
    if entity is None:
        return faults.not_found(realm.clock.now())
    if method == "GET" and len(parts) == 2:
        with realm.lock:
            found = realm.get(entity, parts[1])
        if found is None:
            raise faults.object_not_found(entity, parts[1])
        return {entity: found}
    if method == "POST" and len(parts) == 1 and entity in WRITABLE:
        return {entity: write(realm, entity, params.get("operation", ""), _json(body))}
    return faults.not_found(realm.clock.now())


def _json(body: bytes) -> dict:
    try:
        value = loads(body or b"{}")
    except ValueError as exc:
        raise faults.QboFault("2010", "Request has invalid or unsupported property", f"Invalid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise faults.QboFault("2010", "Request has invalid or unsupported property", "Expected a JSON object")
    return value


def write(realm: Realm, entity: str, operation: str, body: dict) -> dict:
    by = realm.api_user_id
    if operation == "delete":
        tombstone = realm.delete(entity, str(body.get("Id", "")), _token(body), by=by)
        return {key: tombstone[key] for key in ("status", "domain", "Id")}
    if operation == "void":
        return realm.void(entity, str(body.get("Id", "")), _token(body), by=by)
    if operation not in {"", "update", "create"}:
        raise faults.QboFault("500", "Unsupported Operation", f"Operation {operation} is not supported.")
    if body.get("Id") and operation != "create":
        return realm.update(entity, body, sparse=bool(body.get("sparse")), by=by)
    return realm.create(entity, body, by=by)


def _token(body: dict) -> str:
    if "SyncToken" not in body:
        raise faults.required_param("SyncToken")
    return str(body["SyncToken"])


def _resolve(record: Record, field: str) -> Any:
    name = field.lower()
    if name == "metadata.lastupdatedtime":
        return record.updated
    if name == "metadata.createtime":
        return record.created
    return lookup(record.obj, field)


def _canonical(name: str) -> str:
    for known in (*PATH_ENTITIES.values(), "Preferences", "CompanyInfo"):
        if known.lower() == name.lower():
            return known
    raise faults.invalid_query(f"QueryParserError: Invalid entity {name}")


def query(realm: Realm, text: str) -> dict:
    parsed = parse(text)
    entity = _canonical(parsed.entity)
    with realm.lock:
        if entity in {"Preferences", "CompanyInfo"}:
            objs = [realm.preferences() if entity == "Preferences" else _company_info(realm)]
            return {entity: objs, "startPosition": 1, "maxResults": 1}
        records = [rec for rec in realm.records[entity].values() if not rec.deleted]
        page, total = run(parsed, records, _resolve)
        if parsed.count:
            return {"totalCount": total}
        if not page:
            return {}
        rows = [_project(rec.obj, parsed.fields, parsed.extra_fields, entity) for rec in page]
    return {entity: rows, "startPosition": parsed.start, "maxResults": len(rows)}


def _project(obj: dict, fields: list[str] | None, extra: list[str], entity: str) -> dict:
    if fields is None:
        row = copy.deepcopy(obj)
        if entity == "Item" and not any(name.lower() == "sku" for name in extra):
            row.pop("Sku", None)
        return row
    row = {"domain": "QBO", "sparse": True}
    keys = {key.lower(): key for key in obj}
    for name in fields:
        if name.lower() in keys:
            row[keys[name.lower()]] = copy.deepcopy(obj[keys[name.lower()]])
    return row


def cdc(realm: Realm, params: dict[str, str]) -> dict:
    if not params.get("entities"):
        raise faults.required_param("entities")
    if not params.get("changedSince"):
        raise faults.required_param("changedSince")
    try:
        since = parse_time(params["changedSince"])
    except ValueError:
        raise faults.QboFault("4001", "Invalid query", f"Invalid changedSince {params['changedSince']}") from None
    now = realm.clock.now()
    if now - since > timedelta(days=realm.cdc_days):
        raise faults.QboFault("4001", "Invalid query", "cdc can only be performed for changes in the last 30 days")
    names = [_canonical(name.strip()) for name in params["entities"].split(",") if name.strip()]
    with realm.lock:  # `time` is read under the lock: every later change is stamped after it (a safe watermark)
        watermark = envelope_time(realm.clock.now())
        changed = [rec for name in names for rec in realm.records.get(name, {}).values() if rec.updated >= since]
        changed.sort(key=lambda rec: rec.updated)
        changed = changed[: realm.cdc_max]
        groups = []
        for name in names:
            objs = [copy.deepcopy(rec.obj) for rec in changed if rec.entity == name]
            if objs:
                groups.append({name: objs, "startPosition": 1, "maxResults": len(objs)})
    return {"CDCResponse": [{"QueryResponse": groups or [{}]}], "time": watermark}


def batch(realm: Realm, body: dict) -> dict:
    items = body.get("BatchItemRequest")
    if not isinstance(items, list):
        raise faults.required_param("BatchItemRequest")
    if len(items) > BATCH_MAX:
        raise faults.business_validation(f"Batch size {len(items)} exceeds the limit of {BATCH_MAX}")
    answers = []
    for item in items:
        answer: dict[str, Any] = {"bId": item.get("bId")}
        try:
            if "Query" in item:
                answer["QueryResponse"] = query(realm, item["Query"])
            else:
                entity = next((key for key in item if key in WRITABLE), None)
                if entity is None:
                    raise faults.required_param("entity")
                operation = item.get("operation", "create")
                answer[entity] = write(realm, entity, "" if operation == "update" else operation, item[entity])
        except QboFault as fault:
            answer["Fault"] = fault.fault_body()
        answers.append(answer)
    return {"BatchItemResponse": answers}


def _company_info(realm: Realm) -> dict:
    return {
        "CompanyName": f"Fake company {realm.realm_id}",
        "LegalName": f"Fake company {realm.realm_id} Ltd",
        "Country": "KE" if realm.tax_model == "global" else "US",
        "SupportedLanguages": "en",
        "domain": "QBO",
        "sparse": False,
        "Id": "1",
        "SyncToken": "0",
    }
