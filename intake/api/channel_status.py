"""Status reads for the channels: ``GET /api/channel/orders/{external_id}/`` and the list of
orders changed since a moment, ``GET /api/channel/orders/?since=…``.

A channel reads its own orders only (another channel's order answers 404, as a missing
one does). What it reads is what it would be sent by the outbound results: the state, the
department and deadline, the reply once there is one — never the parties' data.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers

from intake import selectors
from intake.models import Case, State
from luodian_platform.errors import NotFound, ServiceError

REPLY_STATES = {State.REPLIED, State.CLOSED, State.ARCHIVED}
LIST_LIMIT = 100
LIST_MAX = 500


def _iso(moment) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def order_status(case: Case) -> dict:
    dept = case.department
    return {
        "external_id": case.external_id,
        "number": case.number,
        "state": case.state,
        "state_label": str(case.get_state_display()),
        "department": {"code": dept.code, "name": dept.name} if dept else None,
        "dispatched_at": _iso(case.dispatched_at),
        "due_at": _iso(case.due_at),
        "reply": (
            {
                "outcome": case.outcome,
                "outcome_label": str(case.get_outcome_display()) if case.outcome else "",
                "text": case.reply_text,
                "document": case.reply_document,
                "replied_at": _iso(case.replied_at),
            }
            if case.state in REPLY_STATES and case.replied_at
            else None
        ),
        "rejection": (
            {"reason": case.reject_reason, "route_to": case.reject_channel}
            if case.state == State.REJECTED
            else None
        ),
        "closed_at": _iso(case.closed_at),
        "updated_at": _iso(case.updated_at),
    }


def order_detail(*, channel: str, external_id: str) -> dict:
    case = selectors.channel_orders(channel=channel).filter(external_id=external_id).first()
    if case is None:
        raise NotFound(_("该渠道没有此工单号的工单。"))
    return order_status(case)


def _bad(field: str, message: str) -> ServiceError:
    return ServiceError(_("查询参数有误。"), fields={field: [message]})


def orders_changed(*, channel: str, params) -> dict:
    since = None
    raw = (params.get("since") or "").strip()
    if raw:
        try:
            since = parse_datetime(raw)
        except ValueError:
            since = None
        if since is None:
            raise _bad("since", _("时间格式应为 ISO 8601,例如 2026-03-01T08:00:00+08:00。"))
        if timezone.is_naive(since):
            since = timezone.make_aware(since)
    try:
        after_id = int(params.get("after_id") or 0)
        limit = int(params.get("limit") or LIST_LIMIT)
    except (TypeError, ValueError):
        raise _bad("limit", _("应为整数。")) from None
    if not 0 <= after_id < 2**63:
        raise _bad("after_id", _("after_id 应为上一页 next 给出的编号。"))
    if not 1 <= limit <= LIST_MAX:
        raise _bad("limit", _("limit 应在 1 到 %(n)d 之间。") % {"n": LIST_MAX})
    cases = selectors.channel_orders_changed(
        channel=channel, since=since, after_id=after_id, limit=limit
    )
    last = cases[-1] if cases else None
    return {
        "results": [order_status(c) for c in cases],
        "next": (
            {"since": last.updated_at.isoformat(), "after_id": last.pk}
            if last is not None and len(cases) == limit
            else None
        ),
    }


STATUS_FIELDS = {
    "external_id": serializers.CharField(),
    "number": serializers.CharField(),
    "state": serializers.CharField(),
    "state_label": serializers.CharField(),
    "department": serializers.DictField(allow_null=True),
    "dispatched_at": serializers.DateTimeField(allow_null=True),
    "due_at": serializers.DateTimeField(allow_null=True),
    "reply": serializers.DictField(allow_null=True),
    "rejection": serializers.DictField(allow_null=True),
    "closed_at": serializers.DateTimeField(allow_null=True),
    "updated_at": serializers.DateTimeField(),
}


def _status(**kwargs):
    return inline_serializer("ChannelOrderStatus", STATUS_FIELDS, **kwargs)


DETAIL_SCHEMA = extend_schema(
    operation_id="channel_order_status",
    summary="渠道查询本渠道一件工单的办理状态",
    description="只能查询本渠道推送的工单;其他渠道的工单与不存在的工单一样返回404。不含当事人信息。",
    responses={200: _status(), 404: OpenApiResponse(description="无此工单")},
    tags=["channel"],
)

LIST_SCHEMA = extend_schema(
    operation_id="channel_order_changes",
    summary="渠道查询自某时刻以来有变化的本渠道工单",
    description=(
        "按变化时间升序返回;结果满 limit 件时 next 给出下一页的 since 与 after_id。"
        "重复读取同一页无副作用。"
    ),
    parameters=[
        OpenApiParameter("since", str, description="ISO 8601 时间(含),不填为全部"),
        OpenApiParameter("after_id", int, description="翻页用,取上一页 next.after_id"),
        OpenApiParameter("limit", int, description=f"每页件数,1-{LIST_MAX},默认{LIST_LIMIT}"),
    ],
    responses={
        200: inline_serializer(
            "ChannelOrderChanges",
            {
                "results": _status(many=True),
                "next": serializers.DictField(allow_null=True),
            },
        ),
        400: OpenApiResponse(description="查询参数有误"),
    },
    tags=["channel"],
)
