"""Deadline computation from DeadlineRule rows and the working-day calendar."""

from __future__ import annotations

import datetime as dt

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


def rule_for(case: Case) -> DeadlineRule:
    """The most specific rule for the case's category and channel (one query)."""
    candidates = list(
        DeadlineRule.objects.filter(
            category__in=[case.category_id, None], channel__in=[case.channel, ""]
        )
    )

    def specificity(rule: DeadlineRule) -> int:
        return (2 if rule.category_id else 0) + (1 if rule.channel else 0)

    return max(candidates, key=specificity) if candidates else DEFAULT_RULE


def handling_deadlines(case: Case, start: dt.datetime, cal: WorkCalendar | None = None):
    """(sign_due_at, due_at) for a dispatch at ``start``."""
    rule = rule_for(case)
    cal = cal or WorkCalendar.load()
    return (
        due_at(start, rule.sign_hours, "hours"),
        due_at(start, rule.handle_amount, rule.handle_unit, cal),
    )
