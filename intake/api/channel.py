"""The channel API: ``POST /api/channel/orders/`` and ``POST /api/channel/orders/bulk/``.

Only a channel token (``Authorization: Channel <token>``) opens these endpoints, and a
channel token opens nothing else: the authentication class is installed on these views
only, and the permission checks that the request was authenticated by a channel token
(a staff session or staff API token is refused even when it is valid).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import authentication, exceptions, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from intake.channel import (
    BulkOrder,
    channel_order_submit,
    channel_orders_submit_many,
    channel_token_authenticate,
    guidance_for,
)
from intake.models import ChannelToken, OtherProceeding, Party
from intake.services import CaseInput, PartyInput
from luodian_platform.api.errors import _flatten, error_response
from luodian_platform.api.throttles import ChannelRateThrottle
from luodian_platform.errors import ServiceError
from luodian_platform.models import Category, Township

from . import channel_status

# A single order is small (facts are capped at 10,000 characters); anything larger is
# refused before parsing so a runaway client cannot make the server parse megabytes.
MAX_ORDER_BYTES = getattr(settings, "CHANNEL_MAX_ORDER_BYTES", 64 * 1024)


def max_bulk_bytes() -> int:
    return min(settings.DATA_UPLOAD_MAX_MEMORY_SIZE, MAX_ORDER_BYTES * settings.CHANNEL_BULK_LIMIT)


class ChannelPrincipal:
    """``request.user`` for a channel: authenticated, but no staff user and no role."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None
    department_id = None
    _role_cache: frozenset = frozenset()

    def __init__(self, token: ChannelToken):
        self.token = token
        self.channel = token.channel

    def __str__(self) -> str:
        return self.get_username()

    @property
    def username(self) -> str:
        return self.get_username()

    def get_username(self) -> str:
        # Audit trails name the channel and the token that wrote a row.
        return f"channel:{self.channel}:{self.token.name}"


class ChannelTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Channel"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace") != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("渠道令牌格式不正确。"))
        token = channel_token_authenticate(header[1].decode(errors="replace"))
        if token is None:
            raise exceptions.AuthenticationFailed(_("渠道令牌无效或已被吊销。"))
        ChannelToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return ChannelPrincipal(token), token

    def authenticate_header(self, request):
        return self.keyword


class ChannelTokenScheme(OpenApiAuthenticationExtension):
    target_class = "intake.api.channel.ChannelTokenAuthentication"
    name = "channelToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "渠道令牌,格式:`Channel <token>`(由系统管理员签发,可吊销)",
        }


class IsChannel(permissions.BasePermission):
    message = "只有外部渠道令牌可以调用渠道接口。"

    def has_permission(self, request, view):
        return isinstance(request.auth, ChannelToken)


# --- input ------------------------------------------------------------------------------


class ChannelPartyInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=Party.PartyRole.choices, label="身份")
    kind = serializers.ChoiceField(
        choices=Party.Kind.choices, default=Party.Kind.PERSON, label="类型"
    )
    name = serializers.CharField(max_length=100, label="姓名/名称")
    id_number = serializers.CharField(
        max_length=18, required=False, allow_blank=True, default="", label="身份证号码"
    )
    credit_code = serializers.CharField(
        max_length=18, required=False, allow_blank=True, default="", label="统一社会信用代码"
    )
    phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="", label="联系电话"
    )
    address = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", label="住址"
    )


class CachedSlugRelatedField(serializers.SlugRelatedField):
    """A SlugRelatedField that, given ``slug_cache`` (a dict) in the context, loads its
    queryset once for a whole batch instead of one query per order."""

    def to_internal_value(self, data):
        cache = self.context.get("slug_cache")
        if cache is None:
            return super().to_internal_value(data)
        key = (self.field_name, self.slug_field)
        if key not in cache:
            cache[key] = {str(getattr(o, self.slug_field)): o for o in self.get_queryset()}
        try:
            return cache[key][str(data)]
        except (KeyError, TypeError):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data))


class CaseFieldsInput(serializers.Serializer):
    """The fields of a case every intake API takes (channel orders, the walk-in API)."""

    category = CachedSlugRelatedField(
        slug_field="code", queryset=Category.objects.filter(is_active=True), label="类别代码"
    )
    title = serializers.CharField(max_length=200, label="标题")
    facts = serializers.CharField(max_length=10000, label="事实与诉求")
    request = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default="", label="当事人诉求"
    )
    township = CachedSlugRelatedField(
        slug_field="code",
        queryset=Township.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        label="乡镇街道代码",
    )
    place = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", label="发生地点"
    )
    amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        default=None,
        label="涉及金额(元)",
    )
    people_count = serializers.IntegerField(
        min_value=1, max_value=100000, required=False, default=1, label="涉及人数"
    )
    is_violence_risk = serializers.BooleanField(required=False, default=False, label="民转刑风险")
    is_vulnerable = serializers.BooleanField(required=False, default=False, label="涉弱势群体")
    parties = ChannelPartyInput(many=True, allow_empty=False, max_length=50)

    def case_fields(self) -> dict:
        """The validated common fields as ``CaseInput`` keyword arguments."""
        d = self.validated_data
        names = (
            "title",
            "facts",
            "request",
            "category",
            "township",
            "place",
            "amount",
            "people_count",
            "is_violence_risk",
            "is_vulnerable",
        )
        return {
            **{name: d[name] for name in names},
            "parties": [PartyInput(**p) for p in d["parties"]],
        }


class ChannelOrderInput(CaseFieldsInput):
    external_id = serializers.CharField(max_length=64, label="渠道工单号")
    other_proceeding = serializers.ChoiceField(
        choices=OtherProceeding.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="已进入诉讼/仲裁/行政复议/信访的事项(将被标记为建议不予受理并给出指引)",
    )

    def to_case_input(self) -> CaseInput:
        return CaseInput(
            **self.case_fields(), external_id=self.validated_data["external_id"].strip()
        )


def field_errors(detail) -> dict[str, list[str]]:
    """DRF's nested errors under the names the service uses: ``parties[0].phone``."""
    out: dict[str, list[str]] = {}
    for key, messages in _flatten(detail).items():
        key = re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", key)
        key = key.removesuffix(".non_field_errors")
        out.setdefault(key, []).extend(messages)
    return out


def _invalid(serializer) -> ServiceError:
    return ServiceError(
        _("提交的数据有误,请按字段提示修改。"), fields=field_errors(serializer.errors)
    )


def submit_payload(payload, *, channel: str, token=None, source: str = "api") -> dict:
    """Validate and store one order; returns a result dict. Used by the API, the bulk
    endpoint and the CSV importer, so all three validate and deduplicate the same way.
    Raises ``ServiceError`` (400, with fields) when the order is refused."""
    serializer = ChannelOrderInput(data=payload)
    if not serializer.is_valid():
        raise _invalid(serializer)
    result = channel_order_submit(
        channel=channel,
        data=serializer.to_case_input(),
        payload=payload,
        other_proceeding=serializer.validated_data["other_proceeding"],
        token=token,
        source=source,
    )
    order = getattr(result.case, "channel_order", None) if not result.created else None
    proceeding = result.other_proceeding or (order.other_proceeding if order else "")
    return {
        "external_id": result.case.external_id,
        "number": result.case.number,
        "state": result.case.state,
        "created": result.created,
        "changed": result.changed,
        "other_proceeding": proceeding,
        "guidance": guidance_for(proceeding),
    }


ORDER_RESULT = inline_serializer(
    "ChannelOrderResult",
    {
        "external_id": serializers.CharField(),
        "number": serializers.CharField(help_text="案件编号(一案一码)"),
        "state": serializers.CharField(),
        "created": serializers.BooleanField(help_text="false 表示同一工单已接收过"),
        "changed": serializers.BooleanField(
            help_text="true 表示重复推送的内容与首次不同:差异已记入案件流转记录,案件本身不自动修改"
        ),
        "other_proceeding": serializers.CharField(),
        "guidance": serializers.CharField(),
    },
)
ERROR = inline_serializer(
    "ChannelError",
    {
        "error": inline_serializer(
            "ChannelErrorBody",
            {
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(child=serializers.ListField()),
            },
        )
    },
)

ORDER_EXAMPLE = {
    "external_id": "12345-20260301-0001",
    "category": "labour",
    "title": "工地拖欠农民工工资",
    "facts": "来电人反映在龙坪镇某工地务工三个月,工资12000元未结清。",
    "request": "要求结清工资",
    "township": "longping",
    "amount": "12000.00",
    "people_count": 1,
    "parties": [
        {
            "role": "applicant",
            "name": "王小明",
            "id_number": "11010519491231002X",
            "phone": "13800138000",
        },
        {
            "role": "respondent",
            "kind": "org",
            "name": "罗甸县某建筑公司",
            "credit_code": "91350100M000100Y43",
        },
    ],
}


def _too_large(request, limit: int) -> Response | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return error_response(
            status.HTTP_400_BAD_REQUEST,
            "payload_too_large",
            _("请求内容过大(%(n)d 字节),上限为 %(max)d 字节。") % {"n": length, "max": limit},
            {"payload": [_("请求内容过大,请拆分后分批提交。")]},
        )
    return None


class ChannelAPIView(APIView):
    authentication_classes = [ChannelTokenAuthentication]
    permission_classes = [IsChannel]
    # One budget per channel token (luodian_platform.api.throttles), so one misbehaving
    # integration cannot starve the others.
    throttle_classes = [ChannelRateThrottle]
    throttle_scope = "channel"


class ChannelOrderView(ChannelAPIView):
    @extend_schema(
        operation_id="channel_order_create",
        summary="渠道推送一件工单(幂等)",
        description=(
            "同一渠道同一 external_id 重复推送只生成一件案件,返回相同的案件编号(200)。"
            "校验失败返回400及字段错误,且不写入任何数据。工单以「待接单」进入调度室收件箱。"
        ),
        request=ChannelOrderInput,
        responses={
            201: ORDER_RESULT,
            200: OpenApiResponse(ORDER_RESULT, description="同一工单已接收过,返回原案件编号"),
            400: OpenApiResponse(ERROR, description="JSON 无效、字段错误或请求过大"),
            401: OpenApiResponse(ERROR, description="缺少或无效的渠道令牌"),
            403: OpenApiResponse(ERROR, description="非渠道令牌(工作人员账号不能调用)"),
        },
        examples=[
            OpenApiExample("劳动争议工单", value=ORDER_EXAMPLE, request_only=True),
            OpenApiExample(
                "已接收",
                value={
                    "external_id": "12345-20260301-0001",
                    "number": "LD2026-000123",
                    "state": "received",
                    "created": True,
                    "changed": False,
                    "other_proceeding": "",
                    "guidance": "",
                },
                response_only=True,
                status_codes=["201", "200"],
            ),
            OpenApiExample(
                "字段错误",
                value={
                    "error": {
                        "code": "invalid",
                        "message": "提交的数据有误,请按字段提示修改。",
                        "fields": {
                            "category": ["对象 code=unknown 不存在。"],
                            "parties[0].id_number": ["身份证号码校验位不正确,请核对后重新输入。"],
                        },
                    }
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
        tags=["channel"],
    )
    def post(self, request):
        refused = _too_large(request, MAX_ORDER_BYTES)
        if refused:
            return refused
        payload = request.data
        if not isinstance(payload, dict):
            return error_response(
                400, "invalid", _("工单应为一个JSON对象。"), {"non_field_errors": [_("应为对象。")]}
            )
        result = submit_payload(payload, channel=request.auth.channel, token=request.auth)
        return Response(result, status=201 if result["created"] else 200)

    @channel_status.LIST_SCHEMA
    def get(self, request):
        return Response(
            channel_status.orders_changed(channel=request.auth.channel, params=request.GET)
        )


class ChannelOrderStatusView(ChannelAPIView):
    @channel_status.DETAIL_SCHEMA
    def get(self, request, external_id: str):
        return Response(
            channel_status.order_detail(channel=request.auth.channel, external_id=external_id)
        )


class BulkInput(serializers.Serializer):
    # Items are checked one by one (a bad item is reported, not fatal to the batch).
    orders = serializers.ListField(child=serializers.JSONField(), allow_empty=False)

    def validate_orders(self, value):
        limit = settings.CHANNEL_BULK_LIMIT
        if len(value) > limit:
            raise serializers.ValidationError(
                _("一次最多提交 %(n)d 件工单,本次 %(m)d 件。") % {"n": limit, "m": len(value)}
            )
        return value


class ChannelBulkView(ChannelAPIView):
    throttle_scope = "channel_bulk"

    @extend_schema(
        operation_id="channel_order_bulk",
        summary="渠道批量推送工单",
        description=(
            "一次最多 CHANNEL_BULK_LIMIT 件。每件独立校验与存储:合格的入库,不合格的在结果中"
            "逐件说明(status=invalid 与字段错误)。"
        ),
        request=BulkInput,
        responses={
            200: inline_serializer(
                "ChannelBulkResult",
                {
                    "created": serializers.IntegerField(),
                    "existing": serializers.IntegerField(),
                    "invalid": serializers.IntegerField(),
                    "results": serializers.ListField(child=serializers.DictField()),
                },
            ),
            400: OpenApiResponse(ERROR, description="不是有效的批量报文、超过件数或过大"),
            401: OpenApiResponse(ERROR),
            403: OpenApiResponse(ERROR),
        },
        examples=[
            OpenApiExample(
                "两件工单",
                value={
                    "orders": [
                        ORDER_EXAMPLE,
                        {**ORDER_EXAMPLE, "external_id": "x2", "category": "nope"},
                    ]
                },
                request_only=True,
            ),
            OpenApiExample(
                "逐件结果",
                value={
                    "created": 1,
                    "existing": 0,
                    "invalid": 1,
                    "results": [
                        {
                            "index": 0,
                            "external_id": "12345-20260301-0001",
                            "status": "created",
                            "number": "LD2026-000124",
                        },
                        {
                            "index": 1,
                            "external_id": "x2",
                            "status": "invalid",
                            "error": {
                                "code": "invalid",
                                "message": "提交的数据有误,请按字段提示修改。",
                                "fields": {"category": ["对象 code=nope 不存在。"]},
                            },
                        },
                    ],
                },
                response_only=True,
                status_codes=["200"],
            ),
        ],
        tags=["channel"],
    )
    def post(self, request):
        refused = _too_large(request, max_bulk_bytes())
        if refused:
            return refused
        outer = BulkInput(data=request.data if isinstance(request.data, dict) else {})
        outer.is_valid(raise_exception=True)
        results = process_many(
            outer.validated_data["orders"],
            channel=request.auth.channel,
            token=request.auth,
            source="bulk",
        )
        return Response(summarise(results))


def _error_row(index: int, external_id, exc: ServiceError) -> dict:
    return {
        "index": index,
        "external_id": external_id,
        "status": "invalid",
        "error": {
            "code": exc.code,
            "message": exc.message,
            "fields": {
                k: [str(m) for m in v] if isinstance(v, list) else [str(v)]
                for k, v in exc.fields.items()
            },
        },
    }


def process_many(orders: list, *, channel: str, token=None, source: str) -> list[dict]:
    """A batch: every order validated first, the good ones stored together
    (``intake.channel.channel_orders_submit_many``); one result row per order, in order,
    the same rows ``process_one`` gives."""
    context = {"slug_cache": {}}
    batch = []
    for order in orders:
        serializer = ChannelOrderInput(data=order, context=context)
        if serializer.is_valid():
            batch.append(
                BulkOrder(
                    data=serializer.to_case_input(),
                    payload=order,
                    other_proceeding=serializer.validated_data["other_proceeding"],
                )
            )
        else:
            batch.append(BulkOrder(data=None, payload=order, error=_invalid(serializer)))
    results = channel_orders_submit_many(channel=channel, orders=batch, token=token, source=source)
    created_here = {
        r.case.pk: r.other_proceeding
        for r in results
        if not isinstance(r, ServiceError) and r.created
    }
    rows = []
    for index, (order, result) in enumerate(zip(orders, results, strict=True)):
        external_id = order.get("external_id", "") if isinstance(order, dict) else ""
        if isinstance(result, ServiceError):
            rows.append(_error_row(index, external_id, result))
            continue
        proceeding = result.other_proceeding
        if not result.created and not proceeding:
            # An earlier order (or the same one earlier in this batch) says what it was.
            proceeding = created_here.get(result.case.pk)
            if proceeding is None:
                order_row = getattr(result.case, "channel_order", None)
                proceeding = order_row.other_proceeding if order_row else ""
        rows.append(
            {
                "index": index,
                "external_id": result.case.external_id,
                "status": "created" if result.created else "existing",
                "changed": result.changed,
                "number": result.case.number,
                "other_proceeding": proceeding,
                "guidance": guidance_for(proceeding),
            }
        )
    return rows


def process_one(index: int, order, *, channel: str, token=None, source: str) -> dict:
    """One order of a batch: a result row, never an exception for bad input."""
    external_id = order.get("external_id", "") if isinstance(order, dict) else ""
    try:
        r = submit_payload(order, channel=channel, token=token, source=source)
    except ServiceError as exc:
        return _error_row(index, external_id, exc)
    return {
        "index": index,
        "external_id": r["external_id"],
        "status": "created" if r["created"] else "existing",
        "changed": r["changed"],
        "number": r["number"],
        "other_proceeding": r["other_proceeding"],
        "guidance": r["guidance"],
    }


def summarise(results: list[dict]) -> dict:
    return {
        "created": sum(r["status"] == "created" for r in results),
        "existing": sum(r["status"] == "existing" for r in results),
        "invalid": sum(r["status"] == "invalid" for r in results),
        "results": results,
    }
