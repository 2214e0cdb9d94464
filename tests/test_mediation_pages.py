"""Pages of joint mediation and judicial confirmation: thin forms over the services.

Each page as the case department's officer and the case's mediator, a wrong role (403),
another department's officer (404), anonymous (login), bad input (400, the error next to the
field, the input kept) and the happy path changing the data through the service."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dispatch.services import case_dispatch, case_sign_for
from intake.models import Case
from luodian_platform.models import Department
from luodian_platform.workcal import WorkCalendar, end_of_day, local_date
from mediation import services
from mediation.models import JointMediation, JudicialConfirmation, Mediator
from tests.file_samples import signed_scan

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(make_case, dispatcher, officer, rsj, mediator):
    """A labour case signed for by the 人社局 officer, 韦国强 and 陈调解 assigned."""
    case = make_case()
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    case = case_sign_for(case_id=case.pk, actor=officer)
    for m in (
        Mediator.objects.get(name="韦国强", kind="committee"),
        Mediator.objects.get(user=mediator),
    ):
        services.mediator_assign(case_id=case.pk, mediator_id=m.pk, actor=officer)
    return case


@pytest.fixture
def jc(case, officer):
    """The judicial-confirmation window of the case's effective agreement."""
    wei = Mediator.objects.get(name="韦国强", kind="committee")
    agreement = services.agreement_record(
        case_id=case.pk,
        actor=officer,
        committee=Department.objects.get(code="tj-labour"),
        mediator_id=wei.pk,
        facts="申请人在被申请人工地务工三个月,工资12000元未结清。",
        issues="欠付工资数额及支付时间。",
        liabilities="被申请人应支付拖欠工资。",
        parties=[
            services.AgreementPartyInput(party_id=p.pk, sign_method="signature")
            for p in case.parties.all()
        ],
        terms=[
            services.AgreementTermInput(
                content="支付工资12000元",
                performance_method="银行转账",
                due_at=timezone.now() + dt.timedelta(days=7),
            )
        ],
        mediator_signed=True,
        committee_sealed=True,
        scans=[signed_scan()],
    )
    return agreement.judicial_confirmation


def _pages(case, jc) -> list[tuple[str, str]]:
    """(method, url) of every new page, GET pages and the POST steps."""
    return [
        ("get", reverse("mediation:joint", args=[case.pk])),
        ("post", reverse("mediation:joint", args=[case.pk])),
        ("get", reverse("mediation:jc", args=[jc.pk])),
        *(
            ("post", reverse(f"mediation:jc_{step}", args=[jc.pk]))
            for step in ("apply", "accept", "decide", "extend")
        ),
    ]


def _checked(html: str, name: str, value) -> bool:
    return any(
        f'name="{name}"' in tag and f'value="{value}"' in tag and "checked" in tag.split(">")[0]
        for tag in html.split("<input")
    )


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["officer", "mediator"])
def test_pages_render_for_the_case_officer_and_mediator(client, request, case, jc, who):
    client.force_login(request.getfixturevalue(who))
    html = client.get(reverse("mediation:joint", args=[case.pk])).content.decode()
    assert "组织联合调解" in html and 'for="id_lead_department"' in html
    assert 'name="departments"' in html and 'name="experts"' in html
    response = client.get(reverse("mediation:jc", args=[jc.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "申请截止" in html and "剩余天数" in html and "提醒日期" in html
    assert timezone.localtime(jc.remind_at).strftime("%Y-%m-%d") in html
    assert 'for="id_apply-applied_at"' in html  # the apply form, labelled
    assert "30 天" in html


def test_wrong_role_is_refused(client, clerk, followup_officer, case, jc):
    for user in (clerk, followup_officer):
        client.force_login(user)
        for method, url in _pages(case, jc):
            assert getattr(client, method)(url).status_code == 403, (user, method, url)


def test_supervisor_sees_but_cannot_record(client, supervisor, case, jc):
    client.force_login(supervisor)
    assert client.get(reverse("mediation:jc", args=[jc.pk])).status_code == 200
    html = client.get(reverse("mediation:joint", args=[case.pk])).content.decode()
    assert 'name="departments"' not in html  # sees the arrangement, no form
    for method, url in _pages(case, jc):
        if method == "post":
            assert client.post(url, {"apply-applied_at": ""}).status_code == 403, url


def test_another_departments_officer_gets_404(client, officer2, case, jc):
    client.force_login(officer2)
    for method, url in _pages(case, jc):
        assert getattr(client, method)(url).status_code == 404, (method, url)


def test_anonymous_is_sent_to_login(client, case, jc):
    for method, url in _pages(case, jc):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_case_mediation_page_and_case_panel_link_to_the_new_pages(client, officer, case, jc):
    client.force_login(officer)
    html = client.get(reverse("mediation:case", args=[case.pk])).content.decode()
    assert reverse("mediation:joint", args=[case.pk]) in html
    assert reverse("mediation:jc", args=[jc.pk]) in html and "剩余" in html
    html = client.get(reverse("intake:case_detail", args=[case.pk])).content.decode()
    assert reverse("mediation:joint", args=[case.pk]) in html
    assert reverse("mediation:jc", args=[jc.pk]) in html


# --- joint mediation ------------------------------------------------------------------------


def test_joint_mediation_bad_input_shows_field_error_and_keeps_input(client, officer, case):
    client.force_login(officer)
    expert = Mediator.objects.filter(kind="expert").first()
    rsj = Department.objects.get(code="rsj")
    response = client.post(
        reverse("mediation:joint", args=[case.pk]),
        {"lead_department": rsj.pk, "experts": [expert.pk], "note": "涉众欠薪,联合调解"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "请至少选择一个参与部门" in html and 'id="id_departments_error"' in html
    assert "涉众欠薪,联合调解</textarea>" in html
    assert _checked(html, "experts", expert.pk)
    assert not JointMediation.objects.filter(case=case).exists()

    response = client.post(
        reverse("mediation:joint", args=[case.pk]),
        {"lead_department": rsj.pk, "departments": [rsj.pk]},
    )
    assert response.status_code == 400
    assert "参与部门不能只有牵头部门本身" in response.content.decode()


def test_joint_mediation_happy_path_lets_the_participating_department_see_the_case(
    client, mediator, officer2, case, sfj
):
    expert = Mediator.objects.filter(kind="expert").first()
    rsj = Department.objects.get(code="rsj")
    assert not Case.objects.visible_to(officer2).filter(pk=case.pk).exists()
    client.force_login(mediator)
    response = client.post(
        reverse("mediation:joint", args=[case.pk]),
        {
            "lead_department": rsj.pk,
            "departments": [sfj.pk],
            "experts": [expert.pk],
            "note": "涉众欠薪",
        },
    )
    assert response.status_code == 302
    joint = JointMediation.objects.get(case=case)
    assert joint.lead_department == rsj and list(joint.departments.all()) == [sfj]
    assert list(joint.experts.all()) == [expert] and joint.note == "涉众欠薪"
    assert case.events.filter(transition="joint_mediation").exists()
    assert Case.objects.visible_to(officer2).filter(pk=case.pk).exists()
    html = client.get(response["Location"]).content.decode()
    assert "司法局" in html or sfj.name in html
    assert expert.name in html


# --- judicial confirmation --------------------------------------------------------------------


def test_judicial_confirmation_steps_through_the_pages(client, officer, jc):
    client.force_login(officer)
    applied = timezone.now() - dt.timedelta(hours=1)
    response = client.post(
        reverse("mediation:jc_apply", args=[jc.pk]),
        {"apply-applied_at": _local(applied), "apply-court_reference": "(2026)黔2728民特1号"},
    )
    assert response.status_code == 302
    jc.refresh_from_db()
    assert jc.applied_at and jc.court_reference == "(2026)黔2728民特1号" and jc.accept_due_at

    html = client.get(reverse("mediation:jc", args=[jc.pk])).content.decode()
    assert 'for="id_accept-accepted_at"' in html and "id_apply-applied_at" not in html

    response = client.post(reverse("mediation:jc_accept", args=[jc.pk]), {"accept-accepted_at": ""})
    assert response.status_code == 302
    jc.refresh_from_db()
    assert jc.accepted_at and jc.decide_due_at
    assert jc.court_reference == "(2026)黔2728民特1号"  # kept when left blank
    due = jc.decide_due_at

    response = client.post(reverse("mediation:jc_extend", args=[jc.pk]), {"extend-confirm": "on"})
    assert response.status_code == 302
    jc.refresh_from_db()
    # +10 days, a last day on a rest day moved to the next working day (issue 15).
    cal = WorkCalendar()
    ten_later = cal.first_workday_from(local_date(due) + dt.timedelta(days=10))
    assert jc.extended and jc.decide_due_at == end_of_day(ten_later)

    response = client.post(
        reverse("mediation:jc_decide", args=[jc.pk]),
        {"decide-decision": "confirmed", "decide-decided_at": ""},
    )
    assert response.status_code == 302
    jc.refresh_from_db()
    assert jc.decision == JudicialConfirmation.Decision.CONFIRMED and jc.decided_at
    html = client.get(reverse("mediation:jc", args=[jc.pk])).content.decode()
    assert "确认有效" in html and "司法确认已办结" in html


def test_apply_bad_input_shows_field_error_and_keeps_input(client, mediator, jc):
    client.force_login(mediator)
    url = reverse("mediation:jc_apply", args=[jc.pk])
    response = client.post(
        url, {"apply-applied_at": "昨天下午", "apply-court_reference": "(2026)黔2728民特9号"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_apply-applied_at_error"' in html and 'value="昨天下午"' in html
    assert 'value="(2026)黔2728民特9号"' in html
    assert 'aria-invalid="true"' in html
    future = timezone.now() + dt.timedelta(days=2)
    response = client.post(url, {"apply-applied_at": _local(future)})
    assert response.status_code == 400 and "不能晚于当前时间" in response.content.decode()
    jc.refresh_from_db()
    assert jc.applied_at is None


def test_apply_after_the_window_is_refused_next_to_the_field(client, officer, jc):
    """The service's 30-day rule comes back as the field's error, input kept."""
    with time_machine.travel(jc.window_ends_at + dt.timedelta(days=2), tick=False):
        client.force_login(officer)  # a session of that day
        html = client.get(reverse("mediation:jc", args=[jc.pk])).content.decode()
        assert "申请期限已过" in html
        late = timezone.now() - dt.timedelta(hours=1)
        response = client.post(
            reverse("mediation:jc_apply", args=[jc.pk]),
            {"apply-applied_at": _local(late), "apply-court_reference": "(2026)黔2728民特3号"},
        )
    html = response.content.decode()
    assert response.status_code == 400
    assert "超过申请期限" in html and 'id="id_apply-applied_at_error"' in html
    assert f'value="{_local(late)}"' in html and 'value="(2026)黔2728民特3号"' in html
    jc.refresh_from_db()
    assert jc.applied_at is None


def test_decide_needs_a_decision_and_steps_keep_their_order(client, officer, jc):
    client.force_login(officer)
    response = client.post(reverse("mediation:jc_accept", args=[jc.pk]), {"accept-accepted_at": ""})
    assert response.status_code == 409 and "请先登记申请" in response.content.decode()
    services.judicial_confirmation_apply(jc_id=jc.pk, actor=officer)
    response = client.post(reverse("mediation:jc_decide", args=[jc.pk]), {"decide-decision": ""})
    html = response.content.decode()
    assert response.status_code == 400
    assert "请选择法院决定" in html and 'id="id_decide-decision_error"' in html
    response = client.post(reverse("mediation:jc_extend", args=[jc.pk]), {})
    assert response.status_code == 400 and "请勾选确认法院已决定延长" in response.content.decode()
    jc.refresh_from_db()
    assert not jc.decision and not jc.extended


def test_get_on_a_step_goes_back_to_the_page(client, officer, jc):
    client.force_login(officer)
    response = client.get(reverse("mediation:jc_apply", args=[jc.pk]))
    assert response.status_code == 302 and response["Location"] == reverse(
        "mediation:jc", args=[jc.pk]
    )


def _session(case, officer):
    wei = Mediator.objects.get(name="韦国强", kind="committee")
    start = timezone.now() + dt.timedelta(days=1)
    return services.session_book(
        case_id=case.pk,
        actor=officer,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
        room_id=None,
        on_site_place="村委会",
        mediator_ids=[wei.pk],
        confirm_off_hours=True,
    )


@pytest.mark.parametrize(
    ("page", "field"),
    [
        ("case", "mediator"),
        ("session_new", "room"),
        ("session_new", "mediators"),
        ("agreement_new", "committee"),
        ("agreement_new", "mediator"),
        ("session_record", "parties_attended"),
        ("legal_services", "case"),
    ],
)
def test_a_non_number_where_a_row_is_chosen_is_refused_in_chinese(
    client, case, officer, page, field
):
    """Each of these answered 500 when a chosen id was not a whole number."""
    from intake.models import CaseEvent
    from mediation.models import MediationSession

    session = _session(case, officer)
    args = {
        "case": [case.pk],
        "session_new": [case.pk],
        "agreement_new": [case.pk],
        "session_record": [case.pk, session.pk],
        "legal_services": [],
    }[page]
    client.force_login(officer)
    events, sessions = CaseEvent.objects.count(), MediationSession.objects.count()
    data = {
        "committee": Department.objects.get(code="tj-labour").pk,
        "record": "双方到场",
        "result": "agreed",
        "kind": "consultation",
        field: "abc",
    }
    response = client.post(reverse(f"mediation:{page}", args=args), data)
    assert response.status_code == 400
    assert "请从列表中选择" in response.content.decode()
    assert (CaseEvent.objects.count(), MediationSession.objects.count()) == (events, sessions)
