"""Scenery for tests that need a replied or closed case: the records a reply's outcome rests
on are made through the services (an agreement signed by everyone, or an issued notice), so
the centre's approval, which checks them, accepts the reply as it would in real use."""

from __future__ import annotations

import datetime as dt

from intake.models import Case, Outcome
from luodian_platform.models import Department
from luodian_platform.workcal import end_of_day, local_date
from tests.file_samples import signed_scan

COMMITTEE = "tj-labour"  # 劳动争议调解委员会 of the demo county
MEDIATOR = "韦国强"


def sign_agreement(case_id: int, officer) -> Case:
    """A mediator of the committee assigned, an agreement recorded and signed by every party,
    the mediator and the committee: it takes effect and the case is replied 调解成功."""
    from mediation import services as mediation
    from mediation.models import Mediator

    mediator = Mediator.objects.get(name=MEDIATOR, kind="committee")
    case = Case.objects.get(pk=case_id)
    if not case.mediator_assignments.filter(mediator=mediator).exists():
        mediation.mediator_assign(case_id=case_id, mediator_id=mediator.pk, actor=officer)
    draft = mediation.agreement_record(
        actor=officer,
        case_id=case_id,
        committee=Department.objects.get(code=COMMITTEE),
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
    mediation.agreement_sign(
        agreement_id=draft.pk,
        actor=officer,
        signatures={p.pk: "signature" for p in draft.parties.all()},
        mediator_signed=True,
        committee_sealed=True,
        scans=[signed_scan()],
    )
    return Case.objects.get(pk=case_id)


def reply_with_records(case_id: int, officer, outcome: str = Outcome.HANDLED) -> Case:
    """Reply with ``outcome`` resting on its records: a signed agreement, an issued notice,
    or (any other outcome) a reply document."""
    from mediation import services as mediation

    if outcome == Outcome.AGREEMENT:
        return sign_agreement(case_id, officer)
    if outcome == Outcome.NOTICE:
        mediation.notice_record(case_id=case_id, actor=officer, reason="分歧过大")
        return Case.objects.get(pk=case_id)  # issuing the notice replies 调解不成
    return mediation.case_reply(
        case_id=case_id, actor=officer, outcome=outcome, text="答复", document="答复意见书"
    )
