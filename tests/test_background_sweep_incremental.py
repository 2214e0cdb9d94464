"""The deadline sweep is incremental: a steady-state sweep builds and inserts nothing for
reminders already written, whatever the number of outstanding ones (issue 11: < 1 s with
100,000 open cases), and still notices every new threshold, changed deadline and visit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dispatch.services import case_dispatch, case_sign_for
from followup import reminders
from followup.models import Reminder, ReminderKind, Visit
from intake.models import Case
from luodian_platform.workcal import end_of_day, local_tz

pytestmark = pytest.mark.django_db
TZ = local_tz()
TUESDAY_10 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=TZ)


def _overdue_cases(n, make_case, dispatcher, rsj, officer):
    out = []
    for _i in range(n):
        case = make_case()
        case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
        case = case_sign_for(case_id=case.pk, actor=officer)
        Case.objects.filter(pk=case.pk).update(due_at=end_of_day(dt.date(2026, 3, 2)))
        out.append(case)
    return out


def _steady(now):
    with CaptureQueriesContext(connection) as ctx:
        result = reminders.sweep(now=now)
    inserts = [q for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")]
    return result, len(ctx.captured_queries), inserts


def test_a_steady_state_sweep_inserts_nothing_and_its_cost_does_not_grow_with_due_work(
    make_case, dispatcher, rsj, officer
):
    cases = _overdue_cases(2, make_case, dispatcher, rsj, officer)
    first = reminders.sweep(now=TUESDAY_10)
    assert first.created > 0
    _result, few_queries, inserts = _steady(TUESDAY_10 + dt.timedelta(minutes=1))
    assert inserts == []
    cases += _overdue_cases(6, make_case, dispatcher, rsj, officer)
    reminders.sweep(now=TUESDAY_10 + dt.timedelta(minutes=2))
    before = Reminder.objects.count()
    result, many_queries, inserts = _steady(TUESDAY_10 + dt.timedelta(minutes=3))
    assert result.created == 0 and inserts == [] and Reminder.objects.count() == before
    assert many_queries == few_queries
    # Every overdue case got the whole ladder reached by Tuesday (deadline Monday 2nd).
    for case in cases:
        kinds = set(Reminder.objects.filter(case=case).values_list("kind", flat=True))
        assert {ReminderKind.OVERDUE, ReminderKind.AUTO_URGE} <= kinds


def test_incremental_sweep_still_sees_a_deadline_changed_behind_its_back_and_the_next_day(
    make_case, dispatcher, rsj, officer, supervisor
):
    (case,) = _overdue_cases(1, make_case, dispatcher, rsj, officer)
    Case.objects.filter(pk=case.pk).update(due_at=end_of_day(dt.date(2026, 3, 9)))  # Monday
    reminders.sweep(now=TUESDAY_10)
    overdue = Reminder.objects.filter(case=case, kind=ReminderKind.OVERDUE)
    assert not overdue.filter(recipient=supervisor).exists()
    # Five working days after Monday 9th is Monday 16th: the supervisors are told then.
    reminders.sweep(now=dt.datetime(2026, 3, 16, 9, 0, tzinfo=TZ))
    assert overdue.filter(recipient=supervisor).exists()
    # A deadline rewritten by SQL (no event, no service) still gets its own reminders.
    Case.objects.filter(pk=case.pk).update(due_at=end_of_day(dt.date(2026, 3, 13)))
    created = reminders.sweep(now=dt.datetime(2026, 3, 16, 9, 5, tzinfo=TZ)).created
    assert created > 0
    assert overdue.filter(threshold__startswith="2026-03-13T23:59/+0wd/").exists()


def test_a_reassigned_visit_reminds_its_new_officer_once(
    make_case, dispatcher, rsj, officer, followup_officer, supervisor
):
    (case,) = _overdue_cases(1, make_case, dispatcher, rsj, officer)
    visit = Visit.objects.create(
        case=case, due_date=dt.date(2026, 3, 10), assignee=followup_officer
    )
    reminders.sweep(now=TUESDAY_10)
    rows = Reminder.objects.filter(kind=ReminderKind.VISIT_DUE, threshold=f"visit-{visit.pk}")
    assert list(rows.values_list("recipient_id", flat=True)) == [followup_officer.pk]
    Visit.objects.filter(pk=visit.pk).update(assignee=supervisor)
    reminders.sweep(now=TUESDAY_10 + dt.timedelta(minutes=1))
    reminders.sweep(now=TUESDAY_10 + dt.timedelta(minutes=2))
    assert sorted(rows.values_list("recipient_id", flat=True)) == sorted(
        [followup_officer.pk, supervisor.pk]
    )
