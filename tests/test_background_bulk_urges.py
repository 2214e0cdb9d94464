"""Issue 22: the sweep's automatic urges (催办) in one set-based step (``dispatch.urges``).

The bulk path must write exactly what ``supervision_create(automatic=True)`` wrote for each
case — urges, events, calendar estimates, audit rows, and no work-step notification (the
sweep's own AUTO_URGE reminder is the one notification) — with a number of statements that
does not grow with the urges, once only under concurrent sweeps, and completed by a rerun
after a crash."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from dispatch.models import CalendarEstimate, Supervision
from dispatch.services import case_dispatch, case_sign_for
from followup import reminders, sources
from followup.models import Reminder, ReminderKind
from intake.models import Case, CaseEvent
from luodian_platform.audit import acting_as
from luodian_platform.workcal import end_of_day, local_tz

from .conftest import requires_postgres

pytestmark = pytest.mark.django_db
TZ = local_tz()
# 2026-03-09 (Mon) .. 2026-03-13 (Fri) are plain working days.
MONDAY_END = end_of_day(dt.date(2026, 3, 9))
TUESDAY_10 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=TZ)


def _overdue(make_case, dispatcher, officer, rsj, n: int) -> list[Case]:
    """``n`` cases being handled by 人社局 whose deadline passed on Monday evening."""
    out = []
    for _i in range(n):
        case = case_dispatch(case_id=make_case().pk, department=rsj, actor=dispatcher)
        case = case_sign_for(case_id=case.pk, actor=officer)
        Case.objects.filter(pk=case.pk).update(due_at=MONDAY_END)
        out.append(case)
    return out


def _written(cases: list[Case]) -> list[dict]:
    """Everything an automatic urge writes, per case, without ids and case numbers."""
    out = []
    for case in cases:
        sups = list(Supervision.objects.filter(case=case))
        events = list(CaseEvent.objects.filter(case=case, transition="urge"))
        estimates = list(
            CalendarEstimate.objects.filter(
                target_model="dispatch.supervision", target_id__in=[s.pk for s in sups]
            )
        )
        audit = list(
            AuditEntry.objects.filter(
                table_name="dispatch_supervision", object_pk__in=[str(s.pk) for s in sups]
            )
        )
        out.append(
            {
                "urges": [
                    (
                        s.department_id,
                        s.level,
                        s.message,
                        s.response_due_at,
                        s.automatic,
                        s.created_by_id,
                        s.created_at,
                    )
                    for s in sups
                ],
                "events": [
                    (
                        e.from_state,
                        e.to_state,
                        e.actor_id,
                        e.note,
                        e.payload["id"] == sups[0].pk,
                        {k: v for k, v in e.payload.items() if k != "id"},
                    )
                    for e in events
                ],
                "estimates": [
                    (x.clock, x.start, x.amount, x.unit, x.due_at, x.years, x.resolved_at)
                    for x in estimates
                ],
                "audit": [
                    (
                        a.action,
                        a.actor_label,
                        {k: v for k, v in (a.after or {}).items() if k not in ("id", "case_id")},
                    )
                    for a in audit
                ],
                "notifications": Reminder.objects.filter(
                    case=case, kind=ReminderKind.SUPERVISION
                ).count(),
            }
        )
    return out


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 3, 10, 10, 0, tzinfo=TZ),
        # A year the holiday calendar does not know: the answer deadline is an estimate.
        dt.datetime(2031, 3, 11, 10, 0, tzinfo=TZ),
    ],
)
def test_bulk_urges_write_what_one_by_one_urges_wrote(make_case, dispatcher, officer, rsj, moment):
    one_by_one = _overdue(make_case, dispatcher, officer, rsj, 3)
    bulk = _overdue(make_case, dispatcher, officer, rsj, 3)
    due = "2026-03-09 23:59"
    with time_machine.travel(moment, tick=False), acting_as("sweep"):
        for case in one_by_one:
            sources.record_auto_urge(case.pk, due)
        sources.record_auto_urges([(case.pk, due) for case in bulk])
    expected = _written(one_by_one)
    assert _written(bulk) == expected
    # Not two empty lists: one urge, one event, one audit row each; estimates in 2031.
    assert [len(w["urges"]) for w in expected] == [1, 1, 1]
    assert all(len(w["events"]) == 1 and len(w["audit"]) == 1 for w in expected)
    assert all(len(w["estimates"]) == (moment.year == 2031) for w in expected)
    assert all(w["audit"][0][1] == "sweep" for w in expected)


def test_bulk_urges_skip_cases_urged_already_and_cases_without_department(
    make_case, dispatcher, officer, rsj
):
    urged, fresh = _overdue(make_case, dispatcher, officer, rsj, 2)
    unrouted = make_case()  # registered, no department yet
    sources.record_auto_urge(urged.pk, "2026-03-09 23:59")
    sources.record_auto_urges([(c.pk, "2026-03-09 23:59") for c in (urged, fresh, unrouted)])
    sources.record_auto_urges([(fresh.pk, "2026-03-09 23:59")])  # a repeated call
    assert Supervision.objects.filter(case=urged, automatic=True).count() == 1
    assert Supervision.objects.filter(case=fresh, automatic=True).count() == 1
    assert not Supervision.objects.filter(case=unrouted).exists()
    assert CaseEvent.objects.filter(case__in=[urged, fresh], transition="urge").count() == 2


def test_bulk_urge_statements_do_not_grow_with_the_urges(make_case, dispatcher, officer, rsj):
    few = _overdue(make_case, dispatcher, officer, rsj, 2)
    many = _overdue(make_case, dispatcher, officer, rsj, 8)
    with CaptureQueriesContext(connection) as small:
        sources.record_auto_urges([(c.pk, "2026-03-09 23:59") for c in few])
    with CaptureQueriesContext(connection) as large:
        sources.record_auto_urges([(c.pk, "2026-03-09 23:59") for c in many])
    assert Supervision.objects.filter(automatic=True).count() == 10
    assert len(large) == len(small) <= 12, [q["sql"][:60] for q in large.captured_queries]


def test_the_whole_catch_up_sweep_is_constant_in_the_urges(make_case, dispatcher, officer, rsj):
    _overdue(make_case, dispatcher, officer, rsj, 2)
    with CaptureQueriesContext(connection) as first:
        reminders.sweep(now=TUESDAY_10)
    # Four more cases overdue a day later: their catch-up costs what the first two cost.
    later = _overdue(make_case, dispatcher, officer, rsj, 4)
    Case.objects.filter(pk__in=[c.pk for c in later]).update(
        due_at=end_of_day(dt.date(2026, 3, 10))
    )
    with CaptureQueriesContext(connection) as second:
        reminders.sweep(now=TUESDAY_10 + dt.timedelta(days=1))
    assert Supervision.objects.filter(automatic=True).count() == 6
    assert len(second) == len(first), [q["sql"][:60] for q in second.captured_queries]


def test_a_rerun_after_a_crash_mid_sweep_completes_without_duplicates(
    make_case, dispatcher, officer, rsj
):
    cases = _overdue(make_case, dispatcher, officer, rsj, 3)
    # The sweep died after its urges committed and before its reminders did.
    sources.record_auto_urges([(c.pk, "2026-03-09 23:59") for c in cases[:2]])
    reminders.sweep(now=TUESDAY_10)
    reminders.sweep(now=TUESDAY_10 + dt.timedelta(minutes=5))
    for case in cases:
        assert Supervision.objects.filter(case=case, automatic=True).count() == 1
        assert CaseEvent.objects.filter(case=case, transition="urge").count() == 1
        assert Reminder.objects.filter(case=case, kind=ReminderKind.AUTO_URGE).exists()
        # The sweep's AUTO_URGE reminder is the one notification; no work-step row besides.
        assert not Reminder.objects.filter(case=case, kind=ReminderKind.SUPERVISION).exists()


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_make_each_urge_once(make_case, dispatcher, officer, rsj):
    cases = _overdue(make_case, dispatcher, officer, rsj, 6)
    workers = 4
    barrier = threading.Barrier(workers)

    def sweep(_i):
        try:
            barrier.wait()
            return reminders.sweep(now=TUESDAY_10).created
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        created = list(pool.map(sweep, range(workers)))
    # Every reminder of the sweep written once (overdue to the officer and to the head, the
    # automatic urge's to the head), whichever sweep wrote it (the unique constraint).
    assert max(created) >= 1
    assert Reminder.objects.filter(created_at=TUESDAY_10).count() == 3 * len(cases)
    for case in cases:
        assert Supervision.objects.filter(case=case, automatic=True).count() == 1
        assert CaseEvent.objects.filter(case=case, transition="urge").count() == 1
        assert Reminder.objects.filter(case=case, kind=ReminderKind.AUTO_URGE).count() >= 1
