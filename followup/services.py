"""Writes of follow-up: archive a case after its visit, reopen it for rework (重办)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.deadlines import handling_deadlines
from intake.lifecycle import run_transition
from intake.models import Case
from luodian_platform.errors import ServiceError


def case_archive(
    *, case_id: int, actor, note: str = "", expected_version: int | None = None
) -> Case:
    return run_transition(
        case_id=case_id,
        name="archive",
        actor=actor,
        expected_version=expected_version,
        kwargs={"at": timezone.now()},
        note=note,
    )


def case_reopen(*, case_id: int, actor, reason: str, expected_version: int | None = None) -> Case:
    """重办: back to the same department with a new deadline and the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("重办必须说明理由。"), fields={"reason": _("请填写重办理由。")})
    now = timezone.now()
    return run_transition(
        case_id=case_id,
        name="reopen",
        actor=actor,
        expected_version=expected_version,
        kwargs=lambda case: {"at": now, "due_at": handling_deadlines(case, now)[1]},
        note=reason,
    )
