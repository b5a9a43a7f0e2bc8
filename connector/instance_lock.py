"""One `run` per data dir: an fcntl lock on `<data_dir>/run.lock`, holding the PID of the process that has it.

The operating system drops the lock when that process ends, however it ends (SIGKILL included), so a
restart never has to clean anything up.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from connector.db import PRIVATE_FILE, private_dir
from connector.errors import ConfigurationError

LOCK_FILE = "run.lock"


class InstanceLock:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> InstanceLock:
        private_dir(self.data_dir)
        fd = os.open(self.path, os.O_CREAT | os.O_RDWR, PRIVATE_FILE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise ConfigurationError(
                f"already running (PID {holder}) on data dir {self.data_dir}: stop that one first, "
                "or give this one its own data_dir"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
