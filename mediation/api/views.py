"""Mediation API. Invisible cases and documents answer 404; services decide 403/400/409.

Object endpoints (``POST …/{pk}/<verb>/``) are ``ObjectActionView``s: visibility,
validation, one service call and the answer are written once there; each class here
names what is visible, its input and output, and the service it calls.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from intake.models import Case
from luodian_platform.api.views import ObjectActionView
from luodian_platform.errors import ServiceError
from luodian_platform.roles import Role, user_has_role, user_roles

from .. import selectors, services
from ..models import MediationSession
from . import serializers as s

ERRORS = {
    400: OpenApiResponse(description="输入有误,fields 指明字段"),
    403: OpenApiResponse(description="无权执行该操作"),
    404: OpenApiResponse(description="对象不存在或无权查看"),
    409: OpenApiResponse(description="状态不允许,或冲突(如调解室已被预约)"),
}


def _case(request, pk: int) -> Case:
    case = Case.objects.visible_to(request.user).select_related("category").filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


def _valid(serializer_class, request):
    ser = serializer_class(data=request.data, context={"request": request})
    ser.is_valid(raise_exception=True)
    return ser.validated_data


# --- what a user can see, per kind of object ----------------------------------------------


def _visible_case(request, pk: int) -> bool:
    return Case.objects.visible_to(request.user).filter(pk=pk).exists()


def _visible_session(request, pk: int) -> bool:
    return MediationSession.objects.filter(
        pk=pk, case__in=Case.objects.visible_to(request.user)
    ).exists()


def _visible_agreement(request, pk: int) -> bool:
    return selectors.agreement_get(user=request.user, pk=pk) is not None


def _visible_confirmation(request, pk: int) -> bool:
    return selectors.judicial_confirmation_get(user=request.user, pk=pk) is not None


def _visible_referral(request, pk: int) -> bool:
    return selectors.referral_get(user=request.user, pk=pk) is not None


def _visible_legal_service(request, pk: int) -> bool:
    return selectors.legal_services_for(user=request.user).filter(pk=pk).exists()


def _post_schema(request, response, *, created: bool = False, **kwargs):
    """The schema of an object action's POST: its input, its answer, the shared errors."""
    return extend_schema_view(
        post=extend_schema(
            request=request, responses={201 if created else 200: response, **ERRORS}, **kwargs
        )
    )


class MediatorListView(generics.ListAPIView):
    """调解员名册(含调解专家库、律师),带在办案件数。"""

    serializer_class = s.MediatorSerializer
    pagination_class = None

    def get_queryset(self):
        if not user_roles(self.request.user):  # a login without a role sees no roster
            return selectors.mediator_list().none()
        return selectors.mediator_list(
            kind=self.request.query_params.get("kind", ""),
            available_only=self.request.query_params.get("available") in ("1", "true"),
        )


class SuggestionView(APIView):
    @extend_schema(
        responses={200: s.SuggestionSerializer(many=True), 403: ERRORS[403], 404: ERRORS[404]}
    )
    def get(self, request, pk: int):
        """按案件类别与乡镇推荐调解员,附在办数与回避事由。"""
        case = _case(request, pk)
        # As the case's mediation page (views.MEDIATION_ROLES): not the registering clerk.
        if not user_has_role(
            request.user, Role.MEDIATOR, Role.OFFICER, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN
        ):
            raise PermissionDenied
        return Response(
            s.SuggestionSerializer(selectors.mediator_suggestions(case=case), many=True).data
        )


@_post_schema(s.AssignInput, s.AssignmentSerializer, created=True)
class AssignView(ObjectActionView):
    """指派调解员(回避审查;调度员可填写不予回避理由)。"""

    visible = staticmethod(_visible_case)
    input_serializer, output_serializer, created = s.AssignInput, s.AssignmentSerializer, True

    def perform(self, request, pk, data):
        return services.mediator_assign(
            case_id=pk,
            mediator_id=data["mediator"],
            actor=request.user,
            is_lead=data["is_lead"],
            override_reason=data.get("override_reason", ""),
        )


@_post_schema(
    s.SessionInput, s.SessionSerializer, created=True, description="预约调解(调解室不得重复预约)。"
)
class SessionListView(ObjectActionView):
    # GET lists the case's sessions; POST books one.

    visible = staticmethod(_visible_case)
    input_serializer, output_serializer, created = s.SessionInput, s.SessionSerializer, True

    @extend_schema(responses={200: s.SessionSerializer(many=True), 404: ERRORS[404]})
    def get(self, request, pk: int):
        case = _case(request, pk)
        return Response(s.SessionSerializer(selectors.case_sessions(case=case), many=True).data)

    def perform(self, request, pk, data):
        return services.session_book(
            case_id=pk,
            actor=request.user,
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            room_id=data.get("room"),
            on_site_place=data.get("on_site_place", ""),
            mediator_ids=data["mediators"],
            confirm_off_hours=data["confirm_off_hours"],
        )


@_post_schema(s.SessionRecordInput, s.SessionSerializer)
class SessionRecordView(ObjectActionView):
    """调解笔录与结果。"""

    visible = staticmethod(_visible_session)
    input_serializer, output_serializer = s.SessionRecordInput, s.SessionSerializer

    def perform(self, request, pk, data):
        return services.session_record(
            session_id=pk,
            actor=request.user,
            record=data["record"],
            result=data["result"],
            attended_party_ids=data.get("parties_attended", []),
        )


@_post_schema(s.JointInput, s.JointSerializer)
class JointView(ObjectActionView):
    """联合调解:牵头部门、参与部门和专家。"""

    visible = staticmethod(_visible_case)
    input_serializer, output_serializer = s.JointInput, s.JointSerializer

    def perform(self, request, pk, data):
        return services.joint_mediation_set(
            case_id=pk,
            actor=request.user,
            lead_department=data["lead_department"],
            departments=data["departments"],
            experts=data.get("experts", []),
            note=data.get("note", ""),
        )


@_post_schema(s.AgreementInput, s.AgreementSerializer, created=True)
class AgreementCreateView(ObjectActionView):
    """人民调解协议书。各方签署、调解员签名、调委会盖章后生效,案件转入待审核。"""

    visible = staticmethod(_visible_case)
    input_serializer, output_serializer, created = s.AgreementInput, s.AgreementSerializer, True

    def perform(self, request, pk, data):
        agreement = services.agreement_record(
            case_id=pk,
            actor=request.user,
            committee=data["committee"],
            mediator_id=data["mediator"],
            facts=data["facts"],
            issues=data["issues"],
            liabilities=data["liabilities"],
            parties=[
                services.AgreementPartyInput(
                    party_id=p["party"],
                    address=p.get("address", ""),
                    sign_method=p.get("sign_method", ""),
                )
                for p in data["parties"]
            ],
            terms=[
                services.AgreementTermInput(
                    content=t["content"],
                    performance_method=t["performance_method"],
                    due_at=t.get("due_at"),
                )
                for t in data["terms"]
            ],
            mediator_signed=data["mediator_signed"],
            committee_sealed=data["committee_sealed"],
        )
        return selectors.agreement_get(user=request.user, pk=agreement.pk)


class AgreementDetailView(APIView):
    @extend_schema(responses={200: s.AgreementSerializer, 404: ERRORS[404]})
    def get(self, request, pk: int):
        agreement = selectors.agreement_get(user=request.user, pk=pk)
        if agreement is None:
            raise Http404
        return Response(s.AgreementSerializer(agreement).data)


@_post_schema(s.AgreementSignInput, s.AgreementSerializer)
class AgreementSignView(ObjectActionView):
    """登记签署情况;全部签署后协议生效。"""

    visible = staticmethod(_visible_agreement)
    input_serializer, output_serializer = s.AgreementSignInput, s.AgreementSerializer

    def perform(self, request, pk, data):
        try:
            signatures = {int(k): v for k, v in data["signatures"].items()}
        except ValueError as exc:
            raise ServiceError(
                _("签署信息无效。"), fields={"signatures": _("请按协议当事人编号填写签署方式。")}
            ) from exc
        services.agreement_sign(
            agreement_id=pk,
            actor=request.user,
            signatures=signatures,
            mediator_signed=data.get("mediator_signed"),
            committee_sealed=data.get("committee_sealed"),
        )
        return selectors.agreement_get(user=request.user, pk=pk)


@_post_schema(s.AgreementSignatureInput, s.AgreementSerializer)
class AgreementSignatureView(ObjectActionView):
    """平板现场手写签名(PNG);全部签署后协议生效并编号。"""

    visible = staticmethod(_visible_agreement)
    input_serializer, output_serializer = s.AgreementSignatureInput, s.AgreementSerializer

    def perform(self, request, pk, data):
        services.agreement_signature_record(
            agreement_id=pk,
            actor=request.user,
            signer=data["signer"],
            agreement_party_id=data.get("party"),
            png=services.decode_data_url(data["png"]),
        )
        return selectors.agreement_get(user=request.user, pk=pk)


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# The full document is a logged reveal (mediation.services.documents): a reason is required.
_REASON = OpenApiParameter(
    "reason", str, OpenApiParameter.QUERY, required=True, description="查看理由(留痕)"
)
_PDF_RESPONSES = {
    (200, "application/pdf"): OpenApiTypes.BINARY,
    400: ERRORS[400],
    403: ERRORS[403],
    404: ERRORS[404],
}


def _full_pdf(request, kind: str, pk: int, render) -> HttpResponse:
    document = services.document_open_full(
        kind=kind, document_id=pk, actor=request.user, reason=request.query_params.get("reason", "")
    )
    return _pdf_response(render(document), f"{kind}-{pk}.pdf")


class AgreementPdfView(APIView):
    throttle_scope = "reveal"

    @extend_schema(parameters=[_REASON], responses=_PDF_RESPONSES)
    def get(self, request, pk: int):
        """下载完整协议书(含当事人身份信息;承办人员,须填写理由并留痕)。"""
        return _full_pdf(
            request, "agreement", pk, lambda doc: services.document_pdf_bytes("agreement", doc)
        )


@_post_schema(s.NoticeInput, s.NoticeSerializer, created=True)
class NoticeCreateView(ObjectActionView):
    """调解不成,出具告知书,案件转入待审核。"""

    visible = staticmethod(_visible_case)
    input_serializer, output_serializer, created = s.NoticeInput, s.NoticeSerializer, True

    def perform(self, request, pk, data):
        channels = None
        if "channels" in data:
            channels = [
                {
                    "channel": c["route"],
                    "institution": c["institution"],
                    "address": c.get("address", ""),
                    "time_limit": c["time_limit"],
                }
                for c in data["channels"]
            ]
        return services.notice_record(
            case_id=pk, actor=request.user, reason=data["reason"], channels=channels
        )


class NoticeDetailView(APIView):
    @extend_schema(responses={200: s.NoticeSerializer, 404: ERRORS[404]})
    def get(self, request, pk: int):
        notice = selectors.notice_get(user=request.user, pk=pk)
        if notice is None:
            raise Http404
        return Response(s.NoticeSerializer(notice).data)


class NoticePdfView(APIView):
    throttle_scope = "reveal"

    @extend_schema(parameters=[_REASON], responses=_PDF_RESPONSES)
    def get(self, request, pk: int):
        """下载告知书(承办人员,须填写理由并留痕)。"""
        return _full_pdf(
            request, "notice", pk, lambda doc: services.document_pdf_bytes("notice", doc)
        )


class JudicialConfirmationView(APIView):
    @extend_schema(responses={200: s.JudicialConfirmationSerializer, 404: ERRORS[404]})
    def get(self, request, pk: int):
        jc = selectors.judicial_confirmation_get(user=request.user, pk=pk)
        if jc is None:
            raise Http404
        return Response(s.JudicialConfirmationSerializer(jc).data)


def _jc_step(name: str, input_class, call):
    @_post_schema(
        input_class,
        s.JudicialConfirmationSerializer,
        operation_id=f"judicial_confirmations_{name}",
    )
    class View(ObjectActionView):
        visible = staticmethod(_visible_confirmation)
        input_serializer, output_serializer = input_class, s.JudicialConfirmationSerializer

        def perform(self, request, pk, data):
            return call(jc_id=pk, actor=request.user, **data)

    View.__name__ = f"JudicialConfirmation{name.title()}View"
    return View


JCApplyView = _jc_step("apply", s.JCApplyInput, services.judicial_confirmation_apply)
JCAcceptView = _jc_step("accept", s.JCAcceptInput, services.judicial_confirmation_accept)
JCExtendView = _jc_step("extend", None, services.judicial_confirmation_extend)
JCDecideView = _jc_step("decide", s.JCDecideInput, services.judicial_confirmation_decide)


@_post_schema(s.ReferralInput, s.ReferralSerializer, created=True)
class ReferralCreateView(ObjectActionView):
    """登记法院委派的诉前调解(30日,经当事人同意可延长)。"""

    visible = staticmethod(_visible_case)
    input_serializer, output_serializer, created = s.ReferralInput, s.ReferralSerializer, True

    def perform(self, request, pk, data):
        return services.court_referral_register(
            case_id=pk,
            actor=request.user,
            court_reference=data["court_reference"],
            referred_at=data.get("referred_at"),
        )


@_post_schema(s.ReferralExtendInput, s.ReferralSerializer)
class ReferralExtendView(ObjectActionView):
    visible = staticmethod(_visible_referral)
    input_serializer, output_serializer = s.ReferralExtendInput, s.ReferralSerializer

    def perform(self, request, pk, data):
        return services.court_referral_extend(
            referral_id=pk, actor=request.user, days=data["days"], basis=data["basis"]
        )


@_post_schema(s.ReferralReportInput, s.ReferralSerializer)
class ReferralReportView(ObjectActionView):
    visible = staticmethod(_visible_referral)
    input_serializer, output_serializer = s.ReferralReportInput, s.ReferralSerializer

    def perform(self, request, pk, data):
        return services.court_referral_report(
            referral_id=pk, actor=request.user, result=data["referral_result"], note=data["note"]
        )


class LegalServiceListView(APIView):
    @extend_schema(responses={200: s.LegalServiceSerializer(many=True)})
    def get(self, request):
        rows = selectors.legal_services_for(user=request.user)[:200]
        return Response(s.LegalServiceSerializer(rows, many=True).data)

    @extend_schema(request=s.LegalServiceInput, responses={201: s.LegalServiceSerializer, **ERRORS})
    def post(self, request):
        """法律咨询、法律援助申请、心理疏导;可关联案件或当场登记。"""
        data = _valid(s.LegalServiceInput, request)
        row = services.legal_service_record(
            actor=request.user,
            kind=data["service_type"],
            person_name=data["person_name"],
            summary=data["summary"],
            case_id=data.get("case"),
            phone=data.get("phone", ""),
            id_number=data.get("id_number", ""),
            answer=data.get("answer", ""),
        )
        return Response(s.LegalServiceSerializer(row).data, status=status.HTTP_201_CREATED)


@_post_schema(s.LegalAidDecideInput, s.LegalServiceSerializer)
class LegalAidDecideView(ObjectActionView):
    """法律援助中心作出决定(7个工作日内)。"""

    visible = staticmethod(_visible_legal_service)
    input_serializer, output_serializer = s.LegalAidDecideInput, s.LegalServiceSerializer

    def perform(self, request, pk, data):
        return services.legal_aid_decide(
            service_id=pk,
            actor=request.user,
            decision=data["aid_decision"],
            note=data.get("note", ""),
        )


@_post_schema(s.LawyerInput, s.LegalServiceSerializer)
class LegalAidLawyerView(ObjectActionView):
    """指派律师(决定援助后3个工作日内)。"""

    visible = staticmethod(_visible_legal_service)
    input_serializer, output_serializer = s.LawyerInput, s.LegalServiceSerializer

    def perform(self, request, pk, data):
        return services.legal_aid_assign_lawyer(
            service_id=pk, actor=request.user, lawyer_id=data["lawyer"]
        )
