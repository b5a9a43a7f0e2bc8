"""OAuth tokens against the fake's token endpoint (real intuit-oauth): rotation persisted, one refresh at a time,
invalid_grant → "reconnect QuickBooks", 429 storms and HTML 500s survived, the per-realm limiter."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from connector.clock import now_utc
from connector.errors import ConfigurationError
from connector.source_credentials import SourceSecrets
from plugins.quickbooks.adapter import QuickBooksAdapter
from plugins.quickbooks.harness import connected_adapter, fake_options, seed
from plugins.quickbooks.limiter import RealmLimiter
from plugins.quickbooks.testing import FakeQuickBooks
from plugins.quickbooks.tokens import QuickBooksUnavailable


@pytest.fixture
def qbo():
    with FakeQuickBooks() as server:
        yield server


def refreshes(qbo: FakeQuickBooks) -> list[bool]:
    return [ok for grant, ok in qbo.token_requests if grant == "refresh_token"]


def test_a_401_refreshes_once_and_the_rotated_token_is_stored(qbo):
    realm, adapter = connected_adapter(qbo)
    invoices = seed(realm)
    old = adapter.secrets.get("refresh_token")
    qbo.expire_access_tokens()
    docs = list(adapter.fetch_changed([f"Invoice:{invoices[0]['Id']}"]))
    assert [d.external_id for d in docs] == [invoices[0]["Id"]]
    assert refreshes(qbo) == [True]
    stored = adapter.secrets.get("refresh_token")
    assert stored != old and stored == qbo.oauth.current_refresh_token(qbo.client_id, realm.realm_id)
    list(adapter.fetch_changed([f"Invoice:{invoices[0]['Id']}"]))  # the new access token is used from now on
    assert refreshes(qbo) == [True]


def test_an_expired_access_token_is_refreshed_before_the_call(qbo):
    realm, adapter = connected_adapter(qbo)
    seed(realm, 1)
    adapter.secrets.set("access_expires_at", (now_utc() - timedelta(minutes=5)).isoformat())
    assert len(list(adapter.fetch_new(None))) == 1
    assert refreshes(qbo) == [True]
    assert realm.requests[("POST", "query")] >= 1


def test_two_workers_refresh_only_once(qbo):
    realm, first = connected_adapter(qbo)
    invoices = seed(realm, 2)
    second = QuickBooksAdapter.from_options(fake_options(qbo), first.mapping, "qbo", first.secrets)
    qbo.expire_access_tokens()
    qbo.latency = 0.2  # both calls are in flight when the 401s come back
    barrier, results, errors = threading.Barrier(2), [], []

    def work(adapter: QuickBooksAdapter, invoice_id: str) -> None:
        barrier.wait()
        try:
            results.extend(d.external_id for d in adapter.fetch_changed([f"Invoice:{invoice_id}"]))
        except Exception as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(a, inv["Id"])) for a, inv in zip((first, second), invoices, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert sorted(results) == sorted(inv["Id"] for inv in invoices)
    assert refreshes(qbo) == [True], "the second worker must use the first one's new tokens"


def test_invalid_grant_asks_to_reconnect(qbo):
    realm, adapter = connected_adapter(qbo)
    seed(realm, 1)
    qbo.revoke_refresh_tokens()
    qbo.expire_access_tokens()
    with pytest.raises(ConfigurationError, match="reconnect QuickBooks") as raised:
        list(adapter.fetch_new(None))
    assert adapter.secrets.get("refresh_token") not in str(raised.value)
    assert "quickbooks connect qbo" in str(raised.value)


def test_missing_connection_is_a_preflight_problem(qbo):
    adapter = QuickBooksAdapter.from_options(fake_options(qbo), None, "qbo", SourceSecrets.in_memory("qbo"))
    problems = adapter.preflight()
    assert any("client_id" in p for p in problems) and any("reconnect QuickBooks" in p for p in problems)


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_429_storm_is_waited_out(qbo, fmt):
    realm, adapter = connected_adapter(qbo)
    seed(realm, 3)
    realm.throttle_storm(4, fmt=fmt)
    assert len(list(adapter.fetch_new(None))) == 3
    assert realm.requests[("POST", "query")] >= 4 + 1


def test_throttling_that_never_ends_is_reported_not_hung(qbo):
    realm, adapter = connected_adapter(qbo, throttle_retries=2)
    seed(realm, 1)
    realm.throttle_storm(50)
    with pytest.raises(QuickBooksUnavailable, match="429"):
        list(adapter.fetch_new(None))


def test_html_500_is_retried(qbo):
    realm, adapter = connected_adapter(qbo)
    seed(realm, 1)
    realm.inject("server_500_html", count=2)
    assert len(list(adapter.fetch_new(None))) == 1


def test_limiter_holds_at_most_n_concurrent_and_counts_the_minute():
    limiter = RealmLimiter(per_minute=5, concurrent=2)
    inside, peak, lock = [0], [0], threading.Lock()

    def call() -> None:
        with limiter.request():
            with lock:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            threading.Event().wait(0.05)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=call) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert peak[0] == 2
    assert len(limiter._sent) == 5  # the minute's budget is used up: a sixth call would wait


def test_limiter_keeps_the_realm_under_its_fake_limit(qbo):
    realm, adapter = connected_adapter(qbo, concurrent_requests=2)
    invoices = seed(realm, 6)
    realm.limit(per_minute=500, concurrent=2)
    qbo.latency = 0.05
    threads = [threading.Thread(target=lambda i=inv["Id"]: list(adapter.fetch_changed([f"Invoice:{i}"])))
               for inv in invoices]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(record.status == 429 for record in realm.request_log)


def test_a_hung_server_times_out_instead_of_blocking(qbo):
    realm, adapter = connected_adapter(qbo, timeout_seconds=0.3, error_retries=1)
    seed(realm, 1)
    realm.latency = 2.0  # longer than the timeout: the library alone would wait for ever
    with pytest.raises(QuickBooksUnavailable, match="Timeout"):
        list(adapter.fetch_new(None))
    realm.latency = 0.0


# ---------------------------------------------------------------- reading modes (same fake, other concerns)


def test_first_run_pages_through_the_query_then_cdc_takes_over(qbo):
    realm, adapter = connected_adapter(qbo, page_size=2)
    invoices = seed(realm, 5)
    fetched = list(adapter.fetch_new(None))
    assert sorted(d.external_id for d, _ in fetched) == sorted(i["Id"] for i in invoices)
    assert realm.requests[("GET", "cdc")] == 0
    cursor = fetched[-1][1]
    realm.edit("Invoice", invoices[0]["Id"], DocNumber="EDITED-1")
    again = list(adapter.fetch_new(cursor))
    assert [d.number for d, _ in again] == ["EDITED-1"] and realm.requests[("GET", "cdc")] == 1


def test_a_full_cdc_answer_is_not_trusted(qbo):
    realm, adapter = connected_adapter(qbo, cdc_max=3)
    realm.cdc_max = 3
    cursor = list(adapter.fetch_new(None)) or None
    start = qbo.clock.now().isoformat()
    invoices = seed(realm, 5)
    fetched = list(adapter.fetch_new(cursor or start))
    assert sorted(d.external_id for d, _ in fetched) == sorted(i["Id"] for i in invoices)  # not just the first 3


def test_a_gap_over_thirty_days_reads_by_query(qbo):
    realm, adapter = connected_adapter(qbo)
    seed(realm, 2)
    old = (now_utc() - timedelta(days=45)).isoformat()
    assert len(list(adapter.fetch_new(old))) == 2
    assert realm.requests[("GET", "cdc")] == 0
