"""Receipts people can hand over: the KRA-signed document as HTML or PDF, with the QR of its KRA link.

doc = find_document(ledger, "shop:INV-1")
data = receipt_data(ledger, doc)        # ReceiptData, from the ledger only (signed request + receipt)
render_pdf(data) / render_html(data)     # bytes / str
"""

from connector.receipts.data import ReceiptData, ReceiptError, find_document, mark_issued, receipt_data
from connector.receipts.html import render_html
from connector.receipts.pdf import render_pdf
from connector.receipts.qr import qr_png

__all__ = [
    "ReceiptData",
    "ReceiptError",
    "find_document",
    "mark_issued",
    "qr_png",
    "receipt_data",
    "render_html",
    "render_pdf",
]
