"""The legal-services window: consultations, counselling and legal aid."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.clocks import compute_period, flag
from intake.lifecycle import lock_visible_case
from luodian_platform.errors import Conflict, NotAllowed, NotFound, ServiceError
from luodian_platform.models import Department
from luodian_platform.roles import Role, user_has_role

from ..models import (
    LegalService,
    Mediator,
)
from .common import (
    LEGAL_AID_CENTRE_CODE,
    _log,
    is_dispatcher,
)

# --- legal-services window ---------------------------------------------------------------

LEGAL_SERVICE_ROLES = (Role.CLERK, Role.OFFICER, Role.MEDIATOR, Role.DISPATCHER, Role.ADMIN)


def legal_service_record(
    *,
    actor,
    kind: str,
    person_name: str,
    summary: str,
    case_id: int | None = None,
    phone: str = "",
    id_number: str = "",
    answer: str = "",
) -> LegalService:
    """A consultation, legal-aid application or counselling session, on a case or on the
    spot. A legal-aid application is referred to the legal aid centre with its deadline."""
    if not (actor.is_superuser or user_has_role(actor, *LEGAL_SERVICE_ROLES)):
        raise NotAllowed(_("您没有登记法律服务的权限。"))
    errors = {}
    if kind not in LegalService.Kind.values:
        errors["kind"] = _("请选择服务类型。")
    if not (person_name or "").strip():
        errors["person_name"] = _("请填写服务对象。")
    if not (summary or "").strip():
        errors["summary"] = _("请填写事项。")
    if errors:
        raise ServiceError(_("信息不完整。"), fields=errors)
    now = timezone.now()
    with transaction.atomic():
        case = lock_visible_case(case_id, actor) if case_id else None
        service = LegalService(
            kind=kind,
            case=case,
            person_name=person_name.strip(),
            phone=(phone or "").strip(),
            id_number=(id_number or "").strip(),
            summary=summary.strip(),
            answer=answer.strip(),
            handled_by=actor,
            created_at=now,
        )
        if kind == LegalService.Kind.LEGAL_AID:
            service.referred_to = Department.objects.get(code=LEGAL_AID_CENTRE_CODE)
            # 《法律援助法》 art. 43 ("七日"); the unit (working or calendar days) is the
            # county's choice in the period table.
            decision = compute_period("legal_aid_decision", start=now)
            service.decision_due_at = decision.due
        service.save()
        if kind == LegalService.Kind.LEGAL_AID:
            flag(decision, target=service, field_name="decision_due_at", case=case)
        if case is not None:
            _log(case, "legal_service", actor, note=service.get_kind_display())
    return service


def _may_decide_legal_aid(user) -> bool:
    return is_dispatcher(user) or (
        user_has_role(user, Role.OFFICER)
        and user.department_id is not None
        and user.department.code == LEGAL_AID_CENTRE_CODE
    )


def legal_aid_decide(*, service_id: int, actor, decision: str, note: str = "") -> LegalService:
    if not _may_decide_legal_aid(actor):
        raise NotAllowed(_("只有法律援助中心可以作出法律援助决定。"))
    if decision not in LegalService.Decision.values:
        raise ServiceError(_("请选择审查决定。"), fields={"decision": _("请选择。")})
    with transaction.atomic():
        service = (
            LegalService.objects.select_for_update()
            .filter(pk=service_id, kind=LegalService.Kind.LEGAL_AID)
            .first()
        )
        if service is None:
            raise NotFound(_("法律援助申请不存在。"))
        if service.decision:
            raise Conflict(_("该申请已作出决定。"), code="decided")
        now = timezone.now()
        service.decision = decision
        service.decided_at = now
        if note:
            service.answer = note.strip()
        if decision == LegalService.Decision.APPROVED:
            lawyer = compute_period("legal_aid_lawyer", start=now)
            service.lawyer_due_at = lawyer.due
        service.save()
        if decision == LegalService.Decision.APPROVED:
            flag(lawyer, target=service, field_name="lawyer_due_at", case=service.case)
    return service


def legal_aid_assign_lawyer(*, service_id: int, actor, lawyer_id: int) -> LegalService:
    if not _may_decide_legal_aid(actor):
        raise NotAllowed(_("只有法律援助中心可以指派律师。"))
    with transaction.atomic():
        service = (
            LegalService.objects.select_for_update()
            .filter(pk=service_id, kind=LegalService.Kind.LEGAL_AID)
            .first()
        )
        if service is None:
            raise NotFound(_("法律援助申请不存在。"))
        if service.decision != LegalService.Decision.APPROVED or service.lawyer_id:
            raise Conflict(
                _("只有已决定给予援助且未指派的申请可以指派律师。"), code="illegal_state"
            )
        lawyer = Mediator.objects.filter(
            pk=lawyer_id, kind=Mediator.Kind.LAWYER, is_active=True
        ).first()
        if lawyer is None:
            raise ServiceError(_("请选择在册律师。"), fields={"lawyer": _("请选择律师。")})
        service.lawyer = lawyer
        service.lawyer_assigned_at = timezone.now()
        service.save()
    return service
