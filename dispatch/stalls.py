"""久未进展: cases in handling with no progress for N working days.

"Progress" is anything written on the case: a progress note (``intake.ProgressNote``) or an
event-log row (a transition, an urge, an extension, a correction…). N is the category's
``stall_workdays``, else the period table's ``no_progress`` row (a local rule, no statute:
see ``luodian_platform/periods.py``); 0 switches a category off. Suspended cases (中止,
waiting for a party) are not in handling and are never stalled.

Counted like every working-day period (``luodian_platform.workcal``, 《民法典》 art. 201:
the day of the last activity does not count, the period ends at 24:00 of its last day): a
case is stalled once ``due_at(last activity, N, WORKDAYS)`` has passed, so rest days and
holidays (with their make-up workdays) are skipped.

Found by a periodic sweep that writes ``Stall`` rows (the project's rule: due work as rows,
swept, deduplicated by a unique constraint) rather than on every page view: the workbench
then reads a handful of open rows through a partial index. The sweep itself is one query
over the cases in handling (two correlated MAX subqueries on the (case, at) indexes), one
INSERT … ON CONFLICT DO NOTHING and one UPDATE for the stalls that ended.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.models import HANDLING_STATES, Case, CaseEvent, ProgressNote
from luodian_platform.audit import acting_as
from luodian_platform.models import Category
from luodian_platform.periods import period
from luodian_platform.workcal import WorkCalendar, local_date, local_tz

from .models import Stall


def stall_cutoff(days: int, *, now: dt.datetime, cal: WorkCalendar) -> dt.datetime:
    """Activity before this moment has been followed by ``days`` full working days by
    ``now``: the start of the day after the latest date ``d`` with
    ``add_working_days(d, days) < today``."""
    today = local_date(now)
    d = today - dt.timedelta(days=1)
    while cal.add_working_days(d, days) >= today:
        d -= dt.timedelta(days=1)
    return dt.datetime.combine(d + dt.timedelta(days=1), dt.time.min, tzinfo=local_tz())


def workdays_by_category() -> tuple[int, dict[int, int]]:
    """The default N (period table) and the categories that set their own."""
    default = period("no_progress").amount
    own = dict(
        Category.objects.filter(stall_workdays__isnull=False).values_list("pk", "stall_workdays")
    )
    return default, own


def with_last_activity(qs):
    last_event = (
        CaseEvent.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(m=Max("at"))
        .values("m")
    )
    last_note = (
        ProgressNote.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(m=Max("created_at"))
        .values("m")
    )
    created = F("created_at")
    return qs.annotate(
        last_activity=Greatest(
            Coalesce(Subquery(last_event), created),
            Coalesce(Subquery(last_note), created),
        )
    )


def stalled_cases(*, now: dt.datetime | None = None, cal: WorkCalendar | None = None):
    """Cases in handling whose last activity is older than their category's N working days,
    annotated with ``last_activity`` and ``stall_workdays_applied``."""
    now = now or timezone.now()
    cal = cal or WorkCalendar.load()
    default, own = workdays_by_category()
    groups: dict[int, list[int]] = {}
    for cat, days in own.items():
        groups.setdefault(days, []).append(cat)
    q = Q(pk__in=[])
    if default:
        q |= ~Q(category_id__in=list(own)) & Q(
            last_activity__lt=stall_cutoff(default, now=now, cal=cal)
        )
    for days, cats in groups.items():
        if days:
            q |= Q(category_id__in=cats, last_activity__lt=stall_cutoff(days, now=now, cal=cal))
    qs = with_last_activity(Case.objects.filter(state__in=HANDLING_STATES)).filter(q).order_by()
    return qs, (default, own)


@dataclass
class SweepResult:
    found: int
    created: int
    resolved: int


def stalls_sweep(*, now: dt.datetime | None = None) -> SweepResult:
    """Write a ``Stall`` for every newly stalled case and end the ones with new activity.
    Safe to run twice or on two workers at once (unique (case, since))."""
    now = now or timezone.now()
    cal = WorkCalendar.load()
    qs, (default, own) = stalled_cases(now=now, cal=cal)
    rows = list(qs.values_list("pk", "category_id", "last_activity"))
    with transaction.atomic(), acting_as("system"):
        # In steady state nearly every stalled case already has its open row (read through
        # the partial index): only the new ones are inserted.
        known = set(Stall.objects.filter(resolved_at__isnull=True).values_list("case_id", "since"))
        new = [
            Stall(case_id=pk, since=last, workdays=own.get(cat, default), detected_at=now)
            for pk, cat, last in rows
            if (pk, last) not in known
        ]
        # A concurrent sweep may have inserted some meanwhile: the unique constraint decides.
        Stall.objects.bulk_create(new, ignore_conflicts=True)
        created = len(new)
        moved_on = (
            Q(case__state__in=HANDLING_STATES)
            & ~Exists(CaseEvent.objects.filter(case=OuterRef("case"), at__gt=OuterRef("since")))
            & ~Exists(
                ProgressNote.objects.filter(case=OuterRef("case"), created_at__gt=OuterRef("since"))
            )
        )
        resolved = (
            Stall.objects.filter(resolved_at__isnull=True).exclude(moved_on).update(resolved_at=now)
        )
    return SweepResult(found=len(rows), created=created, resolved=resolved)


# --- reads for the centre ------------------------------------------------------------------


def open_stalls(*, user, limit: int = 50):
    """The workbench's 久未进展 list: open stalls of cases the user sees, longest first."""
    return (
        Stall.objects.filter(
            resolved_at__isnull=True,
            case__in=Case.objects.visible_to(user).values("pk"),
        )
        .select_related("case", "case__department", "case__category")
        .order_by("since", "id")[:limit]
    )


def stall_reason(stall: Stall) -> str:
    return _("连续%(n)s个工作日无办理进展(最后一次:%(at)s)") % {
        "n": stall.workdays,
        "at": f"{timezone.localtime(stall.since):%Y-%m-%d %H:%M}",
    }
