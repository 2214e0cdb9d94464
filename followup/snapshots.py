"""考评快照: a closed period's evaluation, computed once and kept for a while.

A period that ended before today reads its days from the nightly roll-up; what it still
computes live (the medians, returns and reopens, the open-past-deadline snapshot, urges and
orders) changes only when old records are edited. So its result is kept in the cache for
``EVALUATION_CACHE_SECONDS`` (10 minutes by default) under a key that changes whenever an
input the figures are made of changes as a whole:

* a **generation** number, bumped after commit by every write to the roll-up (a day rolled
  up again), the weights, the units (departments and townships: names, population), court
  filings and 12345 results (``bump()``; the bulk import calls it itself);
* the period, the department (an officer's own row) and whether the township table is in.

A period that includes today is never kept: the live days change with every case. The
nightly roll-up warms the periods people open most (last month, last quarter, last year).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save

from luodian_platform.generations import Generation
from luodian_platform.workcal import local_date

from . import handling_time
from .evaluation import Evaluation, evaluate
from .periods import Period

GENERATION_KEY = "evaluation:generation"
_generation = Generation(GENERATION_KEY)


def generation() -> int:
    return _generation.current()


def bump(**_ignored) -> None:
    """Every kept evaluation is stale from the commit of the current transaction on."""
    _generation.bump()


def _key(period: Period, department: int | None, townships: bool) -> str:
    return (
        f"evaluation:{generation()}:{period.start.isoformat()}:{period.end.isoformat()}:"
        f"{department if department is not None else '-'}:{int(townships)}"
    )


def kept_key(*, period: Period, department: int | None = None, townships: bool = True):
    """The cache key of a closed period's evaluation (the page keys its rendered tables on
    it too), or None when the period includes today or keeping is switched off."""
    if period.end >= local_date() or settings.EVALUATION_CACHE_SECONDS <= 0:
        return None
    return _key(period, department, townships)


def evaluate_kept(
    *, period: Period, department: int | None = None, townships: bool = True
) -> Evaluation:
    """:func:`followup.evaluation.evaluate`, kept in the cache for a closed period."""
    key = kept_key(period=period, department=department, townships=townships)
    if key is None:
        return evaluate(period=period, department=department, townships=townships)
    result = cache.get(key)
    if result is None:
        result = evaluate(period=period, department=department, townships=townships)
        cache.set(key, result, settings.EVALUATION_CACHE_SECONDS)
    return result


def warm(today: dt.date | None = None) -> list[Period]:
    """After the nightly roll-up: compute the county tables of last month, last quarter and
    last year (kept), and the current month, quarter and year (whose rolled days' handling
    times are then kept, ``followup.handling_time``), so the first supervisor of the day does
    not wait for them. Returns the closed periods kept."""
    from .periods import period_from

    today = today or local_date()
    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    quarter_start = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)
    last_quarter_end = quarter_start - dt.timedelta(days=1)
    periods = [
        period_from({"period": kind, "date": ref.isoformat()}, today=today)
        for kind, ref in (
            ("month", last_month_end),
            ("quarter", last_quarter_end),
            ("year", dt.date(today.year - 1, 1, 1)),
        )
    ]
    for p in periods:
        evaluate_kept(period=p)
    for kind in ("month", "quarter", "year"):
        evaluate(period=period_from({"period": kind, "date": today.isoformat()}, today=today))
    return periods


def connect() -> None:
    """Writes that change a closed period's figures as a whole bump the generation."""
    from luodian_platform.models import Department, Township

    from .models import CourtFiling, DailyStat, EvaluationWeight, RollupDay, SatisfactionResult

    for model in (
        RollupDay,
        DailyStat,
        EvaluationWeight,
        CourtFiling,
        SatisfactionResult,
        Department,
        Township,
    ):
        post_save.connect(bump, sender=model, dispatch_uid=f"evaluation-bump-save-{model}")
        post_delete.connect(bump, sender=model, dispatch_uid=f"evaluation-bump-del-{model}")
    # A day rolled up again: the kept handling times of the periods that include it.
    post_save.connect(handling_time.rolled_again, sender=RollupDay, dispatch_uid="times-rolled")
    post_delete.connect(handling_time.rolled_again, sender=RollupDay, dispatch_uid="times-del")
