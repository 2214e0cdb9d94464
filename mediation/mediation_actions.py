"""Lifecycle actions owned by the mediation windows."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from intake.actions import ActionInput, CaseAction, register_action
from intake.models import Outcome

from . import services


class ReplyInput(ActionInput):
    outcome = serializers.ChoiceField(choices=Outcome.choices, label=_("办理结果"))
    text = serializers.CharField(
        max_length=5000, label=_("答复意见"), style={"base_template": "textarea.html"}
    )
    document = serializers.CharField(max_length=100, label=_("答复文书编号或名称"))


def register() -> None:
    for action in (
        CaseAction(
            name="start_mediation",
            serializer_class=ActionInput,
            service=services.case_start_mediation,
            args=("note",),
        ),
        CaseAction(
            name="reply",
            serializer_class=ReplyInput,
            service=services.case_reply,
            args=("outcome", "text", "document"),
            css="btn-success",
        ),
    ):
        register_action(action)
