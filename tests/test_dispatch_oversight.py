"""Urge → supervise → notice, corrections with feedback and suggestions, and the two
workbenches (lists, filters, sorting, query counts)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from dispatch.models import Correction, Supervision
from dispatch.selectors import correction_suggestions
from dispatch.services import (
    case_dispatch,
    case_return,
    case_send_back,
    case_sign_for,
    correction_create,
    correction_feedback,
    correction_record_talk,
    supervision_create,
    supervision_respond,
)
from intake.models import Case, Outcome, RiskLevel
from luodian_platform.errors import Conflict, NotAllowed, NotFound, ServiceError
from luodian_platform.models import Department
from mediation.services import case_reply

pytestmark = pytest.mark.django_db
URGE, SUPERVISE, NOTICE = (
    Supervision.Level.URGE,
    Supervision.Level.SUPERVISE,
    Supervision.Level.NOTICE,
)


@pytest.fixture
def case(make_case, dispatcher, rsj):
    c = make_case("labour")
    return case_dispatch(case_id=c.pk, department=rsj, actor=dispatcher)


# --- urge → supervise → notice -------------------------------------------------------------


def test_escalation_urge_then_supervise_then_notice(case, dispatcher, supervisor, rsj):
    urge = supervision_create(case_id=case.pk, level=URGE, actor=dispatcher, message="请加快办理")
    assert urge.department == rsj and urge.response_due_at > timezone.now()
    sup = supervision_create(case_id=case.pk, level=SUPERVISE, actor=supervisor, message="督办")
    note = supervision_create(case_id=case.pk, level=NOTICE, actor=dispatcher, message="通报批评")
    assert [s.level for s in Supervision.objects.filter(case=case).order_by("id")] == [1, 2, 3]
    assert sup.response_due_at > urge.response_due_at and note.response_due_at > sup.response_due_at
    assert list(
        case.events.filter(transition__in=["urge", "supervise", "notice"])
        .order_by("id")
        .values_list("transition", flat=True)
    ) == ["urge", "supervise", "notice"]


def test_escalation_cannot_skip_a_level(case, dispatcher):
    with pytest.raises(Conflict, match="催办"):
        supervision_create(case_id=case.pk, level=SUPERVISE, actor=dispatcher, message="x")
    supervision_create(case_id=case.pk, level=URGE, actor=dispatcher, message="x")
    with pytest.raises(Conflict, match="督办"):
        supervision_create(case_id=case.pk, level=NOTICE, actor=dispatcher, message="x")


def test_bad_supervision_input(case, dispatcher, make_case):
    with pytest.raises(ServiceError):
        supervision_create(case_id=case.pk, level=7, actor=dispatcher, message="x")
    with pytest.raises(ServiceError):
        supervision_create(case_id=case.pk, level=URGE, actor=dispatcher, message=" ")
    with pytest.raises(ServiceError):
        supervision_create(
            case_id=case.pk,
            level=URGE,
            actor=dispatcher,
            message="x",
            response_due_at=timezone.now() - dt.timedelta(hours=1),
        )
    undispatched = make_case("labour")
    with pytest.raises(ServiceError):
        supervision_create(case_id=undispatched.pk, level=URGE, actor=dispatcher, message="x")


def test_automatic_urge_is_idempotent_for_the_sweep(case):
    first = supervision_create(
        case_id=case.pk, level=URGE, actor=None, message="超期自动催办", automatic=True
    )
    again = supervision_create(
        case_id=case.pk, level=URGE, actor=None, message="超期自动催办", automatic=True
    )
    assert first.pk == again.pk and first.automatic and first.created_by is None
    assert Supervision.objects.filter(case=case).count() == 1
    with pytest.raises(IntegrityError):
        Supervision.objects.create(
            case=case,
            department=case.department,
            level=URGE,
            message="x",
            response_due_at=timezone.now(),
            automatic=True,
        )


def test_only_the_centre_supervises(case, officer, officer2, outsider):
    with pytest.raises(NotAllowed):
        supervision_create(case_id=case.pk, level=URGE, actor=officer, message="x")
    with pytest.raises(NotFound):
        supervision_create(case_id=case.pk, level=URGE, actor=officer2, message="x")
    with pytest.raises(NotFound):
        supervision_create(case_id=case.pk, level=URGE, actor=outsider, message="x")
    with pytest.raises(NotFound):  # not automatic: a missing actor is nobody
        supervision_create(case_id=case.pk, level=URGE, actor=None, message="x")


def test_department_responds_once_other_department_gets_404(case, dispatcher, officer, officer2):
    urge = supervision_create(case_id=case.pk, level=URGE, actor=dispatcher, message="请说明进度")
    with pytest.raises(NotFound):
        supervision_respond(supervision_id=urge.pk, actor=officer2, response="x")
    with pytest.raises(NotAllowed):
        supervision_respond(supervision_id=urge.pk, actor=dispatcher, response="x")
    with pytest.raises(ServiceError):
        supervision_respond(supervision_id=urge.pk, actor=officer, response="")
    done = supervision_respond(supervision_id=urge.pk, actor=officer, response="已约双方下周调解")
    assert done.is_answered and done.responded_by == officer
    with pytest.raises(Conflict):
        supervision_respond(supervision_id=urge.pk, actor=officer, response="再答一次")


def test_supervision_api(case, dispatcher, officer, officer2, clerk, outsider, api):
    url = f"/api/cases/{case.pk}/supervisions/"
    assert api(None).post(url, {"level": 1, "message": "x"}, format="json").status_code in (
        401,
        403,
    )
    assert api(outsider).post(url, {"level": 1, "message": "x"}, format="json").status_code == 404
    assert api(officer2).post(url, {"level": 1, "message": "x"}, format="json").status_code == 404
    assert api(officer).post(url, {"level": 1, "message": "x"}, format="json").status_code == 403
    assert api(clerk).post(url, {"level": 1, "message": "x"}, format="json").status_code == 403
    r = api(dispatcher).post(url, {"level": 9, "message": "x"}, format="json")
    assert r.status_code == 400 and "level" in r.json()["error"]["fields"]
    assert api(dispatcher).post(url, {"level": 2, "message": "x"}, format="json").status_code == 409
    r = api(dispatcher).post(url, {"level": 1, "message": "请加快"}, format="json")
    assert r.status_code == 201 and r.json()["level_label"] == "催办"
    sid = r.json()["id"]
    assert [
        s["id"] for s in api(officer).get("/api/supervisions/?answered=false").json()["results"]
    ] == [sid]
    assert api(officer2).get("/api/supervisions/").json()["results"] == []
    resp = f"/api/supervisions/{sid}/response/"
    assert api(officer2).post(resp, {"response": "x"}, format="json").status_code == 404
    assert api(officer).post(resp, {}, format="json").status_code == 400
    r = api(officer).post(resp, {"response": "已处理"}, format="json")
    assert r.status_code == 200 and r.json()["response"] == "已处理"
    assert api(officer).get(url).json()[0]["response"] == "已处理"


# --- corrections ------------------------------------------------------------------------------


def test_correction_against_department_with_feedback(case, dispatcher, officer, officer2, rsj):
    corr = correction_create(
        actor=dispatcher,
        case_id=case.pk,
        department=rsj,
        problem=Correction.Problem.PERFUNCTORY_MEDIATION,
        measure=Correction.Measure.RECTIFY,
        description="调解记录只有一句话",
    )
    assert corr.rectify_due_at > timezone.now()
    with pytest.raises(NotFound):
        correction_feedback(correction_id=corr.pk, actor=officer2, feedback="x")
    corr = correction_feedback(correction_id=corr.pk, actor=officer, feedback="已重新组织调解")
    assert corr.feedback_at and corr.feedback_by == officer
    with pytest.raises(Conflict):
        correction_feedback(correction_id=corr.pk, actor=officer, feedback="again")


def test_correction_against_an_officer_takes_their_department(dispatcher, officer):
    corr = correction_create(
        actor=dispatcher,
        officer=officer,
        problem=Correction.Problem.UNCIVIL_LANGUAGE,
        measure=Correction.Measure.REMIND,
        description="接待时语言生硬",
    )
    assert corr.department.code == "rsj" and corr.case is None


def test_serious_correction_needs_notice_or_talk_and_talk_is_recorded(dispatcher, rsj):
    with pytest.raises(ServiceError) as exc:
        correction_create(
            actor=dispatcher,
            department=rsj,
            problem="crude_methods",
            measure="remind",
            serious=True,
            description="x",
        )
    assert "measure" in exc.value.fields
    corr = correction_create(
        actor=dispatcher,
        department=rsj,
        problem="crude_methods",
        measure="talk",
        serious=True,
        description="与当事人发生冲突",
    )
    corr = correction_record_talk(
        correction_id=corr.pk, actor=dispatcher, held_at=timezone.now(), record="约谈局分管领导"
    )
    assert corr.talk_record == "约谈局分管领导"


def test_correction_input_errors_and_roles(dispatcher, officer, rsj):
    with pytest.raises(ServiceError) as exc:
        correction_create(actor=dispatcher, problem="nope", measure="nope", description="")
    assert {"problem", "measure", "description", "department"} <= set(exc.value.fields)
    with pytest.raises(NotAllowed):
        correction_create(
            actor=officer,
            department=rsj,
            problem="late_handling",
            measure="remind",
            description="x",
        )


def test_suggested_corrections_late_bounced_and_sent_back(
    make_case, dispatcher, officer, rsj, settings
):
    settings.FORCED_DISPATCH_AFTER_RETURNS = 2
    late = make_case("labour")
    with time_machine.travel(timezone.now() - dt.timedelta(days=60), tick=False):
        case_dispatch(case_id=late.pk, department=rsj, actor=dispatcher)
    bounced = make_case("labour")
    for _i in range(2):
        case_dispatch(case_id=bounced.pk, department=rsj, actor=dispatcher)
        case_return(case_id=bounced.pk, actor=officer, reason="不属于", legal_basis="职责清单")
    sent = make_case("labour")
    case_dispatch(case_id=sent.pk, department=rsj, actor=dispatcher)
    case_sign_for(case_id=sent.pk, actor=officer)
    case_reply(
        case_id=sent.pk, actor=officer, outcome=Outcome.HANDLED, text="已答复", document="答复书"
    )
    case_send_back(case_id=sent.pk, actor=dispatcher, reason="答复未引用依据")
    found = {(s.case.pk, s.problem) for s in correction_suggestions(user=dispatcher)}
    assert (late.pk, "late_handling") in found
    assert (bounced.pk, "inaccurate_routing") in found
    assert (sent.pk, "non_standard_reply") in found
    bounce_row = next(s for s in correction_suggestions(user=dispatcher) if s.case.pk == bounced.pk)
    assert bounce_row.departments == ["rsj"]
    correction_create(
        actor=dispatcher,
        case_id=late.pk,
        department=rsj,
        problem="late_handling",
        measure="remind",
        description="超期",
        suggested=True,
    )
    found = {(s.case.pk, s.problem) for s in correction_suggestions(user=dispatcher)}
    assert (late.pk, "late_handling") not in found
    assert correction_suggestions(user=officer) == []


def test_correction_api(case, dispatcher, officer, officer2, outsider, api):
    payload = {
        "case": case.pk,
        "department": "rsj",
        "problem": "slow_communication",
        "measure": "report",
        "description": "三天未回电话",
    }
    assert api(None).post("/api/corrections/", payload, format="json").status_code in (401, 403)
    assert api(officer).post("/api/corrections/", payload, format="json").status_code == 403
    assert api(outsider).post("/api/corrections/", payload, format="json").status_code == 403
    bad = api(dispatcher).post("/api/corrections/", {**payload, "problem": "x"}, format="json")
    assert bad.status_code == 400 and "problem" in bad.json()["error"]["fields"]
    missing = api(dispatcher).post("/api/corrections/", {**payload, "case": 999999}, format="json")
    assert missing.status_code == 404
    r = api(dispatcher).post("/api/corrections/", payload, format="json")
    assert r.status_code == 201 and r.json()["measure_label"] == "限期核查报告"
    cid = r.json()["id"]
    assert [c["id"] for c in api(officer).get("/api/corrections/").json()["results"]] == [cid]
    assert api(officer2).get("/api/corrections/").json()["results"] == []
    fb = f"/api/corrections/{cid}/feedback/"
    assert api(officer2).post(fb, {"feedback": "x"}, format="json").status_code == 404
    assert api(officer).post(fb, {}, format="json").status_code == 400
    assert api(officer).post(fb, {"feedback": "已核查并回电"}, format="json").status_code == 200
    assert api(dispatcher).get("/api/corrections/suggestions/").status_code == 200
    assert api(officer).get("/api/corrections/suggestions/").json() == []


def test_schema_lists_the_dispatch_endpoints(admin_user, api):
    schema = api(admin_user).get("/api/schema/?format=json").json()
    for path in [
        "/api/cases/{id}/dispatch/",
        "/api/cases/{id}/return_case/",
        "/api/cases/{id}/routing-suggestion/",
        "/api/cases/{id}/dispatch-suggested/",
        "/api/cases/{id}/extensions/",
        "/api/extensions/{id}/decision/",
        "/api/cases/{id}/supervisions/",
        "/api/supervisions/{id}/response/",
        "/api/corrections/",
        "/api/corrections/{id}/feedback/",
    ]:
        assert path in schema["paths"], path


# --- workbenches ---------------------------------------------------------------------------


def _seed(make_case, dispatcher, n: int):
    dept = Department.objects.get(code="rsj")
    for i in range(n):
        c = make_case("labour", risk_level=RiskLevel.HIGH if i % 2 else RiskLevel.LOW)
        with time_machine.travel(
            timezone.now() - dt.timedelta(days=30 if i % 3 else 0), tick=False
        ):
            case_dispatch(case_id=c.pk, department=dept, actor=dispatcher)


def test_dispatcher_workbench_lists_and_query_count_do_not_grow(
    make_case, dispatcher, client, django_assert_max_num_queries
):
    client.force_login(dispatcher)
    _seed(make_case, dispatcher, 3)
    with django_assert_max_num_queries(30) as small:
        assert client.get(reverse("dispatch:workbench")).status_code == 200
    _seed(make_case, dispatcher, 9)
    with django_assert_max_num_queries(len(small.captured_queries)):
        r = client.get(reverse("dispatch:workbench"))
    lists = r.context["lists"]
    assert all(c.is_overdue for c in lists["overdue"]) and len(lists["overdue"]) >= 8
    assert all(c.risk_level == "high" for c in lists["high_risk"])
    dues = [c.due_at for c in lists["overdue"]]
    assert dues == sorted(dues)
    assert reverse("intake:case_detail", args=[lists["overdue"][0].pk]) in r.content.decode()


def test_workbench_filters_and_sorts(make_case, dispatcher, client):
    _seed(make_case, dispatcher, 6)
    client.force_login(dispatcher)
    r = client.get(reverse("dispatch:workbench"), {"department": "sfj"})
    assert list(r.context["lists"]["overdue"]) == []
    r = client.get(reverse("dispatch:workbench"), {"sort": "-due_at", "risk": "high"})
    dues = [c.due_at for c in r.context["lists"]["overdue"]]
    assert dues == sorted(dues, reverse=True)
    assert all(c.risk_level == "high" for c in r.context["lists"]["overdue"])
    assert client.get(reverse("dispatch:workbench"), {"sort": "bogus"}).status_code == 200


def test_due_soon_list(make_case, dispatcher, client, rsj):
    from dispatch.models import DeadlineRule

    DeadlineRule.objects.filter(category__code="labour").update(handle_amount=1)
    c = make_case("labour")
    case_dispatch(case_id=c.pk, department=rsj, actor=dispatcher)
    client.force_login(dispatcher)
    r = client.get(reverse("dispatch:workbench"))
    assert c.pk in [x.pk for x in r.context["lists"]["due_soon"]]


def test_workbench_roles(officer, clerk, client):
    client.force_login(officer)
    assert client.get(reverse("dispatch:workbench")).status_code == 403
    client.force_login(clerk)
    assert client.get(reverse("dispatch:officer_workbench")).status_code == 403
    client.logout()
    assert client.get(reverse("dispatch:workbench")).status_code == 302


def test_officer_workbench_shows_department_todo(
    case, dispatcher, officer, officer2, client, rsj, django_assert_max_num_queries
):
    supervision_create(case_id=case.pk, level=URGE, actor=dispatcher, message="请尽快签收")
    correction_create(
        actor=dispatcher,
        department=rsj,
        problem="non_standard_reply",
        measure="rectify",
        description="答复格式不规范",
    )
    client.force_login(officer)
    with django_assert_max_num_queries(25):
        html = client.get(reverse("dispatch:officer_workbench")).content.decode()
    assert "请尽快签收" in html and "答复格式不规范" in html
    client.force_login(officer2)
    html = client.get(reverse("dispatch:officer_workbench")).content.decode()
    assert "请尽快签收" not in html and "答复格式不规范" not in html


def test_pages_urge_respond_and_correct(case, dispatcher, officer, officer2, client, rsj):
    client.force_login(dispatcher)
    r = client.post(
        reverse("dispatch:supervision_create", args=[case.pk]), {"level": "1", "message": "催"}
    )
    assert r.status_code == 302
    sup = Supervision.objects.get(case=case)
    client.force_login(officer2)
    assert (
        client.post(
            reverse("dispatch:supervision_respond", args=[sup.pk]), {"response": "x"}
        ).status_code
        == 404
    )
    client.force_login(officer)
    client.post(reverse("dispatch:supervision_respond", args=[sup.pk]), {"response": "收到"})
    assert Supervision.objects.get(pk=sup.pk).response == "收到"
    client.force_login(dispatcher)
    r = client.post(
        reverse("dispatch:correction_new"),
        {
            "case": case.pk,
            "department": "rsj",
            "problem": "late_handling",
            "measure": "remind",
            "description": "慢",
        },
    )
    assert r.status_code == 302 and Correction.objects.filter(case=case).count() == 1
    r = client.post(reverse("dispatch:correction_new"), {"problem": "late_handling"})
    assert r.status_code == 400
    assert client.get(reverse("dispatch:corrections")).status_code == 200
    html = client.get(reverse("intake:case_detail", args=[case.pk])).content.decode()
    assert Case.objects.get(pk=case.pk).number in html
