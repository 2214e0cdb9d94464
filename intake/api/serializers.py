from __future__ import annotations

from rest_framework import serializers

from intake.models import Case, CaseEvent, Party
from luodian_platform.validators import mask_id_number, mask_phone


class PartySerializer(serializers.ModelSerializer):
    id_number = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()

    class Meta:
        model = Party
        fields = ["id", "role", "kind", "name", "id_number", "credit_code", "phone", "address"]

    def get_id_number(self, obj: Party) -> str:
        return mask_id_number(obj.id_number) if obj.id_number else ""

    def get_phone(self, obj: Party) -> str:
        return mask_phone(obj.phone) if obj.phone else ""


class CaseListSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.code")
    department = serializers.CharField(source="department.code", default=None, allow_null=True)
    township = serializers.CharField(source="township.code", default=None, allow_null=True)
    state_label = serializers.CharField(source="get_state_display")
    is_overdue = serializers.BooleanField()

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "title",
            "state",
            "state_label",
            "version",
            "category",
            "channel",
            "township",
            "department",
            "risk_level",
            "due_at",
            "is_overdue",
            "bounce_count",
            "created_at",
        ]


class CaseEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.display_name", default=None, allow_null=True)

    class Meta:
        model = CaseEvent
        fields = ["transition", "from_state", "to_state", "actor", "at", "note", "payload"]


class CaseDetailSerializer(CaseListSerializer):
    parties = PartySerializer(many=True)
    events = CaseEventSerializer(many=True)
    available_actions = serializers.SerializerMethodField()

    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            "facts",
            "request",
            "place",
            "amount",
            "people_count",
            "is_group",
            "is_repeat",
            "is_violence_risk",
            "is_vulnerable",
            "external_id",
            "dispatched_at",
            "sign_due_at",
            "accepted_at",
            "forced_dispatch",
            "outcome",
            "reply_text",
            "reply_document",
            "replied_at",
            "closed_at",
            "archived_at",
            "reject_reason",
            "reject_channel",
            "parties",
            "events",
            "available_actions",
        ]

    def get_available_actions(self, obj: Case) -> list[str]:
        from intake.lifecycle import available_actions

        return available_actions(obj, self.context["request"].user)
