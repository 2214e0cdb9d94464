"""The date engine against the State Council's holiday notices, written out by hand.

2025 (国办发明电〔2024〕12号): 元旦 1 Jan; 春节 28 Jan-4 Feb (work Sun 26 Jan, Sat 8 Feb);
清明 4-6 Apr; 劳动节 1-5 May (work Sun 27 Apr); 端午 31 May-2 Jun; 国庆+中秋 1-8 Oct
(work Sun 28 Sep, Sat 11 Oct).
2026 (国办发明电〔2025〕7号): 元旦 1-3 Jan (work Sun 4 Jan); 春节 15-23 Feb (work Sat 14 Feb,
Sat 28 Feb); 清明 4-6 Apr; 劳动节 1-5 May (work Sat 9 May); 端午 19-21 Jun; 中秋 25-27 Sep;
国庆 1-7 Oct (work Sun 20 Sep, Sat 10 Oct).
2027: no notice yet — weekends only, and the year is reported.

Expected dates below are counted by hand from those notices, never from the package.
Calendar-day periods: start day not counted, a last day that is a rest day moves to the
first working day after (《民法典》 arts. 201, 203; 《民事诉讼法》 art. 85); make-up workdays
(调休) are not rest days.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from luodian_platform.workcal import (
    Unit,
    WorkCalendar,
    credit_suspension,
    due_at,
    end_of_day,
)

D = dt.date.fromisoformat
SH = dt.timezone(dt.timedelta(hours=8))


def T(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s).replace(tzinfo=SH)


# (what it shows, start date, amount, expected last day, unknown years reported)
CALENDAR_DAYS = [
    ("30 days end on 4 Feb 2025 (春节)", "2025-01-05", 30, "2025-02-05", []),
    ("15 days end inside 春节 2025", "2025-01-14", 15, "2025-02-05", []),
    ("3 days from a Saturday end on 28 Jan (春节 day 1)", "2025-01-25", 3, "2025-02-05", []),
    ("3 days end on make-up Sunday 26 Jan 2025", "2025-01-23", 3, "2025-01-26", []),
    ("15 days end on make-up Saturday 8 Feb 2025", "2025-01-24", 15, "2025-02-08", []),
    ("30 days end on 8 Oct 2025 (国庆 last day)", "2025-09-08", 30, "2025-10-09", []),
    ("15 days end on 1 Oct 2025", "2025-09-16", 15, "2025-10-09", []),
    ("30 days end on make-up Saturday 11 Oct 2025", "2025-09-11", 30, "2025-10-11", []),
    ("5 days end on 3 May 2025 (劳动节)", "2025-04-28", 5, "2025-05-06", []),
    ("3 days end on make-up Sunday 27 Apr 2025", "2025-04-24", 3, "2025-04-27", []),
    ("15 days end on 清明 Friday 4 Apr 2025", "2025-03-20", 15, "2025-04-07", []),
    ("5 days end on 1 Jun 2025 (端午)", "2025-05-27", 5, "2025-06-03", []),
    ("15 days end on an ordinary Saturday", "2025-03-07", 15, "2025-03-24", []),
    ("15 days end on an ordinary Friday", "2025-03-06", 15, "2025-03-21", []),
    ("30 days end on 元旦 2025", "2024-12-02", 30, "2025-01-02", []),
    ("30 days end on 20 Feb 2026 (春节)", "2026-01-21", 30, "2026-02-24", []),
    ("15 days end on make-up Saturday 14 Feb 2026", "2026-01-30", 15, "2026-02-14", []),
    ("15 days end on make-up Saturday 28 Feb 2026", "2026-02-13", 15, "2026-02-28", []),
    ("10 days end on Sunday 15 Feb 2026 (春节 day 1)", "2026-02-05", 10, "2026-02-24", []),
    ("3 days end on 元旦 2026, next is make-up Sunday 4 Jan", "2025-12-29", 3, "2026-01-04", []),
    ("5 days end on Monday 6 Apr 2026 (清明)", "2026-04-01", 5, "2026-04-07", []),
    ("15 days end on 1 May 2026", "2026-04-16", 15, "2026-05-06", []),
    ("5 days end on make-up Saturday 9 May 2026", "2026-05-04", 5, "2026-05-09", []),
    ("5 days end on 20 Jun 2026 (端午)", "2026-06-15", 5, "2026-06-22", []),
    ("30 days end on 25 Sep 2026 (中秋)", "2026-08-26", 30, "2026-09-28", []),
    ("5 days end on make-up Sunday 20 Sep 2026", "2026-09-15", 5, "2026-09-20", []),
    ("45 days end on 4 Oct 2026 (国庆)", "2026-08-20", 45, "2026-10-08", []),
    ("60 days end on make-up Saturday 10 Oct 2026", "2026-08-11", 60, "2026-10-10", []),
    ("starting on a holiday: 3 days from 2 Oct 2025", "2025-10-02", 3, "2025-10-09", []),
    ("30 days end on 1 Jan 2027, a Friday: unknown year", "2026-12-02", 30, "2027-01-01", [2027]),
    ("30 days end on Sat 2 Jan 2027: unknown year", "2026-12-03", 30, "2027-01-04", [2027]),
]

WORKING_DAYS = [
    ("5 from Friday before 春节 2025 counts Sunday 26 Jan", "2025-01-24", 5, "2025-02-07", []),
    ("1 from the last day before 春节 2025", "2025-01-27", 1, "2025-02-05", []),
    ("5 after 春节 2025 counts Saturday 8 Feb", "2025-02-05", 5, "2025-02-11", []),
    ("3 starting on a holiday (3 Oct 2025)", "2025-10-03", 3, "2025-10-11", []),
    ("7 across 劳动节 2025 counts Sunday 27 Apr", "2025-04-25", 7, "2025-05-08", []),
    ("3 across 清明 2025", "2025-04-03", 3, "2025-04-09", []),
    ("2 across 端午 2025", "2025-05-29", 2, "2025-06-03", []),
    ("7 across 春节 2026 counts both make-up Saturdays", "2026-02-12", 7, "2026-02-28", []),
    ("3 across 元旦 2026 counts Sunday 4 Jan", "2025-12-31", 3, "2026-01-06", []),
    ("5 across 劳动节 2026 counts Saturday 9 May", "2026-04-30", 5, "2026-05-11", []),
    ("2 across 端午 2026", "2026-06-18", 2, "2026-06-23", []),
    ("5 from a Friday counts make-up Sunday 20 Sep 2026", "2026-09-18", 5, "2026-09-24", []),
    ("7 across 国庆 2026 counts Saturday 10 Oct", "2026-09-29", 7, "2026-10-14", []),
    ("7 into 2027: weekends only, 2027 reported", "2026-12-28", 7, "2027-01-06", [2027]),
]

# Office hours 09:00-12:00 and 13:00-18:00 (8 a day).
WORKING_HOURS = [
    ("8h from a Friday evening before make-up Sunday", "2025-09-26T19:00", 8, "2025-09-28T18:00"),
    ("8h from an ordinary Friday evening", "2026-01-09T19:00", 8, "2026-01-12T18:00"),
    ("8h from the afternoon before 国庆 2025", "2025-09-30T15:00", 8, "2025-10-09T15:00"),
    (
        "8h from Friday before 春节 2026 into make-up Saturday",
        "2026-02-13T10:00",
        8,
        "2026-02-14T10:00",
    ),
    ("8h from make-up Saturday 14 Feb 2026 across 春节", "2026-02-14T17:00", 8, "2026-02-24T17:00"),
    ("4h from lunch break", "2025-03-12T12:30", 4, "2025-03-12T17:00"),
    ("8h from a holiday (1 Oct 2025)", "2025-10-01T10:00", 8, "2025-10-09T18:00"),
]

# (what, unit, due, suspended at, resumed at, new due)
SUSPENSIONS = [
    (
        "working days: 2 credited across 国庆 2025",
        Unit.WORKDAYS,
        end_of_day(D("2025-10-13")),
        T("2025-09-29T10:00"),
        T("2025-10-09T10:00"),
        end_of_day(D("2025-10-15")),
    ),
    (
        "calendar days: 10 days credited across 国庆 2026, not 3 working days",
        Unit.DAYS,
        end_of_day(D("2026-10-30")),
        T("2026-09-28T10:00"),
        T("2026-10-08T10:00"),
        end_of_day(D("2026-11-09")),
    ),
    (
        "calendar days: the credited end lands in 春节 2026 and moves past it",
        Unit.DAYS,
        end_of_day(D("2026-02-02")),
        T("2026-01-05T10:00"),
        T("2026-01-20T10:00"),
        end_of_day(D("2026-02-24")),
    ),
    (
        "working days across 春节 2026: 13 Feb, 14 Feb, 24 Feb, 25 Feb credited",
        Unit.WORKDAYS,
        end_of_day(D("2026-02-27")),
        T("2026-02-12T10:00"),
        T("2026-02-25T10:00"),
        end_of_day(D("2026-03-04")),
    ),
    (
        "working hours: 4 office hours credited across 国庆 2025",
        Unit.WORKHOURS,
        T("2025-09-30T18:00"),
        T("2025-09-30T15:00"),
        T("2025-10-09T10:00"),
        T("2025-10-09T14:00"),
    ),
]

OFFICE = override_settings(OFFICE_HOURS=["09:00-12:00", "13:00-18:00"])


@pytest.mark.parametrize(("what", "start", "n", "end", "unknown"), CALENDAR_DAYS)
def test_calendar_days(what, start, n, end, unknown):
    cal = WorkCalendar()
    assert cal.add_calendar_days(D(start), n) == D(end), what
    assert due_at(T(start + "T16:00"), n, Unit.DAYS, cal) == end_of_day(D(end))
    assert sorted(cal.unknown_years_seen) == unknown


@pytest.mark.parametrize(("what", "start", "n", "end", "unknown"), WORKING_DAYS)
def test_working_days(what, start, n, end, unknown):
    cal = WorkCalendar()
    assert due_at(T(start + "T16:00"), n, Unit.WORKDAYS, cal) == end_of_day(D(end)), what
    assert sorted(cal.unknown_years_seen) == unknown


@OFFICE
@pytest.mark.parametrize(("what", "start", "n", "end"), WORKING_HOURS)
def test_working_hours(what, start, n, end):
    assert due_at(T(start), n, Unit.WORKHOURS, WorkCalendar()) == T(end), what


@OFFICE
@pytest.mark.parametrize(("what", "unit", "due", "since", "until", "new"), SUSPENSIONS)
def test_suspension_is_credited_in_the_rules_unit(what, unit, due, since, until, new):
    assert credit_suspension(due, since, until, unit, WorkCalendar()) == new, what


def test_entered_2027_moves_a_period_ending_on_new_year():
    cal = WorkCalendar(overrides={dt.date(2027, 1, 1): False}, entered_years={2027})
    # 1 Jan 2027 entered as a holiday; Sat 2 and Sun 3 are rest days: Monday 4 Jan.
    assert cal.add_calendar_days(D("2026-12-02"), 30) == D("2027-01-04")
    assert not cal.unknown_years_seen


def test_the_table_has_at_least_forty_cases():
    assert len(CALENDAR_DAYS + WORKING_DAYS + WORKING_HOURS + SUSPENSIONS) >= 40


@OFFICE
def test_office_hours_come_from_settings():
    with override_settings(OFFICE_HOURS=["08:30-12:00", "14:30-18:00"]):
        # Friday 17:00 2025-03-14: 1h left, then Monday 08:30 + 7h = 3.5 + 3.5 → 18:00.
        assert due_at(T("2025-03-14T17:00"), 8, Unit.WORKHOURS, WorkCalendar()) == T(
            "2025-03-17T18:00"
        )


# --- properties -----------------------------------------------------------------------------

days_2025_2026 = st.dates(min_value=dt.date(2025, 1, 1), max_value=dt.date(2026, 10, 31))


@settings(max_examples=200, deadline=None)
@given(start=days_2025_2026, n=st.integers(min_value=1, max_value=60))
def test_a_working_day_deadline_never_lands_on_a_rest_day(start, n):
    cal = WorkCalendar()
    end = cal.add_working_days(start, n)
    assert cal.is_workday(end) and end > start
    assert cal.working_days_between(start, end) == n


@settings(max_examples=200, deadline=None)
@given(start=days_2025_2026, n=st.integers(min_value=1, max_value=60))
def test_a_calendar_day_period_ends_on_a_working_day_at_or_after_its_nominal_end(start, n):
    cal = WorkCalendar()
    nominal = start + dt.timedelta(days=n)
    end = cal.add_calendar_days(start, n)
    assert cal.is_workday(end) and end >= nominal
    # Every day skipped was a rest day: the period is moved past rest days only.
    skipped = [nominal + dt.timedelta(days=i) for i in range((end - nominal).days)]
    assert not any(cal.is_workday(d) for d in skipped)
