"""Receipt PDFs beside a source's results (the CSV source's `outbox/<file>/<document>.pdf`).

A PDF is made from the ledger document KRA signed (found by device and invcNo, both in the receipt),
never from the source's copy. One document that cannot be printed is logged and skipped.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from connector.ledger import Ledger
from connector.models import RECEIPT_PATH
from connector.receipts.data import mark_issued, receipt_data
from connector.receipts.pdf import render_pdf

log = logging.getLogger("connector.receipts")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def ledger_for(adapter: Any) -> Ledger | None:
    """The ledger the core gave the adapter (`SourceAdapter.ledger`); None when it runs on its own."""
    view = getattr(adapter, "ledger", None)
    return view() if callable(view) else None


def file_name(number: str) -> str:
    """A document number as a safe file name ("INV/2024/7" → "INV_2024_7")."""
    return _UNSAFE.sub("_", number).strip("._") or "document"


def write_receipt_pdfs(folder: Path, documents: Iterable[tuple[str, str, Any]], ledger: Ledger | None) -> list[Path]:
    """Write `<folder>/<number>.pdf` for each (number, kind, receipt) that has a receipt; the paths written."""
    if ledger is None:
        log.warning("receipt PDFs: no ledger available to this source; none written in %s", folder)
        return []
    written: list[Path] = []
    taken: set[str] = set()
    for number, kind, receipt in documents:
        if not receipt:
            continue
        try:
            path = _write_one(folder, str(number), str(kind), receipt, ledger, taken)
        except Exception as exc:  # one receipt that cannot be printed never stops the others
            log.warning("receipt PDF for %s not written: %s: %s", number, type(exc).__name__, exc)
            continue
        written.append(path)
    return written


def _write_one(folder: Path, number: str, kind: str, receipt: Any, ledger: Ledger, taken: set[str]) -> Path:
    signed = json.loads(receipt) if isinstance(receipt, str) else dict(receipt)
    key = _device_key(str(signed.get("qr_url") or ""))
    found = ledger.documents("device_key = ? AND invoice_number = ?", [key, int(signed["invoice_number"])])
    if not found:
        raise LookupError(f"no ledger document with invcNo {signed['invoice_number']} on device {key}")
    data = receipt_data(ledger, found[0])
    stem = file_name(number)
    if stem in taken:  # an invoice and a credit note with the same number in one file
        stem = f"{stem}-{kind.replace('_', '-')}"
    taken.add(stem)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.pdf"
    partial = path.with_suffix(".pdf.part")
    partial.write_bytes(render_pdf(data))
    partial.replace(path)  # a reader never sees half a PDF
    mark_issued(ledger, data, f"pdf {path}")
    return path


def _device_key(qr_url: str) -> str:
    """PIN/branch from the KRA link's Data (PIN 11 + branch 2 + signature)."""
    data = qr_url.split(RECEIPT_PATH, 1)[-1] if RECEIPT_PATH in qr_url else ""
    if len(data) < 13:
        raise ValueError(f"receipt link {qr_url!r} does not name a device")
    return f"{data[:11]}/{data[11:13]}"
