"""Deadline computation from DeadlineRule rows and the working-day calendar."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from intake.models import Case
from luodian_platform.lookups import held
from luodian_platform.periods import period
from luodian_platform.workcal import WorkCalendar

from .clocks import compute
from .models import DeadlineRule


def default_rule() -> DeadlineRule:
    """The built-in default (unsaved), used only when no rule row applies: its figures are
    the period table's ``handling_default`` and ``sign_for`` rows."""
    handling, sign = period("handling_default"), period("sign_for")
    return DeadlineRule(
        name=handling.name,
        sign_amount=sign.amount,
        sign_unit=sign.unit,
        handle_amount=handling.amount,
        handle_unit=handling.unit,
        max_extensions=handling.max_extensions,
        extension_amount=handling.extension_amount,
        legal_basis=handling.legal_basis,
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
    candidates = held(
        ("deadline_rules", case.category_id, case.channel or ""),
        lambda: list(applicable_rules(case.category_id, case.channel)),
        (DeadlineRule,),
    )
    return max(candidates, key=specificity) if candidates else default_rule()


def handling_deadlines(case: Case, start: dt.datetime, cal: WorkCalendar | None = None):
    """(sign-for, handling) deadlines for a dispatch at ``start``, as ``clocks.Computed``
    (the date in ``.due``, the calendar years it was estimated over in ``.years``)."""
    rule = rule_for(case)
    cal = cal or WorkCalendar.load()
    return (
        compute("sign_for", start=start, amount=rule.sign_amount, unit=rule.sign_unit, cal=cal),
        compute("handling", start=start, amount=rule.handle_amount, unit=rule.handle_unit, cal=cal),
    )
