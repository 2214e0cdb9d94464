"""The lifecycle actions owned by the intake app (inbox and window)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from . import services
from .actions import ActionInput, CaseAction, register_action
from .models import Case


class RejectInput(ActionInput):
    reason = serializers.CharField(max_length=2000, label=_("不予受理理由"))
    route_to = serializers.CharField(
        required=False, allow_blank=True, max_length=100, label=_("应转渠道(如诉讼、仲裁、信访)")
    )


class MergeInput(ActionInput):
    into = serializers.SlugRelatedField(
        slug_field="number", queryset=Case.objects.all(), label=_("合并至案件编号")
    )


class OnSpotInput(ActionInput):
    answer = serializers.CharField(
        max_length=5000, label=_("答复/建议内容"), style={"base_template": "textarea.html"}
    )


def _merge_args(data: dict) -> dict:
    return {"into_id": data["into"].pk, "reason": data.get("note", "")}


def register() -> None:
    for action in (
        CaseAction(name="take_in", serializer_class=ActionInput, service=services.case_take_in),
        CaseAction(
            name="reject",
            serializer_class=RejectInput,
            service=services.case_reject,
            args=("reason", "route_to"),
            css="btn-outline-danger",
        ),
        CaseAction(
            name="merge",
            serializer_class=MergeInput,
            service=services.case_merge,
            prepare=_merge_args,
            css="btn-outline-secondary",
        ),
        CaseAction(
            name="handle_on_spot",
            serializer_class=OnSpotInput,
            service=services.case_handle_on_spot,
            args=("answer",),
        ),
    ):
        register_action(action)
