"""Lifecycle actions owned by follow-up."""

from __future__ import annotations

from rest_framework import serializers

from intake.actions import ActionInput, CaseAction, register_action

from . import services


class ReopenInput(ActionInput):
    reason = serializers.CharField(
        max_length=2000, label="重办理由", style={"base_template": "textarea.html"}
    )


def register() -> None:
    register_action(
        CaseAction(
            name="archive",
            serializer_class=ActionInput,
            perform=lambda *, case_id, actor, data, expected_version: services.case_archive(
                case_id=case_id,
                actor=actor,
                note=data.get("note", ""),
                expected_version=expected_version,
            ),
        )
    )
    register_action(
        CaseAction(
            name="reopen",
            serializer_class=ReopenInput,
            css="btn-outline-danger",
            perform=lambda *, case_id, actor, data, expected_version: services.case_reopen(
                case_id=case_id,
                actor=actor,
                reason=data["reason"],
                expected_version=expected_version,
            ),
        )
    )
