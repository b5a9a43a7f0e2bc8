"""The ledger (SQLite via sqlite-utils, WAL): documents, events, exchanges, numbers, items, cursors.

Document states and transitions:

    pending ──► queued ──► sending ──► accepted ──► written-back
       │          │          │   ▲
       ▼          ▼          ▼   │ (read-back: not found → resend the same number)
    needs-fix  retry-wait   unknown ──► accepted (read-back found it)

needs-fix (our checks or KRA rejected; the number is released) goes back to queued once fixed.
discarded: closed by a person (`discard`) before it held a number; final, kept with its reason.
"""

from connector.ledger.schema import (
    ACCEPTED,
    DISCARDED,
    NEEDS_FIX,
    PENDING,
    QUEUED,
    RETRY_WAIT,
    SENDING,
    STATES,
    UNKNOWN,
    WRITTEN_BACK,
)
from connector.ledger.store import Document, Ledger, LedgerError, Recorded

__all__ = [
    "ACCEPTED",
    "DISCARDED",
    "NEEDS_FIX",
    "PENDING",
    "QUEUED",
    "RETRY_WAIT",
    "SENDING",
    "STATES",
    "UNKNOWN",
    "WRITTEN_BACK",
    "Document",
    "Ledger",
    "LedgerError",
    "Recorded",
]
