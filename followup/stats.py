"""Nightly roll-up (每日统计) of a day's figures into ``DailyStat`` rows.

The figures are the evaluation's own (``followup.evaluation.case_conditions``) for a
one-day period, grouped by the case's department and township: one
GROUP BY over cases, one over visits, one over 12345 results. The day's rows are replaced and
the day marked complete (``RollupDay``) in one transaction, so running it twice (two beats,
a retry, the backfill) leaves the same rows.

Rolled up: what happens on a day and does not change afterwards in the normal flow
(registration, closing, visits, 12345 results). Not rolled up, read live by the evaluation:
the snapshot "still open past the deadline", returns and reopens (indexed events, and a
return's fate depends on a later dispatch), urges / orders / corrections (small tables) and
the median (not additive). A closed day can still change by hand (a case reopened after its
closing day is counted on the day it was closed, as it was then); the nightly task re-rolls
the last ``ROLLUP_REFRESH_DAYS`` days and ``manage.py rollup_stats`` any range.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from intake.models import Case

from .evaluation import AGREEMENT_TIME, HANDLING_TIME, _microseconds, case_conditions
from .models import POSITIVE_SATISFACTION, DailyStat, RollupDay, SatisfactionResult, Visit
from .periods import Period

DIMS = ("department_id", "township_id")
# Re-rolled every night: late changes to recent days (imports, corrections) are absorbed.
ROLLUP_REFRESH_DAYS = 7


def rollup(day: dt.date) -> int:
    period = Period(day, day, str(day))
    # "now" only matters for the open-late snapshot, which is not rolled up.
    cond = case_conditions(period, now=period.until)
    acc: dict[tuple, dict[str, float]] = defaultdict(lambda: defaultdict(int))
    for row in (
        Case.objects.filter(cond["received"] | cond["handled"])
        .values(*DIMS)
        .annotate(
            received=Count("id", filter=cond["received"]),
            screening=Count("id", filter=cond["screening"]),
            closed=Count("id", filter=cond["handled"]),
            closed_on_time=Count("id", filter=cond["on_time"]),
            closed_late=Count("id", filter=cond["late"]),
            agreements=Count("id", filter=cond["agreements"]),
            mediated=Count("id", filter=cond["mediated"]),
            handled_time=Sum(HANDLING_TIME, filter=cond["handled"]),
            agreement_time=Sum(AGREEMENT_TIME, filter=cond["agreements"]),
        )
        .order_by()
    ):
        values = acc[tuple(row[d] for d in DIMS)]
        for name in ("received", "screening", "closed", "closed_on_time", "closed_late"):
            values[name] += row[name]
        values["agreements"] += row["agreements"]
        values["mediated"] += row["mediated"]
        values["handled_seconds"] += _microseconds(row["handled_time"]) / 1e6
        values["agreement_seconds"] += _microseconds(row["agreement_time"]) / 1e6
    positive = Count("id", filter=Q(satisfaction__in=POSITIVE_SATISFACTION))
    for model, filters, names in (
        (
            Visit,
            {"status": Visit.Status.DONE, "completed_at__range": (period.since, period.until)},
            ("visits_done", "visits_positive"),
        ),
        (
            SatisfactionResult,
            {"rated_at__range": (period.since, period.until)},
            ("hotline_rated", "hotline_positive"),
        ),
    ):
        for row in (
            model.objects.filter(**filters)
            .values(*(f"case__{d}" for d in DIMS))
            .annotate(n=Count("id"), positive=positive)
            .order_by()
        ):
            values = acc[tuple(row[f"case__{d}"] for d in DIMS)]
            values[names[0]] += row["n"]
            values[names[1]] += row["positive"]
    rows = [
        DailyStat(date=day, **dict(zip(DIMS, key, strict=True)), **values)
        for key, values in acc.items()
    ]
    with transaction.atomic():
        DailyStat.objects.filter(date=day).delete()
        DailyStat.objects.bulk_create(rows, batch_size=1000)
        RollupDay.objects.update_or_create(
            date=day, defaults={"rolled_at": timezone.now(), "rows": len(rows)}
        )
    return len(rows)


def rollup_range(start: dt.date, end: dt.date) -> int:
    """Roll up every day of ``start``–``end`` (the backfill); returns the rows written."""
    total, day = 0, start
    while day <= end:
        total += rollup(day)
        day += dt.timedelta(days=1)
    return total
