"""Lifecycle actions owned by follow-up."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from intake.actions import ActionInput, CaseAction, register_action

from . import services


class ReopenInput(ActionInput):
    reason = serializers.CharField(
        max_length=2000, label=_("重办理由"), style={"base_template": "textarea.html"}
    )


def register() -> None:
    for action in (
        CaseAction(
            name="archive",
            serializer_class=ActionInput,
            service=services.case_archive,
            args=("note",),
        ),
        CaseAction(
            name="reopen",
            serializer_class=ReopenInput,
            service=services.case_reopen,
            args=("reason",),
            css="btn-outline-danger",
        ),
    ):
        register_action(action)
