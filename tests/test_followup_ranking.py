"""Issue 16, part 2: the ranking method computed exactly as written, on a hand-built March
2026 where every figure of both tables was worked out by hand (see the fixture's docstring).
Page, Excel and API agree; each figure clicks through to its cases; invalid periods answer
with a message."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse
from openpyxl import load_workbook

from dispatch.models import Supervision
from dispatch.services import case_approve, case_dispatch, case_return, case_sign_for
from followup.drilldown import figure_cases
from followup.evaluation import evaluate
from followup.models import CourtFiling, SatisfactionResult, Visit
from followup.periods import Period, PeriodError, period_from
from followup.services import visit_record
from intake.models import Case, Channel, Outcome
from luodian_platform.models import Department, Township, User
from luodian_platform.roles import Role
from luodian_platform.workcal import end_of_day, local_tz
from mediation import services as mediation
from mediation.models import Mediator
from tests.file_samples import signed_scan

pytestmark = pytest.mark.django_db
TZ = local_tz()
MARCH = Period(dt.date(2026, 3, 1), dt.date(2026, 3, 31), "2026年3月")
EVALUATED_AT = dt.datetime(2026, 4, 15, 10, tzinfo=TZ)
MARCH_QUERY = {"period": "month", "date": "2026-03-15"}


def at(day, hour, minute=0):
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=TZ)


def _officer(username, code):
    user = User.objects.create(username=username, department=Department.objects.get(code=code))
    user.groups.add(Group.objects.get(name=str(Role.OFFICER)))
    return user


def _reply(case, officer, when, outcome=Outcome.HANDLED, document="答复意见书"):
    with time_machine.travel(when, tick=False):
        mediation.case_reply(
            case_id=case.pk, actor=officer, outcome=outcome, text="答复", document=document
        )


def _approve(case, dispatcher, when):
    with time_machine.travel(when, tick=False):
        case_approve(case_id=case.pk, actor=dispatcher)


def _due(case, when):
    Case.objects.filter(pk=case.pk).update(due_at=when)


@pytest.fixture
def world(make_case, dispatcher, officer, officer2, followup_officer, rsj, sfj):
    """March 2026 (evaluated on 15 April). Every case registered Monday 2 March 09:00.

    人社局 (rsj), 龙坪镇, 5 cases, deadline 20 March, all closed on time:
      R1 agreement took effect 2 Mar 11:30 (2.5 h), closed 12:00 (3 h), visit 满意;
      R2 notice, closed 3 Mar 10:00 (25 h), visit 基本满意; R3 答复, closed 4 Mar 10:00 (49 h),
      12345 不满意; R4 closed 5 Mar 10:00 (73 h); R5 closed 6 Mar 10:00 (97 h).
    司法局 (sfj), 斛兴街道: S1 deadline 10 Mar, still in handling (overdue), urged 11 Mar and
      under a supervision order 13 Mar; S2 closed on time 5 Mar 10:00 (73 h); U1 misrouted to
      住建局 (zjj), which returned it with its legal basis on 3 Mar; the centre upheld the
      return and dispatched it to sfj (deadline 30 April, in time).
    公安局 (gaj), 边阳镇: F1 returned twice by gaj and dispatched back each time, the last time
      as a forced final dispatch (deadline 30 April); Y2 closed on time 6 Mar 10:00 (97 h).
    Court filings in March: 龙坪镇 3 civil + 1 administrative; 斛兴街道 0 + 0.
    """
    zjj_officer = _officer("zjj_officer", "zjj")
    gaj_officer = _officer("gaj_officer", "gaj")
    zjj, gaj = Department.objects.get(code="zjj"), Department.objects.get(code="gaj")
    hexing, bianyang = (Township.objects.get(code=c) for c in ("hexing", "bianyang"))
    luo = Mediator.objects.get(name="韦国强", kind="committee")
    cases = {}

    def new(name, dept, **kw):
        with time_machine.travel(at(2, 9), tick=False):
            c = make_case(**kw)
        with time_machine.travel(at(2, 10), tick=False):
            case_dispatch(case_id=c.pk, department=dept, actor=dispatcher)
        cases[name] = c
        return c

    # 人社局
    for name in ("R1", "R2", "R3", "R4", "R5"):
        c = new(name, rsj, channel=Channel.HOTLINE_12345, external_id=f"EX-{name}")
        with time_machine.travel(at(2, 10, 30), tick=False):
            case_sign_for(case_id=c.pk, actor=officer)
        _due(c, end_of_day(dt.date(2026, 3, 20)))
    with time_machine.travel(at(2, 11), tick=False):
        mediation.mediator_assign(case_id=cases["R1"].pk, mediator_id=luo.pk, actor=officer)
    with time_machine.travel(at(2, 11, 30), tick=False):
        mediation.agreement_record(
            actor=officer,
            case_id=cases["R1"].pk,
            committee=Department.objects.get(code="tj-labour"),
            mediator_id=luo.pk,
            facts="拖欠工资。",
            issues="数额。",
            liabilities="应支付。",
            parties=[
                mediation.AgreementPartyInput(party_id=p.pk, sign_method="signature")
                for p in cases["R1"].parties.all()
            ],
            terms=[
                mediation.AgreementTermInput(
                    content="支付工资", performance_method="转账", due_at=at(20, 18)
                )
            ],
            mediator_signed=True,
            committee_sealed=True,
            scans=[signed_scan()],
        )
    _approve(cases["R1"], dispatcher, at(2, 12))
    with time_machine.travel(at(3, 9), tick=False):
        mediation.notice_record(case_id=cases["R2"].pk, actor=officer, reason="分歧过大")
    _approve(cases["R2"], dispatcher, at(3, 10))
    for name, day in (("R3", 4), ("R4", 5), ("R5", 6)):
        _reply(cases[name], officer, at(day, 9))
        _approve(cases[name], dispatcher, at(day, 10))
    with time_machine.travel(at(10, 10), tick=False):
        for name, sat in (("R1", "satisfied"), ("R2", "basic")):
            v = Visit.objects.filter(case=cases[name]).order_by("seq").first()
            visit_record(visit_id=v.pk, actor=followup_officer, reached=True, satisfaction=sat)
    SatisfactionResult.objects.create(
        case=cases["R3"],
        channel=Channel.HOTLINE_12345,
        external_id="EX-R3",
        satisfaction="dissatisfied",
        rated_at=at(12, 9),
    )

    # 司法局
    s1 = new("S1", sfj, township=hexing)
    with time_machine.travel(at(2, 11), tick=False):
        case_sign_for(case_id=s1.pk, actor=officer2)
    _due(s1, end_of_day(dt.date(2026, 3, 10)))
    for level, day in ((1, 11), (2, 13)):
        sup = Supervision.objects.create(
            case=s1, department=sfj, level=level, message="超期", response_due_at=at(day + 2, 18)
        )
        Supervision.objects.filter(pk=sup.pk).update(created_at=at(day, 9))
    s2 = new("S2", sfj, township=hexing)
    with time_machine.travel(at(2, 11), tick=False):
        case_sign_for(case_id=s2.pk, actor=officer2)
    _due(s2, end_of_day(dt.date(2026, 3, 20)))
    _reply(s2, officer2, at(5, 9))
    _approve(s2, dispatcher, at(5, 10))
    u1 = new("U1", zjj, township=hexing)
    with time_machine.travel(at(3, 9), tick=False):
        case_return(case_id=u1.pk, actor=zjj_officer, reason="不属本局职责", legal_basis="三定方案")
    with time_machine.travel(at(3, 10), tick=False):
        case_dispatch(case_id=u1.pk, department=sfj, actor=dispatcher)
    _due(u1, end_of_day(dt.date(2026, 4, 30)))

    # 公安局
    f1 = new("F1", gaj, township=bianyang)
    for hour in (9, 11):
        with time_machine.travel(at(3, hour), tick=False):
            case_return(case_id=f1.pk, actor=gaj_officer, reason="不属本局", legal_basis="职责")
        with time_machine.travel(at(3, hour + 1), tick=False):
            case_dispatch(case_id=f1.pk, department=gaj, actor=dispatcher)
    assert Case.objects.get(pk=f1.pk).forced_dispatch
    _due(f1, end_of_day(dt.date(2026, 4, 30)))
    y2 = new("Y2", gaj, township=bianyang)
    with time_machine.travel(at(2, 11), tick=False):
        case_sign_for(case_id=y2.pk, actor=gaj_officer)
    _due(y2, end_of_day(dt.date(2026, 3, 20)))
    _reply(y2, gaj_officer, at(6, 9))
    _approve(y2, dispatcher, at(6, 10))

    longping = Township.objects.get(code="longping")
    CourtFiling.objects.create(
        month=dt.date(2026, 3, 1), township=longping, civil=3, administrative=1
    )
    CourtFiling.objects.create(
        month=dt.date(2026, 3, 1), township=hexing, civil=0, administrative=0
    )
    return {"cases": cases, "zjj": zjj, "gaj": gaj, "hexing": hexing, "bianyang": bianyang}


def _evaluate():
    with time_machine.travel(EVALUATED_AT, tick=False):
        return evaluate(period=MARCH)


def test_department_table_equals_the_hand_computed_figures_and_order(world, rsj, sfj):
    result = _evaluate()
    rows = {r.key: r for r in result.departments}
    zjj, gaj = world["zjj"], world["gaj"]

    r = rows[rsj.pk]
    assert (r.volume, r.received, r.handled, r.on_time, r.open_late, r.due) == (10, 5, 5, 5, 0, 5)
    assert (r.agreements, r.mediated) == (1, 2)
    assert (r.visits_rated, r.visits_positive, r.hotline_rated, r.hotline_positive) == (2, 2, 1, 0)
    assert (r.on_time_rate, r.success_rate, r.satisfaction_rate) == (1.0, 0.5, 0.6667)
    assert r.avg_hours == pytest.approx((3 + 25 + 49 + 73 + 97) / 5)  # 49.4
    assert r.median_hours == pytest.approx(49.0)
    assert r.avg_agreement_hours == pytest.approx(2.5)
    # (40×1 + 20×0.5 + 40×0.6667) ÷ 100 × 100 = 76.668, no deductions
    assert (r.score, r.status, r.rank) == (76.67, "ranked", 1)

    s = rows[sfj.pk]
    # S1 open past its deadline, S2 on time, U1 in time: on time 1 ÷ (1 closed + 1 overdue)
    assert (s.volume, s.received, s.handled, s.on_time, s.open_late, s.due) == (5, 3, 1, 1, 1, 2)
    assert (s.on_time_rate, s.success_rate, s.satisfaction_rate) == (0.5, None, None)
    assert (s.urges, s.supervisions, s.notices, s.returns) == (1, 1, 0, 0)
    # only the on-time rate applies: 50 − 0.5 (urge) − 1 (supervision order) = 48.5
    assert (s.score, s.status, s.rank) == (48.5, "low_volume", 3)

    g = rows[gaj.pk]
    assert (g.volume, g.handled, g.on_time, g.due, g.on_time_rate) == (3, 1, 1, 1, 1.0)
    # two returns, each followed by a dispatch back to gaj (the second one forced)
    assert (g.returns, g.bad_returns, g.upheld_returns) == (2, 2, 0)
    assert (g.score, g.status, g.rank) == (96.0, "low_volume", 2)  # 100 − 2 × 2

    z = rows[zjj.pk]
    # an upheld return costs nothing; with no case of its own it has no data, no rank
    assert (z.returns, z.upheld_returns, z.bad_returns, z.volume) == (1, 1, 0, 0)
    assert (z.score, z.rank, z.status) == (None, None, "no_data")

    # Order: the unit with enough volume first, then the marked ones; no-data units last.
    assert [r.key for r in result.departments[:3]] == [rsj.pk, gaj.pk, sfj.pk]
    others = result.departments[3:]
    assert others and all((o.status, o.score, o.rank) == ("no_data", None, None) for o in others)

    c = result.centre
    # 13 dispatches (R×5, S×2, U1×2, F1×3, Y2), one forced; U1's return upheld (misrouted)
    assert (c.dispatches, c.forced, c.returns, c.upheld_returns, c.bad_returns) == (13, 1, 3, 1, 2)
    assert c.routing_accuracy == round(12 / 13, 4)


def test_every_score_is_explained_indicator_by_indicator(world, sfj):
    row = next(r for r in _evaluate().departments if r.key == sfj.pk)
    parts = {p.key: p for p in row.parts}
    assert (parts["on_time_rate"].value, parts["on_time_rate"].points) == (0.5, 50.0)
    assert parts["success_rate"].points is None and parts["satisfaction_rate"].points is None
    assert (parts["urges"].value, parts["urges"].points) == (1, -0.5)
    assert (parts["supervisions"].value, parts["supervisions"].points) == (1, -1.0)
    assert sum(p.points or 0 for p in row.parts) == pytest.approx(row.score)


def test_township_table_equals_the_hand_computed_figures_and_order(world):
    result = _evaluate()
    rows = {r.key: r for r in result.townships}
    longping = Township.objects.get(code="longping")
    hexing, bianyang = world["hexing"], world["bianyang"]
    assert (longping.registered_population + longping.floating_population) == 119000
    assert (hexing.registered_population + hexing.floating_population) == 45000
    # county level over the townships with filings entered: 4 × 10000 ÷ 164000 = 0.2439
    assert result.county_lawsuit_rate == 0.24

    lp = rows[longping.pk]
    assert (lp.volume, lp.handled, lp.agreements, lp.filings, lp.population) == (
        10,
        5,
        1,
        4,
        119000,
    )
    assert lp.lawsuit_rate == 0.34  # 4 × 10000 ÷ 119000 = 0.336
    assert lp.lawsuit_score == round(0.24 / 0.34, 4)  # above the county level: 0.7059
    # 30×1 + 20×0.5 + 30×0.6667 + 20×0.7059 = 74.119
    assert (lp.score, lp.rank, lp.status) == (74.12, 1, "ranked")

    hx = rows[hexing.pk]
    assert (hx.volume, hx.on_time_rate, hx.lawsuit_rate, hx.lawsuit_score) == (5, 0.5, 0.0, 1.0)
    assert (hx.score, hx.rank, hx.status) == (70.0, 3, "low_volume")  # (15 + 20) ÷ 50 × 100

    by = rows[bianyang.pk]
    assert (by.volume, by.on_time_rate, by.filings, by.lawsuit_score) == (3, 1.0, None, None)
    assert (by.score, by.rank, by.status) == (100.0, 2, "low_volume")
    assert [r.key for r in result.townships[:3]] == [longping.pk, bianyang.pk, hexing.pk]
    assert all(r.status == "no_data" and r.rank is None for r in result.townships[3:])


def _page_rows(html: str, table: str) -> dict[int, str]:
    body = html.split(f'data-table="{table}"', 1)[1].split("</table></div>", 1)[0]
    return {
        int(m.group(1)): m.group(2)
        for m in re.finditer(
            r'<tr data-unit="(\d+)" data-status="\w+"[^>]*>(.*?)</details>', body, re.S
        )
    }


def test_page_excel_and_api_agree(world, client, api, supervisor, rsj, sfj):
    result = _evaluate()
    client.force_login(supervisor)
    with time_machine.travel(EVALUATED_AT, tick=False):
        page = client.get(reverse("followup:evaluation"), MARCH_QUERY)
        xlsx = client.get(reverse("followup:evaluation"), {**MARCH_QUERY, "format": "xlsx"})
        data = api(supervisor).get("/api/followup/evaluation/", MARCH_QUERY).json()
    html = page.content.decode()
    wb = load_workbook(io.BytesIO(xlsx.content))
    for table, rows, sheet in (
        ("department", result.departments, "部门考评"),
        ("township", result.townships, "乡镇考评"),
    ):
        page_rows = _page_rows(html, table)
        ws = wb[sheet]
        headers = [c.value for c in ws[2]]
        excel = {
            line[1]: dict(zip(headers, line, strict=True))
            for line in ws.iter_rows(min_row=3, values_only=True)
        }
        api_rows = {r["key"]: r for r in data[f"{table}s"]}
        assert [r["key"] for r in data[f"{table}s"]] == [r.key for r in rows]
        for row in rows:
            assert (api_rows[row.key]["score"], api_rows[row.key]["rank"]) == (row.score, row.rank)
            assert (excel[row.name]["综合得分"], excel[row.name]["排名"]) == (row.score, row.rank)
            if row.score is not None:
                assert f"<td>{row.score}</td>" in page_rows[row.key]
            else:
                assert "无数据" in page_rows[row.key] or "暂无可计分指标" in page_rows[row.key]
    longping = Township.objects.get(code="longping")
    assert wb["乡镇考评"]["A2"].value == "排名"
    assert (
        excel_lawsuit(wb, "龙坪镇")
        == 0.34
        == next(r["lawsuit_rate"] for r in data["townships"] if r["key"] == longping.pk)
    )
    assert "万人成诉率" in html and "0.34" in _page_rows(html, "township")[longping.pk]
    assert data["centre"]["routing_accuracy"] == round(12 / 13, 4)
    assert data["method"]["minimum_volume"] == 10


def excel_lawsuit(wb, name):
    ws = wb["乡镇考评"]
    headers = [c.value for c in ws[2]]
    line = next(r for r in ws.iter_rows(min_row=3, values_only=True) if r[1] == name)
    return dict(zip(headers, line, strict=True))["万人成诉率"]


@pytest.mark.parametrize(
    ("by", "unit", "figure", "expected"),
    [
        ("department", "sfj", "open_late", {"S1"}),
        ("department", "sfj", "urges", {"S1"}),
        ("department", "sfj", "supervisions", {"S1"}),
        ("department", "sfj", "received", {"S1", "S2", "U1"}),
        ("department", "gaj", "bad_returns", {"F1"}),
        ("department", "zjj", "upheld_returns", {"U1"}),
        ("department", "zjj", "bad_returns", set()),
        ("department", "rsj", "agreements", {"R1"}),
        ("department", "rsj", "mediated", {"R1", "R2"}),
        ("department", "rsj", "hotline_rated", {"R3"}),
        ("department", "rsj", "positive", {"R1", "R2"}),
        ("township", "hexing", "due", {"S1", "S2"}),
    ],
)
def test_each_figure_clicks_through_to_its_cases(world, supervisor, by, unit, figure, expected):
    model = Department if by == "department" else Township
    key = model.objects.get(code=unit).pk
    with time_machine.travel(EVALUATED_AT, tick=False):
        got = figure_cases(user=supervisor, period=MARCH, by=by, key=key, figure=figure)
        numbers = set(got.values_list("number", flat=True))
    assert numbers == {world["cases"][n].number for n in expected}


def test_click_through_page_lists_and_exports_and_respects_access(
    world, client, supervisor, officer, sfj, rsj
):
    url = reverse("followup:evaluation_cases")
    query = {"by": "department", "key": sfj.pk, "figure": "open_late", **MARCH_QUERY}
    s1 = world["cases"]["S1"].number
    client.force_login(supervisor)
    with time_machine.travel(EVALUATED_AT, tick=False):
        page = client.get(url, query)
        xlsx = client.get(url, {**query, "format": "xlsx"})
        assert page.status_code == 200 and s1 in page.content.decode()
        ws = load_workbook(io.BytesIO(xlsx.content)).active
        assert [r[0] for r in ws.iter_rows(min_row=3, values_only=True)] == [s1]
        # the department table's cell links to the same list
        html = client.get(reverse("followup:evaluation"), MARCH_QUERY).content.decode()
        assert f"key={sfj.pk}&amp;figure=open_late" in html
        client.force_login(officer)  # 人社局: own department only
        assert client.get(url, query).status_code == 404
        own = client.get(url, {**query, "key": rsj.pk, "figure": "agreements"})
        assert own.status_code == 200
        assert world["cases"]["R1"].number in own.content.decode()
        assert client.get(url, {**query, "figure": "nonsense"}).status_code == 404
    client.logout()
    assert client.get(url, query).status_code == 302


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"start": "abc"}, "start", "无效"),
        ({"period": "custom", "start": "2026-03-10", "end": "2026-03-01"}, "start", "晚于"),
        ({"year": "2999"}, "year", "尚未开始"),
        ({"year": "20x5"}, "year", "无效"),
        ({"period": "month", "date": "2026-02-30"}, "date", "无效"),
        ({"period": "decade"}, "period", "只能是"),
        ({"period": "custom", "start": "2026-03-01"}, "end", "无效"),
    ],
)
def test_invalid_periods_answer_with_a_message(client, api, supervisor, params, field, words):
    with pytest.raises(PeriodError) as exc:
        period_from(params, today=dt.date(2026, 4, 15))
    assert exc.value.field == field and words in exc.value.message
    client.force_login(supervisor)
    with time_machine.travel(EVALUATED_AT, tick=False):
        for name in ("followup:evaluation", "followup:dashboard"):
            page = client.get(reverse(name), params)
            assert page.status_code == 400
            assert f'data-period-error="{field}"' in page.content.decode()
            assert exc.value.message in page.content.decode()
        answer = api(supervisor).get("/api/followup/evaluation/", params)
    assert answer.status_code == 400
    assert answer.json()["error"]["fields"][field] == [exc.value.message]


def test_valid_periods_still_work(client, supervisor):
    today = dt.date(2026, 4, 15)
    assert period_from({"year": "2025"}, today=today) == Period(
        dt.date(2025, 1, 1), dt.date(2025, 12, 31), "2025年"
    )
    assert period_from({}, today=today).start == dt.date(2026, 4, 1)
    quarter = period_from({"period": "quarter", "date": "2026-02-10"}, today=today)
    assert (quarter.start, quarter.end) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    custom = period_from({"start": "2026-03-01", "end": "2026-03-01"}, today=today)
    assert (custom.start, custom.end) == (dt.date(2026, 3, 1), dt.date(2026, 3, 1))


def test_api_access(api, clerk, officer, supervisor, rsj):
    assert api(None).get("/api/followup/evaluation/").status_code in (401, 403)
    assert api(clerk).get("/api/followup/evaluation/").status_code == 403
    own = api(officer).get("/api/followup/evaluation/").json()
    assert [r["key"] for r in own["departments"]] == [rsj.pk] and own["townships"] == []
    assert own["centre"] is None


def test_method_page_states_the_weights_in_force(client, supervisor, clerk):
    from followup.models import EvaluationWeight

    EvaluationWeight.objects.create(metric="minimum_volume", weight=8)
    EvaluationWeight.objects.create(metric="township.lawsuit_score", weight=25)
    client.force_login(supervisor)
    html = client.get(reverse("followup:evaluation_method")).content.decode()
    for words in (
        "考评办法",
        "按期办结率",
        "不当退单",
        "万人成诉率",
        "无数据",
        "8 件",
        "第二十九条",
    ):
        assert words in html
    assert re.search(r'data-indicator="lawsuit_score">.*?<td>25\.0</td>', html, re.S)
    client.force_login(clerk)
    assert client.get(reverse("followup:evaluation_method")).status_code == 403
