"""Routing (分流派单): suggestion per rule, confirm and override, co-handling, returns with
reason and legal basis, bounce count, forced dispatch, department isolation; API and pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dispatch.models import DispatchRecord, RoutingRule
from dispatch.panels import routing_context
from dispatch.routing import routing_suggest
from dispatch.services import case_dispatch, case_dispatch_suggested, case_return, case_sign_for
from intake.models import Case, State
from luodian_platform.errors import Conflict, NotAllowed, NotFound, ServiceError
from luodian_platform.models import Category, Department, Township

pytestmark = pytest.mark.django_db


def dept(code: str) -> Department:
    return Department.objects.get(code=code)


# --- suggestion ------------------------------------------------------------------------


def test_category_rule_suggests_lead_and_co_departments(make_case):
    s = routing_suggest(make_case("labour"))
    assert s.department.code == "rsj"
    assert {d.code for d in s.co_departments} == {"tj-labour", "ldjc"}
    assert s.rule.category.code == "labour" and s.conditions == ["类别=劳动争议(欠薪)"]


def test_most_specific_rule_wins_township_channel_keyword(make_case):
    labour = Category.objects.get(code="labour")
    longping = Township.objects.get(code="longping")
    RoutingRule.objects.create(category=labour, township=longping, department=dept("zfw"))
    by_keyword = RoutingRule.objects.create(
        category=labour, township=longping, keywords="工地,农民工", department=dept("ldjc")
    )
    case = make_case("labour")  # township longping, facts mention 工地
    s = routing_suggest(case)
    assert s.rule == by_keyword and s.department.code == "ldjc" and s.matched_keyword == "工地"
    assert "关键词=工地" in s.conditions


def test_rule_for_another_township_or_channel_does_not_match(make_case):
    labour = Category.objects.get(code="labour")
    RoutingRule.objects.create(
        category=labour, township=Township.objects.get(code="luosha"), department=dept("zfw")
    )
    RoutingRule.objects.create(category=labour, channel="court", department=dept("court"))
    RoutingRule.objects.create(category=labour, keywords="拆迁", department=dept("zjj"))
    assert routing_suggest(make_case("labour")).department.code == "rsj"


def test_equal_specificity_lower_priority_number_wins(make_case):
    labour = Category.objects.get(code="labour")
    RoutingRule.objects.create(
        category=labour, keywords="工资", priority=50, department=dept("zfw")
    )
    RoutingRule.objects.create(
        category=labour, keywords="工地", priority=10, department=dept("ldjc")
    )
    assert routing_suggest(make_case("labour")).department.code == "ldjc"


def test_inactive_rule_is_ignored_and_no_rule_gives_none(make_case):
    RoutingRule.objects.filter(category__code="labour").update(is_active=False)
    assert routing_suggest(make_case("labour")) is None


# --- confirm and override --------------------------------------------------------------


def test_confirm_dispatches_to_suggestion_with_co_departments(make_case, dispatcher):
    case = case_dispatch_suggested(case_id=make_case("labour").pk, actor=dispatcher)
    assert case.state == State.DISPATCHED and case.department.code == "rsj"
    record = DispatchRecord.objects.get(case=case, is_current=True)
    assert record.followed_suggestion and record.rule.category.code == "labour"
    assert {d.code for d in record.co_departments.all()} == {"tj-labour", "ldjc"}
    event = case.events.get(transition="dispatch")
    assert event.payload["followed_suggestion"] is True


def test_override_records_that_the_suggestion_was_not_followed(make_case, dispatcher):
    case = case_dispatch(
        case_id=make_case("labour").pk,
        department=dept("sfj"),
        co_departments=[dept("fl")],
        actor=dispatcher,
    )
    record = DispatchRecord.objects.get(case=case, is_current=True)
    assert not record.followed_suggestion and record.rule is not None
    assert [d.code for d in record.co_departments.all()] == ["fl"]


def test_confirm_without_rule_is_a_conflict(make_case, dispatcher):
    RoutingRule.objects.filter(category__code="labour").delete()
    with pytest.raises(Conflict):
        case_dispatch_suggested(case_id=make_case("labour").pk, actor=dispatcher)


def test_officer_cannot_confirm_a_suggestion(make_case, officer, clerk):
    case = make_case("labour")
    with pytest.raises(NotFound):  # a registered case is invisible to a department
        case_dispatch_suggested(case_id=case.pk, actor=officer)
    with pytest.raises(NotAllowed):  # the clerk who registered it sees it, may not dispatch
        case_dispatch_suggested(case_id=case.pk, actor=clerk)


def test_co_handling_department_sees_the_case_but_cannot_sign_or_return(
    make_case, dispatcher, officer2
):
    case = make_case("labour")
    case_dispatch(
        case_id=case.pk, department=dept("rsj"), co_departments=[dept("sfj")], actor=dispatcher
    )
    assert Case.objects.visible_to(officer2).filter(pk=case.pk).exists()
    with pytest.raises(NotAllowed):
        case_sign_for(case_id=case.pk, actor=officer2)
    with pytest.raises(NotAllowed):
        case_return(case_id=case.pk, actor=officer2, reason="不归我们")


# --- returns, bounce count, forced dispatch ----------------------------------------------


def test_return_with_reason_and_basis_counts_a_bounce_and_ends_the_dispatch(
    make_case, dispatcher, officer
):
    case = make_case("labour")
    case_dispatch_suggested(case_id=case.pk, actor=dispatcher)
    case = case_return(
        case_id=case.pk,
        actor=officer,
        reason="属于土地权属争议",
        legal_basis="《土地管理法》第14条",
    )
    assert case.state == State.REGISTERED and case.bounce_count == 1
    assert not DispatchRecord.objects.filter(case=case, is_current=True).exists()
    event = case.events.get(transition="return_case")
    assert event.note == "属于土地权属争议"
    assert event.payload == {"legal_basis": "《土地管理法》第14条", "department": "rsj"}


def test_forced_dispatch_after_repeated_returns_cannot_be_returned(
    make_case, dispatcher, officer, settings
):
    settings.FORCED_DISPATCH_AFTER_RETURNS = 2
    case = make_case("labour")
    for _i in range(2):
        case_dispatch(case_id=case.pk, department=dept("rsj"), actor=dispatcher)
        case_return(case_id=case.pk, actor=officer, reason="不属于本部门", legal_basis="三定方案")
    case = case_dispatch(case_id=case.pk, department=dept("rsj"), actor=dispatcher)
    assert case.forced_dispatch
    assert DispatchRecord.objects.get(case=case, is_current=True).forced
    with pytest.raises(Conflict, match="强制派单"):
        case_return(case_id=case.pk, actor=officer, reason="还是不归我们", legal_basis="三定方案")


def test_officer_of_another_department_cannot_see_sign_or_return(make_case, dispatcher, officer2):
    case = make_case("labour")
    case_dispatch(case_id=case.pk, department=dept("rsj"), actor=dispatcher)
    assert not Case.objects.visible_to(officer2).filter(pk=case.pk).exists()
    with pytest.raises(NotFound):
        case_sign_for(case_id=case.pk, actor=officer2)
    with pytest.raises(NotFound):
        case_return(case_id=case.pk, actor=officer2, reason="x", legal_basis="y")


# --- API -----------------------------------------------------------------------------------


def test_api_routing_suggestion_shows_rule_dispatches_and_returns(
    make_case, dispatcher, officer, api
):
    case = make_case("labour")
    url = f"/api/cases/{case.pk}/routing-suggestion/"
    body = api(dispatcher).get(url).json()
    assert body["suggestion"]["department"]["code"] == "rsj" and body["bounce_count"] == 0
    assert body["suggestion"]["rule_id"] == routing_suggest(case).rule.pk
    case_dispatch_suggested(case_id=case.pk, actor=dispatcher)
    r = api(officer).post(
        f"/api/cases/{case.pk}/return_case/",
        {"reason": "不属于", "legal_basis": "职责清单"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["bounce_count"] == 1
    body = api(dispatcher).get(url).json()
    assert body["bounce_count"] == 1
    assert body["returns"][0] == {
        "at": body["returns"][0]["at"],
        "actor": "张承办",
        "department": "rsj",
        "reason": "不属于",
        "legal_basis": "职责清单",
    }
    assert body["dispatches"][0]["followed_suggestion"] and not body["dispatches"][0]["is_current"]


def test_api_return_requires_legal_basis(make_case, dispatcher, officer, api):
    case = make_case("labour")
    case_dispatch_suggested(case_id=case.pk, actor=dispatcher)
    r = api(officer).post(f"/api/cases/{case.pk}/return_case/", {"reason": "不属于"}, format="json")
    assert r.status_code == 400 and "legal_basis" in r.json()["error"]["fields"]


def test_api_dispatch_with_co_departments_and_bad_department(make_case, dispatcher, api):
    case = make_case("labour")
    url = f"/api/cases/{case.pk}/dispatch/"
    r = api(dispatcher).post(url, {"department": "nope"}, format="json")
    assert r.status_code == 400 and "department" in r.json()["error"]["fields"]
    r = api(dispatcher).post(
        url, {"department": "sfj", "co_departments": ["fl", "gaj"]}, format="json"
    )
    assert r.status_code == 200 and r.json()["department"] == "sfj"
    record = DispatchRecord.objects.get(case_id=case.pk, is_current=True)
    assert sorted(d.code for d in record.co_departments.all()) == ["fl", "gaj"]


def test_api_confirm_suggestion_roles(make_case, dispatcher, officer, clerk, outsider, api):
    case = make_case("labour")
    url = f"/api/cases/{case.pk}/dispatch-suggested/"
    assert api(None).post(url, {}, format="json").status_code in (401, 403)
    assert api(outsider).post(url, {}, format="json").status_code == 404
    assert api(officer).post(url, {}, format="json").status_code == 404
    assert api(clerk).post(url, {}, format="json").status_code == 403
    assert api(dispatcher).post(url, {"version": 99}, format="json").status_code == 409
    r = api(dispatcher).post(url, {"version": case.version}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "dispatched"
    assert api(dispatcher).post(url, {}, format="json").status_code == 409  # already dispatched


def test_api_routing_suggestion_is_404_for_other_department(make_case, dispatcher, officer2, api):
    case = make_case("labour")
    case_dispatch_suggested(case_id=case.pk, actor=dispatcher)
    assert api(officer2).get(f"/api/cases/{case.pk}/routing-suggestion/").status_code == 404
    assert api(None).get(f"/api/cases/{case.pk}/routing-suggestion/").status_code in (401, 403)


# --- pages -------------------------------------------------------------------------------


def test_routing_panel_shows_the_suggestion_and_the_confirm_button(make_case, dispatcher, rf):
    from django.template.loader import render_to_string

    case = make_case("labour")
    request = rf.get("/")
    request.user = dispatcher
    ctx = routing_context(case=case, user=dispatcher, request=request)
    assert ctx["can_dispatch"] and ctx["suggestion"].department.code == "rsj"
    html = render_to_string("dispatch/panel_routing.html", {"panel": ctx}, request=request)
    assert "县人社局" in html and reverse("dispatch:confirm_suggestion", args=[case.pk]) in html
    assert "劳动争议人民调解委员会" in html  # co-handling suggestion


def test_confirm_page_dispatches_and_redirects(make_case, dispatcher, officer, client):
    case = make_case("labour")
    client.force_login(officer)
    r = client.post(reverse("dispatch:confirm_suggestion", args=[case.pk]))
    assert r.status_code == 404
    client.force_login(dispatcher)
    r = client.post(
        reverse("dispatch:confirm_suggestion", args=[case.pk]), {"version": case.version}
    )
    assert r.status_code == 302 and Case.objects.get(pk=case.pk).department.code == "rsj"
    assert client.get(reverse("dispatch:confirm_suggestion", args=[case.pk])).status_code == 405


def _unstaffed_department():
    from luodian_platform.models import Department

    return Department.objects.create(code="kjj-test", name="县科技局", kind="department")


def test_dispatch_to_a_department_nobody_can_sign_for_needs_confirmation(make_case, dispatcher):
    department = _unstaffed_department()
    case = make_case()
    with pytest.raises(ServiceError) as refused:
        case_dispatch(case_id=case.pk, department=department, actor=dispatcher)
    assert refused.value.code == "unstaffed" and "县科技局" in refused.value.message
    assert "confirm_unstaffed" in refused.value.fields
    case.refresh_from_db()
    assert case.state == "registered"
    case = case_dispatch(
        case_id=case.pk, department=department, actor=dispatcher, confirm_unstaffed=True
    )
    assert case.state == "dispatched" and case.department_id == department.pk


def test_the_api_and_page_ask_for_the_same_confirmation(api, client, make_case, dispatcher):
    department = _unstaffed_department()
    case = make_case()
    url = f"/api/cases/{case.pk}/dispatch/"
    response = api(dispatcher).post(url, {"department": department.code}, format="json")
    assert response.status_code == 400
    assert "confirm_unstaffed" in response.json()["error"]["fields"]
    client.force_login(dispatcher)
    response = client.post(
        f"/cases/{case.pk}/act/dispatch/",
        {"department": department.code, "confirm_unstaffed": "on"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.department_id == department.pk


def test_system_check_names_routing_rules_whose_department_has_nobody():
    from dispatch.checks import unstaffed_routing_rules
    from dispatch.models import RoutingRule
    from luodian_platform.models import Category

    assert unstaffed_routing_rules() == []  # the demo county staffs every routed department
    department = _unstaffed_department()
    rule = RoutingRule.objects.filter(category=Category.objects.get(code="land")).first()
    rule.department = department
    rule.save()
    warnings = unstaffed_routing_rules()
    assert [w.id for w in warnings] == ["dispatch.W001"] and "县科技局" in warnings[0].msg


def test_the_case_page_names_the_returning_department_not_its_code(
    client, make_case, dispatcher, officer2, sfj
):
    case = make_case(category_code="neighbour")
    case_dispatch(case_id=case.pk, department=sfj, actor=dispatcher)
    case_return(case_id=case.pk, actor=officer2, reason="不属本部门职责", legal_basis="三定方案")
    client.force_login(dispatcher)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"({sfj.name})" in page and "(sfj)" not in page
