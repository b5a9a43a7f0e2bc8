"""`etims-connector --help` builds every parser without the heavy libraries: they load inside the command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HEAVY = ("pydantic", "httpx", "huey", "sqlite_utils", "fpdf", "psycopg", "redis", "simplejson", "connector.config",
         "connector.context", "connector.ledger", "connector.kra")  # fmt: skip
ROOT = Path(__file__).resolve().parent.parent


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return {name for name in out.split() if any(name == h or name.startswith(h + ".") for h in HEAVY)}


def test_help_loads_no_heavy_module() -> None:
    loaded = _loaded_after("from connector.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass")
    assert loaded == set()


def test_every_command_help_loads_no_heavy_module() -> None:
    from connector.cli import COMMAND_MODULES

    code = "from connector.cli import build_parser\nbuild_parser()"
    assert _loaded_after(code) == set(), COMMAND_MODULES


def test_a_command_still_finds_what_it_imports_late(tmp_path: Path) -> None:
    """`payload schema` imports the models inside the command: it prints the canonical schema."""
    done = subprocess.run(
        [sys.executable, "-m", "connector.cli", "payload", "schema"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert '"lines"' in done.stdout
