"""Receipts as a person reads them: the PDF's text (pypdf), its QR image (zxing-cpp), the HTML page.

The ledger is built by really signing documents through the KRA simulator over HTTP.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import html
import io
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pypdf
import pytest
import zxingcpp
from PIL import Image

from connector import cli
from connector.context import Context
from connector.kra.simulator import SimulatorConfig, start_simulator
from connector.ledger import Document
from connector.money import round_money
from connector.pipeline import Pipeline, Source, default_mapping
from connector.receipts import ReceiptError, find_document, qr_png, receipt_data, render_html, render_pdf
from connector.receipts.formatting import money
from connector.testing import wait_for
from plugins.csv import samples
from plugins.csv.results import read_rows
from plugins.csv.testing import DAY, running_daemon, with_csv_source
from tests.conftest import PIN, initialise_all, make_settings
from tests.receipt_helpers import SCRIPT_BUYER, five_band_sale, invoice, line, sign


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """One sale in all five bands (buyer named like an attack), a USD sale and a credit note, all signed."""
    root = tmp_path_factory.mktemp("receipts")
    with start_simulator(SimulatorConfig(host="127.0.0.1", port=0, profile="legacy", seed=7)) as sim:
        settings = make_settings(root, sim.legacy_base)
        context = initialise_all(settings)
        sale, usd, credit = sign(
            context,
            [
                five_band_sale("INV-001", buyer=SCRIPT_BUYER),
                invoice("INV-USD", [line("SOAP", "10.00", "VAT16", quantity="4")], currency="USD", rate="129.5"),
                invoice("CN-001", [line("SOAP", "116.00", "VAT16")], kind="credit_note", original="INV-001"),
            ],
        )
        config = root / "etims-connector.toml"
        config.write_text(
            f'data_dir = "{settings.data_dir}"\n[kra]\nbase_url = "{sim.legacy_base}"\n'
            f'[[devices]]\nname = "branch00"\npin = "{PIN}"\nbranch = "00"\nserial = "serial-0"\n'
        )
        yield SimpleNamespace(context=context, sale=sale, usd=usd, credit=credit, config=config, root=root)
        context.close()


def pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def decode_qr(image: Image.Image) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(image) if found.format == zxingcpp.BarcodeFormat.QRCode]


def test_every_document_was_signed_by_the_simulator(signed) -> None:
    for doc in (signed.sale, signed.usd, signed.credit):
        assert doc.state == "accepted", doc.reason
        assert doc.receipt and doc.request


def test_the_pdf_shows_what_kra_signed(signed) -> None:
    doc: Document = signed.sale
    data = receipt_data(signed.context.ledger, doc, copy=False)
    text = pdf_text(render_pdf(data))
    request, receipt = doc.request, doc.receipt
    assert f"{receipt['scu_id']}/{receipt['invoice_number']}" in text  # CU invoice number
    signature = receipt["signature"]
    assert "-".join(signature[i : i + 4] for i in range(0, 16, 4)) in text
    internal = receipt["internal_data"]
    assert "-".join(internal[i : i + 4] for i in range(0, len(internal), 4)) in text
    assert f"{receipt['receipt_number']}/{receipt['total_receipt_number']} NS" in text
    assert f"PIN: {PIN}" in text and "Branch: 00" in text
    assert f"Buyer PIN {request['custTin']}" in text
    assert f"TOTAL KES {money(request['totAmt'])}" in text
    assert f"Total tax KES {money(request['totTaxAmt'])}" in text
    for band in "ABCDE":  # every band, with the request's own figures
        rate = format(request[f"taxRt{band}"].normalize(), "f")
        assert f"{band} {rate}% {money(request[f'taxblAmt{band}'])} {money(request[f'taxAmt{band}'])}" in text
    for item in request["itemList"]:
        assert item["itemNm"] in text and f"{money(item['totAmt'])} {item['taxTyCd']}" in text
    assert "COPY" not in text and "TAX INVOICE" in text


def test_the_pdf_qr_code_decodes_to_exactly_the_receipt_link(signed) -> None:
    content = render_pdf(receipt_data(signed.context.ledger, signed.sale, copy=False))
    images = pypdf.PdfReader(io.BytesIO(content)).pages[0].images
    assert len(images) == 1
    assert decode_qr(images[0].image) == [signed.sale.receipt["qr_url"]]
    assert signed.sale.receipt["qr_url"].endswith(f"Data={PIN}00{signed.sale.receipt['signature']}")


def test_the_qr_png_decodes_to_the_link(signed) -> None:
    url = signed.usd.receipt["qr_url"]
    assert decode_qr(Image.open(io.BytesIO(qr_png(url)))) == [url]
    with pytest.raises(ValueError):
        qr_png("")


def test_the_html_escapes_the_buyer_and_carries_its_own_qr(signed) -> None:
    page = render_html(receipt_data(signed.context.ledger, signed.sale, copy=False))
    assert "<script>" not in page
    assert html.escape(SCRIPT_BUYER, quote=False) in page
    assert f"{signed.sale.receipt['scu_id']}/{signed.sale.receipt['invoice_number']}" in page
    match = re.search(r'src="data:image/png;base64,([^"]+)"', page)
    assert match, "the QR code is inline"
    assert decode_qr(Image.open(io.BytesIO(base64.b64decode(match.group(1))))) == [signed.sale.receipt["qr_url"]]
    assert "http" not in page.replace(signed.sale.receipt["qr_url"], "")  # nothing loaded from elsewhere


def test_an_item_name_with_markup_is_escaped_too(signed) -> None:
    request = copy.deepcopy(signed.sale.request)
    request["itemList"][0]["itemNm"] = '"><img src=x onerror=alert(2)>'
    doc = dataclasses.replace(signed.sale, request=request)
    page = render_html(receipt_data(signed.context.ledger, doc, copy=False))
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page


def test_a_credit_note_names_its_original_and_prints_negative(signed) -> None:
    ledger = signed.context.ledger
    text = pdf_text(render_pdf(receipt_data(ledger, signed.credit, copy=False)))
    original = signed.sale.receipt
    assert "CREDIT NOTE" in text
    assert f"ORIGINAL CU INVOICE NO. {original['scu_id']}/{original['invoice_number']}" in text
    assert "CREDIT NOTE IS APPROVED ONLY FOR ORIGINAL SALES RECEIPT" in text
    assert f"TOTAL KES -{money(signed.credit.request['totAmt'])}" in text
    receipt = signed.credit.receipt
    assert f"{receipt['receipt_number']}/{receipt['total_receipt_number']} NC" in text


def test_a_foreign_currency_invoice_shows_both_currencies(signed) -> None:
    text = pdf_text(render_pdf(receipt_data(signed.context.ledger, signed.usd, copy=False)))
    total = signed.usd.request["totAmt"]
    assert f"TOTAL KES {money(total)}" in text
    assert "129.5 KES per USD" in text
    assert f"USD {money(round_money(total / Decimal('129.5')))}" in text
    assert "USD 40.00" in text  # 4 x 10.00 USD, VAT included: the ERP's own figure


def test_the_command_writes_the_original_then_copies(signed, tmp_path: Path, capsys) -> None:
    config = str(signed.config)
    first, second = tmp_path / "first.pdf", tmp_path / "second.pdf"
    assert cli.main(["--config", config, "receipt", "test:INV-USD", "--pdf", str(first)]) == 0
    assert cli.main(["--config", config, "receipt", str(signed.usd.id), "--pdf", str(second)]) == 0
    original, reprint = pdf_text(first.read_bytes()), pdf_text(second.read_bytes())
    receipt = signed.usd.receipt
    counter = f"{receipt['receipt_number']}/{receipt['total_receipt_number']}"
    assert "COPY" not in original and f"{counter} NS" in original
    assert "COPY" in reprint and f"{counter} CS" in reprint  # a reprint is a copy; KRA is not asked again
    assert re.sub(r"\n?COPY\n?", "\n", reprint).replace(" CS", " NS").strip() == original.strip()
    page = tmp_path / "receipt.html"
    assert cli.main(["--config", config, "receipt", "test:INV-USD", "--html", str(page)]) == 0
    assert ">COPY<" in page.read_text(encoding="utf-8")
    assert cli.main(["--config", config, "receipt", "test:INV-USD"]) == 0
    out = capsys.readouterr().out
    assert f"CU invoice no.  {receipt['scu_id']}/{receipt['invoice_number']}" in out
    assert receipt["qr_url"] in out


def test_an_unsigned_document_is_a_clear_error(signed, tmp_path: Path, capsys) -> None:
    context: Context = signed.context
    device = context.settings.device()
    pipeline = Pipeline(context, {})
    waiting = invoice("INV-WAIT", [line("SOAP", "116.00", "VAT16")])
    doc_id = pipeline.record_invoice(waiting, Source("test", None, default_mapping("test"), device), {})
    target = tmp_path / "never.pdf"
    code = cli.main(["--config", str(signed.config), "receipt", "test:INV-WAIT", "--pdf", str(target)])
    assert code != 0 and not target.exists()
    error = capsys.readouterr().err
    assert "test:INV-WAIT" in error and "not signed by KRA yet" in error and str(doc_id) in error
    assert cli.main(["--config", str(signed.config), "receipt", "test:NO-SUCH"]) != 0
    assert "no document 'test:NO-SUCH'" in capsys.readouterr().err
    with pytest.raises(ReceiptError):
        find_document(context.ledger, "99999")


def test_the_csv_source_writes_a_pdf_per_signed_document(context: Context, settings, tmp_path: Path) -> None:
    folder = tmp_path / "dropbox"
    with running_daemon(with_csv_source(settings, folder, receipt_pdfs=True)):
        samples.write(folder / "inbox" / "sales.csv", samples.sales(DAY) + samples.credit_notes(DAY))
        wait_for(lambda: (folder / "archive" / "sales.csv").exists(), what="sales.csv archived")
    rows = {row["document_number"]: row for row in read_rows(folder / "outbox" / "sales.receipts.csv")}
    pdfs = sorted(p.name for p in (folder / "outbox" / "sales").iterdir())
    assert pdfs == sorted(f"{number}.pdf" for number, row in rows.items() if row["signature"])
    assert len(pdfs) >= 2
    for number, row in rows.items():
        content = (folder / "outbox" / "sales" / f"{number}.pdf").read_bytes()
        text = pdf_text(content)
        assert f"{row['scu_id']}/{row['kra_invoice_number']}" in text
        image = pypdf.PdfReader(io.BytesIO(content)).pages[0].images[0].image
        assert decode_qr(image) == [row["qr_url"]]
        assert ("CREDIT NOTE" in text) == (row["document_type"] == "credit_note")
    ledger = context.ledger
    doc = ledger.documents("source = ? AND number = ?", ["dropbox", "INV-1001"])[0]
    assert receipt_data(ledger, doc).copy  # the PDF in the outbox was the original; any later print is a copy


def test_without_the_option_the_csv_source_writes_no_pdf(context: Context, settings, tmp_path: Path) -> None:
    folder = tmp_path / "dropbox"
    with running_daemon(with_csv_source(settings, folder)):
        samples.write(folder / "inbox" / "sales.csv", samples.sales(DAY))
        wait_for(lambda: (folder / "archive" / "sales.csv").exists(), what="sales.csv archived")
    assert (folder / "outbox" / "sales.receipts.csv").exists()
    assert not (folder / "outbox" / "sales").exists()
