"""`device resync`: after KRA and the ledger disagree on a device's next invoice number, make them agree.

KRA's expected number N comes from `--expected`, else from the newest out-of-step alert for the device
("expected: N"), else by reading back upward from the ledger's next number M until KRA has nothing.
Every number between M and N is read back with selectInvoiceDetails:
- signed at KRA for a document we hold unsigned (same trader invoice number, on this device) → adopted:
  it gets that number and KRA's receipt, exactly as a read-back after a timeout would;
- signed at KRA for nothing we know → reported (the device was used elsewhere);
- not at KRA while we hold it (KRA behind us) → the document gives the number back and waits again.
Then the device's next number becomes N. Nothing changes without `apply=True` (`--yes`), and nothing runs
while a document of the device is in flight (sending or unknown): resolve those first (`reconcile`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from connector.errors import ConnectorError
from connector.kra.results import Outcome
from connector.ledger import QUEUED, SENDING, Ledger
from connector.ledger.schema import IN_FLIGHT, NEEDS_FIX, RETRY_WAIT, SIGNED

EXPECTED = re.compile(r"expected(?: value)?:\s*(\d+)", re.IGNORECASE)
PROBE_LIMIT = 1000


@dataclass
class ResyncPlan:
    ledger_next: int
    kra_next: int
    adopt: list[tuple[int, int, Any]] = field(default_factory=list)  # (document id, number, sale read back)
    unknown_at_kra: list[tuple[int, str | None]] = field(default_factory=list)  # (number, trader invoice number)
    give_back: list[tuple[int, int]] = field(default_factory=list)  # (document id, number) KRA does not have
    lines: list[str] = field(default_factory=list)


def expected_from_alerts(ledger: Ledger, device_key: str) -> int | None:
    for (message,) in ledger.db.execute(
        "SELECT message FROM alerts WHERE device_key = ? AND kind = 'configuration' ORDER BY id DESC LIMIT 20",
        [device_key],
    ):
        match = EXPECTED.search(message)
        if match:
            return int(match.group(1))
    return None


def _read_back(client: Any, number: int) -> Any | None:
    result = client.select_invoice(number)
    if result.outcome is Outcome.NO_DATA or (result.outcome is Outcome.ACCEPTED and not result.data.sales):
        return None
    if result.outcome is not Outcome.ACCEPTED:
        raise ConnectorError(f"read-back of invcNo {number} failed: {result.describe()}; nothing changed")
    return result.data.sales[0]


def plan(ledger: Ledger, client: Any, device_key: str, expected: int | None = None) -> ResyncPlan:
    in_flight = ledger.documents(f"device_key = ? AND state IN ({', '.join('?' for _ in IN_FLIGHT)})",
                                 [device_key, *IN_FLIGHT])  # fmt: skip
    if in_flight:
        labels = ", ".join(d.label for d in in_flight[:5])
        raise ConnectorError(f"{len(in_flight)} document(s) of {device_key} are in flight ({labels}): "
                             "run `etims-connector reconcile` (or let `run` resolve them) first")  # fmt: skip
    ledger_next = ledger.next_number(device_key)
    found: dict[int, Any] = {}
    if expected is None:
        expected = expected_from_alerts(ledger, device_key)
    if expected is None:  # probe upward: the first number KRA does not have is its next
        expected = ledger_next
        while (sale := _read_back(client, expected)) is not None:
            found[expected] = sale
            expected += 1
            if expected - ledger_next > PROBE_LIMIT:
                raise ConnectorError(f"KRA has more than {PROBE_LIMIT} numbers beyond ours: give --expected")
    result = ResyncPlan(ledger_next, expected)
    for number in range(min(ledger_next, expected), max(ledger_next, expected)):
        sale = found[number] if number in found else _read_back(client, number)
        holder = ledger.documents("device_key = ? AND invoice_number = ?", [device_key, number])
        if sale is None:
            if holder and holder[0].state in SIGNED:
                raise ConnectorError(f"KRA has no invcNo {number} although {holder[0].label} is signed with it: "
                                     "this needs KRA support, not a resync")  # fmt: skip
            if holder:
                result.give_back.append((holder[0].id, number))
            continue
        if holder:
            result.lines.append(f"invcNo {number}: already {holder[0].label} ({holder[0].state})")
            continue
        waiting = ledger.documents(
            "device_key = ? AND number = ? AND invoice_number IS NULL AND state IN (?, ?, ?)",
            [device_key, sale.trader_invoice_number, QUEUED, RETRY_WAIT, NEEDS_FIX],
        )
        if len(waiting) == 1:
            result.adopt.append((waiting[0].id, number, sale))
            result.lines.append(f"invcNo {number}: signed at KRA for {waiting[0].label}: adopt its receipt")
        else:
            result.unknown_at_kra.append((number, sale.trader_invoice_number))
            result.lines.append(f"invcNo {number}: signed at KRA for {sale.trader_invoice_number!r}, "
                                "which this ledger does not hold unsigned: check it in the KRA portal")  # fmt: skip
    for doc_id, number in result.give_back:
        result.lines.append(f"invcNo {number}: not at KRA; document {doc_id} gives it back and waits again")
    return result


def apply(ledger: Ledger, sender: Any, device_key: str, resync: ResyncPlan) -> None:
    """Carry out a plan (under the device's lease, which the caller holds)."""
    for doc_id, _number in sorted(resync.give_back, key=lambda item: -item[1]):
        ledger.db.execute("UPDATE documents SET invoice_number = NULL, request = NULL, confirmed_at = NULL"
                          " WHERE id = ?", [doc_id])  # fmt: skip
        ledger.note(doc_id, "invcNo given back by device resync: KRA never recorded it")
    for doc_id, number, sale in resync.adopt:
        doc = ledger.get(doc_id)
        if doc.state != QUEUED:
            doc = ledger.transition(doc_id, QUEUED, "found signed at KRA by device resync", reason=None)
        doc = ledger.transition(doc_id, SENDING, f"adopting invcNo {number} found at KRA", invoice_number=number)
        sender.accept(doc, sale.receipt, via="device resync read-back")
    detail = f"device resync: next invcNo {resync.ledger_next} → {resync.kra_next}"
    ledger.move_sequence(device_key, resync.kra_next, detail)
