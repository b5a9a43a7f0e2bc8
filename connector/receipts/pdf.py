"""The receipt as a one-page A4 PDF (fpdf2, pure Python): the same content as the HTML receipt."""

from __future__ import annotations

import io

from connector.receipts.data import CREDIT_NOTE_SENTENCE, ReceiptData, grouped
from connector.receipts.formatting import eat_time, money, quantity, rate
from connector.receipts.pdfpage import Page
from connector.receipts.qr import qr_png

QR_SIZE_MM = 38


def render_pdf(data: ReceiptData) -> bytes:
    page = Page(f"{data.title} {data.trader_invoice_number}")
    if data.copy:
        _copy_banner(page)
    _seller(page, data)
    page.ln(2)
    page.line_of_text(data.title, size=16, style="B", align="C", height=8)
    _buyer(page, data)
    _lines(page, data)
    _bands(page, data)
    _totals(page, data)
    if data.credit_note:
        page.ln(1)
        page.line_of_text(CREDIT_NOTE_SENTENCE, style="B", align="C")
    _scu_block(page, data)
    if data.bottom_message:
        page.line_of_text(data.bottom_message, style="I", align="C")
    if data.copy:
        _copy_banner(page)
    return bytes(page.output())


def _copy_banner(page: Page) -> None:
    page.font(18, "B")
    page.set_line_width(0.8)
    page.cell(0, 10, "COPY", border=1, align="C")
    page.ln(12)


def _seller(page: Page, r: ReceiptData) -> None:
    if r.trade_name:
        page.line_of_text(r.trade_name, size=13, style="B", align="C", height=6)
    if r.address:
        page.line_of_text(r.address, align="C")
    branch = f"{r.branch} ({r.branch_name})" if r.branch_name else r.branch
    page.line_of_text(f"PIN: {r.seller_pin}    Branch: {branch}", style="B", align="C")
    if r.top_message:
        page.line_of_text(r.top_message, style="I", align="C")


def _buyer(page: Page, r: ReceiptData) -> None:
    page.rule()
    page.pair("Buyer", r.buyer_name or "-")
    if r.buyer_pin:
        page.pair("Buyer PIN", r.buyer_pin)
    if r.buyer_mobile:
        page.pair("Buyer phone", r.buyer_mobile)
    page.pair("Credit note" if r.credit_note else "Invoice", r.trader_invoice_number)
    page.pair("Currency", r.currency if r.currency == "KES" else f"{r.currency} (amounts below in KES)")
    if r.issued_at:
        page.pair("Date", eat_time(r.issued_at))
    if r.credit_note and r.original_cu_invoice_number:
        page.pair("ORIGINAL CU INVOICE NO.", r.original_cu_invoice_number, label_width=52)
    page.ln(1)


def _lines(page: Page, r: ReceiptData) -> None:
    widths = (8, 64, 20, 23, 19, 20, 26)
    heads = ("#", "Item", "Qty", "Unit price", "Discount", "Tax", "Amount KES")
    page.set_fill_color(230, 230, 230)
    page.row([(h, w, "L" if i < 2 else "R") for i, (h, w) in enumerate(zip(heads, widths, strict=True))],
             style="B", border="B", fill=True)  # fmt: skip
    for line in r.lines:
        cells = (
            str(line.number),
            f"{line.name} [{line.item_code}]",
            f"{quantity(line.quantity)} {line.unit}",
            money(line.unit_price),
            money(line.discount),
            money(r.shown(line.tax)),
            f"{money(r.shown(line.amount))} {line.band}",
        )
        page.row([(c, w, "L" if i < 2 else "R") for i, (c, w) in enumerate(zip(cells, widths, strict=True))])
    page.rule()


def _bands(page: Page, r: ReceiptData) -> None:
    widths = (45, 35, 50, 50)
    page.row([("Tax band", widths[0], "L"), ("Rate", widths[1], "R"), ("Taxable KES", widths[2], "R"),
              ("Tax KES", widths[3], "R")], style="B", border="B")  # fmt: skip
    for band in r.bands:
        cells = (band.band, rate(band.rate), money(r.shown(band.taxable)), money(r.shown(band.tax)))
        page.row([(c, w, "L" if i == 0 else "R") for i, (c, w) in enumerate(zip(cells, widths, strict=True))])
    page.ln(1)


def _totals(page: Page, r: ReceiptData) -> None:
    label_w, value_w = page.content_width() - 60, 60
    rows = [("Total taxable", f"KES {money(r.shown(r.total_taxable))}"),
            ("Total tax", f"KES {money(r.shown(r.total_tax))}")]  # fmt: skip
    for label, value in rows:
        page.row([(label, label_w, "R"), (value, value_w, "R")])
    page.row([("TOTAL", label_w, "R"), (f"KES {money(r.shown(r.total))}", value_w, "R")], style="B", size=11)
    if r.total_in_currency is not None:
        how = "" if r.total_in_currency_from_erp else " (KES total / rate)"
        page.row([(f"TOTAL {r.currency}{how}", label_w, "R"),
                  (f"{r.currency} {money(r.shown(r.total_in_currency))}", value_w, "R")], style="B")  # fmt: skip
        page.row([("Exchange rate", label_w, "R"), (f"{quantity(r.exchange_rate)} KES per {r.currency}", value_w, "R")])
    page.row([("Items", label_w, "R"), (str(len(r.lines)), value_w, "R")])


def _scu_block(page: Page, r: ReceiptData) -> None:
    page.ln(2)
    if page.get_y() + QR_SIZE_MM + 12 > page.h - page.b_margin:
        page.add_page()
    top = page.get_y()
    page.rule(thick=True)
    page.image(io.BytesIO(qr_png(r.qr_url)), x=page.l_margin, y=top + 2, w=QR_SIZE_MM, h=QR_SIZE_MM)
    left = page.l_margin + QR_SIZE_MM + 4
    page.set_left_margin(left)
    page.set_xy(left, top + 2)
    page.line_of_text("SCU INFORMATION", style="B")
    page.pair("Date", eat_time(r.signed_at), label_width=34)
    page.pair("SCU ID", r.scu_id, label_width=34)
    page.pair("CU invoice no.", r.cu_invoice_number, label_width=34)
    page.pair("Receipt no.", r.receipt_counter, label_width=34)
    page.pair("Internal data", grouped(r.internal_data), label_width=34, mono=True)
    page.pair("Receipt signature", grouped(r.signature), label_width=34, mono=True)
    if r.mrc_number:
        page.pair("MRC", r.mrc_number, label_width=34)
    page.set_left_margin(15)
    page.set_y(max(page.get_y(), top + QR_SIZE_MM + 4))
    page.font(7)
    page.set_x(page.l_margin)
    page.multi_cell(0, 4, r.qr_url, align="L")
    page.rule(thick=True)
