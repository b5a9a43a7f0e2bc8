"""The QR code of a receipt's KRA verification link, as PNG bytes or a data: URI (segno, pure Python)."""

from __future__ import annotations

import io

import segno

# Error correction M survives a crease or a smudge on paper; border 4 is the quiet zone the standard asks for.
ERROR_LEVEL = "m"
BORDER = 4


def qr_png(url: str, scale: int = 8) -> bytes:
    """A black-on-white PNG of `url`."""
    if not url:
        raise ValueError("a receipt without a KRA link has no QR code")
    buffer = io.BytesIO()
    segno.make(url, error=ERROR_LEVEL, micro=False).save(buffer, kind="png", scale=scale, border=BORDER)
    return buffer.getvalue()


def qr_data_uri(url: str, scale: int = 5) -> str:
    """The PNG as a data: URI, so an HTML receipt needs no other file."""
    return segno.make(url, error=ERROR_LEVEL, micro=False).png_data_uri(scale=scale, border=BORDER)
