"""The shapes passed between the HTTP layer and the endpoint handlers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connector.clock import kra_datetime, now_eat
from connector.kra.simulator.codes import RESULT_MESSAGES
from connector.kra.simulator.config import SimulatorConfig
from connector.kra.simulator.state import Store


class Rejected(Exception):
    """A KRA refusal: a result code and its message (the KRA text unless given)."""

    def __init__(self, code: str, message: str | None = None) -> None:
        self.code = code
        self.message = message or RESULT_MESSAGES.get(code, "Request parameter error")
        super().__init__(f"{code} {self.message}")


@dataclass
class Answer:
    code: str = "000"
    data: Any = None
    message: str | None = None
    sale_committed: bool = False  # an accepted sale: commit-then-timeout may apply

    @property
    def text(self) -> str:
        return self.message or RESULT_MESSAGES.get(self.code, "")

    @property
    def is_validation(self) -> bool:
        """Body, field and rule errors; GavaConnect answers these as HTTP 400 with the text."""
        return self.code in ("910", "911", "913")


@dataclass
class Call:
    function: str  # legacy function name, e.g. "saveTrnsSalesOsdc"
    body: dict[str, Any]
    store: Store
    config: SimulatorConfig
    tin: str = ""
    bhf_id: str = ""
    gavaconnect: bool = False
    moment: datetime | None = None

    @property
    def strict(self) -> bool:
        return self.config.is_strict

    @property
    def scope(self) -> str:
        """Counter scope of this device: `<tin>/<bhfId>`."""
        return f"{self.tin}/{self.bhf_id}"

    @property
    def now(self) -> str:
        """This call's time in EAT as `yyyyMMddHHmmss`."""
        if self.moment is None:
            self.moment = now_eat()
        return kra_datetime(self.moment)


def no_result() -> Answer:
    return Answer("001")
