"""The monitor: flags documents not signed in time (KRA's 24-hour rule) and permanent failures.

Each document is flagged once (`alerted_at`): logged, stored as an alert (shown by `status`), sent
to the optional webhook as JSON and by e-mail when SMTP is configured.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

import httpx

from connector.clock import now_utc
from connector.config import MonitorSettings
from connector.ledger import ACCEPTED, NEEDS_FIX, STATES, Ledger
from connector.ledger.schema import SIGNED
from connector.queue import WRITE_BACK_RETRIES

log = logging.getLogger("connector.monitor")


@dataclass(frozen=True)
class Flag:
    kind: str  # "unsigned-too-long", "needs-fix", "write-back-failed"
    document_id: int
    device_key: str
    message: str


def find_flags(ledger: Ledger, settings: MonitorSettings, now: datetime | None = None) -> list[Flag]:
    now = now or now_utc()
    cutoff = (now - timedelta(hours=settings.max_unsigned_hours)).isoformat()
    unsigned = [s for s in STATES if s not in SIGNED]  # named, not NOT IN: the state index finds them
    marks = ", ".join("?" for _ in unsigned)
    flags = []
    for doc in ledger.documents(f"state IN ({marks}) AND alerted_at IS NULL AND created_at < ?", [*unsigned, cutoff]):
        age = now - datetime.fromisoformat(doc.created_at)
        message = (f"{doc.label} is not signed by KRA after {age.total_seconds() / 3600:.1f} h "
                   f"(state {doc.state}{': ' + doc.reason if doc.reason else ''})")  # fmt: skip
        flags.append(Flag("unsigned-too-long", doc.id, doc.device_key, message))
    flagged = {f.document_id for f in flags}
    for doc in ledger.documents("alerted_at IS NULL AND state = ?", [NEEDS_FIX]):
        if doc.id not in flagged:
            flags.append(Flag("needs-fix", doc.id, doc.device_key, f"{doc.label} needs fixing: {doc.reason}"))
    failing = ledger.documents(
        "alerted_at IS NULL AND state = ? AND write_back_attempts > ?", [ACCEPTED, WRITE_BACK_RETRIES]
    )
    for doc in failing:
        message = f"{doc.label} is signed but could not be written back: {doc.write_back_error}"
        flags.append(Flag("write-back-failed", doc.id, doc.device_key, message))
    return flags


def check(ledger: Ledger, settings: MonitorSettings, http: httpx.Client | None = None) -> list[Flag]:
    """Find new flags, record them once, and notify."""
    flags = find_flags(ledger, settings)
    for flag in flags:
        log.warning("%s: %s", flag.kind, flag.message)
        ledger.alert(flag.kind, flag.message, flag.device_key, flag.document_id)
        ledger.db.execute("UPDATE documents SET alerted_at = ? WHERE id = ?", [now_utc().isoformat(), flag.document_id])
    if flags:
        _notify(flags, settings, http)
    return flags


def _notify(flags: list[Flag], settings: MonitorSettings, http: httpx.Client | None) -> None:
    body = {"source": "kra-etims-connector", "flags": [flag.__dict__ for flag in flags]}
    if settings.webhook_url:
        try:
            (http or httpx.Client()).post(settings.webhook_url, json=body, timeout=10).raise_for_status()
        except httpx.HTTPError as exc:
            log.error("notification webhook %s failed: %s", settings.webhook_url, exc)
    if settings.email_to and settings.smtp_host:
        message = EmailMessage()
        message["Subject"] = f"eTIMS connector: {len(flags)} document(s) need attention"
        message["From"], message["To"] = settings.smtp_from, settings.email_to
        message.set_content("\n".join(f"- [{f.kind}] {f.message}" for f in flags))
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
                smtp.send_message(message)
        except OSError as exc:
            log.error("notification e-mail to %s failed: %s", settings.email_to, exc)
