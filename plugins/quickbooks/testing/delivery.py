"""The fake's automatic webhook delivery: every change in a realm is POSTed, signed, to a configured URL.

A background thread delivers in order (one notification per change, realms kept apart like Intuit's "one realm at
a time"). A non-2xx answer or a connection error is retried after `retry_delays` seconds (Intuit: 10 s, 20 s,
30 s, 5 min, …; shortened here so tests stay fast), then dropped and recorded.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass

import httpx

from .webhooks import ChangeEvent, body_for, send_webhook, sign


@dataclass
class WebhookDelivery:
    status: int | None  # HTTP status of the last attempt; None when it could not connect
    body: bytes
    signature: str
    attempts: int
    error: str | None = None


class AutoWebhooks:
    def __init__(self, url: str, verifier_token: str, fmt: str = "cloudevents") -> None:
        body_for([], fmt)  # validates fmt
        self.url, self.verifier_token, self.fmt = url, verifier_token, fmt
        self.retry_delays: tuple[float, ...] = (0.2, 0.5, 1.0)
        self.deliveries: list[WebhookDelivery] = []
        self._queue: queue.Queue[ChangeEvent | None] = queue.Queue()
        self._idle = threading.Condition()
        self._pending = 0
        self._thread = threading.Thread(target=self._run, name="fake-qbo-webhooks", daemon=True)
        self._thread.start()

    def __call__(self, event: ChangeEvent) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put(event)

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            try:
                self._deliver(event)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _deliver(self, event: ChangeEvent) -> None:
        body = body_for([event], self.fmt)
        signature = sign(body, self.verifier_token)
        delivery = WebhookDelivery(None, body, signature, 0)
        for delay in (0.0, *self.retry_delays):
            time.sleep(delay)
            delivery.attempts += 1
            try:
                response = send_webhook(self.url, body, self.verifier_token, signature=signature)
                delivery.status, delivery.error = response.status_code, None
                if 200 <= response.status_code < 300:
                    break
            except httpx.HTTPError as exc:
                delivery.status, delivery.error = None, f"{type(exc).__name__}: {exc}"
        self.deliveries.append(delivery)

    def wait(self, timeout: float = 5.0) -> bool:
        """Block until every queued notification has been delivered (or given up); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)
