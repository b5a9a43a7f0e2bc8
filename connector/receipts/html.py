"""The receipt as one self-contained HTML page (inline CSS, QR as a PNG data: URI), every value escaped."""

from __future__ import annotations

from functools import cache

import jinja2

from connector.receipts import formatting
from connector.receipts.data import CREDIT_NOTE_SENTENCE, ReceiptData, grouped
from connector.receipts.qr import qr_data_uri


@cache
def environment(package: str = "connector.receipts") -> jinja2.Environment:
    """Jinja2 with autoescape on for every template (buyer names and item names are user input)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=formatting.money, quantity=formatting.quantity, rate=formatting.rate, eat=formatting.eat_time
    )
    return env


def render_html(data: ReceiptData) -> str:
    template = environment().get_template("receipt.html")
    return template.render(
        r=data,
        internal_data=grouped(data.internal_data),
        signature=grouped(data.signature),
        qr=qr_data_uri(data.qr_url),
        credit_sentence=CREDIT_NOTE_SENTENCE,
    )
