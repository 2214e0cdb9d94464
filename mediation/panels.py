"""The mediation panels on the case page (registered in ``MediationConfig.ready``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .models import CourtReferral
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
