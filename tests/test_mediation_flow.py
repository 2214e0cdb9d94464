"""Mediation: suggestions, 回避, room booking, agreements and notices (HTML + PDF), judicial
confirmation, court referrals, legal aid, time-to-agreement, mediator visibility."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from dispatch.services import case_dispatch, case_sign_for
from intake.models import Case, CaseEvent, Outcome, State
from luodian_platform.errors import Conflict, NotAllowed, NotFound, ServiceError
from luodian_platform.models import Department, Window
from luodian_platform.workcal import WorkCalendar, end_of_day, local_date
from mediation import selectors, services
from mediation.models import (
    ConflictDeclaration,
    CourtReferral,
    JudicialConfirmation,
    LegalService,
    Mediator,
    MediatorRelation,
)
from mediation.panels import metric_panel
from tests.file_samples import signed_scan
from tests.pdf_text import pdf_text

pytestmark = pytest.mark.django_db


# --- fixtures of this module ----------------------------------------------------------


@pytest.fixture
def accepted_case(make_case, dispatcher, officer, rsj):
    """A labour case signed for by the 人社局 officer."""

    def _make(**overrides):
        case = make_case(**overrides)
        case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
        return case_sign_for(case_id=case.pk, actor=officer)

    return _make


@pytest.fixture
def luo():
    return Mediator.objects.get(name="韦国强", kind="committee")  # tj-labour, labour


@pytest.fixture
def chen(mediator):
    return Mediator.objects.get(user=mediator)


@pytest.fixture
def room():
    return Window.objects.get(code="dytc1")


def _at(hour: int, minute: int = 0, days: int = 1) -> dt.datetime:
    # A working day: a session at an ordinary hour of a working day needs no confirmation.
    day = WorkCalendar.load().add_working_days(local_date(), days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def agreement_kwargs(case: Case, mediator: Mediator, *, signed: bool = True, **overrides):
    data = {
        "case_id": case.pk,
        "committee": Department.objects.get(code="tj-labour"),
        "mediator_id": mediator.pk,
        "facts": "申请人在被申请人工地务工三个月,工资12000元未结清。",
        "issues": "欠付工资数额及支付时间。",
        "liabilities": "被申请人应支付拖欠工资。",
        "parties": [
            services.AgreementPartyInput(party_id=p.pk, sign_method="signature" if signed else "")
            for p in case.parties.all()
        ],
        "terms": [
            services.AgreementTermInput(
                content="被申请人支付申请人工资人民币12000元",
                performance_method="银行转账",
                due_at=end_of_day(local_date() + dt.timedelta(days=10)),
            )
        ],
        "mediator_signed": signed,
        "committee_sealed": signed,
        # Signed on paper: the signed scan comes with it (mediation.services.paper).
        "scans": [signed_scan()] if signed else [],
    }
    data.update(overrides)
    return data


def _pdf_text(content: bytes) -> str:
    return pdf_text(content)


# --- suggestions and 回避 ---------------------------------------------------------------


def test_suggestions_match_category_and_show_current_load(accepted_case, officer, luo):
    busy = accepted_case()
    services.mediator_assign(case_id=busy.pk, mediator_id=luo.pk, actor=officer)
    case = accepted_case()
    suggestions = selectors.mediator_suggestions(case=case, limit=50)
    by_name = {s.mediator.name: s for s in suggestions}
    assert {"韦国强", "罗秀英", "刘志远", "陈调解"} <= set(by_name)
    assert by_name["韦国强"].load == 1 and by_name["罗秀英"].load == 0
    matching = [s for s in suggestions if s.category_match]
    assert matching == suggestions[: len(matching)]  # category matches come first
    assert all("labour" in {c.code for c in s.mediator.categories.all()} for s in matching)
    assert "黄丽" not in by_name  # traffic committee in another township
    # within the matches: same township first, then the lighter load
    keys = [(not s.same_township, s.load) for s in matching]
    assert keys == sorted(keys)


def test_relative_of_a_party_is_refused_and_dispatcher_overrides_with_reason(
    accepted_case, officer, dispatcher, luo
):
    case = accepted_case()
    MediatorRelation.objects.create(mediator=luo, kind="relative", name="王小明")
    with pytest.raises(ServiceError) as exc:
        services.mediator_assign(case_id=case.pk, mediator_id=luo.pk, actor=officer)
    assert exc.value.code == "conflict_of_interest" and "近亲属" in exc.value.message
    # an officer cannot override
    with pytest.raises(NotAllowed):
        services.mediator_assign(
            case_id=case.pk, mediator_id=luo.pk, actor=officer, override_reason="无其他人选"
        )
    # the dispatch room can, with a reason, and the event log says so
    with pytest.raises(ServiceError):
        services.mediator_assign(
            case_id=case.pk, mediator_id=luo.pk, actor=dispatcher, override_reason="  "
        )
    assignment = services.mediator_assign(
        case_id=case.pk,
        mediator_id=luo.pk,
        actor=dispatcher,
        override_reason="当事人书面同意由其调解",
    )
    assert (
        assignment.override_reason == "当事人书面同意由其调解" and "王小明" in assignment.conflict
    )
    event = CaseEvent.objects.filter(case=case, transition="mediator_override").get()
    assert event.actor == dispatcher and "当事人书面同意" in event.note


def test_mediator_who_is_a_party_or_declared_a_conflict_is_refused(
    accepted_case, officer, chen, mediator, luo
):
    from tests.conftest import VALID_ID

    case = accepted_case()
    luo.id_number = VALID_ID  # the applicant's ID number
    luo.save()
    with pytest.raises(ServiceError, match="本人是当事人"):
        services.mediator_assign(case_id=case.pk, mediator_id=luo.pk, actor=officer)
    services.conflict_declare(case_id=case.pk, actor=mediator, reason="与被申请人有业务往来")
    assert ConflictDeclaration.objects.filter(mediator=chen, case=case).exists()
    with pytest.raises(ServiceError, match="已申报回避"):
        services.mediator_assign(case_id=case.pk, mediator_id=chen.pk, actor=officer)
    suggested = {s.mediator.name: s for s in selectors.mediator_suggestions(case=case, limit=50)}
    assert suggested["陈调解"].conflicts and suggested["韦国强"].conflicts


def test_employer_relation_matches_by_credit_code(accepted_case, officer, luo):
    from tests.conftest import VALID_USCC

    case = accepted_case()
    MediatorRelation.objects.create(
        mediator=luo, kind="employer", name="另一个名字", id_number=VALID_USCC
    )
    with pytest.raises(ServiceError, match="雇主"):
        services.mediator_assign(case_id=case.pk, mediator_id=luo.pk, actor=officer)


# --- sessions ---------------------------------------------------------------------------


def test_room_double_booking_is_refused(accepted_case, officer, luo, chen, room):
    a, b = accepted_case(), accepted_case()
    services.mediator_assign(case_id=a.pk, mediator_id=luo.pk, actor=officer)
    services.mediator_assign(case_id=b.pk, mediator_id=chen.pk, actor=officer)
    services.session_book(
        case_id=a.pk,
        actor=officer,
        starts_at=_at(10),
        ends_at=_at(11),
        room_id=room.pk,
        mediator_ids=[luo.pk],
    )
    with pytest.raises(Conflict) as exc:
        services.session_book(
            case_id=b.pk,
            actor=officer,
            starts_at=_at(10, 30),
            ends_at=_at(11, 30),
            room_id=room.pk,
            mediator_ids=[chen.pk],
        )
    assert exc.value.code == "double_booking" and room.name in exc.value.message
    # back to back is fine, and so is another room at the same time
    services.session_book(
        case_id=b.pk,
        actor=officer,
        starts_at=_at(11),
        ends_at=_at(12),
        room_id=room.pk,
        mediator_ids=[chen.pk],
    )
    other = Window.objects.get(code="dytc2")
    services.session_book(
        case_id=b.pk,
        actor=officer,
        starts_at=_at(10, 30),
        ends_at=_at(10, 50),
        room_id=other.pk,
        mediator_ids=[chen.pk],
    )


def test_session_needs_an_assigned_mediator_a_room_or_site_and_a_valid_time(
    accepted_case, officer, luo, room
):
    case = accepted_case()
    with pytest.raises(ServiceError) as exc:
        services.session_book(
            case_id=case.pk, actor=officer, starts_at=_at(10), ends_at=_at(9), mediator_ids=[]
        )
    assert {"ends_at", "room", "mediators"} <= set(exc.value.fields)
    with pytest.raises(ServiceError, match="回避审查"):
        services.session_book(
            case_id=case.pk,
            actor=officer,
            starts_at=_at(10),
            ends_at=_at(11),
            room_id=room.pk,
            mediator_ids=[luo.pk],
        )
    services.mediator_assign(case_id=case.pk, mediator_id=luo.pk, actor=officer)
    session = services.session_book(
        case_id=case.pk,
        actor=officer,
        starts_at=_at(14),
        ends_at=_at(15),
        on_site_place="龙坪镇某工地",
        mediator_ids=[luo.pk],
    )
    party_ids = list(case.parties.values_list("pk", flat=True))
    with pytest.raises(ServiceError, match="尚未举行"):  # before it was held
        services.session_record(
            session_id=session.pk,
            actor=officer,
            record="双方陈述意见……",
            result="adjourned",
            attended_party_ids=party_ids,
        )
    with time_machine.travel(_at(16), tick=False):  # after the session was held
        session = services.session_record(
            session_id=session.pk,
            actor=officer,
            record="双方陈述意见……",
            result="adjourned",
            attended_party_ids=party_ids,
        )
        assert set(session.parties_attended.values_list("pk", flat=True)) == set(party_ids)
        with pytest.raises(ServiceError):
            services.session_record(
                session_id=session.pk,
                actor=officer,
                record="",
                result="failed",
                attended_party_ids=[],
            )


def test_joint_mediation_lets_participating_department_see_the_case(
    accepted_case, officer, officer2, sfj, dispatcher
):
    case = accepted_case()
    assert not Case.objects.visible_to(officer2).filter(pk=case.pk).exists()
    expert = Mediator.objects.filter(kind="expert").first()
    joint = services.joint_mediation_set(
        case_id=case.pk,
        actor=dispatcher,
        lead_department=Department.objects.get(code="rsj"),
        departments=[sfj],
        experts=[expert],
        note="涉众欠薪,联合调解",
    )
    assert list(joint.departments.all()) == [sfj] and list(joint.experts.all()) == [expert]
    assert Case.objects.visible_to(officer2).filter(pk=case.pk).exists()


# --- agreements ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "override, field",
    [
        ({"facts": " "}, "facts"),
        ({"issues": ""}, "issues"),
        ({"liabilities": ""}, "liabilities"),
        ({"terms": []}, "terms"),
        (
            {
                "terms": [
                    services.AgreementTermInput(content="支付", performance_method="", due_at=None)
                ]
            },
            "terms[0].performance_method",
        ),
        (
            {
                "terms": [
                    services.AgreementTermInput(
                        content="支付", performance_method="现金", due_at=None
                    )
                ]
            },
            "terms[0].due_at",
        ),
        ({"parties": []}, "parties"),
    ],
)
def test_agreement_missing_required_contents_is_refused(
    accepted_case, officer, luo, override, field
):
    case = accepted_case()
    services.mediator_assign(case_id=case.pk, mediator_id=luo.pk, actor=officer)
    with pytest.raises(ServiceError) as exc:
        services.agreement_record(actor=officer, **agreement_kwargs(case, luo, **override))
    assert field in exc.value.fields
    case.refresh_from_db()
    assert case.state == State.ACCEPTED and not case.agreements.exists()


def test_agreement_mediator_must_be_assigned(accepted_case, officer, luo):
    case = accepted_case()
    with pytest.raises(ServiceError) as exc:
        services.agreement_record(actor=officer, **agreement_kwargs(case, luo))
    assert "mediator" in exc.value.fields


def test_signed_agreement_replies_the_case_logs_it_and_measures_time(
    accepted_case, officer, luo, clerk
):
    with time_machine.travel(timezone.now() - dt.timedelta(hours=2, minutes=30), tick=False):
        case = accepted_case()
        services.mediator_assign(case_id=case.pk, mediator_id=luo.pk, actor=officer)
    draft = services.agreement_record(actor=officer, **agreement_kwargs(case, luo, signed=False))
    case.refresh_from_db()
    assert draft.effective_at is None and case.state == State.ACCEPTED
    assert case.agreement_signed_at is None
    rows = {p.pk: "thumbprint" for p in draft.parties.all()}
    agreement = services.agreement_sign(
        agreement_id=draft.pk,
        actor=officer,
        signatures=rows,
        mediator_signed=True,
        committee_sealed=True,
        scans=[signed_scan()],
    )
    case.refresh_from_db()
    assert agreement.effective_at is not None
    assert case.state == State.REPLIED
    assert case.outcome == Outcome.AGREEMENT and case.reply_document == agreement.number
    assert case.agreement_signed_at == agreement.effective_at
    transitions = list(
        CaseEvent.objects.filter(case=case).order_by("id").values_list("transition", flat=True)
    )
    assert transitions[-2:] == ["agreement_signed", "reply"]
    signed_event = CaseEvent.objects.get(case=case, transition="agreement_signed")
    assert 2.5 * 3600 <= signed_event.payload["seconds_since_registration"] < 2.6 * 3600
    panel = metric_panel(case=case, user=officer, request=None)
    assert panel["hours"] == 2.5 and panel["duration"].startswith("2小时30分")
    # a signed agreement cannot be re-signed
    with pytest.raises(Conflict):
        services.agreement_sign(agreement_id=agreement.pk, actor=officer, signatures={})


def test_agreement_and_notice_render_as_html_and_pdf_with_chinese_text(
    accepted_case, officer, luo, client
):
    case = accepted_case()
    services.mediator_assign(case_id=case.pk, mediator_id=luo.pk, actor=officer)
    agreement = services.agreement_record(actor=officer, **agreement_kwargs(case, luo))
    client.force_login(officer)
    html = client.get(reverse("mediation:agreement", args=[agreement.pk])).content.decode()
    assert "人民调解协议书" in html and "王小明" in html and case.number in html
    assert "print-document.css" in html
    # The full document is a logged reveal (issue 17): GET asks why, POST with a reason serves.
    response = client.post(
        reverse("mediation:agreement_pdf", args=[agreement.pk]), {"reason": "打印"}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    for needle in ("人民调解协议书", "王小明", "罗甸县某建筑公司", case.number, "银行转账"):
        assert needle in text
    # the CJK font is embedded (CFF outlines: FontFile3; the bundled subset: FontFile2)
    assert b"/FontFile3" in response.content or b"/FontFile2" in response.content

    other = accepted_case()
    notice = services.notice_record(case_id=other.pk, actor=officer, reason="被申请人拒绝支付")
    html = client.get(reverse("mediation:notice", args=[notice.pk])).content.decode()
    assert "告知书" in html and "王小明" in html and "一年内" in html
    text = _pdf_text(
        client.post(reverse("mediation:notice_pdf", args=[notice.pk]), {"reason": "送达"}).content
    )
    for needle in ("告知书", "王小明", "罗甸县某建筑公司", other.number, "劳动人事争议仲裁"):
        assert needle in text


def test_notice_replies_the_case_with_the_lawful_channels(accepted_case, officer):
    case = accepted_case()
    notice = services.notice_record(case_id=case.pk, actor=officer, reason="双方分歧过大")
    case.refresh_from_db()
    assert case.state == State.REPLIED and case.outcome == Outcome.NOTICE
    assert case.reply_document == notice.number
    channels = {c["channel"]: c for c in notice.channels}
    assert "一年内" in channels["labour_arbitration"]["time_limit"]
    assert "petition" in channels
    last = CaseEvent.objects.filter(case=case).last()
    assert (last.transition, last.from_state, last.to_state) == ("reply", "accepted", "replied")
    # no second document on a replied case
    with pytest.raises(Conflict):
        services.notice_record(case_id=case.pk, actor=officer, reason="再次")


def test_notice_needs_a_reason_and_complete_channels(accepted_case, officer):
    case = accepted_case()
    with pytest.raises(ServiceError) as exc:
        services.notice_record(
            case_id=case.pk,
            actor=officer,
            reason="",
            channels=[{"channel": "litigation", "institution": "", "time_limit": ""}],
        )
    assert {"reason", "channels[0].institution", "channels[0].time_limit"} <= set(exc.value.fields)


def test_performance_terms_due_selector(accepted_case, officer, luo):
    case = accepted_case()
    services.mediator_assign(case_id=case.pk, mediator_id=luo.pk, actor=officer)
    agreement = services.agreement_record(actor=officer, **agreement_kwargs(case, luo))
    term = agreement.terms.get()
    assert list(selectors.performance_terms_due(term.due_at)) == []
    assert list(selectors.performance_terms_due(term.due_at + dt.timedelta(seconds=1))) == [term]
    services.term_mark_performed(term_id=term.pk, actor=officer)
    assert list(selectors.performance_terms_due(term.due_at + dt.timedelta(days=1))) == []


# --- judicial confirmation --------------------------------------------------------------


def test_judicial_confirmation_window_and_reminder_are_stored(accepted_case, officer, luo):
    # Issue 15 changed the counting: a calendar-day period whose last day is a rest day
    # ends on the first working day after it (《民法典》 art. 203, 《民事诉讼法》 art. 85).
    # Agreement effective Fri 16 Jan 2026: 30 days end on Sun 15 Feb, the first day of the
    # Spring Festival holiday (15-23 Feb): the window runs to Tue 24 Feb.
    sh = dt.timezone(dt.timedelta(hours=8))
    with time_machine.travel(dt.datetime(2026, 1, 16, 10, tzinfo=sh), tick=False):
        case = accepted_case()
        services.mediator_assign(case_id=case.pk, mediator_id=luo.pk, actor=officer)
        agreement = services.agreement_record(actor=officer, **agreement_kwargs(case, luo))
    jc = JudicialConfirmation.objects.get(agreement=agreement)
    expected_end = end_of_day(dt.date(2026, 2, 24))
    assert jc.window_ends_at == expected_end
    assert jc.remind_at == expected_end - dt.timedelta(days=5)
    assert list(selectors.judicial_confirmations_due(jc.remind_at)) == []
    assert list(selectors.judicial_confirmations_due(jc.remind_at + dt.timedelta(minutes=1))) == [
        jc
    ]

    # Applied on the first working day after the festival: inside the window (it was
    # refused "已超过期限" before issue 15).
    applied = dt.datetime(2026, 2, 24, 9, tzinfo=sh)
    jc = services.judicial_confirmation_apply(
        jc_id=jc.pk, actor=officer, applied_at=applied, court_reference="(2026)黔2728民特1号"
    )
    assert jc.accept_due_at == end_of_day(dt.date(2026, 2, 27))  # 3 days, a Friday
    assert list(selectors.judicial_confirmations_due(jc.window_ends_at)) == []  # applied
    accepted = dt.datetime(2026, 2, 27, 9, tzinfo=sh)
    jc = services.judicial_confirmation_accept(jc_id=jc.pk, actor=officer, accepted_at=accepted)
    # 15 days end on Sat 14 Mar: moved to Mon 16 Mar.
    assert jc.decide_due_at == end_of_day(dt.date(2026, 3, 16))
    jc = services.judicial_confirmation_extend(jc_id=jc.pk, actor=officer)
    # +10 days from the period's last day (16 Mar): Thu 26 Mar.
    assert jc.decide_due_at == end_of_day(dt.date(2026, 3, 26))
    with pytest.raises(Conflict):
        services.judicial_confirmation_extend(jc_id=jc.pk, actor=officer)
    jc = services.judicial_confirmation_decide(jc_id=jc.pk, actor=officer, decision="confirmed")
    assert jc.decision == "confirmed" and jc.decided_at


def test_judicial_confirmation_after_the_window_is_refused(accepted_case, officer, luo):
    case = accepted_case()
    services.mediator_assign(case_id=case.pk, mediator_id=luo.pk, actor=officer)
    agreement = services.agreement_record(actor=officer, **agreement_kwargs(case, luo))
    jc = agreement.judicial_confirmation
    with pytest.raises(ServiceError, match="三十日"):
        services.judicial_confirmation_apply(
            jc_id=jc.pk, actor=officer, applied_at=jc.window_ends_at + dt.timedelta(seconds=1)
        )


# --- court referrals ---------------------------------------------------------------------


def test_court_referral_window_extension_and_report(accepted_case, officer, client):
    case = accepted_case(channel="court")
    # Referred Mon 2 Mar 2026: 30 days end on Wed 1 Apr; +10 (the parties agree) end on
    # Sat 11 Apr, moved to Mon 13 Apr (《民事诉讼法》 art. 85).
    referred = dt.datetime(2026, 3, 2, 10, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    ref = services.court_referral_register(
        case_id=case.pk,
        actor=officer,
        court_reference="(2026)黔2728民诉前调100号",
        referred_at=referred,
    )
    assert ref.due_at == end_of_day(dt.date(2026, 4, 1))
    assert list(selectors.court_referrals_due(ref.due_at + dt.timedelta(seconds=1))) == [ref]
    with pytest.raises(ServiceError):
        services.court_referral_extend(referral_id=ref.pk, actor=officer, days=10, basis="")
    ref = services.court_referral_extend(
        referral_id=ref.pk, actor=officer, days=10, basis="双方当事人书面同意延长"
    )
    assert ref.due_at == end_of_day(dt.date(2026, 4, 13))
    ref = services.court_referral_report(
        referral_id=ref.pk, actor=officer, result="agreed", note="已达成调解协议"
    )
    assert (
        ref.reported_at and list(selectors.court_referrals_due(ref.due_at + dt.timedelta(1))) == []
    )
    client.force_login(officer)
    html = client.get(reverse("mediation:referral_report", args=[ref.pk])).content.decode()
    assert "反馈函" in html and case.number in html
    text = _pdf_text(
        client.post(
            reverse("mediation:referral_report_pdf", args=[ref.pk]), {"reason": "寄送法院"}
        ).content
    )
    assert case.number in text and "王小明" in text and "调解成功" in text
    with pytest.raises(Conflict):
        services.court_referral_extend(referral_id=ref.pk, actor=officer, days=5, basis="再延")


def test_court_referral_only_for_court_channel_cases(accepted_case, officer):
    case = accepted_case()
    with pytest.raises(ServiceError, match="法院委派"):
        services.court_referral_register(case_id=case.pk, actor=officer, court_reference="X-1")
    assert not CourtReferral.objects.exists()


# --- legal-services window -------------------------------------------------------------


def test_legal_aid_is_referred_with_working_day_deadlines(clerk, dispatcher, officer):
    row = services.legal_service_record(
        actor=clerk, kind="legal_aid", person_name="王小明", summary="追索劳动报酬,经济困难"
    )
    cal = WorkCalendar.load()
    assert row.referred_to.code == "flyz"
    assert row.decision_due_at == end_of_day(cal.add_working_days(local_date(row.created_at), 7))
    with pytest.raises(NotAllowed):
        services.legal_aid_decide(service_id=row.pk, actor=officer, decision="approved")
    row = services.legal_aid_decide(service_id=row.pk, actor=dispatcher, decision="approved")
    assert row.lawyer_due_at == end_of_day(cal.add_working_days(local_date(row.decided_at), 3))
    lawyer = Mediator.objects.filter(kind="lawyer").first()
    expert = Mediator.objects.filter(kind="expert").first()
    with pytest.raises(ServiceError):
        services.legal_aid_assign_lawyer(service_id=row.pk, actor=dispatcher, lawyer_id=expert.pk)
    row = services.legal_aid_assign_lawyer(service_id=row.pk, actor=dispatcher, lawyer_id=lawyer.pk)
    assert row.lawyer == lawyer and row.lawyer_assigned_at
    assert list(selectors.legal_aid_due(timezone.now() + dt.timedelta(days=30))) == []


def test_consultation_and_counselling_on_a_case_or_on_the_spot(
    clerk, followup_officer, accepted_case, officer, officer2
):
    spot = services.legal_service_record(
        actor=clerk, kind="consultation", person_name="李四", summary="租房押金", answer="已解答"
    )
    assert spot.case is None and spot.decision_due_at is None
    case = accepted_case()
    on_case = services.legal_service_record(
        actor=officer, kind="counselling", person_name="王小明", summary="情绪激动", case_id=case.pk
    )
    assert on_case.case == case
    with pytest.raises(NotFound):  # a case the user cannot see
        services.legal_service_record(
            actor=officer2, kind="consultation", person_name="x", summary="y", case_id=case.pk
        )
    with pytest.raises(NotAllowed):
        services.legal_service_record(
            actor=followup_officer, kind="consultation", person_name="x", summary="y"
        )
    assert set(selectors.legal_services_for(user=officer)) == {on_case}
    assert LegalService.objects.count() == 2


# --- visibility --------------------------------------------------------------------------


def test_mediator_sees_only_cases_where_they_mediate(
    make_case, dispatcher, officer2, sfj, mediator, chen, room, api
):
    case = make_case("family")
    case_dispatch(case_id=case.pk, department=sfj, actor=dispatcher)
    case_sign_for(case_id=case.pk, actor=officer2)
    untouched = make_case("family")
    case_dispatch(case_id=untouched.pk, department=sfj, actor=dispatcher)
    client = api(mediator)
    assert client.get(f"/api/cases/{case.pk}/").status_code == 404
    assert not Case.objects.visible_to(mediator).filter(pk=case.pk).exists()
    services.mediator_assign(case_id=case.pk, mediator_id=chen.pk, actor=officer2)
    assert client.get(f"/api/cases/{case.pk}/").status_code == 200
    assert client.get(f"/api/cases/{untouched.pk}/").status_code == 404
    ids = {row["id"] for row in client.get("/api/cases/").json()["results"]}
    assert case.pk in ids and untouched.pk not in ids
    # and, once they mediate, they may book the session themselves
    session = services.session_book(
        case_id=case.pk,
        actor=mediator,
        starts_at=_at(9),
        ends_at=_at(10),
        room_id=room.pk,
        mediator_ids=[chen.pk],
    )
    assert list(session.mediators.all()) == [chen]


def test_case_page_panels_render_sessions_documents_and_time_to_agreement(
    accepted_case, officer, luo, rf
):
    from django.template.loader import render_to_string

    from intake.panels import panels_for

    case = accepted_case()
    services.mediator_assign(case_id=case.pk, mediator_id=luo.pk, actor=officer)
    agreement = services.agreement_record(actor=officer, **agreement_kwargs(case, luo))
    case.refresh_from_db()
    request = rf.get("/")
    request.user = officer
    rendered = {
        panel.key: render_to_string(panel.template, {"panel": ctx}, request=request)
        for panel, ctx in panels_for(case=case, user=officer, request=request)
    }
    assert agreement.number in rendered["mediation"] and "韦国强" in rendered["mediation"]
    assert "从登记到签订调解协议" in rendered["mediation_metric"]


# --- dates a person may mistype (issue 23) ------------------------------------------------


def _book(case, officer, luo, starts_at, ends_at, **kw):
    return services.session_book(
        case_id=case.pk,
        actor=officer,
        starts_at=starts_at,
        ends_at=ends_at,
        on_site_place="龙坪镇司法所",
        mediator_ids=[luo.pk],
        **kw,
    )


def _local(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.mark.parametrize(
    ("start", "hours", "field"),
    [
        (lambda today: _local(dt.date(2020, 6, 1), 9), 1, "starts_at"),  # years ago
        (lambda today: _local(today + dt.timedelta(days=400), 9), 1, "starts_at"),  # 2030-ish
        (lambda today: _local(today - dt.timedelta(days=8), 9), 1, "starts_at"),  # past grace
        (lambda today: _local(today + dt.timedelta(days=3), 9), 72, "ends_at"),  # three days
    ],
)
def test_sessions_with_impossible_dates_are_refused(
    accepted_case, officer, luo, start, hours, field
):
    case = accepted_case()
    services.mediator_assign(case_id=case.pk, mediator_id=luo.pk, actor=officer)
    starts_at = start(local_date())
    with pytest.raises(ServiceError) as refused:
        _book(case, officer, luo, starts_at, starts_at + dt.timedelta(hours=hours))
    assert field in refused.value.fields
    assert not case.mediation_sessions.exists()


def test_a_session_at_night_or_on_a_rest_day_needs_confirmation(accepted_case, officer, luo):
    case = accepted_case()
    services.mediator_assign(case_id=case.pk, mediator_id=luo.pk, actor=officer)
    cal = WorkCalendar.load()
    day = local_date() + dt.timedelta(days=1)
    while cal.is_workday(day):
        day += dt.timedelta(days=1)
    sunday_night = _local(day, 3)
    with pytest.raises(ServiceError) as refused:
        _book(case, officer, luo, sunday_night, sunday_night + dt.timedelta(hours=1))
    assert "confirm_off_hours" in refused.value.fields
    workday_evening = _local(cal.add_working_days(local_date(), 2), 21)
    with pytest.raises(ServiceError):
        _book(case, officer, luo, workday_evening, workday_evening + dt.timedelta(hours=1))
    session = _book(
        case,
        officer,
        luo,
        sunday_night,
        sunday_night + dt.timedelta(hours=1),
        confirm_off_hours=True,
    )
    assert session.pk
    ordinary = _local(cal.add_working_days(local_date(), 3), 9)
    assert _book(case, officer, luo, ordinary, ordinary + dt.timedelta(hours=2)).pk


@pytest.mark.parametrize(
    ("due", "ok"),
    [
        (lambda today: dt.date(2020, 1, 1), False),
        (lambda today: dt.date(today.year + 100, 1, 1), False),
        (lambda today: today - dt.timedelta(days=30), False),
        (lambda today: today + dt.timedelta(days=30), True),
        (lambda today: dt.date(today.year + 5, 12, 31), True),
    ],
)
def test_performance_dates_lie_between_the_agreement_and_ten_years(
    accepted_case, officer, luo, due, ok
):
    case = accepted_case()
    services.mediator_assign(case_id=case.pk, mediator_id=luo.pk, actor=officer)
    kwargs = agreement_kwargs(case, luo)
    kwargs["terms"] = [
        services.AgreementTermInput(
            content="支付工资12000元",
            performance_method="银行转账",
            due_at=end_of_day(due(local_date())),
        )
    ]
    if ok:
        assert services.agreement_record(actor=officer, **kwargs).pk
    else:
        with pytest.raises(ServiceError) as refused:
            services.agreement_record(actor=officer, **kwargs)
        assert "terms[0].due_at" in refused.value.fields
