"""Stock documents in the ledger (record_move, levels, sarNo) and the stock sender against the KRA simulator
over HTTP: insertStockIO numbering, stock masters, rejections, unknown outcomes verified by resending."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from connector.clock import EAT
from connector.db import open_database
from connector.ledger import Ledger, LedgerError
from connector.ledger import schema as ledger_schema
from connector.models import ItemRef, Tax
from connector.stock import ledger as stock_ledger
from connector.stock.models import StockLine, StockMove
from tests.postgres_helpers import postgres_url  # noqa: F401  (a fixture)


def make_move(
    external_id: str = "open-1",
    *,
    kind: str = "adjustment_in",
    quantity: str = "10",
    cost: str = "50",
    item: str = "SOAP",
    branch: str | None = None,
    number: str | None = None,
) -> StockMove:
    line = StockLine(
        item=ItemRef(code=item, name=f"Item {item}", category="goods"),
        quantity=Decimal(quantity),
        unit="pcs",
        unit_cost=Decimal(cost),
        taxes=[Tax(code="VAT16")],
    )
    return StockMove(
        source="test", external_id=external_id, number=number or external_id.upper(), kind=kind,  # type: ignore[arg-type]
        moved_at=datetime(2026, 11, 20, 9, 0, tzinfo=EAT), branch=branch, lines=[line],
    )  # fmt: skip


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    if request.param == "postgresql":
        from connector.db_postgres import open_postgres

        db = open_postgres(request.getfixturevalue("postgres_url"))
    else:
        db = open_database(tmp_path / "ledger.db")
    yield Ledger(db)
    db.close()


# ------------------------------------------------------------ the ledger side


def test_record_move_is_idempotent_and_queues_new_movements(ledger: Ledger) -> None:
    first = stock_ledger.record_move(ledger, "dev-a", make_move())
    assert stock_ledger.record_move(ledger, "dev-a", make_move()) == first
    doc = ledger.get(first)
    assert (doc.kind, doc.state, doc.stock_number, doc.number) == ("stock", "queued", None, "OPEN-1")
    assert doc.label == "test:OPEN-1 (stock)"
    assert stock_ledger.move_of(doc) == make_move()
    assert len(ledger.events(first)) == 1
    assert ledger.head_of_device("dev-a").id == first


def test_a_changed_move_is_updated_until_it_holds_a_sar_number(ledger: Ledger) -> None:
    doc_id = stock_ledger.record_move(ledger, "dev-a", make_move(quantity="10"))
    assert stock_ledger.record_move(ledger, "dev-a", make_move(quantity="12")) == doc_id
    assert stock_ledger.move_of(ledger.get(doc_id)).lines[0].quantity == Decimal("12")
    stock_ledger.allocate_and_move(ledger, doc_id, "dev-a", 1, "sending", "sending sarNo 1", request={"sarNo": 1})
    assert stock_ledger.record_move(ledger, "dev-a", make_move(quantity="15")) == doc_id
    doc = ledger.get(doc_id)
    assert stock_ledger.move_of(doc).lines[0].quantity == Decimal("12")  # numbered: left alone
    assert (doc.state, doc.stock_number) == ("sending", 1)
    assert "changed in the source after it was numbered" in ledger.events(doc_id)[-1]["detail"]


def test_sar_numbers_are_per_device_and_given_back_only_when_last(ledger: Ledger) -> None:
    a1 = stock_ledger.record_move(ledger, "dev-a", make_move("m1"))
    a2 = stock_ledger.record_move(ledger, "dev-a", make_move("m2"))
    b1 = stock_ledger.record_move(ledger, "dev-b", make_move("m3"))
    assert stock_ledger.next_stock_number(ledger, "dev-a") == 1
    stock_ledger.allocate_and_move(ledger, a1, "dev-a", 1, "sending", "s")
    with pytest.raises(LedgerError, match="not device dev-a's next"):
        stock_ledger.allocate_and_move(ledger, a2, "dev-a", 1, "sending", "s")
    stock_ledger.allocate_and_move(ledger, a2, "dev-a", 2, "sending", "s")
    stock_ledger.allocate_and_move(ledger, b1, "dev-b", 1, "sending", "s")
    with pytest.raises(LedgerError, match="not the last allocated"):
        stock_ledger.release_and_move(ledger, a1, "dev-a", "needs-fix", "refused")
    stock_ledger.release_and_move(ledger, a2, "dev-a", "needs-fix", "refused", reason="KRA said no")
    assert ledger.get(a2).stock_number is None and stock_ledger.next_stock_number(ledger, "dev-a") == 2
    assert ledger.get(a2).state == "needs-fix"


def test_accepting_updates_the_levels_in_the_same_transaction(ledger: Ledger) -> None:
    doc_id = stock_ledger.record_move(ledger, "dev-a", make_move())
    stock_ledger.allocate_and_move(ledger, doc_id, "dev-a", 1, "sending", "s")
    stock_ledger.accept(ledger, doc_id, "dev-a", [("KE2NTNO0000001", Decimal("10"))], "recorded by KRA")
    assert ledger.get(doc_id).state == "accepted"
    level = stock_ledger.levels(ledger, "dev-a")["KE2NTNO0000001"]
    assert (level.quantity, level.master_quantity, level.master_due) == (Decimal("10"), None, True)
    doc2 = stock_ledger.record_move(ledger, "dev-a", make_move("out-1", kind="scrap", quantity="2.5"))
    stock_ledger.allocate_and_move(ledger, doc2, "dev-a", 2, "sending", "s")
    stock_ledger.accept(ledger, doc2, "dev-a", [("KE2NTNO0000001", Decimal("-2.5"))], "recorded by KRA")
    assert stock_ledger.quantity_of(ledger, "dev-a", "KE2NTNO0000001") == Decimal("7.5")
    assert stock_ledger.quantity_of(ledger, "dev-b", "KE2NTNO0000001") == 0
    stock_ledger.mark_master(ledger, "dev-a", "KE2NTNO0000001", Decimal("7.5"))
    assert stock_ledger.due_masters(ledger, "dev-a") == []


def test_discard_only_without_a_sar_number(ledger: Ledger) -> None:
    kept = stock_ledger.record_move(ledger, "dev-a", make_move("m1"))
    dropped = stock_ledger.record_move(ledger, "dev-a", make_move("m2"))
    assert ledger.discard(dropped, "entered twice").state == "discarded"
    stock_ledger.allocate_and_move(ledger, kept, "dev-a", 1, "retry-wait", "KRA busy")
    with pytest.raises(LedgerError, match="holds sarNo 1"):
        ledger.discard(kept, "no")


def test_waiting_stock_goes_before_waiting_sales(ledger: Ledger) -> None:
    ledger.record(source="test", external_id="INV-1", kind="invoice", number="INV-1", device_key="dev-a",
                  canonical="{}", content_hash="h", source_ref={})  # fmt: skip
    sale = ledger.find("test", "INV-1", "invoice")
    assert sale is not None
    ledger.move(sale.id, "queued", "checked")
    stock = stock_ledger.record_move(ledger, "dev-a", make_move())
    assert ledger.head_of_device("dev-a").id == stock
    ledger.move(sale.id, "sending", "sending")  # in flight goes first, whatever its kind
    assert ledger.head_of_device("dev-a").id == sale.id


def test_an_existing_ledger_gains_the_stock_column_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:  # the documents table as it was before stock
        old.executescript(ledger_schema.LEDGER_TABLES)
        old.execute("INSERT INTO documents (source, external_id, kind, device_key, state, created_at, updated_at)"
                    " VALUES ('csv', 'A', 'invoice', 'dev', 'accepted', 'x', 'x')")  # fmt: skip
    ledger = Ledger(open_database(path))
    assert ledger.get(1).stock_number is None
    doc_id = stock_ledger.record_move(ledger, "dev", make_move())
    stock_ledger.allocate_and_move(ledger, doc_id, "dev", 1, "sending", "s")
    other = stock_ledger.record_move(ledger, "dev", make_move("m2"))
    with pytest.raises(Exception, match="UNIQUE"):  # the unique index (device_key, stock_number) is there
        ledger.db.execute("UPDATE documents SET stock_number = 1 WHERE id = ?", [other])
    Ledger(open_database(path))  # a second start changes nothing
