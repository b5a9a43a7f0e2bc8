"""`etims-connector run`: source pollers, a sweeper/monitor, and the huey consumer in one process.

Clean shutdown on SIGTERM or Ctrl-C: pollers stop, workers finish the call they are in.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import datetime, timedelta

from connector import metrics, monitor
from connector.clock import now_utc
from connector.config import Settings
from connector.context import Context
from connector.errors import ConfigurationError
from connector.ledger import ACCEPTED, PENDING, QUEUED, Ledger
from connector.pipeline import Pipeline, Source, build_sources
from connector.queue import WRITE_BACK_RETRIES, TaskQueue
from connector.service import App, Listener, WebhookRouter

log = logging.getLogger("connector.daemon")

SWEEP_SECONDS = 10.0
SOURCE_PAUSE_SECONDS = 300.0  # a source that needs configuration is tried again this often
LOST_WRITE_BACK_SECONDS = 60.0  # a signed document nobody tried to write back (its task died with a process)


class Daemon:
    def __init__(
        self, settings: Settings, sources: dict[str, Source] | None = None, workers: int | None = None
    ) -> None:
        self.settings = settings
        self.context = Context(settings)
        self.sources = build_sources(self.context) if sources is None else sources
        self.pipeline = Pipeline(self.context, self.sources)
        self.queue = TaskQueue(settings, self.pipeline)
        self.consumer = self.queue.consumer(workers)
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.listener: Listener | None = None
        self.source_health: dict[str, str | None] = {}  # source → why its last poll failed (None: fine)

    def start(self) -> None:
        self.check_sources()
        self.sweep()
        for source in self.sources.values():
            if source.adapter is not None:
                self._thread(f"poll-{source.name}", self._poll_loop, source)
        self._thread("sweeper", self._sweep_loop)
        self.start_listener()
        self.consumer.start()

    def check_sources(self) -> None:
        """Refuse to start when a source says it must not run (e.g. another system numbers the device)."""
        problems = []
        for source in self.sources.values():
            if source.adapter is not None:
                problems += [f"source {source.name}: {problem}" for problem in source.adapter.preflight()]
        if problems:
            raise ConfigurationError("cannot start: " + "; ".join(problems))

    def start_listener(self) -> None:
        router = WebhookRouter(self.sources, self.queue.enqueue_fetch_changed)
        http = self.settings.http
        if http.enabled or (http.enabled is None and router.routes):
            token = http.token.get_secret_value() if http.token else None
            collector = metrics.LedgerCollector(
                lambda: self.context.ledger, self.settings.devices, lambda: self.queue.pending()
            )
            app = App(router, context=self.context, readiness=self.readiness, collector=collector, token=token)
            self.listener = Listener(http.listen, app, self.settings.data_dir)
            self.listener.start()

    def readiness(self) -> list[str]:
        """Why this connector is not ready to sign (empty when it is): for /readyz."""
        from connector import readiness

        return readiness.reasons(self.context, self.source_health)

    def stop(self) -> None:
        self.stopping.set()
        self.pipeline.stopping.set()
        for thread in self.threads:
            thread.join(timeout=10)
        if self.listener is not None:
            self.listener.stop()
        self.consumer.stop(graceful=True)
        for source in self.sources.values():
            if source.adapter is not None:
                source.adapter.close()
        self.context.close()

    def run_forever(self) -> None:
        """Block until SIGTERM/SIGINT."""
        self.start()
        for sig in (signal.SIGTERM, signal.SIGINT):  # after start(): huey's consumer sets its own
            signal.signal(sig, lambda *_: self.stopping.set())
        log.info("running: %d source(s), %d worker(s)", len(self.sources), self.consumer.workers)
        while not self.stopping.wait(1.0):
            pass
        log.info("stopping")
        self.stop()

    def _thread(self, name: str, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self.threads.append(thread)

    def _poll_loop(self, source: Source) -> None:
        paused_for = None  # the configuration problem this source is paused for, alerted once
        while not self.stopping.is_set():
            interval = self._interval(source)
            try:
                report = self.pipeline.ingest(source.name)
                if report.fetched:
                    log.info("%s: %s", source.name, report)
                if paused_for is not None:
                    log.info("source %s works again", source.name)
                paused_for = None
                self.source_health[source.name] = None
            except ConfigurationError as exc:  # e.g. "reconnect QuickBooks": needs a person, not a traceback
                if str(exc) != paused_for:
                    paused_for = str(exc)
                    Ledger(self.context.db).alert("configuration", f"source {source.name}: {exc}")
                    log.warning("source %s paused: %s", source.name, exc)
                interval = max(interval, SOURCE_PAUSE_SECONDS)
                self.source_health[source.name] = f"paused: {exc}"
                metrics.POLL_ERRORS.labels(source.name).inc()
            except Exception as exc:
                self.source_health[source.name] = f"last poll failed: {type(exc).__name__}: {exc}"
                metrics.POLL_ERRORS.labels(source.name).inc()
                log.warning("polling %s failed (%s: %s); trying again later", source.name, type(exc).__name__, exc)
                log.debug("polling %s failed", source.name, exc_info=True)
            self.stopping.wait(interval)

    def _interval(self, source: Source) -> float:
        for cfg in self.settings.sources:
            if cfg.name == source.name:
                return cfg.interval_seconds
        return 60.0

    def _sweep_loop(self) -> None:
        last_monitor = 0.0
        while not self.stopping.wait(SWEEP_SECONDS):
            try:
                self.sweep()
                self.purchases_round()
                if time.monotonic() - last_monitor > self.settings.monitor.interval_seconds:
                    monitor.check(Ledger(self.context.db), self.settings.monitor, self.context.http)
                    self.send_daily_report()
                    last_monitor = time.monotonic()
            except Exception:
                log.exception("sweep failed")

    def purchases_round(self) -> None:
        """Suppliers' sales and bills (connector/purchases/), at most every [purchases] interval_minutes."""
        from connector.purchases.cycle import due_round

        report = due_round(self.pipeline)
        if report is not None and (report.problems or any(d.new or d.confirmed for d in report.devices.values())):
            log.info("purchases: %s", report)

    def send_daily_report(self) -> None:
        """Yesterday's compliance report, once a day from `monitor.daily_report_hour` (when set)."""
        hour = self.settings.monitor.daily_report_hour
        if hour is None:
            return
        from connector.reports.send import send_due

        devices = [(d.name, d.key) for d in self.settings.devices]
        report = send_due(Ledger(self.context.db), self.settings.monitor, devices, hour, self.context.http)
        if report is not None:
            log.info("daily report for %s sent", report.day)

    def sweep(self) -> None:
        """Wake every device with work (after a restart, or a lost wake-up) and stale write-backs."""
        ledger = Ledger(self.context.db)
        for doc in ledger.documents("state = ?", [PENDING]):  # recorded just before a crash
            ledger.transition(doc.id, QUEUED, "queued by the sweeper")
        for key in ledger.devices_with_work():
            self.queue.enqueue_drain(key)
        for doc_id in write_backs_due(ledger, self.settings.queue.write_back_retry_seconds):
            self.queue.enqueue_write_back(doc_id)


def write_backs_due(ledger: Ledger, retry_seconds: float, now: datetime | None = None) -> list[int]:
    """Signed documents whose receipt must be written back again: never tried (a lost task) after a minute,
    or failed however many attempts ago, each after its own backoff. The queue's retries of a failure come
    first (the wait here is always longer); once they have run out this goes on, at most hourly, until the
    receipt reaches its source."""
    now = now or now_utc()
    due = []
    rows = ledger.db.execute("SELECT id, write_back_attempts, updated_at FROM documents WHERE state = ?", [ACCEPTED])
    for doc_id, attempts, updated_at in rows.fetchall():
        wait = LOST_WRITE_BACK_SECONDS if attempts == 0 else retry_seconds * 2 ** min(attempts, 30) + 60
        if attempts > WRITE_BACK_RETRIES:
            wait = min(wait, 3600.0)
        if datetime.fromisoformat(updated_at) < now - timedelta(seconds=wait):
            due.append(doc_id)
    return due
