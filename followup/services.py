"""Writes of follow-up: close with visits, archive, rework (重办), record visits, imports.

Closing a case (中心审核通过) is dispatch's ``case_approve``; follow-up does not edit it. The
visits are scheduled by an after-close hook (``signals.py``): the ``approve`` row of the
event log is written inside ``run_transition``'s transaction, and its ``post_save`` calls
``visits_schedule`` there — so every path that closes a case (page, API, a direct call of
``dispatch.services.case_approve``) gets its visits, atomically with the closing. An
override of the ``approve`` action would have missed the direct calls.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.deadlines import handling_deadlines
from intake.lifecycle import run_transition
from intake.models import Case
from luodian_platform.errors import ServiceError
from luodian_platform.models import User
from luodian_platform.roles import Role
from luodian_platform.workcal import WorkCalendar, local_date

from .models import POSITIVE_SATISFACTION, AssignmentCursor, FollowupPlan, Visit

DEFAULT_OFFSETS = [{"amount": 3, "unit": "workdays"}, {"amount": 30, "unit": "days"}]
DEFAULT_MAX_ATTEMPTS = 3


def plan_for(category_id: int | None) -> FollowupPlan:
    """The category's plan, else the default row, else the built-in default."""
    plans = {
        p.category_id: p
        for p in FollowupPlan.objects.filter(Q(category_id=category_id) | Q(category__isnull=True))
    }
    return (
        plans.get(category_id)
        or plans.get(None)
        or FollowupPlan(offsets=DEFAULT_OFFSETS, max_attempts=DEFAULT_MAX_ATTEMPTS)
    )


def next_followup_officer() -> User | None:
    """Follow-up officers in turn (轮流): the row lock serialises concurrent closings."""
    officers = list(
        User.objects.filter(is_active=True, groups__name=Role.FOLLOWUP)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    if not officers:
        return None
    AssignmentCursor.objects.get_or_create(key="visits")
    cursor = AssignmentCursor.objects.select_for_update().get(key="visits")
    chosen = next((pk for pk in officers if pk > cursor.last_user_id), officers[0])
    cursor.last_user_id = chosen
    cursor.save(update_fields=["last_user_id"])
    return User.objects.get(pk=chosen)


def visits_schedule(*, case: Case, at: dt.datetime | None = None) -> list[Visit]:
    """Create this round's visits (e.g. 3 working days and 30 days after closing), all
    assigned to the same follow-up officer, taken in turn. Idempotent per round."""
    plan = plan_for(case.category_id)
    if not plan.enabled or not plan.offsets:
        return []
    at = at or case.closed_at or timezone.now()
    start = local_date(at)
    cal = WorkCalendar.load()
    officer = next_followup_officer()
    visits = []
    for seq, offset in enumerate(plan.offsets, start=1):
        amount = int(offset.get("amount", 0))
        if offset.get("unit") == "workdays":
            due = cal.add_working_days(start, amount)
        else:
            due = start + dt.timedelta(days=amount)
        visits.append(
            Visit(
                case=case,
                round=case.rework_count,
                seq=seq,
                due_date=due,
                assignee=officer,
                max_attempts=plan.max_attempts,
            )
        )
    Visit.objects.bulk_create(visits, ignore_conflicts=True)
    return list(Visit.objects.filter(case=case, round=case.rework_count))


def _check_archivable(case: Case) -> None:
    """A round whose last visit found the party dissatisfied or the agreement unperformed
    is not archived (that is a case closed on paper only, 案结事未了): it is reworked."""
    last = (
        Visit.objects.filter(case=case, round=case.rework_count, status=Visit.Status.DONE)
        .order_by("-completed_at", "-pk")
        .first()
    )
    if last is not None and (
        last.satisfaction not in POSITIVE_SATISFACTION or last.agreement_performed is False
    ):
        raise ServiceError(_("回访显示当事人不满意或协议未履行,应重办,不能归档。"))


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
        before=_check_archivable,
    )


def _cancel_open_visits(case: Case) -> None:
    Visit.objects.filter(case=case, status=Visit.Status.SCHEDULED).update(
        status=Visit.Status.CANCELLED
    )


def case_reopen(*, case_id: int, actor, reason: str, expected_version: int | None = None) -> Case:
    """重办: back to the same department with a new deadline and the reason. The round's
    remaining visits are cancelled; closing again schedules the next round's."""
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
        after=_cancel_open_visits,
    )
