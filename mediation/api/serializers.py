from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from luodian_platform.api.fields import PlausibleDateTimeField
from luodian_platform.models import Department
from luodian_platform.validators import mask_id_number

from ..models import (
    Agreement,
    AgreementParty,
    AgreementTerm,
    CourtReferral,
    IssuedDocument,
    JointMediation,
    JudicialConfirmation,
    LegalService,
    MediationSession,
    Mediator,
    MediatorAssignment,
    Notice,
)
from ..services import CHANNEL_LABELS, paper_scan_missing, paper_signatories, signed_scans


class MediatorSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="staff/committee/expert/lawyer")
    department = serializers.CharField(source="department.code", default=None, allow_null=True)
    township = serializers.CharField(source="township.code", default=None, allow_null=True)
    categories = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    load = serializers.IntegerField(read_only=True, help_text="在办(未办结)案件数")

    class Meta:
        model = Mediator
        fields = [
            "id",
            "name",
            "kind",
            "department",
            "township",
            "categories",
            "specialities",
            "is_available",
            "availability_note",
            "load",
        ]


class SuggestionSerializer(serializers.Serializer):
    mediator = MediatorSerializer()
    load = serializers.IntegerField()
    category_match = serializers.BooleanField()
    same_township = serializers.BooleanField()
    conflicts = serializers.ListField(child=serializers.CharField(), help_text="回避事由")


class AssignInput(serializers.Serializer):
    mediator = serializers.IntegerField()
    is_lead = serializers.BooleanField(required=False, default=False)
    override_reason = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="不予回避理由(仅调度员)"
    )


class AssignmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = MediatorAssignment
        fields = ["id", "case", "mediator", "is_lead", "assigned_at", "conflict", "override_reason"]


class SessionSerializer(serializers.ModelSerializer):
    result = serializers.CharField(read_only=True)
    room = serializers.CharField(source="room.code", default=None, allow_null=True)

    class Meta:
        model = MediationSession
        fields = [
            "id",
            "case",
            "starts_at",
            "ends_at",
            "room",
            "on_site_place",
            "mediators",
            "parties_attended",
            "record",
            "result",
        ]


class SessionInput(serializers.Serializer):
    starts_at = PlausibleDateTimeField()
    ends_at = PlausibleDateTimeField()
    room = serializers.IntegerField(required=False, allow_null=True, help_text="调解室(Window id)")
    on_site_place = serializers.CharField(required=False, allow_blank=True, max_length=200)
    mediators = serializers.ListField(child=serializers.IntegerField(), min_length=1)
    confirm_off_hours = serializers.BooleanField(
        required=False, default=False, help_text="休息日或7:00–21:00以外的调解须确认"
    )


class SessionRecordInput(serializers.Serializer):
    record = serializers.CharField(allow_blank=True, max_length=50000)
    result = serializers.ChoiceField(choices=MediationSession.Result.choices)
    parties_attended = serializers.ListField(child=serializers.IntegerField(), required=False)


class JointInput(serializers.Serializer):
    lead_department = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.filter(is_active=True)
    )
    departments = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.filter(is_active=True), many=True
    )
    experts = serializers.PrimaryKeyRelatedField(
        queryset=Mediator.objects.filter(is_active=True), many=True, required=False
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class JointSerializer(serializers.ModelSerializer):
    lead_department = serializers.CharField(source="lead_department.code")
    departments = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = JointMediation
        fields = ["case", "lead_department", "departments", "experts", "note"]


class AgreementPartyInputSerializer(serializers.Serializer):
    party = serializers.IntegerField()
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    sign_method = serializers.ChoiceField(
        choices=AgreementParty.SignMethod.choices, required=False, allow_blank=True
    )


class AgreementTermInputSerializer(serializers.Serializer):
    content = serializers.CharField(allow_blank=True, max_length=2000)
    performance_method = serializers.CharField(allow_blank=True, max_length=200)
    due_at = PlausibleDateTimeField(allow_null=True, required=False)


class AgreementInput(serializers.Serializer):
    committee = serializers.SlugRelatedField(slug_field="code", queryset=Department.objects.all())
    mediator = serializers.IntegerField()
    facts = serializers.CharField(allow_blank=True, max_length=10000)
    issues = serializers.CharField(allow_blank=True, max_length=5000)
    liabilities = serializers.CharField(allow_blank=True, max_length=5000)
    parties = AgreementPartyInputSerializer(many=True)
    terms = AgreementTermInputSerializer(many=True)
    mediator_signed = serializers.BooleanField(required=False, default=False)
    committee_sealed = serializers.BooleanField(required=False, default=False)


class AgreementSignInput(serializers.Serializer):
    signatures = serializers.DictField(
        child=serializers.ChoiceField(choices=AgreementParty.SignMethod.choices),
        help_text="{协议当事人id: 签署方式}",
    )
    mediator_signed = serializers.BooleanField(required=False, allow_null=True, default=None)
    committee_sealed = serializers.BooleanField(required=False, allow_null=True, default=None)


class AgreementSignatureInput(serializers.Serializer):
    signer = serializers.ChoiceField(choices=["party", "mediator", "committee"])
    party = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**31 - 1, help_text="协议当事人id"
    )
    png = serializers.CharField(
        max_length=420_000, help_text="签名图像:PNG 的 base64 或 data:image/png;base64,… (≤300 KB)"
    )


class AgreementPartySerializer(serializers.ModelSerializer):
    id_number = serializers.SerializerMethodField()

    class Meta:
        model = AgreementParty
        fields = ["id", "role", "name", "id_number", "address", "sign_method", "signed_at"]

    def get_id_number(self, obj) -> str:
        value = obj.id_number or ""
        return mask_id_number(value) if len(value) == 18 else value


class AgreementTermSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgreementTerm
        fields = ["id", "seq", "content", "performance_method", "due_at", "performed_at"]


class JudicialConfirmationSerializer(serializers.ModelSerializer):
    decision = serializers.CharField(read_only=True)

    class Meta:
        model = JudicialConfirmation
        fields = [
            "id",
            "agreement",
            "window_ends_at",
            "remind_at",
            "applied_at",
            "court_reference",
            "accept_due_at",
            "accepted_at",
            "decide_due_at",
            "extended",
            "decision",
            "decided_at",
        ]


class SignedScanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField(help_text="经权限检查的下载地址")

    def get_download_url(self, obj) -> str:
        return reverse("api:file-download", args=[obj.pk])


class AgreementSerializer(serializers.ModelSerializer):
    case_number = serializers.CharField(source="case.number")
    committee = serializers.CharField(source="committee.code")
    parties = AgreementPartySerializer(many=True)
    terms = AgreementTermSerializer(many=True)
    judicial_confirmation = serializers.SerializerMethodField()
    issued_sha256 = serializers.SerializerMethodField()
    paper_signed = serializers.SerializerMethodField(help_text="在纸面签署的签署人")
    signed_scans = serializers.SerializerMethodField(help_text="签字后的协议书扫描件")
    paper_scan_missing = serializers.SerializerMethodField(
        help_text="有纸面签署但未附扫描件(规则实施前的旧记录)"
    )

    class Meta:
        model = Agreement
        fields = [
            "id",
            "number",
            "case",
            "case_number",
            "committee",
            "mediator",
            "facts",
            "issues",
            "liabilities",
            "parties",
            "terms",
            "mediator_signed",
            "mediator_signed_at",
            "committee_sealed",
            "committee_sealed_at",
            "effective_at",
            "judicial_confirmation",
            "issued_sha256",
            "paper_signed",
            "signed_scans",
            "paper_scan_missing",
        ]

    def get_paper_signed(self, obj) -> list[str]:
        return paper_signatories(obj)

    @extend_schema_field(SignedScanSerializer(many=True))
    def get_signed_scans(self, obj) -> list[dict]:
        return SignedScanSerializer(signed_scans(obj), many=True).data

    def get_paper_scan_missing(self, obj) -> bool:
        return paper_scan_missing(obj)

    def get_issued_sha256(self, obj) -> str | None:
        issued = IssuedDocument.objects.filter(kind="agreement", object_id=obj.pk).first()
        return issued.sha256 if issued else None

    def get_judicial_confirmation(self, obj) -> dict | None:
        jc = JudicialConfirmation.objects.filter(agreement=obj).first()
        return JudicialConfirmationSerializer(jc).data if jc else None


class ChannelSerializer(serializers.Serializer):
    route = serializers.ChoiceField(
        choices=[(k, str(v)) for k, v in CHANNEL_LABELS.items()], help_text="救济途径"
    )
    institution = serializers.CharField(allow_blank=True, max_length=100)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    time_limit = serializers.CharField(allow_blank=True, max_length=300)


class NoticeInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=3000)
    channels = ChannelSerializer(
        many=True, required=False, help_text="省略时按案件类别给出默认途径"
    )


class NoticeSerializer(serializers.ModelSerializer):
    case_number = serializers.CharField(source="case.number")

    class Meta:
        model = Notice
        fields = ["id", "number", "case", "case_number", "reason", "channels", "issued_at"]


class JCApplyInput(serializers.Serializer):
    applied_at = PlausibleDateTimeField(required=False, allow_null=True)
    court_reference = serializers.CharField(required=False, allow_blank=True, max_length=60)


class JCAcceptInput(serializers.Serializer):
    accepted_at = PlausibleDateTimeField(required=False, allow_null=True)
    court_reference = serializers.CharField(required=False, allow_blank=True, max_length=60)


class JCDecideInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=JudicialConfirmation.Decision.choices)
    decided_at = PlausibleDateTimeField(required=False, allow_null=True)


class ReferralInput(serializers.Serializer):
    court_reference = serializers.CharField(max_length=60)
    referred_at = PlausibleDateTimeField(required=False, allow_null=True)


class ReferralExtendInput(serializers.Serializer):
    # The upper bound is the period table's court_referral extension (the service checks).
    days = serializers.IntegerField(min_value=1)
    basis = serializers.CharField(max_length=300, help_text="当事人同意延长的情况")


class ReferralReportInput(serializers.Serializer):
    referral_result = serializers.ChoiceField(choices=CourtReferral.Result.choices)
    note = serializers.CharField(allow_blank=True, max_length=5000)


class ReferralSerializer(serializers.ModelSerializer):
    result = serializers.CharField(read_only=True)

    class Meta:
        model = CourtReferral
        fields = [
            "id",
            "case",
            "court_reference",
            "referred_at",
            "due_at",
            "extended_days",
            "extension_basis",
            "result",
            "result_note",
            "reported_at",
        ]


class LegalServiceInput(serializers.Serializer):
    service_type = serializers.ChoiceField(choices=LegalService.Kind.choices)
    person_name = serializers.CharField(allow_blank=True, max_length=50)
    summary = serializers.CharField(allow_blank=True, max_length=5000)
    case = serializers.IntegerField(required=False, allow_null=True)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    id_number = serializers.CharField(required=False, allow_blank=True, max_length=18)
    answer = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class LegalServiceSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)
    decision = serializers.CharField(read_only=True)

    class Meta:
        model = LegalService
        fields = [
            "id",
            "kind",
            "case",
            "person_name",
            "summary",
            "answer",
            "created_at",
            "decision_due_at",
            "decision",
            "decided_at",
            "lawyer_due_at",
            "lawyer",
            "lawyer_assigned_at",
        ]


class LegalAidDecideInput(serializers.Serializer):
    aid_decision = serializers.ChoiceField(choices=LegalService.Decision.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class LawyerInput(serializers.Serializer):
    lawyer = serializers.IntegerField()
