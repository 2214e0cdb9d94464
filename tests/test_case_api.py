"""The case API: list, detail, and the generated POST /api/cases/{id}/<action>/ endpoints."""

from __future__ import annotations

import pytest

from intake.models import Case, CaseEvent, State

pytestmark = pytest.mark.django_db


def test_list_shows_only_visible_cases(api, make_case, clerk, officer, dispatcher):
    mine = make_case()
    assert [c["number"] for c in api(clerk).get("/api/cases/").json()["results"]] == [mine.number]
    assert api(officer).get("/api/cases/").json()["results"] == []  # not dispatched to 人社局 yet
    assert mine.number in [
        c["number"] for c in api(dispatcher).get("/api/cases/").json()["results"]
    ]


def test_list_uses_keyset_pagination_without_count(
    api, make_case, dispatcher, django_assert_max_num_queries
):
    for _ in range(3):
        make_case()
    with django_assert_max_num_queries(4):
        body = api(dispatcher).get("/api/cases/?page_size=2").json()
    assert "count" not in body and body["next"]
    second = api(dispatcher).get(body["next"]).json()
    assert {c["id"] for c in body["results"]}.isdisjoint({c["id"] for c in second["results"]})


def test_list_query_count_does_not_grow_with_rows(api, make_case, dispatcher):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_case()
    client = api(dispatcher)
    client.get("/api/cases/")  # warm up per-user caches
    with CaptureQueriesContext(connection) as small:
        client.get("/api/cases/")
    for _ in range(10):
        make_case()
    with CaptureQueriesContext(connection) as large:
        assert len(client.get("/api/cases/").json()["results"]) == 11
    assert len(large.captured_queries) == len(small.captured_queries) <= 3


def test_filters(api, make_case, dispatcher, rsj):
    from dispatch.services import case_dispatch

    a = make_case()
    b = make_case("family")
    case_dispatch(case_id=a.pk, department=rsj, actor=dispatcher)
    client = api(dispatcher)
    numbers = lambda q: {c["number"] for c in client.get(f"/api/cases/?{q}").json()["results"]}  # noqa: E731
    assert numbers("state=dispatched") == {a.number}
    assert numbers("department=rsj") == {a.number}
    assert b.number in numbers("category=family") and a.number not in numbers("category=family")
    assert numbers(f"q={a.number}") == {a.number}


def test_detail_shows_masked_parties_timeline_and_available_actions(api, make_case, dispatcher):
    case = make_case()
    body = api(dispatcher).get(f"/api/cases/{case.pk}/").json()
    assert body["state"] == "registered" and body["state_label"] == "已登记"
    assert "dispatch" in body["available_actions"]
    assert body["events"][0]["transition"] == "register"
    applicant = next(p for p in body["parties"] if p["role"] == "applicant")
    assert "*" in applicant["id_number"] and "*" in applicant["phone"]


def test_detail_of_invisible_case_is_404(api, make_case, officer2):
    case = make_case()
    assert api(officer2).get(f"/api/cases/{case.pk}/").status_code == 404


def test_dispatch_action_succeeds_and_logs(api, make_case, dispatcher):
    case = make_case()
    response = api(dispatcher).post(
        f"/api/cases/{case.pk}/dispatch/",
        {"department": "rsj", "version": case.version},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "dispatched"
    assert CaseEvent.objects.filter(case=case, transition="dispatch").count() == 1


def test_illegal_action_answers_409_in_chinese(api, make_case, dispatcher):
    case = make_case()
    response = api(dispatcher).post(f"/api/cases/{case.pk}/archive/", {}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "illegal_transition" and "已登记" in error["message"]


def test_stale_version_answers_409(api, make_case, dispatcher):
    case = make_case()
    response = api(dispatcher).post(
        f"/api/cases/{case.pk}/dispatch/",
        {"department": "rsj", "version": case.version + 5},
        format="json",
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "stale"
    assert Case.objects.get(pk=case.pk).state == State.REGISTERED


def test_bad_input_answers_400_with_fields(api, make_case, dispatcher):
    case = make_case()
    response = api(dispatcher).post(
        f"/api/cases/{case.pk}/dispatch/", {"department": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "department" in response.json()["error"]["fields"]


def test_malformed_json_answers_400(api, make_case, dispatcher):
    case = make_case()
    response = api(dispatcher).post(
        f"/api/cases/{case.pk}/dispatch/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"


def test_wrong_role_answers_403(api, make_case, clerk):
    case = make_case()
    response = api(clerk).post(
        f"/api/cases/{case.pk}/dispatch/", {"department": "rsj"}, format="json"
    )
    assert response.status_code == 403


def test_other_department_action_answers_404(api, make_case, dispatcher, officer2):
    case = make_case()
    api(dispatcher).post(f"/api/cases/{case.pk}/dispatch/", {"department": "rsj"}, format="json")
    assert (
        api(officer2).post(f"/api/cases/{case.pk}/sign_for/", {}, format="json").status_code == 404
    )


def test_anonymous_is_refused(api, make_case):
    case = make_case()
    assert api(None).get(f"/api/cases/{case.pk}/").status_code in (401, 403)
    assert api(None).post(f"/api/cases/{case.pk}/dispatch/", {}, format="json").status_code in (
        401,
        403,
    )
