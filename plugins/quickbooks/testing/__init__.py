"""A faithful fake QuickBooks Online (QBO) server and test kit for the QuickBooks adapter.

Everything here runs offline on 127.0.0.1 and speaks the wire protocol the real ``python-quickbooks`` 0.9.x and
``intuit-oauth`` 1.2.6 libraries use (spec: /work/shared/spec/quickbooks.md; shapes: /work/shared/samples/quickbooks).

Public API (stable; the adapter's tests code against it)
--------------------------------------------------------

Server (``plugins.quickbooks.testing.server``)::

    with FakeQuickBooks() as qbo:                     # ThreadingHTTPServer on 127.0.0.1:0, stops on exit
        qbo.base_url                                  # "http://127.0.0.1:PORT"
        qbo.discovery_url                             # pass as AuthClient(environment=...)
        qbo.api_url_v3                                # "http://127.0.0.1:PORT/v3" (QuickBooks subclass attrs)
        qbo.client_id, qbo.client_secret              # a pre-registered OAuth app ("fake-client-id", ...)
        qbo.verifier_token                            # webhook verifier token of that app
        qbo.redirect_uri                              # default registered redirect URI
        qbo.register_client(client_id, client_secret, redirect_uris=[...])
        realm = qbo.add_realm("9130350000000001", tax_model="global", home_currency="KES")  # -> Realm
        qbo.realm(realm_id) -> Realm
        tokens = qbo.issue_tokens(realm_id)           # -> TokenSet(access_token, refresh_token, realm_id,
                                                      #    expires_in, x_refresh_token_expires_in); no code flow
        qbo.authorize_url(state="x")                  # the URL a browser would open; following it (httpx GET,
                                                      # no auth) redirects to redirect_uri?code=..&state=..&realmId=..
        qbo.consent_realm                             # realm id the authorization endpoint grants (first realm)
        qbo.expire_access_tokens(realm_id=None)       # every issued access token answers 401 from now on
        qbo.revoke_refresh_tokens(realm_id=None)      # refresh -> 400 invalid_grant
        qbo.clock                                     # FakeClock: .now() (aware UTC), .advance(seconds)
        qbo.access_token_ttl = 3600                   # seconds (checked against qbo.clock)
        qbo.refresh_grace_seconds = 0.0               # superseded refresh token honoured this long (default 0:
                                                      # strict rotation — spec §1.6 "the superseded one goes stale")
        qbo.rotate_every_refresh = True               # False: same refresh token back until it is 24 h old
        qbo.oauth.current_refresh_token(client_id, realm_id)   # what the provider considers current
        qbo.token_requests                            # list of (grant_type, ok: bool) seen by the token endpoint
        qbo.latency = 0.0                             # seconds added before every API answer (all realms)
        qbo.webhooks_to(url, fmt="cloudevents"|"legacy", verifier_token=None) -> AutoWebhooks
                                                      # auto-send, signed, one POST per create/update/void/delete
                                                      # of an Invoice/CreditMemo/Customer/Item — the API's (your
                                                      # adapter's own write-backs included) and the test's; a
                                                      # non-2xx or refused POST is retried after .retry_delays
                                                      # (default 0.2, 0.5, 1 s) then dropped (CDC must catch up)
        qbo.stop_webhooks(); qbo.webhook_deliveries   # list of WebhookDelivery(status, body, signature, error)
        qbo.wait_webhooks(timeout=5.0)                # block until queued auto-webhooks are delivered

    Realm (one company; thread-safe; every mutation made "in QBO" by a user goes through it)::
        realm.realm_id
        realm.add(entity_name, obj) -> dict           # a bookkeeper saves a builder dict in QBO: validated like
                                                      # an API create (keeps a given Id if free), SyncToken "0",
                                                      # MetaData, totals recomputed; CDC + webhook "Create"
        realm.create(entity_name, obj, by=None)       # same; `by=realm.api_user_id` = as the API would
        realm.get(entity_name, id) -> dict            # deep copy of the stored entity (None if absent/deleted)
        realm.all(entity_name) -> list[dict]          # live (not deleted) entities
        realm.edit(entity_name, id, **fields) -> dict # a bookkeeper's edit: sets fields, SyncToken+1, webhook "Update"
                                                      # (an inventory adjustment: edit("Item", id, QtyOnHand=...))
                                                      # saving/updating/voiding/deleting an Invoice lowers the
                                                      # QtyOnHand of its Inventory items (a CreditMemo raises it),
                                                      # as QBO does (inventory.py)
        realm.void(entity_name, id) / realm.delete(entity_name, id)   # as a user would; webhook Void / Delete
                                                      # (void: amounts 0, PrivateNote "Voided"; delete: tombstone)
        realm.set_custom_fields(["CU Invoice No", "KRA Signature", None])  # names of sales custom fields 1..3;
                                                      # None = disabled (QBO silently drops values sent for it)
        realm.custom_field_max_length = 31            # longer StringValue -> 2050 fault (limit is unconfirmed)
        realm.tax_rates -> {TaxCode Id: Rate(rate_id, percent)}  (from the realm's TaxCode/TaxRate entities)
        realm.api_user_id / realm.ui_user_id          # MetaData.LastModifiedByRef of API writes / of test edits
        realm.unique_doc_numbers = False              # True: a duplicate DocNumber → 6210 fault
        realm.exchange_rates = {"USD": Decimal(...)}  # default ExchangeRate for foreign-currency documents
        realm.cdc_max = 1000; realm.cdc_days = 30     # CDC object cap and look-back limit; a CDC `time` is a safe
                                                      # watermark (read under the store lock)
        realm.us_tax_rates = {"2": Rate("3", 8)}      # tax_model="us": TxnTaxCodeRef Id -> combined rate
        realm.requests                                # Counter[(method, route)] e.g. ("GET", "invoice/{id}"),
                                                      # ("POST", "query"), ("GET", "cdc"), ("POST", "invoice")
        realm.request_log                             # list of RequestRecord(method, route, query, body, status)
        realm.writes                                  # number of applied API writes (a requestid replay is not)
        realm.inject(kind, count=1, route=None)       # next `count` API calls (optionally on one route) answer a
                                                      # fault: "validation_400", "unauthorized_401",
                                                      # "unauthorized_401_xml", "forbidden_403", "not_found_404",
                                                      # "stale_5010", "throttle_429_xml", "throttle_429_json",
                                                      # "server_500_html"
        realm.throttle_storm(n, fmt="xml"|"json")     # the next n calls answer 429
        realm.limit(per_minute=500, concurrent=10, fmt="xml")   # a real limiter (sliding minute on qbo.clock
                                                      # + in-flight count); excess calls answer 429
        realm.latency = 0.0                           # extra seconds for this realm only

Builders (``plugins.quickbooks.testing.builders``) — pure functions returning QBO JSON dicts (amounts Decimal)::

    KENYA_TAX (module constant)                       # {TaxCode Id: Rate}: "21" 16 %, "22" 8 %, "23" zero-rated,
                                                      # "24" exempt (TaxRate Ids 11..14), as in the samples
    kenya_tax_entities() -> (tax_codes, tax_rates)    # TaxCode + TaxRate dicts (add_realm loads them)
    make_tax_code(id, name, rate_id, rate_name, percent, special="NONE") -> (tax_code, tax_rate)
    make_customer(display_name, *, id=None, currency="KES", email=None, pin=None, tax_code=None) -> dict
    make_item(name, *, id=None, type="Service"|"Inventory"|"NonInventory"|"Group", sku=None,
              unit_price="0", tax_code="21", description=None, tax_included=False,
              qty_on_hand=100, purchase_cost=0) -> dict   # Inventory: QtyOnHand, PurchaseCost
    sales_line(item, qty, unit_price=None, *, tax_code=None, description=None, service_date=None,
               gross=None) -> dict                   # SalesItemLineDetail; `gross` = line total incl. tax
                                                      # (TaxInclusive mode); tax_code defaults to the item's
    discount_line(amount=None, *, percent=None, account="86") -> dict          # DiscountLineDetail
    group_line(group_item, lines, qty=1) -> dict      # GroupLineDetail bundle
    description_line(text) -> dict                    # DescriptionOnly
    make_invoice(customer, lines, *, tax_calculation="TaxExcluded"|"TaxInclusive"|"NotApplicable",
                 doc_number=None, txn_date=None, due_date=None, currency=None, exchange_rate=None,
                 custom_fields=None,                  # {definition_id or name: value}
                 linked_txn=None, private_note=None, customer_memo=None,
                 tax_rates=None,                      # {TaxCode Id: Rate}; default KENYA_TAX
                 us_tax=None) -> dict                 # (TxnTaxCodeRef, TaxRateRef, percent) → US model
    make_credit_memo(customer, lines, **same) -> dict
    make_vendor(display_name, *, id=None, acct_num=None, tax_identifier=None, currency="KES") -> dict
                                                      # AcctNum = the vendor form's "Account no."; TaxIdentifier
                                                      # is returned masked (last 4 characters), as QBO does
    item_expense_line(item, qty, unit_price=None, *, tax_code=None, gross=None) -> dict
                                                      # ItemBasedExpenseLineDetail (UnitPrice: PurchaseCost)
    account_expense_line(amount, *, account="7", tax_code="21") -> dict   # AccountBasedExpenseLineDetail
    make_bill(vendor, lines, *, doc_number=None, txn_date=None, tax_calculation="TaxExcluded", currency=None,
              exchange_rate=None) -> dict            # DocNumber = "Bill no."; a Bill saved in the realm raises
                                                      # the QtyOnHand of its Inventory items (inventory.py)
    compute_totals(doc, tax_rates) -> dict            # (re)computes SubTotal line, TxnTaxDetail, TotalAmt,
                                                      # Balance, HomeTotalAmt in place; what the server uses

Webhooks (``plugins.quickbooks.testing.webhooks``)::

    sign(body: bytes, verifier_token: str) -> str     # base64(HMAC-SHA256(token, raw body)) = intuit-signature
    ChangeEvent(realm_id, entity, entity_id, operation, last_updated: datetime, deleted_id=None)
    legacy_body(events) -> bytes                      # {"eventNotifications": [...]} grouped per realm
    cloudevents_body(events) -> bytes                 # [{"specversion": "1.0", "type": "qbo.invoice.updated.v1",...}]
    send_webhook(url, body, verifier_token, *, signature=None, timeout=5.0) -> httpx.Response
    forge_signature(body) -> str                      # a well-formed but wrong signature
    WebhookSender(url, verifier_token, fmt="cloudevents")   .send(events) -> Response, .replay_last() -> Response,
                                                      .send_forged(events) -> Response, .sent (list of bodies)

Client helpers (``plugins.quickbooks.testing.clients``) for tests that drive the real libraries::

    local_quickbooks_class(api_url_v3) -> type[QuickBooks]   # subclass with api_url_v3/sandbox_api_url_v3 set
    auth_client(qbo, tokens=None) -> intuitlib.client.AuthClient   # environment=qbo.discovery_url
    quickbooks_client(qbo, tokens) -> QuickBooks      # minorversion=75, use_decimal=True, access token passed
    (set OAUTHLIB_INSECURE_TRANSPORT=1 yourself — clients.insecure_transport() context manager does it)

Assumptions where the spec and samples are silent are listed in ``server.py``'s and ``builders.py``'s docstrings.
"""

from .builders import (
    KENYA_TAX,
    account_expense_line,
    custom_field_values,
    description_line,
    discount_line,
    group_line,
    item_expense_line,
    kenya_tax_entities,
    make_bill,
    make_credit_memo,
    make_customer,
    make_invoice,
    make_item,
    make_tax_code,
    make_vendor,
    sales_line,
)
from .clients import auth_client, insecure_transport, local_quickbooks_class, quickbooks_client
from .oauth import TokenSet
from .realm import Realm
from .server import FakeQuickBooks
from .tax import Rate, compute_totals
from .webhooks import ChangeEvent, WebhookSender, cloudevents_body, forge_signature, legacy_body, send_webhook, sign

__all__ = [
    "KENYA_TAX",
    "ChangeEvent",
    "FakeQuickBooks",
    "Rate",
    "Realm",
    "TokenSet",
    "WebhookSender",
    "account_expense_line",
    "auth_client",
    "cloudevents_body",
    "compute_totals",
    "custom_field_values",
    "description_line",
    "discount_line",
    "forge_signature",
    "group_line",
    "insecure_transport",
    "item_expense_line",
    "kenya_tax_entities",
    "legacy_body",
    "local_quickbooks_class",
    "make_bill",
    "make_credit_memo",
    "make_customer",
    "make_invoice",
    "make_item",
    "make_tax_code",
    "make_vendor",
    "quickbooks_client",
    "sales_line",
    "send_webhook",
    "sign",
]
