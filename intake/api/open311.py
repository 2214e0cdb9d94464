"""Open311 GeoReport v2 endpoints under ``/open311/``: discovery, services, service
definitions, requests (POST to file, GET to follow), each as ``.json`` or ``.xml``, errors in
the standard's error format. The mapping lives in ``intake/open311.py``; filing reuses the
channel API's validation and idempotency (``submit_payload``)."""

from __future__ import annotations

import datetime as dt
import json

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from intake import open311
from intake.channel import channel_token_authenticate
from intake.models import ChannelToken
from luodian_platform.audit import acting_as
from luodian_platform.errors import ServiceError
from luodian_platform.models import Category

from .channel import submit_payload

CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def _answer(fmt: str, data, *, root: str, item: str | None, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        body = open311.to_xml(root, item, data)
    else:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def _error(fmt: str, status: int, errors: list[tuple[int, str]]) -> HttpResponse:
    if fmt == "xml":
        body = open311.errors_xml(errors)
    else:
        body = json.dumps(
            [{"code": c, "description": d} for c, d in errors], ensure_ascii=False
        ).encode("utf-8")
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


@require_GET
def discovery(request, fmt: str):
    url = request.build_absolute_uri(reverse("open311:services", args=["json"]))
    endpoint = url.removesuffix("/services.json")
    data = open311.discovery(endpoint_url=endpoint, changeset=open311.CHANGESET)
    return _answer(fmt, data, root="discovery", item=None)


@require_GET
def services(request, fmt: str):
    return _answer(fmt, open311.services(), root="services", item="service")


@require_GET
def service_definition(request, code: str, fmt: str):
    category = Category.objects.filter(code=code, is_active=True).first()
    if category is None:
        return _error(fmt, 404, [(404, _("service_code %(c)s 不存在。") % {"c": code})])
    return _answer(fmt, open311.service_definition(category), root="service_definition", item=None)


@csrf_exempt  # no session: an Open311 client authenticates with its api_key
@require_http_methods(["GET", "POST"])
def requests_view(request, fmt: str):
    if request.method == "POST":
        return _create(request, fmt)
    return _list(request, fmt)


def _token(request) -> ChannelToken | None:
    raw = request.POST.get("api_key") or request.GET.get("api_key") or ""
    token = channel_token_authenticate(raw.strip())
    if token is not None:
        ChannelToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token


def _create(request, fmt: str) -> HttpResponse:
    token = _token(request)
    if token is None:
        return _error(fmt, 403, [(403, _("api_key 无效或已被吊销,不能提交请求(create_request)。"))])
    form = {k: request.POST.get(k, "") for k in request.POST}
    try:
        payload = open311.channel_payload(form)
        with acting_as(f"channel:{token.channel}:{token.name}"):
            result = submit_payload(
                payload, channel=token.channel, token=token, source=open311.SOURCE
            )
    except open311.Open311Error as exc:
        return _error(fmt, exc.status, exc.errors)
    except ServiceError as exc:
        return _error(fmt, 400, open311.errors_from_fields(exc.fields))
    notice = result["guidance"] or _("已受理。案件编号 %(n)s,可凭编号查询办理进度。") % {
        "n": result["number"]
    }
    row = {"service_request_id": result["number"], "service_notice": notice, "account_id": None}
    return _answer(
        fmt,
        [row],
        root="service_requests",
        item="request",
        status=201 if result["created"] else 200,
    )


def _date(raw: str, name: str) -> dt.datetime:
    try:
        value = parse_datetime(raw.strip())
    except ValueError:
        value = None
    if value is None:
        raise open311.Open311Error(
            400, [(400, _("%(n)s:时间格式应为 W3C,例如 2026-03-01T08:00:00+08:00。") % {"n": name})]
        )
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _list(request, fmt: str) -> HttpResponse:
    params = request.GET
    qs = open311.public_requests()
    try:
        ids = [i.strip() for i in (params.get("service_request_id") or "").split(",") if i.strip()]
        if ids:
            qs = qs.filter(number__in=ids[: open311.MAX_RESULTS])  # overrides every other filter
        else:
            end = _date(params["end_date"], "end_date") if params.get("end_date") else None
            start = _date(params["start_date"], "start_date") if params.get("start_date") else None
            span = dt.timedelta(days=open311.MAX_RANGE_DAYS)
            try:
                end = end or ((start + span) if start else timezone.now())
                start = start or (end - span)
            except OverflowError:  # year 9999 + 90 days
                raise open311.Open311Error(
                    400, [(400, _("start_date/end_date 超出可表示的时间范围。"))]
                ) from None
            if end - start > span or start > end:
                raise open311.Open311Error(
                    400, [(400, _("start_date 与 end_date 的范围不能超过90天。"))]
                )
            qs = qs.filter(created_at__gte=start, created_at__lte=end)
            codes = [c.strip() for c in (params.get("service_code") or "").split(",") if c.strip()]
            if codes:
                qs = qs.filter(category__code__in=codes)
            statuses = {s.strip() for s in (params.get("status") or "").split(",") if s.strip()}
            if statuses - {"open", "closed"}:
                raise open311.Open311Error(400, [(400, _("status 只能是 open 或 closed。"))])
            if statuses == {"open"}:
                qs = qs.exclude(state__in=open311.CLOSED_STATES)
            elif statuses == {"closed"}:
                qs = qs.filter(state__in=open311.CLOSED_STATES)
    except open311.Open311Error as exc:
        return _error(fmt, exc.status, exc.errors)
    cases = qs.select_related("channel_order").order_by("-created_at", "-id")[: open311.MAX_RESULTS]
    rows = [open311.request_row(c) for c in cases]
    return _answer(fmt, rows, root="service_requests", item="request")


@require_GET
def request_detail(request, request_id: str, fmt: str):
    case = open311.public_requests().select_related("channel_order").filter(number=request_id)
    case = case.first()
    if case is None:
        return _error(fmt, 404, [(404, _("请求 %(id)s 不存在。") % {"id": request_id})])
    return _answer(fmt, [open311.request_row(case)], root="service_requests", item="request")
