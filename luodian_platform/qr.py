"""QR codes drawn on the server (segno, pure Python; no CDN, no image library) and the
public address that printed codes and SMS links point at.

A receipt is printed in the hall but read on a citizen's phone, so the link must be the
public address of the site (``PUBLIC_BASE_URL``), not whatever host the clerk's browser
used."""

from __future__ import annotations

import io

import segno
from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe


def public_url(path: str) -> str:
    """``path`` (from ``reverse``) on the public address of the site."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def qr_svg(data: str, *, title: str, scale: int = 4) -> SafeString:
    """An inline SVG of ``data`` (error correction M: a printed, folded receipt still
    scans). The title is the accessible name screen readers announce."""
    out = io.BytesIO()
    segno.make(data, error="m").save(
        out, kind="svg", scale=scale, xmldecl=False, svgns=True, title=escape(title), border=4
    )
    svg = out.getvalue().decode("utf-8")
    # role="img" so the <title> is the image's name (axe: svg-img-alt).
    return mark_safe(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S308 - segno's own markup, title escaped
