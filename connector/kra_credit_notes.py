"""KRA's production limits on credit notes, checked before sending (configurable, on by default).

Peers that met them in production (navari kenya-compliance-via-slade #233, PRs #264/#266) and
KRA's answers agree on:

* at most `max_per_invoice` (2) credit notes per original invoice, counting the ones signed or on
  their way to KRA;
* the last one allowed must settle what remains of the invoice, within `allow_variance_percent`
  (1 %) of the remainder: with two, the first may be partial, the second credits the rest;
* a credit note within `max_age_days` (183, six months) of its invoice, counted in calendar days
  in East Africa Time (a calendar-month rule would allow 181 to 184 days depending on the month;
  a number of days is one rule everyone can check);
* per item, quantities (all credit notes together) and unit prices never above the original's.
  Prices are compared as KRA sees them, the `prc` of the request in KES, with the same variance
  allowed (1 %): a foreign-currency credit note at the invoice's price moves with the exchange rate.

Each message says it is KRA's rule and what to do instead. No I/O here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from connector.clock import EAT
from connector.errors import DocumentError
from connector.kra_items import document_error
from connector.models import Invoice
from connector.money import CENT, HUNDRED

if TYPE_CHECKING:
    from connector.kra_precheck import OriginalInvoice

ORDINALS = {1: "first", 2: "second", 3: "third"}


class CreditNoteRules(Protocol):
    enforce: bool
    max_per_invoice: int
    max_age_days: int
    allow_variance_percent: Decimal


@dataclass(frozen=True)
class CreditNoteLimits:
    """The defaults; `[credit_notes]` in the configuration (connector/config.py) has the same fields."""

    enforce: bool = True
    max_per_invoice: int = 2
    max_age_days: int = 183
    allow_variance_percent: Decimal = Decimal("1")


def dated_problems(invoice: Invoice, original: OriginalInvoice, limits: CreditNoteRules) -> Iterator[DocumentError]:
    """How many credit notes the original already has, and how old it is."""
    if not limits.enforce:
        return
    name = invoice.original.number if invoice.original else "the original invoice"
    if original.credit_notes_before >= limits.max_per_invoice:
        message = (
            f"KRA's rule: at most {limits.max_per_invoice} credit note(s) per invoice, and {name} already "
            f"has {original.credit_notes_before} (signed or being sent); nothing more can be credited "
            "against it on eTIMS: correct the earlier credit notes, or ask KRA"
        )
        yield document_error(invoice, message, field="original", value=name)
    days = (invoice.issued_at.astimezone(EAT).date() - original.issued_at.astimezone(EAT).date()).days
    if days > limits.max_age_days:
        message = (
            f"KRA's rule: a credit note must be issued within {limits.max_age_days} days of its invoice; "
            f"{name} is dated {original.issued_at.astimezone(EAT).date()} and this one is {days} days "
            "later, so eTIMS will not accept it: settle the refund outside eTIMS and ask your tax adviser"
        )
        yield document_error(invoice, message, field="issued_at", value=invoice.issued_at.isoformat())


def amount_problems(
    invoice: Invoice,
    original: OriginalInvoice,
    limits: CreditNoteRules,
    credited: Decimal,
    prices: list[tuple[int, str, Decimal]],
) -> Iterator[DocumentError]:
    """The last allowed credit note settles the remainder; no unit price above the original's.

    `credited` is this credit note's KES total, `prices` (line, item code, KRA prc) its lines.
    """
    if not limits.enforce:
        return
    for number, code, price in prices:
        highest = original.unit_prices.get(code)
        if highest is not None and price > highest * (1 + limits.allow_variance_percent / HUNDRED):
            message = (
                f"KRA's rule: a credit note's unit price may not be above the original invoice's "
                f"(KES {highest} for this item, this line gives KES {price}): credit at the original price"
            )
            yield document_error(invoice, message, line=number, field="unit_price", value=str(price))
    position = original.credit_notes_before + 1
    if position != limits.max_per_invoice:
        return
    remaining = original.remaining_amount
    allowed = max(CENT, remaining * limits.allow_variance_percent / HUNDRED)
    if remaining - credited > allowed:
        ordinal = ORDINALS.get(position, f"no. {position}")
        message = (
            f"KRA's rule: the {ordinal} and last credit note allowed on an invoice must credit everything "
            f"that remains (KES {remaining}, within {limits.allow_variance_percent} %); this one credits "
            f"KES {credited}: credit the whole remainder"
        )
        yield document_error(invoice, message, field="total", value=str(credited))
