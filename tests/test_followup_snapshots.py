"""Issue 16: a closed period's evaluation is computed once and kept (followup/snapshots.py);
any write to what its figures are made of as a whole (roll-up, weights, units, court
filings, 12345 results) makes the next request compute it again; a period that includes
today is never kept; the nightly roll-up warms last month, quarter and year."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dispatch.services import case_approve, case_dispatch, case_sign_for
from followup import snapshots
from followup.models import CourtFiling, EvaluationWeight
from followup.periods import Period
from followup.tasks import rollup_daily_stats
from luodian_platform.models import Township
from luodian_platform.workcal import local_tz

from .scenery import reply_with_records

pytestmark = pytest.mark.django_db
TZ = local_tz()
NOW = dt.datetime(2026, 2, 10, 15, tzinfo=TZ)
YEAR = Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31), "2025年")
FEBRUARY = Period(dt.date(2026, 2, 1), dt.date(2026, 2, 28), "2026年2月")


def _closed(make_case, dispatcher, officer, rsj, when):
    with time_machine.travel(when, tick=False):
        case = make_case()
        case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
        case_sign_for(case_id=case.pk, actor=officer)
        reply_with_records(case.pk, officer)
        return case_approve(case_id=case.pk, actor=dispatcher)


def _queries(fn) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as captured:
        result = fn()
    return result, len(captured.captured_queries)


def _row(result, rsj):
    return next(r for r in result.departments if r.key == rsj.pk)


def _commit_hooks():
    # pytest-django wraps each test in a transaction: run what would run after commit.
    for _sid, hook, _robust in connection.run_on_commit:
        hook()
    connection.run_on_commit.clear()


def test_a_closed_period_is_computed_once(make_case, dispatcher, officer, rsj):
    _closed(make_case, dispatcher, officer, rsj, dt.datetime(2025, 5, 6, 10, tzinfo=TZ))
    with time_machine.travel(NOW, tick=False):
        first, computed = _queries(lambda: snapshots.evaluate_kept(period=YEAR))
        again, kept = _queries(lambda: snapshots.evaluate_kept(period=YEAR))
    assert computed > 5 and kept == 0
    assert _row(again, rsj).handled == _row(first, rsj).handled == 1


def test_a_period_that_includes_today_is_never_kept(make_case, dispatcher, officer, rsj):
    with time_machine.travel(NOW, tick=False):
        before = _row(snapshots.evaluate_kept(period=FEBRUARY), rsj).handled
    _closed(make_case, dispatcher, officer, rsj, NOW - dt.timedelta(hours=2))
    with time_machine.travel(NOW, tick=False):
        after, queries = _queries(lambda: snapshots.evaluate_kept(period=FEBRUARY))
    assert queries > 0 and _row(after, rsj).handled == before + 1


@pytest.mark.parametrize("change", ["weights", "court_filing", "township", "rollup"])
def test_a_write_to_the_inputs_makes_the_next_request_compute_again(
    change, make_case, dispatcher, officer, rsj, settings
):
    _closed(make_case, dispatcher, officer, rsj, dt.datetime(2025, 5, 6, 10, tzinfo=TZ))
    with time_machine.travel(NOW, tick=False):
        kept = snapshots.evaluate_kept(period=YEAR)
        if change == "weights":
            EvaluationWeight.objects.create(metric="on_time_rate", weight=5)
        elif change == "court_filing":
            CourtFiling.objects.create(
                month=dt.date(2025, 5, 1), township=Township.objects.get(code="longping"), civil=4
            )
        elif change == "township":
            Township.objects.filter(code="longping").update(registered_population=1)
            Township.objects.get(code="longping").save()
        else:
            rollup_daily_stats(day="2025-05-06")
        _commit_hooks()
        fresh, queries = _queries(lambda: snapshots.evaluate_kept(period=YEAR))
    assert queries > 5
    if change == "weights":
        assert fresh.method != kept.method
    if change == "court_filing":
        longping = next(t for t in fresh.townships if t.name == "龙坪镇")
        assert longping.filings == 4


def test_a_rolled_back_write_does_not_discard_the_kept_evaluation(
    make_case, dispatcher, officer, rsj
):
    _closed(make_case, dispatcher, officer, rsj, dt.datetime(2025, 5, 6, 10, tzinfo=TZ))
    with time_machine.travel(NOW, tick=False):
        snapshots.evaluate_kept(period=YEAR)
        try:
            with transaction.atomic():
                EvaluationWeight.objects.create(metric="on_time_rate", weight=5)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
        _commit_hooks()
        _result, queries = _queries(lambda: snapshots.evaluate_kept(period=YEAR))
    assert queries == 0


def test_the_nightly_rollup_warms_last_month_quarter_and_year(make_case, dispatcher, officer, rsj):
    _closed(make_case, dispatcher, officer, rsj, dt.datetime(2025, 11, 4, 10, tzinfo=TZ))
    with time_machine.travel(NOW, tick=False):
        rollup_daily_stats()
        _commit_hooks()
        for period in (
            YEAR,
            Period(dt.date(2026, 1, 1), dt.date(2026, 1, 31), "2026年1月"),
            Period(dt.date(2025, 10, 1), dt.date(2025, 12, 31), "2025年第4季度"),
        ):
            _result, queries = _queries(lambda p=period: snapshots.evaluate_kept(period=p))
            assert queries == 0, period
        assert _row(snapshots.evaluate_kept(period=YEAR), rsj).handled == 1


def test_the_page_serves_a_kept_year_with_a_few_queries(
    make_case, dispatcher, officer, rsj, supervisor, client, django_assert_max_num_queries
):
    _closed(make_case, dispatcher, officer, rsj, dt.datetime(2025, 5, 6, 10, tzinfo=TZ))
    client.force_login(supervisor)
    url = reverse("followup:evaluation") + "?year=2025"
    with time_machine.travel(NOW, tick=False):
        first = client.get(url)
        with django_assert_max_num_queries(6):  # session, user, roles, badge; no figures
            again = client.get(url)
    assert first.status_code == again.status_code == 200
    row = f'data-unit="{rsj.pk}"'.encode()
    assert row in first.content and row in again.content


def test_no_keeping_when_switched_off(make_case, dispatcher, officer, rsj, settings):
    settings.EVALUATION_CACHE_SECONDS = 0
    with time_machine.travel(NOW, tick=False):
        snapshots.evaluate_kept(period=YEAR)
        _result, queries = _queries(lambda: snapshots.evaluate_kept(period=YEAR))
    assert queries > 0


def test_kept_tables_are_kept_per_language(make_case, dispatcher, officer, rsj, supervisor, client):
    _closed(make_case, dispatcher, officer, rsj, dt.datetime(2025, 5, 6, 10, tzinfo=TZ))
    client.force_login(supervisor)
    url = reverse("followup:evaluation") + "?year=2025"
    with time_machine.travel(NOW, tick=False):
        chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "按期办结率" in chinese and "On-time closure rate" not in chinese
    assert "On-time closure rate" in english


def test_a_12345_import_makes_the_next_request_compute_again(make_case, dispatcher, officer, rsj):
    from followup.services import satisfaction_import
    from intake.models import Channel

    _closed(
        lambda: make_case(channel=Channel.HOTLINE_12345, external_id="GZ-SNAP-1"),
        dispatcher,
        officer,
        rsj,
        dt.datetime(2025, 5, 6, 10, tzinfo=TZ),
    )
    with time_machine.travel(NOW, tick=False):
        snapshots.evaluate_kept(period=YEAR)
        rows = [
            {"external_id": "GZ-SNAP-1", "satisfaction": "满意", "rated_at": "2025-05-08 10:00"}
        ]
        report = satisfaction_import(rows=rows, actor=dispatcher)
        _commit_hooks()
        _result, queries = _queries(lambda: snapshots.evaluate_kept(period=YEAR))
    assert report.created == 1
    assert queries > 5
