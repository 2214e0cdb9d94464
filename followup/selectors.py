"""Reads of follow-up: the visit workbench, the evaluation (考评) and the supervisor dashboard.

Every figure is a SQL aggregate (GROUP BY over cases, events, visits), never a loop over
cases in Python, and each page runs a fixed number of queries whatever the number of
cases. The one exception is the median handling time on SQLite, which has no percentile
aggregate: there the durations (one number per case, not case objects) are fetched in one
query; PostgreSQL computes it with ``percentile_cont``.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    Avg,
    Count,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from intake.models import HANDLING_STATES, OPEN_STATES, Case, Channel, Outcome, Party
from luodian_platform.models import Township
from luodian_platform.roles import Role, user_has_role
from luodian_platform.workcal import local_date, local_tz

# The evaluation (考评办法, tables, click-through) lives in ``followup.evaluation``; periods
# in ``followup.periods``. Re-exported here for the pages and older callers.
from .evaluation import (
    AGREEMENT_TIME,
    EVAL_COLUMNS,
    PROVED_AGREEMENT,
    EvalRow,
    _hours,
    _ratio,
    may_see_county_ranking,
    rate_per_10k,
    weights,
)
from .evaluation import evaluate as evaluate
from .models import (
    POSITIVE_SATISFACTION,
    CourtFiling,
    SatisfactionResult,
    Visit,
)
from .periods import Period, PeriodError, period_from


def evaluation_tables(
    *, period: Period, department: int | None = None, townships: bool = True
) -> tuple[list[EvalRow], list[EvalRow]]:
    """(departments, townships) scored and ranked; see :func:`followup.evaluation.evaluate`."""
    result = evaluate(period=period, department=department, townships=townships)
    return result.departments, result.townships


def evaluation(*, period: Period, by: str, only: int | None = None) -> list[EvalRow]:
    """Figures per department (``by="department"``) or township for ``period``."""
    assert by in ("department", "township")
    if by == "department":
        return evaluation_tables(period=period, department=only, townships=False)[0]
    return evaluation_tables(period=period, department=-1)[1]


__all__ = [
    "AGREEMENT_TIME",
    "EVAL_COLUMNS",
    "PROVED_AGREEMENT",
    "EvalRow",
    "Period",
    "PeriodError",
    "may_see_county_ranking",
    "period_from",
    "weights",
]


# --- follow-up workbench ---------------------------------------------------------------------


def visits_due(*, user, today: dt.date | None = None) -> QuerySet[Visit]:
    """Scheduled visits due today or overdue, assigned to ``user`` (county roles: all)."""
    today = today or local_date()
    qs = Visit.objects.filter(status=Visit.Status.SCHEDULED, due_date__lte=today)
    if not user_has_role(user, Role.SUPERVISOR, Role.DISPATCHER, Role.ADMIN):
        qs = qs.filter(assignee=user)
    return (
        qs.select_related("case", "case__category", "case__department", "assignee")
        .prefetch_related(Prefetch("case__parties", queryset=Party.objects.order_by("role", "pk")))
        .order_by("due_date", "pk")
    )


def visit_get(*, user, pk: int) -> Visit | None:
    qs = Visit.objects.select_related("case", "case__category", "case__department")
    if not user_has_role(user, Role.SUPERVISOR, Role.DISPATCHER, Role.ADMIN):
        qs = qs.filter(assignee=user)
    return qs.filter(pk=pk).first()


# --- dashboard ------------------------------------------------------------------------------


def dashboard(*, user, period: Period) -> dict:
    """The supervisor dashboard's figures: a fixed number of aggregate queries."""
    now = timezone.now()
    since, until = period.since, period.until
    base = Case.objects.visible_to(user)
    in_period = base.filter(created_at__range=(since, until))
    today_start = dt.datetime.combine(local_date(now), dt.time.min, tzinfo=local_tz())
    # Three aggregates, each over the rows one index selects (created_at; state; closed_at),
    # instead of one conditional aggregate that must scan every case (0.33 s at 1M cases).
    head = base.filter(created_at__gte=min(since, today_start)).aggregate(
        new=Count("id", filter=Q(created_at__range=(since, until))),
        today=Count("id", filter=Q(created_at__gte=today_start)),
    )
    head |= base.filter(state__in=OPEN_STATES).aggregate(
        open=Count("id"),
        overdue=Count("id", filter=Q(state__in=HANDLING_STATES, due_at__lt=now)),
        high_risk=Count("id", filter=Q(risk_level="high")),
    )
    head |= base.filter(closed_at__range=(since, until)).aggregate(
        handled=Count("id"),
        agreements=Count("id", filter=PROVED_AGREEMENT),
        mediated=Count("id", filter=Q(outcome__in=(Outcome.AGREEMENT, Outcome.NOTICE))),
        avg_agreement=Avg(AGREEMENT_TIME, filter=PROVED_AGREEMENT),
    )
    visits = Visit.objects.filter(
        status=Visit.Status.DONE, completed_at__range=(since, until), case__in=base
    ).aggregate(n=Count("id"), pos=Count("id", filter=Q(satisfaction__in=POSITIVE_SATISFACTION)))
    ratings = SatisfactionResult.objects.filter(
        rated_at__range=(since, until), case__in=base
    ).aggregate(n=Count("id"), pos=Count("id", filter=Q(satisfaction__in=POSITIVE_SATISFACTION)))
    population = Township.objects.aggregate(
        p=Coalesce(Sum(F("registered_population") + F("floating_population")), 0)
    )["p"]
    filings = CourtFiling.objects.filter(
        month__range=(period.start.replace(day=1), period.end)
    ).aggregate(n=Coalesce(Sum(F("civil") + F("administrative")), 0))["n"]

    def grouped(field_name: str, label: str) -> list[dict]:
        return [
            {"code": r[field_name], "name": r[label], "value": r["n"]}
            for r in in_period.values(field_name, label).annotate(n=Count("id")).order_by("-n")
            if r[field_name] is not None
        ]

    channel_labels = dict(Channel.choices)
    by_channel = [
        {
            "code": r["channel"],
            "name": str(channel_labels.get(r["channel"], r["channel"])),
            "value": r["n"],
        }
        for r in in_period.values("channel").annotate(n=Count("id")).order_by("-n")
    ]
    trend = [
        {"day": r["day"].isoformat(), "value": r["n"]}
        for r in in_period.annotate(day=TruncDate("created_at", tzinfo=local_tz()))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
    ]
    risk_cases = list(
        base.filter(state__in=OPEN_STATES)
        .filter(
            Q(is_group=True)
            | Q(is_repeat=True)
            | Q(bounce_count__gt=1)
            | Q(state__in=HANDLING_STATES, due_at__lt=now + dt.timedelta(days=1))
        )
        .select_related("department", "township", "category")
        # The watch list shows numbers, titles and flags: leave the long texts in the table.
        .defer("facts", "request", "reply_text", "reject_reason")
        .prefetch_related(Prefetch("parties", queryset=Party.objects.order_by("role", "pk")))
        .order_by("due_at", "-created_at")[:40]
    )
    risk = {"group": [], "repeat": [], "bounced": [], "deadline": []}
    for c in risk_cases:
        if c.is_group:
            risk["group"].append(c)
        if c.is_repeat:
            risk["repeat"].append(c)
        if c.bounce_count > 1:
            risk["bounced"].append(c)
        if c.state in HANDLING_STATES and c.due_at and c.due_at < now + dt.timedelta(days=1):
            risk["deadline"].append(c)
    return {
        "head": head,
        "success_rate": _ratio(head["agreements"], head["mediated"]),
        "satisfaction_rate": _ratio(visits["pos"] + ratings["pos"], visits["n"] + ratings["n"]),
        "avg_agreement_hours": _hours(head["avg_agreement"]),
        "population": population,
        "filings": filings,
        "lawsuit_rate": rate_per_10k(filings, population),
        "charts": {
            "trend": trend,
            "channel": by_channel,
            "category": grouped("category__code", "category__name"),
            "township": grouped("township__code", "township__name"),
            "department": grouped("department__code", "department__name"),
        },
        "risk": risk,
    }


def visit_reveals(*, visit) -> list:
    """Who saw which party's full number for this visit (the one reveal log, intake's)."""
    from intake.models import PersonalDataReveal

    return list(
        PersonalDataReveal.objects.filter(object_ref=f"visit:{visit.pk}")
        .select_related("actor", "party")
        .order_by("-at")
    )
