"""Lifecycle actions owned by the dispatch room and the departments."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from intake.actions import ActionInput, CaseAction, register_action
from luodian_platform.models import Department

from . import services


class DispatchInput(ActionInput):
    department = serializers.SlugRelatedField(
        slug_field="code", queryset=Department.objects.filter(is_active=True), label=_("承办部门")
    )
    co_departments = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Department.objects.filter(is_active=True),
        many=True,
        required=False,
        label=_("协办部门"),
    )
    reset_clock = serializers.BooleanField(required=False, default=False, label=_("重新计时"))
    confirm_unstaffed = serializers.BooleanField(
        required=False, default=False, label=_("确认派给无在岗承办人的部门")
    )


class ReasonInput(ActionInput):
    reason = serializers.CharField(
        max_length=2000, label=_("理由"), style={"base_template": "textarea.html"}
    )


class ReturnInput(ReasonInput):
    # Required on the page and in the API: a return without the duty or law it rests on
    # cannot be judged by the centre (the service itself tolerates older callers).
    legal_basis = serializers.CharField(max_length=500, label=_("法律/职责依据"))


def register() -> None:
    for action in (
        CaseAction(
            name="dispatch",
            serializer_class=DispatchInput,
            service=services.case_dispatch,
            args=("department", "note", "co_departments", "reset_clock", "confirm_unstaffed"),
        ),
        CaseAction(name="sign_for", serializer_class=ActionInput, service=services.case_sign_for),
        CaseAction(
            name="return_case",
            serializer_class=ReturnInput,
            service=services.case_return,
            args=("reason", "legal_basis"),
            css="btn-outline-danger",
        ),
        CaseAction(
            name="suspend",
            serializer_class=ReasonInput,
            service=services.case_suspend,
            args=("reason",),
            css="btn-outline-secondary",
        ),
        CaseAction(name="resume", serializer_class=ActionInput, service=services.case_resume),
        CaseAction(
            name="approve",
            serializer_class=ActionInput,
            service=services.case_approve,
            args=("note",),
            css="btn-success",
        ),
        CaseAction(
            name="send_back",
            serializer_class=ReasonInput,
            service=services.case_send_back,
            args=("reason",),
            css="btn-outline-danger",
        ),
    ):
        register_action(action)
