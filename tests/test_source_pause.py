"""A source that needs a person (revoked OAuth grant, wrong password) pauses with one alert, no traceback."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import BaseModel

from connector.adapters import SourceAdapter
from connector.daemon import Daemon
from connector.errors import ConfigurationError
from connector.ledger import Ledger
from connector.pipeline import Source, default_mapping
from connector.testing import wait_for
from tests.conftest import make_settings


class NoOptions(BaseModel):
    pass


class RevokedErp(SourceAdapter):
    name = "revoked"
    Config = NoOptions

    def __init__(self) -> None:
        super().__init__(self.Config(), default_mapping("test"), "books")
        self.polls = 0

    def fetch_new(self, cursor):
        self.polls += 1
        raise ConfigurationError("QuickBooks refused the refresh token (invalid_grant): reconnect QuickBooks")

    def to_canonical(self, document):
        raise NotImplementedError

    def write_back(self, ref, receipt) -> None:
        raise NotImplementedError


def test_a_source_needing_configuration_pauses_with_one_alert(
    tmp_path: Path, simulator, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path, simulator.legacy_base)
    erp = RevokedErp()
    source = Source("books", erp, default_mapping("test"), settings.device())
    settings.sources = []
    daemon = Daemon(settings, sources={"books": source}, workers=1)
    daemon._interval = lambda source: 0.05  # type: ignore[method-assign]  # poll fast; the pause must still hold
    caplog.set_level(logging.INFO, logger="connector.daemon")
    daemon.start()
    try:
        ledger = Ledger(daemon.context.db)
        wait_for(lambda: ledger.db["alerts"].count == 1, what="an alert")
        daemon.stopping.wait(0.5)
    finally:
        daemon.stop()
    assert erp.polls == 1  # paused, not polled every 50 ms
    alert = ledger.db.execute("SELECT kind, message FROM alerts").fetchone()
    assert alert == ("configuration", "source books: QuickBooks refused the refresh token (invalid_grant): "
                     "reconnect QuickBooks")  # fmt: skip
    assert "source books paused: " in caplog.text and "Traceback" not in caplog.text
