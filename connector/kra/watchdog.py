"""One thread for every KRA call's deadline: `threading.Timer` per call costs a thread start per invoice.

`WATCHDOG.arm(deadline, action)` runs `action()` on the watchdog thread at `deadline` (time.monotonic);
`WATCHDOG.disarm(entry)` before then and it never runs.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable

log = logging.getLogger("connector.kra")


class Watchdog:
    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # a forked worker starts its own thread

    def _reset(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[list] = []  # [deadline, order, action or None when disarmed]
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, deadline: float, action: Callable[[], None]) -> list:
        entry = [deadline, next(self._order), action]
        with self._cond:
            heapq.heappush(self._heap, entry)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="kra-deadlines", daemon=True)
                self._thread.start()
            elif self._heap[0] is entry:
                self._cond.notify()  # the earliest deadline changed
        return entry

    def disarm(self, entry: list) -> None:
        with self._cond:
            entry[2] = None  # dropped when it reaches the top of the heap

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][2] is None:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                action = heapq.heappop(self._heap)[2]
            try:
                action()
            except Exception:  # a failing action must not stop every other call's deadline
                log.exception("a KRA call deadline action failed")


WATCHDOG = Watchdog()
