"""The lifecycle actions owned by the intake app (inbox and window)."""

from __future__ import annotations

from rest_framework import serializers

from . import services
from .actions import ActionInput, CaseAction, register_action
from .models import Case


class RejectInput(ActionInput):
    reason = serializers.CharField(max_length=2000, label="不予受理理由")
    route_to = serializers.CharField(
        required=False, allow_blank=True, max_length=100, label="应转渠道(如诉讼、仲裁、信访)"
    )


class MergeInput(ActionInput):
    into = serializers.SlugRelatedField(
        slug_field="number", queryset=Case.objects.all(), label="合并至案件编号"
    )


class OnSpotInput(ActionInput):
    answer = serializers.CharField(
        max_length=5000, label="答复/建议内容", style={"base_template": "textarea.html"}
    )


def register() -> None:
    register_action(
        CaseAction(
            name="take_in",
            serializer_class=ActionInput,
            perform=lambda *, case_id, actor, data, expected_version: services.case_take_in(
                case_id=case_id, actor=actor, expected_version=expected_version
            ),
        )
    )
    register_action(
        CaseAction(
            name="reject",
            serializer_class=RejectInput,
            css="btn-outline-danger",
            perform=lambda *, case_id, actor, data, expected_version: services.case_reject(
                case_id=case_id,
                actor=actor,
                reason=data["reason"],
                route_to=data.get("route_to", ""),
                expected_version=expected_version,
            ),
        )
    )
    register_action(
        CaseAction(
            name="merge",
            serializer_class=MergeInput,
            css="btn-outline-secondary",
            perform=lambda *, case_id, actor, data, expected_version: services.case_merge(
                case_id=case_id,
                into_id=data["into"].pk,
                actor=actor,
                reason=data.get("note", ""),
                expected_version=expected_version,
            ),
        )
    )
    register_action(
        CaseAction(
            name="handle_on_spot",
            serializer_class=OnSpotInput,
            perform=lambda *, case_id, actor, data, expected_version: services.case_handle_on_spot(
                case_id=case_id,
                actor=actor,
                answer=data["answer"],
                expected_version=expected_version,
            ),
        )
    )
