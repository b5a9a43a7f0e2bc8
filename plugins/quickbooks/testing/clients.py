"""Build the REAL python-quickbooks and intuit-oauth clients against a FakeQuickBooks, the way spec §1.2 says:
discovery URL as `environment`, a QuickBooks subclass overriding the API base URL, OAUTHLIB_INSECURE_TRANSPORT=1."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from intuitlib.client import AuthClient
from quickbooks import QuickBooks

if TYPE_CHECKING:
    from .oauth import TokenSet
    from .server import FakeQuickBooks


@contextmanager
def insecure_transport() -> Iterator[None]:
    """Let requests-oauthlib send Bearer tokens over plain http to 127.0.0.1 (restored afterwards)."""
    before = os.environ.get("OAUTHLIB_INSECURE_TRANSPORT")
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("OAUTHLIB_INSECURE_TRANSPORT", None)
        else:
            os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = before


def local_quickbooks_class(api_url_v3: str) -> type[QuickBooks]:
    return type("LocalQuickBooks", (QuickBooks,), {"api_url_v3": api_url_v3, "sandbox_api_url_v3": api_url_v3})


def auth_client(qbo: FakeQuickBooks, tokens: TokenSet | None = None, redirect_uri: str | None = None) -> AuthClient:
    return AuthClient(
        qbo.client_id,
        qbo.client_secret,
        redirect_uri or qbo.redirect_uri,
        qbo.discovery_url,
        access_token=tokens.access_token if tokens else None,
        refresh_token=tokens.refresh_token if tokens else None,
        realm_id=tokens.realm_id if tokens else None,
    )


def quickbooks_client(qbo: FakeQuickBooks, tokens: TokenSet) -> QuickBooks:
    """A client with the access token passed (so construction does not refresh), minorversion 75, Decimals."""
    cls = local_quickbooks_class(qbo.api_url_v3)
    return cls(
        auth_client=auth_client(qbo, tokens),
        refresh_token=tokens.refresh_token,
        company_id=tokens.realm_id,
        minorversion=75,
        use_decimal=True,
    )
