"""Lifecycle actions owned by the mediation windows."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from intake.actions import ActionInput, CaseAction, register_action
from intake.models import Outcome

from . import services


class ReplyInput(ActionInput):
    # Optional: left empty, the outcome and the document come from the case's records
    # (an agreement in force, else an issued notice); a declared one must match them.
    outcome = serializers.ChoiceField(
        choices=Outcome.choices,
        required=False,
        allow_blank=True,
        label=_("办理结果"),
        help_text=_("留空则按本案文书确定:已生效的协议书为调解成功,已出具的告知书为调解不成。"),
    )
    text = serializers.CharField(
        max_length=5000, label=_("答复意见"), style={"base_template": "textarea.html"}
    )
    document = serializers.CharField(
        max_length=100, required=False, allow_blank=True, label=_("答复文书编号或名称")
    )


def reply_initial(case) -> dict:
    """The reply form opens with the outcome and document the records prove."""
    outcome, document = services.reply_basis(case).suggested()
    return {"outcome": outcome, "document": document}


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
            initial=reply_initial,
            css="btn-success",
        ),
    ):
        register_action(action)
