"""The reminder sweep's automatic urges (催办), many cases in one set-based step.

``followup``'s sweep finds the cases whose handling deadline passed on the previous working
day and calls ``supervisions_urge_automatic`` once per sweep (through
``followup.reminders.AUTO_URGE_HOOKS``). On the first sweep of a morning at province scale
that is thousands of cases: one ``supervision_create`` each (≈ 9 statements and a
transaction per urge) took 18 s at 1M cases; this writes the same rows with a constant
number of statements. ``supervision_create(automatic=True)`` stays the one-case path (and
the fallback when a batch fails).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from intake.models import Case, CaseEvent, events_bulk_create
from luodian_platform.workcal import WorkCalendar

from .clocks import compute_period, flag_new
from .models import Supervision
from .services import RESPONSE_PERIOD, SUPERVISION_EVENT


def supervisions_urge_automatic(
    *, items: Iterable[tuple[int, str]], cal: WorkCalendar | None = None
) -> list[Supervision]:
    """The reminder sweep's automatic urges (催办) for many cases at once; ``items`` are
    (case id, message). The same rows, events and estimates as ``supervision_create(
    level=URGE, actor=None, automatic=True)`` for each case, in one transaction with a
    number of statements that does not grow with the urges: the cases locked in id order
    (one statement; two sweeps never deadlock), the urges already made read once, the
    answer deadline computed once with one calendar, one INSERT each for the urges, their
    estimates (if any) and their events. A case gone, without a department, or urged already
    gets nothing (as the single path: not found / refused / the record already made).
    Returns the urges made by this call.

    Concurrent sweeps: the second waits for the first's row locks, then finds its urges (a
    new statement sees what committed meanwhile) and makes none; the unique constraint
    ``supervision_one_automatic_per_level`` still stands behind it."""
    wanted: dict[int, str] = {}
    for case_id, message in items:
        message = (message or "").strip()
        if message:
            wanted.setdefault(int(case_id), message)
    if not wanted:
        return []
    level = Supervision.Level.URGE
    with transaction.atomic():
        cases = [
            c
            for c in Case.objects.select_for_update(of=("self",))
            .select_related("department")
            .filter(pk__in=wanted)
            .order_by("pk")
            if c.department_id is not None
        ]
        done = set(
            Supervision.objects.filter(
                case_id__in=[c.pk for c in cases], level=level, automatic=True
            ).values_list("case_id", "department_id")
        )
        cases = [c for c in cases if (c.pk, c.department_id) not in done]
        if not cases:
            return []
        now = timezone.now()
        computed = compute_period(RESPONSE_PERIOD[level], start=now, cal=cal)
        sups = Supervision.objects.bulk_create(
            Supervision(
                case=c,
                department=c.department,
                level=level,
                message=wanted[c.pk],
                response_due_at=computed.due,
                automatic=True,
                created_by=None,
                created_at=now,
            )
            for c in cases
        )
        flag_new(
            computed,
            targets=[(sup, c) for sup, c in zip(sups, cases, strict=True)],
            field_name="response_due_at",
        )
        events_bulk_create(
            [
                CaseEvent(
                    case=c,
                    transition=SUPERVISION_EVENT[level],
                    from_state=c.state,
                    to_state=c.state,
                    actor=None,
                    note=sup.message,
                    payload={"id": sup.pk, "department": c.department.code, "automatic": True},
                )
                for sup, c in zip(sups, cases, strict=True)
            ]
        )
    return sups
