"""QBO's error answers, byte for byte in the (inconsistent) formats the samples record (samples/faults.json).

Assembled where the samples are silent (each said below): the 403, the 404, the JSON 429 and the HTML 500 bodies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .wire import dumps, envelope_time

JSON = "application/json;charset=UTF-8"
XML = "application/xml"
HTML = "text/html"


@dataclass
class Reply:
    """One HTTP answer of the fake."""

    status: int
    body: bytes
    content_type: str = JSON
    headers: dict[str, str] = field(default_factory=dict)


class QboFault(Exception):
    """Raised inside the fake's handlers; becomes a standard `{"Fault": ...}` answer."""

    def __init__(
        self,
        code: str,
        message: str,
        detail: str,
        *,
        element: str = "",
        status: int = 400,
        kind: str = "ValidationFault",
    ) -> None:
        super().__init__(f"{code} {message}")
        self.code, self.message, self.detail, self.element = code, message, detail, element
        self.status, self.kind = status, kind

    def fault_body(self) -> dict:
        error = {"Message": self.message, "Detail": self.detail, "code": self.code, "element": self.element}
        return {"Error": [error], "type": self.kind}

    def reply(self, now: datetime) -> Reply:
        return Reply(self.status, dumps({"Fault": self.fault_body(), "time": envelope_time(now)}))


def stale_object() -> QboFault:
    return QboFault(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and API API were working on this at the same time. "
        "API API finished before you did, so your work was not saved.",
    )


def object_not_found(entity: str = "", entity_id: str = "") -> QboFault:
    return QboFault(
        "610",
        "Object Not Found",
        "Object Not Found : Something you're trying to use has been made inactive. "
        "Check the fields with accounts, customers, items, vendors or employees.",
        element=f"{entity}:{entity_id}" if entity else "",
    )


def invalid_reference(element: str, value: str) -> QboFault:
    # Assumption: code 2500 "Invalid Reference Id" (Intuit error-code list; not in the samples).
    return QboFault(
        "2500", "Invalid Reference Id", f"Invalid Reference Id : {element} {value} does not exist", element=element
    )


def required_param(element: str) -> QboFault:
    # Assumption: code 2020 (Intuit error-code list; not in the samples).
    return QboFault(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {element} is missing in the request",
        element=element,
    )


def too_long(element: str, limit: int) -> QboFault:
    return QboFault("2050", "Length exceeds limit", f"Length of the field exceeds {limit} chars", element=element)


def invalid_query(detail: str) -> QboFault:
    # Sample: {"Message": "Invalid query", "Detail": "QueryValidationError: ...", "code": "4001"}
    return QboFault("4001", "Invalid query", detail)


def business_validation(detail: str) -> QboFault:
    return QboFault("6000", "A business validation error has occurred while processing your request", detail)


def duplicate_doc_number() -> QboFault:
    return QboFault(
        "6210",
        "Duplicate Document Number Error",
        "Duplicate Document Number Error : You must specify a different number. This number has already been used.",
    )


def _lower_case_envelope(message: str, code: str, kind: str, now: datetime) -> bytes:
    # Verbatim envelope of the recorded 401 (python-quickbooks issue #118): lower-case keys, epoch-millis time.
    return dumps(
        {
            "warnings": None,
            "intuitObject": None,
            "fault": {
                "error": [{"message": message, "detail": None, "code": code, "element": None}],
                "type": kind,
            },
            "report": None,
            "queryResponse": None,
            "batchItemResponse": [],
            "attachableResponse": [],
            "syncErrorResponse": None,
            "requestId": None,
            "time": int(now.timestamp() * 1000),
            "status": None,
            "cdcresponse": [],
        }
    )


def unauthorized_json(now: datetime) -> Reply:
    message = "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    return Reply(401, _lower_case_envelope(message, "3200", "AUTHENTICATION", now))


def unauthorized_xml(now: datetime) -> Reply:
    """Wrong realm/token pair (intuit/oauth-jsclient#91): XML AuthenticationFault 100."""
    body = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><IntuitResponse '
        f'xmlns="http://schema.intuit.com/finance/v3" time="{envelope_time(now)}"><Fault type="AuthenticationFault">'
        '<Error code="100"><Message>General Authentication Error</Message><Detail>AuthenticationErrorGeneral: '
        "SRV-110-Authentication Failure , statusCode: 401</Detail></Error></Fault></IntuitResponse>"
    )
    return Reply(401, body.encode(), XML)


def forbidden(now: datetime) -> Reply:
    # Assembled: the 401's lower-case envelope with Intuit's 3100 ApplicationAuthorizationFailed message.
    message = "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403"
    return Reply(403, _lower_case_envelope(message, "3100", "AUTHORIZATION", now))


def not_found(now: datetime) -> Reply:
    # Assembled: an unknown URL answers 404 with a SystemFault envelope (code always present: the library needs it).
    fault = QboFault(
        "10000",
        "An application error has occurred while processing your request",
        "System Failure Error: Not Found",
        status=404,
        kind="SystemFault",
    )
    return fault.reply(now)


def throttled_xml(now: datetime) -> Reply:
    body = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<IntuitResponse time="{envelope_time(now)}" xmlns="http://schema.intuit.com/finance/v3">\n'
        '  <Fault type="SERVICE">\n    <Error code="3001">\n'
        "      <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>\n"
        "      <Detail>The request limit was reached.  Try again later</Detail>\n"
        "    </Error>\n  </Fault>\n</IntuitResponse>\n"
    )
    return Reply(429, body.encode(), XML)


def throttled_json(now: datetime) -> Reply:
    # Assembled: the XML 429's fields in the standard JSON Fault envelope.
    fault = QboFault(
        "3001",
        "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        "The request limit was reached.  Try again later",
        status=429,
        kind="SERVICE",
    )
    return fault.reply(now)


def server_error_html(now: datetime) -> Reply:
    # Assembled: a load balancer's HTML page, what python-quickbooks cannot parse (→ code 10000).
    body = (
        "<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head><body>"
        "<h1>Internal Server Error</h1><p>The server encountered an internal error and was unable to complete "
        "your request.</p></body></html>"
    )
    return Reply(500, body.encode(), HTML)


def validation_reply(now: datetime) -> Reply:
    """An injectable generic 400 validation fault (6000 business validation)."""
    return business_validation("Business Validation Error: injected by the test").reply(now)


INJECTABLE = {
    "validation_400": validation_reply,
    "unauthorized_401": unauthorized_json,
    "unauthorized_401_xml": unauthorized_xml,
    "forbidden_403": forbidden,
    "not_found_404": not_found,
    "stale_5010": lambda now: stale_object().reply(now),
    "throttle_429_xml": throttled_xml,
    "throttle_429_json": throttled_json,
    "server_500_html": server_error_html,
}


def oauth_error(error: str, description: str, status: int = 400) -> Reply:
    """Token endpoint errors: `{"error_description": ..., "error": ...}` (verbatim invalid_grant sample order)."""
    return Reply(status, dumps({"error_description": description, "error": error}), "application/json")
