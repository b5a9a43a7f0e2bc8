"""Static checks of the Odoo addon plugins/odoo/addon/kra_etims_connector (CI has no Odoo; odoo is never imported).

The anchors below are the view xpaths and base fields this addon relies on. Each was verified by installing the
addon (`-i kra_etims_connector`) in real Odoo 17.0 (server_version 17.0-20240709) and 18.0 Community servers and
rendering the form, lists, search view, settings and invoice report; a new xpath must be verified the same way
and added here.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import logging
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import ModuleType

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
    assert {"button_draft", "button_cancel", "_post", "action_kra_send_again"} <= methods
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
    printed = {span.get("t-field") for span in block.iter("span")}
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
