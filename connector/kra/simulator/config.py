"""Simulator settings, and the fault settings that can change while it runs."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from connector.kra.simulator.codes import DEFAULT_TAX_RATES, TAX_TYPES

PROFILES = ("legacy", "gavaconnect")
HTTP_FAULTS = ("500", "502", "503", "504")  # answered as a gateway error, not a KRA envelope
# What can happen to the answer of a sale KRA has just committed (and signed):
AFTER_COMMIT = (
    "timeout",  # hold `commit_then_timeout_seconds`, then hang up without answering
    "502", "503", "504",  # a gateway error page instead of the answer
    "999",  # KRA's "unknown error" envelope
    "drop",  # close the connection at once, no answer
    "truncate",  # announce the whole body, send half of it, hang up
    "trickle",  # send the body one byte every `trickle_seconds`
    "oversize",  # a valid answer padded to `oversize_bytes`
    "whitespace",  # every key with stray spaces (" resultCd ", "data ")
    "no-data",  # 000 with data null
    "no-signature", "bad-signature", "no-receipt-number", "bad-time", "bad-internal-data",  # 000, spoilt receipt
)  # fmt: skip


@dataclass
class SimulatorConfig:
    host: str = "127.0.0.1"
    port: int = 0
    profile: str = "legacy"
    strict: bool | None = None
    state_path: str | Path | None = None
    allowed_devices: set[tuple[str, str, str]] | None = None
    oauth_clients: dict[str, str] | None = None
    latency_seconds: float = 0.0
    fault_rate: float = 0.0
    fault_codes: tuple[str, ...] = ("894",)
    commit_then_timeout_rate: float = 0.0
    commit_then_timeout_seconds: float = 5.0
    seed: int | None = None
    tax_rates: Mapping[str, Any] | None = None
    token_ttl_seconds: float = 3600.0
    duplicate_answer: str = "994"  # a resent accepted invcNo: "994" overlapped data, or "sequence" error
    after_commit: str = ""  # one of AFTER_COMMIT: what a committed sale's answer becomes (at after_commit_rate)
    after_commit_rate: float = 0.0
    forgetful: bool = False  # records no sale: saves answer 000 without a receipt, read-backs 001
    trickle_seconds: float = 0.2
    oversize_bytes: int = 2 << 20
    log_requests: bool = False  # log each request through the `logging` module
    stock_enforced: bool | None = None  # GavaConnect's stock rule for sales of goods; None = on when strict

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}, not {self.profile!r}")
        if self.after_commit not in ("", *AFTER_COMMIT):
            raise ValueError(f"after_commit must be one of {AFTER_COMMIT}, not {self.after_commit!r}")
        if self.duplicate_answer not in ("994", "sequence"):
            raise ValueError(f'duplicate_answer must be "994" or "sequence", not {self.duplicate_answer!r}')

    @property
    def is_strict(self) -> bool:
        return self.profile == "gavaconnect" if self.strict is None else self.strict

    @property
    def enforces_stock(self) -> bool:
        return self.is_strict if self.stock_enforced is None else self.stock_enforced

    def rates(self) -> dict[str, Decimal]:
        """Tax rate per tax type, as Decimal percentages."""
        rates = dict(DEFAULT_TAX_RATES)
        for letter, rate in (self.tax_rates or {}).items():
            if letter not in TAX_TYPES:
                raise ValueError(f"unknown tax type {letter!r} in tax_rates")
            if isinstance(rate, float):
                raise TypeError("tax_rates must be Decimal, int or str, not float")
            rates[letter] = Decimal(str(rate))
        return rates


@dataclass
class FaultSettings:
    """Fault injection knobs; read and changed under one lock, random draws seeded."""

    fault_rate: float = 0.0
    fault_codes: tuple[str, ...] = ("894",)
    commit_then_timeout_rate: float = 0.0
    commit_then_timeout_seconds: float = 5.0
    latency_seconds: float = 0.0
    after_commit: str = ""
    after_commit_rate: float = 0.0
    forgetful: bool = False
    trickle_seconds: float = 0.2
    oversize_bytes: int = 2 << 20
    seed: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _random: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self._random.seed(self.seed)

    @classmethod
    def from_config(cls, config: SimulatorConfig) -> FaultSettings:
        return cls(
            fault_rate=config.fault_rate,
            fault_codes=_fault_codes(config.fault_codes),
            commit_then_timeout_rate=config.commit_then_timeout_rate,
            commit_then_timeout_seconds=config.commit_then_timeout_seconds,
            latency_seconds=config.latency_seconds,
            after_commit=config.after_commit,
            after_commit_rate=config.after_commit_rate,
            forgetful=config.forgetful,
            trickle_seconds=config.trickle_seconds,
            oversize_bytes=config.oversize_bytes,
            seed=config.seed,
        )

    def update(self, changes: Mapping[str, Any]) -> None:
        """Change some knobs; unknown names are an error."""
        allowed = {
            "fault_rate",
            "fault_codes",
            "commit_then_timeout_rate",
            "commit_then_timeout_seconds",
            "latency_seconds",
            *_OTHER_KNOBS,
        }
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        if changes.get("after_commit") not in (None, "", *AFTER_COMMIT):
            raise ValueError(f"after_commit must be one of {AFTER_COMMIT}, not {changes['after_commit']!r}")
        with self._lock:
            for name, value in changes.items():
                if value is None:
                    continue
                convert = _fault_codes if name == "fault_codes" else _OTHER_KNOBS.get(name, float)
                setattr(self, name, convert(value))

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "fault_rate": self.fault_rate,
                "fault_codes": list(self.fault_codes),
                "commit_then_timeout_rate": self.commit_then_timeout_rate,
                "commit_then_timeout_seconds": self.commit_then_timeout_seconds,
                "latency_seconds": self.latency_seconds,
                **{name: getattr(self, name) for name in _OTHER_KNOBS},
            }

    def pick_fault(self) -> str | None:
        """A fault code to answer with instead of handling the call, or None."""
        with self._lock:
            if self.fault_rate <= 0 or not self.fault_codes:
                return None
            if self._random.random() >= self.fault_rate:
                return None
            return self._random.choice(self.fault_codes)

    def should_hold_after_commit(self) -> bool:
        with self._lock:
            return self.commit_then_timeout_rate > 0 and self._random.random() < self.commit_then_timeout_rate

    def pick_after_commit(self) -> str | None:
        """What to do to a committed sale's answer instead of sending it (one of AFTER_COMMIT), or None."""
        with self._lock:
            if not self.after_commit or self.after_commit_rate <= 0:
                return None
            return self.after_commit if self._random.random() < self.after_commit_rate else None


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


_OTHER_KNOBS: dict[str, Any] = {
    "after_commit": str,
    "after_commit_rate": float,
    "forgetful": _flag,
    "trickle_seconds": float,
    "oversize_bytes": int,
}


def _fault_codes(value: Iterable[Any] | str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    return tuple(str(code) for code in value)
