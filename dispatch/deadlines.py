"""Deadline computation from DeadlineRule rows and the working-day calendar."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from intake.models import Case
from luodian_platform.workcal import WorkCalendar, due_at

from .models import DeadlineRule

DEFAULT_RULE = DeadlineRule(
    name="默认",
    sign_hours=24,
    handle_amount=5,
    handle_unit=DeadlineRule.Unit.WORKDAYS,
    max_extensions=1,
    extension_amount=5,
)


def applicable_rules(category_id: int | None, channel: str):
    """Rules that apply to a category and channel: its own or general (no category), for
    its channel or any channel (blank). ``category__in=[id, None]`` would not do: SQL
    ``IN (…, NULL)`` never matches NULL, which once left every general rule dead."""
    cat_q = Q(category__isnull=True)
    if category_id is not None:
        cat_q |= Q(category_id=category_id)
    return DeadlineRule.objects.filter(cat_q, Q(channel="") | Q(channel=channel or ""))


def specificity(rule: DeadlineRule) -> int:
    """category+channel 3 > category 2 > channel 1 > general 0 (the unique constraint
    leaves at most one row per level)."""
    return (2 if rule.category_id else 0) + (1 if rule.channel else 0)


def rule_for(case: Case) -> DeadlineRule:
    """The most specific rule for the case's category and channel (one query); the
    built-in default only when no row applies."""
    candidates = list(applicable_rules(case.category_id, case.channel))
    return max(candidates, key=specificity) if candidates else DEFAULT_RULE


def handling_deadlines(case: Case, start: dt.datetime, cal: WorkCalendar | None = None):
    """(sign_due_at, due_at) for a dispatch at ``start``."""
    rule = rule_for(case)
    cal = cal or WorkCalendar.load()
    return (
        due_at(start, rule.sign_hours, "hours"),
        due_at(start, rule.handle_amount, rule.handle_unit, cal),
    )
