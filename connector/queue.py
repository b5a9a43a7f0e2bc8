"""The huey queue: SqliteHuey in its own file by default, RedisHuey when a Redis URL is configured.

Tasks carry ids (a device key, a document id), never pickled models. Ordering per device is not
the queue's job: `drain_device` takes the device's lease in the ledger and sends in ledger order,
so duplicate or concurrent drains are harmless and devices proceed in parallel.
"""

from __future__ import annotations

import logging

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer
from huey.storage import SqliteStorage

from connector.config import Settings
from connector.db import private_file
from connector.pipeline import Pipeline

log = logging.getLogger("connector.queue")

FETCH_RETRIES = 8  # a webhook's documents; polling catches up after that anyway
WRITE_BACK_RETRIES = 10  # 15 s, doubling: about four hours before the monitor calls it permanent


class QueueStorage(SqliteStorage):
    """huey's SQLite storage with `synchronous=NORMAL` (WAL) instead of FULL: no fsync per enqueue and dequeue.
    A task lost to a power cut (not to a crash: WAL keeps committed data then) is found again from the ledger,
    which is the record: the sweeper wakes every device with work and re-queues every write-back due."""

    def _create_connection(self):  # type: ignore[no-untyped-def]
        conn = super()._create_connection()
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn


def make_huey(settings: Settings) -> Huey:
    queue = settings.queue
    if queue.redis_url:
        return RedisHuey(queue.name, url=queue.redis_url, results=False)
    private_file(settings.queue_path)  # 0600 in a 0700 data dir: tasks name documents and devices
    return SqliteHuey(
        queue.name, filename=str(settings.queue_path), results=False, timeout=30, storage_class=QueueStorage
    )


class TaskQueue:
    def __init__(self, settings: Settings, pipeline: Pipeline, huey: Huey | None = None) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.huey = huey or make_huey(settings)
        self._drain = self.huey.task(name="drain_device")(self._drain_device)
        self._write_back = self.huey.task(
            name="write_back",
            retries=WRITE_BACK_RETRIES,
            retry_delay=settings.queue.write_back_retry_seconds,
            retry_backoff=2,
        )(self._write_back_document)
        self._write_back_batch = self.huey.task(name="write_back_batch")(self._write_back_documents)
        self._fetch_changed = self.huey.task(name="fetch_changed", retries=FETCH_RETRIES, retry_delay=10)(
            self._fetch_changed_documents
        )
        pipeline.enqueue_drain = self.enqueue_drain
        pipeline.enqueue_write_back = self.enqueue_write_back
        pipeline.enqueue_write_backs = self.enqueue_write_backs

    def enqueue_drain(self, device_key: str, delay: float = 0) -> None:
        if delay > 0:
            self._drain.schedule((device_key,), delay=delay)
        else:
            self._drain(device_key)

    def enqueue_write_back(self, document_id: int) -> None:
        self._write_back(document_id)

    def enqueue_write_backs(self, document_ids: list[int]) -> None:
        self._write_back_batch(list(document_ids))

    def pending(self) -> int | None:
        """Tasks waiting (and scheduled); None when the queue backend cannot be asked."""
        try:
            return self.huey.pending_count() + self.huey.scheduled_count()
        except Exception:
            return None

    def enqueue_fetch_changed(self, source_name: str, keys: list[str]) -> None:
        """Documents a webhook named: fetched from the source in the background (durably queued)."""
        self._fetch_changed(source_name, list(keys))

    def _fetch_changed_documents(self, source_name: str, keys: list[str]) -> None:
        report = self.pipeline.ingest_changed(source_name, keys)
        if report.fetched:
            log.info("%s (webhook): %s", source_name, report)

    def _drain_device(self, device_key: str) -> None:
        wait = self.pipeline.drain(device_key)
        if wait is not None:
            self.enqueue_drain(device_key, wait)

    def _write_back_document(self, document_id: int) -> None:
        log.info("write-back of document %s: %s", document_id, self.pipeline.write_back(document_id))

    def _write_back_documents(self, document_ids: list[int]) -> None:
        """One task for a batch; a document that fails here gets its own task, with retries."""
        for document_id in document_ids:
            try:
                self.pipeline.write_back(document_id)
            except Exception as exc:
                log.warning("write-back of document %s failed (%s); retrying it on its own", document_id, exc)
                self.enqueue_write_back(document_id)

    def consumer(self, workers: int | None = None) -> Consumer:
        return self.huey.create_consumer(
            workers=workers or self.settings.queue.workers,
            worker_type="thread",
            periodic=False,
            initial_delay=0.05,
            backoff=1.15,
            max_delay=0.5,
            scheduler_interval=1,
        )
