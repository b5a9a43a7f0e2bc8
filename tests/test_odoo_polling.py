"""Polling Odoo through real odoorpc against the fake: the (write_date, id) cursor, pages, start_date, companies,
journals, and our own write-back not making a document look changed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from connector.testing import sample_receipt
from plugins.odoo.adapter import OdooAdapter
from plugins.odoo.harness import adapter_for
from plugins.odoo.testing import FakeOdoo, InvoiceLine


@pytest.fixture(params=["17", "18"])
def odoo(request: pytest.FixtureRequest) -> Iterator[FakeOdoo]:
    with FakeOdoo(version=request.param, addon=True) as fake:
        yield fake


def simple(odoo: FakeOdoo, **kwargs: object) -> int:
    ids = odoo.ids
    return odoo.make_invoice(lines=[InvoiceLine(ids.product_widget, 1, "100", taxes=[ids.tax_vat16])], **kwargs)  # type: ignore[arg-type]


def poll(adapter: OdooAdapter, cursor: str | None) -> tuple[list[str], str | None]:
    seen, last = [], cursor
    for document, next_cursor in adapter.fetch_new(cursor):
        seen.append(document.external_id)
        last = next_cursor
    return seen, last


def test_equal_write_dates_are_neither_repeated_nor_skipped_across_pages(odoo: FakeOdoo) -> None:
    odoo.clock.freeze("2026-12-02 15:24:02")
    first = [simple(odoo) for _ in range(7)]
    adapter = adapter_for(odoo, page_size=3)
    seen, cursor = poll(adapter, None)
    assert seen == [str(i) for i in first]  # 3 + 3 + 1, all in one second
    more = [simple(odoo) for _ in range(2)]  # the same second again, after the cursor
    again, cursor = poll(adapter, cursor)
    assert again == [str(i) for i in more]
    assert poll(adapter, cursor)[0] == []


def test_polling_cost_is_a_few_calls_per_page_not_per_document(odoo: FakeOdoo) -> None:
    odoo.make_invoices(60)
    adapter = adapter_for(odoo, page_size=20)
    list(adapter.fetch_new(None))  # warm: login, fields_get, company
    odoo.make_invoices(40)
    first_cursor = [cursor for _document, cursor in adapter.fetch_new(None)][-1]
    odoo.calls.clear()
    odoo.make_invoices(100)
    fetched = [d for d, _ in adapter.fetch_new(first_cursor)]
    assert len(fetched) == 100
    pages = 100 // 20 + 1  # the last search_read finds the end
    assert odoo.calls[("account.move", "search_read")] == pages + 1  # + the late-arrivals check (ids and dates)
    assert odoo.calls[("account.move.line", "read")] == 100 // 20
    assert sum(odoo.calls.values()) <= 5 * pages + 1


def test_our_write_back_changes_nothing_a_poll_would_record(odoo: FakeOdoo) -> None:
    odoo.addon_installed = False  # without the addon the signed invoice is polled again after our note
    move_id = simple(odoo)
    adapter = adapter_for(odoo)
    [(before, cursor)] = list(adapter.fetch_new(None))
    odoo.clock.tick(2)
    adapter.report_problem(before.ref, "KRA said: invalid item code")
    odoo.touch("account.move", move_id)  # and any later write_date bump (our write, a user's edit of the ref)
    [(after, _)] = list(adapter.fetch_new(cursor))
    assert after.content == before.content
    assert adapter.to_canonical(after).content_hash() == adapter.to_canonical(before).content_hash()


def test_signed_invoices_are_not_polled_again_with_the_addon(odoo: FakeOdoo) -> None:
    move_id = simple(odoo)
    adapter = adapter_for(odoo)
    [(document, cursor)] = list(adapter.fetch_new(None))
    odoo.clock.tick(2)
    adapter.write_back(document.ref, sample_receipt())
    assert odoo.record("account.move", move_id)["kra_state"] == "signed"
    assert poll(adapter, cursor)[0] == []


def test_documents_before_start_date_are_never_read(odoo: FakeOdoo) -> None:
    old = simple(odoo, invoice_date="2026-10-31")
    new = simple(odoo, invoice_date="2026-11-01")
    adapter = adapter_for(odoo, start_date="2026-11-01")
    assert poll(adapter, None)[0] == [str(new)]
    assert list(adapter.fetch_changed([str(old)])) == []


def test_each_source_reads_only_its_company_and_journals(odoo: FakeOdoo) -> None:
    second = odoo.add_company("Second Co")
    mine = simple(odoo)
    theirs = simple(odoo, company=second)
    assert poll(adapter_for(odoo, company="Second Co"), None)[0] == [str(theirs)]
    assert poll(adapter_for(odoo, company=1), None)[0] == [str(mine)]
    assert poll(adapter_for(odoo, company=1, journals=["INV"]), None)[0] == [str(mine)]
    assert list(adapter_for(odoo, company=1).fetch_changed([str(theirs)])) == []


def test_drafts_and_vendor_bills_are_not_read(odoo: FakeOdoo) -> None:
    simple(odoo, post=False)
    simple(odoo, move_type="in_invoice")
    posted = simple(odoo)
    assert poll(adapter_for(odoo), None)[0] == [str(posted)]


def test_a_resend_request_is_yielded_once_and_cleared(odoo: FakeOdoo) -> None:
    move_id = simple(odoo)
    adapter = adapter_for(odoo)
    [(document, cursor)] = list(adapter.fetch_new(None))
    assert not document.retry_requested
    adapter.report_problem(document.ref, "KRA said: unknown customer PIN")
    odoo.clock.tick(2)
    odoo.request_resend(move_id)
    [(asked, cursor)] = list(adapter.fetch_new(cursor))
    assert asked.retry_requested
    assert odoo.record("account.move", move_id)["kra_resend_requested"] is False
    odoo.clock.tick(2)
    assert [d.retry_requested for d, _ in adapter.fetch_new(cursor)] in ([], [False])


def test_a_move_committed_late_behind_the_cursor_is_still_read(odoo: FakeOdoo) -> None:
    odoo.clock.freeze("2026-12-02 15:24:00")
    slow = simple(odoo, post=False)  # a long transaction stamps its rows at its start…
    odoo.clock.tick(5)
    quick = simple(odoo)  # …while a quick one commits first, with a later write_date
    adapter = adapter_for(odoo)
    seen, cursor = poll(adapter, None)
    assert seen == [str(quick)]
    odoo.clock.tick(5)
    odoo.store.get("account.move", slow).update(state="posted", name="INV/2026/09999", write_date="2026-12-02 15:24:00")
    again, after = poll(adapter, cursor)
    assert again == [str(slow)] and after == cursor  # read, and the cursor does not move back
    assert poll(adapter, cursor)[0] == []  # once
