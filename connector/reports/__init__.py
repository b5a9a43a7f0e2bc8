"""Reports an accountant files: the daily compliance report per KRA device (CSV, HTML, PDF)."""

from connector.reports.daily import DailyReport, build_report, parse_day
from connector.reports.output import render_csv, render_html, render_pdf

__all__ = ["DailyReport", "build_report", "parse_day", "render_csv", "render_html", "render_pdf"]
