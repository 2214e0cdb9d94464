"""API of follow-up: the 12345 satisfaction import (JSON rows or a CSV file), the
evaluation, and re-assigning a visit."""

from __future__ import annotations

import dataclasses
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from intake.models import Channel
from luodian_platform.api.views import ObjectActionView
from luodian_platform.dbrouter import replica_reads
from luodian_platform.errors import NotAllowed, ServiceError
from luodian_platform.roles import Role, user_has_role

from .. import evaluation, selectors, services, snapshots
from ..periods import PeriodError, period_from


class ImportRowSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    external_id = serializers.CharField(max_length=64, allow_blank=True)
    satisfaction = serializers.CharField(max_length=20, allow_blank=True)
    rated_at = serializers.CharField(max_length=40, required=False, allow_blank=True)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ImportInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.HOTLINE_12345)
    rows = ImportRowSerializer(many=True, required=False)
    file = serializers.FileField(required=False)

    def validate(self, attrs):
        if not attrs.get("rows") and not attrs.get("file"):
            raise serializers.ValidationError({"rows": "请提供 rows 或 CSV 文件。"})
        return attrs


class ImportReportSerializer(serializers.Serializer):
    matched = serializers.IntegerField()
    created = serializers.IntegerField()
    unmatched = serializers.ListField(child=serializers.DictField())


class SatisfactionImportView(APIView):
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(request=ImportInputSerializer, responses=ImportReportSerializer)
    def post(self, request):
        data = ImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        rows = services.parse_import_csv(v["file"].read()) if v.get("file") else v["rows"]
        report = services.satisfaction_import(rows=rows, actor=request.user, channel=v["channel"])
        return Response(ImportReportSerializer(report).data)


def _row_json(row, by: str, period_query: str) -> dict:
    data = {
        k: v for k, v in dataclasses.asdict(row).items() if k != "parts" and not isinstance(v, dict)
    }
    data["status_label"] = row.status_label
    data["parts"] = [dataclasses.asdict(p) for p in row.parts]
    if row.key is not None:
        data["cases_url"] = (
            reverse("followup:evaluation_cases") + f"?by={by}&key={row.key}&{period_query}"
        )
    return data


class EvaluationView(APIView):
    """GET the evaluation (考评) for a period: the method with its weights, the department
    table, and for the county the township table (万人成诉率) and the dispatch centre's
    routing figures. Same figures as the page and the Excel export. An invalid period
    answers 400 with a Chinese message."""

    @extend_schema(
        parameters=[
            OpenApiParameter("period", str, enum=["month", "quarter", "year", "custom"]),
            OpenApiParameter("date", str),
            OpenApiParameter("start", str),
            OpenApiParameter("end", str),
            OpenApiParameter("year", str),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request):
        county = evaluation.may_see_county_ranking(request.user)
        own = request.user.department_id if user_has_role(request.user, Role.OFFICER) else None
        if not county and own is None:
            raise NotAllowed(_("您没有权限查看考评。"))
        try:
            period = period_from(request.query_params)
        except PeriodError as exc:
            raise ServiceError(
                exc.message, code="invalid_period", fields={exc.field: exc.message}
            ) from None
        with replica_reads():  # a lag-tolerant read (luodian_platform/dbrouter.py)
            result = snapshots.evaluate_kept(
                period=period, department=None if county else own, townships=county
            )
        pq = urlencode(period.as_params())
        return Response(
            {
                "period": {
                    "start": period.start,
                    "end": period.end,
                    "label": period.label,
                },
                "method": result.method,
                "departments": [_row_json(r, "department", pq) for r in result.departments],
                "townships": [_row_json(r, "township", pq) for r in result.townships],
                "centre": dataclasses.asdict(result.centre) if result.centre else None,
                "county_lawsuit_rate": result.county_lawsuit_rate,
            }
        )


# --- visits -------------------------------------------------------------------------------


class VisitReassignInput(serializers.Serializer):
    assignee = serializers.IntegerField(
        min_value=1,
        error_messages={
            "required": gettext_lazy("请选择在岗的回访员。"),
            "invalid": gettext_lazy("请选择在岗的回访员。"),
            "min_value": gettext_lazy("请选择在岗的回访员。"),
        },
    )
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class VisitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case = serializers.IntegerField(source="case_id")
    round = serializers.IntegerField()
    seq = serializers.IntegerField()
    due_date = serializers.DateField()
    status = serializers.CharField()
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True)
    assignee_name = serializers.SerializerMethodField()

    def get_assignee_name(self, visit) -> str:
        return visit.assignee.display_name if visit.assignee_id else ""


class VisitReassignView(ObjectActionView):
    """改派回访: the centre (dispatchers, administrators) gives a scheduled visit to another
    follow-up officer; both officers are told. A visit the user cannot see answers 404, a
    follow-up officer or supervisor 403, a done visit 409, an unknown officer 400."""

    input_serializer = VisitReassignInput
    output_serializer = VisitSerializer

    def visible(self, request, pk: int) -> bool:
        return selectors.visit_get(user=request.user, pk=pk) is not None

    def perform(self, request, pk: int, data: dict):
        return services.visit_reassign(
            visit_id=pk,
            actor=request.user,
            assignee_id=data["assignee"],
            reason=data.get("reason", ""),
        )


VisitReassignView = extend_schema_view(
    post=extend_schema(
        operation_id="visits_reassign",
        summary="改派回访",
        request=VisitReassignInput,
        responses={
            200: VisitSerializer,
            400: OpenApiResponse(description="输入有误,fields 指明字段"),
            403: OpenApiResponse(description="无权改派"),
            404: OpenApiResponse(description="回访不存在或无权查看"),
            409: OpenApiResponse(description="回访已结束,不能改派"),
        },
        tags=["followup"],
    )
)(VisitReassignView)
