"""The dispatch room's API: routing suggestion, confirm, extensions, urge/supervise/notice
and corrections. Writes call one service each; objects a user cannot see answer 404."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from intake.api.serializers import CaseDetailSerializer
from intake.models import Case
from luodian_platform.api.views import ObjectActionView

from .. import clocks, selectors, services
from ..models import Stall
from ..routing import routing_suggest
from . import serializers as s

ERRORS = {
    400: OpenApiResponse(description="输入有误,fields 指明字段"),
    403: OpenApiResponse(description="无权执行该操作"),
    404: OpenApiResponse(description="对象不存在或无权查看"),
    409: OpenApiResponse(description="当前状态不允许该操作"),
}


class NewestFirst(CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-id",)


def _visible_case(request, pk: int) -> Case:
    case = Case.objects.visible_to(request.user).filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


class RoutingSuggestionView(APIView):
    @extend_schema(
        operation_id="cases_routing_suggestion",
        summary="分流建议、派单记录与退单记录",
        responses={200: s.RoutingOverviewSerializer, 404: ERRORS[404]},
        tags=["dispatch"],
    )
    def get(self, request, pk: int):
        case = _visible_case(request, pk)
        data = {
            "bounce_count": case.bounce_count,
            "forced_dispatch": case.forced_dispatch,
            "suggestion": routing_suggest(case),
            "dispatches": selectors.dispatch_history(case=case),
            "returns": selectors.case_returns(case=case),
        }
        return Response(s.RoutingOverviewSerializer(data).data)


class ConfirmSuggestionView(APIView):
    @extend_schema(
        operation_id="cases_dispatch_suggested",
        summary="按分流建议派单",
        request=s.ConfirmSuggestionInput,
        responses={200: CaseDetailSerializer, **ERRORS},
        tags=["dispatch"],
    )
    def post(self, request, pk: int):
        _visible_case(request, pk)
        inp = s.ConfirmSuggestionInput(data=request.data)
        inp.is_valid(raise_exception=True)
        case = services.case_dispatch_suggested(
            case_id=pk,
            actor=request.user,
            note=inp.validated_data.get("note", ""),
            confirm_unstaffed=inp.validated_data["confirm_unstaffed"],
            expected_version=inp.validated_data.get("version"),
        )
        case = Case.objects.prefetch_related("parties", "events__actor").get(pk=case.pk)
        return Response(CaseDetailSerializer(case, context={"request": request}).data)


class CaseExtensionsView(APIView):
    @extend_schema(
        operation_id="cases_extensions_list",
        summary="案件的延期申请",
        responses={200: s.ExtensionSerializer(many=True), 404: ERRORS[404]},
        tags=["dispatch"],
    )
    def get(self, request, pk: int):
        case = _visible_case(request, pk)
        rows = selectors.extension_visible(request.user).filter(case=case)
        return Response(s.ExtensionSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="cases_extensions_create",
        summary="申请延期",
        request=s.ExtensionRequestInput,
        responses={201: s.ExtensionSerializer, **ERRORS},
        tags=["dispatch"],
    )
    def post(self, request, pk: int):
        _visible_case(request, pk)
        inp = s.ExtensionRequestInput(data=request.data)
        inp.is_valid(raise_exception=True)
        ext = services.extension_request(
            case_id=pk, actor=request.user, reason=inp.validated_data["reason"]
        )
        return Response(s.ExtensionSerializer(ext).data, status=201)


class ExtensionListView(generics.ListAPIView):
    """Extension requests the user may see (the centre: all; a department: its cases')."""

    serializer_class = s.ExtensionSerializer
    pagination_class = NewestFirst
    filterset_fields = ["status"]

    def get_queryset(self):
        return selectors.extension_visible(self.request.user)

    @extend_schema(operation_id="extensions_list", tags=["dispatch"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ExtensionDecisionView(APIView):
    @extend_schema(
        operation_id="extensions_decide",
        summary="审批延期申请",
        request=s.ExtensionDecisionInput,
        responses={200: s.ExtensionSerializer, **ERRORS},
        tags=["dispatch"],
    )
    def post(self, request, pk: int):
        if not selectors.extension_visible(request.user).filter(pk=pk).exists():
            raise Http404
        inp = s.ExtensionDecisionInput(data=request.data)
        inp.is_valid(raise_exception=True)
        ext = services.extension_decide(
            extension_id=pk,
            actor=request.user,
            approve=inp.validated_data["approve"],
            note=inp.validated_data.get("note", ""),
        )
        return Response(s.ExtensionSerializer(ext).data)


class CaseSupervisionsView(APIView):
    @extend_schema(
        operation_id="cases_supervisions_list",
        summary="案件的催办、督办、通报",
        responses={200: s.SupervisionSerializer(many=True), 404: ERRORS[404]},
        tags=["dispatch"],
    )
    def get(self, request, pk: int):
        case = _visible_case(request, pk)
        rows = selectors.supervision_visible(request.user).filter(case=case)
        return Response(s.SupervisionSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="cases_supervisions_create",
        summary="催办 / 督办 / 通报",
        request=s.SupervisionInput,
        responses={201: s.SupervisionSerializer, **ERRORS},
        tags=["dispatch"],
    )
    def post(self, request, pk: int):
        _visible_case(request, pk)
        inp = s.SupervisionInput(data=request.data)
        inp.is_valid(raise_exception=True)
        d = inp.validated_data
        sup = services.supervision_create(
            case_id=pk,
            level=d["level"],
            actor=request.user,
            message=d["message"],
            department=d.get("department"),
            response_due_at=d.get("response_due_at"),
        )
        return Response(s.SupervisionSerializer(sup).data, status=201)


class SupervisionListView(generics.ListAPIView):
    """The centre: every record; a department: the records against it."""

    serializer_class = s.SupervisionSerializer
    pagination_class = NewestFirst
    filterset_fields = ["level", "automatic"]

    def get_queryset(self):
        qs = selectors.supervision_visible(self.request.user)
        answered = self.request.query_params.get("answered")
        if answered in ("0", "false"):
            qs = qs.filter(responded_at__isnull=True)
        elif answered in ("1", "true"):
            qs = qs.filter(responded_at__isnull=False)
        return qs

    @extend_schema(
        operation_id="supervisions_list",
        parameters=[OpenApiParameter("answered", bool, description="是否已回复")],
        tags=["dispatch"],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SupervisionResponseView(APIView):
    @extend_schema(
        operation_id="supervisions_respond",
        summary="部门回复督办",
        request=s.SupervisionResponseInput,
        responses={200: s.SupervisionSerializer, **ERRORS},
        tags=["dispatch"],
    )
    def post(self, request, pk: int):
        if not selectors.supervision_visible(request.user).filter(pk=pk).exists():
            raise Http404
        inp = s.SupervisionResponseInput(data=request.data)
        inp.is_valid(raise_exception=True)
        sup = services.supervision_respond(
            supervision_id=pk, actor=request.user, response=inp.validated_data["response"]
        )
        return Response(s.SupervisionSerializer(sup).data)


class CorrectionListCreateView(generics.ListAPIView):
    serializer_class = s.CorrectionSerializer
    pagination_class = NewestFirst
    filterset_fields = ["problem", "measure", "serious"]

    def get_queryset(self):
        return selectors.correction_visible(self.request.user)

    @extend_schema(operation_id="corrections_list", tags=["dispatch"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="corrections_create",
        summary="记录问题纠偏",
        request=s.CorrectionInput,
        responses={201: s.CorrectionSerializer, **ERRORS},
        tags=["dispatch"],
    )
    def post(self, request):
        inp = s.CorrectionInput(data=request.data)
        inp.is_valid(raise_exception=True)
        d = inp.validated_data
        corr = services.correction_create(
            actor=request.user,
            case_id=d.get("case"),
            department=d.get("department"),
            officer=d.get("officer"),
            problem=d["problem"],
            measure=d["measure"],
            serious=d.get("serious", False),
            description=d["description"],
            rectify_due_at=d.get("rectify_due_at"),
        )
        return Response(s.CorrectionSerializer(corr).data, status=201)


class CorrectionSuggestionsView(APIView):
    @extend_schema(
        operation_id="corrections_suggestions",
        summary="系统建议的纠偏(超期、多次退单、答复被退回)",
        responses={200: s.CorrectionSuggestionSerializer(many=True)},
        tags=["dispatch"],
    )
    def get(self, request):
        rows = selectors.correction_suggestions(user=request.user)
        return Response(s.CorrectionSuggestionSerializer(rows, many=True).data)


class StallCorrectionView(ObjectActionView):
    """One click: the suggested 办理不及时 correction of a 久未进展 case, issued once."""

    output_serializer = s.CorrectionSerializer
    created = True

    def visible(self, request, pk: int) -> bool:
        return Stall.objects.filter(
            pk=pk, case__in=Case.objects.visible_to(request.user).values("pk")
        ).exists()

    def perform(self, request, pk: int, data: dict):
        return services.stall_correction_issue(stall_id=pk, actor=request.user)


StallCorrectionView = extend_schema_view(
    post=extend_schema(
        operation_id="stalls_correction",
        summary="久未进展:一键发出纠偏(办理不及时)",
        request=None,
        responses={201: s.CorrectionSerializer, **ERRORS},
        tags=["dispatch"],
    )
)(StallCorrectionView)


class CorrectionFeedbackView(APIView):
    @extend_schema(
        operation_id="corrections_feedback",
        summary="整改反馈",
        request=s.CorrectionFeedbackInput,
        responses={200: s.CorrectionSerializer, **ERRORS},
        tags=["dispatch"],
    )
    def post(self, request, pk: int):
        if not selectors.correction_visible(request.user).filter(pk=pk).exists():
            raise Http404
        inp = s.CorrectionFeedbackInput(data=request.data)
        inp.is_valid(raise_exception=True)
        corr = services.correction_feedback(
            correction_id=pk, actor=request.user, feedback=inp.validated_data["feedback"]
        )
        return Response(s.CorrectionSerializer(corr).data)


class CorrectionTalkView(APIView):
    @extend_schema(
        operation_id="corrections_talk",
        summary="约谈记录",
        request=s.TalkInput,
        responses={200: s.CorrectionSerializer, **ERRORS},
        tags=["dispatch"],
    )
    def post(self, request, pk: int):
        if not selectors.correction_visible(request.user).filter(pk=pk).exists():
            raise Http404
        inp = s.TalkInput(data=request.data)
        inp.is_valid(raise_exception=True)
        corr = services.correction_record_talk(
            correction_id=pk,
            actor=request.user,
            held_at=inp.validated_data["held_at"],
            record=inp.validated_data["record"],
        )
        return Response(s.CorrectionSerializer(corr).data)


class CaseCalendarEstimatesView(APIView):
    @extend_schema(
        operation_id="cases_calendar_estimates",
        summary="案件上按周末估算的期限(所在年份尚未录入节假日)",
        responses={200: s.CalendarEstimateSerializer(many=True), 404: ERRORS[404]},
        tags=["dispatch"],
    )
    def get(self, request, pk: int):
        case = _visible_case(request, pk)
        rows = selectors.case_estimates(user=request.user, case=case)
        return Response(s.CalendarEstimateSerializer(rows, many=True).data)


class CalendarEstimateListView(APIView):
    @extend_schema(
        operation_id="calendar_estimates_list",
        summary="可见案件上所有按周末估算的期限",
        responses={200: s.CalendarEstimateSerializer(many=True)},
        tags=["dispatch"],
    )
    def get(self, request):
        rows = selectors.case_estimates(user=request.user, limit=200)
        return Response(s.CalendarEstimateSerializer(rows, many=True).data)


class CalendarEstimateRecomputeView(APIView):
    @extend_schema(
        operation_id="calendar_estimates_recompute",
        summary="按已录入的工作日历重新计算估算期限",
        request=None,
        responses={200: s.RecomputeResultSerializer, 403: ERRORS[403]},
        tags=["dispatch"],
    )
    def post(self, request):
        changed = clocks.estimates_recompute(actor=request.user)
        return Response({"changed": changed})
