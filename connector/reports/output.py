"""The daily report as CSV (one fact per row, for a spreadsheet), HTML (one page) or PDF."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from connector.receipts.formatting import eat_time, latin1, money
from connector.receipts.html import environment
from connector.receipts.pdfpage import Page
from connector.reports.daily import DailyReport, DeviceDay

CSV_COLUMNS = ("date", "device", "section", "item", "count", "taxable", "tax", "amount", "detail")


def render_csv(report: DailyReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    day = report.day.isoformat()
    for d in report.devices:
        device = f"{d.name} ({d.key})"

        def row(section: str, item: str, count: object = "", taxable="", tax="", amount="", detail="") -> None:
            amounts = [f"{value:.2f}" if isinstance(value, Decimal) else value for value in (taxable, tax, amount)]
            writer.writerow([day, device, section, item, count, *amounts, detail])  # noqa: B023

        row("signed", "invoices", d.invoices, amount=d.sales_total)
        row("signed", "credit notes", d.credit_notes, amount=d.credit_total)
        row("signed", "net", d.invoices + d.credit_notes, amount=d.net_total)
        for band in [*d.bands, d.all_bands]:
            row("band sales", band.band, taxable=band.sales_taxable, tax=band.sales_tax, detail=band.rate)
            row("band credit notes", band.band, taxable=band.credit_taxable, tax=band.credit_tax, detail=band.rate)
            row("band net", band.band, taxable=band.net_taxable, tax=band.net_tax, detail=band.rate)
        row("numbers", "first", detail=_or_none(d.first_number))
        row("numbers", "last", detail=_or_none(d.last_number))
        row("numbers", "gaps", len(d.gaps), detail=_gap_text(d))
        for doc in d.unsigned:
            row("unsigned", doc.label, detail=_open_text(doc, report))
        for doc in d.needs_fix:
            row("needs-fix", doc.label, detail=_open_text(doc, report))
        for late in d.signed_late:
            row("signed late", late.label, detail=f"signed {late.hours} h after the document date")
    return out.getvalue()


def render_html(report: DailyReport) -> str:
    env = environment("connector.reports")
    return env.get_template("daily.html").render(report=report, gap_text=_gap_text, open_text=_open_text)


def render_pdf(report: DailyReport) -> bytes:
    page = Page(f"eTIMS daily report {report.day.isoformat()}")
    page.line_of_text(f"eTIMS daily compliance report - {report.day.strftime('%d/%m/%Y')} (EAT)", size=14, style="B")
    page.line_of_text(f"Made {eat_time(report.generated_at)} EAT; unsigned limit {report.max_unsigned_hours:g} h")
    for device in report.devices:
        _pdf_device(page, device, report)
    return bytes(page.output())


def _pdf_device(page: Page, d: DeviceDay, report: DailyReport) -> None:
    page.ln(3)
    page.rule(thick=True)
    page.line_of_text(f"Device {d.name} ({d.key})", size=12, style="B")
    page.pair("Invoices signed", f"{d.invoices}   KES {money(d.sales_total)}")
    page.pair("Credit notes", f"{d.credit_notes}   KES {money(d.credit_total)}")
    page.pair("Net", f"KES {money(d.net_total)}")
    first_last = f"{_or_none(d.first_number)} to {_or_none(d.last_number)}"
    page.pair("Invoice numbers", first_last)
    page.pair("Gaps", _gap_text(d))
    widths = (18, 18, 36, 36, 36, 36)
    heads = ("Band", "Rate", "Sales taxable", "Sales tax", "Credit taxable", "Credit tax")
    page.ln(1)
    page.row([(h, w, "L" if i < 2 else "R") for i, (h, w) in enumerate(zip(heads, widths, strict=True))],
             style="B", border="B")  # fmt: skip
    for band in [*d.bands, d.all_bands]:
        cells = (band.band, band.rate, money(band.sales_taxable), money(band.sales_tax),
                 money(band.credit_taxable), money(band.credit_tax))  # fmt: skip
        page.row([(c, w, "L" if i < 2 else "R") for i, (c, w) in enumerate(zip(cells, widths, strict=True))])
    for title, docs in (("Unsigned", d.unsigned), ("Needs fix", d.needs_fix)):
        page.ln(1)
        page.line_of_text(f"{title}: {len(docs) or 'none'}", style="B")
        for doc in docs:
            page.line_of_text(latin1(f"  [id {doc.id}] {doc.label}: {_open_text(doc, report)}"))
    if d.signed_late:
        page.line_of_text(f"Signed after the {report.max_unsigned_hours:g}-hour limit: {len(d.signed_late)}", style="B")
        for late in d.signed_late:
            page.line_of_text(f"  [id {late.id}] {late.label}: {late.hours} h")


def _or_none(value: object) -> str:
    return "none" if value is None else str(value)


def _gap_text(d: DeviceDay) -> str:
    if not d.gaps:
        return "none"
    return "; ".join(f"{g.number} ({g.held_by or 'no document has it'})" for g in d.gaps)


def _open_text(doc, report: DailyReport) -> str:
    limit = f"OVER the {report.max_unsigned_hours:g}-hour limit" if doc.overdue else "within the limit"
    reason = f"; {doc.reason}" if doc.reason else ""
    return f"{doc.state}, {doc.age_hours} h since {eat_time(doc.since)} ({limit}){reason}"
