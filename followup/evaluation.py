"""考评办法: the method of the evaluation, written down once and computed exactly so.

The same objects drive the page that explains the method (``/followup/evaluation/method/``),
the tables, the Excel export and the API, so the three cannot disagree with the text.

Units are scored on what they did in the period:

* **Volume** (件次) = received in the period + closed in it + still in handling past the
  deadline at its end (additive over days, so long periods come from the roll-up). A unit with no volume has **无数据**:
  no score, no rank. A unit below the minimum volume is ranked after the units that reach
  it, and marked (样本不足).
* **Rates** earn up to their weight; the weights of the rates that apply (a rate applies
  when its denominator is not zero) are re-normalised to 100. A unit with volume but no
  applicable rate (all its cases still in time) is listed but not ranked.
* **Deductions** (departments only) subtract their weight per record in the period.
* Ties share a rank (1, 2, 2, 4).

Routing accuracy belongs to the dispatch centre, not to the departments: a return (退单)
that the centre upheld — its next dispatch of the case went to another department — does
not count against the returning department; a return the centre did not uphold — the case
came back to the same department, by a plain or a forced final dispatch (强制派单) — counts
as a 不当退单 against it.

Every query is set-based (GROUP BY over cases, events, visits…): a fixed number of queries
whatever the number of cases.
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
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models import Case as SqlCase
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake.models import HANDLING_STATES, Case, CaseEvent, Channel, Outcome
from luodian_platform.models import Department, Township
from luodian_platform.roles import Role, user_has_role
from luodian_platform.workcal import local_date

from .handling_time import HANDLING_TIME, _hours, medians_merged
from .method import EVAL_COLUMNS as EVAL_COLUMNS
from .method import FIGURES as FIGURES
from .method import (
    MINIMUM_VOLUME_KEY,
    TABLE_INDICATORS,
    WEIGHT_PREFIX,
    method,
    weights,
)
from .models import (
    POSITIVE_SATISFACTION,
    CourtFiling,
    DailyStat,
    RollupDay,
    SatisfactionResult,
    Visit,
)
from .periods import Period

# --- rows -----------------------------------------------------------------------------------


@dataclass
class Part:
    """One indicator's contribution to a score, for the explanation."""

    key: str
    label: str
    kind: str
    weight: float
    value: float | int | None  # the rate, or the number of records
    points: float | None  # points earned (rates, on the 100 scale) or deducted (negative)
    numerator: str = ""
    denominator: str = ""


@dataclass
class EvalRow:
    key: int | None
    name: str
    volume: int = 0
    received: int = 0
    handled: int = 0
    on_time: int = 0
    late: int = 0
    open_late: int = 0
    due: int = 0
    on_time_rate: float | None = None
    overdue: int = 0  # late + open_late (the old column)
    agreements: int = 0
    mediated: int = 0
    success_rate: float | None = None
    avg_hours: float | None = None
    median_hours: float | None = None
    avg_agreement_hours: float | None = None
    visits_rated: int = 0
    visits_positive: int = 0
    hotline_rated: int = 0
    hotline_positive: int = 0
    rated: int = 0
    positive: int = 0
    satisfaction_rate: float | None = None
    rework: int = 0
    corrections: int = 0
    urges: int = 0
    supervisions: int = 0
    notices: int = 0
    returns: int = 0
    bad_returns: int = 0
    upheld_returns: int = 0
    screening: int = 0
    filings: int | None = None
    population: int | None = None
    lawsuit_rate: float | None = None
    lawsuit_score: float | None = None
    score: float | None = None
    rank: int | None = None
    status: str = "no_data"  # ranked | low_volume | no_rates | no_data
    parts: list[Part] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


STATUS_LABELS = {
    "ranked": "",
    "low_volume": _("样本不足"),
    "no_rates": _("暂无可计分指标"),
    "no_data": _("无数据"),
}


@dataclass
class CentreRow:
    """The dispatch centre's routing figures (分流准确率 is the centre's, not a department's)."""

    dispatches: int = 0
    forced: int = 0
    returns: int = 0
    upheld_returns: int = 0
    bad_returns: int = 0
    pending_returns: int = 0
    routing_accuracy: float | None = None


@dataclass
class Evaluation:
    period: Period
    departments: list[EvalRow]
    townships: list[EvalRow]
    centre: CentreRow | None
    county_lawsuit_rate: float | None
    method: dict


# --- figures (set-based) --------------------------------------------------------------------

# Registration → the agreement taking effect (《人民调解法》 art. 29), stamped on the case by
# mediation when the last signature is in; never the reply or the closing time.
AGREEMENT_TIME = ExpressionWrapper(
    F("agreement_signed_at") - F("created_at"), output_field=DurationField()
)
# Successful only when replied with an agreement AND an agreement of the case took effect; an
# "agreement" reply without one (recorded before replies were checked) counts as not.
PROVED_AGREEMENT = Q(outcome=Outcome.AGREEMENT, agreement_signed_at__isnull=False)
MEDIATED = Q(outcome__in=(Outcome.AGREEMENT, Outcome.NOTICE))


class Median(Aggregate):
    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _ratio(num, den) -> float | None:
    return round(num / den, 4) if den else None


def _microseconds(value) -> float:
    if value is None:
        return 0
    if isinstance(value, dt.timedelta):
        return value / dt.timedelta(microseconds=1)
    return float(value)


def rate_per_10k(filings: int, population: int) -> float | None:
    """万人成诉率 = first-instance civil + administrative filings ÷ population × 10,000."""
    return round(filings * 10000 / population, 2) if population else None


def case_conditions(period: Period, now: dt.datetime | None = None) -> dict[str, Q]:
    """The per-case conditions behind the case figures: the aggregates and the click-through
    lists use these same Q objects."""
    since, until = period.since, period.until
    now = now or timezone.now()
    received = Q(created_at__range=(since, until))
    closed = Q(closed_at__range=(since, until))
    reply_time = Coalesce("replied_at", "closed_at")
    open_late = Q(state__in=HANDLING_STATES, due_at__lt=min(until, now))
    return {
        "volume": received | closed | open_late,
        "received": received,
        "handled": closed,
        "on_time": closed & (Q(due_at__isnull=True) | Q(due_at__gte=reply_time)),
        "late": closed & Q(due_at__lt=reply_time),
        "open_late": open_late,
        "due": closed | open_late,
        "agreements": closed & PROVED_AGREEMENT,
        "mediated": closed & MEDIATED,
        "screening": received & Q(channel=Channel.SCREENING),
    }


# Additive per-day figures (rolled up nightly); the open-late snapshot is read separately.
CASE_COUNTS = ("received", "handled", "on_time", "late", "agreements", "mediated", "screening")
RATING_COUNTS = ("visits_rated", "visits_positive", "hotline_rated", "hotline_positive")


def _case_figures(cases: QuerySet[Case], cond: dict[str, Q]) -> QuerySet:
    """One pass over the cases received or closed in the (live part of the) period, grouped
    by (department, township)."""
    return (
        cases.filter(cond["received"] | cond["handled"])
        .values("department_id", "township_id")
        .annotate(
            **{name: Count("id", filter=cond[name]) for name in CASE_COUNTS},
            time_sum=Sum(HANDLING_TIME, filter=cond["handled"]),
            agreement_time_sum=Sum(AGREEMENT_TIME, filter=cond["agreements"]),
        )
        .order_by()
    )


def _open_late(cases: QuerySet[Case], cond: dict[str, Q]) -> QuerySet:
    """Still in handling past the deadline at the period's end (or now): a snapshot, live."""
    return (
        cases.filter(cond["open_late"])
        .values("department_id", "township_id")
        .annotate(open_late=Count("id"))
        .order_by()
    )


def _rolled_figures(rolled: Period) -> QuerySet:
    """The same figures summed from the nightly roll-up over the rolled days (rows of units
    not in the tables are ignored by the caller)."""
    return (
        DailyStat.objects.filter(date__range=(rolled.start, rolled.end))
        .values("department_id", "township_id")
        .annotate(
            received=Sum("received"),
            screening=Sum("screening"),
            handled=Sum("closed"),
            on_time=Sum("closed_on_time"),
            late=Sum("closed_late"),
            agreements=Sum("agreements"),
            mediated=Sum("mediated"),
            time_sum=Sum("handled_seconds"),
            agreement_time_sum=Sum("agreement_seconds"),
            visits_rated=Sum("visits_done"),
            visits_positive=Sum("visits_positive"),
            hotline_rated=Sum("hotline_rated"),
            hotline_positive=Sum("hotline_positive"),
        )
        .order_by()
    )


def rollup_split(period: Period) -> tuple[Period | None, Period | None]:
    """(days read from the roll-up, days computed live): the roll-up serves the period's
    leading days up to the first day not rolled up (never today, still changing)."""
    last = min(period.end, local_date() - dt.timedelta(days=1))
    done = None
    if last >= period.start:
        days = set(
            RollupDay.objects.filter(date__range=(period.start, last)).values_list(
                "date", flat=True
            )
        )
        day = period.start
        while day <= last and day in days:
            done, day = day, day + dt.timedelta(days=1)
    if done is None:
        return None, period
    rolled = Period(period.start, done, period.label)
    if done >= period.end:
        return rolled, None
    return rolled, Period(done + dt.timedelta(days=1), period.end, period.label)


def _medians(handled: QuerySet[Case], by: str) -> dict[int, float]:
    """Median handling time (hours) per unit: ``percentile_cont`` on PostgreSQL; elsewhere
    the durations (numbers, not case objects) in one query and the median in Python."""
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


def _returning_code():
    # Who returned it (recorded by dispatch.case_return; older rows: the officer's department).
    return Coalesce(
        NullIf(KeyTextTransform("department", "payload"), Value("")),
        F("actor__department__code"),
        output_field=CharField(),
    )


def returns_in(period: Period) -> QuerySet:
    """The period's returns (退单) with the department code of the centre's next dispatch of
    the same case (``next_code``; None while the case waits for one)."""
    following = (
        CaseEvent.objects.filter(case_id=OuterRef("case_id"), transition="dispatch")
        .filter(pk__gt=OuterRef("pk"))
        .order_by("pk")
        .annotate(c=KeyTextTransform("department", "payload"))
        .values("c")[:1]
    )
    return CaseEvent.objects.filter(
        at__range=(period.since, period.until), transition="return_case"
    ).annotate(code=_returning_code(), next_code=Subquery(following, output_field=CharField()))


def _event_figures(period: Period) -> list[dict]:
    """Returns (by returning department, next dispatch) and reopens (by the case's
    department), each grouped with the case's township: two grouped queries."""
    rows = list(
        returns_in(period)
        .annotate(town=F("case__township_id"))
        .values("code", "next_code", "town")
        .annotate(n=Count("id"))
        .order_by()
    )
    rows += [
        {**r, "rework": True}
        for r in CaseEvent.objects.filter(
            at__range=(period.since, period.until), transition="reopen"
        )
        .annotate(dept=F("case__department_id"), town=F("case__township_id"))
        .values("dept", "town")
        .annotate(n=Count("id"))
        .order_by()
    ]
    return rows


def _optional_model(app_label: str, name: str):
    from django.apps import apps

    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


SUPERVISION_KINDS = ((1, "urges"), (2, "supervisions"), (3, "notices"))


def _other_figures(*, period: Period, live: Period | None, townships: bool):
    """Completed visits and 12345 results (rated / positive), urges / supervision orders /
    notices, corrections and court filings — grouped subqueries of one ``UNION ALL``:
    rows ``(dept, town, kind, n, pos)``."""
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

    parts = []
    if live is not None:
        parts += _rating_parts(live, grouped, label, positive)
    parts += _record_parts(period, grouped, label, townships)
    return parts[0].union(*parts[1:], all=True)


def _rating_parts(live: Period, grouped, label, positive) -> list:
    since, until = live.since, live.until
    return [
        grouped(
            Visit.objects.filter(status=Visit.Status.DONE, completed_at__range=(since, until)),
            F("case__department_id"),
            F("case__township_id"),
            label("visits"),
            Count("id"),
            positive,
        ),
        grouped(
            SatisfactionResult.objects.filter(rated_at__range=(since, until)),
            F("case__department_id"),
            F("case__township_id"),
            label("hotline"),
            Count("id"),
            positive,
        ),
    ]


def _record_parts(period: Period, grouped, label, townships: bool) -> list:
    since, until = period.since, period.until
    parts = []
    supervision = _optional_model("dispatch", "Supervision")
    if supervision is not None:
        parts.append(
            grouped(
                supervision.objects.filter(created_at__range=(since, until)),
                F("department_id"),
                F("case__township_id"),
                SqlCase(
                    *(When(level=level, then=label(attr)) for level, attr in SUPERVISION_KINDS),
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
    return parts


def _centre(period: Period, return_rows: list[dict]) -> CentreRow:
    record = _optional_model("dispatch", "DispatchRecord")
    row = CentreRow()
    if record is not None:
        agg = record.objects.filter(at__range=(period.since, period.until)).aggregate(
            n=Count("id"), forced=Count("id", filter=Q(forced=True))
        )
        row.dispatches, row.forced = agg["n"], agg["forced"]
    for r in return_rows:
        row.returns += r["n"]
        if r["next_code"] is None:
            row.pending_returns += r["n"]
        elif r["next_code"] == r["code"]:
            row.bad_returns += r["n"]
        else:
            row.upheld_returns += r["n"]
    # A dispatch whose return the centre upheld was misrouted by the centre.
    if row.dispatches:
        row.routing_accuracy = _ratio(max(row.dispatches - row.upheld_returns, 0), row.dispatches)
    return row


# --- the evaluation ------------------------------------------------------------------------


def evaluate(
    *,
    period: Period,
    department: int | None = None,
    townships: bool = True,
    use_rollup: bool = True,
) -> Evaluation:
    """Both tables (departments; with ``townships`` the townships and the centre's routing
    figures), scored and ranked by the method. ``department`` restricts the department table
    to one row (a department officer's own).

    Closed days that the nightly roll-up covers are read from ``DailyStat``; the rest (today,
    days not rolled up yet) live with the same definitions (``use_rollup=False``: all live).
    A fixed number of queries whatever the number of cases: weights, rolled days, units (2),
    roll-up sums, one conditional aggregate over the live cases, the open-late snapshot,
    medians (one per table), returns, reopens, one ``UNION ALL`` of the other tables,
    dispatch records."""
    w = weights()
    cond = case_conditions(period)
    rolled, live = rollup_split(period) if use_rollup else (None, period)
    departments = Department.objects.filter(is_active=True).order_by("code")
    if department is not None:
        departments = departments.filter(pk=department)
    units = {"department": list(departments)}
    units["township"] = list(Township.objects.order_by("code")) if townships else []
    tables = {by: {u.pk: EvalRow(key=u.pk, name=u.name) for u in units[by]} for by in units}

    def targets(department_id, township_id):
        out = []
        if department_id in tables["department"]:
            out.append(tables["department"][department_id])
        if township_id in tables["township"]:
            out.append(tables["township"][township_id])
        return out

    unit_filter = Q(department_id__in=list(tables["department"])) | Q(
        township_id__in=list(tables["township"])
    )
    cases = Case.objects.filter(unit_filter)
    figure_rows: list[dict] = []
    if rolled is not None:
        for r in _rolled_figures(rolled):
            # seconds in the roll-up; microseconds in the live sums
            r["time_sum"] = (r["time_sum"] or 0) * 1e6
            r["agreement_time_sum"] = (r["agreement_time_sum"] or 0) * 1e6
            figure_rows.append(r)
    if live is not None:
        figure_rows += list(_case_figures(cases, case_conditions(live)))
    sums: dict[int, list[float]] = defaultdict(lambda: [0, 0])
    for r in figure_rows:
        for row in targets(r["department_id"], r["township_id"]):
            for name in CASE_COUNTS + RATING_COUNTS:
                setattr(row, name, getattr(row, name) + (r.get(name) or 0))
            acc = sums[id(row)]
            acc[0] += _microseconds(r["time_sum"])
            acc[1] += _microseconds(r["agreement_time_sum"])
    for r in _open_late(cases, cond):
        for row in targets(r["department_id"], r["township_id"]):
            row.open_late += r["open_late"]
    for by, table in tables.items():
        if not table:
            continue
        for row in table.values():
            acc = sums.get(id(row))
            if acc and row.handled:
                row.avg_hours = _hours(acc[0] / row.handled)
            if acc and row.agreements:
                row.avg_agreement_hours = _hours(acc[1] / row.agreements)
        scope = {f"{by}_id__in": list(table)}
        if rolled is not None and live is not None:
            # A period that includes today: the rolled days' sorted times are kept, only
            # the live days' cases are read (followup/handling_time.py).
            found = medians_merged(
                by=by,
                units=list(table),
                rolled=rolled,
                rolled_handled=Case.objects.filter(
                    case_conditions(rolled)["handled"], **{f"{by}_id__isnull": False}
                ),
                live_handled=Case.objects.filter(case_conditions(live)["handled"], **scope),
            )
        else:
            found = _medians(Case.objects.filter(cond["handled"], **scope), by)
        for key, median in found.items():
            table[key].median_hours = median

    codes = {u.code: u.pk for u in units["department"]}
    return_rows = []
    for r in _event_figures(period):
        if r.get("rework"):
            for row in targets(r["dept"], r["town"]):
                row.rework += r["n"]
            continue
        return_rows.append(r)
        upheld = r["next_code"] is not None and r["next_code"] != r["code"]
        bad = r["next_code"] is not None and r["next_code"] == r["code"]
        for row in targets(codes.get(r["code"]), r["town"]):
            row.returns += r["n"]
            row.upheld_returns += r["n"] if upheld else 0
            row.bad_returns += r["n"] if bad else 0

    for r in _other_figures(period=period, live=live, townships=bool(units["township"])):
        if not r["kind"]:
            continue
        for row in targets(r["dept"], r["town"]):
            if r["kind"] in ("visits", "hotline"):
                setattr(row, f"{r['kind']}_rated", getattr(row, f"{r['kind']}_rated") + r["n"])
                attr = f"{r['kind']}_positive"
                setattr(row, attr, getattr(row, attr) + r["pos"])
            elif r["kind"] == "filings":
                row.filings = (row.filings or 0) + (r["n"] or 0)
            else:
                setattr(row, r["kind"], getattr(row, r["kind"]) + r["n"])

    county_rate = None
    if units["township"]:
        filed = [t for t in tables["township"].values() if t.filings is not None]
        for unit in units["township"]:
            row = tables["township"][unit.pk]
            row.population = unit.registered_population + unit.floating_population
            if row.filings is not None:
                row.lawsuit_rate = rate_per_10k(row.filings, row.population or 0)
        if filed:
            county_rate = rate_per_10k(
                sum(t.filings for t in filed), sum(t.population or 0 for t in filed)
            )
        for row in tables["township"].values():
            row.lawsuit_score = lawsuit_score(row.lawsuit_rate, county_rate)

    return Evaluation(
        period=period,
        departments=rank(tables["department"].values(), "department", w),
        townships=rank(tables["township"].values(), "township", w),
        centre=_centre(period, return_rows) if townships else None,
        county_lawsuit_rate=county_rate,
        method=method(w),
    )


def lawsuit_score(rate: float | None, county: float | None) -> float | None:
    """1 at or below the county's rate, county ÷ own above it (lower is better)."""
    if rate is None or county is None:
        return None
    if rate <= county:
        return 1.0
    return round(county / rate, 4)


def _fill_rates(row: EvalRow) -> None:
    # 件次: additive over days, so a year is read from the roll-up (a case received and
    # closed in the period counts twice: it was work twice).
    row.volume = row.received + row.handled + row.open_late
    row.due = row.handled + row.open_late
    row.overdue = row.late + row.open_late
    row.on_time_rate = _ratio(row.on_time, row.due)
    row.success_rate = _ratio(row.agreements, row.mediated)
    row.rated = row.visits_rated + row.hotline_rated
    row.positive = row.visits_positive + row.hotline_positive
    row.satisfaction_rate = _ratio(row.positive, row.rated)


def explain(row: EvalRow, table: str, w: dict[str, Decimal]) -> None:
    """Score ``row`` and record each indicator's part: rates earn weight × rate, re-normalised
    to 100 over the rates that apply; deductions subtract weight × records; never below 0."""
    prefix = WEIGHT_PREFIX[table]
    parts, earned, total, penalty = [], Decimal(0), Decimal(0), Decimal(0)
    for ind in TABLE_INDICATORS[table]:
        weight = w[prefix + ind.key]
        value = getattr(row, ind.key)
        if ind.kind == "rate" and value is not None:
            earned += weight * Decimal(str(value))
            total += weight
        elif ind.kind == "deduction":
            penalty += weight * Decimal(value or 0)
        parts.append(
            Part(
                ind.key,
                str(ind.label),
                ind.kind,
                float(weight),
                value,
                None,
                ind.numerator,
                ind.denominator,
            )
        )
    for part in parts:
        weight = Decimal(str(part.weight))
        if part.kind == "rate" and part.value is not None:
            part.points = float(round(weight * Decimal(str(part.value)) * 100 / total, 2))
        elif part.kind == "deduction":
            part.points = -float(weight * Decimal(part.value or 0))
    row.parts = parts
    if not row.volume:
        row.status, row.score = "no_data", None
        return
    if not total:
        row.status, row.score = "no_rates", None
        return
    row.score = float(round(max(earned * 100 / total - penalty, Decimal(0)), 2))
    row.status = "low_volume" if row.volume < w[MINIMUM_VOLUME_KEY] else "ranked"


def rank(rows, table: str, w: dict[str, Decimal]) -> list[EvalRow]:
    """Units with enough volume ranked by score, then those below the minimum volume (ranked
    on, marked: a unit with two cases must not outrank one that carried the year's work),
    then the unscored ones. Ties share a rank."""
    rows = list(rows)
    for row in rows:
        _fill_rates(row)
        explain(row, table, w)
    scored = sorted(
        (r for r in rows if r.score is not None),
        key=lambda r: (r.status == "low_volume", -r.score, r.name),
    )
    for i, row in enumerate(scored):
        prev = scored[i - 1] if i else None
        tie = prev is not None and (prev.score, prev.status) == (row.score, row.status)
        row.rank = prev.rank if tie else i + 1
    unscored = sorted((r for r in rows if r.score is None), key=lambda r: (r.status, r.name))
    return scored + unscored


def may_see_county_ranking(user) -> bool:
    return user_has_role(user, Role.SUPERVISOR, Role.DISPATCHER, Role.ADMIN) or user.has_perm(
        "followup.view_county_ranking"
    )
