"""The addon's optional push (ODOO-FIELDS.md, plugins/odoo/addon/…/notify.py): when the addon is installed and
`kra_etims_connector.notify_url` is set (`.notify_token` is sent as is, possibly empty), posting invoices or credit
notes (and "Send to KRA again") makes Odoo POST `{"database", "model": "account.move", "ids": [sorted ids]}` once
per transaction to `<notify_url>/webhooks/odoo` with header X-Etims-Token, after the commit, with a short timeout;
a failure is only logged (here: recorded in `sent`) and never blocks the user."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from plugins.odoo.testing.server import FakeOdoo

URL_KEY, TOKEN_KEY = "kra_etims_connector.notify_url", "kra_etims_connector.notify_token"


@dataclass
class Notification:
    ids: list[int]
    status: int | None  # the connector's HTTP status, None when it could not be reached
    error: str = ""


class Notifier:
    def __init__(self, odoo: FakeOdoo, timeout: float = 3.0) -> None:
        self.odoo = odoo
        self.timeout = timeout
        self.sent: list[Notification] = []
        self._threads: list[threading.Thread] = []

    def param(self, key: str) -> str | None:
        for row in self.odoo.store.tables["ir.config_parameter"].values():
            if row["key"] == key:
                return row["value"] or None
        return None

    def moves_posted(self, ids: list[int]) -> None:
        """Called after a post commits; sends in the background like the addon's post-commit hook."""
        url, token = self.param(URL_KEY), self.param(TOKEN_KEY)
        moves = self.odoo.store.tables["account.move"]
        ids = [i for i in ids if moves[i]["move_type"] in ("out_invoice", "out_refund")]
        if not (self.odoo.addon_installed and url and ids):
            return
        thread = threading.Thread(
            target=self._send, args=(url, token or "", sorted(ids)), daemon=True, name="fake-odoo-notify"
        )
        self._threads.append(thread)
        thread.start()

    def _send(self, url: str, token: str, ids: list[int]) -> None:
        body = json.dumps({"database": self.odoo.database, "model": "account.move", "ids": ids}).encode()
        request = urllib.request.Request(
            url.rstrip("/") + "/webhooks/odoo",
            data=body,
            headers={"Content-Type": "application/json", "X-Etims-Token": token},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                self.sent.append(Notification(ids, response.status))
        except urllib.error.HTTPError as error:
            self.sent.append(Notification(ids, error.code, str(error)))
        except OSError as error:
            self.sent.append(Notification(ids, None, str(error)))

    def wait(self, timeout: float = 10.0) -> None:
        """Let the background sends finish (for tests)."""
        for thread in list(self._threads):
            thread.join(timeout)
        self._threads = [t for t in self._threads if t.is_alive()]
