"""Issue 16, part 3: closed days read from the nightly roll-up give exactly the figures the
live SQL gives, for a month, a quarter and a year (and a period half rolled up, and one
that includes today); the backfill command; queries constant in the number of cases."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dispatch.models import Supervision
from dispatch.services import case_approve, case_dispatch, case_return, case_sign_for
from followup.evaluation import evaluate, rollup_split
from followup.models import DailyStat, RollupDay, SatisfactionResult, Visit
from followup.periods import Period
from followup.services import case_reopen, visit_record
from intake.models import Case, Channel, Outcome, State
from luodian_platform.models import Category, Department, Township
from luodian_platform.workcal import end_of_day, local_tz
from mediation import services as mediation

pytestmark = pytest.mark.django_db
TZ = local_tz()
NOW = dt.datetime(2026, 2, 10, 15, tzinfo=TZ)
YEAR = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), "2025年")
QUARTER = Period(dt.date(2025, 4, 1), dt.date(2025, 6, 30), "2025年第2季度")
MONTH = Period(dt.date(2025, 5, 1), dt.date(2025, 5, 31), "2025年5月")
FEBRUARY = Period(dt.date(2026, 2, 1), dt.date(2026, 2, 28), "2026年2月")


def t(month, day, hour=10, year=2025):
    return dt.datetime(year, month, day, hour, tzinfo=TZ)


@pytest.fixture
def year_of_cases(make_case, dispatcher, officer, officer2, followup_officer, rsj, sfj):
    """Cases through 2025 (and into 2026): on time and late, notices and handled replies,
    visits (satisfied / basic), 12345 results, a rework, an upheld return, an urge, an open
    overdue case, a screening case, one across New Year, one closed today."""
    hexing = Township.objects.get(code="hexing")
    made = []

    def flow(reg, dept, actor, reply, close, *, due=None, notice=False, **kw):
        with time_machine.travel(reg, tick=False):
            c = make_case(**kw)
            case_dispatch(case_id=c.pk, department=dept, actor=dispatcher)
            case_sign_for(case_id=c.pk, actor=actor)
        Case.objects.filter(pk=c.pk).update(due_at=due or end_of_day(reg.date() + dt.timedelta(5)))
        if reply is None:
            made.append(c)
            return c
        with time_machine.travel(reply, tick=False):
            if notice:
                mediation.notice_record(case_id=c.pk, actor=actor, reason="分歧")
            else:
                mediation.case_reply(
                    case_id=c.pk, actor=actor, outcome=Outcome.HANDLED, text="答", document="答复书"
                )
        if close is not None:
            with time_machine.travel(close, tick=False):
                case_approve(case_id=c.pk, actor=dispatcher)
        made.append(c)
        return c

    a = flow(t(1, 6), rsj, officer, t(1, 7), t(1, 8))
    b = flow(t(2, 3), rsj, officer, t(2, 20), t(2, 21), notice=True)  # late
    c = flow(t(5, 5), rsj, officer, t(5, 6), t(5, 7), notice=True, township=hexing)
    d = flow(t(5, 12), sfj, officer2, t(5, 13), t(5, 14), channel=Channel.SCREENING)
    e = flow(t(6, 2), sfj, officer2, t(6, 30, 20), t(7, 1))  # replied late, closed in Q3
    flow(t(4, 1), sfj, officer2, None, None, due=end_of_day(dt.date(2025, 4, 10)))  # overdue
    flow(t(12, 31, 23), rsj, officer, t(1, 2, 9, year=2026), t(1, 2, 10, year=2026))
    flow(t(2, 2, 9, year=2026), rsj, officer, t(2, 10, 9, year=2026), t(2, 10, 11, year=2026))
    # Visits: a satisfied, c basic; 12345 results on b and d.
    for case, sat, when in ((a, "satisfied", t(1, 15)), (c, "basic", t(5, 20))):
        with time_machine.travel(when, tick=False):
            v = Visit.objects.filter(case=case).order_by("seq").first()
            visit_record(visit_id=v.pk, actor=followup_officer, reached=True, satisfaction=sat)
    for case, sat, when in ((b, "dissatisfied", t(3, 1)), (d, "satisfied", t(5, 30))):
        SatisfactionResult.objects.create(
            case=case,
            channel=Channel.HOTLINE_12345,
            external_id=f"X{case.pk}",
            satisfaction=sat,
            rated_at=when,
        )
    # Rework of e in August; an urge on the overdue case; an upheld return in May.
    with time_machine.travel(t(8, 4), tick=False):
        case_reopen(case_id=e.pk, actor=followup_officer, reason="不满意")
    sup = Supervision.objects.create(
        case=made[5], department=sfj, level=1, message="催办", response_due_at=t(4, 20)
    )
    Supervision.objects.filter(pk=sup.pk).update(created_at=t(4, 14))
    with time_machine.travel(t(5, 19), tick=False):
        r = make_case()
        case_dispatch(case_id=r.pk, department=sfj, actor=dispatcher)
        case_return(case_id=r.pk, actor=officer2, reason="非本局", legal_basis="职责")
        case_dispatch(case_id=r.pk, department=rsj, actor=dispatcher)
    Case.objects.filter(pk=r.pk).update(due_at=end_of_day(dt.date(2026, 6, 1)))
    assert Case.objects.get(pk=e.pk).state == State.DISPATCHED
    return made


def _rows(result):
    return {
        table: [dataclasses.asdict(r) for r in getattr(result, table)]
        for table in ("departments", "townships")
    } | {"centre": dataclasses.asdict(result.centre)}


@pytest.mark.parametrize("period", [MONTH, QUARTER, YEAR], ids=["month", "quarter", "year"])
def test_rollup_equals_live(year_of_cases, period):
    with time_machine.travel(NOW, tick=False):
        live = evaluate(period=period, use_rollup=False)
        call_command("rollup_stats", "--from", "2025-01-01", "--to", "2025-12-31")
        assert rollup_split(period) == (period, None)  # every day from the roll-up
        rolled = evaluate(period=period)
    assert _rows(rolled) == _rows(live)
    assert sum(r.handled for r in live.departments) > 0  # the data set is not empty
    # and the figures really come from the roll-up
    DailyStat.objects.filter(date__range=(period.start, period.end), received__gt=0).update(
        received=999
    )
    with time_machine.travel(NOW, tick=False):
        assert _rows(evaluate(period=period)) != _rows(live)


def test_half_rolled_period_and_today_are_completed_live(year_of_cases):
    with time_machine.travel(NOW, tick=False):
        expected_year = _rows(evaluate(period=YEAR, use_rollup=False))
        expected_feb = _rows(evaluate(period=FEBRUARY, use_rollup=False))
        call_command("rollup_stats", "--from", "2025-01-01", "--to", "2025-06-30")
        rolled, live = rollup_split(YEAR)
        assert (rolled.end, live.start) == (dt.date(2025, 6, 30), dt.date(2025, 7, 1))
        assert _rows(evaluate(period=YEAR)) == expected_year
        # February 2026: 1–9 rolled up by the nightly task, today (10th) live.
        call_command("rollup_stats", "--from", "2026-02-01")
        assert RollupDay.objects.filter(date=NOW.date()).count() == 0  # never today
        rolled, live = rollup_split(FEBRUARY)
        assert (rolled.end, live.start) == (dt.date(2026, 2, 9), dt.date(2026, 2, 10))
        feb = evaluate(period=FEBRUARY)
    assert _rows(feb) == expected_feb
    rsj = next(r for r in feb.departments if r.name == "县人社局")
    assert rsj.handled == 1  # closed today: read live


def test_rollup_is_repeatable_and_the_nightly_task_refreshes_recent_days(year_of_cases):
    from followup.tasks import rollup_daily_stats

    with time_machine.travel(NOW, tick=False):
        call_command("rollup_stats", "--from", "2025-05-01", "--to", "2025-05-31")
        first = list(DailyStat.objects.filter(date__month=5).values().order_by("date", "id"))
        call_command("rollup_stats", "--from", "2025-05-01", "--to", "2025-05-31")
        again = list(DailyStat.objects.filter(date__month=5).values().order_by("date", "id"))
        assert [{k: v for k, v in r.items() if k != "id"} for r in first] == [
            {k: v for k, v in r.items() if k != "id"} for r in again
        ]
        rollup_daily_stats()
    assert set(RollupDay.objects.filter(date__year=2026).values_list("date", flat=True)) == {
        dt.date(2026, 2, d) for d in range(3, 10)
    }


def _bulk(n: int, start: int) -> None:
    """n cases received and closed in May 2025 (rsj), straight into the table."""
    cat = Category.objects.get(code="labour")
    rsj = Department.objects.get(code="rsj")
    towns = list(Township.objects.all())
    Case.objects.bulk_create(
        Case(
            number=f"ROLL-{start + i}",
            title="批量",
            facts="批量",
            category=cat,
            township=towns[i % len(towns)],
            channel=Channel.values[i % len(Channel.values)],
            department=rsj,
            state="closed",
            outcome=Outcome.HANDLED,
            reply_document="答复书",
            created_at=t(5, 3 + i % 20),
            replied_at=t(5, 4 + i % 20),
            closed_at=t(5, 5 + i % 20),
            due_at=t(5, 6 + i % 20),
        )
        for i in range(n)
    )


def test_year_from_rollup_runs_a_fixed_number_of_queries(year_of_cases):
    with time_machine.travel(NOW, tick=False):
        _bulk(10, 0)
        call_command("rollup_stats", "--from", "2025-01-01", "--to", "2025-12-31")
        evaluate(period=YEAR)  # warm caches
        with CaptureQueriesContext(connection) as small:
            before = evaluate(period=YEAR)
        _bulk(300, 10)
        call_command("rollup_stats", "--from", "2025-05-01", "--to", "2025-05-31")
        with CaptureQueriesContext(connection) as large:
            after = evaluate(period=YEAR)
        assert _rows(after) == _rows(evaluate(period=YEAR, use_rollup=False))
    rsj = lambda res: next(r for r in res.departments if r.name == "县人社局")  # noqa: E731
    assert rsj(after).handled == rsj(before).handled + 300
    assert len(large) == len(small), [q["sql"][:80] for q in large]
    assert len(large) <= 14


def test_median_of_two_sorted_lists_is_the_median_of_their_union():
    import random
    import statistics

    from followup.handling_time import median_of

    rng = random.Random(16)
    for _ in range(400):
        a = sorted(
            rng.choice((rng.uniform(0, 900_000), float(rng.randint(0, 50) * 3600)))
            for _ in range(rng.randint(0, 60))
        )
        b = sorted(float(rng.randint(0, 50) * 3600) for _ in range(rng.randint(0, 8)))
        union = sorted(a + b)
        if not union:
            assert median_of(a, b) is None
            continue
        lo, hi = union[(len(union) - 1) // 2], union[len(union) // 2]
        if connection.vendor == "postgresql":  # percentile_cont(0.5), seconds → hours
            expected = round((lo + (hi - lo) * 0.5) / 3600, 2)
        else:  # the median of the (already rounded) hours
            expected = round(statistics.median(union), 2)
        assert median_of(a, b) == expected, (a, b)


def test_current_year_keeps_the_rolled_days_times_and_adds_today_live(
    year_of_cases, make_case, dispatcher, officer, rsj, django_capture_on_commit_callbacks
):
    """A period that includes today: the medians read the rolled days' sorted times once,
    then only today's cases; a day rolled up again is read again."""
    ytd = Period(dt.date(2026, 1, 1), dt.date(2026, 12, 31), "2026年")
    with time_machine.travel(NOW, tick=False):
        call_command("rollup_stats", "--from", "2026-01-01")
        rolled, live = rollup_split(ytd)
        assert (rolled.end, live.start) == (dt.date(2026, 2, 9), dt.date(2026, 2, 10))
        with CaptureQueriesContext(connection) as first:
            result = evaluate(period=ytd)
        assert _rows(result) == _rows(evaluate(period=ytd, use_rollup=False))
        with CaptureQueriesContext(connection) as second:
            assert _rows(evaluate(period=ytd)) == _rows(result)
        # The rolled days' times (one query per table) are read once, then kept.
        assert len(second) == len(first) - 2
    # A case closed on a rolled day after it was rolled up (late data): the kept times
    # lag until the day is rolled up again, then the figure is the live one.
    with time_machine.travel(dt.datetime(2026, 1, 5, 9, tzinfo=TZ), tick=False):
        late = make_case()
        case_dispatch(case_id=late.pk, department=rsj, actor=dispatcher)
        case_sign_for(case_id=late.pk, actor=officer)
    with time_machine.travel(dt.datetime(2026, 1, 20, 9, tzinfo=TZ), tick=False):
        mediation.case_reply(
            case_id=late.pk, actor=officer, outcome=Outcome.HANDLED, text="答", document="答复书"
        )
        case_approve(case_id=late.pk, actor=dispatcher)
    with time_machine.travel(NOW, tick=False):
        live_now = _rows(evaluate(period=ytd, use_rollup=False))
        assert _rows(evaluate(period=ytd)) != live_now
        with django_capture_on_commit_callbacks(execute=True):  # the bump is after commit
            call_command("rollup_stats", "--from", "2026-01-05", "--to", "2026-01-20")
        assert _rows(evaluate(period=ytd)) == live_now
    rsj_row = next(r for r in live_now["departments"] if r["name"] == "县人社局")
    assert rsj_row["handled"] == 3 and rsj_row["median_hours"] is not None
