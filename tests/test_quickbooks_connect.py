"""Connecting a company: the authorization-code flow (real intuit-oauth) with the local callback and with a pasted
redirect address, the latter through the real `etims-connector quickbooks connect --paste` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from connector.config import load_settings
from connector.context import Context
from connector.errors import ConfigurationError
from connector.mapping import load_mapping
from connector.source_credentials import SourceSecrets
from plugins.quickbooks.adapter import QuickBooksAdapter
from plugins.quickbooks.config import QuickBooksConfig
from plugins.quickbooks.connect import CallbackServer, Connection
from plugins.quickbooks.harness import fake_options, seed
from plugins.quickbooks.testing import FakeQuickBooks
from plugins.quickbooks.tokens import Tokens
from tests.conftest import CONFIG_FILE, PIN


@pytest.fixture
def qbo():
    with FakeQuickBooks() as server:
        server.add_realm("9130350000000001")
        yield server


def test_connect_through_the_local_callback(qbo):
    with CallbackServer("http://127.0.0.1:0/callback") as server:
        qbo.register_client("app-2", "secret-2", [server.redirect_uri])
        secrets = SourceSecrets.in_memory("qbo", {"client_id": "app-2", "client_secret": "secret-2"})
        config = QuickBooksConfig.model_validate(fake_options(qbo, redirect_uri=server.redirect_uri))
        connection = Connection(Tokens(config, secrets, "qbo"), server.redirect_uri)
        page = httpx.get(connection.start(), follow_redirects=True, timeout=10)  # the bookkeeper's browser
        assert page.status_code == 200 and b"connected" in page.content
        assert connection.finish(server.wait(5)) == "9130350000000001"
    assert secrets.get("realm_id") == "9130350000000001"
    assert secrets.get("refresh_token") == qbo.oauth.current_refresh_token("app-2", "9130350000000001")
    seed(qbo.realm("9130350000000001"), 1)
    adapter = QuickBooksAdapter(config, load_mapping("quickbooks"), "qbo", secrets)
    assert len(list(adapter.fetch_new(None))) == 1


def test_a_redirect_from_another_attempt_is_refused(qbo):
    secrets = SourceSecrets.in_memory("qbo", {"client_id": qbo.client_id, "client_secret": qbo.client_secret})
    config = QuickBooksConfig.model_validate(fake_options(qbo, redirect_uri=qbo.redirect_uri))
    connection = Connection(Tokens(config, secrets, "qbo"))
    location = httpx.get(connection.start(), timeout=10).headers["location"]
    with pytest.raises(ConfigurationError, match="state differs"):
        Connection(Tokens(config, secrets, "qbo")).finish(location)
    assert secrets.get("refresh_token") is None


def test_connect_command_with_a_pasted_address(qbo, tmp_path: Path):
    options = fake_options(qbo, redirect_uri=qbo.redirect_uri)
    inline = ", ".join(f'{key} = "{value}"' if isinstance(value, str) else f"{key} = {value}"
                       for key, value in options.items())  # fmt: skip
    config = tmp_path / "etims-connector.toml"
    config.write_text(CONFIG_FILE.format(base="http://127.0.0.1:9/", pin=PIN)
                      + f'[[sources]]\nname = "qbo"\nadapter = "quickbooks"\noptions = {{ {inline} }}\n')  # fmt: skip
    env = {**os.environ, "QBO_CLIENT_ID": qbo.client_id, "QBO_CLIENT_SECRET": qbo.client_secret}
    command = [
        sys.executable,
        "-m",
        "connector.cli",
        "--config",
        str(config),
        "quickbooks",
        "connect",
        "qbo",
        "--paste",
    ]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env, cwd=tmp_path)  # fmt: skip
    try:
        url = ""
        while not url.startswith("http"):
            url = process.stdout.readline().strip()  # type: ignore[union-attr]
        location = httpx.get(url, timeout=10).headers["location"]  # consent, then the browser's address bar
        out, err = process.communicate(location + "\n", timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err
    assert "Connected QuickBooks company 9130350000000001" in out
    tokens = qbo.oauth.current_refresh_token(qbo.client_id, "9130350000000001")
    assert tokens not in out + err
    context = Context(load_settings(str(config)))
    try:
        stored = SourceSecrets.for_context(context, "qbo")
        assert stored.get("realm_id") == "9130350000000001" and stored.get("refresh_token") == tokens
        raw = context.db.conn.execute("SELECT group_concat(value) FROM source_secrets").fetchone()[0]
        assert tokens not in raw, "tokens are stored encrypted"
    finally:
        context.close()
