"""What a credit note needs to know about the invoice it credits, read from the ledger."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from connector.kra_payload import OriginalInvoice
from connector.ledger import Document, Ledger
from connector.ledger.schema import IN_FLIGHT, SIGNED
from connector.models import Invoice


def find_original(ledger: Ledger, doc: Document, invoice: Invoice) -> Document | None:
    ref = invoice.original
    if ref is None:
        return None
    source = ref.source or doc.source
    if ref.external_id:
        found = ledger.find(source, ref.external_id, "invoice")
        if found:
            return found
    if ref.number:
        matches = ledger.documents("source = ? AND number = ? AND kind = 'invoice'", [source, ref.number])
        return matches[0] if matches else None
    return None


def original_for(ledger: Ledger, doc: Document, invoice: Invoice) -> OriginalInvoice | None:
    """The original's KRA number, buyer, date and what remains to be credited (None if unknown)."""
    original = find_original(ledger, doc, invoice)
    if original is None or original.canonical is None:
        return None
    original_invoice = Invoice.model_validate_json(original.canonical)
    accepted = original.state in SIGNED and original.device_key == doc.device_key
    remaining_quantity: dict[str, Decimal] = defaultdict(Decimal)
    for line in original_invoice.lines:
        remaining_quantity[line.item.code] += line.quantity
    remaining_amount = _total(original)
    others = _other_credit_notes(ledger, original, doc)
    for other in others:
        for line in Invoice.model_validate_json(other.canonical or "{}").lines:
            remaining_quantity[line.item.code] -= line.quantity
        remaining_amount -= _total(other)
    return OriginalInvoice(
        invoice_number=original.invoice_number if accepted else None,
        buyer_pin=original_invoice.buyer.pin if original_invoice.buyer else None,
        issued_at=original_invoice.issued_at,
        remaining_quantity=dict(remaining_quantity),
        remaining_amount=remaining_amount,
        credit_notes_before=len(others),
        unit_prices=_unit_prices(original, original_invoice),
    )


def _total(doc: Document) -> Decimal:
    return Decimal(str((doc.request or {}).get("totAmt", "0")))


def _unit_prices(doc: Document, invoice: Invoice) -> dict[str, Decimal]:
    """Item code -> the highest `prc` KRA signed for it (the request's lines follow the invoice's)."""
    prices: dict[str, Decimal] = {}
    for line, sent in zip(invoice.lines, (doc.request or {}).get("itemList") or [], strict=False):
        price = Decimal(str(sent.get("prc", "0")))
        prices[line.item.code] = max(price, prices.get(line.item.code, price))
    return prices


def _other_credit_notes(ledger: Ledger, original: Document, doc: Document) -> list[Document]:
    """Credit notes against the same original that are signed or may be (in flight)."""
    states = (*SIGNED, *IN_FLIGHT)
    marks = ", ".join("?" for _ in states)
    candidates = ledger.documents(
        f"kind = 'credit_note' AND id != ? AND device_key = ? AND state IN ({marks})",
        [doc.id, doc.device_key, *states],
    )
    result = []
    for other in candidates:
        invoice = Invoice.model_validate_json(other.canonical or "{}")
        if invoice.original and find_original(ledger, other, invoice) == original:
            result.append(other)
    return result
