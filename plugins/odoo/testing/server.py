"""FakeOdoo: a real HTTP server on 127.0.0.1 speaking what odoorpc 0.10.1 uses, built from the recorded
transcripts (samples/odoo/{17,18}): POST /web/webclient/version_info and POST /jsonrpc (services common, object,
db), envelopes echoing the request id, every error as HTTP 200 with Odoo's error shape.

Assumptions where the transcripts are silent:
- Concurrency ("record busy"): Odoo retries a serialization failure itself and, when it keeps failing, answers
  the psycopg2 error; the fake answers {"name": "psycopg2.errors.SerializationFailure", "message": "could not
  serialize access due to concurrent update"} in the usual error envelope.
- An unknown JSON route answers HTTP 404 with {"error": {"code": 404, "message": "404: Not Found", …}}.
- An unknown database answers psycopg2.OperationalError "…database "x" does not exist".
- An unknown field in a domain: ValueError "Invalid field model.x in leaf (…)"; unknown field written or created:
  ValueError "Invalid field 'x' on model 'm'" (the read message).
- Posted moves: 18 refuses partner_id, invoice_date, date, currency_id, journal_id, company_id, move_type with the
  transcript's "readonly fields on a posted move" message; 17 accepts partner_id (as recorded), refuses a date with
  the recorded sequence ValidationError, and the other fields with 18's message. Posted journal items refuse tax,
  price, quantity, discount, product and amount changes with the recorded tax message.
- message_post does not change the record's write_date; a credit note's posting marks its (fully reversed)
  original payment_state "reversed" and bumps the original's write_date (05-poll-moves shows invoice 1 polled again).
- Draft names: 17 shows "/" for a draft invoice and names a reversal at creation; 18 leaves both false until posted.
- Many2one ordering sorts by display name (Odoo sorts by the related model's _order).
- Multi-company: searches apply the record rules (rows of env.companies or without a company); env.companies is
  the context's allowed_company_ids, else the user's current company (1), as over RPC in Odoo 17/18. `read` of a
  given id is not restricted.
- Only `account.move` create with `invoice_line_ids` (0, 0, vals) commands builds lines; other one2many commands
  are not interpreted.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from plugins.odoo.testing.errors import OdooError
from plugins.odoo.testing.notify import TOKEN_KEY, URL_KEY, Notifier
from plugins.odoo.testing.records import Builder, InvoiceLine, StandardIds
from plugins.odoo.testing.rpc import Dispatcher
from plugins.odoo.testing.schema import AUDIT_FIELDS, Field, addon_fields, build_schema
from plugins.odoo.testing.stock import StockBuilder, stock_schema
from plugins.odoo.testing.store import Clock, Store

VERSIONS = {
    "17": {
        "server_version": "17.0-20240709",
        "server_version_info": [17, 0, 0, "final", 0, ""],
        "server_serie": "17.0",
    },
    "18": {
        "server_version": "18.0-20250925",
        "server_version_info": [18, 0, 0, "final", 0, ""],
        "server_serie": "18.0",
    },
}


class Faults:
    """Fault injection: latency, busy records, generic failures on the next calls."""

    def __init__(self) -> None:
        self.latency = 0.0
        self._busy: Counter[tuple[str, int]] = Counter()
        self._fail: Counter[str] = Counter()
        self._lock = threading.Lock()

    def busy(self, model: str, record_id: int, times: int = 1) -> None:
        with self._lock:
            self._busy[(model, record_id)] += times

    def fail_next(self, method: str = "*", times: int = 1) -> None:
        with self._lock:
            self._fail[method] += times

    def before_call(self, model: str, method: str, args: list[Any]) -> None:
        with self._lock:
            for key in (method, "*"):
                if self._fail[key] > 0:
                    self._fail[key] -= 1
                    raise OdooError("builtins.RuntimeError", f"injected failure in {model}.{method}")

    def before_write(self, model: str, record_id: int) -> None:
        with self._lock:
            if self._busy[(model, record_id)] > 0:
                self._busy[(model, record_id)] -= 1
                raise OdooError(
                    "psycopg2.errors.SerializationFailure", "could not serialize access due to concurrent update"
                )


class FakeOdoo:
    def __init__(self, version: str = "18", *, addon: bool = True, oscu: bool = False, database: str = "demo",
                 login: str = "admin", password: str = "admin", api_key: str | None = None,
                 standard: bool = True, stock: bool = False) -> None:  # fmt: skip
        if version not in VERSIONS:
            raise ValueError(f"version must be '17' or '18', not {version!r}")
        self.version, self.database, self.login, self.password, self.api_key = (
            version,
            database,
            login,
            password,
            api_key,
        )
        self.databases = [database]
        self._schema = build_schema(version)
        self._schema_with_addon = dict(self._schema)
        self._schema_with_addon["account.move"] = self._schema["account.move"] | addon_fields()
        self._stock_fields = stock_schema(version)
        self._schemas = {
            (addon, stock): _overlay(self._schema_with_addon if addon else self._schema, self._stock_fields, stock)
            for addon in (False, True)
            for stock in (False, True)
        }
        self.store = Store(dict(self._schema_with_addon))
        self.builder = Builder(self.store, version)
        self.stock = StockBuilder(self.builder)  # its records exist once the Inventory app is first installed
        self.faults = Faults()
        self.dispatcher = Dispatcher(self)
        self.notifier = Notifier(self)
        self.builder.on_posted = self.notifier.moves_posted
        self.host, self.port = "127.0.0.1", 0
        self._http: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._standard = standard
        if standard:
            self.builder.standard_setup()
        self._addon = self._oscu = self._stock = self._stock_loaded = False
        self.addon_installed, self.oscu_installed, self.stock_installed = addon, oscu, stock

    # -- switches ---------------------------------------------------------------------------------------------
    def schema(self) -> dict[str, dict[str, Field]]:
        return self._schemas[(self._addon, self._stock)]

    def set_module(self, name: str, state: str | None, module_id: int | None = None) -> None:
        """An ir.module.module record in `state` ("installed", "uninstalled", "to upgrade", …); None = not on the
        addons path at all (Odoo then has no record for it)."""
        with self.store.lock:
            table = self.store.tables["ir.module.module"]
            existing = [r["id"] for r in table.values() if r["name"] == name]
            for record_id in existing:
                del table[record_id]
            if state is not None:
                values = {"name": name, "state": state, "shortdesc": name}
                self.store.insert("ir.module.module", values, module_id or (existing[0] if existing else None))

    def _module(self, name: str, installed: bool) -> None:
        self.set_module(name, "installed" if installed else None)

    @property
    def addon_installed(self) -> bool:
        return self._addon

    @addon_installed.setter
    def addon_installed(self, value: bool) -> None:
        self._addon = bool(value)
        self._module("kra_etims_connector", self._addon)

    @property
    def oscu_installed(self) -> bool:
        return self._oscu

    @oscu_installed.setter
    def oscu_installed(self, value: bool) -> None:
        self._oscu = bool(value)
        self._module("l10n_ke_edi_oscu", self._oscu)

    @property
    def stock_installed(self) -> bool:
        """The Inventory app (module `stock`): its models, product fields and standard records (testing/stock.py)."""
        return self._stock

    @stock_installed.setter
    def stock_installed(self, value: bool) -> None:
        self._stock = bool(value)
        if self._stock and not self._stock_loaded:
            with self.store.lock:
                for model, fields in self._stock_fields.items():
                    self.store.schema[model] = (self.store.schema.get(model) or AUDIT_FIELDS) | fields
                    self.store.tables.setdefault(model, {})
                    if model not in self._schema:
                        self.store.insert("ir.model", {"model": model, "name": model})
                if self._standard:
                    self.stock.setup()
            self._stock_loaded = True
        self._module("stock", self._stock)

    def password_ok(self, password: Any) -> bool:
        return password == self.password or (self.api_key is not None and password == self.api_key)

    def version_info(self) -> dict[str, Any]:
        return VERSIONS[self.version] | {"protocol_version": 1}

    # -- builders and inspection ------------------------------------------------------------------------------
    @property
    def ids(self) -> StandardIds:
        return self.builder.ids

    @property
    def clock(self) -> Clock:
        return self.store.clock

    @property
    def calls(self) -> Counter[tuple[str, str]]:
        return self.dispatcher.calls

    def make_invoice(self, lines: list[InvoiceLine], **kwargs: Any) -> int:
        return self.builder.make_invoice(lines, **kwargs)

    def make_bill(self, lines: list[InvoiceLine], vendor: int, ref: str | bool = False, **kwargs: Any) -> int:
        return self.builder.make_bill(lines, vendor, ref, **kwargs)

    def add_vendor(self, name: str, vat: str | bool = False, country: int | None = 114) -> int:
        """A supplier company (supplier_rank 1) with its Tax ID (KRA PIN) and country (Kenya by default)."""
        with self.store.lock:
            values = {"name": name, "is_company": True, "vat": vat, "supplier_rank": 1, "country_id": country or False}
            return self.builder.add_partner(values)

    def make_credit_note(self, invoice_id: int, reason: str = "", post: bool = True, date: str | None = None) -> int:
        return self.builder.make_credit_note(invoice_id, reason, post, date)

    def post(self, move_id: int) -> None:
        with self.store.lock:
            self.builder.post(move_id)

    def make_invoices(self, count: int, post: bool = True, company: int = 1) -> list[int]:
        """Many invoices fast (direct inserts), cycling through partners, products, taxes and quantities."""
        ids = self.ids
        products = [ids.product_widget, ids.product_service, ids.product_sugar, ids.product_flour, ids.product_soda]
        partners = [ids.partner_acme, ids.partner_walkin]
        made = []
        for n in range(count):
            lines = [InvoiceLine(products[n % 5], 1 + n % 4, 100 + n % 50), InvoiceLine(products[(n + 2) % 5], 2, 75)]
            made.append(self.builder.make_invoice(lines, partner=partners[n % 2], company=company, post=post))
        return made

    def add_company(self, name: str, currency: int | None = None) -> int:
        with self.store.lock:
            return self.builder.add_company(name, currency)

    def set_rate(self, currency: int, rate: Decimal, date: str = "2026-01-01") -> None:
        with self.store.lock:
            self.builder.set_rate(currency, rate, date)

    def record(self, model: str, record_id: int) -> dict[str, Any]:
        with self.store.lock:
            names = [n for n in self.schema()[model] if n not in ("id", "needed_terms")]
            return self.store.render(model, self.store.get(model, record_id), names, False)

    def messages(self, move_id: int, model: str = "account.move") -> list[dict[str, Any]]:
        with self.store.lock:
            rows = [
                m for m in self.store.tables["mail.message"].values() if m["model"] == model and m["res_id"] == move_id
            ]
            return [dict(m) for m in sorted(rows, key=lambda m: m["id"])]

    def set_param(self, key: str, value: Any) -> None:
        """ir.config_parameter (set_param semantics: a false value removes the key)."""
        with self.store.lock:
            table = self.store.tables["ir.config_parameter"]
            for record_id in [r["id"] for r in table.values() if r["key"] == key]:
                del table[record_id]
            if value:
                self.store.insert("ir.config_parameter", {"key": key, "value": str(value)})

    def configure_notify(self, url: str | None, token: str | None) -> None:
        """The addon's settings: the connector's base URL and token (None clears them)."""
        self.set_param(URL_KEY, url)
        self.set_param(TOKEN_KEY, token)

    def request_resend(self, move_id: int) -> None:
        """The accountant presses "Send to KRA again" on a needs-fix invoice (the addon's action_kra_send_again:
        kra_resend_requested True, kra_state "queued", a notification); OdooError unless kra_state is needs_fix."""
        with self.store.lock:
            self.dispatcher.m_action_kra_send_again("account.move", [move_id])

    def touch(self, model: str, record_id: int) -> None:
        with self.store.lock:
            self.store.update(model, record_id, {})

    # -- HTTP ----------------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeOdoo:
        handler = type("Handler", (_Handler,), {"odoo": self})
        self._http = ThreadingHTTPServer((self.host, self.port), handler)
        self._http.daemon_threads = True
        self.port = self._http.server_address[1]
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.05,), name="fake-odoo", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Down: the port refuses connections until start() binds the same port again (store kept)."""
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeOdoo:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    odoo: FakeOdoo
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._send(404, {"jsonrpc": "2.0", "id": None, "error": _not_found()})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            request = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            request = {}
        request_id = request.get("id") if isinstance(request, dict) else None
        params = request.get("params") or {} if isinstance(request, dict) else {}
        if self.path == "/web/webclient/version_info":
            cookie = "session_id=fake-session; Max-Age=604800; HttpOnly; Path=/"
            self._send(200, {"jsonrpc": "2.0", "id": request_id, "result": self.odoo.version_info()}, cookie)
            return
        if self.path != "/jsonrpc":
            self._send(404, {"jsonrpc": "2.0", "id": request_id, "error": _not_found()})
            return
        if self.odoo.faults.latency:
            time.sleep(self.odoo.faults.latency)
        try:
            result = self.odoo.dispatcher.call(
                params.get("service", ""), params.get("method", ""), params.get("args") or []
            )
            body: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "result": result}
        except OdooError as error:
            body = {
                "jsonrpc": "2.0",
                "id": request_id,
                "error": {"code": 200, "message": "Odoo Server Error", "data": error.data()},
            }
        except Exception as error:  # a bug in the fake or an argument Odoo would refuse: Odoo's generic shape
            data = OdooError(f"builtins.{type(error).__name__}", str(error)).data()
            body = {
                "jsonrpc": "2.0",
                "id": request_id,
                "error": {"code": 200, "message": "Odoo Server Error", "data": data},
            }
        self._send(200, body)

    def _send(self, status: int, body: dict[str, Any], cookie: str | None = None) -> None:
        payload = json.dumps(body, default=_json_default).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        if cookie:
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        self.wfile.write(payload)


def _overlay(base: dict[str, dict[str, Field]], stock: dict[str, dict[str, Field]],
             installed: bool) -> dict[str, dict[str, Field]]:  # fmt: skip
    """The schema with the Inventory app's models and product fields when it is installed."""
    if not installed:
        return base
    merged = dict(base)
    for model, fields in stock.items():
        merged[model] = (merged.get(model) or AUDIT_FIELDS) | fields
    return merged


def _not_found() -> dict[str, Any]:
    message = "404 Not Found: The requested URL was not found on the server."
    data = {
        "name": "werkzeug.exceptions.NotFound",
        "debug": "",
        "message": message,
        "arguments": [message],
        "context": {},
    }
    return {"code": 404, "message": "404: Not Found", "data": data}


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
