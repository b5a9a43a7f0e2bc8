"""Send the daily report once each morning to the monitor's webhook (JSON) and e-mail (CSV attached).

Not wired into the monitor yet: it needs a setting saying at which hour (EAT) to send. The monitor
would call `send_due(ledger, settings.monitor, devices, hour, http)` on every check.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx

from connector.clock import EAT, now_utc
from connector.config import MonitorSettings
from connector.ledger import Ledger
from connector.receipts.formatting import money
from connector.reports.daily import DailyReport, build_report
from connector.reports.output import render_csv

log = logging.getLogger("connector.reports")
CURSOR = "daily-report-sent"  # ledger cursor: the last day whose report went out


def send_due(
    ledger: Ledger,
    monitor: MonitorSettings,
    devices: list[tuple[str, str]],
    hour: int,
    http: httpx.Client | None = None,
    now: datetime | None = None,
) -> DailyReport | None:
    """From `hour` (EAT) on, send yesterday's report once; the report sent, or None."""
    now = (now or now_utc()).astimezone(EAT)
    day = (now - timedelta(days=1)).date()
    if now.hour < hour or ledger.cursor(CURSOR) == day.isoformat():
        return None
    report = build_report(ledger, day, devices, max_unsigned_hours=monitor.max_unsigned_hours, now=now)
    send(report, monitor, http)
    ledger.set_cursor(CURSOR, day.isoformat())
    return report


def summary(report: DailyReport) -> dict[str, Any]:
    """The webhook body: per device what was signed, the net band totals, numbers, gaps and open items."""
    devices = []
    for d in report.devices:
        devices.append(
            {
                "device": d.name, "key": d.key, "invoices": d.invoices, "credit_notes": d.credit_notes,
                "net_total": str(d.net_total),
                "bands": {b.band: {"taxable": str(b.net_taxable), "tax": str(b.net_tax)} for b in d.bands},
                "first_number": d.first_number, "last_number": d.last_number,
                "gaps": [g.number for g in d.gaps], "unsigned": len(d.unsigned), "needs_fix": len(d.needs_fix),
                "overdue": d.overdue,
            }
        )  # fmt: skip
    return {"source": "kra-etims-connector", "report": "daily", "date": report.day.isoformat(),
            "problems": report.problems, "devices": devices}  # fmt: skip


def send(report: DailyReport, monitor: MonitorSettings, http: httpx.Client | None = None) -> None:
    """Post the summary to the webhook and e-mail the CSV; a failure is logged, never raised."""
    if monitor.webhook_url:
        try:
            (http or httpx.Client()).post(monitor.webhook_url, json=summary(report), timeout=10).raise_for_status()
        except httpx.HTTPError as exc:
            log.error("daily report webhook %s failed: %s", monitor.webhook_url, exc)
    if monitor.email_to and monitor.smtp_host:
        message = EmailMessage()
        flag = f", {report.problems} problem(s)" if report.problems else ""
        message["Subject"] = f"eTIMS daily report {report.day.isoformat()}{flag}"
        message["From"], message["To"] = monitor.smtp_from, monitor.email_to
        lines = [f"{d.name} ({d.key}): {d.invoices} invoices, {d.credit_notes} credit notes, net KES "
                 f"{money(d.net_total)}, gaps {len(d.gaps)}, open {len(d.unsigned) + len(d.needs_fix)}"
                 for d in report.devices]  # fmt: skip
        message.set_content("\n".join(lines) or "no devices")
        message.add_attachment(render_csv(report).encode("utf-8"), maintype="text", subtype="csv",
                               filename=f"etims-daily-{report.day.isoformat()}.csv")  # fmt: skip
        try:
            with smtplib.SMTP(monitor.smtp_host, monitor.smtp_port, timeout=10) as smtp:
                smtp.send_message(message)
        except OSError as exc:
            log.error("daily report e-mail to %s failed: %s", monitor.email_to, exc)
