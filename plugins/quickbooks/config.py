"""The `[sources.options]` of a QuickBooks Online source. Secrets never live here: see docs/quickbooks.md.

    [[sources]]
    name = "qbo"
    adapter = "quickbooks"
    options = { environment = "production", write_custom_fields = { cu_invoice_number = "CU Invoice No" } }

Client id, client secret and the webhook verifier token come from the environment variables named below, else
from the source's encrypted store (`etims-connector source set-secret SOURCE client_id`). The realm id and the
OAuth tokens are stored encrypted by `etims-connector quickbooks connect SOURCE`.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# What a receipt can put into a QuickBooks custom field (each ≤ the field's length limit).
ReceiptField = Literal["cu_invoice_number", "signature", "receipt_number", "internal_data", "signed_at"]


class QuickBooksConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # "production", "sandbox", or the URL of an OpenID discovery document (a local test server)
    environment: str = "production"
    api_url: str | None = None  # the v3 API base, e.g. "http://127.0.0.1:PORT/v3"; None: Intuit's for the environment
    redirect_uri: str = "http://127.0.0.1:8471/callback"  # must be registered on the Intuit app
    client_id_env: str = "QBO_CLIENT_ID"
    client_secret_env: str = "QBO_CLIENT_SECRET"
    verifier_token_env: str = "QBO_VERIFIER_TOKEN"

    # reading
    start_date: date | None = None  # first run reads documents changed since this day; None: `backfill_days` ago
    backfill_days: int = Field(default=30, ge=1)
    page_size: int = Field(default=1000, ge=1, le=1000)
    cdc_max: int = Field(default=1000, ge=1)  # QBO's cap on objects per CDC answer (a full answer → query instead)

    # limits and networking (per realm, in this process)
    timeout_seconds: float = Field(default=30.0, gt=0)
    requests_per_minute: int = Field(default=500, ge=1)
    concurrent_requests: int = Field(default=10, ge=1)
    throttle_wait_seconds: float = Field(default=60.0, ge=0)  # after a 429 (Intuit: wait 60 s), unless Retry-After
    throttle_retries: int = Field(default=5, ge=0)
    error_retries: int = Field(default=2, ge=0)  # 5xx / HTML / connection errors, per call

    # mapping
    home_currency: str = "KES"
    default_unit: str = "each"  # QBO has no unit of measure: looked up in the mapping's [units]
    buyer_pin_field: str | None = None  # a custom field on the document holding the buyer's KRA PIN
    original_invoice_field: str | None = "Original Invoice"  # credit memos: custom field with the invoice number
    refund_reason_field: str | None = None  # credit memos: custom field with the reason ([refund_reasons])
    default_refund_reason: str = "Refund"
    not_applicable_tax_code: str = "NotApplicable"  # [taxes] key for GlobalTaxCalculation = NotApplicable

    # bills (KRA purchases): the Vendor field holding the supplier's KRA PIN (QBO masks TaxIdentifier)
    vendor_pin_field: str = Field(default="AcctNum", min_length=1)  # the vendor form's "Account no."

    # write-back
    write_custom_fields: dict[ReceiptField, str] = {}  # receipt value -> name of a sales-form custom field
    custom_field_max_length: int = Field(default=31, ge=1)
    customer_memo: bool = True  # add "KRA CU invoice no … / verify: <QR link>" to the printed customer memo
