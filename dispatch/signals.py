"""Signal receivers of the dispatch room."""

from __future__ import annotations

from django.db import transaction


def calendar_year_entered(sender, instance, **kwargs) -> None:
    """A year's official holidays were entered: recompute the open estimates over it once
    the administrator's transaction has committed (the overrides are saved by then)."""
    from .clocks import recompute_estimates

    year = instance.year
    transaction.on_commit(lambda: recompute_estimates(year=year))


def holiday_changed(sender, instance, **kwargs) -> None:
    """A holiday or make-up workday entered, changed or deleted: dates counted over its
    year are recomputed (an administrator may enter the days after marking the year)."""
    from .clocks import recompute_estimates

    year = instance.date.year
    transaction.on_commit(lambda: recompute_estimates(year=year))
