"""Checks of the Odoo addon plugins/odoo/addon/kra_etims_connector; odoo is never imported.

Static checks run everywhere (CI has no Odoo). The anchors below are the view xpaths and base fields the addon
relies on: each was verified by installing the addon (`-i kra_etims_connector`) in real Odoo Community servers,
17.0 (server_version 17.0-20240709) and 18.0 (18.0-20250925), and rendering the form, lists, search view,
settings and invoice report; a new xpath must be verified the same way and added here. The tests at the end run
against a real Odoo with the addon installed when ODOO_URL is set, and skip otherwise.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import logging
import os
import re
import secrets
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import odoorpc
import pytest

ADDON = Path(__file__).resolve().parent.parent / "plugins" / "odoo" / "addon" / "kra_etims_connector"

# ODOO-FIELDS.md: the fields shared by the addon, the fake Odoo server and the adapter (name -> Odoo field class).
FIELDS = {
    "kra_state": "Selection",
    "kra_message": "Text",
    "kra_invoice_number": "Integer",
    "kra_receipt_number": "Integer",
    "kra_total_receipt_number": "Integer",
    "kra_signature": "Char",
    "kra_internal_data": "Char",
    "kra_scu_id": "Char",
    "kra_mrc_number": "Char",
    "kra_signed_at": "Datetime",
    "kra_qr_url": "Char",
    "kra_resend_requested": "Boolean",
}
KRA_STATES = ["not_sent", "queued", "signed", "needs_fix"]

# inherit_id ref -> the xpaths verified to exist (exactly once, same meaning) in both Odoo 17 and 18.
VERIFIED_XPATHS = {
    "account.view_move_form": {"//button[@name='button_draft']", "//notebook"},
    "account.view_out_invoice_tree": {"//field[@name='currency_id']"},
    "account.view_out_credit_note_tree": {"//field[@name='currency_id']"},
    "account.view_account_invoice_filter": {"//filter[@name='cancel']"},
    "account.res_config_settings_view_form": {"//block[@id='invoicing_settings']"},
    "account.report_invoice_document": {"//div[@id='payment_term']"},
}
# account.move fields of Odoo's own that our view expressions use, present in both 17 and 18.
VERIFIED_BASE_FIELDS = {"state", "move_type", "show_reset_to_draft_button"}
# Odoo's own condition on "Reset to Draft" in both 17 and 18; ours must keep it and add the KRA one.
BASE_RESET_CONDITION = "not show_reset_to_draft_button"
SETTINGS_FIELDS = {
    "kra_notify_url": "kra_etims_connector.notify_url",
    "kra_notify_token": "kra_etims_connector.notify_token",
}
GUARD_MESSAGE = "This invoice is signed by KRA (CU invoice number %s). Issue a credit note instead."


def manifest() -> dict:
    return ast.literal_eval((ADDON / "__manifest__.py").read_text())


def xml_files() -> list[Path]:
    return sorted(ADDON.rglob("*.xml"))


def view_records() -> Iterator[tuple[Path, ET.Element]]:
    """Every ir.ui.view record and QWeb template of the addon."""
    for path in xml_files():
        root = ET.parse(path).getroot()
        yield from ((path, node) for node in root if node.tag in ("record", "template"))


def inherit_ref(node: ET.Element) -> str:
    if node.tag == "template":
        return node.get("inherit_id", "")
    ref = node.find("field[@name='inherit_id']")
    return ref.get("ref", "") if ref is not None else ""


def arch(node: ET.Element) -> ET.Element:
    if node.tag == "template":
        return node
    found = node.find("field[@name='arch']")
    assert found is not None, f"record {node.get('id')} has no arch"
    return found


def model_classes() -> dict[str, ast.ClassDef]:
    classes = {}
    for path in (ADDON / "models").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ClassDef):
                classes[node.name] = node
    return classes


def field_calls(cls: ast.ClassDef) -> dict[str, ast.Call]:
    """name -> the `fields.X(...)` call assigned to it in the class body."""
    found = {}
    for stmt in cls.body:
        if (
            isinstance(stmt, ast.Assign)
            and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Attribute)
            and isinstance(stmt.value.func.value, ast.Name)
            and stmt.value.func.value.id == "fields"
        ):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = stmt.value
    return found


def inherit_of(cls: ast.ClassDef) -> str | None:
    for stmt in cls.body:
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_inherit" for t in stmt.targets):
            return ast.literal_eval(stmt.value)
    return None


def move_class() -> ast.ClassDef:
    matches = [cls for cls in model_classes().values() if inherit_of(cls) == "account.move"]
    assert len(matches) == 1, "exactly one class extends account.move"
    return matches[0]


def keyword(call: ast.Call, name: str) -> object:
    for kw in call.keywords:
        if kw.arg == name:
            return ast.literal_eval(kw.value)
    return None


def inside(node: ET.Element, tag: str) -> Iterator[ET.Element]:
    """Elements named tag inside a view's arch (not the <field name="arch"> holder itself)."""
    for child in arch(node):
        yield from child.iter(tag)


def form_record() -> ET.Element:
    forms = [node for _, node in view_records() if inherit_ref(node) == "account.view_move_form"]
    assert len(forms) == 1
    return forms[0]


def form_arch() -> ET.Element:
    forms = [arch(node) for _, node in view_records() if inherit_ref(node) == "account.view_move_form"]
    assert len(forms) == 1
    return forms[0]


# --- manifest and files --------------------------------------------------------------------------------------


def test_manifest_is_a_literal_with_the_required_keys() -> None:
    data = manifest()
    for key in ("name", "summary", "version", "license", "depends", "data", "installable"):
        assert key in data, key
    assert data["license"] == "LGPL-3"
    assert data["depends"] == ["account"]
    assert data["installable"] is True
    assert data["application"] is False
    # Without a series prefix Odoo prepends its own (17.0.x / 18.0.x), so one folder installs in both;
    # a prefixed version like 17.0.1.0.0 would be refused by Odoo 18.
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", data["version"]), data["version"]
    assert not data["version"].startswith(("17.0.", "18.0."))


def test_every_data_file_exists_and_every_xml_file_is_loaded() -> None:
    listed = manifest()["data"]
    assert len(listed) == len(set(listed))
    for name in listed:
        assert (ADDON / name).is_file(), f"{name} is listed in the manifest but missing"
    on_disk = {str(path.relative_to(ADDON)) for path in xml_files()}
    assert on_disk == {name for name in listed if name.endswith(".xml")}, "an XML file is not in the manifest"


@pytest.mark.parametrize("path", xml_files(), ids=lambda p: p.name)
def test_xml_is_well_formed_odoo_data(path: Path) -> None:
    root = ET.parse(path).getroot()
    assert root.tag == "odoo"
    ids = [node.get("id") for node in root]
    assert all(ids) and len(ids) == len(set(ids))


def test_python_modules_parse_and_are_all_imported() -> None:
    for path in ADDON.rglob("*.py"):
        ast.parse(path.read_text(), filename=str(path))
    assert relative_imports(ADDON / "__init__.py") == {"models"}
    helpers = {"notify"}  # plain-Python helpers imported by account_move, not models
    models = {path.stem for path in (ADDON / "models").glob("*.py")} - {"__init__"} - helpers
    assert relative_imports(ADDON / "models" / "__init__.py") == models
    assert helpers <= relative_imports(ADDON / "models" / "account_move.py")


def relative_imports(path: Path) -> set[str]:
    """Names imported with `from . import ...` in path."""
    tree = ast.parse(path.read_text())
    return {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module is None
        for alias in node.names
    }


# --- fields ------------------------------------------------------------------------------------------------


def test_every_shared_field_is_defined_read_only_and_not_copied() -> None:
    calls = field_calls(move_class())
    for name, kind in FIELDS.items():
        assert name in calls, f"account.move.{name} is missing"
        call = calls[name]
        assert isinstance(call.func, ast.Attribute) and call.func.attr == kind, f"{name} is not fields.{kind}"
        assert keyword(call, "copy") is False, f"{name} must be copy=False"
        assert keyword(call, "readonly") is True, f"{name} must be readonly"


def test_kra_state_values_and_default() -> None:
    call = field_calls(move_class())["kra_state"]
    assert keyword(call, "default") == "not_sent"
    selection = call.args[0]
    module = ast.parse((ADDON / "models" / "account_move.py").read_text())
    if isinstance(selection, ast.Name):  # a module-level constant
        values = next(
            ast.literal_eval(node.value)
            for node in module.body
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == selection.id for t in node.targets)
        )
    else:
        values = ast.literal_eval(selection)
    assert [key for key, _label in values] == KRA_STATES


def test_settings_fields_use_the_documented_parameters() -> None:
    settings = [cls for cls in model_classes().values() if inherit_of(cls) == "res.config.settings"]
    assert len(settings) == 1
    calls = field_calls(settings[0])
    for name, parameter in SETTINGS_FIELDS.items():
        assert keyword(calls[name], "config_parameter") == parameter


def test_guard_and_resend_are_defined() -> None:
    methods = {node.name for node in move_class().body if isinstance(node, ast.FunctionDef)}
    assert {"write", "button_draft", "button_cancel", "_post", "action_kra_send_again"} <= methods
    source = (ADDON / "models" / "account_move.py").read_text()
    assert GUARD_MESSAGE in source


# --- views -------------------------------------------------------------------------------------------------


def test_views_only_use_xpaths_verified_in_odoo_17_and_18() -> None:
    seen_refs = set()
    for path, node in view_records():
        ref = inherit_ref(node)
        assert ref in VERIFIED_XPATHS, f"{path.name}: {node.get('id')} inherits an unverified view {ref!r}"
        seen_refs.add(ref)
        for child in arch(node):
            if child.tag == "xpath":
                expr = child.get("expr")
            else:  # shorthand like <field name="x" position="after"/> would anchor on an unverified element
                pytest.fail(f"{path.name}: use an xpath, not a <{child.tag}> shorthand anchor")
            assert expr in VERIFIED_XPATHS[ref], f"{path.name}: xpath {expr!r} on {ref} was not verified"
    assert seen_refs == set(VERIFIED_XPATHS)


def test_no_removed_attributes_and_no_list_root_tag() -> None:
    for path in xml_files():
        text = path.read_text()
        assert not re.search(r"\b(attrs|states)\s*=", text), f"{path.name} uses attrs=/states= (removed in 17)"
        assert "<tree" not in text and "<list" not in text, f"{path.name}: tree (17) / list (18) differ; use xpaths"
        assert "//tree" not in text and "//list" not in text, f"{path.name} anchors on the list root tag"


def test_form_view_shows_every_shared_field() -> None:
    shown = {node.get("name") for node in inside(form_record(), "field")}
    missing = set(FIELDS) - shown
    assert not missing, f"fields missing from the KRA eTIMS page: {sorted(missing)}"


def test_view_fields_and_buttons_exist() -> None:
    ours = set(field_calls(move_class()))
    methods = {node.name for node in move_class().body if isinstance(node, ast.FunctionDef)}
    for _path, node in view_records():
        model = node.findtext("field[@name='model']")
        if model != "account.move":
            continue
        for field in inside(node, "field"):
            assert field.get("name") in ours, field.get("name")
        for element in inside(node, "*"):
            for attribute in ("invisible", "readonly", "column_invisible"):
                expression = element.get(attribute)
                if expression:
                    names = set(re.findall(r"[a-z_][a-z_0-9]*", re.sub(r"'[^']*'", "", expression)))
                    unknown = names - ours - VERIFIED_BASE_FIELDS - {"not", "and", "or", "in", "True", "False"}
                    assert not unknown, f"{attribute}={expression!r} uses {unknown}"
        for button in inside(node, "button"):
            if button.get("type") == "object":
                assert button.get("name") in methods, button.get("name")


def test_reset_to_draft_keeps_odoos_condition_and_hides_for_signed() -> None:
    for xpath in form_arch().iter("xpath"):
        if xpath.get("expr") == "//button[@name='button_draft']" and xpath.get("position") == "attributes":
            condition = xpath.find("attribute[@name='invisible']").text
            assert condition.startswith(BASE_RESET_CONDITION + " or ")
            assert "kra_state == 'signed'" in condition
            return
    pytest.fail("Reset to Draft is not hidden on signed invoices")


def test_kra_numbers_show_without_thousands_separators() -> None:
    numbers = [f for f in inside(form_record(), "field") if FIELDS.get(f.get("name")) == "Integer"]
    assert len(numbers) == 3
    for field in numbers:
        assert ast.literal_eval(field.get("options", "{}")).get("enable_formatting") is False, field.get("name")


def test_resend_button_only_on_needs_fix() -> None:
    buttons = [b for b in form_arch().iter("button") if b.get("name") == "action_kra_send_again"]
    assert len(buttons) == 1
    assert buttons[0].get("string") == "Send to KRA again"
    assert "kra_state != 'needs_fix'" in buttons[0].get("invisible")


def test_search_filter_not_signed() -> None:
    filters = [
        f
        for _, node in view_records()
        if inherit_ref(node) == "account.view_account_invoice_filter"
        for f in inside(node, "filter")
    ]
    not_signed = [f for f in filters if f.get("string") == "Not signed by KRA"]
    assert len(not_signed) == 1
    domain = ast.literal_eval(not_signed[0].get("domain"))
    assert ("kra_state", "!=", "signed") in domain


def test_invoice_and_credit_note_lists_show_the_state() -> None:
    for ref in ("account.view_out_invoice_tree", "account.view_out_credit_note_tree"):
        names = [f.get("name") for _, node in view_records() if inherit_ref(node) == ref for f in inside(node, "field")]
        assert names == ["kra_state"], ref


def test_report_block_prints_only_when_signed_with_the_barcode_route() -> None:
    blocks = [
        div
        for _, node in view_records()
        if inherit_ref(node) == "account.report_invoice_document"
        for div in inside(node, "div")
        if div.get("id") == "kra_etims_block"
    ]
    assert len(blocks) == 1
    block = blocks[0]
    assert block.get("t-if") == "o.kra_signature"
    printed = {span.get("t-field") or span.get("t-out") for span in block.iter("span")}
    for name in ("kra_invoice_number", "kra_receipt_number", "kra_total_receipt_number"):
        assert f"o.{name}" not in {span.get("t-field") for span in block.iter("span")}, f"{name}: t-field groups digits"
    for name in ("kra_scu_id", "kra_invoice_number", "kra_signed_at", "kra_internal_data", "kra_signature"):
        assert f"o.{name}" in printed, name
    assert "o.reversed_entry_id.kra_invoice_number" in printed, "a credit note prints its original's CU number"
    images = list(block.iter("img"))
    assert len(images) == 1
    src = images[0].get("t-att-src")
    assert src.startswith("'/report/barcode/?barcode_type=%s&value=%s&width=%s&height=%s'")
    assert "quote_plus(o.kra_qr_url)" in src and "'QR'" in src


# --- the notification helper (plain Python: requests, no odoo) -----------------------------------------------


def load_notify() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kra_addon_notify", ADDON / "models" / "notify.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Recorder(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Recorder.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(401 if self.headers.get("X-Etims-Token") != "tok" else 200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[str]:
    Recorder.received = []
    server = HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_notification_posts_json_with_the_token_header(listener: str) -> None:
    notify = load_notify()
    assert notify.WEBHOOK_PATH == "/webhooks/odoo"
    body = json.dumps({"database": "db1", "model": "account.move", "ids": [7, 9]})
    notify._post(listener + notify.WEBHOOK_PATH, "tok", body)
    assert len(Recorder.received) == 1
    path, headers, sent = Recorder.received[0]
    assert path == "/webhooks/odoo"
    assert headers["x-etims-token"] == "tok"
    assert headers["content-type"] == "application/json"
    assert json.loads(sent) == {"database": "db1", "model": "account.move", "ids": [7, 9]}


def test_notification_failures_are_logged_without_the_token(listener: str, caplog: pytest.LogCaptureFixture) -> None:
    notify = load_notify()
    caplog.set_level(logging.WARNING)
    notify._post(listener + notify.WEBHOOK_PATH, "wrong-secret-token", "{}")  # answered 401
    with socket_closed() as dead_url:
        notify._post(dead_url, "wrong-secret-token", "{}")  # nothing listens: no exception escapes
    messages = [record.getMessage() for record in caplog.records]
    assert any("401" in message for message in messages)
    assert any("not reached" in message for message in messages)
    assert all("wrong-secret-token" not in message for message in messages)


class socket_closed:
    """A 127.0.0.1 URL on a port that was just free (nothing listens)."""

    def __enter__(self) -> str:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        return f"http://127.0.0.1:{port}/webhooks/odoo"

    def __exit__(self, *exc: object) -> None:
        return None


# --- the installed addon on a REAL Odoo 17/18 someone else started (skipped without ODOO_URL) ------------------
#   ODOO_URL=http://127.0.0.1:8069 ODOO_DB=mydb ODOO_USER=admin ODOO_PASSWORD=admin pytest tests/test_odoo_addon.py
# The tests create their own customer, product and a few invoices in that database; the notification test sets the
# addon's notify URL and token for a moment and puts the previous values back.

ODOO_URL = os.environ.get("ODOO_URL")
real_odoo = pytest.mark.skipif(not ODOO_URL, reason="no real Odoo: set ODOO_URL, ODOO_DB, ODOO_USER, ODOO_PASSWORD")
QR_URL = (
    "https://etims-sbx.kra.go.ke/common/link/etims/receipt/indexEtimsReceiptData?Data=P052112956W00123456789ODOOGR3"
)


class RealOdoo:
    def __init__(self) -> None:
        parts = urlsplit(ODOO_URL or "")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        protocol = "jsonrpc+ssl" if parts.scheme == "https" else "jsonrpc"
        self.database = os.environ.get("ODOO_DB", "")
        self.login = os.environ.get("ODOO_USER", "admin")
        self.password = os.environ.get("ODOO_PASSWORD", "")
        self.odoo = odoorpc.ODOO(parts.hostname, protocol=protocol, port=port, timeout=60)
        self.odoo.login(self.database, self.login, self.password)
        self.version = int(self.odoo.version.split(".")[0])

    def __call__(self, model: str, method: str, *args: object, **kwargs: object) -> Any:
        return self.odoo.execute_kw(model, method, list(args), kwargs)

    def move(self, move_id: int, fields: list[str]) -> dict[str, Any]:
        return self("account.move", "read", [move_id], fields=fields)[0]

    @contextmanager
    def web(self) -> Iterator[httpx.Client]:
        """An HTTP client logged in with a web session (for the report routes)."""
        with httpx.Client(base_url=ODOO_URL or "", timeout=60) as client:
            params = {"db": self.database, "login": self.login, "password": self.password}
            body = {"jsonrpc": "2.0", "method": "call", "params": params}
            answer = client.post("/web/session/authenticate", json=body)
            assert "error" not in answer.json(), answer.text
            yield client


@pytest.fixture(scope="module")
def odoo() -> RealOdoo:
    return RealOdoo()


@pytest.fixture(scope="module")
def sale(odoo: RealOdoo) -> dict[str, int]:
    run = secrets.token_hex(3).upper()
    partner = odoo("res.partner", "create", {"name": f"KRA addon test customer {run}"})
    product_type = {"detailed_type": "service"} if odoo.version == 17 else {"type": "service"}
    product = odoo(
        "product.product", "create", {"name": f"KRA addon test service {run}", "list_price": 100} | product_type
    )
    return {"partner": partner, "product": product}


def posted_move(odoo: RealOdoo, sale: dict[str, int], move_type: str = "out_invoice", **values: object) -> int:
    line = {"product_id": sale["product"], "quantity": 2, "price_unit": 150, "tax_ids": [(6, 0, [])]}
    move = odoo("account.move", "create", {"move_type": move_type, "partner_id": sale["partner"],
                                           "invoice_line_ids": [(0, 0, line)]} | values)  # fmt: skip
    odoo("account.move", "action_post", [move])
    return move


def sign(odoo: RealOdoo, move: int, number: int) -> None:
    """What the connector writes back after KRA signed (ODOO-FIELDS.md)."""
    odoo("account.move", "write", [move], {
        "kra_state": "signed", "kra_message": f"signed by KRA (CU invoice {number})", "kra_invoice_number": number,
        "kra_receipt_number": 169, "kra_total_receipt_number": 170, "kra_signature": "123456789ODOOGR3",
        "kra_internal_data": "GRKJVWYCFBPTYQ225X2UEYONVE", "kra_scu_id": "KRACU0100000001",
        "kra_mrc_number": "WIS00000001", "kra_signed_at": "2024-04-15 12:30:39", "kra_qr_url": QR_URL,
    })  # fmt: skip


@real_odoo
def test_real_odoo_has_the_fields_read_only_and_not_copied(odoo: RealOdoo) -> None:
    described = odoo("account.move", "fields_get", list(FIELDS), attributes=["type", "readonly"])
    assert {name: described[name]["type"] for name in FIELDS} == {name: kind.lower() for name, kind in FIELDS.items()}
    assert all(described[name]["readonly"] for name in FIELDS)
    rows = odoo("ir.model.fields", "search_read", [("model", "=", "account.move"), ("name", "in", list(FIELDS))],
                fields=["name", "copied"])  # fmt: skip
    assert sorted(row["name"] for row in rows) == sorted(FIELDS)
    assert not any(row["copied"] for row in rows)


@real_odoo
def test_real_odoo_guard_refuses_draft_and_cancel_of_a_signed_invoice(odoo: RealOdoo, sale: dict[str, int]) -> None:
    move = posted_move(odoo, sale)
    sign(odoo, move, 4242)
    for method, args in (("button_draft", ()), ("button_cancel", ()), ("write", ({"state": "draft"},))):
        with pytest.raises(odoorpc.error.RPCError) as refused:
            odoo("account.move", method, [move], *args)
        assert str(refused.value) == GUARD_MESSAGE % 4242
    assert odoo.move(move, ["state"])["state"] == "posted"
    unsigned = posted_move(odoo, sale)
    odoo("account.move", "write", [unsigned], {"kra_state": "needs_fix"})
    odoo("account.move", "button_draft", [unsigned])  # the guard is for signed invoices only
    odoo("account.move", "button_cancel", [unsigned])
    assert odoo.move(unsigned, ["state"])["state"] == "cancel"
    copy = odoo("account.move", "copy", move)
    copy = copy[0] if isinstance(copy, list) else copy  # 18 answers [id], 17 id
    copied = odoo.move(copy, list(FIELDS))
    assert copied["kra_state"] == "not_sent" and not copied["kra_signature"] and not copied["kra_invoice_number"]


@real_odoo
def test_real_odoo_report_prints_the_kra_block_and_qr(odoo: RealOdoo, sale: dict[str, int]) -> None:
    invoice = posted_move(odoo, sale)
    sign(odoo, invoice, 4243)
    refund = posted_move(odoo, sale, "out_refund", reversed_entry_id=invoice)
    sign(odoo, refund, 4244)
    unsigned = posted_move(odoo, sale)
    with odoo.web() as web:
        html = web.get(f"/report/html/account.report_invoice/{invoice}").text
        block = html[html.index('id="kra_etims_block"') :]
        for value in ("KRACU0100000001", "4243", "GRKJVWYCFBPTYQ225X2UEYONVE", "123456789ODOOGR3", "15:30:39"):
            assert value in block, value  # 12:30:39 UTC is printed as 15:30:39 EAT
        src = re.search(r'<img[^>]*id="kra_etims_qr"[^>]*>', block)
        assert src, "no QR image"
        barcode_url = re.search(r'src="([^"]+)"', src.group(0)).group(1).replace("&amp;", "&")
        assert parse_qs(urlsplit(barcode_url).query)["value"] == [QR_URL]
        png = web.get(barcode_url)
        assert png.status_code == 200 and png.content.startswith(b"\x89PNG\r\n\x1a\n")
        refund_html = " ".join(web.get(f"/report/html/account.report_invoice/{refund}").text.split())
        assert "Original CU invoice number: <span>4243</span>" in refund_html
        assert "kra_etims_block" not in web.get(f"/report/html/account.report_invoice/{unsigned}").text


@real_odoo
def test_real_odoo_resend_only_on_needs_fix(odoo: RealOdoo, sale: dict[str, int]) -> None:
    move = posted_move(odoo, sale)
    with pytest.raises(odoorpc.error.RPCError):
        odoo("account.move", "action_kra_send_again", [move])  # not_sent: nothing to resend
    odoo("account.move", "write", [move], {"kra_state": "needs_fix", "kra_message": "KRA: unknown item code"})
    draft = odoo("account.move", "create", {"move_type": "out_invoice", "partner_id": sale["partner"]})
    odoo("account.move", "write", [draft], {"kra_state": "needs_fix"})
    with pytest.raises(odoorpc.error.RPCError):
        odoo("account.move", "action_kra_send_again", [draft])  # a draft is not sent; post it instead
    odoo("account.move", "action_kra_send_again", [move])
    assert odoo.move(move, ["kra_state", "kra_resend_requested"]) | {"id": move} == {
        "id": move, "kra_state": "queued", "kra_resend_requested": True}  # fmt: skip


@real_odoo
def test_real_odoo_views_show_the_fields(odoo: RealOdoo) -> None:
    views = odoo("account.move", "get_views", [[False, "form"], [False, "search"]])["views"]
    for name in FIELDS:
        assert f'name="{name}"' in views["form"]["arch"], name
    assert 'name="action_kra_send_again"' in views["form"]["arch"]
    assert 'name="kra_not_signed"' in views["search"]["arch"]
    list_type = "tree" if odoo.version == 17 else "list"
    for xmlid in ("account.view_out_invoice_tree", "account.view_out_credit_note_tree"):
        view_id = odoo.odoo.env.ref(xmlid).id
        arch_text = odoo("account.move", "get_views", [[view_id, list_type]])["views"][list_type]["arch"]
        assert 'name="kra_state"' in arch_text, xmlid


@real_odoo
def test_real_odoo_notifies_the_connector_after_posting(odoo: RealOdoo, sale: dict[str, int], listener: str) -> None:
    params = "ir.config_parameter"
    before = {key: odoo(params, "get_param", key) for key in (notify_key("url"), notify_key("token"))}
    try:
        odoo(params, "set_param", notify_key("url"), listener)
        odoo(params, "set_param", notify_key("token"), "tok")
        move = posted_move(odoo, sale)
        wait_for_post(1)
        vendor_bill = odoo("account.move", "create", {"move_type": "in_invoice", "partner_id": sale["partner"],
                                                      "invoice_date": "2024-04-15", "invoice_line_ids": [(0, 0, {
                                                          "name": "x", "quantity": 1, "price_unit": 10})]})  # fmt: skip
        odoo("account.move", "action_post", [vendor_bill])
        odoo("account.move", "write", [move], {"kra_state": "needs_fix"})
        odoo("account.move", "action_kra_send_again", [move])
        wait_for_post(2)
    finally:
        for key, value in before.items():
            odoo(params, "set_param", key, value or "")
    bodies = [json.loads(body) for _path, _headers, body in Recorder.received]
    assert bodies == [{"database": odoo.database, "model": "account.move", "ids": [move]}] * 2  # not the vendor bill
    assert all(path == "/webhooks/odoo" and headers["x-etims-token"] == "tok" for path, headers, _ in Recorder.received)


def notify_key(name: str) -> str:
    return f"kra_etims_connector.notify_{name}"


def wait_for_post(count: int) -> None:
    """Odoo posts from a background thread after its commit: wait (bounded) until count POSTs arrived."""
    deadline = time.monotonic() + 15
    while len(Recorder.received) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # a stray extra POST (the vendor bill) would arrive within this
    assert len(Recorder.received) >= count, f"{len(Recorder.received)} notifications, expected {count}"
