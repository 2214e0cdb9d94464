"""Issue 8: evaluation figures on a hand-computed data set, Excel export, dashboard query
counts that do not grow with cases, and who may see the county ranking."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from dispatch.services import case_approve, case_dispatch, case_sign_for
from followup.models import CourtFiling, SatisfactionResult, Visit
from followup.selectors import Period, evaluation
from followup.services import visit_record
from intake.models import Case, Channel, Outcome, Party
from luodian_platform.models import Category, Township, User
from luodian_platform.workcal import local_tz

from .scenery import reply_with_records

pytestmark = pytest.mark.django_db
TZ = local_tz()
MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31), "2026年3月")


def at(day, hour, minute=0):
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def march(make_case, dispatcher, officer, followup_officer, rsj):
    """Three cases of 人社局 in 龙坪镇, registered Monday 2 March 09:00:
    A agreement replied 11:30 (2.5 h) on time; B notice on time; C agreement replied
    on 4 March 09:00 (48 h) after its deadline (set to 2 March). Visits: A satisfied,
    B basic; 12345 rates C dissatisfied. Court filings in 龙坪镇: 3 civil + 1 admin."""
    cases = {}
    for name, outcome, reply_at in (
        ("A", Outcome.AGREEMENT, at(2, 11, 30)),
        ("B", Outcome.NOTICE, at(3, 10)),
        ("C", Outcome.AGREEMENT, at(4, 9)),
    ):
        with time_machine.travel(at(2, 9), tick=False):
            c = make_case(channel=Channel.HOTLINE_12345, external_id=f"EX-{name}")
            case_dispatch(case_id=c.pk, department=rsj, actor=dispatcher)
            case_sign_for(case_id=c.pk, actor=officer)
        if name == "C":
            Case.objects.filter(pk=c.pk).update(due_at=at(2, 23, 59))
        with time_machine.travel(reply_at, tick=False):
            # The records the outcome rests on, made at the reply: an agreement signed by
            # everyone takes effect then (and replies 调解成功); a notice is issued then.
            reply_with_records(c.pk, officer, outcome)
            case_approve(case_id=c.pk, actor=dispatcher)
        cases[name] = c
    with time_machine.travel(at(10, 10), tick=False):
        for name, sat in (("A", "satisfied"), ("B", "basic")):
            v = Visit.objects.filter(case=cases[name]).order_by("seq").first()
            visit_record(visit_id=v.pk, actor=followup_officer, reached=True, satisfaction=sat)
    SatisfactionResult.objects.create(
        case=cases["C"],
        channel=Channel.HOTLINE_12345,
        external_id="EX-C",
        satisfaction="dissatisfied",
        rated_at=at(12, 9),
    )
    longping = Township.objects.get(code="longping")
    CourtFiling.objects.create(
        month=dt.date(2026, 3, 1), township=longping, civil=3, administrative=1
    )
    return cases


def test_evaluation_figures_equal_the_hand_computed_values(march, rsj):
    row = next(r for r in evaluation(period=MARCH, by="department") if r.key == rsj.pk)
    assert (row.received, row.handled, row.on_time) == (3, 3, 2)
    assert row.on_time_rate == pytest.approx(2 / 3, abs=1e-4)
    assert row.overdue == 1
    assert row.success_rate == pytest.approx(2 / 3, abs=1e-4)
    assert row.avg_agreement_hours == pytest.approx((2.5 + 48) / 2)
    assert row.median_hours == pytest.approx(25.0)  # 2.5, 25, 48
    assert row.satisfaction_rate == pytest.approx(2 / 3, abs=1e-4)
    # Issue 16: routing accuracy is the dispatch centre's; the department has no returns.
    assert (row.returns, row.bad_returns) == (0, 0)
    assert row.rank >= 1 and row.score > 0


def test_township_evaluation_has_lawsuits_per_10000(march):
    longping = Township.objects.get(code="longping")
    row = next(r for r in evaluation(period=MARCH, by="township") if r.key == longping.pk)
    population = longping.registered_population + longping.floating_population
    assert row.received == 3
    assert row.lawsuit_rate == pytest.approx(round(4 * 10000 / population, 2))


def test_weights_are_editable_and_change_the_score(march, rsj):
    from dispatch.models import Supervision
    from followup.models import EvaluationWeight

    # Issue 16: lateness is in the on-time rate (no separate "overdue" deduction); an urge
    # is a deduction whose weight the administrator edits.
    Supervision.objects.create(
        case=march["C"], department=rsj, level=1, message="催办", response_due_at=at(5, 9)
    )
    Supervision.objects.filter(case=march["C"]).update(created_at=at(5, 9))
    before = next(r for r in evaluation(period=MARCH, by="department") if r.key == rsj.pk).score
    EvaluationWeight.objects.create(metric="urges", weight=10)
    after = next(r for r in evaluation(period=MARCH, by="department") if r.key == rsj.pk).score
    assert after == pytest.approx(before - 9.5)


def test_excel_export_holds_the_same_figures(client, march, supervisor, rsj):
    client.force_login(supervisor)
    resp = client.get(
        reverse("followup:evaluation"), {"period": "month", "date": "2026-03-15", "format": "xlsx"}
    )
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.content))
    # Issue 16: the dispatch centre's routing and the method travel with the tables.
    assert wb.sheetnames == ["部门考评", "乡镇考评", "调度中心", "考评办法"]
    ws = wb["部门考评"]
    headers = [c.value for c in ws[2]]
    assert headers[:6] == ["排名", "单位", "标注", "工作量(件次)", "受理件数", "办结件数"]
    line = next(r for r in ws.iter_rows(min_row=3, values_only=True) if r[1] == rsj.name)
    row = dict(zip(headers, line, strict=True))
    assert (row["受理件数"], row["办结件数"]) == (3, 3)
    assert row["按期办结率"] == pytest.approx(0.6667) and row["满意率"] == pytest.approx(0.6667)
    assert row["登记至协议生效平均时长(小时)"] == pytest.approx(25.25)


def test_department_officer_sees_only_own_row_unless_permitted(client, march, officer, clerk):
    url = reverse("followup:evaluation")
    client.force_login(officer)
    page = client.get(url, {"period": "month", "date": "2026-03-15"}).content.decode()
    assert "县人社局" in page and "县司法局" not in page and "乡镇考评" not in page
    xlsx = client.get(url, {"format": "xlsx"})
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames == ["部门考评", "考评办法"]
    officer.user_permissions.add(Permission.objects.get(codename="view_county_ranking"))
    officer = User.objects.get(pk=officer.pk)
    client.force_login(officer)
    page = client.get(url).content.decode()
    assert "县司法局" in page and "乡镇考评" in page
    client.force_login(clerk)
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302


def test_dashboard_needs_a_supervisor(client, officer, dispatcher):
    url = reverse("followup:dashboard")
    assert client.get(url).status_code == 302
    client.force_login(officer)
    assert client.get(url).status_code == 403


def _bulk_cases(n: int, start: int, rsj) -> None:
    cat = Category.objects.get(code="labour")
    towns = list(Township.objects.all())
    cases = []
    for i in range(n):
        c = Case(
            number=f"BULK-{start + i}",
            title="批量",
            facts="批量",
            category=cat,
            township=towns[i % len(towns)],
            channel=Channel.values[i % len(Channel.values)],
            department=rsj,
            state="accepted",
            is_group=i % 7 == 0,
            is_repeat=i % 5 == 0,
            bounce_count=i % 3,
            due_at=at(20, 12),
        )
        cases.append(c)
    Case.objects.bulk_create(cases)
    Party.objects.bulk_create(
        Party(case=c, role="applicant", name=f"当事人{c.number}")
        for c in Case.objects.filter(number__startswith="BULK-", parties__isnull=True)
    )


def test_dashboard_query_count_does_not_grow_with_cases(client, supervisor, rsj):
    client.force_login(supervisor)
    url = reverse("followup:dashboard")
    _bulk_cases(10, 0, rsj)
    client.get(url)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as small:
        resp = client.get(url, {"period": "year", "date": "2026-11-01"})
    assert resp.status_code == 200 and "dashboard-data" in resp.content.decode()
    _bulk_cases(990, 10, rsj)
    with CaptureQueriesContext(connection) as large:
        resp = client.get(url, {"period": "year", "date": "2026-11-01"})
    assert resp.status_code == 200
    assert Case.objects.count() >= 1000
    assert len(large) == len(small), [q["sql"][:80] for q in large]
    assert len(large) <= 25


def test_dashboard_shows_lawsuit_rate_and_court_filing_form_saves(client, supervisor):
    client.force_login(supervisor)
    resp = client.post(
        reverse("followup:court_filing"), {"month": "2026-03", "civil": 30, "administrative": 2}
    )
    assert resp.status_code == 302
    filing = CourtFiling.objects.get(township=None)
    assert (filing.month, filing.civil, filing.administrative) == (dt.date(2026, 3, 1), 30, 2)
    page = client.get(reverse("followup:dashboard"), {"period": "month", "date": "2026-03-10"})
    population = sum(
        t.registered_population + t.floating_population for t in Township.objects.all()
    )
    assert str(round(32 * 10000 / population, 2)) in page.content.decode()


def test_evaluation_query_count_does_not_grow_with_cases(march, rsj):
    """Set-based figures: the same number of queries with 10 and 200 more cases (and
    closed ones, so the median and the averages have rows), both tables at once."""
    from followup.selectors import evaluation_tables

    def closed_bulk(n, start):
        _bulk_cases(n, start, rsj)
        Case.objects.filter(number__startswith="BULK-", closed_at__isnull=True).update(
            created_at=at(5, 9), closed_at=at(6, 9), replied_at=at(6, 8), state="closed"
        )

    closed_bulk(10, 0)
    evaluation_tables(period=MARCH)  # warm caches (content types)
    with CaptureQueriesContext(connection) as small:
        departments, townships = evaluation_tables(period=MARCH)
    closed_bulk(190, 10)
    with CaptureQueriesContext(connection) as large:
        departments, townships = evaluation_tables(period=MARCH)
    row = next(r for r in departments if r.key == rsj.pk)
    assert row.handled == 3 + 200 and sum(t.handled for t in townships) == 3 + 200
    assert len(large) == len(small), [q["sql"][:80] for q in large]
    assert len(large) <= 12
