"""The one table that says what a KRA answer means. Nothing else in the code decides this.

Every answer (a `resultCd`, an HTTP status, or a transport failure) is classified once into an
`Outcome`. Sources: spec §5 (result codes) and §7.3 (timeouts are unknown, not failures).
Distrust first: anything that happened after the request may have reached KRA and is not a definite
refusal is UNKNOWN (verified by read-back), and a `000` counts only with a usable receipt (`receipt_problem`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from connector.clock import parse_kra_datetime


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
    # 995 "There is no downloaded file": the spec's code table files it under "server" errors beside 990-993
    # and gives no handling; no peer treats it specially. It names no field, so needs-fix would ask an accountant
    # to fix what the document does not contain; it is a definite refusal (KRA answered, nothing recorded), so the
    # same number and request are sent again after a backoff, like 991-993 (the monitor flags it after 24 h).
    "995": Meaning(Outcome.RETRY_LATER, "no downloaded file (a KRA-side condition, not the document)"),
    # 999 "unknown error": KRA itself does not know what happened, so the sale may have been recorded.
    "999": Meaning(Outcome.UNKNOWN, "unknown error on KRA's side: the request may have been recorded, verify"),
}

_SUCCESS_ALIASES = {"0", "00", "0000"}  # GavaConnect and some VSCU builds (spec §5)

# Transport-level answers, before any resultCd could be read.
TIMEOUT_AFTER_SEND = Meaning(Outcome.UNKNOWN, "no answer after the request was sent (timeout)")
CONNECTION_LOST_AFTER_SEND = Meaning(Outcome.UNKNOWN, "the connection broke after the request was sent")
NOT_SENT = Meaning(Outcome.RETRY_LATER, "KRA could not be reached; the request never left")
UNREADABLE_ANSWER = Meaning(Outcome.UNKNOWN, "unreadable answer; the request may have been recorded")
DEADLINE_AFTER_SEND = Meaning(Outcome.UNKNOWN, "no complete answer within the call deadline")
ANSWER_TOO_LARGE = Meaning(Outcome.UNKNOWN, "the answer is larger than allowed; the request may have been recorded")
NO_RECEIPT = Meaning(Outcome.UNKNOWN, "accepted without a usable receipt; the request may have been recorded")

_HTTP: dict[int, Meaning] = {
    401: Meaning(Outcome.NEEDS_CONFIGURATION, "not authorised: check the GavaConnect credentials"),
    403: Meaning(Outcome.NEEDS_CONFIGURATION, "forbidden: check the GavaConnect app and credentials"),
    404: Meaning(Outcome.NEEDS_CONFIGURATION, "path not found: check the KRA base URL and profile"),
    405: Meaning(Outcome.NEEDS_CONFIGURATION, "method not allowed: check the KRA base URL and profile"),
    400: Meaning(Outcome.REJECTED, "the request was refused as invalid"),
    429: Meaning(Outcome.RETRY_LATER, "too many requests"),
    # A gateway error comes after the request left: KRA behind the gateway may have committed it.
    502: Meaning(Outcome.UNKNOWN, "bad gateway: the request may have been recorded"),
    503: Meaning(Outcome.UNKNOWN, "service unavailable: the request may have been recorded"),
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


_EXPECTED = re.compile(r"expected(?: value)?\s*:\s*(\d+)", re.IGNORECASE)


def expected_number(message: str) -> int | None:
    """The number KRA says it expects next, from a sequence refusal; None when it does not say."""
    found = _EXPECTED.search(message or "")
    return int(found.group(1)) if found else None


def refine(meaning: Meaning, message: str) -> Meaning:
    """A rejection that is really a device sequence problem needs configuration, not a fix per document."""
    if meaning.outcome is Outcome.REJECTED and _OUT_OF_STEP.search(message or ""):
        return Meaning(Outcome.NEEDS_CONFIGURATION, "the device's sequence is out of step with KRA's")
    return meaning


def normalise_keys(value: Any) -> Any:
    """Keys with stray whitespace (" resultCd ", "data ") stripped, at every depth; two keys that become one
    with different values make the answer unreadable (ValueError)."""
    if isinstance(value, list):
        return [normalise_keys(v) for v in value]
    if not isinstance(value, dict):
        return value
    clean: dict[Any, Any] = {}
    for key, item in value.items():
        name = key.strip() if isinstance(key, str) else key
        item = normalise_keys(item)
        if name in clean and clean[name] != item:
            raise ValueError(f"the answer has two different values for {name!r}")
        clean[name] = item
    return clean


# A receipt KRA signed (spec §3.3.6.1 and §6): `rcptSign` 16 and `intrlData` 26 characters of the base-32 alphabet.
# Letters and all digits are accepted (a peer's recorded sandbox answer signs "123456789ODOOGR3"); anything else
# (empty, lower case, spaces, wrong length) cannot be printed or verified through the QR link.
_SIGNATURE = re.compile(r"^[A-Z0-9]{16}$")
_INTERNAL_DATA = re.compile(r"^[A-Z0-9]{26}$")
_KRA_TIME = re.compile(r"^(\d{14}|\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?)$")


def receipt_problem(receipt: Any) -> str | None:
    """Why a `000` sale answer (or a read-back's receipt block) is not proof of a signed receipt; None if it is."""
    if receipt is None:
        return "no receipt data"
    extra = getattr(receipt, "model_extra", None) or {}
    number = receipt.receipt_number if receipt.receipt_number is not None else receipt.vscu_receipt_number
    if not isinstance(number, int) or number < 1:
        return f"no usable receipt number (curRcptNo {number!r})"
    total = receipt.total_receipt_number
    if not isinstance(total, int) or total < 1:
        return f"no usable total receipt number (totRcptNo {total!r})"
    if not _SIGNATURE.match(receipt.signature or ""):
        return f"malformed signature (rcptSign {receipt.signature!r}: 16 letters or digits expected)"
    if not _INTERNAL_DATA.match(receipt.internal_data or ""):
        return f"malformed internal data (intrlData {receipt.internal_data!r}: 26 letters or digits expected)"
    signed_at = receipt.signed_at or extra.get("vsdcRcptPbctDate")  # a VSCU names the time so (spec §7.5)
    if not isinstance(signed_at, str) or not _KRA_TIME.match(signed_at.strip()) or not _valid_time(signed_at):
        return f"malformed signing time (sdcDateTime {signed_at!r})"
    return None


def _valid_time(text: str) -> bool:
    try:
        parse_kra_datetime(text)
    except ValueError:
        return False
    return True


def all_codes() -> dict[str, Meaning]:
    """The whole table (for `status`, docs and tests)."""
    return dict(_CODES)
