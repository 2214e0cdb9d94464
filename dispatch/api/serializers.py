"""Input and output shapes of the dispatch room's API (also used by its pages' forms)."""

from __future__ import annotations

from rest_framework import serializers

from luodian_platform.api.fields import PlausibleDateTimeField
from luodian_platform.models import Department, User

from ..models import Correction, DispatchRecord, ExtensionRequest, Supervision


def _dept_field(**kw):
    return serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.filter(is_active=True), **kw
    )


class DepartmentBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["code", "name"]


class RoutingSuggestionSerializer(serializers.Serializer):
    rule_id = serializers.IntegerField(source="rule.pk")
    rule = serializers.CharField(source="rule.__str__")
    conditions = serializers.ListField(child=serializers.CharField())
    department = DepartmentBriefSerializer()
    co_departments = DepartmentBriefSerializer(many=True)
    matched_keyword = serializers.CharField()


class ConfirmSuggestionInput(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=0)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    confirm_unstaffed = serializers.BooleanField(required=False, default=False)


class DispatchRecordSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.code")
    co_departments = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    rule = serializers.IntegerField(source="rule_id", allow_null=True)
    calendar_warning = serializers.BooleanField()

    class Meta:
        model = DispatchRecord
        fields = [
            "id",
            "at",
            "department",
            "co_departments",
            "rule",
            "followed_suggestion",
            "forced",
            "reset_clock",
            "due_at",
            "calendar_unknown_years",
            "calendar_warning",
            "is_current",
        ]


class ReturnSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor.display_name", default=None, allow_null=True)
    department = serializers.SerializerMethodField()
    reason = serializers.CharField(source="note")
    legal_basis = serializers.SerializerMethodField()

    def get_department(self, obj) -> str:
        return (obj.payload or {}).get("department", "")

    def get_legal_basis(self, obj) -> str:
        return (obj.payload or {}).get("legal_basis", "")


class RoutingOverviewSerializer(serializers.Serializer):
    """What the case page's routing panel shows, for API clients."""

    bounce_count = serializers.IntegerField()
    forced_dispatch = serializers.BooleanField()
    suggestion = RoutingSuggestionSerializer(allow_null=True)
    dispatches = DispatchRecordSerializer(many=True)
    returns = ReturnSerializer(many=True)


class ExtensionRequestInput(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, label="延期理由")


class ExtensionDecisionInput(serializers.Serializer):
    approve = serializers.BooleanField(label="批准")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, label="意见")


class ExtensionSerializer(serializers.ModelSerializer):
    case_number = serializers.CharField(source="case.number")
    department = serializers.CharField(source="department.code")
    requested_by = serializers.CharField(source="requested_by.display_name")
    decided_by = serializers.CharField(
        source="decided_by.display_name", default=None, allow_null=True
    )

    class Meta:
        model = ExtensionRequest
        fields = [
            "id",
            "case",
            "case_number",
            "department",
            "reason",
            "status",
            "requested_by",
            "requested_at",
            "due_at_before",
            "due_at_after",
            "decided_by",
            "decided_at",
            "decision_note",
        ]


class SupervisionInput(serializers.Serializer):
    level = serializers.ChoiceField(choices=Supervision.Level.choices, label="级别")
    message = serializers.CharField(max_length=2000, label="督办内容")
    department = _dept_field(required=False, allow_null=True, label="被督办部门")
    response_due_at = PlausibleDateTimeField(required=False, allow_null=True, label="回复时限")


class SupervisionResponseInput(serializers.Serializer):
    response = serializers.CharField(max_length=5000, label="回复内容")


class SupervisionSerializer(serializers.ModelSerializer):
    case_number = serializers.CharField(source="case.number")
    department = serializers.CharField(source="department.code")
    level_label = serializers.CharField(source="get_level_display")
    created_by = serializers.CharField(
        source="created_by.display_name", default=None, allow_null=True
    )
    responded_by = serializers.CharField(
        source="responded_by.display_name", default=None, allow_null=True
    )

    class Meta:
        model = Supervision
        fields = [
            "id",
            "case",
            "case_number",
            "department",
            "level",
            "level_label",
            "message",
            "response_due_at",
            "automatic",
            "created_by",
            "created_at",
            "response",
            "responded_by",
            "responded_at",
        ]


class CorrectionInput(serializers.Serializer):
    case = serializers.IntegerField(required=False, allow_null=True, label="案件ID")
    department = _dept_field(required=False, allow_null=True, label="责任部门")
    officer = serializers.SlugRelatedField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        label="责任人(用户名)",
    )
    problem = serializers.ChoiceField(choices=Correction.Problem.choices, label="问题类型")
    measure = serializers.ChoiceField(choices=Correction.Measure.choices, label="处理措施")
    serious = serializers.BooleanField(required=False, default=False, label="情节严重")
    description = serializers.CharField(max_length=5000, label="问题描述")
    rectify_due_at = PlausibleDateTimeField(required=False, allow_null=True, label="整改时限")


class CorrectionFeedbackInput(serializers.Serializer):
    feedback = serializers.CharField(max_length=5000, label="整改反馈")


class TalkInput(serializers.Serializer):
    held_at = PlausibleDateTimeField(label="约谈时间")
    record = serializers.CharField(max_length=5000, label="约谈记录")


class CorrectionSerializer(serializers.ModelSerializer):
    case_number = serializers.CharField(source="case.number", default=None, allow_null=True)
    department = serializers.CharField(source="department.code", default=None, allow_null=True)
    officer = serializers.CharField(source="officer.username", default=None, allow_null=True)
    problem_label = serializers.CharField(source="get_problem_display")
    measure_label = serializers.CharField(source="get_measure_display")

    class Meta:
        model = Correction
        fields = [
            "id",
            "case",
            "case_number",
            "department",
            "officer",
            "problem",
            "problem_label",
            "description",
            "serious",
            "measure",
            "measure_label",
            "rectify_due_at",
            "talk_at",
            "talk_record",
            "suggested",
            "created_at",
            "feedback",
            "feedback_at",
        ]


class CorrectionSuggestionSerializer(serializers.Serializer):
    case = serializers.IntegerField(source="case.pk")
    case_number = serializers.CharField(source="case.number")
    problem = serializers.CharField()
    problem_label = serializers.CharField()
    reason = serializers.CharField()
    department = serializers.CharField(source="department.code", default=None, allow_null=True)
    departments = serializers.ListField(child=serializers.CharField())
    stall = serializers.IntegerField(
        source="stall_id",
        allow_null=True,
        help_text="久未进展记录:POST stalls/{id}/correction/ 一键发出(办理不及时,即时提醒)",
    )


class CalendarEstimateSerializer(serializers.Serializer):
    """A date counted over a year without holiday data (weekends-only): an estimate."""

    id = serializers.IntegerField()
    case = serializers.IntegerField(source="case_id", allow_null=True)
    case_number = serializers.SerializerMethodField()
    clock = serializers.CharField()
    label = serializers.CharField()
    due_at = serializers.DateTimeField()
    estimated = serializers.SerializerMethodField()
    unknown_years = serializers.ListField(source="years", child=serializers.IntegerField())
    target = serializers.SerializerMethodField()

    def get_case_number(self, obj) -> str | None:
        return obj.case.number if obj.case_id else None

    def get_estimated(self, obj) -> bool:
        return True

    def get_target(self, obj) -> str:
        return f"{obj.target_model}.{obj.target_field}"


class RecomputeResultSerializer(serializers.Serializer):
    changed = serializers.ListField(child=serializers.DictField())
