"""``POST /api/cases/``: walk-in registration for the window (the same validation, parties,
risk flags and duplicate suggestions as the registration page), idempotent with an
``Idempotency-Key`` header (``intake.walkin``)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import serializers, status
from rest_framework.response import Response

from intake.models import Case, RiskLevel
from intake.services import CaseInput, duplicate_lookup
from intake.walkin import request_digest, walk_in_register
from luodian_platform.errors import ServiceError

from .channel import ORDER_EXAMPLE, CaseFieldsInput, field_errors
from .serializers import CaseDetailSerializer


class WalkInInput(CaseFieldsInput):
    risk_level = serializers.ChoiceField(
        choices=RiskLevel.choices, required=False, default=RiskLevel.LOW, label="风险等级"
    )
    is_group = serializers.BooleanField(required=False, default=False, label="群体性")
    is_repeat = serializers.BooleanField(required=False, default=False, label="重复访")
    mode = serializers.ChoiceField(
        choices=[("register", "登记"), ("on_spot", "当场办结(即办件)"), ("link", "关联已有案件")],
        required=False,
        default="register",
        help_text="register 登记流转;on_spot 法律咨询/心理疏导当场办结(须填 answer);"
        "link 关联到疑似重复案件(须填 link_to)",
    )
    answer = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, default="", label="答复或建议内容"
    )
    link_to = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=1, label="关联的案件ID"
    )

    def to_case_input(self) -> CaseInput:
        d = self.validated_data
        return CaseInput(
            **self.case_fields(),
            risk_level=d["risk_level"],
            is_group=d["is_group"],
            is_repeat=d["is_repeat"],
        )


class DuplicateOutput(serializers.Serializer):
    case_id = serializers.IntegerField()
    number = serializers.CharField()
    state_label = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())
    visible = serializers.BooleanField(help_text="false:他人登记的案件,只显示编号和状态")
    title = serializers.CharField()
    category = serializers.CharField()
    township = serializers.CharField()


class WalkInOutput(CaseDetailSerializer):
    replayed = serializers.BooleanField(help_text="true:同一 Idempotency-Key 的重复请求")
    auto_flags = serializers.ListField(
        child=serializers.CharField(), help_text="系统自动标记:repeat 重复访,group 群体性"
    )
    duplicates = DuplicateOutput(many=True, help_text="疑似重复或同一当事人的在案案件(脱敏)")

    class Meta(CaseDetailSerializer.Meta):
        fields = [*CaseDetailSerializer.Meta.fields, "replayed", "auto_flags", "duplicates"]


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "可选。客户端生成的唯一键(建议UUID,1-100个可见ASCII字符)。同一用户以同一键重复提交"
        "同一内容时返回首次登记的案件(200,replayed=true),不会重复登记;同一键提交不同内容"
        "返回409。键的有效期见 IDEMPOTENCY_KEY_HOURS(默认24小时)。"
    ),
)

WALK_IN_SCHEMA = extend_schema(
    operation_id="cases_create",
    summary="窗口登记(来访)",
    description="与登记页面相同的校验、当事人、风险标记和查重提示。窗口登记员、调度员可用。",
    request=WalkInInput,
    parameters=[IDEMPOTENCY_HEADER],
    responses={
        201: WalkInOutput,
        200: OpenApiResponse(WalkInOutput, description="同一 Idempotency-Key 的重复请求"),
        400: OpenApiResponse(description="输入有误,fields 指明字段(如 parties[0].phone)"),
        403: OpenApiResponse(description="只有窗口登记员或调度员可以登记案件"),
        409: OpenApiResponse(description="同一 Idempotency-Key 已用于另一份登记内容"),
    },
    examples=[
        OpenApiExample(
            "劳动争议来访",
            value={k: v for k, v in ORDER_EXAMPLE.items() if k != "external_id"},
            request_only=True,
        )
    ],
    tags=["cases"],
)


def walk_in_create(request) -> Response:
    inp = WalkInInput(data=request.data)
    if not inp.is_valid():
        raise ServiceError(_("登记信息有误,请按提示修改。"), fields=field_errors(inp.errors))
    d = inp.validated_data
    data = inp.to_case_input()
    key = request.headers.get("Idempotency-Key")
    result = walk_in_register(
        data=data,
        actor=request.user,
        mode=d["mode"],
        answer=d["answer"],
        link_to=d["link_to"],
        idempotency_key=key,
        request_hash=request_digest(request.data) if key is not None else "",
    )
    case = Case.objects.prefetch_related("parties", "events__actor").get(pk=result.case.pk)
    parties = list(case.parties.all())
    hits = duplicate_lookup(
        actor=request.user,
        id_numbers=[p.id_number for p in parties],
        phones=[p.phone for p in parties],
        respondent_names=[p.name for p in parties if p.role == "respondent"],
    )
    first = next((e for e in case.events.all() if e.transition == "register"), None)
    case.replayed = result.replayed
    case.auto_flags = (first.payload or {}).get("auto_flags", []) if first else []
    case.duplicates = [h for h in hits if h.case_id != case.pk and h.case_id != case.merged_into_id]
    return Response(
        WalkInOutput(case, context={"request": request}).data,
        status=status.HTTP_200_OK if result.replayed else status.HTTP_201_CREATED,
    )
