"""Stock tables: the per-device sarNo sequence, KRA's quantity per device and item, and the documents'
`stock_number` column (sarNo), added to a ledger that predates it.

Appended to the ledger's script (connector/ledger/schema.py), so `Ledger(db)` creates them in an existing
ledger too, and `ledger migrate` copies them.
"""

from __future__ import annotations

from typing import Any

MIGRATED_TABLES = ("stock_sequences", "stock_levels")

TABLES = """
        CREATE TABLE IF NOT EXISTS stock_sequences (
            device_key TEXT PRIMARY KEY,
            next_stock_number INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS stock_levels (
            device_key TEXT NOT NULL,
            item_code TEXT NOT NULL,
            quantity TEXT NOT NULL,
            master_quantity TEXT,
            master_problem TEXT,
            master_attempts INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (device_key, item_code)
        )
        """
# Quantities are stored as Decimal text (exact on both backends, like the ledger's canonical JSON).

NUMBER_INDEX = (
    "CREATE UNIQUE INDEX IF NOT EXISTS documents_device_stock_number"
    " ON documents (device_key, stock_number) WHERE stock_number IS NOT NULL"
)


def ensure_columns(db: Any) -> None:
    """Give `documents` its sarNo column (and unique index) when the ledger was created before stock."""
    if db.dialect == "postgresql":
        db.execute("ALTER TABLE documents ADD COLUMN IF NOT EXISTS stock_number BIGINT")
    else:
        columns = {row[1] for row in db.execute("PRAGMA table_info(documents)").fetchall()}
        if "stock_number" not in columns:
            db.execute("ALTER TABLE documents ADD COLUMN stock_number INTEGER")
    db.execute(NUMBER_INDEX)
