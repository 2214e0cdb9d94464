"""Nightly roll-up (每日统计) of a day's figures into ``DailyStat`` rows.

Two GROUP BY queries over cases (received that day; closed that day) and one over visits;
the day's rows are replaced in one transaction, so running it twice (two beats, a retry)
leaves the same rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Count, F, Q

from intake.models import Case, Outcome
from luodian_platform.workcal import end_of_day

from .models import POSITIVE_SATISFACTION, DailyStat, Visit

DIMS = ("department_id", "township_id", "category_id", "channel")


def _bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    end = end_of_day(day)
    return end - dt.timedelta(days=1), end


def rollup(day: dt.date) -> int:
    start, end = _bounds(day)
    acc: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in (
        Case.objects.filter(created_at__gt=start, created_at__lte=end)
        .values(*DIMS)
        .annotate(n=Count("id"))
        .order_by()
    ):
        acc[tuple(row[d] for d in DIMS)]["received"] += row["n"]
    for row in (
        Case.objects.filter(closed_at__gt=start, closed_at__lte=end)
        .values(*DIMS)
        .annotate(
            n=Count("id"),
            on_time=Count("id", filter=Q(due_at__isnull=True) | Q(closed_at__lte=F("due_at"))),
            agreements=Count(
                "id", filter=Q(outcome=Outcome.AGREEMENT, agreement_signed_at__isnull=False)
            ),
        )
        .order_by()
    ):
        key = tuple(row[d] for d in DIMS)
        acc[key]["closed"] += row["n"]
        acc[key]["closed_on_time"] += row["on_time"]
        acc[key]["agreements"] += row["agreements"]
    for row in (
        Visit.objects.filter(
            status=Visit.Status.DONE, completed_at__gt=start, completed_at__lte=end
        )
        .values(*(f"case__{d}" for d in DIMS))
        .annotate(
            n=Count("id"),
            positive=Count("id", filter=Q(satisfaction__in=POSITIVE_SATISFACTION)),
        )
        .order_by()
    ):
        key = tuple(row[f"case__{d}"] for d in DIMS)
        acc[key]["visits_done"] += row["n"]
        acc[key]["visits_positive"] += row["positive"]
    rows = [
        DailyStat(date=day, **dict(zip(DIMS, key, strict=True)), **values)
        for key, values in acc.items()
    ]
    with transaction.atomic():
        DailyStat.objects.filter(date=day).delete()
        DailyStat.objects.bulk_create(rows)
    return len(rows)
