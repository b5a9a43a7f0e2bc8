"""What a command or worker needs, opened lazily from the settings: database, secrets, KRA clients."""

from __future__ import annotations

import threading
from functools import cached_property
from typing import Any

import httpx

from connector.config import DeviceSettings, Settings
from connector.db import open_ledger
from connector.devices import DeviceStore
from connector.encryption import SecretBox
from connector.kra.auth import GavaConnectToken
from connector.kra.client import KraClient
from connector.ledger import Ledger


class Context:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._local = threading.local()
        self._token: GavaConnectToken | None = None
        self._lock = threading.Lock()

    @property
    def db(self) -> Any:
        """One ledger connection per thread (SQLite file, or PostgreSQL when `ledger_url` is set)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = open_ledger(self.settings)
        return db

    @cached_property
    def box(self) -> SecretBox:
        return SecretBox(self.settings.data_dir)

    @property
    def devices(self) -> DeviceStore:
        store = getattr(self._local, "devices", None)
        if store is None:
            store = self._local.devices = DeviceStore(self.db, self.box)
        return store

    @property
    def ledger(self) -> Ledger:
        """The ledger on this thread's connection (its schema is checked once per connection)."""
        ledger = getattr(self._local, "ledger", None)
        if ledger is None:
            ledger = self._local.ledger = Ledger(self.db)
        return ledger

    @cached_property
    def http(self) -> httpx.Client:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
        return httpx.Client(limits=limits, follow_redirects=False)

    def client(self, device: DeviceSettings | None = None, *, initialised: bool = True) -> KraClient:
        """A KRA client; for a device that must be initialised, with its decrypted credentials."""
        kra = self.settings.kra
        credentials = self.devices.credentials(device) if (device is not None and initialised) else None
        with self._lock:
            if kra.profile == "gavaconnect" and self._token is None:
                secret = kra.consumer_secret.get_secret_value() if kra.consumer_secret else None
                self._token = GavaConnectToken(self.http, kra.oauth_token_url(), kra.consumer_key, secret)
        return KraClient(kra, self.http, credentials, token=self._token)

    def close(self) -> None:
        if "http" in self.__dict__:
            self.http.close()
