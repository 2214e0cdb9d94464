from __future__ import annotations

from rest_framework import serializers

from intake.models import Case, CaseEvent, Party, State, labels
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


def state_labels() -> dict[str, str]:
    """State labels in the active language, resolved once per process (``labels``)."""
    return labels(State)


# Formats like the ModelSerializer's DateTimeField (settings' format, current time zone).
_DATETIME = serializers.DateTimeField()


class CaseFieldsSerializer(serializers.ModelSerializer):
    """The case's list fields, field by field (DRF's generic path; the schema's source)."""

    category = serializers.CharField(source="category.code")
    department = serializers.CharField(source="department.code", default=None, allow_null=True)
    township = serializers.CharField(source="township.code", default=None, allow_null=True)
    state_label = serializers.SerializerMethodField()
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

    def get_state_label(self, obj: Case) -> str:
        return state_labels().get(obj.state, obj.state)


class CaseListSerializer(CaseFieldsSerializer):
    """The list's rows, built directly from the values the list reads
    (``intake.selectors.list_rows``: one dict per case, no model instances): the same keys
    and values as ``CaseFieldsSerializer`` on a case (a test compares them) without DRF's
    per-field, per-row machinery — at 25 rows a page that machinery, the label lookups and
    building 100 model instances (case, category, township, department) were most of a list
    request's Python time."""

    def to_representation(self, row: dict) -> dict:
        # No ``self.fields``: building the ModelSerializer's fields costs more than the rows.
        labels = state_labels()
        state, due, created = row["state"], row["due_at"], row["created_at"]
        return {
            "id": row["id"],
            "number": row["number"],
            "title": row["title"],
            "state": state,
            "state_label": labels.get(state, state),
            "version": row["version"],
            "category": row["category__code"],
            "channel": row["channel"],
            "township": row["township__code"],
            "department": row["department__code"],
            "risk_level": row["risk_level"],
            "due_at": _DATETIME.to_representation(due) if due else None,
            "is_overdue": Case.overdue(state, due),
            "bounce_count": row["bounce_count"],
            "created_at": _DATETIME.to_representation(created) if created else None,
        }


class CaseEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.display_name", default=None, allow_null=True)

    class Meta:
        model = CaseEvent
        fields = ["transition", "from_state", "to_state", "actor", "at", "note", "payload"]


class CaseDetailSerializer(CaseFieldsSerializer):
    parties = PartySerializer(many=True)
    events = CaseEventSerializer(many=True)
    available_actions = serializers.SerializerMethodField()

    class Meta(CaseFieldsSerializer.Meta):
        fields = [
            *CaseFieldsSerializer.Meta.fields,
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
