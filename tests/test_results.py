"""The one result table: every code of spec §5 and every transport outcome has one meaning."""

from __future__ import annotations

import pytest

from connector.kra.results import Outcome, all_codes, classify_code, classify_http, refine

EXPECTED = {
    "000": Outcome.ACCEPTED,
    "001": Outcome.NO_DATA,
    "891": Outcome.NEEDS_CONFIGURATION,
    "892": Outcome.NEEDS_CONFIGURATION,
    "893": Outcome.REJECTED,
    "894": Outcome.RETRY_LATER,
    "895": Outcome.NEEDS_CONFIGURATION,
    "896": Outcome.RETRY_LATER,
    "899": Outcome.UNKNOWN,  # on a VSCU also a replayed invoice: verify before resending
    "900": Outcome.NEEDS_CONFIGURATION,
    "901": Outcome.NEEDS_CONFIGURATION,
    "902": Outcome.NEEDS_CONFIGURATION,
    "903": Outcome.NEEDS_CONFIGURATION,
    "905": Outcome.NEEDS_CONFIGURATION,
    "910": Outcome.REJECTED,
    "911": Outcome.REJECTED,
    "912": Outcome.NEEDS_CONFIGURATION,
    "913": Outcome.REJECTED,
    "921": Outcome.UNKNOWN,  # "already declared": probably accepted before
    "922": Outcome.RETRY_LATER,
    "990": Outcome.RETRY_LATER,
    "991": Outcome.RETRY_LATER,
    "992": Outcome.RETRY_LATER,
    "993": Outcome.RETRY_LATER,
    "994": Outcome.UNKNOWN,  # "overlapped data": never resend blindly
    "995": Outcome.RETRY_LATER,  # a KRA-side condition naming no field: not the document, nothing recorded
    "999": Outcome.UNKNOWN,  # KRA does not know what happened: it may have recorded the sale
}


def test_every_spec_code_has_its_meaning() -> None:
    assert {code: meaning.outcome for code, meaning in all_codes().items()} == EXPECTED


@pytest.mark.parametrize("alias", ["0", "00", "0000", 0])
def test_success_aliases(alias: object) -> None:
    assert classify_code(alias).outcome is Outcome.ACCEPTED


def test_unlisted_codes_are_rejections_that_say_so() -> None:
    meaning = classify_code("977")
    assert meaning.outcome is Outcome.REJECTED and "977" in meaning.explanation
    assert classify_code("898").outcome is Outcome.RETRY_LATER  # client-side family


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (400, Outcome.REJECTED),
        (401, Outcome.NEEDS_CONFIGURATION),
        (404, Outcome.NEEDS_CONFIGURATION),
        (429, Outcome.RETRY_LATER),
        (500, Outcome.UNKNOWN),
        (503, Outcome.UNKNOWN),
        (504, Outcome.UNKNOWN),
    ],
)
def test_http_statuses(status: int, outcome: Outcome) -> None:
    assert classify_http(status).outcome is outcome


@pytest.mark.parametrize(
    "message",
    [
        "Invalid invcNo sequence, expected: 5 but found: 7",
        "Invc No: 7 is invalid, use the expected value: 5",
        "Invalid itemCd Sequence. Expected sequence ending with: ********3",
    ],
)
def test_sequence_rejections_are_device_problems(message: str) -> None:
    assert refine(classify_code("910"), message).outcome is Outcome.NEEDS_CONFIGURATION


def test_other_rejections_stay_rejections() -> None:
    message = "Invalid taxblAmt on item: 1. Expected: 86.21, But Found: 100.00"
    assert refine(classify_code("910"), message).outcome is Outcome.REJECTED
