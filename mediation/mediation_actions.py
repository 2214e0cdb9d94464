"""Lifecycle actions owned by the mediation windows."""

from __future__ import annotations

from rest_framework import serializers

from intake.actions import ActionInput, CaseAction, register_action
from intake.models import Outcome

from . import services


class ReplyInput(ActionInput):
    outcome = serializers.ChoiceField(choices=Outcome.choices, label="办理结果")
    text = serializers.CharField(
        max_length=5000, label="答复意见", style={"base_template": "textarea.html"}
    )
    document = serializers.CharField(max_length=100, label="答复文书编号或名称")


def register() -> None:
    register_action(
        CaseAction(
            name="start_mediation",
            serializer_class=ActionInput,
            perform=lambda *, case_id, actor, data, expected_version: services.case_start_mediation(
                case_id=case_id,
                actor=actor,
                note=data.get("note", ""),
                expected_version=expected_version,
            ),
        )
    )
    register_action(
        CaseAction(
            name="reply",
            serializer_class=ReplyInput,
            css="btn-success",
            perform=lambda *, case_id, actor, data, expected_version: services.case_reply(
                case_id=case_id,
                actor=actor,
                outcome=data["outcome"],
                text=data["text"],
                document=data["document"],
                expected_version=expected_version,
            ),
        )
    )
