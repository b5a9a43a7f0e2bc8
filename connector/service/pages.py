"""The accountant's read-only pages, rendered from the ledger with autoescaped Jinja2 templates."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import segno
from jinja2 import Environment, PackageLoader, select_autoescape

from connector.ledger import STATES, Ledger

SEARCH_LIMIT = 100
PROBLEM_LIMIT = 50


@cache
def _templates() -> Environment:
    return Environment(loader=PackageLoader("connector.service", "templates"), autoescape=select_autoescape())


def _render(name: str, **values: Any) -> str:
    return _templates().get_template(name).render(**values)


def overview(context: Any) -> str:
    ledger: Ledger = context.ledger
    db = ledger.db
    counts: dict[str, dict[str, int]] = {}
    for source, state, count in db.execute("SELECT source, state, COUNT(*) FROM documents GROUP BY source, state"):
        counts.setdefault(source, {})[state] = count
    devices = []
    for device in context.settings.devices:
        per_state = dict(db.execute("SELECT state, COUNT(*) FROM documents WHERE device_key = ? GROUP BY state",
                                    [device.key]).fetchall())  # fmt: skip
        devices.append({"name": device.name, "key": device.key, "last": ledger.next_number(device.key) - 1,
                        "states": per_state})  # fmt: skip
    problems = ledger.documents("state = 'needs-fix'", [], order_by="updated_at DESC", limit=PROBLEM_LIMIT)
    alerts = db.execute("SELECT at, kind, message FROM alerts ORDER BY id DESC LIMIT 20").fetchall()
    return _render("overview.html", states=STATES, sources=counts, devices=devices, problems=problems, alerts=alerts)


def search(context: Any, text: str, state: str) -> str:
    ledger: Ledger = context.ledger
    where, params = [], []
    if text:
        where.append("(number LIKE ? OR external_id LIKE ? OR CAST(invoice_number AS TEXT) = ?)")
        params += [f"%{text}%", f"%{text}%", text]
    if state in STATES:
        where.append("state = ?")
        params.append(state)
    found = ledger.documents(" AND ".join(where) or "1=1", params, order_by="id DESC", limit=SEARCH_LIMIT)
    return _render("search.html", text=text, state=state, states=STATES, documents=found, limit=SEARCH_LIMIT)


def document(context: Any, ident: str) -> str | None:
    if not ident.isdigit():
        return None
    ledger: Ledger = context.ledger
    try:
        doc = ledger.get(int(ident))
    except Exception:
        return None
    exchanges = [dict(row) for row in ledger.db.query(
        "SELECT at, endpoint, outcome, code, message, http_status, elapsed_seconds, request, response"
        " FROM exchanges WHERE document_id = ? ORDER BY id", [doc.id])]  # fmt: skip
    for exchange in exchanges:
        exchange["request"] = _pretty(exchange["request"])
        exchange["response"] = _pretty(exchange["response"])
    receipt = doc.receipt or None
    qr = _qr_data_uri(receipt["qr_url"]) if receipt and receipt.get("qr_url") else None
    return _render(
        "document.html", doc=doc, canonical=_pretty(doc.canonical), events=ledger.events(doc.id),
        exchanges=exchanges, receipt=receipt, qr=qr,
    )  # fmt: skip


def receipt(context: Any, ident: str) -> str | None:
    """The printable receipt (the same as `etims-connector receipt DOC --html`), marked COPY."""
    from connector.receipts import ReceiptError, receipt_data, render_html

    if not ident.isdigit():
        return None
    ledger: Ledger = context.ledger
    found = ledger.documents("id = ?", [int(ident)])
    if not found:
        return None
    try:
        return render_html(receipt_data(ledger, found[0], copy=True))
    except ReceiptError:
        return None


def _pretty(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def _qr_data_uri(url: str) -> str:
    """The receipt link as a QR code, an SVG data URI (no second request, nothing fetched from elsewhere)."""
    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)
