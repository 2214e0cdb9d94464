"""Case API: list, detail, and one POST endpoint per lifecycle action."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from intake.actions import CaseAction
from intake.models import Case, CaseEvent, Channel, RiskLevel, State
from intake.selectors import case_list, filter_overdue, filter_text, list_rows

from .serializers import CaseDetailSerializer, CaseListSerializer
from .walkin import WALK_IN_SCHEMA, walk_in_create


class CaseFilter(filters.FilterSet):
    state = filters.ChoiceFilter(choices=State.choices)
    channel = filters.ChoiceFilter(choices=Channel.choices)
    risk = filters.ChoiceFilter(field_name="risk_level", choices=RiskLevel.choices)
    department = filters.CharFilter(field_name="department__code")
    category = filters.CharFilter(field_name="category__code")
    township = filters.CharFilter(field_name="township__code")
    overdue = filters.BooleanFilter(method="filter_overdue")
    q = filters.CharFilter(
        method="filter_q",
        max_length=100,
        label=_("案件编号、当事人姓名(全名)、身份证号码、联系电话,或标题、事实与诉求中的词语"),
    )

    class Meta:
        model = Case
        fields = ["state", "channel", "risk", "department", "category", "township", "overdue", "q"]

    def filter_overdue(self, qs, name, value):
        return filter_overdue(qs) if value else qs

    def filter_q(self, qs, name, value):
        return filter_text(qs, value)


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cases visible to the current user (others answer 404); ``POST`` registers a walk-in."""

    filterset_class = CaseFilter

    def get_queryset(self):
        qs = case_list(user=self.request.user)
        if self.action == "list":
            qs = list_rows(qs)
        elif self.action == "retrieve":
            qs = qs.prefetch_related(
                "parties", Prefetch("events", queryset=CaseEvent.objects.select_related("actor"))
            )
        return qs

    @WALK_IN_SCHEMA
    def create(self, request, *args, **kwargs):
        return walk_in_create(request)

    def get_serializer_class(self):
        return CaseDetailSerializer if self.action == "retrieve" else CaseListSerializer


class CaseActionView(APIView):
    """Base for the generated ``POST /api/cases/{id}/<action>/`` views."""

    case_action: CaseAction

    def post(self, request, pk: int):
        if not Case.objects.visible_to(request.user).filter(pk=pk).exists():
            raise Http404
        serializer = self.case_action.serializer_class(
            data=request.data, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        case = self.case_action.perform(
            case_id=pk, actor=request.user, data=data, expected_version=data.get("version")
        )
        case = Case.objects.prefetch_related("parties", "events__actor").get(pk=case.pk)
        return Response(CaseDetailSerializer(case, context={"request": request}).data)


def action_view(action: CaseAction):
    """A view class for one action, with its own input serializer in the OpenAPI schema."""

    def post(self, request, pk: int):
        return CaseActionView.post(self, request, pk)

    view = type(
        f"Case{action.name.title().replace('_', '')}View",
        (CaseActionView,),
        {"case_action": action},
    )
    view.post = extend_schema(
        operation_id=f"cases_{action.name}",
        summary=action.label,
        request=action.serializer_class,
        responses={
            200: CaseDetailSerializer,
            400: OpenApiResponse(description="输入有误,fields 指明字段"),
            403: OpenApiResponse(description="无权执行该操作"),
            404: OpenApiResponse(description="案件不存在或无权查看"),
            409: OpenApiResponse(description="状态不允许该操作,或案件刚被他人修改"),
        },
        tags=["cases"],
    )(post)
    return view


class RevealInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200, help_text="查看理由(记录在案)")
    fields = serializers.MultipleChoiceField(
        choices=["id_number", "phone"], required=False, help_text="默认两项都查看"
    )


class RevealOutput(serializers.Serializer):
    id_number = serializers.CharField(required=False)
    phone = serializers.CharField(required=False)


class PartyRevealView(APIView):
    """Full ID number / phone of a party, for roles that need them; every reveal is logged."""

    throttle_scope = "reveal"  # per user (luodian_platform.api.throttles.StaffRateThrottle)

    @extend_schema(
        request=RevealInput,
        responses={200: RevealOutput},
        tags=["parties"],
        operation_id="parties_reveal",
        summary="查看完整证件号码/电话(留痕)",
    )
    def post(self, request, pk: int):
        from intake.services import party_reveal

        serializer = RevealInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = tuple(serializer.validated_data.get("fields") or ("id_number", "phone"))
        return Response(
            party_reveal(
                party_id=pk,
                actor=request.user,
                reason=serializer.validated_data["reason"],
                fields=fields,
            )
        )
