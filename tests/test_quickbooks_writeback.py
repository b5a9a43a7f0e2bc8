"""Write-back into QuickBooks (sparse updates through the real python-quickbooks) and incoming webhooks."""

from __future__ import annotations

import json

import pytest

from connector.testing import SAMPLE_SIGNATURE, sample_receipt
from plugins.quickbooks import webhooks
from plugins.quickbooks.harness import connected_adapter, seed
from plugins.quickbooks.testing import ChangeEvent, FakeQuickBooks, cloudevents_body, forge_signature, legacy_body, sign
from plugins.quickbooks.writeback import BLOCK_START, cu_invoice_number, signature_in

FIELDS = {"cu_invoice_number": "CU Invoice No", "signature": "KRA Signature"}


@pytest.fixture
def qbo():
    with FakeQuickBooks() as server:
        yield server


@pytest.fixture
def connected(qbo):
    realm, adapter = connected_adapter(qbo, write_custom_fields=FIELDS)
    realm.set_custom_fields(["CU Invoice No", "KRA Signature", None])
    invoices = seed(realm, 2)
    documents = list(adapter.fetch_changed([f"Invoice:{inv['Id']}" for inv in invoices]))
    return realm, adapter, documents


def posts(realm):
    return [r for r in realm.request_log if r.method == "POST" and r.route == "invoice"]


def test_sparse_write_back_fills_note_memo_and_custom_fields(connected):
    realm, adapter, documents = connected
    before = realm.get("Invoice", documents[0].external_id)
    receipt = sample_receipt(7)
    adapter.write_back(documents[0].ref, receipt)
    after = realm.get("Invoice", documents[0].external_id)
    assert signature_in(after["PrivateNote"]) == SAMPLE_SIGNATURE
    assert receipt.qr_url in after["PrivateNote"] and receipt.qr_url in after["CustomerMemo"]["value"]
    values = {f["Name"]: f.get("StringValue") for f in after["CustomField"]}
    assert values == {"CU Invoice No": cu_invoice_number(receipt), "KRA Signature": SAMPLE_SIGNATURE}
    assert after["Line"] == before["Line"] and after["TotalAmt"] == before["TotalAmt"]
    (post,) = posts(realm)
    sent = json.loads(post.body)
    assert sent["sparse"] is True and "Line" not in sent and sent["SyncToken"] == before["SyncToken"]
    assert post.query["requestid"].startswith("kra-") and len(post.query["requestid"]) <= 50


def test_write_back_is_idempotent_across_restarts(qbo, connected):
    realm, adapter, documents = connected
    adapter.write_back(documents[0].ref, sample_receipt())
    writes = realm.writes
    adapter.write_back(documents[0].ref, sample_receipt())
    _, fresh = connected_adapter(qbo, write_custom_fields=FIELDS)  # a restarted daemon: nothing cached
    fresh.write_back(documents[0].ref, sample_receipt())
    assert realm.writes == writes


def test_own_write_back_does_not_look_like_a_change(connected):
    realm, adapter, documents = connected
    invoice = adapter.to_canonical(documents[0])
    adapter.write_back(documents[0].ref, sample_receipt())
    (again,) = adapter.fetch_changed([f"Invoice:{documents[0].external_id}"])
    assert again.ref == documents[0].ref
    assert adapter.to_canonical(again).content_hash() == invoice.content_hash()
    cdc = [d for d, _ in adapter.fetch_new(realm.get("Invoice", documents[0].external_id)["MetaData"]["CreateTime"])]
    assert all(adapter.to_canonical(d).content_hash() == invoice.content_hash() for d in cdc
               if d.external_id == documents[0].external_id)  # fmt: skip


def test_stale_sync_token_is_read_again_and_the_bookkeepers_edit_kept(connected):
    realm, adapter, documents = connected
    realm.edit("Invoice", documents[0].external_id, PrivateNote="Deliver to gate B")
    adapter.write_back(documents[0].ref, sample_receipt())
    after = realm.get("Invoice", documents[0].external_id)
    assert after["PrivateNote"].startswith("Deliver to gate B") and signature_in(after["PrivateNote"])
    assert [r.status for r in posts(realm)] == [400, 200]  # the 5010, then the retry


def test_injected_stale_object_fault_is_retried(connected):
    realm, adapter, documents = connected
    realm.inject("stale_5010", count=1, route="invoice")
    adapter.write_back(documents[1].ref, sample_receipt(2))
    assert signature_in(realm.get("Invoice", documents[1].external_id)["PrivateNote"]) == SAMPLE_SIGNATURE


def test_disabled_custom_field_is_advised_and_dropped_values_noticed(qbo):
    realm, adapter = connected_adapter(qbo, write_custom_fields=FIELDS)
    realm.set_custom_fields(["CU Invoice No", None, None])
    (invoice,) = seed(realm, 1)
    assert any("KRA Signature" in line for line in adapter.advice())
    realm.set_custom_fields([None, None, None])  # switched off after the connector read the settings
    (document,) = adapter.fetch_changed([f"Invoice:{invoice['Id']}"])
    adapter.write_back(document.ref, sample_receipt())
    assert any("did not keep custom field 'CU Invoice No'" in note for note in adapter.notes)
    assert signature_in(realm.get("Invoice", invoice["Id"])["PrivateNote"]) == SAMPLE_SIGNATURE


def test_problem_goes_to_private_note_then_the_receipt_replaces_it(connected):
    realm, adapter, documents = connected
    adapter.report_problem(documents[0].ref, "line 1, field item.code: no KRA item code")
    note = realm.get("Invoice", documents[0].external_id)["PrivateNote"]
    assert "NOT SENT to KRA" in note and "item.code" in note
    adapter.write_back(documents[0].ref, sample_receipt())
    note = realm.get("Invoice", documents[0].external_id)["PrivateNote"]
    assert "NOT SENT" not in note and note.count(BLOCK_START) == 1


def test_voided_after_signing_asks_for_a_credit_note(connected):
    realm, adapter, documents = connected
    realm.void("Invoice", documents[0].external_id)
    list(adapter.fetch_changed([f"Invoice:{documents[0].external_id}"]))
    writes = realm.writes
    adapter.write_back(documents[0].ref, sample_receipt())
    assert realm.writes == writes
    assert any("credit note" in note for note in adapter.notes)


# ---------------------------------------------------------------- webhooks


def test_signature_matches_intuits_test_vector():
    assert webhooks.verified(b'{"stuff":"5"}', "nfPLN16u3vMvv08ghDs+dOkLuirEVDy5wAeG/lmM2OA=", "verify_me")
    assert not webhooks.verified(b'{"stuff":"6"}', "nfPLN16u3vMvv08ghDs+dOkLuirEVDy5wAeG/lmM2OA=", "verify_me")


@pytest.mark.parametrize("shape", [legacy_body, cloudevents_body])
def test_webhook_keeps_only_this_realms_invoices(qbo, shape):
    realm, adapter = connected_adapter(qbo)
    now = qbo.clock.now()
    events = [ChangeEvent(realm.realm_id, "Invoice", "130", "Update", now),
              ChangeEvent(realm.realm_id, "CreditMemo", "7", "Create", now),
              ChangeEvent(realm.realm_id, "Customer", "3", "Update", now),
              ChangeEvent("999999", "Invoice", "131", "Create", now)]  # fmt: skip
    body = shape(events)
    answer = adapter.accept_webhook({"intuit-signature": sign(body, qbo.verifier_token)}, body)
    assert (answer.status, answer.keys) == (200, ["Invoice:130", "CreditMemo:7"])
    replay = adapter.accept_webhook({"intuit-signature": sign(body, qbo.verifier_token)}, body)
    assert replay.keys == answer.keys  # harmless: the ledger records an unchanged document once


def test_forged_unsigned_and_other_realm_webhooks(qbo):
    realm, adapter = connected_adapter(qbo)
    body = cloudevents_body([ChangeEvent(realm.realm_id, "Invoice", "130", "Update", qbo.clock.now())])
    assert adapter.accept_webhook({"intuit-signature": forge_signature(body)}, body).status == 401
    assert adapter.accept_webhook({}, body).status == 401
    assert adapter.accept_webhook({"intuit-signature": sign(body, "another-apps-token")}, body).status == 401
    other = cloudevents_body([ChangeEvent("999999", "Invoice", "130", "Update", qbo.clock.now())])
    answer = adapter.accept_webhook({"intuit-signature": sign(other, qbo.verifier_token)}, other)
    assert (answer.status, answer.keys) == (200, [])


def test_deleted_invoice_named_by_a_webhook_becomes_a_tombstone(qbo):
    realm, adapter = connected_adapter(qbo)
    (invoice,) = seed(realm, 1)
    realm.delete("Invoice", invoice["Id"])
    (document,) = adapter.fetch_changed([f"Invoice:{invoice['Id']}"])
    assert document.content["doc"]["status"] == "Deleted"


def test_the_echo_of_our_own_write_back_is_not_read_again(connected):
    realm, adapter, documents = connected
    events: list = []
    realm.listeners.append(events.append)
    adapter.write_back(documents[0].ref, sample_receipt())
    realm.edit("Invoice", documents[1].external_id, PrivateNote="a bookkeeper's edit")
    echo, edit = (cloudevents_body([event]) for event in events)
    assert adapter.accept_webhook({"intuit-signature": sign(echo, realm_token(adapter))}, echo).keys == []
    answer = adapter.accept_webhook({"intuit-signature": sign(edit, realm_token(adapter))}, edit)
    assert answer.keys == [f"Invoice:{documents[1].external_id}"]


def realm_token(adapter) -> str:
    return adapter.secrets.get("verifier_token")
