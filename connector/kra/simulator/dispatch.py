"""From raw request to `Answer`: parse the body, check identity, run the handler in one transaction."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from typing import Any

from connector import jsonio
from connector.kra.simulator import fields, routes
from connector.kra.simulator.calls import Answer, Call, Rejected
from connector.kra.simulator.config import SimulatorConfig
from connector.kra.simulator.state import Store

log = logging.getLogger(__name__)


def parse_body(raw: bytes) -> dict[str, Any]:
    """The JSON object of a request: 911 when empty, 910 when not a JSON object."""
    if not raw.strip():
        raise Rejected("911")
    try:
        body = jsonio.loads(raw)
    except ValueError:
        raise Rejected("910", "Request parameter error[<body> : not readable JSON]") from None
    if not isinstance(body, dict):
        raise Rejected("910", "Request parameter error[<body> : must be a JSON object]")
    return body


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def identify(store: Store, headers: Mapping[str, str], body: dict[str, Any]) -> tuple[str, str]:
    """(tin, bhfId) of an initialised device: 900 when identity is missing, 901 when the key is wrong."""
    tin = _text(headers.get("tin") or body.get("tin"))
    bhf_id = _text(headers.get("bhfId") or body.get("bhfId"))
    key = _text(headers.get("cmcKey") or body.get("cmcKey"))
    if not (tin and bhf_id and key):
        raise Rejected("900")
    device = store.device(tin, bhf_id)
    if device is None or not hmac.compare_digest(device.cmc_key.encode(), key.encode()):
        raise Rejected("901")
    return tin, bhf_id


def _call(
    store: Store,
    config: SimulatorConfig,
    function: str,
    raw: bytes,
    headers: Mapping[str, str],
    gavaconnect: bool,
) -> Call:
    body = parse_body(raw)
    if gavaconnect and function in routes.GAVACONNECT_BODY_TIN and fields.is_empty(body.get("tin")):
        raise Rejected("910", "Missing Tin")
    call = Call(function, body, store, config, gavaconnect=gavaconnect)
    if function != routes.INITIALIZE:
        call.tin, call.bhf_id = identify(store, headers, body)
    return call


def answer_call(
    store: Store,
    config: SimulatorConfig,
    function: str,
    raw: bytes,
    headers: Mapping[str, str],
    gavaconnect: bool,
) -> Answer:
    """Handle one KRA function call; every refusal becomes an `Answer` with its result code."""
    try:
        call = _call(store, config, function, raw, headers, gavaconnect)
        with store.transaction():
            return routes.handler_for(function)(call)
    except Rejected as refusal:
        return Answer(refusal.code, None, refusal.message)
    except Exception:
        log.exception("simulator handler %s failed", function)
        return Answer("999")
