"""Write-back to Odoo (real odoorpc, fake Odoo): the addon's fields, one chatter note per outcome, needs-fix
reasons, idempotence, busy records and restarts raising for the core's retry queue, and no secret leaking."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from connector.errors import ConfigurationError, ConnectorError
from connector.testing import SAMPLE_SIGNATURE, sample_receipt
from plugins.odoo.client import OdooError, OdooUnavailable
from plugins.odoo.harness import adapter_for
from plugins.odoo.testing import FakeOdoo, InvoiceLine


@pytest.fixture(params=["17", "18"])
def odoo(request: pytest.FixtureRequest) -> Iterator[FakeOdoo]:
    with FakeOdoo(version=request.param, addon=True) as fake:
        yield fake


def invoice(odoo: FakeOdoo) -> int:
    ids = odoo.ids
    return odoo.make_invoice(lines=[InvoiceLine(ids.product_widget, 2, "500", taxes=[ids.tax_vat16])])


def notes(odoo: FakeOdoo, move_id: int) -> list[dict]:
    return [m for m in odoo.messages(move_id) if m.get("subtype_xmlid") == "mail.mt_note"]


def test_receipt_fills_the_addon_fields_and_posts_one_note(odoo: FakeOdoo) -> None:
    move_id = invoice(odoo)
    adapter = adapter_for(odoo)
    receipt = sample_receipt(7)
    adapter.write_back({"id": move_id}, receipt)
    adapter.write_back({"id": move_id}, receipt)  # the same receipt twice (a retried write-back)
    move = odoo.record("account.move", move_id)
    assert move["kra_state"] == "signed" and move["kra_signature"] == SAMPLE_SIGNATURE
    assert (move["kra_invoice_number"], move["kra_receipt_number"], move["kra_total_receipt_number"]) == (7, 7, 7)
    assert move["kra_internal_data"] == receipt.internal_data and move["kra_scu_id"] == receipt.scu_id
    assert move["kra_mrc_number"] == receipt.mrc_number and move["kra_qr_url"] == receipt.qr_url
    assert move["kra_signed_at"] == "2026-11-22 07:30:00"  # 10:30 EAT stored as UTC, as Odoo stores datetimes
    [note] = notes(odoo, move_id)
    assert note["message_type"] == "comment" and SAMPLE_SIGNATURE in note["body"]
    assert receipt.qr_url.replace("&", "&amp;") in note["body"] or receipt.qr_url in note["body"]


def test_without_the_addon_the_note_alone_and_doctor_recommends_it(odoo: FakeOdoo) -> None:
    odoo.addon_installed = False
    move_id = invoice(odoo)
    adapter = adapter_for(odoo)
    adapter.write_back({"id": move_id}, sample_receipt())
    adapter.write_back({"id": move_id}, sample_receipt())
    assert len(notes(odoo, move_id)) == 1
    assert "kra_signature" not in odoo.record("account.move", move_id)
    assert any("install the Odoo addon kra_etims_connector" in line for line in adapter.advice())


def test_a_needs_fix_reason_reaches_the_invoice_once(odoo: FakeOdoo) -> None:
    move_id = invoice(odoo)
    adapter = adapter_for(odoo)
    reason = "KRA rejected: <itemCd> KE2NTNO0000001 is not registered & must be saved first"
    adapter.report_problem({"id": move_id}, reason)
    adapter.report_problem({"id": move_id}, reason)
    move = odoo.record("account.move", move_id)
    assert (move["kra_state"], move["kra_message"]) == ("needs_fix", reason)
    [note] = notes(odoo, move_id)
    assert "needs fixing" in note["body"] and "is not registered" in note["body"]
    adapter.report_problem({"id": move_id}, "another reason")
    assert len(notes(odoo, move_id)) == 2 and odoo.record("account.move", move_id)["kra_message"] == "another reason"


def test_a_busy_record_raises_and_the_retry_completes_without_a_second_note(odoo: FakeOdoo) -> None:
    move_id = invoice(odoo)
    adapter = adapter_for(odoo)
    odoo.faults.busy("account.move", move_id, times=1)
    with pytest.raises(OdooError) as caught:
        adapter.write_back({"id": move_id}, sample_receipt())
    assert caught.value.busy
    adapter.write_back({"id": move_id}, sample_receipt())  # what the core's write-back queue does next
    assert odoo.record("account.move", move_id)["kra_signature"] == SAMPLE_SIGNATURE
    assert len(notes(odoo, move_id)) == 1


def test_odoo_down_raises_unavailable_and_works_after_restart(odoo: FakeOdoo) -> None:
    move_id = invoice(odoo)
    adapter = adapter_for(odoo)
    adapter.health()
    odoo.stop()
    with pytest.raises(OdooUnavailable):
        adapter.write_back({"id": move_id}, sample_receipt())
    odoo.start()
    adapter.write_back({"id": move_id}, sample_receipt())
    assert odoo.record("account.move", move_id)["kra_signature"] == SAMPLE_SIGNATURE


def test_a_deleted_invoice_is_a_named_error(odoo: FakeOdoo) -> None:
    adapter = adapter_for(odoo)
    with pytest.raises(ConnectorError, match="999999"):
        adapter.write_back({"id": 999999}, sample_receipt())


def test_the_password_never_shows(odoo: FakeOdoo, caplog: pytest.LogCaptureFixture) -> None:
    secret = "s3cret-Api-Key-123"
    with FakeOdoo(version=odoo.version, password=secret) as guarded:
        adapter = adapter_for(guarded)
        caplog.set_level(logging.DEBUG)
        adapter.health()
        list(adapter.fetch_new(None))
        assert secret not in repr(adapter) and secret not in repr(adapter.client) and secret not in repr(vars(adapter))
        assert secret not in caplog.text
        wrong = adapter_for(guarded, secrets={"password": secret + "-wrong"})
        with pytest.raises(ConfigurationError) as caught:
            wrong.health()
        assert "refused the login" in str(caught.value) and secret not in str(caught.value)


def test_the_password_comes_from_the_named_environment_variable(
    odoo: FakeOdoo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_ODOO_KEY", odoo.password)
    adapter = adapter_for(odoo, secrets={"password": "not-this-one"}, password_env="MY_ODOO_KEY")
    assert "Odoo" in adapter.health()
    missing = adapter_for(odoo, password_env="UNSET_ODOO_KEY_VAR")
    missing.secrets.delete("password")  # type: ignore[union-attr]
    with pytest.raises(ConfigurationError, match=r"\$UNSET_ODOO_KEY_VAR or run `etims-connector source set-secret"):
        missing.health()
