"""办理时长: the handling time of a case (registration → closing), in hours, and its median
(办理时长中位数) for a period that includes today: exact, without sorting a year of cases on
every request.

A median cannot be added up day by day, so the roll-up cannot carry it. For a period that
is partly rolled up (its closed days) and partly live (today, days not rolled up yet), the
handling times of the cases closed on the rolled days are read once, sorted per unit, and
kept in the cache under a key that changes whenever one of those days is rolled up again
(a generation number bumped when a ``RollupDay`` is written). Each request adds only the live days' few cases and selects the
middle of the union of the two sorted lists: the same figure the whole-period SQL gives
(``percentile_cont`` on PostgreSQL; the median of the rounded hours on SQLite), to the bit.

The nightly roll-up warms these lists for the current month, quarter and year
(``followup.snapshots.warm``); without them the first request of a day builds them.
What can lag, as for a kept closed period: an old case reopened or closed late on a rolled
day, until that day is rolled up again (the nightly task redoes the last 7 days).
"""

from __future__ import annotations

import datetime as dt
import statistics
from array import array
from bisect import bisect_right
from collections import defaultdict

from django.core.cache import cache
from django.db import connection
from django.db.models import DurationField, ExpressionWrapper, F, FloatField, Func, QuerySet

from intake.models import Case
from luodian_platform.generations import Generation

from .periods import Period

HANDLING_TIME = ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())


def _hours(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return round(value.total_seconds() / 3600, 2)
    return round(float(value) / 3_600_000_000, 2)  # microseconds (SQLite)


# Kept until the next night's roll-up has replaced them (their key changes with it).
KEEP_SECONDS = 26 * 3600


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _values(handled: QuerySet[Case], dim: str) -> dict[int, list[float]]:
    """Each unit's handling times in the unit the vendor's median is taken in: seconds on
    PostgreSQL (``EXTRACT(EPOCH …)``), hours rounded to 0.01 elsewhere (as the live path)."""
    per: dict[int, list[float]] = defaultdict(list)
    if _postgres():
        seconds = Func(
            HANDLING_TIME, template="EXTRACT(EPOCH FROM %(expressions)s)", output_field=FloatField()
        )
        for key, value in handled.annotate(s=seconds).values_list(dim, "s").order_by():
            if value is not None:
                per[key].append(float(value))
    else:
        for key, dur in handled.annotate(d=HANDLING_TIME).values_list(dim, "d").order_by():
            if dur is not None:
                per[key].append(_hours(dur))
    return per


def median_of(a, b) -> float | None:
    """The vendor's median of the union of the sorted sequences ``a`` and ``b``."""
    n = len(a) + len(b)
    if n == 0:
        return None
    if not b:
        merged_lo = a[(n - 1) // 2]
        merged_hi = a[n // 2]
    elif not a:
        merged_lo = b[(n - 1) // 2]
        merged_hi = b[n // 2]
    else:
        merged_lo = _select(a, b, (n - 1) // 2)
        merged_hi = _select(a, b, n // 2)
    if _postgres():
        # percentile_cont(0.5): the lower middle plus half the step to the upper one.
        return round((merged_lo + (merged_hi - merged_lo) * 0.5) / 3600, 2)
    return round(statistics.median([merged_lo, merged_hi]), 2)


def _select(a, b, k: int) -> float:
    """The k-th smallest (0-based) of the union of sorted ``a`` (long) and ``b`` (short).

    The number of values <= x in the union, ``bisect_right(a, x) + bisect_right(b, x)``,
    grows with x; the k-th smallest is the least value x of the union where it passes k.
    Found by a binary search over ``a`` and one look at each value of ``b``."""
    lo, hi = 0, len(a) - 1
    best = None
    while lo <= hi:
        mid = (lo + hi) // 2
        x = a[mid]
        if bisect_right(a, x) + bisect_right(b, x) > k:
            best, hi = x, mid - 1
        else:
            lo = mid + 1
    for x in b:
        if bisect_right(a, x) + bisect_right(b, x) > k and (best is None or x < best):
            best = x
    return best


def _array(raw: bytes) -> array:
    values = array("d")
    values.frombytes(raw)
    return values


# Bumped after commit whenever a day is rolled up again (``followup.snapshots.connect``).
_rolled = Generation("evaluation:rolled-times")


def rolled_again(**_ignored) -> None:
    _rolled.bump()


def _key(by: str, rolled: Period) -> str:
    return (
        f"evaluation:times:{_rolled.current()}:{by}:{rolled.start.isoformat()}:"
        f"{rolled.end.isoformat()}:{connection.vendor}"
    )


def rolled_lists(*, by: str, rolled: Period, handled: QuerySet[Case]) -> dict[int, array]:
    """Each unit's sorted handling times over the rolled days, kept until one of those days
    is rolled up again."""
    key = _key(by, rolled)
    kept = cache.get(key)
    if kept is not None:
        return {unit: _array(raw) for unit, raw in kept.items()}
    lists = {unit: array("d", sorted(v)) for unit, v in _values(handled, f"{by}_id").items()}
    cache.set(key, {unit: arr.tobytes() for unit, arr in lists.items()}, KEEP_SECONDS)
    return lists


def medians_merged(
    *,
    by: str,
    units: list[int],
    rolled_handled: QuerySet[Case] | None,
    rolled: Period | None,
    live_handled: QuerySet[Case],
) -> dict[int, float]:
    """Median handling time (hours) per unit over the rolled days' kept lists plus the live
    days' cases."""
    kept = rolled_lists(by=by, rolled=rolled, handled=rolled_handled) if rolled else {}
    live = _values(live_handled, f"{by}_id")
    out = {}
    for unit in units:
        m = median_of(kept.get(unit, ()), sorted(live.get(unit, ())))
        if m is not None:
            out[unit] = m
    return out
