"""GavaConnect payloads built from random invoices pass the KRA simulator's strict validation.

Talks to the simulator over plain HTTP (httpx + connector.jsonio), not through the project's
client: init the device, register each new item with saveItem (7-digit per-PIN sequence), then
send the sale — and, for some, a credit note for part of it — with invcNo = last + 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector import jsonio
from connector.kra_payload import ItemSpec, build_save_item, format_item_code, item_spec
from connector.models import DocumentRef, Invoice
from tests.test_payload_builder_properties import invoices
from tests.test_payload_builder_support import AUDIT, DEVICE, build, golden_mapping, load_invoice

simulator = pytest.importorskip("connector.kra.simulator")
MAPPING = golden_mapping()


@dataclass
class Session:
    """One initialised device on a running strict simulator, and what it has registered."""

    http: httpx.Client
    base: str
    headers: dict[str, str]
    last_invoice: int = 0
    item_codes: dict[tuple[str, ItemSpec], str] = field(default_factory=dict)  # (item, attributes) -> itemCd

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.http.post(f"{self.base}/{path}", content=jsonio.dumps(body), headers=self.headers)
        envelope = jsonio.loads(answer.text)
        assert envelope["resultCd"] == "000", (path, envelope, body)
        return envelope


@pytest.fixture(scope="module")
def session() -> Iterator[Session]:
    # amounts, not stock
    config = simulator.SimulatorConfig(profile="gavaconnect", port=0, seed=7, stock_enforced=False)
    with simulator.start_simulator(config) as sim, httpx.Client(timeout=10) as http:
        body = {"tin": DEVICE.pin, "bhfId": DEVICE.branch_id, "dvcSrlNo": "dvcv1130"}
        answer = jsonio.loads(http.post(f"{sim.legacy_base}/selectInitOsdcInfo", content=jsonio.dumps(body)).text)
        assert answer["resultCd"] == "000", answer
        headers = {
            "Content-Type": "application/json",
            "tin": DEVICE.pin,
            "bhfId": DEVICE.branch_id,
            "cmcKey": answer["data"]["info"]["cmcKey"],
        }
        yield Session(http=http, base=sim.legacy_base, headers=headers)


def register_items(session: Session, invoice: Invoice) -> dict[str, str]:
    """saveItem for every item (with these attributes) not registered yet; its KRA code per item."""
    codes: dict[str, str] = {}
    for line in invoice.lines:
        spec = item_spec(line, invoice, MAPPING)
        key = (line.item.code, replace(spec, name="", default_price=Decimal(0)))
        if key not in session.item_codes:
            code = format_item_code(spec, len(session.item_codes) + 1)
            session.post("saveItem", build_save_item(spec, code, AUDIT).to_wire())
            session.item_codes[key] = code
        codes[line.item.code] = session.item_codes[key]
    return codes


def send(session: Session, invoice: Invoice, codes: dict[str, str], original: int | None = None) -> int:
    number = session.last_invoice + 1
    wire = build(invoice, "gavaconnect", invoice_number=number, original_invoice_number=original, item_codes=codes)
    envelope = session.post("saveTrnsSalesOsdc", wire)
    assert len(envelope["data"]["rcptSign"]) == 16
    session.last_invoice = number
    return number


def partial_credit_note(invoice: Invoice) -> Invoice:
    note = invoice.model_copy(deep=True)
    note.kind, note.refund_reason = "credit_note", "damaged"
    note.original = DocumentRef(source="csv", external_id="X", number=invoice.number)
    note.lines = note.lines[:1]
    return note


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(invoice=invoices(), with_credit_note=st.booleans())
def test_gavaconnect_payloads_pass_the_strict_simulator(
    session: Session, invoice: Invoice, with_credit_note: bool
) -> None:
    sale = invoice.model_copy(update={"kind": "invoice", "refund_reason": None})
    codes = register_items(session, sale)
    number = send(session, sale, codes)
    if with_credit_note:
        send(session, partial_credit_note(sale), codes, original=number)


def test_golden_gavaconnect_scenarios_pass_the_strict_simulator(session: Session) -> None:
    sale = load_invoice("simple-sale")
    number = send(session, sale, register_items(session, sale))
    note = load_invoice("credit-note")
    send(session, note, register_items(session, note), original=number)
    scenarios = ("vat-bands", "line-discounts", "inclusive-and-exclusive", "foreign-currency", "excise-folded")
    for scenario in (*scenarios, "tiny-amounts"):
        invoice = load_invoice(scenario)
        send(session, invoice, register_items(session, invoice))
    assert session.last_invoice >= 8


def test_the_strict_simulator_refuses_a_legacy_payload(session: Session) -> None:
    """The check has teeth: legacy amounts (VAT-exclusive prc/splyAmt) are not GavaConnect's."""
    invoice = load_invoice("tiny-amounts")
    codes = register_items(session, invoice)
    wire = build(invoice, "legacy", invoice_number=session.last_invoice + 1, item_codes=codes)
    answer = session.http.post(f"{session.base}/saveTrnsSalesOsdc", content=jsonio.dumps(wire), headers=session.headers)
    envelope = jsonio.loads(answer.text)
    assert envelope["resultCd"] != "000"
    assert "Invalid" in envelope["resultMsg"]
