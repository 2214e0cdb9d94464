"""API of the petition and labour-dispute chains: one record per case, one POST per step.
Steps call one service each; a case or record the user cannot see answers 404."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from intake.models import Case

from .. import services
from ..models import LabourRecord, PetitionRecord
from ..services.chains import TEXT_FIELDS

ERRORS = {
    400: OpenApiResponse(description="输入有误,fields 指明字段"),
    403: OpenApiResponse(description="无权执行该操作"),
    404: OpenApiResponse(description="对象不存在或无权查看"),
    409: OpenApiResponse(description="顺序不对、已超过期限或已办理(message 写明依据)"),
}


class PetitionSerializer(serializers.ModelSerializer):
    stage_label = serializers.CharField(source="get_stage_display", read_only=True)
    notice_sha256 = serializers.SerializerMethodField(help_text="已出具告知书PDF的SHA-256")
    reply_sha256 = serializers.SerializerMethodField(help_text="已出具信访处理意见书PDF的SHA-256")

    class Meta:
        model = PetitionRecord
        exclude = ["case"]

    def _sha(self, kind: str, obj) -> str | None:
        issued = services.issued_document(kind, obj.pk)
        return issued.sha256 if issued else None

    def get_notice_sha256(self, obj) -> str | None:
        return self._sha("petition_notice", obj)

    def get_reply_sha256(self, obj) -> str | None:
        return self._sha("petition_reply", obj)


class LabourSerializer(serializers.ModelSerializer):
    stage_label = serializers.CharField(source="get_stage_display", read_only=True)

    class Meta:
        model = LabourRecord
        exclude = ["case"]


class StepInput(serializers.Serializer):
    """Fields a step may take; each step reads the ones it needs."""

    at = serializers.DateTimeField(required=False, allow_null=True)
    accept = serializers.BooleanField(required=False)
    settled = serializers.BooleanField(required=False)
    route = serializers.CharField(required=False, allow_blank=True, max_length=300)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)
    commission = serializers.CharField(required=False, allow_blank=True, max_length=100)
    reference = serializers.CharField(required=False, allow_blank=True, max_length=60)
    outcome = serializers.CharField(required=False, allow_blank=True, max_length=500)
    # 信访处理意见书 (step "reply")
    facts = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    opinion = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    basis = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    review_body = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text="复查机关"
    )


# step name -> (service, input fields it takes, required booleans)
PETITION_STEPS = {
    "decide": (services.petition_decide, ("accept", "route", "at"), ("accept",)),
    "extend": (services.petition_extend, ("reason",), ()),
    "reply": (
        services.petition_reply,
        ("facts", "opinion", "basis", "review_body", "at"),
        (),
    ),
    "review-request": (services.petition_review_request, ("at",), ()),
    "review-decide": (services.petition_review_decide, ("at",), ()),
    "rereview-request": (services.petition_rereview_request, ("at",), ()),
    "rereview-decide": (services.petition_rereview_decide, ("at",), ()),
}
LABOUR_STEPS = {
    "mediation-end": (services.labour_mediation_end, ("settled", "at"), ("settled",)),
    "refer": (services.labour_refer_arbitration, ("commission", "at"), ()),
    "arbitration-decide": (
        services.labour_arbitration_decide,
        ("accept", "reference", "at"),
        ("accept",),
    ),
    "extend": (services.labour_award_extend, ("reason",), ()),
    "outcome": (services.labour_record_outcome, ("outcome", "at"), ()),
}


def _visible_case(request, pk: int) -> Case:
    case = Case.objects.visible_to(request.user).filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


def _step_kwargs(request, fields, required) -> dict:
    ser = StepInput(data=request.data)
    ser.is_valid(raise_exception=True)
    data = ser.validated_data
    missing = [f for f in required if f not in data]
    if missing:
        raise serializers.ValidationError(dict.fromkeys(missing, _("必填。")))
    out = {f: data[f] for f in fields if f in data and data[f] is not None}
    for text in TEXT_FIELDS:
        if text in fields:
            out.setdefault(text, "")
    return out


def _chain_views(model, serializer, register, steps, id_kw: str, name: str):
    class CaseRecordView(APIView):
        @extend_schema(
            operation_id=f"cases_{name}_get",
            responses={200: serializer, 404: ERRORS[404]},
            tags=["mediation"],
        )
        def get(self, request, pk: int):
            case = _visible_case(request, pk)
            record = model.objects.filter(case=case).first()
            if record is None:
                raise Http404
            return Response(serializer(record).data)

        @extend_schema(
            operation_id=f"cases_{name}_register",
            request=StepInput,
            responses={201: serializer, **ERRORS},
            tags=["mediation"],
        )
        def post(self, request, pk: int):
            _visible_case(request, pk)
            kwargs = _step_kwargs(request, ("at",), ())
            at_kw = "received_at" if name == "petition" else "applied_at"
            if "at" in kwargs:
                kwargs[at_kw] = kwargs.pop("at")
            record = register(case_id=pk, actor=request.user, **kwargs)
            return Response(serializer(record).data, status=status.HTTP_201_CREATED)

    class StepView(APIView):
        @extend_schema(
            operation_id=f"{name}_step",
            request=StepInput,
            responses={200: serializer, **ERRORS},
            tags=["mediation"],
        )
        def post(self, request, pk: int, step: str):
            record = model.objects.filter(
                pk=pk, case__in=Case.objects.visible_to(request.user).values("pk")
            ).first()
            if record is None or step not in steps:
                raise Http404
            call, fields, required = steps[step]
            record = call(
                actor=request.user, **{id_kw: pk}, **_step_kwargs(request, fields, required)
            )
            return Response(serializer(record).data)

    CaseRecordView.__name__ = f"Case{name.title()}View"
    StepView.__name__ = f"{name.title()}StepView"
    return CaseRecordView, StepView


CasePetitionView, PetitionStepView = _chain_views(
    PetitionRecord,
    PetitionSerializer,
    services.petition_register,
    PETITION_STEPS,
    "petition_id",
    "petition",
)
CaseLabourView, LabourStepView = _chain_views(
    LabourRecord, LabourSerializer, services.labour_register, LABOUR_STEPS, "labour_id", "labour"
)
