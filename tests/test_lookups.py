"""Look-ups held for bulk work (luodian_platform/lookups.py): read once inside the block,
read again after a write of what they came from, never held outside the block."""

from __future__ import annotations

import datetime as dt

from dispatch.models import RoutingRule
from dispatch.routing import routing_suggest
from luodian_platform.lookups import held, lookups_held
from luodian_platform.models import CalendarYear, Department, HolidayOverride, Period
from luodian_platform.periods import period
from luodian_platform.workcal import WorkCalendar

# A Sunday in a year the calendar package knows; an override makes it a working day.
SUNDAY = dt.date(2026, 3, 1)


def test_outside_the_block_every_call_reads_the_database(db, django_assert_num_queries):
    with django_assert_num_queries(4):
        WorkCalendar.load()
        WorkCalendar.load()


def test_inside_the_block_the_calendar_is_read_once_and_again_after_a_write(
    db, django_assert_num_queries
):
    with lookups_held() as memo:
        with django_assert_num_queries(2):
            first = WorkCalendar.load()
            second = WorkCalendar.load()
        assert not first.is_workday(SUNDAY)
        # Each caller has its own snapshot: what one computation notes stays its own.
        first.unknown_years_seen.add(2099)
        assert second.unknown_years_seen == set()
        assert first is not second

        HolidayOverride.objects.create(date=SUNDAY, is_workday=True, name="调休")
        assert WorkCalendar.load().is_workday(SUNDAY)
        CalendarYear.objects.create(year=2099)
        assert 2099 in WorkCalendar.load().entered_years
        assert memo.hits >= 1 and memo.misses >= 3


def test_a_period_row_edited_in_the_block_is_read_again(db, django_assert_num_queries):
    with lookups_held():
        before = period("no_progress").amount
        with django_assert_num_queries(0):
            period("no_progress")
        row = Period.objects.get(code="no_progress")
        row.amount = before + 2
        row.save()
        assert period("no_progress").amount == before + 2


def test_routing_rules_follow_a_deactivated_department(db, make_case):
    case = make_case("labour")
    with lookups_held():
        suggestion = routing_suggest(case)
        assert suggestion is not None
        department = suggestion.department
        department.is_active = False
        department.save()
        after = routing_suggest(case)
        assert after is None or after.department.pk != department.pk
    assert Department.objects.filter(pk=department.pk, is_active=False).exists()


def test_a_rule_changed_through_its_many_to_many_is_read_again(db, make_case):
    case = make_case("labour")
    with lookups_held():
        suggestion = routing_suggest(case)
        rule = RoutingRule.objects.get(pk=suggestion.rule.pk)
        other = Department.objects.exclude(pk=rule.department_id).filter(is_active=True).first()
        rule.co_departments.add(other)
        assert other.pk in {d.pk for d in routing_suggest(case).co_departments}


def test_held_values_are_dropped_when_the_block_ends(db):
    calls = []

    def load():
        calls.append(1)
        return len(calls)

    with lookups_held():
        assert held("k", load, (Period,)) == 1
        assert held("k", load, (Period,)) == 1
    assert held("k", load, (Period,)) == 2
    with lookups_held():
        assert held("k", load, (Period,)) == 3
