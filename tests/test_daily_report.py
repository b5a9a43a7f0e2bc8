"""The daily compliance report, read back the way an accountant reads it (CSV rows, PDF text, HTML).

The ledger is built by really signing documents through the KRA simulator over HTTP; band totals
are checked against the sum over the ledger's signed requests, and gaps are made by hand.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pypdf
import pytest

from connector import cli, jsonio
from connector.clock import EAT, now_eat
from connector.config import MonitorSettings
from connector.kra.simulator import SimulatorConfig, start_simulator
from connector.ledger import Ledger
from connector.ledger.schema import SIGNED
from connector.reports import build_report, parse_day, render_csv, render_html, render_pdf
from connector.reports.send import send_due
from tests.conftest import PIN, initialise_all, make_settings
from tests.receipt_helpers import five_band_sale, invoice, line, sign

BANDS = "ABCDE"


@pytest.fixture
def ledger_day(tmp_path: Path) -> Iterator[SimpleNamespace]:
    """Two devices; sales in all bands, a foreign-currency sale and a credit note on the first."""
    with start_simulator(SimulatorConfig(host="127.0.0.1", port=0, profile="legacy", seed=3)) as sim:
        settings = make_settings(tmp_path, sim.legacy_base, devices=2)
        context = initialise_all(settings)
        now = now_eat()
        recent = max(now - timedelta(hours=1), now.replace(hour=0, minute=0, second=0, microsecond=0))  # today
        docs = sign(
            context,
            [
                five_band_sale("INV-001"),
                invoice("INV-USD", [line("SOAP", "10.00", "VAT16", quantity="4")], currency="USD", rate="129.5"),
                invoice("CN-001", [line("SOAP", "116.00", "VAT16")], kind="credit_note", original="INV-001"),
                invoice("INV-002", [line("BREAD", "58.00", "ZERO", quantity="7")], issued_at=recent),
                invoice("INV-B1", [line("SOAP", "116.00", "VAT16")], branch="branch01"),
                invoice("INV-BAD", [line("SOAP", "116.00", "NO-SUCH-TAX")]),
            ],
        )
        waiting = sign(
            context,
            [
                invoice("INV-OLD", [line("SOAP", "116.00", "VAT16")], issued_at=now_eat() - timedelta(hours=30)),
                invoice("INV-NEW", [line("SOAP", "116.00", "VAT16")], issued_at=recent),
            ],
            send=False,
        )
        config = tmp_path / "etims-connector.toml"
        config.write_text(
            f'data_dir = "{settings.data_dir}"\n[kra]\nbase_url = "{sim.legacy_base}"\n'
            + "".join(
                f'[[devices]]\nname = "{d.name}"\npin = "{PIN}"\nbranch = "{d.branch}"\nserial = "{d.serial}"\n'
                for d in settings.devices
            )
        )
        day = datetime.fromisoformat(docs[0].signed_at).astimezone(EAT).date()
        yield SimpleNamespace(
            context=context,
            settings=settings,
            docs=docs,
            waiting=waiting,
            config=config,
            day=day,
            ledger=context.ledger,
        )
        context.close()


def signed_requests(ledger: Ledger, device_key: str, day: date) -> list[dict]:
    """Straight from the ledger table: the signed requests of one device whose signature falls on `day`."""
    rows = ledger.db.execute(
        "SELECT request, signed_at, state FROM documents WHERE device_key = ?", [device_key]
    ).fetchall()
    return [
        jsonio.loads(request)
        for request, signed_at, state in rows
        if state in SIGNED and datetime.fromisoformat(signed_at).astimezone(EAT).date() == day
    ]


def expected_bands(requests: list[dict], receipt_type: str) -> dict[str, tuple[Decimal, Decimal]]:
    chosen = [r for r in requests if r["rcptTyCd"] == receipt_type]
    return {
        b: (sum((r[f"taxblAmt{b}"] for r in chosen), Decimal(0)), sum((r[f"taxAmt{b}"] for r in chosen), Decimal(0)))
        for b in BANDS
    }


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def report_for(ns: SimpleNamespace, day: date | None = None):
    devices = [(d.name, d.key) for d in ns.settings.devices]
    return build_report(ns.ledger, day or ns.day, devices, max_unsigned_hours=24)


def test_band_totals_are_the_sum_of_the_signed_requests(ledger_day) -> None:
    assert [d.state for d in ledger_day.docs] == ["accepted"] * 5 + ["needs-fix"]
    rows = csv_rows(render_csv(report_for(ledger_day)))
    for device in ledger_day.settings.devices:
        requests = signed_requests(ledger_day.ledger, device.key, ledger_day.day)
        mine = [r for r in rows if r["device"] == f"{device.name} ({device.key})"]
        for section, kind in (("band sales", "S"), ("band credit notes", "R")):
            expected = expected_bands(requests, kind)
            got = {r["item"]: (Decimal(r["taxable"]), Decimal(r["tax"])) for r in mine if r["section"] == section}
            assert {b: got[b] for b in BANDS} == expected
            total = got["Total"]
            assert total == (sum(e[0] for e in expected.values()), sum(e[1] for e in expected.values()))
        counts = {r["item"]: r for r in mine if r["section"] == "signed"}
        sales = [r for r in requests if r["rcptTyCd"] == "S"]
        credits = [r for r in requests if r["rcptTyCd"] == "R"]
        assert int(counts["invoices"]["count"]) == len(sales)
        assert int(counts["credit notes"]["count"]) == len(credits)
        assert Decimal(counts["invoices"]["amount"]) == sum((r["totAmt"] for r in sales), Decimal(0))
        assert Decimal(counts["credit notes"]["amount"]) == sum((r["totAmt"] for r in credits), Decimal(0))
        numbers = sorted(r["invcNo"] for r in requests)
        first_last = {r["item"]: r["detail"] for r in mine if r["section"] == "numbers"}
        assert (first_last["first"], first_last["last"], first_last["gaps"]) == (
            str(numbers[0]), str(numbers[-1]), "none")  # fmt: skip


def test_open_documents_are_aged_against_the_24_hour_rule(ledger_day) -> None:
    report = report_for(ledger_day)
    first = report.devices[0]
    unsigned = {doc.label: doc for doc in first.unsigned}
    assert set(unsigned) == {"test:INV-OLD", "test:INV-NEW"}
    assert unsigned["test:INV-OLD"].overdue and unsigned["test:INV-OLD"].age_hours >= 30
    assert not unsigned["test:INV-NEW"].overdue and unsigned["test:INV-NEW"].age_hours < 24
    [bad] = first.needs_fix
    assert bad.label == "test:INV-BAD" and "NO-SUCH-TAX" in (bad.reason or "") and bad.overdue
    late = {doc.label for doc in first.signed_late}  # documents dated 20/11/2026, signed today
    assert "test:INV-001" in late and "test:INV-002" not in late
    assert report.devices[1].unsigned == [] and report.devices[1].needs_fix == []


def test_an_earlier_day_shows_nothing_signed_and_only_what_was_open_then(ledger_day) -> None:
    report = report_for(ledger_day, ledger_day.day - timedelta(days=1))
    for device in report.devices:
        assert (device.invoices, device.credit_notes, device.first_number) == (0, 0, None)
        assert all(band.sales_taxable == 0 and band.sales_tax == 0 for band in device.bands)
    labels = {doc.label for doc in report.devices[0].unsigned}
    assert "test:INV-OLD" in labels  # 30 h old: already open at the end of yesterday
    assert "test:INV-NEW" not in labels  # issued today: not there yet at the end of yesterday


def test_a_gap_made_by_hand_is_reported(ledger_day) -> None:
    ledger, key = ledger_day.ledger, ledger_day.settings.devices[0].key
    signed = [d for d in ledger.documents("device_key = ?", [key]) if d.state in SIGNED]
    numbers = sorted(d.invoice_number for d in signed)
    assert numbers == list(range(1, len(numbers) + 1))
    last = max(signed, key=lambda d: d.invoice_number)
    second = next(d for d in signed if d.invoice_number == 2)
    ledger.db.execute("UPDATE documents SET invoice_number = ? WHERE id = ?", [last.invoice_number + 2, last.id])
    ledger.db.execute("UPDATE documents SET state = 'unknown' WHERE id = ?", [second.id])
    device = report_for(ledger_day).devices[0]
    gaps = {gap.number: gap.held_by for gap in device.gaps}
    assert gaps == {2: f"{second.label} (unknown)", last.invoice_number: None, last.invoice_number + 1: None}
    assert device.last_number == last.invoice_number + 2
    rows = csv_rows(render_csv(report_for(ledger_day)))
    gap_row = next(r for r in rows if r["section"] == "numbers" and r["item"] == "gaps" and key in r["device"])
    assert gap_row["count"] == "3" and f"{last.invoice_number} (no document has it)" in gap_row["detail"]
    text = pdf_text(render_pdf(report_for(ledger_day)))
    assert f"Gaps 2 ({second.label} (unknown)); {last.invoice_number} (no document has it)" in text


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)


def test_pdf_and_html_show_the_same_figures(ledger_day) -> None:
    report = report_for(ledger_day)
    text, page = pdf_text(render_pdf(report)), render_html(report)
    for device in report.devices:
        assert f"Device {device.name} ({device.key})" in text and f"Device {device.name} ({device.key})" in page
        for band in device.bands:
            taxable, tax = f"{band.sales_taxable:,.2f}", f"{band.sales_tax:,.2f}"
            assert " ".join(part for part in (band.band, band.rate, taxable, tax) if part) in text
            assert f'<td class="n">{taxable}</td><td class="n">{tax}</td>' in page
    assert "test:INV-BAD" in text and "OVER the 24-hour limit" in text and "test:INV-BAD" in page


def test_the_command_writes_each_format_and_filters_by_device(ledger_day, tmp_path: Path, capsys) -> None:
    config, day = str(ledger_day.config), ledger_day.day.isoformat()
    assert cli.main(["--config", config, "report", "daily", "--date", day]) == 0
    rows = csv_rows(capsys.readouterr().out)
    assert {r["device"] for r in rows} == {f"{d.name} ({d.key})" for d in ledger_day.settings.devices}
    assert cli.main(["--config", config, "report", "daily", "--date", day, "--device", "branch01"]) == 0
    rows = csv_rows(capsys.readouterr().out)
    assert {r["device"] for r in rows} == {f"branch01 ({PIN}/01)"}
    pdf, page = tmp_path / "day.pdf", tmp_path / "day.html"
    assert (
        cli.main(["--config", config, "report", "daily", "--date", day, "--format", "pdf", "--output", str(pdf)]) == 0
    )
    assert "eTIMS daily compliance report" in pdf_text(pdf.read_bytes())
    assert cli.main(["--config", config, "report", "daily", "--format", "html", "--output", str(page)]) == 0
    assert "<h2>Device branch00" in page.read_text(encoding="utf-8")
    assert cli.main(["--config", config, "report", "daily", "--date", "2026-13-40"]) == 2
    assert "give YYYY-MM-DD" in capsys.readouterr().err


def test_parse_day_in_east_africa_time() -> None:
    evening = datetime(2026, 3, 1, 19, 30, tzinfo=UTC)  # 22:30 EAT, 1 March
    after_midnight = datetime(2026, 3, 1, 21, 30, tzinfo=UTC)  # 00:30 EAT, 2 March
    assert parse_day(None, now=evening) == date(2026, 3, 1)
    assert parse_day("today", now=after_midnight) == date(2026, 3, 2)
    assert parse_day("yesterday", now=after_midnight) == date(2026, 3, 1)
    assert parse_day("2026-02-28") == date(2026, 2, 28)
    with pytest.raises(ValueError):
        parse_day("28/02/2026")


def test_a_gap_across_midnight_is_reported_on_the_later_day(ledger_day) -> None:
    ledger, key = ledger_day.ledger, ledger_day.settings.devices[0].key
    by_number = {d.invoice_number: d for d in ledger.documents("device_key = ?", [key]) if d.state in SIGNED}
    yesterday = (datetime.fromisoformat(by_number[1].signed_at) - timedelta(days=1)).isoformat()
    ledger.db.execute("UPDATE documents SET signed_at = ? WHERE id = ?", [yesterday, by_number[1].id])
    ledger.db.execute("UPDATE documents SET invoice_number = NULL, state = 'needs-fix' WHERE id = ?", [by_number[2].id])
    before, today = report_for(ledger_day, ledger_day.day - timedelta(days=1)), report_for(ledger_day)
    assert (before.devices[0].first_number, before.devices[0].last_number, before.devices[0].gaps) == (1, 1, [])
    assert today.devices[0].first_number == 3
    assert [(gap.number, gap.held_by) for gap in today.devices[0].gaps] == [(2, None)]


class _Hook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(jsonio.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_the_morning_send_posts_yesterdays_report_once(ledger_day) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Hook.received = []
    try:
        monitor = MonitorSettings(webhook_url=f"http://127.0.0.1:{server.server_address[1]}/hook")
        devices = [(d.name, d.key) for d in ledger_day.settings.devices]
        next_morning = datetime.combine(ledger_day.day + timedelta(days=1), datetime.min.time(), tzinfo=EAT)
        ledger = ledger_day.ledger
        assert send_due(ledger, monitor, devices, hour=7, now=next_morning + timedelta(hours=6)) is None  # too early
        sent = send_due(ledger, monitor, devices, hour=7, now=next_morning + timedelta(hours=7, minutes=5))
        assert sent is not None and sent.day == ledger_day.day
        assert send_due(ledger, monitor, devices, hour=7, now=next_morning + timedelta(hours=9)) is None  # once
    finally:
        server.shutdown()
    [body] = _Hook.received
    assert body["date"] == ledger_day.day.isoformat()
    first = body["devices"][0]
    requests = signed_requests(ledger, ledger_day.settings.devices[0].key, ledger_day.day)
    net_b = sum((r["taxblAmtB"] * (1 if r["rcptTyCd"] == "S" else -1) for r in requests), Decimal(0))
    assert Decimal(first["bands"]["B"]["taxable"]) == net_b
    assert first["invoices"] == sum(1 for r in requests if r["rcptTyCd"] == "S") and first["unsigned"] == 2


def test_the_daemon_sends_it_when_an_hour_is_configured(ledger_day) -> None:
    from connector.daemon import Daemon

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Hook.received = []
    settings = ledger_day.settings.model_copy(deep=True)
    settings.monitor.webhook_url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    daemon = Daemon(settings, sources={}, workers=1)
    try:
        daemon.send_daily_report()  # no hour configured: nothing
        assert _Hook.received == []
        settings.monitor.daily_report_hour = 0
        daemon.send_daily_report()
        daemon.send_daily_report()  # once a day
    finally:
        daemon.context.close()
        server.shutdown()
    [body] = _Hook.received
    assert len(body["devices"]) == 2
