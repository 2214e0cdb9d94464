"""China's working-day calendar for deadlines (办理时限).

Official holidays and the swapped workdays (调休) come from the ``chinese-calendar``
package; an administrator's ``HolidayOverride`` rows win over it. For a year the package
does not know and no administrator has entered (``CalendarYear``), we fall back to
"Saturday and Sunday are rest days" and report the year as unknown, so the dispatch
room can warn instead of silently counting wrong.

Deadlines are due at the end of their last day, Asia/Shanghai time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.utils import timezone

MAX_SCAN_DAYS = 3660  # a deadline more than ten years out is a data error


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@dataclass
class WorkCalendar:
    """A calendar snapshot: overrides loaded once (one query), then pure computation."""

    overrides: dict[dt.date, bool] = field(default_factory=dict)
    entered_years: set[int] = field(default_factory=set)
    unknown_years_seen: set[int] = field(default_factory=set)

    @classmethod
    def load(cls) -> WorkCalendar:
        from .models import CalendarYear, HolidayOverride

        return cls(
            overrides=dict(HolidayOverride.objects.values_list("date", "is_workday")),
            entered_years=set(CalendarYear.objects.values_list("year", flat=True)),
        )

    def is_known_year(self, year: int) -> bool:
        if year in self.entered_years:
            return True
        try:
            chinese_calendar.is_workday(dt.date(year, 6, 1))
        except NotImplementedError:
            return False
        return True

    def is_workday(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            if day.year not in self.entered_years:
                self.unknown_years_seen.add(day.year)
            return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date that is ``days`` working days after ``start`` (start itself not counted)."""
        if days < 0:
            raise ValueError("days must be >= 0")
        day = start
        remaining = days
        for _i in range(MAX_SCAN_DAYS):
            if remaining == 0:
                return day
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        raise ValueError("deadline too far in the future")

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; 0 if end <= start."""
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count

    def next_workday(self, day: dt.date) -> dt.date:
        return self.add_working_days(day, 1)


def end_of_day(day: dt.date) -> dt.datetime:
    """23:59:59 local time on ``day``, as an aware datetime."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=local_tz())


def local_date(moment: dt.datetime | None = None) -> dt.date:
    return timezone.localtime(moment or timezone.now(), local_tz()).date()


def due_at(
    start: dt.datetime, amount: int, unit: str, cal: WorkCalendar | None = None
) -> dt.datetime:
    """A deadline ``amount`` units after ``start``. ``unit`` is "workdays", "days" or "hours"."""
    if unit == "hours":
        return start + dt.timedelta(hours=amount)
    day = local_date(start)
    if unit == "days":
        return end_of_day(day + dt.timedelta(days=amount))
    if unit == "workdays":
        return end_of_day((cal or WorkCalendar.load()).add_working_days(day, amount))
    raise ValueError(f"unknown deadline unit {unit!r}")
