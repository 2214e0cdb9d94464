"""The petition chain (《信访工作条例》 2022) and the labour-dispute chain (《劳动争议调解仲裁法》)
walked end to end on a frozen clock; every refusal (out of order, too late) answered in
Chinese with its legal basis. Expected dates are counted by hand from the 2026 notice
(劳动节 1-5 May, work Sat 9 May; 国庆 1-7 Oct; 春节 15-23 Feb, work Sat 14 and 28 Feb)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from dispatch.services import case_dispatch, case_sign_for
from followup import reminders
from followup.models import Reminder, ReminderKind
from luodian_platform.errors import Conflict, NotAllowed, NotFound, ServiceError
from luodian_platform.workcal import end_of_day
from mediation import services as s
from mediation.models import LabourRecord, PetitionRecord

pytestmark = pytest.mark.django_db

SH = dt.timezone(dt.timedelta(hours=8))
D = dt.date


def at(y, m, d, h=10):
    return dt.datetime(y, m, d, h, 0, tzinfo=SH)


# The 信访处理意见书's required contents (tests/test_legal_documents.py checks the refusals).
REPLY = {
    "facts": "经查,申请人反映的工资拖欠属实。",
    "opinion": "责令用人单位于十五日内支付拖欠工资。",
    "basis": "《保障农民工工资支付条例》第三条",
    "review_body": "黔南州人力资源和社会保障局",
}


@pytest.fixture
def handled(make_case, dispatcher, officer, rsj):
    """A case of ``category`` dispatched to 人社局 and signed for by its officer."""

    def _make(category: str):
        case = make_case(category)
        case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
        return case_sign_for(case_id=case.pk, actor=officer)

    return _make


# --- petition -------------------------------------------------------------------------------


def test_petition_chain_end_to_end(handled, officer):
    with time_machine.travel(at(2026, 3, 2), tick=False):
        case = handled("petition")
        p = s.petition_register(case_id=case.pk, actor=officer)
    assert p.accept_due_at == end_of_day(D(2026, 3, 17)) == p.next_due_at  # 15 days
    with time_machine.travel(at(2026, 3, 5), tick=False), pytest.raises(Conflict) as exc:
        s.petition_reply(petition_id=p.pk, actor=officer, **REPLY)  # before deciding on acceptance
    assert exc.value.code == "wrong_order" and "受理告知" in exc.value.message

    with time_machine.travel(at(2026, 3, 10), tick=False):
        p = s.petition_decide(petition_id=p.pk, actor=officer, accept=True)
    # 60 days from 10 Mar: Sat 9 May 2026, a make-up workday: not moved.
    assert p.stage == "handling" and p.notice_number.startswith("LD信受告〔2026〕")
    assert p.handle_due_at == end_of_day(D(2026, 5, 9)) == p.next_due_at

    with time_machine.travel(at(2026, 4, 20), tick=False):
        with pytest.raises(ServiceError):
            s.petition_extend(petition_id=p.pk, actor=officer, reason=" ")
        p = s.petition_extend(petition_id=p.pk, actor=officer, reason="需要现场核查")
        assert p.handle_due_at == end_of_day(D(2026, 6, 8))  # +30 days, a Monday
        with pytest.raises(Conflict) as exc:
            s.petition_extend(petition_id=p.pk, actor=officer, reason="再延")
    assert exc.value.code == "extension_limit" and "信访工作条例" in exc.value.message

    with time_machine.travel(at(2026, 6, 1), tick=False):
        with pytest.raises(Conflict) as exc:
            s.petition_rereview_request(petition_id=p.pk, actor=officer)
        assert exc.value.code == "wrong_order" and "须先经复查" in exc.value.message
        p = s.petition_reply(petition_id=p.pk, actor=officer, **REPLY)
    assert p.stage == "replied" and p.next_due_at is None  # the petitioner's window now
    assert p.review_request_due_at == end_of_day(D(2026, 7, 1))
    with pytest.raises(Conflict) as exc:
        s.petition_rereview_request(petition_id=p.pk, actor=officer, at=at(2026, 6, 20))
    assert exc.value.code == "wrong_order" and "复查" in exc.value.message

    # Asked on the last day, in the evening: in time.
    p = s.petition_review_request(petition_id=p.pk, actor=officer, at=at(2026, 7, 1, 20))
    assert p.review_due_at == end_of_day(D(2026, 7, 31)) == p.next_due_at
    p = s.petition_review_decide(petition_id=p.pk, actor=officer, at=at(2026, 7, 20))
    assert p.rereview_request_due_at == end_of_day(D(2026, 8, 19))
    p = s.petition_rereview_request(petition_id=p.pk, actor=officer, at=at(2026, 8, 19))
    assert p.rereview_due_at == end_of_day(D(2026, 9, 18))
    p = s.petition_rereview_decide(petition_id=p.pk, actor=officer, at=at(2026, 9, 10))
    assert p.stage == "concluded" and p.next_due_at is None and p.rereview_number
    with pytest.raises(Conflict) as exc:
        s.petition_review_request(petition_id=p.pk, actor=officer, at=at(2026, 9, 11))
    assert exc.value.code == "concluded" and "不再受理" in exc.value.message
    events = list(case.events.values_list("transition", flat=True))
    for name in (
        "petition_registered",
        "petition_accepted",
        "petition_extended",
        "petition_replied",
        "petition_review_requested",
        "petition_reviewed",
        "petition_rereview_requested",
        "petition_concluded",
    ):
        assert name in events


def test_petition_review_window_ending_on_national_day(handled, officer):
    with time_machine.travel(at(2026, 8, 3), tick=False):
        case = handled("petition")
        p = s.petition_register(case_id=case.pk, actor=officer)
        p = s.petition_decide(petition_id=p.pk, actor=officer, accept=True)
    p = s.petition_reply(petition_id=p.pk, actor=officer, at=at(2026, 9, 1), **REPLY)
    # 30 days end on Thu 1 Oct (国庆 1-7 Oct): the window runs to Thu 8 Oct.
    assert p.review_request_due_at == end_of_day(D(2026, 10, 8))
    with pytest.raises(Conflict) as exc:
        s.petition_review_request(petition_id=p.pk, actor=officer, at=at(2026, 10, 9))
    assert exc.value.code == "too_late"
    assert "2026-10-08" in exc.value.message and "《信访工作条例》" in exc.value.message
    p = s.petition_review_request(petition_id=p.pk, actor=officer, at=at(2026, 10, 8))
    assert p.stage == "review"


def test_petition_refusal_needs_a_route_and_ends_the_chain(handled, officer):
    case = handled("petition")
    p = s.petition_register(case_id=case.pk, actor=officer)
    with pytest.raises(ServiceError) as exc:
        s.petition_decide(petition_id=p.pk, actor=officer, accept=False)
    assert "route" in exc.value.fields
    p = s.petition_decide(
        petition_id=p.pk, actor=officer, accept=False, route="属于诉讼程序,请向县人民法院起诉"
    )
    assert p.stage == "refused" and p.notice_number.startswith("LD信不受告")
    with pytest.raises(Conflict) as exc:
        s.petition_review_request(petition_id=p.pk, actor=officer)
    assert exc.value.code == "wrong_order"


def test_petition_only_on_petition_cases_and_by_the_handling_side(
    handled, officer, officer2, clerk
):
    with pytest.raises(ServiceError):
        s.petition_register(case_id=handled("labour").pk, actor=officer)
    case = handled("petition")
    with pytest.raises(NotFound):
        s.petition_register(case_id=case.pk, actor=officer2)
    with pytest.raises((NotAllowed, NotFound)):
        s.petition_register(case_id=case.pk, actor=clerk)
    p = s.petition_register(case_id=case.pk, actor=officer)
    with pytest.raises(Conflict):
        s.petition_register(case_id=case.pk, actor=officer)
    with pytest.raises(NotFound):
        s.petition_decide(petition_id=p.pk, actor=officer2, accept=True)


# --- labour ---------------------------------------------------------------------------------


def test_labour_chain_end_to_end(handled, officer):
    with time_machine.travel(at(2026, 1, 30), tick=False):
        case = handled("labour")
        r = s.labour_register(case_id=case.pk, actor=officer)
    # 15 days from Fri 30 Jan: Sat 14 Feb 2026, a make-up workday: not moved.
    assert r.mediation_due_at == end_of_day(D(2026, 2, 14)) == r.next_due_at
    with pytest.raises(Conflict) as exc:
        s.labour_refer_arbitration(
            labour_id=r.pk,
            actor=officer,
            commission="罗甸县劳动人事争议仲裁委员会",
            at=at(2026, 2, 10),
        )
    assert exc.value.code == "wrong_order" and "第十四条" in exc.value.message
    with pytest.raises(Conflict) as exc:
        s.labour_record_outcome(labour_id=r.pk, actor=officer, outcome="裁决支付工资")
    assert exc.value.code == "wrong_order" and "第四十三条" in exc.value.message

    r = s.labour_refer_arbitration(
        labour_id=r.pk,
        actor=officer,
        commission="罗甸县劳动人事争议仲裁委员会",
        at=at(2026, 2, 24),
    )
    # 5 days end on Sun 1 Mar: moved to Mon 2 Mar (art. 29).
    assert r.stage == "referred" and r.accept_due_at == end_of_day(D(2026, 3, 2))
    r = s.labour_arbitration_decide(
        labour_id=r.pk,
        actor=officer,
        accept=True,
        reference="罗劳人仲案字〔2026〕8号",
        at=at(2026, 3, 2),
    )
    assert r.award_due_at == end_of_day(D(2026, 4, 16)) == r.next_due_at  # 45 days
    with time_machine.travel(at(2026, 4, 10), tick=False):
        r = s.labour_award_extend(labour_id=r.pk, actor=officer, reason="仲裁委主任批准")
        # +15 days end on Fri 1 May (劳动节 1-5 May): moved to Wed 6 May.
        assert r.award_due_at == end_of_day(D(2026, 5, 6))
        with pytest.raises(Conflict) as exc:
            s.labour_award_extend(labour_id=r.pk, actor=officer, reason="再次")
    assert exc.value.code == "extension_limit" and "第四十三条" in exc.value.message
    r = s.labour_record_outcome(
        labour_id=r.pk, actor=officer, outcome="裁决被申请人支付工资12000元", at=at(2026, 5, 6)
    )
    assert r.stage == "awarded" and r.next_due_at is None and r.outcome.startswith("裁决")
    events = set(case.events.values_list("transition", flat=True))
    assert {"labour_registered", "labour_referred", "labour_arbitration_accepted"} <= events
    assert {"labour_award_extended", "labour_outcome"} <= events


def test_labour_failed_mediation_refers_at_once_and_late_extension_is_refused(handled, officer):
    with time_machine.travel(at(2026, 3, 2), tick=False):
        case = handled("labour")
        r = s.labour_register(case_id=case.pk, actor=officer)
        r = s.labour_mediation_end(labour_id=r.pk, actor=officer, settled=False)
        r = s.labour_refer_arbitration(labour_id=r.pk, actor=officer, commission="县仲裁委")
        r = s.labour_arbitration_decide(labour_id=r.pk, actor=officer, accept=True)
    assert r.award_due_at == end_of_day(D(2026, 4, 16))
    with time_machine.travel(at(2026, 4, 17), tick=False), pytest.raises(Conflict) as exc:
        s.labour_award_extend(labour_id=r.pk, actor=officer, reason="批准")
    assert exc.value.code == "deadline_passed" and "人民法院提起诉讼" in exc.value.message


def test_labour_refused_by_the_commission_and_settled_mediation(handled, officer):
    case = handled("labour")
    r = s.labour_register(case_id=case.pk, actor=officer)
    r = s.labour_mediation_end(labour_id=r.pk, actor=officer, settled=True)
    assert r.stage == "settled"
    with pytest.raises(Conflict) as exc:
        s.labour_refer_arbitration(labour_id=r.pk, actor=officer, commission="县仲裁委")
    assert exc.value.code == "wrong_order"
    other = handled("labour")
    r = s.labour_register(case_id=other.pk, actor=officer, applied_at=at(2026, 1, 5))
    r = s.labour_refer_arbitration(labour_id=r.pk, actor=officer, commission="县仲裁委")
    r = s.labour_arbitration_decide(labour_id=r.pk, actor=officer, accept=False)
    assert r.stage == "not_accepted" and r.next_due_at is None


def test_notice_channels_include_labour_inspection(handled):
    channels = s.default_notice_channels(handled("labour"))
    inspection = next(c for c in channels if c["channel"] == "labour_inspection")
    assert "劳动保障监察" in inspection["institution"] and "第二十条" in inspection["time_limit"]


# --- reminders, page and API ----------------------------------------------------------------


def test_the_running_step_is_reminded_to_the_department(handled, officer):
    with time_machine.travel(at(2026, 3, 2), tick=False):
        case = handled("petition")
        s.petition_register(case_id=case.pk, actor=officer)
    reminders.collect(at(2026, 3, 10))  # not yet within 3 days of 17 Mar
    assert not Reminder.objects.filter(case=case, kind=ReminderKind.STEP_DUE).exists()
    reminders.collect(at(2026, 3, 15))
    rows = Reminder.objects.filter(case=case, kind=ReminderKind.STEP_DUE)
    assert officer.pk in set(rows.values_list("recipient_id", flat=True))


def test_case_page_and_api(handled, officer, officer2, outsider, api, client):
    case = handled("petition")
    client.force_login(officer)
    html = client.get(reverse("intake:case_detail", args=[case.pk])).content.decode()
    assert 'id="panel-chains"' in html and "登记信访事项" in html
    r = client.post(reverse("mediation:chain_register", args=[case.pk, "petition"]))
    assert r.status_code == 302
    p = PetitionRecord.objects.get(case=case)
    html = client.get(reverse("intake:case_detail", args=[case.pk])).content.decode()
    assert "信访受理告知期限" in html and "《信访工作条例》" in html
    r = client.post(
        reverse("mediation:chain_step", args=["petition", p.pk, "decide"]), {"accept": "true"}
    )
    assert r.status_code == 302 and PetitionRecord.objects.get(pk=p.pk).stage == "handling"
    client.force_login(officer2)
    r = client.post(reverse("mediation:chain_step", args=["petition", p.pk, "reply"]))
    assert r.status_code == 404

    url = f"/api/cases/{case.pk}/petition/"
    assert api(None).get(url).status_code in (401, 403)
    assert api(outsider).get(url).status_code == 404
    assert api(officer2).get(url).status_code == 404
    assert api(officer).get(url).json()["stage"] == "handling"
    step = f"/api/petitions/{p.pk}/review-request/"
    r = api(officer).post(step, {}, format="json")
    assert r.status_code == 409 and "信访工作条例" in r.json()["error"]["message"]
    assert api(officer).post(f"/api/petitions/{p.pk}/nonsense/", {}).status_code == 404
    assert api(officer2).post(f"/api/petitions/{p.pk}/reply/", {}).status_code == 404
    r = api(officer).post(f"/api/petitions/{p.pk}/reply/", {}, format="json")
    assert r.status_code == 400 and set(r.json()["error"]["fields"]) == set(REPLY)
    r = api(officer).post(f"/api/petitions/{p.pk}/reply/", REPLY, format="json")
    assert r.status_code == 200 and r.json()["stage"] == "replied"
    assert r.json()["reply_sha256"] and r.json()["reply_facts"] == REPLY["facts"]

    labour = handled("labour")
    r = api(officer).post(f"/api/cases/{labour.pk}/labour/", {}, format="json")
    assert r.status_code == 201 and r.json()["stage"] == "mediation"
    lid = LabourRecord.objects.get(case=labour).pk
    r = api(officer).post(f"/api/labour/{lid}/arbitration-decide/", {}, format="json")
    assert r.status_code == 400 and "accept" in r.json()["error"]["fields"]
    r = api(officer).post(f"/api/labour/{lid}/refer/", {"commission": "县仲裁委"}, format="json")
    assert r.status_code == 409 and "第十四条" in r.json()["error"]["message"]


def test_page_step_time_is_parsed_and_a_malformed_one_refused(handled, officer, client):
    case = handled("petition")
    client.force_login(officer)
    url = reverse("mediation:chain_register", args=[case.pk, "petition"])
    r = client.post(url, {"at": "2026/13/45"}, follow=True)
    assert (
        "时间格式" in r.content.decode() and not PetitionRecord.objects.filter(case=case).exists()
    )
    client.post(url, {"at": "2026-03-02 10:00"})
    p = PetitionRecord.objects.get(case=case)
    assert p.received_at == at(2026, 3, 2) and p.accept_due_at == end_of_day(D(2026, 3, 17))
