"""Periods of the evaluation and the dashboard: month, quarter, year or a custom range.

An invalid period is an error with a message a supervisor can read (400 in the API, a form
error on the page), never a silent fallback to the current month: a figure for the wrong
period is worse than no figure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from luodian_platform.workcal import end_of_day, local_date, local_tz

KINDS = ("month", "quarter", "year", "custom")


class PeriodError(ValueError):
    """``field``: the query parameter at fault; ``message``: in Chinese."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive
    label: str

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time.min, tzinfo=local_tz())

    @property
    def until(self) -> dt.datetime:
        return end_of_day(self.end)

    @property
    def months(self) -> list[dt.date]:
        out, m = [], self.start.replace(day=1)
        while m <= self.end:
            out.append(m)
            m = (m + dt.timedelta(days=32)).replace(day=1)
        return out

    def as_params(self) -> dict[str, str]:
        return {"period": "custom", "start": self.start.isoformat(), "end": self.end.isoformat()}


def _date(params, name: str) -> dt.date:
    raw = (params.get(name) or "").strip()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise PeriodError(
            name, _("日期「%(v)s」无效,请按 年-月-日 填写(如 2026-03-01)。") % {"v": raw[:20]}
        ) from None


def period_from(params, today: dt.date | None = None) -> Period:
    """The period the query asks for; raises :class:`PeriodError` when it is invalid.

    ``period`` = month | quarter | year (of ``date``, default today) | custom
    (``start``–``end``); ``year=2025`` alone is that year; ``start``/``end`` without
    ``period`` are a custom range. A period that has not begun yet is refused."""
    today = today or local_date()
    kind = (params.get("period") or "").strip()
    by_year = False
    if not kind and (params.get("year") or "").strip():
        raw = params["year"].strip()
        if not (raw.isdigit() and len(raw) == 4):
            raise PeriodError("year", _("年份「%(v)s」无效,请填写四位年份。") % {"v": raw[:20]})
        params = {"period": "year", "date": f"{raw}-01-01"}
        kind, by_year = "year", True
    if not kind:
        kind = "custom" if (params.get("start") or params.get("end")) else "month"
    if kind not in KINDS:
        raise PeriodError("period", _("统计周期只能是月、季度、年或自定义。"))
    if kind == "custom":
        start, end = _date(params, "start"), _date(params, "end")
        if start > end:
            raise PeriodError(
                "start",
                _("开始日期 %(s)s 晚于结束日期 %(e)s。") % {"s": start, "e": end},
            )
        period = Period(start, end, _("自定义期间"))
    else:
        ref = _date(params, "date") if (params.get("date") or "").strip() else today
        if kind == "year":
            period = Period(
                dt.date(ref.year, 1, 1), dt.date(ref.year, 12, 31), _("%(y)s年") % {"y": ref.year}
            )
        elif kind == "quarter":
            q = (ref.month - 1) // 3
            start = dt.date(ref.year, 3 * q + 1, 1)
            end = (start + dt.timedelta(days=95)).replace(day=1) - dt.timedelta(days=1)
            period = Period(start, end, _("%(y)s年第%(q)s季度") % {"y": ref.year, "q": q + 1})
        else:
            start = ref.replace(day=1)
            end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
            period = Period(start, end, _("%(y)s年%(m)s月") % {"y": ref.year, "m": ref.month})
    if period.start > today:
        field = "start" if kind == "custom" else ("year" if by_year else "date")
        raise PeriodError(
            field,
            _("所选期间(%(l)s)尚未开始,不能考评未来的期间。") % {"l": period.label},
        )
    return period
