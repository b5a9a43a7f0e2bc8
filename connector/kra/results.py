"""The one table that says what a KRA answer means. Nothing else in the code decides this.

Every answer (a `resultCd`, an HTTP status, or a transport failure) is classified once into an
`Outcome`. Sources: spec §5 (result codes) and §7.3 (timeouts are unknown, not failures).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # KRA did it (000)
    NO_DATA = "no-data"  # a look-up found nothing new (001)
    RETRY_LATER = "retry-later"  # definitely not done; try again after a pause
    REJECTED = "rejected"  # definitely not done; the document must be fixed
    NEEDS_CONFIGURATION = "needs-configuration"  # device, key, headers or credentials are wrong
    UNKNOWN = "unknown"  # the request may have been recorded: verify before resending


@dataclass(frozen=True)
class Meaning:
    outcome: Outcome
    explanation: str


_CODES: dict[str, Meaning] = {
    "000": Meaning(Outcome.ACCEPTED, "success"),
    "001": Meaning(Outcome.NO_DATA, "there is no search result"),
    "891": Meaning(Outcome.NEEDS_CONFIGURATION, "the request URL could not be built"),
    "892": Meaning(Outcome.NEEDS_CONFIGURATION, "the request headers could not be built"),
    "893": Meaning(Outcome.REJECTED, "the request body could not be built"),
    "894": Meaning(Outcome.RETRY_LATER, "server communication error (KRA or the VSCU is unreachable)"),
    "895": Meaning(Outcome.NEEDS_CONFIGURATION, "request method not allowed"),
    "896": Meaning(Outcome.RETRY_LATER, "request status error"),
    "899": Meaning(Outcome.UNKNOWN, "client error (on a VSCU also a replayed invoice): verify"),
    "900": Meaning(Outcome.NEEDS_CONFIGURATION, "no header information (tin, bhfId, cmcKey)"),
    "901": Meaning(Outcome.NEEDS_CONFIGURATION, "not a valid device for this PIN/branch/serial"),
    "902": Meaning(Outcome.NEEDS_CONFIGURATION, "device already installed; enter the CMC key you kept"),
    "903": Meaning(Outcome.NEEDS_CONFIGURATION, "only an OSCU device can be verified here"),
    "905": Meaning(Outcome.NEEDS_CONFIGURATION, "only an OSCU device can be verified here"),
    "910": Meaning(Outcome.REJECTED, "request parameter error"),
    "911": Meaning(Outcome.REJECTED, "no request body"),
    "912": Meaning(Outcome.NEEDS_CONFIGURATION, "request method (path) error"),
    "913": Meaning(Outcome.REJECTED, "code value error among request parameters"),
    "921": Meaning(Outcome.UNKNOWN, "sales data already declared: probably accepted before, verify"),
    "922": Meaning(Outcome.RETRY_LATER, "invoice data can be received only after the sales data"),
    "990": Meaning(Outcome.RETRY_LATER, "maximum number of views exceeded"),
    "991": Meaning(Outcome.RETRY_LATER, "error during registration on KRA's side"),
    "992": Meaning(Outcome.RETRY_LATER, "error during modification on KRA's side"),
    "993": Meaning(Outcome.RETRY_LATER, "error during deletion on KRA's side"),
    "994": Meaning(Outcome.UNKNOWN, "overlapped (duplicate) data: probably accepted before, verify"),
    "995": Meaning(Outcome.REJECTED, "no downloaded file"),
    "999": Meaning(Outcome.RETRY_LATER, "unknown error on KRA's side"),
}

_SUCCESS_ALIASES = {"0", "00", "0000"}  # GavaConnect and some VSCU builds (spec §5)

# Transport-level answers, before any resultCd could be read.
TIMEOUT_AFTER_SEND = Meaning(Outcome.UNKNOWN, "no answer after the request was sent (timeout)")
CONNECTION_LOST_AFTER_SEND = Meaning(Outcome.UNKNOWN, "the connection broke after the request was sent")
NOT_SENT = Meaning(Outcome.RETRY_LATER, "KRA could not be reached; the request never left")
UNREADABLE_ANSWER = Meaning(Outcome.UNKNOWN, "unreadable answer; the request may have been recorded")

_HTTP: dict[int, Meaning] = {
    401: Meaning(Outcome.NEEDS_CONFIGURATION, "not authorised: check the GavaConnect credentials"),
    403: Meaning(Outcome.NEEDS_CONFIGURATION, "forbidden: check the GavaConnect app and credentials"),
    404: Meaning(Outcome.NEEDS_CONFIGURATION, "path not found: check the KRA base URL and profile"),
    405: Meaning(Outcome.NEEDS_CONFIGURATION, "method not allowed: check the KRA base URL and profile"),
    400: Meaning(Outcome.REJECTED, "the request was refused as invalid"),
    429: Meaning(Outcome.RETRY_LATER, "too many requests"),
    502: Meaning(Outcome.RETRY_LATER, "bad gateway"),
    503: Meaning(Outcome.RETRY_LATER, "service unavailable"),
    504: Meaning(Outcome.UNKNOWN, "gateway timeout: the request may have been recorded"),
}


def normalise_code(code: object) -> str:
    """`0`, `00`, `0000` → `000`; integers are zero-padded to three digits."""
    text = str(code).strip()
    if text in _SUCCESS_ALIASES:
        return "000"
    if text.isdigit() and len(text) < 3:
        return text.zfill(3)
    return text


def classify_code(code: object) -> Meaning:
    text = normalise_code(code)
    meaning = _CODES.get(text)
    if meaning is not None:
        return meaning
    if text.startswith("89"):
        return Meaning(Outcome.RETRY_LATER, f"client-side error {text}")
    return Meaning(Outcome.REJECTED, f"result code {text} is not in the KRA table")


def classify_http(status: int) -> Meaning:
    if status in _HTTP:
        return _HTTP[status]
    if 500 <= status < 600:
        return Meaning(Outcome.UNKNOWN, f"HTTP {status} from the server: the request may have been recorded")
    return Meaning(Outcome.REJECTED, f"unexpected HTTP status {status}")


# Rejections whose text shows the device (not the document) is wrong: its sequences are out of step
# with KRA's (spec §5: "Invalid invcNo sequence, expected: N but found: M", "Invc No: N is invalid, use
# the expected value: M", "Invalid itemCd Sequence. Expected …"). Every document would fail the same way.
_OUT_OF_STEP = re.compile(r"invc\s*no.*(sequence|expected)|itemcd sequence", re.IGNORECASE)


def refine(meaning: Meaning, message: str) -> Meaning:
    """A rejection that is really a device sequence problem needs configuration, not a fix per document."""
    if meaning.outcome is Outcome.REJECTED and _OUT_OF_STEP.search(message or ""):
        return Meaning(Outcome.NEEDS_CONFIGURATION, "the device's sequence is out of step with KRA's")
    return meaning


def all_codes() -> dict[str, Meaning]:
    """The whole table (for `status`, docs and tests)."""
    return dict(_CODES)
