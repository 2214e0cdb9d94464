"""Writes of the dispatch room and the departments: dispatch, sign for, return,
suspend/resume, and the centre's review of replies."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.lifecycle import run_transition
from intake.models import Case
from luodian_platform.errors import ServiceError
from luodian_platform.models import Department
from luodian_platform.workcal import WorkCalendar, end_of_day, local_date

from .deadlines import handling_deadlines


def case_dispatch(
    *,
    case_id: int,
    department: Department,
    actor,
    note: str = "",
    reset_clock: bool = False,
    expected_version: int | None = None,
) -> Case:
    """派单. The clock starts at the first dispatch; re-dispatching after a return keeps it
    unless the centre decides to reset it (``reset_clock``). After the configured number of
    returns the dispatch is final (强制派单): the department cannot return it again."""
    if not department.is_active:
        raise ServiceError(
            _("该部门已停用,不能派单。"), fields={"department": _("请选择其他部门。")}
        )
    now = timezone.now()

    def kwargs(case: Case) -> dict:
        sign_due, due = handling_deadlines(case, now)
        first = case.dispatched_at is None
        return {
            "department": department,
            "at": now,
            "sign_due_at": sign_due,
            "due_at": due if (first or reset_clock) else None,
            "forced": case.bounce_count >= settings.FORCED_DISPATCH_AFTER_RETURNS,
        }

    return run_transition(
        case_id=case_id,
        name="dispatch",
        actor=actor,
        expected_version=expected_version,
        kwargs=kwargs,
        note=note,
        payload={"department": department.code, "reset_clock": reset_clock},
    )


def case_sign_for(*, case_id: int, actor, expected_version: int | None = None) -> Case:
    """签收 by an officer of the department the case was dispatched to."""
    return run_transition(
        case_id=case_id,
        name="sign_for",
        actor=actor,
        expected_version=expected_version,
        kwargs={"by": actor, "at": timezone.now()},
    )


def case_return(
    *, case_id: int, actor, reason: str, legal_basis: str = "", expected_version: int | None = None
) -> Case:
    """退单: the case is outside the department's duties. Reason required; counts a bounce."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("退单必须说明理由。"), fields={"reason": _("请填写退单理由。")})
    return run_transition(
        case_id=case_id,
        name="return_case",
        actor=actor,
        expected_version=expected_version,
        note=reason,
        payload={"legal_basis": legal_basis},
    )


def case_suspend(*, case_id: int, actor, reason: str, expected_version: int | None = None) -> Case:
    """中止: the clock pauses, e.g. while waiting for a party's materials."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("中止必须说明理由。"), fields={"reason": _("请填写中止理由。")})
    return run_transition(
        case_id=case_id,
        name="suspend",
        actor=actor,
        expected_version=expected_version,
        kwargs={"at": timezone.now()},
        note=reason,
    )


def case_resume(*, case_id: int, actor, expected_version: int | None = None) -> Case:
    """恢复: the deadline moves by the working days the case spent suspended."""
    now = timezone.now()

    def kwargs(case: Case) -> dict:
        new_due = case.due_at
        if case.due_at and case.suspended_at:
            cal = WorkCalendar.load()
            paused = cal.working_days_between(local_date(case.suspended_at), local_date(now))
            new_due = end_of_day(cal.add_working_days(local_date(case.due_at), paused))
        return {"new_due_at": new_due}

    return run_transition(
        case_id=case_id,
        name="resume",
        actor=actor,
        expected_version=expected_version,
        kwargs=kwargs,
    )


def case_approve(
    *, case_id: int, actor, note: str = "", expected_version: int | None = None
) -> Case:
    """中心审核通过: the reply is accepted and the case is closed (follow-up due)."""
    return run_transition(
        case_id=case_id,
        name="approve",
        actor=actor,
        expected_version=expected_version,
        kwargs={"at": timezone.now()},
        note=note,
    )


def case_send_back(
    *, case_id: int, actor, reason: str, expected_version: int | None = None
) -> Case:
    """中心审核不通过: back to the department to redo, with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("退回重办必须说明理由。"), fields={"reason": _("请填写退回理由。")})
    return run_transition(
        case_id=case_id,
        name="send_back",
        actor=actor,
        expected_version=expected_version,
        note=reason,
    )
