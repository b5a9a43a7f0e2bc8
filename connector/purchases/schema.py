"""Purchase tables: suppliers' sales KRA listed for a device, the source's bills, the purchase numbers.

Appended to the ledger's script (connector/ledger/schema.py), so `Ledger(db)` creates them in an existing
ledger too, and `ledger migrate` copies them.
"""

# Bill states: unmatched (no supplier sale yet) -> queued (matched) -> sending -> confirmed;
# sending -> unknown (resent with the same number) / retry-wait (same number) / needs-fix (number given back).
UNMATCHED = "unmatched"
QUEUED = "queued"
SENDING = "sending"
UNKNOWN = "unknown"
RETRY_WAIT = "retry-wait"
CONFIRMED = "confirmed"
NEEDS_FIX = "needs-fix"
BILL_STATES = (UNMATCHED, QUEUED, SENDING, UNKNOWN, RETRY_WAIT, CONFIRMED, NEEDS_FIX)
IN_FLIGHT = (SENDING, UNKNOWN)  # resolved before the device confirms anything else
MIGRATED_TABLES = ("supplier_sales", "bills", "bill_events", "purchase_sequences")
IDENTITY_TABLES = ("supplier_sales", "bills", "bill_events")

TABLES = """
        CREATE TABLE IF NOT EXISTS supplier_sales (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            device_key TEXT NOT NULL,
            supplier_pin TEXT NOT NULL,
            supplier_branch TEXT NOT NULL,
            supplier_invoice_number TEXT NOT NULL,
            supplier_name TEXT,
            sale TEXT NOT NULL,
            total_amount TEXT,
            sold_on TEXT,
            fetched_at TEXT NOT NULL,
            bill_id INTEGER,
            UNIQUE (device_key, supplier_pin, supplier_branch, supplier_invoice_number)
        );
        CREATE TABLE IF NOT EXISTS bills (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            source TEXT NOT NULL,
            external_id TEXT NOT NULL,
            number TEXT,
            device_key TEXT NOT NULL,
            supplier_pin TEXT NOT NULL,
            supplier_invoice_number TEXT NOT NULL,
            state TEXT NOT NULL,
            canonical TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            supplier_sale_id INTEGER,
            purchase_number INTEGER,
            request TEXT,
            reason TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at REAL,
            sent_unknown INTEGER NOT NULL DEFAULT 0,
            stock_move TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            confirmed_at TEXT,
            UNIQUE (source, external_id)
        );
        CREATE UNIQUE INDEX IF NOT EXISTS bills_device_purchase_number
            ON bills (device_key, purchase_number) WHERE purchase_number IS NOT NULL;
        CREATE INDEX IF NOT EXISTS bills_device_state ON bills (device_key, state, id);
        CREATE TABLE IF NOT EXISTS bill_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            bill_id INTEGER NOT NULL,
            at TEXT NOT NULL,
            from_state TEXT,
            to_state TEXT,
            detail TEXT
        );
        CREATE INDEX IF NOT EXISTS bill_events_bill ON bill_events (bill_id);
        CREATE TABLE IF NOT EXISTS purchase_sequences (
            device_key TEXT PRIMARY KEY,
            next_purchase_number INTEGER NOT NULL
        )
        """
