"""Judicial confirmation (《人民调解法》 art. 33) and court-referred mediation."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.clocks import compute, compute_period, flag
from intake.models import Channel
from luodian_platform.errors import Conflict, NotFound, ServiceError
from luodian_platform.models import Department
from luodian_platform.periods import period

from ..models import (
    CourtReferral,
    JudicialConfirmation,
)
from .common import (
    _lock_for_mediation,
    _log,
)

# --- judicial confirmation -------------------------------------------------------------


def _lock_confirmation(jc_id: int, actor) -> JudicialConfirmation:
    jc = JudicialConfirmation.objects.select_related("agreement").filter(pk=jc_id).first()
    if jc is None:
        raise NotFound(_("司法确认记录不存在或您无权查看。"))
    _lock_for_mediation(jc.agreement.case_id, actor)
    return JudicialConfirmation.objects.select_for_update().get(pk=jc_id)


def judicial_confirmation_apply(
    *, jc_id: int, actor, applied_at: dt.datetime | None = None, court_reference: str = ""
) -> JudicialConfirmation:
    """The parties applied jointly to the court (《人民调解法》 art. 33: within 30 days of
    the agreement taking effect, moved past a closing rest day)."""
    applied_at = applied_at or timezone.now()
    with transaction.atomic():
        jc = _lock_confirmation(jc_id, actor)
        if jc.applied_at:
            raise Conflict(_("已登记司法确认申请。"), code="duplicate")
        if applied_at > jc.window_ends_at:
            raise ServiceError(
                _("已超过协议生效后三十日的申请期限(%(d)s,《人民调解法》第三十三条)。")
                % {"d": timezone.localtime(jc.window_ends_at).date()},
                fields={"applied_at": _("超过申请期限。")},
            )
        jc.applied_at = applied_at
        jc.court_reference = court_reference.strip()
        accept = compute_period("jc_accept", start=applied_at)
        jc.accept_due_at = accept.due
        jc.save()
        flag(accept, target=jc, field_name="accept_due_at", case=jc.agreement.case)
    return jc


def judicial_confirmation_accept(
    *, jc_id: int, actor, accepted_at: dt.datetime | None = None, court_reference: str = ""
) -> JudicialConfirmation:
    accepted_at = accepted_at or timezone.now()
    with transaction.atomic():
        jc = _lock_confirmation(jc_id, actor)
        if not jc.applied_at or jc.accepted_at:
            raise Conflict(_("请先登记申请;已受理的不能重复受理。"), code="illegal_state")
        jc.accepted_at = accepted_at
        decide = compute_period("jc_decide", start=accepted_at)
        jc.decide_due_at = decide.due
        if court_reference:
            jc.court_reference = court_reference.strip()
        jc.save()
        flag(decide, target=jc, field_name="decide_due_at", case=jc.agreement.case)
    return jc


def judicial_confirmation_extend(*, jc_id: int, actor) -> JudicialConfirmation:
    """The court extended its decision period (法释〔2011〕5号: once, by 10 days; the
    period table says how long and how often)."""
    with transaction.atomic():
        jc = _lock_confirmation(jc_id, actor)
        if not jc.accepted_at or jc.decided_at or jc.extended:
            raise Conflict(_("只有已受理、未决定的申请可以延长一次。"), code="illegal_state")
        if not period("jc_decide").max_extensions:
            raise Conflict(_("期限表规定司法确认期限不得延长。"), code="extension_limit")
        ext = compute_period("jc_decide", start=jc.decide_due_at, extension=True)
        jc.decide_due_at = ext.due
        jc.extended = True
        jc.save()
        flag(ext, target=jc, field_name="decide_due_at", case=jc.agreement.case)
    return jc


def judicial_confirmation_decide(
    *, jc_id: int, actor, decision: str, decided_at: dt.datetime | None = None
) -> JudicialConfirmation:
    if decision not in JudicialConfirmation.Decision.values:
        raise ServiceError(_("请选择法院决定。"), fields={"decision": _("请选择。")})
    with transaction.atomic():
        jc = _lock_confirmation(jc_id, actor)
        if not jc.applied_at or jc.decided_at:
            raise Conflict(_("未申请或已决定。"), code="illegal_state")
        jc.decision = decision
        jc.decided_at = decided_at or timezone.now()
        jc.save()
    return jc


# --- court referrals --------------------------------------------------------------------


def court_referral_register(
    *, case_id: int, actor, court_reference: str, referred_at: dt.datetime | None = None
) -> CourtReferral:
    """A filing the court's litigation service centre referred for pre-litigation mediation:
    30 days from referral."""
    court_reference = (court_reference or "").strip()
    if not court_reference:
        raise ServiceError(_("请填写法院委派编号。"), fields={"court_reference": _("必填。")})
    referred_at = referred_at or timezone.now()
    with transaction.atomic():
        case = _lock_for_mediation(case_id, actor)
        if case.channel != Channel.COURT:
            raise ServiceError(
                _("只有来源为法院委派的案件可以登记诉前调解。"),
                fields={"case": _("来源渠道不是法院委派。")},
            )
        if CourtReferral.objects.filter(case=case).exists():
            raise Conflict(_("该案件已登记法院委派。"), code="duplicate")
        court = Department.objects.filter(kind=Department.Kind.COURT).order_by("pk").first()
        if court is None:
            raise ServiceError(_("系统未配置法院。"))
        due = compute_period("court_referral", start=referred_at)
        referral = CourtReferral.objects.create(
            case=case,
            court=court,
            court_reference=court_reference,
            referred_at=referred_at,
            due_at=due.due,
        )
        flag(due, target=referral, field_name="due_at", case=case)
        _log(case, "court_referral", actor, note=court_reference)
    return referral


def court_referral_extend(*, referral_id: int, actor, days: int, basis: str) -> CourtReferral:
    """Extended by the parties' agreement (the basis says who agreed and how)."""
    basis = (basis or "").strip()
    if not basis:
        raise ServiceError(
            _("延长调解期限须经各方当事人同意,请写明。"), fields={"basis": _("必填。")}
        )
    rule = period("court_referral")
    if not 1 <= int(days) <= rule.extension_amount:
        msg = _("延长天数应为1至%(n)s天。") % {"n": rule.extension_amount}
        raise ServiceError(msg, fields={"days": msg})
    ref = CourtReferral.objects.filter(pk=referral_id).first()
    if ref is None:
        raise NotFound(_("委派记录不存在或您无权查看。"))
    with transaction.atomic():
        case = _lock_for_mediation(ref.case_id, actor)
        ref = CourtReferral.objects.select_for_update().get(pk=referral_id)
        if ref.reported_at:
            raise Conflict(_("已向法院反馈结果,不能再延长。"), code="illegal_state")
        used = case.events.filter(transition="court_referral_extend").count()
        if rule.max_extensions and used >= rule.max_extensions:  # 0: as the parties agree
            raise Conflict(_("已达期限表规定的延长次数上限。"), code="extension_limit")
        ext = compute(
            "court_referral", start=ref.due_at, amount=int(days), unit=rule.unit, chained=True
        )
        ref.due_at = ext.due
        ref.extended_days += int(days)
        ref.extension_basis = basis
        ref.save()
        flag(ext, target=ref, field_name="due_at", case=case)
        _log(case, "court_referral_extend", actor, note=basis, payload={"days": int(days)})
    return ref


def court_referral_report(*, referral_id: int, actor, result: str, note: str) -> CourtReferral:
    """Report the result back to the court (the printable report is ``referral_report``)."""
    if result not in CourtReferral.Result.values:
        raise ServiceError(_("请选择调解结果。"), fields={"result": _("请选择。")})
    ref = CourtReferral.objects.filter(pk=referral_id).first()
    if ref is None:
        raise NotFound(_("委派记录不存在或您无权查看。"))
    with transaction.atomic():
        case = _lock_for_mediation(ref.case_id, actor)
        ref = CourtReferral.objects.select_for_update().get(pk=referral_id)
        ref.result = result
        ref.result_note = (note or "").strip()
        ref.reported_at = timezone.now()
        ref.reported_by = actor
        ref.save()
        _log(case, "court_referral_report", actor, note=ref.get_result_display())
    return ref
