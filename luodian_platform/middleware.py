"""Security headers Django does not set itself: a Content-Security-Policy with no inline
scripts and no third-party origin (every asset ships with the project)."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # The OpenAPI docs page (sidecar Swagger UI) needs an inline bootstrap script.
        if not request.path.startswith("/api/docs"):
            response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response


# --- the idle timeout, without a write on every request ---------------------------------

TOUCHED = "_touched"  # epoch seconds of the last time the session's expiry was pushed on


class SlidingSessionMiddleware:
    """Staff sessions expire after ``SESSION_COOKIE_AGE`` of inactivity (a sliding window).
    ``SESSION_SAVE_EVERY_REQUEST`` would write the session row (UPDATE + COMMIT) on every
    request; instead the expiry is pushed on at most once per ``SESSION_REFRESH_SECONDS``,
    so the idle timeout is honoured to within that interval. Sessions without a logged-in
    user (token API calls, anonymous pages) are never written."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.modified or not session.session_key:
            return response
        if response.status_code >= 500 or session.get(SESSION_KEY) is None:
            return response
        now = int(time.time())
        if now - int(session.get(TOUCHED, 0)) >= settings.SESSION_REFRESH_SECONDS:
            session[TOUCHED] = now  # modified: SessionMiddleware saves it with a new expiry
        return response


# --- request bodies a view should never see -------------------------------------------

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RequestGuardMiddleware:
    """Bodies no view should see, refused in the reader's language before any view runs.

    * Not UTF-8 (a GBK form, raw bytes): Django would decode it with replacement characters
      and store mojibake; here it is a 400 naming the field, and nothing is stored.
    * Over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413) or over ``DATA_UPLOAD_MAX_NUMBER_FIELDS``
      / ``…_FILES`` (400): Django raises ``RequestDataTooBig`` / ``TooManyFieldsSent``
      deep inside CSRF or the view and answers with its own English page.

    API paths answer in the platform's JSON error shape, pages with ``400.html``. It sits
    after ``LocaleMiddleware`` (the message is in the user's language) and before CSRF
    (which is the first to read the form).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            refused = self._check(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def process_exception(self, request, exception):
        """The last net under every form and endpoint: a number or text the database cannot
        hold (SQLite's 64-bit integers, a column's length) reached it unvalidated. The
        write was rolled back with the exception; answer 400 in words, not a 500."""
        from django.db import DataError
        from django.utils.translation import gettext as _

        if isinstance(exception, (OverflowError, DataError)):
            import logging

            logging.getLogger(__name__).warning(
                "unvalidated input reached the database on %s: %s", request.path, exception
            )
            return _refuse(
                request,
                400,
                "out_of_range",
                _("输入的数值或内容超出允许的范围,未保存任何内容。请核对后重新提交。"),
            )
        return None

    def _check(self, request):
        from django.core.exceptions import (
            RequestDataTooBig,
            TooManyFieldsSent,
            TooManyFilesSent,
        )
        from django.utils.translation import gettext as _

        try:
            if request.content_type == "application/x-www-form-urlencoded":
                field = _first_undecodable_field(request.body)
            elif request.content_type == "multipart/form-data":
                # Django decoded the parts with replacement characters; U+FFFD is not
                # something a clerk types.
                field = next(
                    (
                        key
                        for key, values in request.POST.lists()
                        if "\ufffd" in key or any("\ufffd" in v for v in values)
                    ),
                    None,
                )
            else:
                field = None
                body = request.body
                if body and _is_text(request.content_type):
                    try:
                        body.decode("utf-8")
                    except UnicodeDecodeError:
                        field = "body"
        except RequestDataTooBig:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            return _refuse(
                request,
                413,
                "payload_too_large",
                _("提交的内容过大,上限为 %(mb).1f MB。请删减内容或分批提交。")
                % {"mb": limit / 1024 / 1024},
            )
        except (TooManyFieldsSent, TooManyFilesSent):
            return _refuse(
                request,
                400,
                "too_many_fields",
                _("提交的项目过多(上限 %(n)d 项),请检查表单。")
                % {"n": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS},
            )
        if field is not None:
            message = _(
                "「%(field)s」含有无法识别的字符(不是UTF-8编码),未保存任何内容。"
                "请在本系统页面中重新填写。"
            ) % {"field": field_label(field)}
            return _refuse(
                request,
                400,
                "bad_encoding",
                message,
                {field: [_("该项含有无法识别的字符(非UTF-8编码)。")]},
            )
        return None


def field_label(name: str) -> str:
    """A form field's name as a clerk reads it: the verbose name of a model field of the
    platform's apps with that name (``title`` → 案件标题), else the name itself."""
    from django.utils.translation import gettext as _

    if name == "body":
        return _("请求内容")
    label = _field_labels().get(name)
    return str(label) if label else name


_LABELS: dict | None = None  # name → lazy verbose name, translated when read


def _field_labels() -> dict[str, str]:
    global _LABELS
    if _LABELS is None:
        from django.apps import apps

        labels: dict = {}
        for app in ("intake", "dispatch", "mediation", "followup", "luodian_platform"):
            for model in apps.get_app_config(app).get_models():
                for f in model._meta.get_fields():
                    if getattr(f, "verbose_name", None) and f.name not in labels:
                        labels[f.name] = f.verbose_name
        _LABELS = labels
    return _LABELS


def _is_text(content_type: str) -> bool:
    return content_type.startswith("text/") or content_type.endswith(("json", "+json", "xml"))


def _first_undecodable_field(body: bytes) -> str | None:
    """The first field of an urlencoded body whose name or value is not UTF-8."""
    from urllib.parse import parse_qsl

    # latin-1 maps each byte to one code point, so the bytes survive parsing unchanged.
    for key, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True, encoding="latin-1"):
        try:
            key.encode("latin-1").decode("utf-8")
        except UnicodeDecodeError:
            return "?"
        try:
            value.encode("latin-1").decode("utf-8")
        except UnicodeDecodeError:
            return key.encode("latin-1").decode("utf-8")
    return None


def _refuse(request, status: int, code: str, message: str, fields: dict | None = None):
    from django.http import JsonResponse
    from django.shortcuts import render

    if request.path.startswith("/api/"):
        body = {"error": {"code": code, "message": message, "fields": fields or {}}}
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    if request.path.startswith("/open311/"):
        return _open311_refusal(request, status, message)
    return render(request, "400.html", {"message": message, "fields": fields or {}}, status=status)


def _open311_refusal(request, status: int, message: str):
    """Open311 clients read errors in the standard's format (``[{code, description}]`` or
    ``<errors><error>…``), in the format the path asked for."""
    from xml.sax.saxutils import escape

    from django.http import HttpResponse, JsonResponse

    if request.path.endswith(".xml"):
        body = (
            '<?xml version="1.0" encoding="utf-8"?>\n<errors><error>'
            f"<code>{status}</code><description>{escape(message)}</description>"
            "</error></errors>"
        )
        return HttpResponse(body.encode(), status=status, content_type="text/xml; charset=utf-8")
    return JsonResponse(
        [{"code": status, "description": message}],
        status=status,
        safe=False,
        json_dumps_params={"ensure_ascii": False},
    )
