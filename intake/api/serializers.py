from __future__ import annotations

from django.utils import translation
from rest_framework import serializers

from intake.models import Case, CaseEvent, Party, State
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


# State labels per active language, resolved once per process (a lazy label costs a
# gettext call each time it is used; ``get_state_display`` hashes all of them per row).
_STATE_LABELS: dict[str, dict[str, str]] = {}


def state_labels() -> dict[str, str]:
    lang = translation.get_language() or ""
    labels = _STATE_LABELS.get(lang)
    if labels is None:
        labels = _STATE_LABELS[lang] = {value: str(label) for value, label in State.choices}
    return labels


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
    """The list's rows, built directly: the same keys and values as ``CaseFieldsSerializer``
    (a test compares them) without DRF's per-field, per-row machinery — at 25 rows a page
    that machinery and the label lookups were most of a list request's Python time."""

    def to_representation(self, obj: Case) -> dict:
        # No ``self.fields``: building the ModelSerializer's fields costs more than the rows.
        labels = state_labels()
        due, created = obj.due_at, obj.created_at
        return {
            "id": obj.pk,
            "number": obj.number,
            "title": obj.title,
            "state": obj.state,
            "state_label": labels.get(obj.state, obj.state),
            "version": obj.version,
            "category": obj.category.code,
            "channel": obj.channel,
            "township": obj.township.code if obj.township_id else None,
            "department": obj.department.code if obj.department_id else None,
            "risk_level": obj.risk_level,
            "due_at": _DATETIME.to_representation(due) if due else None,
            "is_overdue": obj.is_overdue,
            "bounce_count": obj.bounce_count,
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
