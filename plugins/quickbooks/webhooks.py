"""Intuit webhooks: verify `intuit-signature` and list the changed invoices and credit memos of one realm.

Signature: base64(HMAC-SHA256(key = the app's verifier token, message = the raw body)), compared in constant
time; anything else is refused (401). Both payload shapes are read: the legacy `{"eventNotifications": [...]}`
and the CloudEvents array (`type` "qbo.invoice.updated.v1", `intuitaccountid`, `intuitentityid`). A POST may
mix realms; only `realm_id`'s entities are kept. Keys are "Invoice:130" / "CreditMemo:7".

Replays are not refused (no time window): a replayed event only makes the adapter read the document again,
and the ledger records an unchanged document once (content hash), so nothing is sent twice.
The echo of the connector's own write-back (an Update in the same second as the update QBO answered) is skipped
without reading the document; an edit by someone else in that very second is then found by the next CDC poll.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

ENTITIES = {"invoice": "Invoice", "creditmemo": "CreditMemo"}
IGNORED_OPERATIONS = {"merge", "merged", "emailed"}  # nothing fiscal changed


def signature(body: bytes, verifier_token: str) -> str:
    return base64.b64encode(hmac.new(verifier_token.encode(), body, hashlib.sha256).digest()).decode()


def verified(body: bytes, given: str | None, verifier_token: str) -> bool:
    if not given or not verifier_token:
        return False
    return hmac.compare_digest(signature(body, verifier_token).encode(), given.strip().encode())


def changed_keys(body: bytes, realm_id: str) -> tuple[dict[str, str], set[str]]:
    """({key: when it changed} of this realm's invoices/credit memos, the other realm ids seen).

    ValueError if the body is not a webhook payload. The time is the event's (`lastUpdated` / `time`), "" if absent.
    """
    payload = json.loads(body)
    keys: dict[str, str] = {}
    others: set[str] = set()
    for realm, entity, entity_id, operation, when in _events(payload):
        if realm != realm_id:
            others.add(realm)
            continue
        name = ENTITIES.get(entity.lower())
        if name and entity_id and operation.lower() not in IGNORED_OPERATIONS:
            key = f"{name}:{entity_id}"
            keys[key] = max(keys.get(key, ""), when)
    return keys, others


def same_second(event_time: str, updated: datetime | None) -> bool:
    """The event is the one QBO fired for the update at `updated` (MetaData times have whole seconds)."""
    if not event_time or updated is None:
        return False
    try:
        when = datetime.fromisoformat(event_time.replace("Z", "+00:00"))
    except ValueError:
        return False
    return when.tzinfo is not None and abs((when - updated).total_seconds()) < 1 and when.second == updated.second


def _events(payload: Any) -> list[tuple[str, str, str, str, str]]:
    if isinstance(payload, dict) and "eventNotifications" in payload:
        events = []
        for notification in payload["eventNotifications"] or []:
            realm = str(notification.get("realmId", ""))
            for entity in (notification.get("dataChangeEvent") or {}).get("entities") or []:
                events.append((realm, str(entity.get("name", "")), str(entity.get("id", "")),
                               str(entity.get("operation", "")), str(entity.get("lastUpdated") or "")))  # fmt: skip
        return events
    if isinstance(payload, list):
        events = []
        for event in payload:
            parts = str(event.get("type", "")).split(".")  # qbo.<entity>.<operation>.v1
            if len(parts) >= 3 and parts[0] == "qbo":
                events.append((str(event.get("intuitaccountid", "")), parts[1], str(event.get("intuitentityid", "")),
                               parts[2], str(event.get("time") or "")))  # fmt: skip
        return events
    raise ValueError("neither eventNotifications nor a CloudEvents array")
