"""Reading changed QuickBooks documents: CDC from a watermark, the LastUpdatedTime query, reads by Id, and the
look-ups that make a document self-contained (customer, items, tax rates, a credit memo's original).

The watermark is QBO's own response `time` (no clock skew). CDC is used while the watermark is < 29 days old
and the answer is not saturated (`cdc_max` objects, QBO's cap, is not a safe checkpoint); otherwise, and on the
first run, a query on `MetaData.LastUpdatedTime` with paging. Invoices come before credit memos.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from connector.clock import EAT, now_utc
from plugins.quickbooks.client import QboClient
from plugins.quickbooks.config import QuickBooksConfig
from plugins.quickbooks.documents import custom_field, is_voided
from plugins.quickbooks.writeback import MEMO_PREFIX, without_block

ENTITIES = ("Invoice", "CreditMemo")
CDC_DAYS = 29
CHUNK = 100
CACHE_SECONDS = 300.0


def _quoted(ids: Iterable[str]) -> str:
    return ", ".join("'" + str(i).replace("'", "\\'") + "'" for i in ids)


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class Reader:
    def __init__(self, config: QuickBooksConfig, client: QboClient) -> None:
        self.config = config
        self.client = client
        self._items: dict[str, tuple[float, dict[str, Any]]] = {}
        self._customers: dict[str, tuple[float, dict[str, Any]]] = {}
        self._tax_rates: dict[str, str] | None = None

    # ------------------------------------------------------------ what changed

    def start(self) -> str:
        day = self.config.start_date or (now_utc().astimezone(EAT) - timedelta(days=self.config.backfill_days)).date()
        return f"{day.isoformat()}T00:00:00+03:00"

    def changes(self, cursor: str | None) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        """(entity, raw doc) changed since `cursor` (invoices first) and the new watermark."""
        since = cursor or self.start()
        if cursor is not None and not self._too_old(cursor):
            found, at = self.client.cdc(list(ENTITIES), cursor)
            if sum(len(rows) for rows in found.values()) < self.config.cdc_max:
                return [(name, doc) for name in ENTITIES for doc in found[name]], at
        return self.by_query(since)

    def _too_old(self, cursor: str) -> bool:
        try:
            return now_utc() - datetime.fromisoformat(cursor) > timedelta(days=CDC_DAYS)
        except ValueError:
            return True

    def by_query(self, since: str) -> tuple[list[tuple[str, dict[str, Any]]], str | None]:
        docs: list[tuple[str, dict[str, Any]]] = []
        watermark = None
        size = self.config.page_size
        for name in ENTITIES:
            sql = f"SELECT * FROM {name} WHERE MetaData.LastUpdatedTime >= '{since}' ORDERBY MetaData.LastUpdatedTime"
            start = 1
            while True:
                rows, at = self.client.query(f"{sql} STARTPOSITION {start} MAXRESULTS {size}")
                watermark = watermark or at  # the first answer's time: later changes are caught next time
                docs.extend((name, doc) for doc in rows)
                if len(rows) < size:
                    break
                start += size
        return docs, watermark

    def by_id(self, entity: str, ids: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(ids):
            rows, _ = self.client.query(f"SELECT * FROM {entity} WHERE Id IN ({_quoted(chunk)}) MAXRESULTS 1000")
            found.update({str(row["Id"]): row for row in rows})
        return found

    # ------------------------------------------------------------ making a document self-contained

    def contents(self, docs: list[tuple[str, dict[str, Any]]], hidden_fields: set[str]) -> list[dict[str, Any]]:
        live = [doc for _, doc in docs if doc.get("status") != "Deleted"]
        live_ids = {id(doc) for doc in live}
        items = self._cached(self._items, self._item_ids(live), "SELECT *, Sku FROM Item")
        customers = self._cached(self._customers, {str((d.get("CustomerRef") or {}).get("value")) for d in live},
                                 "SELECT * FROM Customer")  # fmt: skip
        rates = self.tax_rates() if live else {}
        originals = self._originals([doc for name, doc in docs if name == "CreditMemo" and id(doc) in live_ids])
        result = []
        for name, doc in docs:
            content: dict[str, Any] = {"entity": name, "doc": stable(doc, hidden_fields)}
            if id(doc) in live_ids:
                content["voided"] = is_voided(doc)
                used = {str((line.get("SalesItemLineDetail") or {}).get("ItemRef", {}).get("value"))
                        for line in _all_lines(doc)}  # fmt: skip
                content["items"] = {i: _item_view(items[i]) for i in sorted(used) if i in items}
                content["customer"] = customers.get(str((doc.get("CustomerRef") or {}).get("value")))
                content["tax_rates"] = rates
                if name == "CreditMemo":
                    content["original"], content["original_asked"] = originals.get(str(doc["Id"]), (None, None))
            result.append(content)
        return result

    def _item_ids(self, docs: list[dict[str, Any]]) -> set[str]:
        return {str((line.get("SalesItemLineDetail") or {}).get("ItemRef", {}).get("value"))
                for doc in docs for line in _all_lines(doc)}  # fmt: skip

    def _cached(self, cache: dict[str, tuple[float, dict[str, Any]]], ids: set[str], select: str) -> dict[str, Any]:
        now = time.monotonic()
        wanted = sorted(i for i in ids if i and i != "None" and (i not in cache or now - cache[i][0] > CACHE_SECONDS))
        for chunk in _chunks(wanted):
            rows, _ = self.client.query(f"{select} WHERE Id IN ({_quoted(chunk)}) MAXRESULTS 1000")
            for row in rows:
                cache[str(row["Id"])] = (now, row)
        return {i: cache[i][1] for i in ids if i in cache}

    def tax_rates(self) -> dict[str, str]:
        """{TaxCode Id: percent of its (first) sales rate}, read once."""
        if self._tax_rates is None:
            rates = {
                str(r["Id"]): str(r.get("RateValue", "0")) for r, _ in self.client.query_all("SELECT * FROM TaxRate")
            }
            codes: dict[str, str] = {}
            for code, _ in self.client.query_all("SELECT * FROM TaxCode"):
                details = (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
                if details and str(details[0].get("TaxRateRef", {}).get("value")) in rates:
                    codes[str(code["Id"])] = rates[str(details[0]["TaxRateRef"]["value"])]
            self._tax_rates = codes
        return self._tax_rates

    def _originals(self, memos: list[dict[str, Any]]) -> dict[str, tuple[dict[str, Any] | None, str | None]]:
        """Credit memo Id → (original invoice {Id, DocNumber} or None, the invoice number it names)."""
        linked = {str(m["Id"]): str(t["TxnId"]) for m in memos for t in m.get("LinkedTxn") or []
                  if t.get("TxnType") == "Invoice"}  # fmt: skip
        named = {str(m["Id"]): custom_field(m, self.config.original_invoice_field) for m in memos}
        by_id = self.by_id("Invoice", sorted(set(linked.values()))) if linked else {}
        numbers = sorted({n for i, n in named.items() if n and i not in linked})
        by_number: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(numbers):
            rows, _ = self.client.query(f"SELECT * FROM Invoice WHERE DocNumber IN ({_quoted(chunk)}) MAXRESULTS 1000")
            by_number.update({str(row.get("DocNumber")): row for row in rows})
        result: dict[str, tuple[dict[str, Any] | None, str | None]] = {}
        for memo_id in named:
            invoice = by_id.get(linked[memo_id]) if memo_id in linked else by_number.get(named[memo_id] or "")
            view = {"Id": str(invoice["Id"]), "DocNumber": invoice.get("DocNumber")} if invoice else None
            result[memo_id] = (view, named[memo_id])
        return result


def _all_lines(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for line in doc.get("Line") or []:
        yield line
        yield from (line.get("GroupLineDetail") or {}).get("Line") or []


def _item_view(item: dict[str, Any]) -> dict[str, Any]:
    return {"Name": item.get("Name"), "Sku": item.get("Sku"), "Type": item.get("Type")}


def stable(doc: dict[str, Any], hidden_fields: set[str]) -> dict[str, Any]:
    """The document without what changes when the connector writes back (SyncToken, update time, its notes and
    custom fields), so a write-back never looks like a new version."""
    copy = {key: value for key, value in doc.items() if key not in ("SyncToken", "sparse")}
    meta = dict(copy.get("MetaData") or {})
    meta.pop("LastUpdatedTime", None)
    meta.pop("LastModifiedByRef", None)
    copy["MetaData"] = meta
    if "PrivateNote" in copy:
        copy["PrivateNote"] = without_block(copy["PrivateNote"])
    if isinstance(copy.get("CustomerMemo"), dict):
        memo = "\n".join(
            x for x in str(copy["CustomerMemo"].get("value", "")).splitlines() if not x.startswith(MEMO_PREFIX)
        )
        copy["CustomerMemo"] = {"value": memo}
    hidden = {name.casefold() for name in hidden_fields}
    copy["CustomField"] = [e for e in copy.get("CustomField") or [] if str(e.get("Name", "")).casefold() not in hidden]
    return copy
