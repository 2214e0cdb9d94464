"""China's working-day calendar and the one date engine every clock uses.

Official holidays and the swapped workdays (调休) come from the ``chinese-calendar``
package; an administrator's ``HolidayOverride`` rows win over it. For a year the package
does not know and no administrator has entered (``CalendarYear``), we fall back to
"Saturday and Sunday are rest days" and report the year as unknown, so every page that
shows the date can say it is an estimate instead of silently counting wrong.

How each unit counts (``due_at``):

- ``workdays``: the start day is not counted; rest days and holidays are skipped, make-up
  workdays (调休) count; due at the end of the last working day.
- ``days`` (calendar days, the statutes' "日"): 《民法典》 art. 201 and 《民事诉讼法》 art. 85:
  the start day is not counted; when the last day is a rest day — a statutory holiday or a
  weekend that is not a make-up workday — the period ends on the first working day after
  it (《民法典》 art. 203, 《民事诉讼法》 art. 85; courts treat 星期六日 as 法定休假日, and a
  调休 workday is not a rest day: the Supreme Court's 民通意见 art. 198 "以实际休假日的次日
  为期间的最后一天", repealed in 2021 with the Civil Code, its reading still followed); it
  ends at 24:00 of that day (《民法典》 art. 203 ¶2).
- ``workhours``: counted inside ``settings.OFFICE_HOURS`` on working days (签收 within
  "8个工作小时"): a case dispatched on a Friday evening is due on Monday.
- ``hours``: wall-clock hours (emergencies), no calendar.

Deadlines are due at the end of their last day, Asia/Shanghai time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings
from django.utils import timezone

from .units import Unit

__all__ = ["Unit", "WorkCalendar", "credit_suspension", "due_at", "paused_amount"]

MAX_SCAN_DAYS = 3660  # a deadline more than ten years out is a data error


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def office_hours() -> list[tuple[dt.time, dt.time]]:
    """``settings.OFFICE_HOURS`` parsed: [(09:00, 12:00), (13:00, 18:00)]."""
    spans = []
    for item in settings.OFFICE_HOURS:
        start, end = (dt.time.fromisoformat(t.strip()) for t in item.split("-"))
        if end <= start:
            raise ValueError(f"OFFICE_HOURS span {item!r} ends before it starts")
        spans.append((start, end))
    return sorted(spans)


@dataclass
class WorkCalendar:
    """A calendar snapshot: overrides loaded once (one query), then pure computation."""

    overrides: dict[dt.date, bool] = field(default_factory=dict)
    entered_years: set[int] = field(default_factory=set)
    unknown_years_seen: set[int] = field(default_factory=set)

    @classmethod
    def load(cls) -> WorkCalendar:
        from .lookups import held
        from .models import CalendarYear, HolidayOverride

        def read():
            return (
                dict(HolidayOverride.objects.values_list("date", "is_workday")),
                frozenset(CalendarYear.objects.values_list("year", flat=True)),
            )

        # Held during bulk work (lookups.py); each caller gets its own snapshot, since
        # ``unknown_years_seen`` collects what one computation met.
        overrides, years = held("workcal", read, (HolidayOverride, CalendarYear))
        return cls(overrides=dict(overrides), entered_years=set(years))

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

    def first_workday_from(self, day: dt.date) -> dt.date:
        """``day`` itself if it is a working day, else the first working day after it."""
        for _i in range(MAX_SCAN_DAYS):
            if self.is_workday(day):
                return day
            day += dt.timedelta(days=1)
        raise ValueError("no working day within ten years")

    def add_calendar_days(self, start: dt.date, days: int) -> dt.date:
        """The last day of a ``days``-day period starting on ``start`` (start day not
        counted, 《民法典》 art. 201), moved to the first working day after it when it is a
        rest day (《民法典》 art. 203, 《民事诉讼法》 art. 85)."""
        if days < 0:
            raise ValueError("days must be >= 0")
        return self.first_workday_from(start + dt.timedelta(days=days))

    # --- working hours ----------------------------------------------------------------

    def _office_spans(self, day: dt.date):
        tz = local_tz()
        if not self.is_workday(day):
            return []
        return [
            (dt.datetime.combine(day, a, tzinfo=tz), dt.datetime.combine(day, b, tzinfo=tz))
            for a, b in office_hours()
        ]

    def add_working_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """The moment ``hours`` office hours after ``start`` (outside office hours the clock
        waits for the next opening)."""
        if hours < 0:
            raise ValueError("hours must be >= 0")
        remaining = dt.timedelta(hours=hours)
        cursor = timezone.localtime(start, local_tz())
        if not remaining:
            return cursor
        day = cursor.date()
        for _i in range(MAX_SCAN_DAYS):
            for a, b in self._office_spans(day):
                begin = max(cursor, a)
                if begin >= b:
                    continue
                if b - begin >= remaining:
                    return begin + remaining
                remaining -= b - begin
            day += dt.timedelta(days=1)
        raise ValueError("deadline too far in the future")

    def working_hours_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Office hours in [start, end), in hours; 0 if end <= start."""
        if end <= start:
            return 0.0
        start, end = (timezone.localtime(x, local_tz()) for x in (start, end))
        total = dt.timedelta()
        day = start.date()
        while day <= end.date():
            for a, b in self._office_spans(day):
                lo, hi = max(a, start), min(b, end)
                if hi > lo:
                    total += hi - lo
            day += dt.timedelta(days=1)
        return total.total_seconds() / 3600


def end_of_day(day: dt.date) -> dt.datetime:
    """23:59:59 local time on ``day``, as an aware datetime."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=local_tz())


def local_date(moment: dt.datetime | None = None) -> dt.date:
    return timezone.localtime(moment or timezone.now(), local_tz()).date()


def due_at(
    start: dt.datetime, amount: int, unit: str, cal: WorkCalendar | None = None
) -> dt.datetime:
    """A deadline ``amount`` units after ``start`` (see the module docstring for how each
    unit counts). Years the calendar does not know are collected in
    ``cal.unknown_years_seen``: pass a calendar to read them."""
    if unit == Unit.HOURS:
        return start + dt.timedelta(hours=amount)
    cal = cal or WorkCalendar.load()
    if unit == Unit.WORKHOURS:
        return cal.add_working_hours(start, amount)
    day = local_date(start)
    if unit == Unit.DAYS:
        return end_of_day(cal.add_calendar_days(day, amount))
    if unit == Unit.WORKDAYS:
        return end_of_day(cal.add_working_days(day, amount))
    raise ValueError(f"unknown deadline unit {unit!r}")


def paused_amount(
    suspended_at: dt.datetime, resumed_at: dt.datetime, unit: str, cal: WorkCalendar
) -> float:
    """How much of a period's own unit a suspension (中止) used up: working days for a
    working-day period, calendar days for a calendar-day one (a 60-day 信访 period does
    not lose its weekends), office hours, or wall-clock hours."""
    if unit == Unit.WORKDAYS:
        return cal.working_days_between(local_date(suspended_at), local_date(resumed_at))
    if unit == Unit.DAYS:
        return max((local_date(resumed_at) - local_date(suspended_at)).days, 0)
    if unit == Unit.WORKHOURS:
        return cal.working_hours_between(suspended_at, resumed_at)
    if unit == Unit.HOURS:
        return max((resumed_at - suspended_at).total_seconds() / 3600, 0.0)
    raise ValueError(f"unknown deadline unit {unit!r}")


def credit_suspension(
    due: dt.datetime,
    suspended_at: dt.datetime,
    resumed_at: dt.datetime,
    unit: str,
    cal: WorkCalendar | None = None,
) -> dt.datetime:
    """The deadline moved by the time suspended, counted in the period's own unit. For a
    calendar-day period the new last day is again moved past a closing rest day."""
    cal = cal or WorkCalendar.load()
    paused = paused_amount(suspended_at, resumed_at, unit, cal)
    if unit in (Unit.WORKHOURS, Unit.HOURS):
        return due_at(due, paused, unit, cal) if paused else due
    return due_at(due, int(paused), unit, cal)
