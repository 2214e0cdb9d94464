"""Mediation API and pages per role: anonymous, wrong role, wrong department (404), bad
input, and the happy paths; query counts of the list pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from dispatch.services import case_dispatch, case_sign_for
from intake.models import State
from luodian_platform.models import Window
from luodian_platform.workcal import WorkCalendar, local_date
from mediation import services
from mediation.models import Mediator
from tests.file_samples import signed_scan
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(make_case, dispatcher, officer, rsj):
    case = make_case()
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    return case_sign_for(case_id=case.pk, actor=officer)


@pytest.fixture
def wei():
    return Mediator.objects.get(name="韦国强", kind="committee")


def _when(hour: int) -> str:
    # A working day: a session at an ordinary hour of a working day needs no confirmation.
    day = WorkCalendar.load().add_working_days(local_date(), 2)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour))).isoformat()


def _agreement_body(case, mediator, signed=True):
    return {
        "committee": "tj-labour",
        "mediator": mediator.pk,
        "facts": "拖欠工资三个月。",
        "issues": "工资数额。",
        "liabilities": "被申请人承担支付责任。",
        "parties": [
            {"party": p.pk, "sign_method": "signature" if signed else ""}
            for p in case.parties.all()
        ],
        "terms": [
            {
                "content": "支付工资12000元",
                "performance_method": "银行转账",
                "due_at": (timezone.now() + dt.timedelta(days=7)).isoformat(),
            }
        ],
        "mediator_signed": signed,
        "committee_sealed": signed,
    }


def test_anonymous_gets_401_or_403_everywhere(api, accepted):
    client = api(None)
    for url in (
        "/api/mediators/",
        f"/api/cases/{accepted.pk}/mediators/suggestions/",
        f"/api/cases/{accepted.pk}/sessions/",
        "/api/legal-services/",
    ):
        assert client.get(url).status_code in (401, 403)
    assert client.post(f"/api/cases/{accepted.pk}/mediators/", {}).status_code in (401, 403)


def test_other_department_and_outsider_get_404(api, accepted, officer2, outsider, wei):
    for user in (officer2, outsider):
        client = api(user)
        assert client.get(f"/api/cases/{accepted.pk}/mediators/suggestions/").status_code == 404
        response = client.post(
            f"/api/cases/{accepted.pk}/mediators/", {"mediator": wei.pk}, format="json"
        )
        assert response.status_code == 404
        assert client.get(f"/api/cases/{accepted.pk}/sessions/").status_code == 404
        response = client.post(
            f"/api/cases/{accepted.pk}/agreements/",
            _agreement_body(accepted, wei),
            format="json",
        )
        assert response.status_code == 404


def test_clerk_who_registered_the_case_may_not_organise_mediation(api, accepted, clerk, wei):
    response = api(clerk).post(
        f"/api/cases/{accepted.pk}/mediators/", {"mediator": wei.pk}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_allowed"


def test_assign_book_and_double_booking_over_the_api(
    api, accepted, officer, wei, make_case, dispatcher, rsj
):
    client = api(officer)
    suggestions = client.get(f"/api/cases/{accepted.pk}/mediators/suggestions/").json()
    assert any(s["mediator"]["name"] == "韦国强" and s["category_match"] for s in suggestions)
    response = client.post(
        f"/api/cases/{accepted.pk}/mediators/", {"mediator": wei.pk, "is_lead": True}, format="json"
    )
    assert response.status_code == 201, response.json()
    bad = client.post(f"/api/cases/{accepted.pk}/mediators/", {"mediator": "x"}, format="json")
    assert bad.status_code == 400 and "mediator" in bad.json()["error"]["fields"]
    room = Window.objects.get(code="dytc2")
    body = {"starts_at": _when(9), "ends_at": _when(10), "room": room.pk, "mediators": [wei.pk]}
    response = client.post(f"/api/cases/{accepted.pk}/sessions/", body, format="json")
    assert response.status_code == 201, response.json()

    other = make_case()
    case_dispatch(case_id=other.pk, department=rsj, actor=dispatcher)
    case_sign_for(case_id=other.pk, actor=officer)
    chen = Mediator.objects.get(name="陈调解")
    services.mediator_assign(case_id=other.pk, mediator_id=chen.pk, actor=officer)
    clash = {"starts_at": _when(9), "ends_at": _when(11), "room": room.pk, "mediators": [chen.pk]}
    response = client.post(f"/api/cases/{other.pk}/sessions/", clash, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "double_booking"
    listed = client.get(f"/api/cases/{accepted.pk}/sessions/").json()
    assert len(listed) == 1 and listed[0]["room"] == "dytc2"


def test_conflict_override_over_the_api(api, accepted, officer, dispatcher, wei):
    wei.relations.create(kind="relative", name="王小明")
    response = api(officer).post(
        f"/api/cases/{accepted.pk}/mediators/", {"mediator": wei.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "conflict_of_interest"
    response = api(officer).post(
        f"/api/cases/{accepted.pk}/mediators/",
        {"mediator": wei.pk, "override_reason": "同意"},
        format="json",
    )
    assert response.status_code == 403
    response = api(dispatcher).post(
        f"/api/cases/{accepted.pk}/mediators/",
        {"mediator": wei.pk, "override_reason": "双方书面同意"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["override_reason"] == "双方书面同意"


def test_agreement_over_the_api_replies_the_case_and_serves_a_pdf(
    api, accepted, officer, wei, outsider
):
    client = api(officer)
    client.post(f"/api/cases/{accepted.pk}/mediators/", {"mediator": wei.pk}, format="json")
    incomplete = _agreement_body(accepted, wei)
    incomplete["terms"][0]["performance_method"] = ""
    incomplete["issues"] = ""
    response = client.post(f"/api/cases/{accepted.pk}/agreements/", incomplete, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "issues" in fields and "terms[0].performance_method" in fields

    # Signed on paper: the JSON body cannot carry the scan, so it is refused (400) ...
    response = client.post(
        f"/api/cases/{accepted.pk}/agreements/", _agreement_body(accepted, wei), format="json"
    )
    assert response.status_code == 400 and "scan" in response.json()["error"]["fields"]
    assert "扫描件" in response.json()["error"]["message"]
    # ... the draft is saved, the signed scan uploaded to it, then the signing recorded.
    response = client.post(
        f"/api/cases/{accepted.pk}/agreements/",
        _agreement_body(accepted, wei, signed=False),
        format="json",
    )
    assert response.status_code == 201, response.json()
    draft = response.json()
    scan = client.post(
        f"/api/cases/{accepted.pk}/files/",
        {
            "file": signed_scan(),
            "kind": "signed_scan",
            "target_kind": "agreement",
            "target_id": draft["id"],
        },
        format="multipart",
    )
    assert scan.status_code == 201, scan.json()
    response = client.post(
        f"/api/agreements/{draft['id']}/sign/",
        {
            "signatures": {str(p["id"]): "signature" for p in draft["parties"]},
            "mediator_signed": True,
            "committee_sealed": True,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["effective_at"] and data["judicial_confirmation"]["window_ends_at"]
    assert [s["sha256"] for s in data["signed_scans"]] == [scan.json()["sha256"]]
    assert data["signed_scans"][0]["download_url"] == f"/api/files/{scan.json()['id']}/"
    assert data["paper_scan_missing"] is False and len(data["paper_signed"]) == 4
    assert data["parties"][0]["id_number"].count("*") >= 8  # masked in the API
    case = client.get(f"/api/cases/{accepted.pk}/").json()
    assert case["state"] == State.REPLIED
    # The full document is a logged reveal (issue 17): a reason is required.
    assert client.get(f"/api/agreements/{data['id']}/pdf/").status_code == 400
    pdf = client.get(f"/api/agreements/{data['id']}/pdf/", {"reason": "打印签署"})
    assert pdf.status_code == 200
    text = pdf_text(pdf.content)
    assert "王小明" in text and accepted.number in text
    assert (
        api(outsider).get(f"/api/agreements/{data['id']}/pdf/", {"reason": "看看"}).status_code
        == 404
    )
    assert api(outsider).get(f"/api/agreements/{data['id']}/").status_code == 404

    jc = data["judicial_confirmation"]["id"]
    response = client.post(f"/api/judicial-confirmations/{jc}/apply/", {}, format="json")
    assert response.status_code == 200 and response.json()["accept_due_at"]
    response = client.post(
        f"/api/judicial-confirmations/{jc}/decide/", {"decision": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert api(outsider).post(f"/api/judicial-confirmations/{jc}/apply/").status_code == 404


def test_notice_over_the_api(api, accepted, officer, officer2):
    response = api(officer2).post(
        f"/api/cases/{accepted.pk}/notices/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 404
    response = api(officer).post(
        f"/api/cases/{accepted.pk}/notices/", {"reason": ""}, format="json"
    )
    assert response.status_code == 400
    response = api(officer).post(
        f"/api/cases/{accepted.pk}/notices/",
        {
            "reason": "被申请人拒不到场",
            "channels": [
                {"route": "litigation", "institution": "罗甸县人民法院", "time_limit": "三年"}
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    notice = response.json()
    assert notice["channels"][0]["channel"] == "litigation"
    assert (
        api(officer).get(f"/api/notices/{notice['id']}/pdf/", {"reason": "送达"}).status_code == 200
    )
    assert api(officer2).get(f"/api/notices/{notice['id']}/").status_code == 404
    # replied: a second outcome is an illegal state
    response = api(officer).post(
        f"/api/cases/{accepted.pk}/notices/", {"reason": "再次"}, format="json"
    )
    assert response.status_code == 409


def test_court_referral_and_legal_services_over_the_api(
    api, make_case, dispatcher, officer, rsj, clerk, followup_officer
):
    case = make_case(channel="court")
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    case_sign_for(case_id=case.pk, actor=officer)
    response = api(officer).post(
        f"/api/cases/{case.pk}/court-referral/", {"court_reference": "诉前调-7"}, format="json"
    )
    assert response.status_code == 201
    ref = response.json()["id"]
    response = api(officer).post(
        f"/api/court-referrals/{ref}/extend/", {"days": 0, "basis": ""}, format="json"
    )
    assert response.status_code == 400
    response = api(officer).post(
        f"/api/court-referrals/{ref}/report/",
        {"referral_result": "failed", "note": "被告不同意调解"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["reported_at"]

    response = api(clerk).post(
        "/api/legal-services/",
        {"service_type": "legal_aid", "person_name": "王小明", "summary": "申请法律援助"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["decision_due_at"]
    row = response.json()["id"]
    assert (
        api(followup_officer)
        .post(
            "/api/legal-services/",
            {"service_type": "consultation", "person_name": "a", "summary": "b"},
        )
        .status_code
        == 403
    )
    assert (
        api(officer)
        .post(f"/api/legal-services/{row}/decide/", {"aid_decision": "approved"}, format="json")
        .status_code
        == 404
    )  # not visible to an officer of another department
    response = api(dispatcher).post(
        f"/api/legal-services/{row}/decide/", {"aid_decision": "approved"}, format="json"
    )
    assert response.status_code == 200 and response.json()["lawyer_due_at"]


def test_schema_lists_the_mediation_endpoints(api, admin_user):
    import yaml

    schema = yaml.safe_load(api(admin_user).get("/api/schema/").content)
    for path in (
        "/api/mediators/",
        "/api/cases/{id}/sessions/",
        "/api/cases/{id}/agreements/",
        "/api/agreements/{id}/pdf/",
        "/api/cases/{id}/notices/",
        "/api/judicial-confirmations/{id}/apply/",
        "/api/cases/{id}/court-referral/",
        "/api/legal-services/",
    ):
        assert path in schema["paths"], path


# --- pages --------------------------------------------------------------------------------


def test_mediation_pages_for_officer_and_404_for_other_department(
    client, accepted, officer, officer2, wei
):
    client.force_login(officer)
    for name in (
        "mediation:case",
        "mediation:session_new",
        "mediation:agreement_new",
        "mediation:notice_new",
    ):
        assert client.get(reverse(name, args=[accepted.pk])).status_code == 200, name
    response = client.post(reverse("mediation:case", args=[accepted.pk]), {"mediator": wei.pk})
    assert response.status_code == 302
    client.force_login(officer2)
    for name in ("mediation:case", "mediation:agreement_new"):
        assert client.get(reverse(name, args=[accepted.pk])).status_code == 404


def test_agreement_form_posts_and_refuses_missing_contents(client, accepted, officer, wei):
    services.mediator_assign(case_id=accepted.pk, mediator_id=wei.pk, actor=officer)
    client.force_login(officer)
    url = reverse("mediation:agreement_new", args=[accepted.pk])
    committee = wei.department.pk
    base = {
        "committee": committee,
        "mediator": wei.pk,
        "facts": "事实",
        "issues": "争议",
        "liabilities": "责任",
        **{f"party_{p.pk}_include": "1" for p in accepted.parties.all()},
        **{f"party_{p.pk}_sign": "signature" for p in accepted.parties.all()},
        "term_0_content": "支付12000元",
        "term_0_method": "现金",
        "mediator_signed": "1",
        "committee_sealed": "1",
    }
    response = client.post(url, base)  # no due date
    assert response.status_code == 400
    due = {"term_0_due": str(local_date() + dt.timedelta(days=5))}
    # Signed on paper without the signed scan: refused in Chinese, nothing saved.
    response = client.post(url, {**base, **due})
    assert response.status_code == 400 and "扫描件" in response.content.decode()
    assert not accepted.agreements.exists()
    # With the scan in the same step: saved, in force, the scan on the agreement.
    response = client.post(url, {**base, **due, "scan": signed_scan()})
    assert response.status_code == 302
    assert services.signed_scans(accepted.agreements.get()).count() == 1
    accepted.refresh_from_db()
    assert accepted.state == State.REPLIED and accepted.agreement_signed_at


def test_notice_form_posts(client, accepted, officer):
    client.force_login(officer)
    url = reverse("mediation:notice_new", args=[accepted.pk])
    response = client.post(
        url,
        {
            "reason": "分歧过大",
            "ch_0_include": "1",
            "ch_0_channel": "labour_arbitration",
            "ch_0_institution": "罗甸县劳动人事争议仲裁委员会",
            "ch_0_time_limit": "一年内",
        },
    )
    assert response.status_code == 302
    accepted.refresh_from_db()
    assert accepted.state == State.REPLIED and accepted.outcome == "notice"


def test_workbench_query_count_does_not_grow(
    client, mediator, make_case, dispatcher, rsj, django_assert_max_num_queries
):
    client.force_login(mediator)
    with django_assert_max_num_queries(30):
        assert client.get(reverse("mediation:workbench")).status_code == 200
    for _ in range(4):
        c = make_case()
        case_dispatch(case_id=c.pk, department=rsj, actor=dispatcher)
    with django_assert_max_num_queries(30):
        assert client.get(reverse("mediation:workbench")).status_code == 200


def test_mediator_list_query_count_is_constant(api, officer, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = api(officer).get("/api/mediators/?kind=expert")
    assert response.status_code == 200 and len(response.json()) == 29


def test_clerk_and_followup_cannot_open_the_workbench(client, clerk, followup_officer):
    for user in (clerk, followup_officer):
        client.force_login(user)
        assert client.get(reverse("mediation:workbench")).status_code == 403
