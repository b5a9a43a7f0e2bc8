"""The fake Odoo server (plugins/odoo/testing) against the real odoorpc 0.10.1 client.

The faithfulness proof: `test_replays_the_recorded_transcripts` sends every recorded request of the real
Odoo 17 and 18 sessions (plugins/odoo/testing/transcripts.json, an extract of samples/odoo) through odoorpc's
own JSON transport to a fresh fake and compares each answer with what the real server answered: invoice
amounts, lines, names, credit note, tax_totals, errors and their messages.
"""

from __future__ import annotations

import json
import socket
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import odoorpc
import pytest
from odoorpc.error import RPCError

from plugins.odoo.testing import FakeOdoo, InvoiceLine

TRANSCRIPTS = json.loads((Path(__file__).parents[1] / "plugins/odoo/testing/transcripts.json").read_text())
REPLAYED = [
    "01-login",
    "01-wrong-password",
    "03a-invoice-excl16-discount",
    "03b-invoice-incl16",
    "03c-invoice-section-note",
    "03d-invoice-eur",
    "03e-invoice-mixed-16-exempt",
    "03f-invoice-uom-kg-dozens",
    "03g-invoice-excise-and-8",
    "04-credit-note-reversal",
    "05-poll-moves",
    "05-read-lines",
    "05-read-partners",
    "05-read-products",
    "05-read-taxes",
    "05-read-uom",
    "06-fields-get",
    "07-write-ref-narration",
    "07-message-post",
    "07-error-missing-id",
    "07-error-protected-field",
    "07-error-unknown-method",
    "07-error-unknown-model",
    "08-installed-modules",
]
# Timestamps differ by nature (the recording ran at 15:24); everything else must match.
VOLATILE = {"write_date", "create_date"}


def connect(odoo: FakeOdoo, password: str | None = None) -> odoorpc.ODOO:
    client = odoorpc.ODOO(odoo.host, port=odoo.port, timeout=10)
    client.login(odoo.database, odoo.login, password or odoo.password)
    return client


def differences(expected: Any, actual: Any, where: str = "") -> list[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = [f"{where}: keys {sorted(set(expected) ^ set(actual))}"] if set(expected) != set(actual) else []
        for key in expected.keys() & actual.keys():
            if key not in VOLATILE:
                found += differences(expected[key], actual[key], f"{where}.{key}")
        return found
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(expected)} items expected, {len(actual)} got: {actual!r}"]
        return [
            d for i, (e, a) in enumerate(zip(expected, actual, strict=True)) for d in differences(e, a, f"{where}[{i}]")
        ]
    if isinstance(expected, float) and isinstance(actual, int | float) and not isinstance(actual, bool):
        return [] if abs(expected - actual) < 1e-6 else [f"{where}: {expected!r} expected, {actual!r} got"]
    return [] if expected == actual and type(expected) is type(actual) else [f"{where}: {expected!r} != {actual!r}"]


@pytest.mark.parametrize("version", ["17", "18"])
def test_replays_the_recorded_transcripts(version: str) -> None:
    with FakeOdoo(version, addon=False, database=f"demo{version}") as odoo:
        client = connect(odoo)
        problems = []
        odoo.clock.freeze("2026-12-02 15:23:59")
        for name in REPLAYED:
            odoo.clock.tick(1)  # each scenario a second later, so the poll's (write_date, id) order is the recorded one
            if name == "07-message-post":  # the recorded database already held messages from its setup
                odoo.store.next_ids["mail.message"] = TRANSCRIPTS[version][name][0]["result"]
            if name == "08-installed-modules" and version == "17":
                odoo.set_module("stock", "uninstalled", 15)  # on the 17 server's addons path, not installed
            for exchange in TRANSCRIPTS[version][name]:
                args = list(exchange["args"])
                if exchange["service"] == "object" or exchange["method"] == "login":
                    args[2] = "wrong" if args[2] == "<wrong-password>" else odoo.password
                params = {"service": exchange["service"], "method": exchange["method"], "args": args}
                try:
                    answer: dict[str, Any] = {"result": client.json("/jsonrpc", params)["result"]}
                except RPCError as error:
                    data = error.info["data"]
                    answer = {"error": {"name": data["name"], "message": data["message"]}}
                expected = {key: exchange[key] for key in ("result", "error") if key in exchange}
                problems += [f"{name} {exchange['call'][:70]}: {d}" for d in differences(expected, answer)]
        assert not problems, "\n".join(problems[:40])


@pytest.fixture(params=["17", "18"])
def odoo(request: pytest.FixtureRequest) -> Any:
    with FakeOdoo(request.param) as server:
        yield server


def test_login_and_version_detection(odoo: FakeOdoo) -> None:
    client = odoorpc.ODOO(odoo.host, port=odoo.port, timeout=10)  # no version=: asks /web/webclient/version_info
    assert client.version.split(".")[0] == odoo.version
    assert client.db.list() == [odoo.database]
    client.login(odoo.database, "admin", odoo.password)
    assert client.env.uid == 2 and client.env.context["lang"] == "en_US"
    with pytest.raises(RPCError, match="Wrong login ID or password"):
        odoorpc.ODOO(odoo.host, port=odoo.port).login(odoo.database, "admin", "not the password")
    with pytest.raises(RPCError, match="Access Denied"):
        client.json("/jsonrpc", {"service": "object", "method": "execute_kw",
                                 "args": [odoo.database, 2, "bad", "res.partner", "search_count", [[]]]})  # fmt: skip


def test_fields_get_differs_by_version_and_addon(odoo: FakeOdoo) -> None:
    client = connect(odoo)
    fields = client.execute_kw("account.move", "fields_get", [], {"attributes": ["type", "relation", "readonly"]})
    assert fields["partner_id"] == {"type": "many2one", "relation": "res.partner", "readonly": False}
    assert ("invoice_currency_rate" in fields) == (odoo.version == "18")
    assert fields["kra_signature"]["type"] == "char" and fields["kra_state"]["type"] == "selection"
    taxes = client.execute_kw("account.tax", "fields_get", [["price_include", "price_include_override"]])
    assert taxes["price_include"]["store"] == (odoo.version == "17")
    assert ("price_include_override" in taxes) == (odoo.version == "18")
    odoo.addon_installed = False
    assert "kra_signature" not in client.execute_kw("account.move", "fields_get", [])
    modules = client.env["ir.module.module"].search_read([("name", "=", "kra_etims_connector")], ["state"])
    assert modules == []


def test_search_read_domain_paging_and_cursor_on_equal_write_dates(odoo: FakeOdoo) -> None:
    odoo.clock.freeze("2026-12-02 10:00:00")
    first = odoo.make_invoices(5)
    odoo.clock.tick(1)
    later = odoo.make_invoices(3)
    odoo.make_invoice([InvoiceLine(odoo.ids.product_widget, 1, 10)], post=False)  # a draft: never polled
    client = connect(odoo)
    domain = [("move_type", "in", ["out_invoice", "out_refund"]), ("state", "=", "posted"), ("company_id", "=", 1)]
    seen, cursor = [], ("1970-01-01 00:00:00", 0)
    while True:
        after = ["|", ("write_date", ">", cursor[0]), "&", ("write_date", "=", cursor[0]), ("id", ">", cursor[1])]
        options = {"fields": ["name", "write_date"], "order": "write_date asc, id asc", "limit": 3}
        page = client.execute_kw("account.move", "search_read", [[*domain, *after]], options)
        if not page:
            break
        seen += [row["id"] for row in page]
        cursor = (page[-1]["write_date"], page[-1]["id"])
    assert seen == first + later
    assert client.execute_kw("account.move", "search_count", [domain]) == 8
    assert client.execute_kw("account.move", "search", [domain], {"offset": 6, "order": "id asc"}) == later[1:]
    assert odoo.calls[("account.move", "search_read")] == 4  # 3 + 3 + 2 + the empty page
    names = client.execute_kw("res.partner", "search_read", [[("name", "ilike", "acme")]], {"fields": ["vat"]})
    assert names == [{"id": odoo.ids.partner_acme, "vat": "P051234567A"}]
    not_walkin = client.execute_kw("account.move", "search", [["!", ("partner_id", "=", odoo.ids.partner_walkin)]])
    assert set(not_walkin) == {m for m in first + later if odoo.record("account.move", m)["partner_id"][0] == 7} | {9}


def test_read_classic_write_and_many2one_display(odoo: FakeOdoo) -> None:
    move = odoo.make_invoice([InvoiceLine(odoo.ids.product_sugar, "2.5", 180, uom=odoo.ids.uom_kg)])
    client = connect(odoo)
    [shown] = client.execute_kw("account.move", "read", [[move], ["partner_id", "invoice_line_ids"]])
    assert shown["partner_id"] == [7, "Acme Kenya Ltd"]
    [bare] = client.execute_kw("account.move", "read", [[move], ["partner_id"]], {"load": "_classic_write"})
    assert bare["partner_id"] == 7
    [line] = client.env["account.move.line"].read(shown["invoice_line_ids"], ["product_uom_id", "price_subtotal"])
    assert line["product_uom_id"] == [12, "kg"] and line["price_subtotal"] == 450.0
    assert client.env["account.move.line"].search_count([("move_id", "=", move)]) == 3  # product, tax, receivable


def test_write_bumps_write_date_and_addon_fields(odoo: FakeOdoo) -> None:
    odoo.clock.freeze("2026-12-02 10:00:00")
    move = odoo.make_invoice([InvoiceLine(odoo.ids.product_widget, 1, 1000)])
    odoo.clock.tick(5)
    client = connect(odoo)
    values = {"kra_state": "signed", "kra_signature": "ABCD1234", "kra_invoice_number": 17}
    assert client.execute_kw("account.move", "write", [[move], values]) is True
    [row] = client.execute_kw("account.move", "read", [[move], ["write_date", "kra_state", "kra_invoice_number"]])
    assert row == {"id": move, "write_date": "2026-12-02 10:00:05", "kra_state": "signed", "kra_invoice_number": 17}
    with pytest.raises(RPCError, match=r"signed by KRA \(CU invoice number 17\)"):
        client.execute_kw("account.move", "button_draft", [[move]])


def test_protected_fields_missing_ids_unknown_model_and_method(odoo: FakeOdoo) -> None:
    move = odoo.make_invoice([InvoiceLine(odoo.ids.product_widget, 1, 1000)])
    client = connect(odoo)
    with pytest.raises(RPCError) as refused:
        client.execute_kw("account.move", "write", [[move], {"currency_id": odoo.ids.eur}])
    assert refused.value.info["data"]["name"] == "odoo.exceptions.UserError"
    assert "readonly fields on a posted move: currency_id" in str(refused.value)
    [line] = odoo.record("account.move", move)["invoice_line_ids"]
    with pytest.raises(RPCError, match="cannot modify the taxes related to a posted journal item"):
        client.execute_kw("account.move.line", "write", [[line], {"tax_ids": [[6, 0, [odoo.ids.tax_vat8]]]}])
    assert client.execute_kw("account.move", "read", [[999999], ["name"]]) == []
    with pytest.raises(
        RPCError, match=r"Record does not exist or has been deleted.\n\(Record: account.move\(999999,\)"
    ):
        client.execute_kw("account.move", "write", [[999999], {"ref": "x"}])
    with pytest.raises(RPCError, match=r"Object x_no\.such\.model doesn't exist"):
        client.execute_kw("x_no.such.model", "search_read", [[]])
    with pytest.raises(RPCError, match="no_such_method' does not exist"):
        client.execute_kw("account.move", "no_such_method", [[move]])
    with pytest.raises(RPCError, match="Invalid field 'detailed_type'" if odoo.version == "18" else "is_storable"):
        client.execute_kw(
            "product.product", "read", [[1], ["is_storable" if odoo.version == "17" else "detailed_type"]]
        )


def test_message_post_records_an_escaped_note(odoo: FakeOdoo) -> None:
    move = odoo.make_invoice([InvoiceLine(odoo.ids.product_widget, 1, 1000)])
    before = odoo.record("account.move", move)["write_date"]
    client = connect(odoo)
    kwargs = {"body": "KRA eTIMS: <b>signed</b>", "message_type": "comment", "subtype_xmlid": "mail.mt_note"}
    message_id = client.execute_kw("account.move", "message_post", [[move]], kwargs)
    [message] = client.env["mail.message"].read([message_id], ["body", "subtype_id", "model", "res_id"])
    body = "<p>KRA eTIMS: &lt;b&gt;signed&lt;/b&gt;</p>"
    assert message == {
        "id": message_id,
        "body": body,
        "subtype_id": [2, "Note"],
        "model": "account.move",
        "res_id": move,
    }
    assert [m["id"] for m in odoo.messages(move)] == [message_id]
    assert odoo.record("account.move", move)["write_date"] == before


def test_amounts_group_tax_discount_and_euro(odoo: FakeOdoo) -> None:
    group = odoo.builder.add_tax("Excise + VAT", 0, "group", children=[odoo.ids.tax_excise, odoo.ids.tax_vat16])
    odoo.set_rate(odoo.ids.eur, Decimal(1) / Decimal(130), "2026-02-01")
    move = odoo.make_invoice(
        [InvoiceLine(odoo.ids.product_soda, 10, "20", discount=10, taxes=[group]), InvoiceLine.note("thanks")],
        currency=odoo.ids.eur,
    )
    record = odoo.record("account.move", move)
    # 10 × 20 − 10 % = 180; excise 5 × 10 = 50 raises the VAT base to 230; VAT 36.80
    assert (record["amount_untaxed"], record["amount_tax"], record["amount_total"]) == (180.0, 86.8, 266.8)
    assert record["amount_total_signed"] == 266.8 * 130
    refund = odoo.make_credit_note(move, "returned")
    credit = odoo.record("account.move", refund)
    assert credit["amount_total_signed"] == -266.8 * 130 and credit["ref"] == f"Reversal of: {record['name']}, returned"
    assert credit["name"].startswith("RINV/") and odoo.record("account.move", move)["payment_state"] == "reversed"


def test_busy_record_latency_restart_same_port(odoo: FakeOdoo) -> None:
    move = odoo.make_invoice([InvoiceLine(odoo.ids.product_widget, 1, 1000)])
    client = connect(odoo)
    odoo.faults.busy("account.move", move, times=1)
    with pytest.raises(RPCError) as busy:
        client.execute_kw("account.move", "write", [[move], {"ref": "KRA"}])
    assert busy.value.info["data"]["name"] == "psycopg2.errors.SerializationFailure"
    assert client.execute_kw("account.move", "write", [[move], {"ref": "KRA"}]) is True
    port = odoo.port
    odoo.stop()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    odoo.start()
    assert odoo.port == port
    assert client.execute_kw("account.move", "read", [[move], ["ref"]]) == [{"id": move, "ref": "KRA"}]
    odoo.faults.fail_next("search_read")
    with pytest.raises(RPCError, match="injected failure"):
        client.execute_kw("account.move", "search_read", [[]], {"fields": ["name"]})


def test_oscu_switch_and_bulk_invoices() -> None:
    with FakeOdoo("18", oscu=True) as odoo:
        odoo.make_invoices(10_000)
        client = connect(odoo)
        found = client.env["ir.module.module"].search_read([("name", "=", "l10n_ke_edi_oscu")], ["state"])
        assert [row["state"] for row in found] == ["installed"]
        assert client.env["account.move"].search_count([("state", "=", "posted")]) == 10_000
        last = client.env["account.move"].search_read([], ["name"], order="id desc", limit=1)
        assert last[0]["name"] == "INV/2026/10000"


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_addon_notifies_the_connector_after_posting() -> None:
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=receiver.serve_forever, args=(0.05,), daemon=True).start()
    try:
        with FakeOdoo("17") as odoo:
            client = connect(odoo)
            url = f"http://127.0.0.1:{receiver.server_port}"
            client.env["ir.config_parameter"].set_param("kra_etims_connector.notify_url", url)  # as an admin would
            odoo.configure_notify(url, "s3cret")
            line = {"product_id": odoo.ids.product_widget, "quantity": 2, "price_unit": 100.0}
            move = client.execute_kw("account.move", "create", [{"move_type": "out_invoice", "partner_id": 8,
                                                                 "invoice_line_ids": [[0, 0, line]]}])  # fmt: skip
            assert _Receiver.received == []  # a draft notifies nothing
            assert client.execute_kw("account.move", "action_post", [[move]]) is False
            odoo.notifier.wait()
            [(path, headers, body)] = _Receiver.received
            assert path == "/webhooks/odoo" and headers["x-etims-token"] == "s3cret"
            assert json.loads(body) == {"database": odoo.database, "model": "account.move", "ids": [move]}
            receiver.shutdown()
            receiver.server_close()
            with pytest.raises(RPCError, match="Only an invoice that KRA refused"):
                client.execute_kw("account.move", "action_kra_send_again", [[move]])
            client.execute_kw("account.move", "write", [[move], {"kra_state": "needs_fix"}])
            odoo.request_resend(move)  # the connector is down now: Odoo only logs it
            odoo.notifier.wait()
            assert odoo.notifier.sent[-1].status is None and odoo.notifier.sent[-1].ids == [move]
            assert odoo.record("account.move", move)["kra_resend_requested"] is True
            assert odoo.record("account.move", move)["kra_state"] == "queued"
    finally:
        receiver.server_close()


def test_companies_are_separated_like_odoo_record_rules(odoo: FakeOdoo) -> None:
    second = odoo.add_company("Second Co")
    mine = odoo.make_invoice([InvoiceLine(odoo.ids.product_widget, 1, 10)])
    theirs = odoo.make_invoice([InvoiceLine(odoo.ids.product_widget, 1, 10)], company=second)
    client = connect(odoo)
    assert client.execute_kw("account.move", "search", [[]]) == [mine]  # env.companies = the user's current one
    context = {"allowed_company_ids": [second]}
    assert client.execute_kw("account.move", "search", [[]], {"context": context}) == [theirs]
    assert odoo.record("account.move", theirs)["journal_id"] == [
        odoo.ids.extra[f"journal_{second}"],
        "Customer Invoices",
    ]
    with pytest.raises(RPCError, match="Access to unauthorized or invalid companies"):
        client.execute_kw("account.move", "search", [[]], {"context": {"allowed_company_ids": [99]}})


def test_browse_of_a_move_fails_as_in_odoo_but_partners_browse(odoo: FakeOdoo) -> None:
    move = odoo.make_invoice([InvoiceLine(odoo.ids.product_widget, 1, 10)])
    client = connect(odoo)
    with pytest.raises(RPCError, match="not frozendict"):
        client.env["account.move"].browse(move).name  # noqa: B018 (09-browse-move: reads every basic field)
    partner = client.env["res.partner"].browse(odoo.ids.partner_acme)
    assert (partner.vat, partner.country_id.name) == ("P051234567A", "Kenya")
    assert partner.contact_address_inline == "Moi Avenue 12, Nairobi, Kenya"
