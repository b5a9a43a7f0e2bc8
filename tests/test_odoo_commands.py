"""`etims-connector odoo addon-path` prints the folder that holds the addon (the one to add to addons_path)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path


def test_addon_path_prints_the_folder_holding_the_addon() -> None:
    done = subprocess.run([sys.executable, "-m", "connector.cli", "odoo", "addon-path"], capture_output=True,
                          text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    folder = Path(done.stdout.strip())
    manifest = ast.literal_eval((folder / "kra_etims_connector" / "__manifest__.py").read_text())
    assert manifest["license"] == "LGPL-3" and "account" in manifest["depends"]
