"""The working-day calendar on a real year (2025) and on a year with no data (2027)."""

from __future__ import annotations

import datetime as dt

import pytest

from luodian_platform.models import CalendarYear, HolidayOverride
from luodian_platform.workcal import WorkCalendar, due_at, end_of_day

D = dt.date


def test_package_knows_2025_swapped_workdays():
    cal = WorkCalendar()
    # 调休: Sunday 2025-01-26, Saturday 2025-02-08, Sunday 2025-09-28 and Saturday
    # 2025-10-11 were workdays; the Spring Festival and National Day weekdays were not.
    assert D(2025, 2, 8).weekday() == 5 and cal.is_workday(D(2025, 2, 8))
    assert D(2025, 10, 11).weekday() == 5 and cal.is_workday(D(2025, 10, 11))
    assert cal.is_workday(D(2025, 1, 26)) and cal.is_workday(D(2025, 9, 28))
    assert not cal.is_workday(D(2025, 1, 28)) and not cal.is_workday(D(2025, 10, 8))
    assert not cal.unknown_years_seen


def test_seven_working_days_across_spring_festival_2025():
    # Fri 24 Jan: Sun 26 (调休) 1, Mon 27 2, holiday 28 Jan-4 Feb, Wed 5 3, Thu 6 4,
    # Fri 7 5, Sat 8 (调休) 6, Mon 10 7.
    assert WorkCalendar().add_working_days(D(2025, 1, 24), 7) == D(2025, 2, 10)


def test_seven_working_days_across_national_day_2025():
    # Fri 26 Sep: Sun 28 (调休) 1, 29 2, 30 3, holiday 1-8 Oct, Thu 9 4, Fri 10 5,
    # Sat 11 (调休) 6, Mon 13 7.
    assert WorkCalendar().add_working_days(D(2025, 9, 26), 7) == D(2025, 10, 13)


def test_working_days_between_skips_the_holiday():
    assert WorkCalendar().working_days_between(D(2025, 9, 29), D(2025, 10, 9)) == 2


def test_due_at_is_end_of_the_last_working_day_in_shanghai():
    start = dt.datetime(2025, 9, 26, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert due_at(start, 7, "workdays", WorkCalendar()) == end_of_day(D(2025, 10, 13))
    # Sat 11 Oct 2025 was a make-up workday (调休): a calendar-day period may end on it.
    assert due_at(start, 15, "days", WorkCalendar()) == end_of_day(D(2025, 10, 11))
    assert due_at(start, 4, "hours") == start + dt.timedelta(hours=4)


def test_unknown_year_falls_back_to_weekends_and_is_reported():
    cal = WorkCalendar()
    assert not cal.is_known_year(2027)
    # 1 Jan 2027 is a Friday; without data it counts as a workday, and the year is reported.
    assert cal.add_working_days(D(2026, 12, 28), 7) == D(2027, 1, 6)
    assert cal.unknown_years_seen == {2027}


@pytest.mark.django_db
def test_administrator_overrides_and_entered_year_stop_the_warning():
    HolidayOverride.objects.create(date=D(2027, 1, 1), is_workday=False, name="元旦")
    CalendarYear.objects.create(year=2027, note="国务院办公厅通知")
    cal = WorkCalendar.load()
    assert cal.is_known_year(2027)
    assert cal.add_working_days(D(2026, 12, 28), 7) == D(2027, 1, 7)
    assert not cal.unknown_years_seen


@pytest.mark.django_db
def test_override_wins_over_the_package():
    HolidayOverride.objects.create(date=D(2025, 10, 9), is_workday=False, name="地方调整")
    assert not WorkCalendar.load().is_workday(D(2025, 10, 9))
