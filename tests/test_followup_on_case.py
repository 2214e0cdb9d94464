"""Follow-up on the case (issue 18): visits and their results on the case timeline and in
a panel with links; the workbench's views (due today, overdue, upcoming, all), filters and
pagination, with query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dispatch.services import case_dispatch
from followup.models import Visit
from followup.services import visit_record
from followup.workbench import visit_list
from intake.notes import case_timeline_entries, note_add
from luodian_platform.errors import NotAllowed
from luodian_platform.models import Township
from luodian_platform.workcal import local_date
from tests.test_followup_visits import handle_and_close

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed_case(make_case, dispatcher, officer, rsj):
    case = make_case()
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    return handle_and_close(case.pk, officer, dispatcher)


def visits(case):
    return list(Visit.objects.filter(case=case).order_by("round", "seq"))


def test_visits_and_results_are_on_the_timeline_with_links(
    closed_case, followup_officer, officer, dispatcher
):
    first = visits(closed_case)[0]
    visit_record(
        visit_id=first.pk,
        actor=followup_officer,
        reached=True,
        satisfaction="satisfied",
        comments="对处理结果满意",
    )
    entries = case_timeline_entries(case=closed_case, user=dispatcher)
    done = [e for e in entries if e.kind == "visit" and e.obj.pk == first.pk]
    assert len(done) == 1
    assert "满意" in done[0].text and "对处理结果满意" in done[0].text
    assert done[0].url == reverse("followup:visit", args=[first.pk])
    scheduled = [e for e in entries if e.kind == "visit" and e.obj.status == "scheduled"]
    assert scheduled and all(e.badge for e in scheduled)
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    # the officer sees the result but gets no link to a visit page they cannot open
    officer_entries = case_timeline_entries(case=closed_case, user=officer)
    assert all(e.url == "" for e in officer_entries if e.kind == "visit")


def test_case_page_panel_lists_visits_with_links(client, closed_case, dispatcher, officer):
    client.force_login(dispatcher)
    html = client.get(reverse("intake:case_detail", args=[closed_case.pk])).content.decode()
    assert 'id="panel-visits"' in html
    for v in visits(closed_case):
        assert reverse("followup:visit", args=[v.pk]) in html
    client.force_login(officer)
    html = client.get(reverse("intake:case_detail", args=[closed_case.pk])).content.decode()
    assert 'id="panel-visits"' in html and "/followup/visits/" not in html


def test_no_panel_before_the_case_is_closed(client, make_case, dispatcher):
    case = make_case()
    client.force_login(dispatcher)
    html = client.get(reverse("intake:case_detail", args=[case.pk])).content.decode()
    assert 'id="panel-visits"' not in html


def test_followup_officer_reads_but_does_not_write_notes(closed_case, followup_officer, api):
    with pytest.raises(NotAllowed):
        note_add(case_id=closed_case.pk, actor=followup_officer, kind="phone", text="回访电话")
    url = reverse("api:case-notes", args=[closed_case.pk])
    assert api(followup_officer).get(url).status_code == 200
    resp = api(followup_officer).post(url, {"kind": "phone", "text": "x"}, format="json")
    assert resp.status_code == 403


# --- the workbench ------------------------------------------------------------------------


def _spread(case, today):
    """Move the case's visits: one overdue, one due today."""
    vs = visits(case)
    Visit.objects.filter(pk=vs[0].pk).update(due_date=today - dt.timedelta(days=3))
    Visit.objects.filter(pk=vs[1].pk).update(due_date=today)
    return vs


def test_views_due_overdue_upcoming_all(closed_case, followup_officer, make_case, dispatcher):
    today = local_date()
    vs = _spread(closed_case, today)

    def ids(view, **f):
        return {
            v.pk
            for v in visit_list(user=followup_officer, filters={"view": view, **f}, today=today)
        }

    assert ids("due") == {vs[0].pk, vs[1].pk}
    assert ids("overdue") == {vs[0].pk}
    assert ids("upcoming") == set()
    Visit.objects.filter(pk=vs[1].pk).update(due_date=today + dt.timedelta(days=5))
    assert ids("upcoming") == {vs[1].pk}
    assert ids("all") == {vs[0].pk, vs[1].pk}
    assert ids("all", status="done") == set()
    assert ids("all", due_from=today) == {vs[1].pk}
    assert ids("all", due_to=today) == {vs[0].pk}
    other = Township.objects.exclude(pk=closed_case.township_id).first()
    assert ids("all", township=other) == set()
    assert ids("all", township=closed_case.township) == {vs[0].pk, vs[1].pk}
    assert ids("all", department=closed_case.department) == {vs[0].pk, vs[1].pk}


def test_workbench_page_filters_and_bad_filters_are_explained(
    client, closed_case, followup_officer
):
    today = local_date()
    _spread(closed_case, today)
    client.force_login(followup_officer)
    url = reverse("followup:workbench")
    html = client.get(url).content.decode()
    assert closed_case.number in html and "已逾期" in html
    html = client.get(url, {"view": "upcoming"}).content.decode()
    assert closed_case.number not in html
    resp = client.get(url, {"view": "all", "due_from": "昨天", "status": "nope", "township": "x"})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "请按「年-月-日」填写日期" in html and "请选择正确的回访状态" in html
    assert closed_case.number in html  # the wrong filters are left out, not a 500
    resp = client.get(url, {"view": "all", "due_from": "2030-01-02", "due_to": "2030-01-01"})
    assert "结束日期不能早于开始日期" in resp.content.decode()
    assert client.get(url, {"page": "999"}).status_code == 200


def test_workbench_is_paginated_and_query_count_does_not_grow(
    client,
    closed_case,
    followup_officer,
    make_case,
    dispatcher,
    officer,
    rsj,
    django_assert_max_num_queries,
):
    client.force_login(followup_officer)
    url = reverse("followup:workbench")
    with django_assert_max_num_queries(30) as one:
        client.get(url, {"view": "all"})
    for _i in range(14):
        c = make_case()
        case_dispatch(case_id=c.pk, department=rsj, actor=dispatcher)
        handle_and_close(c.pk, officer, dispatcher)
    assert Visit.objects.filter(assignee=followup_officer).count() > 25
    with django_assert_max_num_queries(len(one.captured_queries)):
        html = client.get(url, {"view": "all"}).content.decode()
    assert "下一页" in html
    assert client.get(url, {"view": "all", "page": "2"}).status_code == 200


def test_officer_cannot_open_the_workbench(client, closed_case, officer):
    client.force_login(officer)
    assert client.get(reverse("followup:workbench")).status_code == 403
