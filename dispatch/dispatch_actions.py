"""Lifecycle actions owned by the dispatch room and the departments."""

from __future__ import annotations

from rest_framework import serializers

from intake.actions import ActionInput, CaseAction, register_action
from luodian_platform.models import Department

from . import services


class DispatchInput(ActionInput):
    department = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.filter(is_active=True), label="承办部门"
    )
    co_departments = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Department.objects.filter(is_active=True),
        many=True,
        required=False,
        label="协办部门",
    )
    reset_clock = serializers.BooleanField(required=False, default=False, label="重新计时")


class ReasonInput(ActionInput):
    reason = serializers.CharField(
        max_length=2000, label="理由", style={"base_template": "textarea.html"}
    )


class ReturnInput(ReasonInput):
    # Required on the page and in the API: a return without the duty or law it rests on
    # cannot be judged by the centre (the service itself tolerates older callers).
    legal_basis = serializers.CharField(max_length=500, label="法律/职责依据")


def register() -> None:
    register_action(
        CaseAction(
            name="dispatch",
            serializer_class=DispatchInput,
            perform=lambda *, case_id, actor, data, expected_version: services.case_dispatch(
                case_id=case_id,
                department=data["department"],
                actor=actor,
                note=data.get("note", ""),
                co_departments=data.get("co_departments", []),
                reset_clock=data.get("reset_clock", False),
                expected_version=expected_version,
            ),
        )
    )
    register_action(
        CaseAction(
            name="sign_for",
            serializer_class=ActionInput,
            perform=lambda *, case_id, actor, data, expected_version: services.case_sign_for(
                case_id=case_id, actor=actor, expected_version=expected_version
            ),
        )
    )
    register_action(
        CaseAction(
            name="return_case",
            serializer_class=ReturnInput,
            css="btn-outline-danger",
            perform=lambda *, case_id, actor, data, expected_version: services.case_return(
                case_id=case_id,
                actor=actor,
                reason=data["reason"],
                legal_basis=data.get("legal_basis", ""),
                expected_version=expected_version,
            ),
        )
    )
    register_action(
        CaseAction(
            name="suspend",
            serializer_class=ReasonInput,
            css="btn-outline-secondary",
            perform=lambda *, case_id, actor, data, expected_version: services.case_suspend(
                case_id=case_id,
                actor=actor,
                reason=data["reason"],
                expected_version=expected_version,
            ),
        )
    )
    register_action(
        CaseAction(
            name="resume",
            serializer_class=ActionInput,
            perform=lambda *, case_id, actor, data, expected_version: services.case_resume(
                case_id=case_id, actor=actor, expected_version=expected_version
            ),
        )
    )
    register_action(
        CaseAction(
            name="approve",
            serializer_class=ActionInput,
            css="btn-success",
            perform=lambda *, case_id, actor, data, expected_version: services.case_approve(
                case_id=case_id,
                actor=actor,
                note=data.get("note", ""),
                expected_version=expected_version,
            ),
        )
    )
    register_action(
        CaseAction(
            name="send_back",
            serializer_class=ReasonInput,
            css="btn-outline-danger",
            perform=lambda *, case_id, actor, data, expected_version: services.case_send_back(
                case_id=case_id,
                actor=actor,
                reason=data["reason"],
                expected_version=expected_version,
            ),
        )
    )
