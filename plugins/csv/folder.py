"""The drop folder on disk: inbox/ → processing/ → archive/ (or rejected/), results in outbox/.

A file in inbox/ is claimed only when it is complete: a `<name>.ready` marker sits next to it, or
it has not changed for `settle_seconds`. Claiming is one atomic rename into processing/, under a
stem no earlier drop used (sales, sales~2, …), so results of a file dropped twice never collide.
"""

from __future__ import annotations

import csv
import fnmatch
import os
import re
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path

SUBFOLDERS = ("inbox", "processing", "archive", "rejected", "outbox")
READY_SUFFIX = ".ready"
IGNORED_PREFIXES = (".", "~$")  # hidden files, Excel lock files
IGNORED_SUFFIXES = (READY_SUFFIX, ".tmp", ".part", ".partial", ".crdownload")
RECEIPTS_SUFFIX = ".receipts.csv"
ERRORS_SUFFIX = ".errors.csv"
FORMULA_STARTS = ("=", "+", "-", "@")  # tab and CR are escaped (not printable), so harmless
PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?$", re.ASCII)


class DropFolder:
    def __init__(
        self, root: Path, *, pattern: str = "*.csv", settle_seconds: float = 2.0, require_ready: bool = False
    ) -> None:
        self.root = root
        self.pattern = pattern.casefold()
        self.settle_seconds = settle_seconds
        self.require_ready = require_ready
        self._seen: dict[str, tuple[tuple[int, int], float]] = {}  # name -> (size, mtime), first seen
        for name in SUBFOLDERS:
            (root / name).mkdir(parents=True, exist_ok=True)

    def sub(self, name: str) -> Path:
        return self.root / name

    # ------------------------------------------------------------ claiming

    def complete_files(self) -> list[Path]:
        """Files in inbox/ that are ready to be claimed, oldest first."""
        found = []
        names = set()
        for path in sorted(self.sub("inbox").iterdir(), key=_age_order):
            if not self._candidate(path):
                continue
            names.add(path.name)
            try:
                if self._complete(path):
                    found.append(path)
            except FileNotFoundError:
                continue  # moved away meanwhile
        self._seen = {name: seen for name, seen in self._seen.items() if name in names}
        return found

    def _candidate(self, path: Path) -> bool:
        name = path.name.casefold()
        if name.startswith(IGNORED_PREFIXES) or name.endswith(IGNORED_SUFFIXES):
            return False
        return path.is_file() and fnmatch.fnmatch(name, self.pattern)

    def _complete(self, path: Path) -> bool:
        if ready_marker(path).exists():
            return True
        if self.require_ready:
            return False
        stat = path.stat()
        key, now = (stat.st_size, stat.st_mtime_ns), time.monotonic()
        seen = self._seen.get(path.name)
        if seen is None or seen[0] != key:
            self._seen[path.name] = seen = (key, now)
        quiet_on_disk = time.time() - stat.st_mtime >= self.settle_seconds
        quiet_here = now - seen[1] >= self.settle_seconds
        return quiet_on_disk or quiet_here

    def unique_stem(self, name: str, taken: Callable[[str], bool]) -> str:
        """The file's stem, or stem~2, stem~3 … if an earlier drop used it."""
        stem = Path(name).stem
        candidate, counter = stem, 1
        while taken(candidate) or self._stem_on_disk(candidate):
            counter += 1
            candidate = f"{stem}~{counter}"
        return candidate

    def _stem_on_disk(self, stem: str) -> bool:
        pattern = f"{glob_escape(stem)}.*"
        used = (next(self.sub(name).glob(pattern), None) for name in ("processing", "archive", "rejected"))
        return any(path is not None for path in used) or self.receipts_path(stem).exists()

    def claim(self, path: Path, claimed_name: str) -> Path | None:
        """Move the file into processing/ (atomic); None if someone else took it first."""
        target = self.sub("processing") / claimed_name
        try:
            os.rename(path, target)
        except FileNotFoundError:
            return None
        ready_marker(path).unlink(missing_ok=True)
        self._seen.pop(path.name, None)
        return target

    def claim_copy(self, path: Path, claimed_name: str) -> Path:
        """Copy a file from anywhere into processing/ (the `csv import` command)."""
        target = self.sub("processing") / claimed_name
        partial = self.sub("processing") / f".{claimed_name}.tmp"
        shutil.copyfile(path, partial)
        os.replace(partial, target)
        return target

    # ------------------------------------------------------------ finishing

    def processing_path(self, claimed_name: str) -> Path:
        return self.sub("processing") / claimed_name

    def receipts_path(self, stem: str) -> Path:
        return self.sub("outbox") / f"{stem}{RECEIPTS_SUFFIX}"

    def errors_path(self, stem: str) -> Path:
        return self.sub("rejected") / f"{stem}{ERRORS_SUFFIX}"

    def move_to(self, subfolder: str, claimed_name: str) -> Path:
        source = self.processing_path(claimed_name)
        target = self.sub(subfolder) / claimed_name
        if source.exists():
            os.replace(source, target)
        return target

    def waiting_in_inbox(self) -> int:
        return sum(1 for path in self.sub("inbox").iterdir() if self._candidate(path))

    def in_processing(self) -> int:
        """Files being read (stock files wait in processing/stock/)."""
        return sum(1 for path in self.sub("processing").rglob("*") if path.is_file() and not path.name.startswith("."))


def _age_order(path: Path) -> tuple[int, str]:
    try:
        return (path.stat().st_mtime_ns, path.name)
    except FileNotFoundError:
        return (0, path.name)


def ready_marker(path: Path) -> Path:
    return path.with_name(path.name + READY_SUFFIX)


def glob_escape(text: str) -> str:
    return "".join(f"[{char}]" if char in "*?[" else char for char in text)


def write_csv(path: Path, header: list[str], rows: Iterable[Iterable[object]]) -> None:
    """Write a CSV file atomically (UTF-8 with BOM so Excel shows it right, CRLF as Excel writes).

    Every cell goes through `safe_cell`: these files are opened in spreadsheets.
    """
    partial = path.with_name(f".{path.name}.tmp")
    with partial.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([safe_cell(name) for name in header])
        writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    os.replace(partial, path)


def safe_cell(value: object) -> object:
    """A cell a spreadsheet shows as text, never runs (OWASP "CSV injection").

    Text beginning with = + - @ tab or CR gets a leading apostrophe, so `=cmd|' /C calc'!A0` is
    shown, not evaluated. A plain number such as -12.50 is left alone: it is a number to Excel
    too, not a formula. Control and bidi characters are written as \\uXXXX so what is shown is
    what is in the ledger.
    """
    if value is None or isinstance(value, int | float):
        return value
    text = str(value)
    if not text.isprintable():
        text = "".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in text)
    if text[:1] in FORMULA_STARTS and not PLAIN_NUMBER.match(text):
        return "'" + text
    return text
