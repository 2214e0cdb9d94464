"""One JSON error shape for the whole API:

{"error": {"code": "...", "message": "中文说明", "fields": {"field": ["..."]}}}
"""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from luodian_platform.errors import ServiceError


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors" and not prefix:
                name = "non_field_errors"
            out.update(_flatten(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for i, item in enumerate(detail):
                out.update(_flatten(item, f"{prefix}[{i}]"))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def _parse_error_message(detail: str) -> str:
    """DRF's English parser message (``JSON parse error - Expecting value: line 1 column 5
    (char 4)``) as a sentence a clerk can act on: where the JSON breaks, or the encoding."""
    if "codec can't decode" in detail:
        return _("请求内容不是UTF-8编码,无法识别。")
    where = re.search(r"line (\d+) column (\d+)", detail)
    if where:
        return _("请求内容不是有效的JSON,第 %(line)s 行第 %(col)s 列附近有误。") % {
            "line": where.group(1),
            "col": where.group(2),
        }
    return _("请求内容不是有效的JSON,请检查格式。")


def error_response(
    status_code: int, code: str, message: str, fields: dict | None = None
) -> Response:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return Response(body, status=status_code)


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        fields = {k: v if isinstance(v, list) else [str(v)] for k, v in exc.fields.items()}
        return error_response(exc.status, exc.code, exc.message, fields)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("对象不存在或您无权查看。"))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        return error_response(
            status.HTTP_400_BAD_REQUEST,
            "invalid",
            _("提交的数据有误,请按字段提示修改。"),
            _flatten(exc.detail),
        )
    if isinstance(exc, exceptions.ParseError):
        return error_response(400, "parse_error", _parse_error_message(str(exc.detail)))
    detail = getattr(exc, "detail", "")
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    message = str(detail) if detail else str(exc)
    shaped = error_response(response.status_code, str(code), message)
    # Keep the headers DRF set: WWW-Authenticate on 401, Retry-After on 429.
    for header in ("WWW-Authenticate", "Retry-After"):
        if header in response:
            shaped[header] = response[header]
    return shaped
