"""The ledger (SQLite via sqlite-utils, WAL): documents, events, exchanges, numbers, items, cursors.

Document states and transitions:

    pending ──► queued ──► sending ──► accepted ──► written-back
       │          │          │   ▲
       ▼          ▼          ▼   │ (read-back: not found → resend the same number)
    needs-fix  retry-wait   unknown ──► accepted (read-back found it)

needs-fix (our checks or KRA rejected; the number is released) goes back to queued once fixed.
"""

from connector.ledger.schema import (
    ACCEPTED,
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
