"""Issue 16, part 1: a reply's outcome rests on the case's records. "调解成功" only with an
agreement that took effect (《人民调解法》 art. 29), "调解不成" only with an issued notice
(art. 26); the page and the API take the outcome from the records or refuse a mismatch;
rework keeps the history; the evaluation and time-to-agreement follow the records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dispatch.services import case_approve, case_dispatch, case_send_back, case_sign_for
from followup.selectors import Period, evaluation
from followup.services import case_reopen
from intake.models import Case, CaseEvent, Outcome, State
from luodian_platform.errors import Conflict, ServiceError
from luodian_platform.models import Department
from luodian_platform.workcal import end_of_day, local_date
from mediation import services as mediation
from mediation.models import Mediator
from tests.file_samples import signed_scan

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(make_case, dispatcher, officer, rsj):
    def _make():
        case = make_case()
        case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
        return case_sign_for(case_id=case.pk, actor=officer)

    return _make


@pytest.fixture
def luo():
    return Mediator.objects.get(name="韦国强", kind="committee")


def _draft(case, officer, mediator):
    mediation.mediator_assign(case_id=case.pk, mediator_id=mediator.pk, actor=officer)
    return mediation.agreement_record(
        actor=officer,
        case_id=case.pk,
        committee=Department.objects.get(code="tj-labour"),
        mediator_id=mediator.pk,
        facts="拖欠工资12000元。",
        issues="欠付数额。",
        liabilities="被申请人应支付。",
        parties=[mediation.AgreementPartyInput(party_id=p.pk) for p in case.parties.all()],
        terms=[
            mediation.AgreementTermInput(
                content="支付工资12000元",
                performance_method="银行转账",
                due_at=end_of_day(local_date() + dt.timedelta(days=10)),
            )
        ],
    )


def _sign(draft, officer):
    return mediation.agreement_sign(
        agreement_id=draft.pk,
        actor=officer,
        signatures={p.pk: "signature" for p in draft.parties.all()},
        mediator_signed=True,
        committee_sealed=True,
        scans=[signed_scan()],
    )


def _row(rsj):
    today = local_date()
    period = Period(today - dt.timedelta(days=1), today + dt.timedelta(days=1), "t")
    return next(r for r in evaluation(period=period, by="department") if r.key == rsj.pk)


def test_agreement_reply_refused_until_signed_then_accepted_and_evaluation_moves(
    accepted, officer, dispatcher, luo, rsj
):
    # One case closed with a notice: 人社局 mediated 1, succeeded 0.
    failed = accepted()
    mediation.notice_record(case_id=failed.pk, actor=officer, reason="双方分歧过大")
    case_approve(case_id=failed.pk, actor=dispatcher)
    assert (_row(rsj).agreements, _row(rsj).mediated, _row(rsj).success_rate) == (0, 1, 0.0)

    case = accepted()
    with pytest.raises(ServiceError) as exc:  # no agreement at all
        mediation.case_reply(
            case_id=case.pk, actor=officer, outcome=Outcome.AGREEMENT, text="达成协议"
        )
    assert "没有调解协议书" in exc.value.message and "outcome" in exc.value.fields
    draft = _draft(case, officer, luo)
    with pytest.raises(ServiceError) as exc:  # a draft is not an agreement (art. 29)
        mediation.case_reply(
            case_id=case.pk,
            actor=officer,
            outcome=Outcome.AGREEMENT,
            text="达成协议",
        )
    # a draft has no official number yet (issue 19): it is named as a draft
    assert draft.number is None
    assert str(draft.label) in exc.value.message and "第二十九条" in exc.value.message
    assert Case.objects.get(pk=case.pk).state == State.ACCEPTED

    agreement = _sign(draft, officer)  # takes effect and replies the case
    case.refresh_from_db()
    assert case.state == State.REPLIED and case.outcome == Outcome.AGREEMENT
    assert case.reply_document == agreement.number
    case_approve(case_id=case.pk, actor=dispatcher)
    row = _row(rsj)
    assert (row.agreements, row.mediated, row.success_rate) == (1, 2, 0.5)
    case.refresh_from_db()
    expected = (agreement.effective_at - case.created_at).total_seconds() / 3600
    assert row.avg_agreement_hours == pytest.approx(round(expected, 2), abs=0.01)


def test_notice_case_sent_back_cannot_be_replied_as_agreement(accepted, officer, dispatcher):
    """The abuse of the issue: a case with only a notice replied as "agreement"."""
    case = accepted()
    notice = mediation.notice_record(case_id=case.pk, actor=officer, reason="被申请人拒绝")
    case_send_back(case_id=case.pk, actor=dispatcher, reason="请补充答复意见")
    with pytest.raises(ServiceError) as exc:
        mediation.case_reply(
            case_id=case.pk, actor=officer, outcome=Outcome.AGREEMENT, text="达成协议"
        )
    assert "协议书" in exc.value.message
    with pytest.raises(ServiceError) as exc:  # the notice's number does not prove it either
        mediation.case_reply(
            case_id=case.pk,
            actor=officer,
            outcome=Outcome.AGREEMENT,
            text="达成协议",
            document=notice.number,
        )
    # Left empty, the outcome and document come from the records.
    replied = mediation.case_reply(case_id=case.pk, actor=officer, text="补充答复")
    assert (replied.outcome, replied.reply_document) == (Outcome.NOTICE, notice.number)
    event = CaseEvent.objects.filter(case=case, transition="reply").last()
    assert event.payload["outcome"] == Outcome.NOTICE and event.payload["outcome_from_records"]


def test_notice_outcome_needs_an_issued_notice_and_its_number(accepted, officer, dispatcher):
    case = accepted()
    with pytest.raises(ServiceError) as exc:
        mediation.case_reply(
            case_id=case.pk, actor=officer, outcome=Outcome.NOTICE, text="调解不成", document="x"
        )
    assert "没有已出具的告知书" in exc.value.message
    with pytest.raises(ServiceError) as exc:  # nothing on record and no outcome chosen
        mediation.case_reply(case_id=case.pk, actor=officer, text="已办理")
    assert "outcome" in exc.value.fields
    # A plain reply (答复) rests on its reply document.
    with pytest.raises(ServiceError) as exc:
        mediation.case_reply(case_id=case.pk, actor=officer, outcome=Outcome.HANDLED, text="答")
    assert "document" in exc.value.fields
    done = mediation.case_reply(
        case_id=case.pk, actor=officer, outcome=Outcome.HANDLED, text="答", document="答复意见书"
    )
    assert done.state == State.REPLIED and done.outcome == Outcome.HANDLED


def test_api_refuses_a_mismatch_with_a_chinese_message_and_takes_records(
    accepted, officer, api, luo
):
    case = accepted()
    client = api(officer)
    url = f"/api/cases/{case.pk}/reply/"
    bad = client.post(url, {"outcome": "agreement", "text": "达成协议"}, format="json")
    assert bad.status_code == 400
    body = bad.json()["error"]
    assert "调解成功" in body["message"] and "协议书" in body["fields"]["outcome"][0]
    assert Case.objects.get(pk=case.pk).state == State.ACCEPTED
    draft = _draft(case, officer, luo)
    assert (
        client.post(url, {"text": "达成协议", "outcome": "agreement"}, format="json").status_code
        == 400
    )
    _sign(draft, officer)
    assert Case.objects.get(pk=case.pk).outcome == Outcome.AGREEMENT


def test_reply_page_prefills_from_records_and_refuses_a_mismatch(accepted, officer, client):
    case = accepted()
    notice = mediation.notice_record(case_id=case.pk, actor=officer, reason="分歧过大")
    from dispatch.services import case_send_back as send_back
    from luodian_platform.models import User

    send_back(case_id=case.pk, actor=User.objects.get(username="dispatcher"), reason="补充")
    client.force_login(officer)
    url = reverse("intake:case_action", args=[case.pk, "reply"])
    page = client.get(url).content.decode()
    assert f'value="{notice.number}"' in page  # document prefilled
    assert 'value="notice" selected' in page and "答复依据" in page
    case.refresh_from_db()
    response = client.post(
        url, {"version": case.version, "outcome": "agreement", "text": "达成", "document": ""}
    )
    assert response.status_code == 400
    assert "缺少已签署生效的调解协议书" in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == State.ACCEPTED


def test_approval_page_shows_the_records_the_outcome_rests_on(
    accepted, officer, dispatcher, client, luo
):
    case = accepted()
    agreement = _sign(_draft(case, officer, luo), officer)
    client.force_login(dispatcher)
    page = client.get(reverse("intake:case_action", args=[case.pk, "approve"])).content.decode()
    assert "答复依据" in page and agreement.number in page and 'data-proved="1"' in page
    # A reply recorded before the rule (hand-edited data): the page says it is not proved.
    Case.objects.filter(pk=case.pk).update(reply_document="伪造")
    page = client.get(reverse("intake:case_action", args=[case.pk, "approve"])).content.decode()
    assert 'data-proved="0"' in page


def test_approval_refused_while_the_outcome_is_unproved_then_send_back_works(
    accepted, officer, dispatcher, luo, api
):
    case = accepted()
    _sign(_draft(case, officer, luo), officer)
    # Hand-edited data (or a reply from before the rule): the document is not the agreement.
    Case.objects.filter(pk=case.pk).update(reply_document="伪造")
    with pytest.raises(Conflict) as refused:
        case_approve(case_id=case.pk, actor=dispatcher)
    assert "伪造" in str(refused.value.message) and "第二十九条" in str(refused.value.message)
    response = api(dispatcher).post(f"/api/cases/{case.pk}/approve/", {}, format="json")
    assert response.status_code == 409, response.content
    assert "不能审核通过" in response.json()["error"]["message"]
    assert Case.objects.get(pk=case.pk).state == State.REPLIED
    assert not CaseEvent.objects.filter(case=case, transition="approve").exists()
    # The way out the message names: send it back.
    case_send_back(case_id=case.pk, actor=dispatcher, reason="答复文书与协议书不符")
    assert Case.objects.get(pk=case.pk).state == State.ACCEPTED


def test_approval_of_a_proved_outcome_is_not_blocked(accepted, officer, dispatcher, luo):
    case = accepted()
    _sign(_draft(case, officer, luo), officer)
    assert case_approve(case_id=case.pk, actor=dispatcher).state == State.CLOSED


def test_rework_keeps_history_and_needs_new_records(
    accepted, officer, dispatcher, followup_officer, luo
):
    case = accepted()
    agreement = _sign(_draft(case, officer, luo), officer)
    case_approve(case_id=case.pk, actor=dispatcher)
    case_reopen(case_id=case.pk, actor=followup_officer, reason="协议未履行")
    event = CaseEvent.objects.filter(case=case, transition="reopen").get()
    assert event.payload["previous"]["outcome"] == Outcome.AGREEMENT
    assert event.payload["previous"]["document"] == agreement.number
    assert CaseEvent.objects.filter(case=case, transition="reply").count() == 1
    case_sign_for(case_id=case.pk, actor=officer)
    # The agreement of the earlier round stays on file but does not prove the new reply.
    with pytest.raises(ServiceError):
        mediation.case_reply(
            case_id=case.pk,
            actor=officer,
            outcome=Outcome.AGREEMENT,
            text="已履行",
            document=agreement.number,
        )
    case.refresh_from_db()
    assert case.agreements.get().is_effective and case.agreement_signed_at is not None


def test_legacy_agreement_reply_without_agreement_is_not_success_nor_timed(
    accepted, officer, dispatcher, rsj
):
    """Data recorded before the rule: outcome "agreement" but no agreement took effect."""
    case = accepted()
    mediation.case_reply(
        case_id=case.pk, actor=officer, outcome=Outcome.HANDLED, text="答", document="答复书"
    )
    case_approve(case_id=case.pk, actor=dispatcher)
    # Approved before approval checked the records; the outcome said "agreement".
    Case.objects.filter(pk=case.pk).update(outcome=Outcome.AGREEMENT)
    row = _row(rsj)
    assert (row.agreements, row.mediated, row.success_rate) == (0, 1, 0.0)
    assert row.avg_agreement_hours is None
