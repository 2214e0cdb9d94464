"""The HTTP answer of a download, shared by the page and the API."""

from __future__ import annotations

import re
from urllib.parse import quote

from django.http import FileResponse, HttpResponse

from .services import OpenedFile

_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._() -]")


def content_disposition(name: str, pk: int, ext: str) -> str:
    """``attachment`` with the UTF-8 name per RFC 6266 / RFC 5987 (``filename*``) and a
    plain ASCII fallback for old clients (``filename``)."""
    stem = name.rsplit(".", 1)[0] if "." in name else name
    ascii_stem = _UNSAFE_ASCII.sub("", stem.encode("ascii", "ignore").decode()).strip(" .")
    fallback = f"{ascii_stem or f'file-{pk}'}.{ext}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def download_response(opened: OpenedFile):
    a = opened.attachment
    if opened.content is not None:
        response = HttpResponse(opened.content)
    else:
        response = FileResponse(opened.handle)
    response["Content-Type"] = a.content_type
    response["Content-Length"] = str(a.size)
    ext = a.name.rsplit(".", 1)[1].lower() if "." in a.name else a.file_type
    response["Content-Disposition"] = content_disposition(a.name, a.pk, ext)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def thumbnail_response(data: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
