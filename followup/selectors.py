"""Reads of follow-up: the visit workbench, the evaluation (考评) and the supervisor dashboard.

Every figure is a SQL aggregate (GROUP BY over cases, events, visits), never a loop over
cases in Python, and each page runs a fixed number of queries whatever the number of
cases. The one exception is the median handling time on SQLite, which has no percentile
aggregate: there the durations (one number per case, not case objects) are fetched in one
query; PostgreSQL computes it with ``percentile_cont``.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models import Case as SqlCase
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake.models import HANDLING_STATES, OPEN_STATES, Case, CaseEvent, Channel, Outcome, Party
from luodian_platform.models import Department, Township
from luodian_platform.roles import Role, user_has_role
from luodian_platform.workcal import end_of_day, local_date, local_tz

from .models import (
    POSITIVE_SATISFACTION,
    CourtFiling,
    EvaluationWeight,
    SatisfactionResult,
    Visit,
)

# --- periods -----------------------------------------------------------------------------


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


def period_from(params, today: dt.date | None = None) -> Period:
    """month / quarter / year (of ``date``, default today) or custom ``start``–``end``."""
    today = today or local_date()
    if not params.get("period") and (params.get("year") or "").isdigit():
        # ``?year=2025`` (the benchmark's link) is the year 2025.
        params = {"period": "year", "date": f"{int(params['year']):04d}-01-01"}
    kind = params.get("period") or "month"
    try:
        ref = dt.date.fromisoformat(params.get("date") or "") if params.get("date") else today
    except ValueError:
        ref = today
    if kind == "custom":
        try:
            start = dt.date.fromisoformat(params.get("start", ""))
            end = dt.date.fromisoformat(params.get("end", ""))
        except ValueError:
            start, end = today.replace(day=1), today
        if end < start:
            start, end = end, start
        return Period(start, end, f"{start}—{end}")
    if kind == "year":
        return Period(
            dt.date(ref.year, 1, 1), dt.date(ref.year, 12, 31), _("%(y)s年") % {"y": ref.year}
        )
    if kind == "quarter":
        q = (ref.month - 1) // 3
        start = dt.date(ref.year, 3 * q + 1, 1)
        end = (start + dt.timedelta(days=95)).replace(day=1) - dt.timedelta(days=1)
        return Period(start, end, _("%(y)s年第%(q)s季度") % {"y": ref.year, "q": q + 1})
    start = ref.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return Period(start, end, _("%(y)s年%(m)s月") % {"y": ref.year, "m": ref.month})


# --- helpers ---------------------------------------------------------------------------------


def _ratio(num, den) -> float | None:
    return round(num / den, 4) if den else None


def _hours(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return round(value.total_seconds() / 3600, 2)
    return round(float(value) / 3_600_000_000, 2)  # microseconds (SQLite)


HANDLING_TIME = ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField())
# Registration → the agreement taking effect (《人民调解法》 art. 29), stamped on the case by
# mediation when the last signature is in; never the reply or the closing time.
AGREEMENT_TIME = ExpressionWrapper(
    F("agreement_signed_at") - F("created_at"), output_field=DurationField()
)
# A case counts as mediated successfully only when it was replied with an agreement AND an
# agreement of the case took effect; an "agreement" reply without one (recorded before the
# reply checked the records) counts as mediated without success.
PROVED_AGREEMENT = Q(outcome=Outcome.AGREEMENT, agreement_signed_at__isnull=False)


class Median(Aggregate):
    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def rate_per_10k(filings: int, population: int) -> float | None:
    """万人成诉率 = first-instance civil + administrative filings ÷ population × 10,000."""
    return round(filings * 10000 / population, 2) if population else None


# --- evaluation ----------------------------------------------------------------------------

# key: (label, kind, default weight). Rates earn up to ``weight`` points (renormalised over
# the rates that apply); counts deduct ``weight`` points each.
METRICS: dict[str, tuple[str, str, Decimal]] = {
    "on_time_rate": (_("按期办结率"), "rate", Decimal(30)),
    "routing_accuracy": (_("分流准确率"), "rate", Decimal(10)),
    "success_rate": (_("调解成功率"), "rate", Decimal(20)),
    "satisfaction_rate": (_("满意率"), "rate", Decimal(40)),
    "overdue": (_("超期件数"), "count", Decimal(1)),
    "rework": (_("重办件数"), "count", Decimal(2)),
    "corrections": (_("纠偏次数"), "count", Decimal(2)),
    "urges": (_("催办次数"), "count", Decimal("0.5")),
    "supervisions": (_("督办次数"), "count", Decimal(1)),
    "notices": (_("通报次数"), "count", Decimal(3)),
}


def weights() -> dict[str, Decimal]:
    out = {k: v[2] for k, v in METRICS.items()}
    out.update(dict(EvaluationWeight.objects.values_list("metric", "weight")))
    return out


@dataclass
class EvalRow:
    key: int | None
    name: str
    received: int = 0
    handled: int = 0
    on_time: int = 0
    on_time_rate: float | None = None
    overdue: int = 0
    dispatches: int = 0
    returns: int = 0
    routing_accuracy: float | None = None
    agreements: int = 0
    mediated: int = 0  # closed with an agreement or a notice
    success_rate: float | None = None
    avg_hours: float | None = None
    median_hours: float | None = None
    avg_agreement_hours: float | None = None
    rated: int = 0
    positive: int = 0
    satisfaction_rate: float | None = None
    rework: int = 0
    corrections: int = 0
    urges: int = 0
    supervisions: int = 0
    notices: int = 0
    filings: int | None = None
    population: int | None = None
    lawsuit_rate: float | None = None
    score: float = 0.0
    rank: int = 0
    extra: dict = field(default_factory=dict)


# Columns of the tables and the Excel export: (attribute, Chinese header).
EVAL_COLUMNS = [
    ("rank", _("排名")),
    ("name", _("单位")),
    ("received", _("受理件数")),
    ("handled", _("办结件数")),
    ("on_time_rate", _("按期办结率")),
    ("overdue", _("超期件数")),
    ("returns", _("退单次数")),
    ("routing_accuracy", _("分流准确率")),
    ("success_rate", _("调解成功率")),
    ("avg_hours", _("平均办理时长(小时)")),
    ("median_hours", _("办理时长中位数(小时)")),
    ("avg_agreement_hours", _("登记至签订协议平均时长(小时)")),
    ("satisfaction_rate", _("满意率")),
    ("rework", _("重办件数")),
    ("corrections", _("纠偏次数")),
    ("urges", _("催办次数")),
    ("supervisions", _("督办次数")),
    ("notices", _("通报次数")),
    ("score", _("综合得分")),
]


def _optional_model(app_label: str, name: str):
    from django.apps import apps

    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


# The two groupings. A case counts for its current department and its township; each
# shared query below is grouped by both keys and its rows are folded into both tables.
DIMS = ("department", "township")


def _case_figures(cases: QuerySet[Case], since, until) -> QuerySet:
    """One pass over the cases that concern the period, grouped by (department, township):
    received, handled, on time, late, still open past the deadline, agreements, notices and
    the sums of the handling / registration → agreement times (averages are sum ÷ count,
    so they add up over townships), each a conditional aggregate."""
    received = Q(created_at__range=(since, until))
    closed = Q(closed_at__range=(since, until))
    open_late = Q(state__in=HANDLING_STATES, due_at__lt=min(until, timezone.now()))
    reply_time = Coalesce("replied_at", "closed_at")
    agreement = closed & PROVED_AGREEMENT
    mediated = closed & Q(outcome__in=(Outcome.AGREEMENT, Outcome.NOTICE))
    return (
        cases.filter(received | closed | open_late)
        .values("department_id", "township_id")
        .annotate(
            received=Count("id", filter=received),
            handled=Count("id", filter=closed),
            on_time=Count(
                "id", filter=closed & (Q(due_at__isnull=True) | Q(due_at__gte=reply_time))
            ),
            late=Count("id", filter=closed & Q(due_at__lt=reply_time)),
            open_late=Count("id", filter=open_late),
            agreements=Count("id", filter=agreement),
            mediated=Count("id", filter=mediated),
            time_sum=Sum(HANDLING_TIME, filter=closed),
            agreement_time_sum=Sum(AGREEMENT_TIME, filter=agreement),
        )
        .order_by()
    )


def _medians(handled: QuerySet[Case], by: str) -> dict[int, float]:
    """Median handling time (hours) per unit: ``percentile_cont`` on PostgreSQL (one
    grouped query); elsewhere (SQLite, tests) one query for the durations — numbers, not
    case objects — and the median in Python."""
    dim = f"{by}_id"
    if connection.vendor == "postgresql":
        seconds = Func(
            HANDLING_TIME, template="EXTRACT(EPOCH FROM %(expressions)s)", output_field=FloatField()
        )
        return {
            r[dim]: round(r["m"] / 3600, 2)
            for r in handled.values(dim).annotate(m=Median(seconds)).order_by()
            if r["m"] is not None
        }
    per: dict[int, list[float]] = defaultdict(list)
    for key, dur in handled.annotate(d=HANDLING_TIME).values_list(dim, "d").order_by():
        per[key].append(_hours(dur))
    return {key: round(statistics.median(values), 2) for key, values in per.items()}


def _event_figures(*, since, until) -> QuerySet:
    """One pass over the period's dispatch / return / reopen events, grouped by transition,
    the department each one counts for (dispatch: the department named in the event — a
    code; return: the returning officer's department; reopen: the case's department) and
    the case's township."""
    return (
        CaseEvent.objects.filter(
            at__range=(since, until), transition__in=("dispatch", "return_case", "reopen")
        )
        .annotate(
            code=SqlCase(
                When(transition="dispatch", then=KeyTextTransform("department", "payload")),
                default=None,
                output_field=CharField(),
            ),
            dept=SqlCase(
                When(transition="return_case", then=F("actor__department_id")),
                When(transition="reopen", then=F("case__department_id")),
                default=None,
                output_field=IntegerField(),
            ),
            town=F("case__township_id"),
        )
        .values("transition", "code", "dept", "town")
        .annotate(n=Count("id"))
        .order_by()
    )


def _other_figures(*, period: Period, townships: bool):
    """The figures kept in other tables — completed visits and 12345 results (rated /
    positive), urges / supervision orders / notices, corrections and court filings — as
    grouped subqueries of one ``UNION ALL``: rows ``(dept, town, kind, n, pos)``."""
    since, until = period.since, period.until
    positive = Count("id", filter=Q(satisfaction__in=POSITIVE_SATISFACTION))

    def grouped(qs, dept, town, kind, n, pos=None):
        return (
            qs.annotate(dept=dept, town=town, kind=kind)
            .values("dept", "town", "kind")
            .annotate(n=n, pos=pos if pos is not None else Value(0))
            .order_by()
        )

    def label(text):
        return Value(text, output_field=CharField())

    parts = [
        grouped(
            Visit.objects.filter(status=Visit.Status.DONE, completed_at__range=(since, until)),
            F("case__department_id"),
            F("case__township_id"),
            label("rated"),
            Count("id"),
            positive,
        ),
        grouped(
            SatisfactionResult.objects.filter(rated_at__range=(since, until)),
            F("case__department_id"),
            F("case__township_id"),
            label("rated"),
            Count("id"),
            positive,
        ),
    ]
    supervision = _optional_model("dispatch", "Supervision")
    if supervision is not None:
        parts.append(
            grouped(
                supervision.objects.filter(created_at__range=(since, until)),
                F("department_id"),
                F("case__township_id"),
                SqlCase(
                    *(
                        When(level=level, then=label(attr))
                        for level, attr in ((1, "urges"), (2, "supervisions"), (3, "notices"))
                    ),
                    default=label(""),
                    output_field=CharField(),
                ),
                Count("id"),
            )
        )
    correction = _optional_model("dispatch", "Correction")
    if correction is not None:
        parts.append(
            grouped(
                correction.objects.filter(created_at__range=(since, until)),
                F("department_id"),
                F("case__township_id"),
                label("corrections"),
                Count("id"),
            )
        )
    if townships:
        parts.append(
            grouped(
                CourtFiling.objects.filter(
                    month__range=(period.start.replace(day=1), period.end),
                    township__isnull=False,
                ),
                Value(None, output_field=IntegerField()),
                F("township_id"),
                label("filings"),
                Sum(F("civil") + F("administrative")),
            )
        )
    return parts[0].union(*parts[1:], all=True)


def evaluation_tables(
    *, period: Period, department: int | None = None, townships: bool = True
) -> tuple[list[EvalRow], list[EvalRow]]:
    """The department table (only ``department``'s row when given: a department officer's
    own) and, with ``townships``, the township table for ``period``, scored and ranked.

    A fixed number of set-based queries whatever the number of cases, shared by the two
    tables: the units (2), one conditional aggregate over cases grouped by (department,
    township), the median per table (2), one pass over events, one ``UNION ALL`` of the
    grouped other tables and the weights."""
    since, until = period.since, period.until
    departments = Department.objects.filter(is_active=True).order_by("code")
    if department is not None:
        departments = departments.filter(pk=department)
    units = {"department": list(departments)}
    units["township"] = list(Township.objects.order_by("code")) if townships else []
    tables = {by: {u.pk: EvalRow(key=u.pk, name=u.name) for u in units[by]} for by in DIMS}

    def targets(department_id, township_id):
        """The rows a (department, township) group adds to."""
        out = []
        if department_id in tables["department"]:
            out.append(tables["department"][department_id])
        if township_id in tables["township"]:
            out.append(tables["township"][township_id])
        return out

    cases = Case.objects.filter(
        Q(department_id__in=list(tables["department"]))
        | Q(township_id__in=list(tables["township"]))
    )
    sums = defaultdict(lambda: [0, 0])  # id(row) -> [handling time sum, agreement time sum]
    for r in _case_figures(cases, since, until):
        for row in targets(r["department_id"], r["township_id"]):
            row.received += r["received"]
            row.handled += r["handled"]
            row.on_time += r["on_time"]
            # Handled late, plus still open and already past the deadline.
            row.overdue += r["late"] + r["open_late"]
            row.agreements += r["agreements"]
            row.mediated += r["mediated"]
            acc = sums[id(row)]
            acc[0] += _microseconds(r["time_sum"])
            acc[1] += _microseconds(r["agreement_time_sum"])
    for by in DIMS:
        table = tables[by]
        if not table:
            continue
        for row in table.values():
            acc = sums.get(id(row))
            if acc and row.handled:
                row.avg_hours = _hours(acc[0] / row.handled)
            if acc and row.agreements:
                row.avg_agreement_hours = _hours(acc[1] / row.agreements)
        handled = Case.objects.filter(
            closed_at__range=(since, until), **{f"{by}_id__in": list(table)}
        )
        for key, median in _medians(handled, by).items():
            table[key].median_hours = median

    codes = {u.code: u.pk for u in units["department"]}
    attr = {"dispatch": "dispatches", "return_case": "returns", "reopen": "rework"}
    for r in _event_figures(since=since, until=until):
        name = attr[r["transition"]]
        department_id = codes.get(r["code"]) if r["code"] is not None else r["dept"]
        for row in targets(department_id, r["town"]):
            setattr(row, name, getattr(row, name) + r["n"])

    for r in _other_figures(period=period, townships=bool(units["township"])):
        if not r["kind"]:
            continue
        for row in targets(r["dept"], r["town"]):
            if r["kind"] == "rated":
                row.rated += r["n"]
                row.positive += r["pos"]
            elif r["kind"] == "filings":
                row.filings = (row.filings or 0) + (r["n"] or 0)
            else:
                setattr(row, r["kind"], getattr(row, r["kind"]) + r["n"])

    for unit in units["township"]:
        row = tables["township"][unit.pk]
        row.population = unit.registered_population + unit.floating_population
        if row.filings is not None:
            row.lawsuit_rate = rate_per_10k(row.filings, row.population or 0)

    w = weights()
    return _ranked(tables["department"], w), _ranked(tables["township"], w)


def evaluation(*, period: Period, by: str, only: int | None = None) -> list[EvalRow]:
    """Figures per department (``by="department"``) or township for ``period``, scored
    and ranked. ``only`` restricts the departments to one (a department officer's own
    row). Pages that show both tables call :func:`evaluation_tables` once."""
    assert by in DIMS
    if by == "department":
        return evaluation_tables(period=period, department=only, townships=False)[0]
    return evaluation_tables(period=period, department=-1)[1]


def _microseconds(value) -> float:
    if value is None:
        return 0
    if isinstance(value, dt.timedelta):
        return value / dt.timedelta(microseconds=1)
    return float(value)  # SQLite: microseconds


def _ranked(rows: dict[int, EvalRow], w: dict[str, Decimal]) -> list[EvalRow]:
    for row in rows.values():
        row.on_time_rate = _ratio(row.on_time, row.handled)
        row.routing_accuracy = (
            _ratio(max(row.dispatches - row.returns, 0), row.dispatches) if row.dispatches else None
        )
        row.success_rate = _ratio(row.agreements, row.mediated)
        row.satisfaction_rate = _ratio(row.positive, row.rated)
        row.score = score(row, w)
    ranked = sorted(rows.values(), key=lambda r: (-r.score, r.name))
    for i, row in enumerate(ranked, start=1):
        row.rank = i
    return ranked


def score(row: EvalRow, w: dict[str, Decimal]) -> float:
    earned = total = Decimal(0)
    penalty = Decimal(0)
    for key, (_label, kind, _default) in METRICS.items():
        value = getattr(row, key)
        if kind == "rate":
            if value is None:
                continue
            earned += w[key] * Decimal(str(value))
            total += w[key]
        else:
            penalty += w[key] * Decimal(value or 0)
    base = (earned * 100 / total) if total else Decimal(100)
    return float(round(max(base - penalty, Decimal(0)), 2))


def may_see_county_ranking(user) -> bool:
    return user_has_role(user, Role.SUPERVISOR, Role.DISPATCHER, Role.ADMIN) or user.has_perm(
        "followup.view_county_ranking"
    )


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
