"""Intuit-style webhook notifications: signing, both payload formats, sending, forging and replaying (spec §4).

`intuit-signature` = base64(HMAC-SHA256(key=verifier token, msg=raw body bytes)). Assumptions: CloudEvents `id` is
a fresh uuid4 per event, `source` is "intuit.<app hash>" (fixed here), the type is
`qbo.<entity lower-case>.<created|updated|deleted|voided|merged|emailed>.v1`; `lastUpdated` is UTC with milliseconds
and "Z" like the legacy sample. The fake's automatic sender posts one notification per change (Intuit may batch).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

PAST_TENSE = {
    "Create": "created",
    "Update": "updated",
    "Delete": "deleted",
    "Void": "voided",
    "Merge": "merged",
    "Emailed": "emailed",
}
CLOUDEVENTS_SOURCE = "intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU="


@dataclass(frozen=True)
class ChangeEvent:
    """One entity change in one realm (what a notification announces)."""

    realm_id: str
    entity: str  # "Invoice", "CreditMemo", ...
    entity_id: str
    operation: str  # "Create" | "Update" | "Delete" | "Void" | "Merge" | "Emailed"
    last_updated: datetime
    deleted_id: str | None = None  # Merge only


def sign(body: bytes, verifier_token: str) -> str:
    digest = hmac.new(verifier_token.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def forge_signature(body: bytes) -> str:
    """A well-formed signature made with the wrong key."""
    return sign(body, "not-the-verifier-token")


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def legacy_body(events: Iterable[ChangeEvent]) -> bytes:
    """`{"eventNotifications": [{"realmId", "dataChangeEvent": {"entities": [...]}}]}`, one entry per realm."""
    per_realm: dict[str, list[dict]] = {}
    for event in events:
        entity = {
            "name": event.entity,
            "id": event.entity_id,
            "operation": event.operation,
            "lastUpdated": _utc(event.last_updated),
        }
        if event.deleted_id is not None:
            entity["deletedId"] = event.deleted_id
        per_realm.setdefault(event.realm_id, []).append(entity)
    notifications = [
        {"realmId": realm, "dataChangeEvent": {"entities": entities}} for realm, entities in per_realm.items()
    ]
    return json.dumps({"eventNotifications": notifications}).encode("utf-8")


def cloudevents_body(events: Iterable[ChangeEvent], *, void_type: str = "voided") -> bytes:
    """A JSON array of CloudEvents 1.0 (`void_type="void"` gives the variant one real delivery showed)."""
    items = []
    for event in events:
        verb = void_type if event.operation == "Void" else PAST_TENSE[event.operation]
        items.append(
            {
                "specversion": "1.0",
                "id": str(uuid.uuid4()),
                "source": CLOUDEVENTS_SOURCE,
                "type": f"qbo.{event.entity.lower()}.{verb}.v1",
                "datacontenttype": "application/json",
                "time": _utc(event.last_updated),
                "intuitentityid": event.entity_id,
                "intuitaccountid": event.realm_id,
                "data": {"deletedid": event.deleted_id} if event.deleted_id is not None else {},
            }
        )
    return json.dumps(items).encode("utf-8")


def body_for(events: Iterable[ChangeEvent], fmt: str) -> bytes:
    if fmt == "legacy":
        return legacy_body(events)
    if fmt == "cloudevents":
        return cloudevents_body(events)
    raise ValueError(f"webhook format is 'legacy' or 'cloudevents', not {fmt!r}")


def send_webhook(
    url: str, body: bytes, verifier_token: str, *, signature: str | None = None, timeout: float = 5.0
) -> httpx.Response:
    """POST `body` the way Intuit does: JSON content type and `intuit-signature` (computed unless given)."""
    headers = {
        "content-type": "application/json",
        "intuit-signature": signature if signature is not None else sign(body, verifier_token),
        "user-agent": "Intuit-Webhooks/1.0",
    }
    return httpx.post(url, content=body, headers=headers, timeout=timeout)


class WebhookSender:
    """Sends notifications to one URL; remembers what it sent so a test can replay or forge."""

    def __init__(self, url: str, verifier_token: str, fmt: str = "cloudevents", timeout: float = 5.0) -> None:
        self.url, self.verifier_token, self.fmt, self.timeout = url, verifier_token, fmt, timeout
        self.sent: list[tuple[bytes, str]] = []  # (body, signature)

    def send(self, events: Iterable[ChangeEvent]) -> httpx.Response:
        body = body_for(list(events), self.fmt)
        return self.send_raw(body, sign(body, self.verifier_token))

    def send_raw(self, body: bytes, signature: str) -> httpx.Response:
        self.sent.append((body, signature))
        return send_webhook(self.url, body, self.verifier_token, signature=signature, timeout=self.timeout)

    def replay_last(self) -> httpx.Response:
        """The last notification again, byte for byte with its valid signature (a replay attack or a retry)."""
        body, signature = self.sent[-1]
        return self.send_raw(body, signature)

    def send_forged(self, events: Iterable[ChangeEvent]) -> httpx.Response:
        body = body_for(list(events), self.fmt)
        return self.send_raw(body, forge_signature(body))

    def send_unsigned(self, events: Iterable[ChangeEvent]) -> httpx.Response:
        body = body_for(list(events), self.fmt)
        self.sent.append((body, ""))
        return httpx.post(self.url, content=body, headers={"content-type": "application/json"}, timeout=self.timeout)
