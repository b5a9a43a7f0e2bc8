"""One item's KRA code, registering it first (saveItem) when no one has — for sales, stock and purchases alike.

The PIN's registration claim (connector/ledger/items.py `register`) makes it once per item per PIN, whichever
worker, device or kind of document needs the item first: the others wait for that answer. A caller turns what
KRA answered into its own document's state (needs-fix, wait).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connector.kra.results import Outcome
from connector.ledger import items as item_store

if TYPE_CHECKING:
    from connector.kra.client import KraClient, KraResult
    from connector.ledger import Ledger

ITEM_WAIT_SECONDS = 10.0  # how long a document waits in its device's turn for another worker's saveItem answer
ItemBusy = item_store.ItemBusy  # another worker still registers this PIN's items: try again in .seconds


@dataclass(frozen=True)
class Registration:
    code: str | None  # the item's KRA code, when KRA registered it (now, or earlier, or for another worker)
    answer: KraResult | None = None  # KRA's answer when it did not (refused, not now, configuration)
    sent: bool = False  # this call sent saveItem (a round trip on the document's way)

    @property
    def refused(self) -> bool:
        return self.answer is not None and self.answer.outcome is Outcome.REJECTED


def register_item(
    ledger: Ledger,
    client: KraClient,
    *,
    pin: str,
    source_code: str,
    spec: Any,
    strict: bool,
    audit: Any,
    deadline_seconds: float,
    document_id: int | None,
    device_key: str,
    stopping: Callable[[], bool] = lambda: False,
    wait_seconds: float = ITEM_WAIT_SECONDS,
) -> Registration:
    """Raises ItemBusy when another worker holds the PIN's claim for longer than `wait_seconds`."""
    from connector.kra_items import build_save_item, format_item_code

    answers: list[KraResult] = []

    def send(code: str) -> item_store.Answer:
        result = client.save_item(build_save_item(spec, code, audit))
        answers.append(result)
        ledger.store_exchange(document_id, device_key, result)
        if result.outcome is Outcome.ACCEPTED:
            return "registered"
        return "refused" if result.outcome is Outcome.REJECTED else "not-now"

    code = item_store.register(
        ledger.db, pin.upper(), source_code, lambda n: format_item_code(spec, n, strict=strict), send,
        ttl=deadline_seconds, wait_seconds=wait_seconds, stopping=stopping,
    )  # fmt: skip
    if code is not None:
        return Registration(code, sent=bool(answers))
    return Registration(None, answers[-1], sent=True)
