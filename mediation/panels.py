"""The mediation panels on the case page (registered in ``MediationConfig.ready``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from luodian_platform.models import Category, Period

from .models import CourtReferral, LabourRecord, PetitionRecord
from .selectors import case_sessions, format_duration, time_to_agreement
from .services import may_mediate

EVENT_LABELS = {
    "mediator_assign": _("指派调解员"),
    "mediator_override": _("不予回避(调度员决定)"),
    "mediator_conflict": _("调解员申报回避"),
    "joint_mediation": _("组织联合调解"),
    "session_book": _("预约调解"),
    "session_record": _("记录调解笔录"),
    "agreement_draft": _("拟定调解协议书"),
    "agreement_signed": _("调解协议签署生效"),
    "term_performed": _("协议条款履行完毕"),
    "court_referral": _("登记法院委派"),
    "court_referral_extend": _("延长委派调解期限"),
    "court_referral_report": _("向法院反馈调解结果"),
    "legal_service": _("法律服务"),
    "petition_registered": _("登记信访事项"),
    "petition_accepted": _("受理信访事项(受理告知书)"),
    "petition_refused": _("不予受理信访事项(不予受理告知书)"),
    "petition_extended": _("延长信访办理期限"),
    "petition_replied": _("出具信访处理意见书"),
    "petition_review_requested": _("信访人请求复查"),
    "petition_reviewed": _("出具复查意见书"),
    "petition_rereview_requested": _("信访人请求复核"),
    "petition_concluded": _("出具复核意见书,信访事项终结"),
    "labour_registered": _("登记劳动争议调解申请"),
    "labour_settled": _("劳动争议调解成功"),
    "labour_mediation_failed": _("劳动争议调解不成"),
    "labour_referred": _("申请劳动仲裁"),
    "labour_arbitration_accepted": _("仲裁委员会受理"),
    "labour_arbitration_refused": _("仲裁委员会不予受理"),
    "labour_award_extended": _("仲裁期限延长"),
    "labour_outcome": _("记录仲裁结果"),
}

# (field, period code) of each clock on the chain records, in the order they run.
PETITION_CLOCKS = [
    ("accept_due_at", "petition_accept"),
    ("handle_due_at", "petition_handle"),
    ("review_request_due_at", "petition_review_request"),
    ("review_due_at", "petition_review_decide"),
    ("rereview_request_due_at", "petition_rereview_request"),
    ("rereview_due_at", "petition_rereview_decide"),
]
LABOUR_CLOCKS = [
    ("mediation_due_at", "labour_mediation"),
    ("accept_due_at", "labour_arbitration_accept"),
    ("award_due_at", "labour_arbitration_award"),
]
PETITION_NEXT = {
    "acceptance": ["decide"],
    "handling": ["extend", "reply"],
    "replied": ["review-request"],
    "review": ["review-decide"],
    "reviewed": ["rereview-request"],
    "rereview": ["rereview-decide"],
}
LABOUR_NEXT = {
    "mediation": ["mediation-end", "refer"],
    "referred": ["arbitration-decide"],
    "arbitration": ["extend", "outcome"],
}


def _clocks(record, spec) -> list[dict]:
    periods = {p.code: p for p in Period.objects.filter(code__in=[c for _f, c in spec])}
    rows = []
    for field_name, code in spec:
        due = getattr(record, field_name)
        if due is None:
            continue
        p = periods.get(code)
        rows.append(
            {
                "label": p.name if p else code,
                "due": due,
                "basis": p.display if p else "",
                "current": due == record.next_due_at,
            }
        )
    return rows


def chains_panel(*, case, user, request) -> dict | None:
    petition = PetitionRecord.objects.filter(case=case).first()
    labour = LabourRecord.objects.filter(case=case).first()
    can = may_mediate(case, user)
    can_register_petition = (
        can and petition is None and case.category.kind == Category.Kind.PETITION
    )
    # Offered on labour cases; the service itself accepts any case a labour dispute is in.
    can_register_labour = (
        can
        and labour is None
        and case.category.code == "labour"
        and case.state in ("accepted", "mediating")
    )
    if not (petition or labour or can_register_petition or can_register_labour):
        return None
    return {
        "case": case,
        "petition": petition,
        "petition_clocks": _clocks(petition, PETITION_CLOCKS) if petition else [],
        "petition_next": PETITION_NEXT.get(petition.stage, []) if (petition and can) else [],
        "labour": labour,
        "labour_clocks": _clocks(labour, LABOUR_CLOCKS) if labour else [],
        "labour_next": LABOUR_NEXT.get(labour.stage, []) if (labour and can) else [],
        "can_register_petition": can_register_petition,
        "can_register_labour": can_register_labour,
    }


def case_panel(*, case, user, request) -> dict | None:
    sessions = list(case_sessions(case=case))
    assignments = list(case.mediator_assignments.select_related("mediator"))
    agreements = list(case.agreements.all())
    notices = list(case.mediation_notices.all())
    referral = CourtReferral.objects.filter(case=case).first()
    if not (sessions or assignments or agreements or notices or referral) and case.state not in (
        "accepted",
        "mediating",
    ):
        return None
    return {
        "case": case,
        "sessions": sessions,
        "assignments": assignments,
        "agreements": agreements,
        "notices": notices,
        "referral": referral,
        "can_mediate": may_mediate(case, user),
    }


def metric_panel(*, case, user, request) -> dict | None:
    delta = time_to_agreement(case)
    if delta is None:
        return None
    return {
        "signed_at": case.agreement_signed_at,
        "duration": format_duration(delta),
        "hours": round(delta.total_seconds() / 3600, 1),
    }


def reply_basis_panel(*, case, user, request) -> dict | None:
    """答复依据: the documents of this round that the reply's outcome rests on, shown on the
    case page and on the reply and approval pages, with a warning when the outcome recorded
    is not proved by them (replies recorded before the rule, or data edited by hand)."""
    from intake.models import Outcome

    from .services import outcome_unproved, reply_basis

    if not case.outcome and case.state not in ("accepted", "mediating"):
        return None
    basis = reply_basis(case)
    missing = outcome_unproved(case, basis)
    return {
        "case": case,
        "basis": basis,
        "proved": missing is None,
        "missing": missing,
        "suggested": dict(Outcome.choices).get(basis.suggested()[0], ""),
    }
