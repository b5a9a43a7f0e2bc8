"""Prometheus metrics: what happened in this process (KRA calls, poll errors) and what the ledger holds now.

Counters and the latency histogram are observed where they happen (every KRA exchange passes
`Ledger.store_exchange`; every poll passes the daemon's poll loop). Gauges (documents per state and
source, last invoice numbers, oldest unsigned document, queue depth, write-backs owed) are read from
the ledger at scrape time, so they are right in every process and after every restart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from connector.clock import now_utc

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

REGISTRY = CollectorRegistry(auto_describe=True)
KRA_CALLS = Counter(
    "etims_kra_calls", "KRA calls by endpoint and classified outcome", ["endpoint", "outcome"], registry=REGISTRY
)
KRA_CALL_SECONDS = Histogram(
    "etims_kra_call_seconds", "KRA call latency", ["endpoint"], buckets=LATENCY_BUCKETS, registry=REGISTRY
)
POLL_ERRORS = Counter("etims_source_poll_errors", "Failed polls of a source", ["source"], registry=REGISTRY)


def observe_kra_call(endpoint: str, outcome: str, seconds: float | None) -> None:
    KRA_CALLS.labels(endpoint, outcome).inc()
    if seconds is not None:
        KRA_CALL_SECONDS.labels(endpoint).observe(seconds)


class LedgerCollector(Collector):
    """Gauges computed from the ledger on each scrape."""

    def __init__(self, ledger: Callable[[], Any], devices: list[Any], queue_depth: Callable[[], int | None]) -> None:
        self.ledger = ledger
        self.devices = devices
        self.queue_depth = queue_depth

    def collect(self) -> Iterator[GaugeMetricFamily]:
        ledger = self.ledger()
        db = ledger.db
        docs = GaugeMetricFamily(
            "etims_documents", "Documents in the ledger by state and source", labels=["state", "source"]
        )
        for state, source, count in db.execute("SELECT state, source, COUNT(*) FROM documents GROUP BY state, source"):
            docs.add_metric([state, source], count)
        yield docs
        last = GaugeMetricFamily(
            "etims_device_last_invoice_number", "Last invcNo allocated per device", labels=["device"]
        )
        oldest = GaugeMetricFamily(
            "etims_oldest_unsigned_seconds", "Age of the oldest unsigned document per device", labels=["device"]
        )
        for device in self.devices:
            last.add_metric([device.name], ledger.next_number(device.key) - 1)
            row = db.execute(
                "SELECT MIN(created_at) FROM documents WHERE device_key = ?"
                " AND state NOT IN ('accepted', 'written-back', 'needs-fix', 'discarded')",
                [device.key],
            ).fetchone()
            oldest.add_metric([device.name], _age_seconds(row[0]))
        yield last
        yield oldest
        owed = db.execute(
            "SELECT COUNT(*) FROM documents WHERE state = 'accepted' AND write_back_error IS NOT NULL"
        ).fetchone()[0]
        yield GaugeMetricFamily("etims_write_back_failures", "Signed documents whose write-back is failing", value=owed)
        depth = self.queue_depth()
        if depth is not None:
            yield GaugeMetricFamily("etims_queue_depth", "Tasks waiting in the queue", value=depth)


def _age_seconds(iso: str | None) -> float:
    if not iso:
        return 0.0
    return max(0.0, (now_utc() - datetime.fromisoformat(iso)).total_seconds())


def exposition(collector: LedgerCollector | None) -> bytes:
    """The Prometheus text format: this process's counters plus the ledger's gauges."""
    if collector is None:
        return generate_latest(REGISTRY)
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(collector)
    return generate_latest(REGISTRY) + generate_latest(scrape)
