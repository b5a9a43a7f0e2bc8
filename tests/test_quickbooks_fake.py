"""The fake QuickBooks Online server, exercised with the REAL python-quickbooks and intuit-oauth (unmodified),
pointed at it the way spec §1.2 says (discovery URL as environment, QuickBooks subclass, insecure transport)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError
from quickbooks.cdc import change_data_capture
from quickbooks.exceptions import (
    AuthorizationException,
    ObjectNotFoundException,
    QuickbooksException,
    SevereException,
    ValidationException,
)
from quickbooks.objects.creditmemo import CreditMemo
from quickbooks.objects.customer import Customer
from quickbooks.objects.invoice import Invoice
from quickbooks.objects.item import Item
from quickbooks.objects.preferences import Preferences

from plugins.quickbooks.testing import (
    ChangeEvent,
    FakeQuickBooks,
    Rate,
    WebhookSender,
    auth_client,
    cloudevents_body,
    description_line,
    discount_line,
    group_line,
    legacy_body,
    local_quickbooks_class,
    make_credit_memo,
    make_customer,
    make_invoice,
    make_item,
    quickbooks_client,
    sales_line,
    sign,
)
from plugins.quickbooks.testing.wire import loads

# The recorded QBO payloads the fake is compared with live in the project's reference folder, beside the repo
# (they are Intuit's and the sandbox's, not ours, so they are not copied into it).
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples" / "quickbooks"
REALM = "9130350000000001"
OTHER_REALM = "9130350000000002"


def sample(name: str) -> dict:
    if not SAMPLES.is_dir():
        pytest.skip(f"the reference samples are not beside the repository ({SAMPLES})")
    return json.loads((SAMPLES / name).read_text())


@pytest.fixture
def qbo(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with FakeQuickBooks() as fake:
        fake.add_realm(REALM)
        yield fake


@pytest.fixture
def realm(qbo: FakeQuickBooks):
    return qbo.realm(REALM)


@pytest.fixture
def qb(qbo: FakeQuickBooks):
    return quickbooks_client(qbo, qbo.issue_tokens(REALM))


@pytest.fixture
def customer(realm):
    return realm.add("Customer", make_customer("Acme Traders Ltd", pin="P051234567X"))


@pytest.fixture
def item(realm):
    return realm.add("Item", make_item("Consulting", sku="SRV-001", unit_price="1000.00", tax_code="21"))


def raw(qbo: FakeQuickBooks, tokens, method: str, path: str, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {tokens.access_token}", "Accept": "application/json"}
    headers.update(kwargs.pop("headers", {}))
    url = f"{qbo.api_url_v3}/company/{tokens.realm_id}/{path}"
    return httpx.request(method, url, headers=headers, timeout=10, **kwargs)


# ---- OAuth ---------------------------------------------------------------------------------------------------


def test_authorization_code_flow_with_intuit_oauth(qbo: FakeQuickBooks) -> None:
    client = AuthClient(qbo.client_id, qbo.client_secret, qbo.redirect_uri, qbo.discovery_url)
    assert client.token_endpoint == f"{qbo.base_url}/oauth2/v1/tokens/bearer"
    url = client.get_authorization_url([Scopes.ACCOUNTING], state_token="csrf-123")
    redirect = httpx.get(url, follow_redirects=False)
    assert redirect.status_code == 302
    location = urlsplit(redirect.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == qbo.redirect_uri
    answer = {key: values[0] for key, values in parse_qs(location.query).items()}
    assert answer["state"] == "csrf-123" and answer["realmId"] == REALM

    client.get_bearer_token(answer["code"], realm_id=answer["realmId"])
    assert client.access_token and client.refresh_token.startswith("RT1-")
    assert client.expires_in == 3600 and client.x_refresh_token_expires_in > 8_000_000
    with pytest.raises(AuthClientError) as reused:  # a code works once
        client.get_bearer_token(answer["code"], realm_id=REALM)
    assert reused.value.status_code == 400 and json.loads(reused.value.content)["error"] == "invalid_grant"

    assert Customer.all(qb=qbo_client(qbo, client)) == []  # the flow's tokens call the API
    assert qbo.token_requests == [("authorization_code", True), ("authorization_code", False)]


def qbo_client(qbo: FakeQuickBooks, client: AuthClient):
    cls = local_quickbooks_class(qbo.api_url_v3)
    return cls(auth_client=client, refresh_token=client.refresh_token, company_id=client.realm_id, minorversion=75)


def test_wrong_client_secret_and_unregistered_redirect_are_refused(qbo: FakeQuickBooks) -> None:
    tokens = qbo.issue_tokens(REALM)
    bad = AuthClient(qbo.client_id, "wrong-secret", qbo.redirect_uri, qbo.discovery_url)
    with pytest.raises(AuthClientError) as refused:
        bad.refresh(refresh_token=tokens.refresh_token)
    assert refused.value.status_code == 401
    assert httpx.get(qbo.authorize_url(redirect_uri="http://127.0.0.1/evil")).status_code == 400


def test_refresh_rotates_and_the_superseded_token_is_invalid_grant(qbo: FakeQuickBooks) -> None:
    tokens = qbo.issue_tokens(REALM)
    client = auth_client(qbo, tokens)
    client.refresh()
    first_rotation = client.refresh_token
    assert first_rotation != tokens.refresh_token and client.access_token != tokens.access_token
    with pytest.raises(AuthClientError) as stale:
        auth_client(qbo).refresh(refresh_token=tokens.refresh_token)
    body = json.loads(stale.value.content)
    assert stale.value.status_code == 400
    assert body == sample("faults.json")["token_refresh_invalid_grant"]["body"]
    client.refresh()  # the newest one keeps working and rotates again
    assert client.refresh_token not in {first_rotation, tokens.refresh_token}
    assert qbo.oauth.current_refresh_token(qbo.client_id, REALM) == client.refresh_token


def test_refresh_grace_window_honours_the_superseded_token_only_within_it(qbo: FakeQuickBooks) -> None:
    qbo.refresh_grace_seconds = 60
    tokens = qbo.issue_tokens(REALM)
    client = auth_client(qbo, tokens)
    client.refresh()
    late_worker = auth_client(qbo)
    late_worker.refresh(refresh_token=tokens.refresh_token)  # a second worker that lost the race, within grace
    assert late_worker.refresh_token == client.refresh_token
    qbo.clock.advance(61)
    with pytest.raises(AuthClientError):
        auth_client(qbo).refresh(refresh_token=tokens.refresh_token)


def test_same_refresh_token_until_a_day_old_when_not_rotating_every_time(qbo: FakeQuickBooks) -> None:
    qbo.rotate_every_refresh = False
    tokens = qbo.issue_tokens(REALM)
    client = auth_client(qbo, tokens)
    client.refresh()
    assert client.refresh_token == tokens.refresh_token
    qbo.clock.advance(24 * 3600 + 1)
    client.refresh()
    assert client.refresh_token != tokens.refresh_token


def test_revoked_or_unknown_refresh_token_is_invalid_grant(qbo: FakeQuickBooks) -> None:
    tokens = qbo.issue_tokens(REALM)
    with pytest.raises(AuthClientError) as unknown:
        auth_client(qbo).refresh(refresh_token="RT1-never-issued")
    assert json.loads(unknown.value.content)["error"] == "invalid_grant"
    qbo.revoke_refresh_tokens(REALM)
    with pytest.raises(AuthClientError) as revoked:
        auth_client(qbo, tokens).refresh()
    assert json.loads(revoked.value.content)["error"] == "invalid_grant"


def test_intuit_oauth_revoke_ends_the_connection(qbo: FakeQuickBooks) -> None:
    tokens = qbo.issue_tokens(REALM)
    assert auth_client(qbo, tokens).revoke(token=tokens.refresh_token) is True
    with pytest.raises(AuthClientError):
        auth_client(qbo, tokens).refresh()


def test_expired_access_token_is_401_and_a_refresh_recovers(qbo: FakeQuickBooks, realm, customer) -> None:
    tokens = qbo.issue_tokens(REALM)
    qb = quickbooks_client(qbo, tokens)
    assert len(Customer.all(qb=qb)) == 1
    qbo.clock.advance(3601)
    with pytest.raises(AuthorizationException) as expired:
        Customer.all(qb=qb)
    assert expired.value.error_code == 401
    assert json.loads(expired.value.detail) == {
        **sample("faults.json")["unauthorized_401_json"]["body"],
        "time": json.loads(expired.value.detail)["time"],
    }
    qb.auth_client.refresh()
    qb._start_session()  # spec §1.6: the library's documented way to pick up the new token
    assert len(Customer.all(qb=qb)) == 1

    qbo.expire_access_tokens()
    with pytest.raises(AuthorizationException):
        Customer.all(qb=qb)
    assert realm.requests[("POST", "query")] == 4  # 401s are counted too


def test_a_token_of_another_realm_gets_the_xml_authentication_fault(qbo: FakeQuickBooks) -> None:
    qbo.add_realm(OTHER_REALM)
    tokens = qbo.issue_tokens(OTHER_REALM)
    response = raw(qbo, tokens, "GET", "preferences")
    assert response.status_code == 200
    wrong = httpx.get(
        f"{qbo.api_url_v3}/company/{REALM}/preferences", headers={"Authorization": f"Bearer {tokens.access_token}"}
    )
    assert wrong.status_code == 401 and wrong.headers["content-type"] == "application/xml"
    assert '<Error code="100"><Message>General Authentication Error</Message>' in wrong.text
    assert qbo.realm(REALM).requests == {} and qbo.realm(OTHER_REALM).requests[("GET", "preferences")] == 1


# ---- query and read ------------------------------------------------------------------------------------------


def test_query_paging_filters_order_and_count(qbo: FakeQuickBooks, realm, qb, customer, item) -> None:
    start = qbo.clock.now()
    ids = [realm.add("Invoice", make_invoice(customer, [sales_line(item, n)]))["Id"] for n in range(1, 26)]
    since = start.isoformat()
    pages = [
        Invoice.where(
            f"Metadata.LastUpdatedTime >= '{since}'", order_by="Id", start_position=pos, max_results=10, qb=qb
        )
        for pos in (1, 11, 21, 31)
    ]
    assert [len(page) for page in pages] == [10, 10, 5, 0]
    assert [inv.Id for page in pages for inv in page] == ids
    assert Invoice.count(f"Metadata.LastUpdatedTime >= '{since}'", qb=qb) == 25
    newest = Invoice.where("", order_by="Metadata.LastUpdatedTime DESC", max_results=1, qb=qb)
    assert newest[0].Id == ids[-1]
    chosen = Invoice.choose([ids[3], ids[7], "99999"], qb=qb)
    assert sorted(inv.Id for inv in chosen) == sorted([ids[3], ids[7]])
    assert Invoice.filter(DocNumber="no such number", qb=qb) == []
    future = (qbo.clock.now() + timedelta(hours=1)).isoformat()
    assert Invoice.where(f"MetaData.LastUpdatedTime > '{future}'", qb=qb) == []


def test_get_query_lower_case_keywords_and_the_empty_answer_shape(qbo: FakeQuickBooks, realm, customer, item) -> None:
    tokens = qbo.issue_tokens(REALM)
    realm.add("Invoice", make_invoice(customer, [sales_line(item, 1)], doc_number="INV-7"))
    found = raw(
        qbo,
        tokens,
        "GET",
        "query",
        params={
            "query": "select * from invoice where docnumber = 'INV-7' maxresults 5 startposition 1",
            "minorversion": "75",
        },
    )
    body = loads(found.content)["QueryResponse"]
    assert body["startPosition"] == 1 and body["maxResults"] == 1 and body["Invoice"][0]["DocNumber"] == "INV-7"
    none = raw(qbo, tokens, "POST", "query", content="SELECT * FROM Invoice WHERE DocNumber = 'nope'",
               headers={"Content-Type": "application/text"})  # fmt: skip
    assert (
        set(json.loads(none.content)) == {"QueryResponse", "time"} and json.loads(none.content)["QueryResponse"] == {}
    )
    assert realm.requests[("GET", "query")] == 1 and realm.requests[("POST", "query")] == 1


def test_sku_only_when_selected_and_invalid_queries_are_4001(qbo: FakeQuickBooks, qb, realm, item) -> None:
    assert [i.Sku for i in Item.query("SELECT *, Sku FROM Item", qb=qb)] == ["SRV-001"]
    tokens = qbo.issue_tokens(REALM)
    plain = json.loads(raw(qbo, tokens, "GET", "query", params={"query": "SELECT * FROM Item"}).content)
    assert "Sku" not in plain["QueryResponse"]["Item"][0]
    for bad in ("SELECT * FROM Invoice MAXRESULTS 1001", "SELECT * FROM Invoice STARTPOSITION 0",
                "SELECT * FROM Invoice WHERE", "DELETE FROM Invoice"):  # fmt: skip
        with pytest.raises(ValidationException) as fault:
            Invoice.query(bad, qb=qb)
        assert fault.value.error_code == 4001


def test_read_by_id_and_object_not_found(qb, realm, customer, item) -> None:
    stored = realm.add("Invoice", make_invoice(customer, [sales_line(item, 3)]))
    invoice = Invoice.get(stored["Id"], qb=qb)
    assert invoice.TotalAmt == Decimal("3480.00") and invoice.TxnTaxDetail.TotalTax == Decimal("480.00")
    assert invoice.CustomerRef.name == "Acme Traders Ltd"
    assert realm.get("Invoice", stored["Id"])["MetaData"]["CreateTime"].endswith(("-08:00", "-07:00"))
    with pytest.raises(ObjectNotFoundException) as missing:
        Invoice.get("424242", qb=qb)
    assert missing.value.error_code == 610


# ---- writes --------------------------------------------------------------------------------------------------


def test_create_through_the_library_computes_like_qbo(qb, realm, customer, item) -> None:
    body = make_invoice(customer, [sales_line(item, 2), discount_line(amount="100")], doc_number="A-1")
    created = Invoice.from_json(qb.create_object("Invoice", json.dumps(body, default=str))["Invoice"])
    assert created.Id and created.SyncToken == "0" and created.DocNumber == "A-1"
    # 2000 net − 100 discount = 1900 taxable at 16 % = 304 → 2204
    assert created.TotalAmt == Decimal("2204.00") and created.TxnTaxDetail.TotalTax == Decimal("304.00")
    assert realm.get("Invoice", created.Id)["MetaData"]["LastModifiedByRef"] == {"value": realm.api_user_id}
    with pytest.raises(ValidationException) as no_customer:
        qb.create_object("Invoice", json.dumps({"Line": body["Line"]}, default=str))
    assert no_customer.value.error_code == 2020
    with pytest.raises(ValidationException) as long_number:
        qb.create_object("Invoice", json.dumps({**body, "DocNumber": "X" * 22}, default=str))
    assert long_number.value.error_code == 2050


def test_sparse_update_with_synctoken_then_stale_token_is_5010(qbo: FakeQuickBooks, qb, realm, customer, item) -> None:
    realm.set_custom_fields(["CU Invoice No", None, "KRA Signature"])
    stored = realm.add("Invoice", make_invoice(customer, [sales_line(item, 1)], customer_memo="Thanks"))
    patch = {
        "Id": stored["Id"],
        "SyncToken": "0",
        "sparse": True,
        "PrivateNote": "KRA receipt 12",
        "CustomField": [
            {"DefinitionId": "1", "StringValue": "KRACU0100000012/12"},
            {"DefinitionId": "2", "StringValue": "silently dropped: field 2 is disabled"},
        ],
    }
    answer = qb.update_object("Invoice", json.dumps(patch), request_id="writeback-1")["Invoice"]
    assert answer["SyncToken"] == "1" and answer["PrivateNote"] == "KRA receipt 12"
    assert answer["CustomerMemo"] == {"value": "Thanks"} and answer["TotalAmt"] == stored["TotalAmt"]
    assert answer["CustomField"] == [
        {"DefinitionId": "1", "Name": "CU Invoice No", "Type": "StringType", "StringValue": "KRACU0100000012/12"},
        {"DefinitionId": "3", "Name": "KRA Signature", "Type": "StringType"},
    ]
    with pytest.raises(QuickbooksException) as stale:
        qb.update_object("Invoice", json.dumps({**patch, "PrivateNote": "again"}))
    assert type(stale.value) is QuickbooksException and stale.value.error_code == 5010
    expected = sample("faults.json")["stale_object_5010"]["body"]["Fault"]["Error"][0]
    assert (stale.value.message, stale.value.detail) == (expected["Message"], expected["Detail"])
    tokens = qbo.issue_tokens(REALM)
    response = raw(qbo, tokens, "POST", "invoice", content=json.dumps({**patch, "PrivateNote": "again"}))
    assert (
        response.status_code == 400
        and json.loads(response.content)["Fault"] == sample("faults.json")["stale_object_5010"]["body"]["Fault"]
    )
    assert realm.get("Invoice", stored["Id"])["PrivateNote"] == "KRA receipt 12"


def test_a_sparse_line_array_replaces_all_lines_and_a_full_update_clears_omitted_fields(
    qb, realm, customer, item
) -> None:
    stored = realm.add(
        "Invoice", make_invoice(customer, [sales_line(item, 1), sales_line(item, 2)], private_note="keep?")
    )
    one_line = {"Id": stored["Id"], "SyncToken": "0", "sparse": True, "Line": [sales_line(item, 5)]}
    answer = qb.update_object("Invoice", json.dumps(one_line, default=str))["Invoice"]
    assert [line["DetailType"] for line in answer["Line"]] == ["SalesItemLineDetail", "SubTotalLineDetail"]
    assert answer["TotalAmt"] == Decimal("5800.00") and answer["PrivateNote"] == "keep?"
    invoice = Invoice.get(stored["Id"], qb=qb)
    invoice.PrivateNote = None  # the library's full save() drops None, so QBO clears the field
    invoice.save(qb=qb)
    saved = realm.get("Invoice", stored["Id"])
    assert "PrivateNote" not in saved and saved["SyncToken"] == "2" and saved["TotalAmt"] == Decimal("5800.00")


def test_requestid_replays_the_first_answer_without_applying_twice(qbo: FakeQuickBooks, realm, customer, item) -> None:
    tokens = qbo.issue_tokens(REALM)
    stored = realm.add("Invoice", make_invoice(customer, [sales_line(item, 1)]))
    patch = json.dumps({"Id": stored["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "once"})
    first = raw(qbo, tokens, "POST", "invoice", content=patch, params={"requestid": "rq-1", "minorversion": "75"})
    qbo.clock.advance(5)
    again = raw(qbo, tokens, "POST", "invoice", content=patch, params={"requestid": "rq-1", "minorversion": "75"})
    assert first.status_code == again.status_code == 200 and first.content == again.content
    assert realm.get("Invoice", stored["Id"])["SyncToken"] == "1" and realm.writes == 1
    other = raw(qbo, tokens, "POST", "invoice", content=patch, params={"requestid": "rq-2"})
    assert other.status_code == 400 and json.loads(other.content)["Fault"]["Error"][0]["code"] == "5010"


def test_a_throttled_request_is_not_remembered_so_its_retry_applies(qbo: FakeQuickBooks, realm, customer, item) -> None:
    tokens = qbo.issue_tokens(REALM)
    stored = realm.add("Invoice", make_invoice(customer, [sales_line(item, 1)]))
    patch = json.dumps({"Id": stored["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "after 429"})
    realm.throttle_storm(1)
    assert raw(qbo, tokens, "POST", "invoice", content=patch, params={"requestid": "rq-9"}).status_code == 429
    assert raw(qbo, tokens, "POST", "invoice", content=patch, params={"requestid": "rq-9"}).status_code == 200
    assert realm.get("Invoice", stored["Id"])["PrivateNote"] == "after 429"


# ---- void, delete, CDC ---------------------------------------------------------------------------------------


def test_cdc_returns_changes_tombstones_and_a_time_watermark(qbo: FakeQuickBooks, qb, realm, customer, item) -> None:
    since = qbo.clock.now().isoformat()
    keep = realm.add("Invoice", make_invoice(customer, [sales_line(item, 1)]))
    gone = realm.add("Invoice", make_invoice(customer, [sales_line(item, 2)]))
    void = realm.add("Invoice", make_invoice(customer, [sales_line(item, 3)]))
    memo = realm.add("CreditMemo", make_credit_memo(customer, [sales_line(item, 1)]))
    Invoice.get(gone["Id"], qb=qb).delete(qb=qb)
    Invoice.get(void["Id"], qb=qb).void(qb=qb)

    changes = change_data_capture([Invoice, CreditMemo], since, qb=qb)
    by_id = {inv.Id: inv for inv in changes.Invoice}
    assert set(by_id) == {keep["Id"], gone["Id"], void["Id"]} and [m.Id for m in changes.CreditMemo] == [memo["Id"]]
    assert by_id[gone["Id"]].status == "Deleted"
    assert by_id[void["Id"]].TotalAmt == 0 and by_id[void["Id"]].PrivateNote == "Voided"
    assert by_id[void["Id"]].DocNumber == void["DocNumber"]
    tokens = qbo.issue_tokens(REALM)
    body = json.loads(raw(qbo, tokens, "GET", "cdc", params={"entities": "Invoice", "changedSince": since}).content)
    tombstone = next(obj for obj in body["CDCResponse"][0]["QueryResponse"][0]["Invoice"] if obj["Id"] == gone["Id"])
    assert set(tombstone) == {"domain", "status", "Id", "MetaData"} and set(tombstone["MetaData"]) == {
        "LastUpdatedTime"
    }
    with pytest.raises(ObjectNotFoundException):
        Invoice.get(gone["Id"], qb=qb)

    watermark = changes.time
    quiet = json.loads(
        raw(qbo, tokens, "GET", "cdc", params={"entities": "Invoice,CreditMemo", "changedSince": watermark}).content
    )
    assert quiet["CDCResponse"] == sample("cdc-response.json")["empty_body"]["CDCResponse"]
    realm.edit("Invoice", keep["Id"], PrivateNote="edited by the bookkeeper")
    later = change_data_capture([Invoice, CreditMemo], watermark, qb=qb)
    assert [inv.Id for inv in later.Invoice] == [keep["Id"]] and not hasattr(later, "CreditMemo")


def test_cdc_refuses_more_than_30_days_back(qbo: FakeQuickBooks, qb) -> None:
    with pytest.raises(ValidationException) as too_old:
        change_data_capture([Invoice], (qbo.clock.now() - timedelta(days=31)).isoformat(), qb=qb)
    assert too_old.value.error_code == 4001


def test_deleting_with_a_stale_synctoken_is_refused(qb, realm, customer, item) -> None:
    stored = realm.add("Invoice", make_invoice(customer, [sales_line(item, 1)]))
    invoice = Invoice.get(stored["Id"], qb=qb)
    realm.edit("Invoice", stored["Id"], PrivateNote="a payment was applied")
    with pytest.raises(QuickbooksException) as stale:
        invoice.delete(qb=qb)
    assert stale.value.error_code == 5010 and realm.get("Invoice", stored["Id"]) is not None


# ---- faults as the library sees them -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "exception", "code"),
    [
        ("throttle_429_xml", QuickbooksException, 10000),  # not JSON: the status is lost (spec §1.5)
        ("throttle_429_json", ValidationException, 3001),
        ("server_500_html", QuickbooksException, 10000),
        ("forbidden_403", QuickbooksException, 10000),  # lower-case `fault`: "Error returned with status code 403"
        ("not_found_404", SevereException, 10000),
        ("validation_400", QuickbooksException, 6000),
        ("unauthorized_401_xml", AuthorizationException, 401),
    ],
)
def test_injected_faults_surface_as_the_library_exceptions(qb, realm, kind, exception, code) -> None:
    realm.inject(kind, count=1, route="query")
    with pytest.raises(exception) as raised:
        Customer.all(qb=qb)
    assert type(raised.value) is exception and raised.value.error_code == code
    assert Customer.all(qb=qb) == []  # only one call was faulted


def test_fault_bodies_are_qbos_exact_formats(qbo: FakeQuickBooks, realm) -> None:
    tokens = qbo.issue_tokens(REALM)
    realm.inject("throttle_429_xml")
    xml = raw(qbo, tokens, "GET", "preferences")
    recorded = sample("faults.json")["throttled_429_xml"]["body_text"]
    assert xml.status_code == 429 and xml.headers["content-type"] == "application/xml"
    assert xml.text.split("xmlns")[1] == recorded.split("xmlns")[1]  # all but the time attribute
    realm.inject("server_500_html")
    html = raw(qbo, tokens, "GET", "preferences")
    assert html.status_code == 500 and html.text.startswith("<!DOCTYPE html>")
    realm.inject("throttle_429_json")
    fault = json.loads(raw(qbo, tokens, "GET", "preferences").content)["Fault"]
    assert fault["type"] == "SERVICE" and fault["Error"][0]["code"] == "3001"


def test_a_429_storm_then_recovery_and_counters(qbo: FakeQuickBooks, realm) -> None:
    tokens = qbo.issue_tokens(REALM)
    realm.throttle_storm(5, fmt="json")
    statuses = [raw(qbo, tokens, "GET", "preferences").status_code for _ in range(7)]
    assert statuses == [429] * 5 + [200] * 2
    assert realm.requests[("GET", "preferences")] == 7
    assert [entry.status for entry in realm.request_log] == statuses


def test_the_rate_limiter_allows_per_minute_and_concurrent_requests(qbo: FakeQuickBooks, realm) -> None:
    tokens = qbo.issue_tokens(REALM)
    realm.limit(per_minute=5, concurrent=2)
    statuses = [raw(qbo, tokens, "GET", "preferences").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    qbo.clock.advance(61)
    assert raw(qbo, tokens, "GET", "preferences").status_code == 200
    assert realm.admit() is None and realm.admit() is None  # two in flight
    assert realm.admit() == "throttle_429_xml"  # a third at the same time is refused
    for _ in range(3):
        realm.done()


# ---- preferences, batch, builders ----------------------------------------------------------------------------


def test_preferences_define_the_enabled_custom_fields(qb, realm) -> None:
    realm.set_custom_fields(["CU Invoice No", None, "KRA Signature"])
    prefs = Preferences.get(qb=qb)
    flags, names = prefs.SalesFormsPrefs.CustomField
    enabled = {entry["Name"]: entry["BooleanValue"] for entry in flags["CustomField"]}
    assert enabled == {f"SalesFormsPrefs.UseSalesCustom{n}": n != 2 for n in (1, 2, 3)}
    assert [entry["StringValue"] for entry in names["CustomField"]] == ["CU Invoice No", "KRA Signature"]
    shape = sample("preferences.salesforms-customfields.intuit-docs-sample.json")["response_excerpt"]
    assert set(json.loads(prefs.to_json())["SalesFormsPrefs"]) >= set(shape["Preferences"]["SalesFormsPrefs"])


def test_a_custom_field_value_over_the_length_limit_is_2050(qb, realm, customer, item) -> None:
    realm.set_custom_fields(["CU Invoice No"])
    stored = realm.add("Invoice", make_invoice(customer, [sales_line(item, 1)]))
    patch = {
        "Id": stored["Id"],
        "SyncToken": "0",
        "sparse": True,
        "CustomField": [{"DefinitionId": "1", "StringValue": "x" * 32}],
    }
    with pytest.raises(ValidationException) as too_long:
        qb.update_object("Invoice", json.dumps(patch))
    assert too_long.value.error_code == 2050


def test_batch_mixes_updates_queries_and_faults(qb, realm, customer, item) -> None:
    stored = realm.add("Invoice", make_invoice(customer, [sales_line(item, 1)]))
    request = {
        "BatchItemRequest": [
            {
                "bId": "b1",
                "operation": "update",
                "Invoice": {"Id": stored["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "batched"},
            },
            {"bId": "b2", "Query": "SELECT * FROM CreditMemo"},
            {"bId": "b3", "operation": "update", "Invoice": {"Id": stored["Id"], "SyncToken": "0", "sparse": True}},
        ]
    }
    answers = {item["bId"]: item for item in qb.batch_operation(json.dumps(request))["BatchItemResponse"]}
    assert answers["b1"]["Invoice"]["SyncToken"] == "1" and answers["b2"]["QueryResponse"] == {}
    assert answers["b3"]["Fault"]["Error"][0]["code"] == "5010"
    assert realm.requests[("POST", "batch")] == 1


def test_builders_reproduce_the_recorded_us_invoice(realm) -> None:
    recorded = sample("invoice-130.get.us-sandbox.json")["response"]["Invoice"]
    customer = make_customer("Sonnenschein Family Store", id="24", currency="USD")
    items = [
        make_item(name, id=item_id, tax_code=None)
        for name, item_id in (("Rock Fountain", "5"), ("Pump", "11"), ("Concrete", "3"))
    ]
    lines = [sales_line(items[0], 1, "275", tax_code="TAX"), sales_line(items[1], 1, "12.75", tax_code="TAX"),
             sales_line(items[2], 5, "9.5", tax_code="TAX")]  # fmt: skip
    built = make_invoice(customer, lines, us_tax=("2", "3", 8), home_currency="USD")
    assert built["TotalAmt"] == Decimal(str(recorded["TotalAmt"]))
    assert json.loads(json.dumps(built["TxnTaxDetail"], default=float)) == recorded["TxnTaxDetail"]
    assert built["Line"][-1] == {
        "Amount": Decimal("335.25"),
        "DetailType": "SubTotalLineDetail",
        "SubTotalLineDetail": {},
    }
    for ours, theirs in zip(built["Line"], recorded["Line"], strict=True):
        assert set(theirs) - set(ours) <= {"LinkedTxn", "CustomExtensions"}
        assert Decimal(str(theirs["Amount"])) == ours["Amount"]
        if "SalesItemLineDetail" in theirs:
            assert set(theirs["SalesItemLineDetail"]) == set(ours["SalesItemLineDetail"])
    server_side = {"InvoiceLink", "Id", "SyncToken", "MetaData", "TxnDate", "DueDate", "DocNumber"}
    not_built = {"BillAddr", "ShipAddr", "FreeFormAddress", "SalesTermRef", "BillEmail", "CustomerMemo", "PrivateNote"}
    assert set(recorded) - set(built) <= server_side | not_built


def test_builders_reproduce_the_recorded_tax_inclusive_global_invoice() -> None:
    recorded = sample("invoice-2753.au-global-taxinclusive.json")["response"]["QueryResponse"]["Invoice"][0]
    customer = make_customer("Focus Minerals Ltd", id="136", currency="AUD")
    washer = make_item("HOBSON:NORDLOCK WASHER - M30", id="243", tax_code="5")
    line = sales_line(washer, 2, gross="1301.30", service_date="2023-09-12")
    gst = {"5": Rate("3", Decimal(10))}
    built = make_invoice(customer, [line], tax_calculation="TaxInclusive", tax_rates=gst, home_currency="AUD")
    detail = built["Line"][0]["SalesItemLineDetail"]
    assert (built["Line"][0]["Amount"], detail["UnitPrice"], detail["TaxInclusiveAmt"]) == (
        Decimal("1183.00"),
        Decimal("591.5000000"),
        Decimal("1301.30"),
    )
    assert set(detail) == set(recorded["Line"][0]["SalesItemLineDetail"])
    assert json.loads(json.dumps(built["TxnTaxDetail"], default=float)) == recorded["TxnTaxDetail"]
    assert built["TotalAmt"] == Decimal("1301.30") and built["GlobalTaxCalculation"] == "TaxInclusive"


def test_builders_bundles_discounts_currency_and_mixed_rates(realm) -> None:
    customer = realm.add("Customer", make_customer("Nairobi Importers", currency="USD"))
    books = realm.add("Item", make_item("Books", type="NonInventory", tax_code="23", unit_price="20"))
    laptop = realm.add("Item", make_item("Laptop", type="Inventory", sku="LP-1", tax_code="21", unit_price="1000"))
    fuel = realm.add("Item", make_item("Fuel", tax_code="22", unit_price="50"))
    kit = realm.add("Item", make_item("Starter kit", type="Group", tax_code=None))
    lines = [
        group_line(kit, [sales_line(laptop, 1), sales_line(books, 5)]),
        description_line("Delivered to Mombasa"),
        sales_line(fuel, 2),
        discount_line(percent="10"),
    ]
    built = make_invoice(customer, lines, currency="USD", exchange_rate="129.5", custom_fields={"1": "PO-77"})
    bundle = built["Line"][0]
    assert bundle["DetailType"] == "GroupLineDetail" and bundle["Amount"] == Decimal("1100.00")
    # bases 1000 (16 %), 100 (0 %), 100 (8 %); discount 10 % of 1200 = 120 → 900/90/90 → tax 144 + 0 + 7.20
    rates = {line["TaxLineDetail"]["TaxRateRef"]["value"]: line for line in built["TxnTaxDetail"]["TaxLine"]}
    assert rates["11"]["Amount"] == Decimal("144.00") and rates["11"]["TaxLineDetail"]["NetAmountTaxable"] == Decimal(
        "900.00"
    )
    assert rates["12"]["Amount"] == Decimal("7.20") and rates["13"]["Amount"] == Decimal("0.00")
    assert built["TotalAmt"] == Decimal("1231.20") and built["HomeTotalAmt"] == Decimal("159440.40")
    assert built["Line"][1] == {"Description": "Delivered to Mombasa", "DetailType": "DescriptionOnly",
                                "DescriptionLineDetail": {}, "Id": "4", "LineNum": 4}  # fmt: skip
    stored = realm.add("Invoice", built)
    assert stored["TotalAmt"] == built["TotalAmt"] and stored["ExchangeRate"] == Decimal("129.5")
    memo = make_credit_memo(customer, [sales_line(laptop, 1)], currency="USD")
    assert memo["RemainingCredit"] == memo["TotalAmt"] == Decimal("1160.00") and "DueDate" not in memo


def test_amounts_cross_the_wire_as_exact_decimals(qb, realm, customer) -> None:
    odd = realm.add("Item", make_item("Odd", unit_price="92.5633333"))
    stored = realm.add("Invoice", make_invoice(customer, [sales_line(odd, 3)]))
    invoice = Invoice.get(stored["Id"], qb=qb)
    assert invoice.Line[0].SalesItemLineDetail.UnitPrice == Decimal("92.5633333")
    assert invoice.Line[0].Amount == Decimal("277.69")


# ---- webhooks ------------------------------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        return


@pytest.fixture
def receiver():
    handler = type("Receiver", (_Receiver,), {"received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/webhooks/quickbooks", handler.received
    server.shutdown()
    server.server_close()


def verified(headers: dict[str, str], body: bytes, token: str) -> bool:
    expected = base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, headers["intuit-signature"])


def test_signature_matches_intuits_test_vector_and_the_library_check(qb) -> None:
    vector = sample("webhook-signature-test-vector.json")
    assert sign(vector["raw_body"].encode(), vector["verifier_token"]) == vector["intuit_signature"]
    body = cloudevents_body([ChangeEvent(REALM, "Invoice", "130", "Update", datetime.now(UTC))])
    assert qb.validate_webhook_signature(body.decode(), sign(body, "verifier"), verifier_token="verifier")
    assert not qb.validate_webhook_signature(body.decode(), sign(body, "other"), verifier_token="verifier")


def test_every_change_is_notified_signed_in_cloudevents(
    qbo: FakeQuickBooks, qb, realm, customer, item, receiver
) -> None:
    url, received = receiver
    qbo.webhooks_to(url)
    stored = realm.add("Invoice", make_invoice(customer, [sales_line(item, 1)]))
    qb.update_object(
        "Invoice", json.dumps({"Id": stored["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "KRA"})
    )
    Invoice.get(stored["Id"], qb=qb).void(qb=qb)
    assert qbo.wait_webhooks(timeout=10)
    assert len(received) == 3 and all(verified(h, b, qbo.verifier_token) for h, b in received)
    events = [json.loads(body)[0] for _, body in received]
    assert [event["type"] for event in events] == [
        "qbo.invoice.created.v1",
        "qbo.invoice.updated.v1",
        "qbo.invoice.voided.v1",
    ]
    assert {(e["intuitaccountid"], e["intuitentityid"], e["specversion"]) for e in events} == {
        (REALM, stored["Id"], "1.0")
    }
    assert set(events[0]) == set(sample("webhook-cloudevents.json")["body"][0])
    assert [d.status for d in qbo.webhook_deliveries] == [200, 200, 200]


def test_legacy_notifications_forgeries_and_replays(qbo: FakeQuickBooks, realm, customer, receiver) -> None:
    url, received = receiver
    qbo.webhooks_to(url, fmt="legacy")
    realm.add("Customer", make_customer("Second Customer"))
    assert qbo.wait_webhooks(timeout=10)
    legacy = json.loads(received[0][1])
    entity = legacy["eventNotifications"][0]["dataChangeEvent"]["entities"][0]
    assert legacy["eventNotifications"][0]["realmId"] == REALM and entity["name"] == "Customer"
    assert set(entity) == set(
        sample("webhook-legacy.json")["body"]["eventNotifications"][0]["dataChangeEvent"]["entities"][0]
    )
    qbo.stop_webhooks()

    sender = WebhookSender(url, qbo.verifier_token, fmt="legacy")
    event = ChangeEvent(REALM, "Invoice", "101", "Update", qbo.clock.now())
    sender.send([event])
    sender.replay_last()
    sender.send_forged([event])
    sender.send_unsigned([event])
    genuine, replay, forged, unsigned = received[1:]
    assert genuine == replay and verified(*genuine, qbo.verifier_token)
    assert not verified(*forged, qbo.verifier_token) and "intuit-signature" not in unsigned[0]
    two_realms = legacy_body([event, ChangeEvent(OTHER_REALM, "CreditMemo", "5", "Delete", qbo.clock.now())])
    assert [n["realmId"] for n in json.loads(two_realms)["eventNotifications"]] == [REALM, OTHER_REALM]


# ---- several realms, several writers ----------------------------------------------------------------------------


def test_concurrent_writers_with_one_synctoken_exactly_one_wins(qbo: FakeQuickBooks, realm, customer, item) -> None:
    tokens = qbo.issue_tokens(REALM)
    stored = realm.add("Invoice", make_invoice(customer, [sales_line(item, 1)]))
    statuses: list[int] = []

    def write(n: int) -> None:
        patch = json.dumps({"Id": stored["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": f"writer {n}"})
        statuses.append(raw(qbo, tokens, "POST", "invoice", content=patch).status_code)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [400] * 7
    assert realm.get("Invoice", stored["Id"])["SyncToken"] == "1" and realm.writes == 1


def test_realms_are_separate_stores_with_their_own_counters_and_notifications(qbo: FakeQuickBooks, receiver) -> None:
    url, received = receiver
    other = qbo.add_realm(OTHER_REALM)
    qbo.webhooks_to(url)
    first = qbo.realm(REALM)
    for store in (first, other):
        buyer = store.add("Customer", make_customer(f"Buyer of {store.realm_id}"))
        store.add("Invoice", make_invoice(buyer, [sales_line(store.add("Item", make_item("Thing")), 1)]))
    qb_other = quickbooks_client(qbo, qbo.issue_tokens(OTHER_REALM))
    assert [inv.CustomerRef.name for inv in Invoice.all(qb=qb_other)] == [f"Buyer of {OTHER_REALM}"]
    assert other.requests[("POST", "query")] == 1 and first.requests == {}
    assert qbo.wait_webhooks(timeout=10)
    accounts = [json.loads(body)[0]["intuitaccountid"] for _, body in received]
    assert sorted(accounts) == sorted([REALM] * 3 + [OTHER_REALM] * 3)


def test_api_writes_and_bookkeeper_edits_are_told_apart(qb, realm, customer, item) -> None:
    stored = realm.add("Invoice", make_invoice(customer, [sales_line(item, 1)]))
    assert stored["MetaData"]["LastModifiedByRef"] == {"value": realm.ui_user_id}
    patch = {"Id": stored["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "from the connector"}
    answer = qb.update_object("Invoice", json.dumps(patch))["Invoice"]
    assert answer["MetaData"]["LastModifiedByRef"] == {"value": realm.api_user_id}
    assert realm.edit("Invoice", stored["Id"], CustomerMemo={"value": "hi"})["SyncToken"] == "2"


def test_a_us_model_realm_taxes_through_the_txn_tax_code(qbo: FakeQuickBooks) -> None:
    us = qbo.add_realm(OTHER_REALM, tax_model="us", home_currency="USD")
    us.us_tax_rates = {"2": Rate("3", Decimal(8))}
    buyer = us.add("Customer", make_customer("Sonnenschein Family Store", currency="USD"))
    rock = us.add("Item", make_item("Rock Fountain", unit_price="275", tax_code=None))
    body = make_invoice(buyer, [sales_line(rock, 1, tax_code="TAX"), sales_line(rock, 1, "60.25", tax_code="NON")],
                        us_tax=("2", "3", 8), home_currency="USD")  # fmt: skip
    qb = quickbooks_client(qbo, qbo.issue_tokens(OTHER_REALM))
    created = qb.create_object("Invoice", json.dumps(body, default=str))["Invoice"]
    assert created["TxnTaxDetail"]["TxnTaxCodeRef"] == {"value": "2"} and "GlobalTaxCalculation" not in created
    assert created["TxnTaxDetail"]["TotalTax"] == Decimal("22") and created["TotalAmt"] == Decimal("357.25")


def test_bundles_parse_in_the_library(qb, realm, customer, item) -> None:
    kit = realm.add("Item", make_item("Kit", type="Group", tax_code=None))
    stored = realm.add("Invoice", make_invoice(customer, [group_line(kit, [sales_line(item, 2)])]))
    invoice = Invoice.get(stored["Id"], qb=qb)
    bundle = invoice.Line[0]
    assert bundle.DetailType == "GroupLineDetail" and bundle.Amount == Decimal("2000.00")
    inner = bundle.GroupLineDetail.Line[0]  # python-quickbooks leaves a bundle's lines as plain dicts
    assert inner["SalesItemLineDetail"]["Qty"] == 2 and invoice.TotalAmt == Decimal("2320.00")
