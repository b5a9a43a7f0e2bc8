"""KRA's credit-note limits: two per invoice (the last settles the rest), 183 days, prices and quantities."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from connector.kra.simulator import Simulator
from connector.kra_credit_notes import CreditNoteLimits
from connector.kra_payload import OriginalInvoice, precheck
from connector.ledger import NEEDS_FIX, Ledger
from connector.ledger.schema import SIGNED
from connector.pipeline import Pipeline, Source, default_mapping
from tests.pipeline_helpers import make_invoice

MAPPING = default_mapping("test")


def original(**changes: object) -> OriginalInvoice:
    base = make_invoice("INV-1", quantity="10")  # 10 x 116.00 = KES 1160.00
    values = {
        "invoice_number": 1, "buyer_pin": "A000123456F", "issued_at": base.issued_at,
        "remaining_quantity": {"SOAP": Decimal("10")}, "remaining_amount": Decimal("1160.00"),
        "credit_notes_before": 0, "unit_prices": {"SOAP": Decimal("100.00")},
    }  # fmt: skip
    values.update(changes)
    return OriginalInvoice(**values)  # type: ignore[arg-type]


def note(quantity: str = "4", price: str = "116.00", days: int = 1):  # type: ignore[no-untyped-def]
    invoice = make_invoice("CN-1", kind="credit_note", original="INV-1", quantity=quantity, price=price)
    return invoice.model_copy(update={"issued_at": invoice.issued_at + timedelta(days=days)})


def fields(problems: list) -> list[str | None]:  # type: ignore[type-arg]
    return [problem.field for problem in problems]


def test_a_first_partial_credit_note_is_fine() -> None:
    assert precheck(note("4"), MAPPING, original=original()) == []


def test_a_third_credit_note_is_refused_as_krAs_rule() -> None:
    problems = precheck(note("1"), MAPPING, original=original(credit_notes_before=2))
    assert fields(problems) == ["original"] and "KRA's rule: at most 2" in problems[0].message


def test_the_second_must_settle_the_remainder_within_one_percent() -> None:
    after_first = original(credit_notes_before=1, remaining_amount=Decimal("696.00"),
                           remaining_quantity={"SOAP": Decimal("6")})  # fmt: skip
    short = precheck(note("5"), MAPPING, original=after_first)  # 580.00 of 696.00
    assert fields(short) == ["total"] and "must credit everything that remains (KES 696.00" in short[0].message
    assert precheck(note("6"), MAPPING, original=after_first) == []
    near = precheck(note("6", price="115.00"), MAPPING, original=after_first)  # 690.00: 0.9 % short
    assert near == []


def test_six_months_is_183_days() -> None:
    assert precheck(note(days=183), MAPPING, original=original()) == []
    late = precheck(note(days=184), MAPPING, original=original())
    assert fields(late) == ["issued_at"] and "within 183 days" in late[0].message


def test_unit_price_above_the_originals_is_refused() -> None:
    problems = precheck(note("1", price="120.00"), MAPPING, original=original())
    assert fields(problems) == ["unit_price"] and "may not be above the original" in problems[0].message


def test_limits_are_configurable_and_can_be_switched_off() -> None:
    loose = CreditNoteLimits(max_per_invoice=3, max_age_days=400)
    third = precheck(note("1", days=300), MAPPING, original=original(credit_notes_before=2), limits=loose)
    assert fields(third) == ["total"]  # allowed as the third, late, but as the last it must settle the rest
    off = CreditNoteLimits(enforce=False)
    assert precheck(note("1", days=900), MAPPING, original=original(credit_notes_before=5), limits=off) == []


def test_through_the_sender_two_credit_notes_then_refused(context, simulator: Simulator) -> None:  # type: ignore[no-untyped-def]
    device = context.settings.device()
    source = Source("test", None, MAPPING, device)
    pipeline = Pipeline(context, {"test": source})
    ids = [pipeline.record_invoice(make_invoice("INV-1", quantity="10"), source, {})]
    pipeline.drain(device.key, budget_seconds=30)
    for number, quantity in (("CN-1", "4"), ("CN-2", "6"), ("CN-3", "1")):
        credit = make_invoice(number, kind="credit_note", original="INV-1", quantity=quantity)
        ids.append(pipeline.record_invoice(credit, source, {}))
        pipeline.drain(device.key, budget_seconds=30)
    ledger = Ledger(context.db)
    states = [ledger.get(doc_id).state for doc_id in ids]
    assert all(state in SIGNED for state in states[:3]) and states[3] == NEEDS_FIX, states
    assert "KRA's rule: at most 2" in (ledger.get(ids[3]).reason or "")


def test_the_strict_simulator_enforces_the_same_limits() -> None:
    """The simulator checks with its own code: a request built without our precheck is refused by it."""
    from connector.kra.simulator import rules

    sale = {"salesDt": "20240101", "totAmt": "1160.00",
            "itemList": [{"itemCd": "KE2NTNO0000001", "qty": "10", "prc": "116.00"}]}  # fmt: skip
    credit = {"orgInvcNo": 1, "salesDt": "20240102", "totAmt": "464.00",
              "itemList": [{"itemCd": "KE2NTNO0000001", "qty": "4", "prc": "116.00"}]}  # fmt: skip
    rules.check_credit_note_limits(credit, sale, [])
    with pytest.raises(rules.Rejected, match="Maximum number of credit notes"):
        rules.check_credit_note_limits(credit, sale, [credit, credit])
    with pytest.raises(rules.Rejected, match="settle the remaining balance"):
        rules.check_credit_note_limits(credit, sale, [credit])
    with pytest.raises(rules.Rejected, match="days after"):
        rules.check_credit_note_limits(credit | {"salesDt": "20240704"}, sale, [])
    dearer = credit | {"itemList": [{"itemCd": "KE2NTNO0000001", "qty": "1", "prc": "120.00"}], "totAmt": "120"}
    with pytest.raises(rules.Rejected, match="price"):
        rules.check_credit_note_limits(dearer, sale, [])


def test_the_configured_limits_reach_the_sender(context, simulator: Simulator) -> None:  # type: ignore[no-untyped-def]
    context.settings.credit_notes.max_per_invoice = 3  # [credit_notes] max_per_invoice = 3
    device = context.settings.device()
    source = Source("test", None, MAPPING, device)
    pipeline = Pipeline(context, {"test": source})
    ids = [pipeline.record_invoice(make_invoice("INV-9", quantity="10"), source, {})]
    for number in ("CN-91", "CN-92", "CN-93"):
        pipeline.drain(device.key, budget_seconds=30)
        credit = make_invoice(number, kind="credit_note", original="INV-9", quantity="1")
        ids.append(pipeline.record_invoice(credit, source, {}))
    pipeline.drain(device.key, budget_seconds=30)
    ledger = Ledger(context.db)
    states = [ledger.get(doc_id).state for doc_id in ids]
    assert states[:3] == ["accepted"] * 3, states  # a third credit note is allowed now
    assert states[3] == NEEDS_FIX and "the third and last credit note allowed" in (ledger.get(ids[3]).reason or "")
