"""A client-side limiter per QuickBooks realm: at most N requests per sliding minute and M at once.

QBO allows 500 requests/minute and 10 concurrent requests per realm and app; above that it answers 429.
Every adapter of one realm in this process shares one limiter (`for_realm`). A 429 pauses the whole realm
(`pause(seconds)`) so the other threads back off too. Not shared across processes.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

WINDOW_SECONDS = 60.0


class RealmLimiter:
    def __init__(self, per_minute: int, concurrent: int) -> None:
        self.per_minute = per_minute
        self.concurrent = concurrent
        self._slots = threading.BoundedSemaphore(concurrent)
        self._lock = threading.Lock()
        self._sent: deque[float] = deque()
        self._paused_until = 0.0
        self.waited_seconds = 0.0  # total time callers spent waiting here (for the bench)

    def pause(self, seconds: float) -> None:
        """After a 429: nobody sends to this realm for `seconds`."""
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def _wait_for_turn(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                while self._sent and now - self._sent[0] >= WINDOW_SECONDS:
                    self._sent.popleft()
                wait = self._paused_until - now
                if wait <= 0 and len(self._sent) >= self.per_minute:
                    wait = WINDOW_SECONDS - (now - self._sent[0])
                if wait <= 0:
                    self._sent.append(now)
                    return
            self.waited_seconds += wait
            time.sleep(min(wait, 1.0))

    @contextmanager
    def request(self) -> Iterator[None]:
        """Hold one of the concurrent slots and one place in the minute's budget while a request runs."""
        self._slots.acquire()
        try:
            self._wait_for_turn()
            yield
        finally:
            self._slots.release()


_REALMS: dict[str, RealmLimiter] = {}
_GUARD = threading.Lock()


def for_realm(realm_id: str, per_minute: int, concurrent: int) -> RealmLimiter:
    with _GUARD:
        limiter = _REALMS.get(realm_id)
        if limiter is None or (limiter.per_minute, limiter.concurrent) != (per_minute, concurrent):
            limiter = _REALMS[realm_id] = RealmLimiter(per_minute, concurrent)
        return limiter
