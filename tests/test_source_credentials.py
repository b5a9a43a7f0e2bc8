"""Per-source secrets: encrypted at rest, environment first, the set-secret command, one holder at a time."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from connector.config import Settings
from connector.context import Context
from connector.errors import ConfigurationError, SecretKeyError
from connector.source_credentials import SourceSecrets

SECRET = "s3cret-Odoo-api-key-0123456789"


@pytest.fixture
def context(tmp_path: Path) -> Context:
    return Context(Settings(data_dir=tmp_path / "data"))


def test_stored_encrypted_and_read_back(context: Context, tmp_path: Path) -> None:
    secrets = SourceSecrets.for_context(context, "odoo-ke")
    secrets.set("password", SECRET)
    assert secrets.get("password") == SECRET
    assert secrets.names() == ["password"]
    assert SourceSecrets.for_context(context, "other").get("password") is None
    raw = b"".join(p.read_bytes() for p in (tmp_path / "data").glob("ledger.db*"))
    assert SECRET.encode() not in raw
    assert SECRET not in repr(secrets)


def test_rotation_writes_both_tokens_in_one_transaction(context: Context) -> None:
    secrets = SourceSecrets.for_context(context, "qbo")
    secrets.set_many({"refresh_token": "r1", "access_token": "a1"})
    secrets.set_many({"refresh_token": "r2", "access_token": "a2"})
    assert (secrets.get("refresh_token"), secrets.get("access_token")) == ("r2", "a2")


def test_environment_wins_then_store_then_a_named_error(context: Context) -> None:
    secrets = SourceSecrets.for_context(context, "odoo-ke")
    with pytest.raises(ConfigurationError, match=r"set \$ODOO_PW or run `etims-connector source set-secret odoo-ke"):
        secrets.require("password", env="ODOO_PW", environ={})
    secrets.set("password", "stored")
    assert secrets.require("password", env="ODOO_PW", environ={}) == "stored"
    assert secrets.require("password", env="ODOO_PW", environ={"ODOO_PW": "from-env"}) == "from-env"


def test_a_wrong_key_is_a_named_error_not_garbage(context: Context, tmp_path: Path) -> None:
    SourceSecrets.for_context(context, "odoo-ke").set("password", SECRET)
    (tmp_path / "data" / "secret.key").write_text("x" * 43 + "=\n")  # valid shape, wrong key
    fresh = Context(Settings(data_dir=tmp_path / "data"))
    with pytest.raises(SecretKeyError):
        SourceSecrets.for_context(fresh, "odoo-ke").get("password")


def test_exclusive_admits_one_thread_at_a_time(context: Context) -> None:
    secrets = SourceSecrets.for_context(context, "qbo")
    inside, overlaps = [0], [0]

    def work() -> None:
        with secrets.exclusive("refresh", ttl=5):
            inside[0] += 1
            overlaps[0] = max(overlaps[0], inside[0])
            time.sleep(0.02)
            inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps[0] == 1


HOLD = """
import sys, time
from pathlib import Path
from connector.config import Settings
from connector.context import Context
from connector.source_credentials import SourceSecrets
secrets = SourceSecrets.for_context(Context(Settings(data_dir=Path(sys.argv[1]))), "qbo")
with secrets.exclusive("refresh", ttl=30):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_exclusive_spans_processes(context: Context, tmp_path: Path) -> None:
    secrets = SourceSecrets.for_context(context, "qbo")
    secrets.set("refresh_token", "r1")  # creates the tables
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / "data"), "1.0"], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    with pytest.raises(TimeoutError, match="another process"), secrets.exclusive("refresh", ttl=30, wait=0.3):
        pass
    started = time.monotonic()
    with secrets.exclusive("refresh", ttl=30, wait=20):
        waited = time.monotonic() - started
    holder.wait(10)
    assert waited > 0.2  # it really waited for the other process to let go


def test_set_secret_command_reads_stdin_never_argv(tmp_path: Path) -> None:
    config = tmp_path / "etims-connector.toml"
    config.write_text('data_dir = "data"\n[[sources]]\nname = "odoo-ke"\nadapter = "csv"\n[sources.options]\n'
                      f'folder = "{tmp_path / "drop"}"\n')  # fmt: skip
    run = [sys.executable, "-m", "connector.cli", "--config", str(config), "source"]
    done = subprocess.run([*run, "set-secret", "odoo-ke", "password"], input=SECRET + "\n", capture_output=True,
                          text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr
    listed = subprocess.run([*run, "secrets", "odoo-ke"], capture_output=True, text=True, timeout=60)
    assert listed.stdout.split() == ["password"]
    context = Context(Settings(data_dir=tmp_path / "data"))
    assert SourceSecrets.for_context(context, "odoo-ke").get("password") == SECRET
    unknown = subprocess.run([*run, "set-secret", "nope", "password"], input="x\n", capture_output=True, text=True,
                             timeout=60)  # fmt: skip
    assert unknown.returncode == 2 and "unknown source 'nope'" in unknown.stderr
