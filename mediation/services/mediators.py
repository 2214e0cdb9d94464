"""Mediators, the expert pool, 回避 (conflicts of interest) and joint mediation."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from intake.lifecycle import lock_visible_case
from intake.models import Case, Party
from luodian_platform.errors import Conflict, NotAllowed, ServiceError
from luodian_platform.models import Department

from ..models import (
    ConflictDeclaration,
    JointMediation,
    Mediator,
    MediatorAssignment,
)
from .common import (
    _lock_for_mediation,
    _log,
    is_dispatcher,
    mediator_for_user,
)

# --- mediators and 回避 ------------------------------------------------------------------


def conflict_reasons(*, mediator: Mediator, case: Case, parties=None) -> list[str]:
    """Why ``mediator`` must withdraw (回避) from ``case``; empty when there is no conflict.

    A mediator who is a party, or whose declared relative/employer is a party (matched by
    ID number / credit code, or by exact name), or who declared a conflict on the case.
    """
    parties = list(parties if parties is not None else case.parties.all())
    reasons: list[str] = []
    for party in parties:
        ids = {v for v in (party.id_number, party.credit_code) if v}
        if (mediator.id_number and mediator.id_number in ids) or (
            party.kind == Party.Kind.PERSON and party.name == mediator.name
        ):
            reasons.append(_("调解员本人是当事人(%(name)s)") % {"name": party.name})
        for rel in mediator.relations.all():
            if (rel.id_number and rel.id_number in ids) or rel.name == party.name:
                reasons.append(
                    _("当事人%(name)s是调解员申报的%(kind)s")
                    % {"name": party.name, "kind": rel.get_kind_display()}
                )
    for decl in mediator.conflicts.all():
        if decl.case_id == case.pk:
            reasons.append(_("调解员已申报回避:%(r)s") % {"r": decl.reason})
    return reasons


def mediator_assign(
    *,
    case_id: int,
    mediator_id: int,
    actor,
    is_lead: bool = False,
    override_reason: str = "",
) -> MediatorAssignment:
    """指派调解员, with the 回避 check. Only the dispatch room may override a conflict, and
    must say why; the override is written to the case's event log."""
    override_reason = (override_reason or "").strip()
    if override_reason and not is_dispatcher(actor):
        raise NotAllowed(_("只有调度员可以决定不予回避。"))
    with transaction.atomic():
        case = _lock_for_mediation(case_id, actor)
        if not case.is_open:
            raise Conflict(_("案件已办结,不能再指派调解员。"), code="illegal_state")
        mediator = (
            Mediator.objects.prefetch_related("relations", "conflicts")
            .filter(pk=mediator_id, is_active=True)
            .first()
        )
        if mediator is None:
            raise ServiceError(
                _("调解员不存在或已不在册。"), fields={"mediator": _("请选择调解员。")}
            )
        if MediatorAssignment.objects.filter(case=case, mediator=mediator).exists():
            raise Conflict(_("该调解员已指派到本案。"), code="duplicate")
        if not mediator.is_available and not override_reason:
            raise ServiceError(
                _("该调解员目前不接受指派。"), fields={"mediator": _("请选择其他调解员。")}
            )
        reasons = conflict_reasons(mediator=mediator, case=case)
        if reasons and not override_reason:
            raise ServiceError(
                _("该调解员应当回避:%(r)s。如确需指派,请由调度员填写不予回避理由。")
                % {"r": ";".join(reasons)},
                code="conflict_of_interest",
                fields={"mediator": ";".join(reasons)},
            )
        if is_lead:
            MediatorAssignment.objects.filter(case=case, is_lead=True).update(is_lead=False)
        assignment = MediatorAssignment.objects.create(
            case=case,
            mediator=mediator,
            is_lead=is_lead,
            assigned_by=actor,
            conflict=";".join(reasons)[:200],
            override_reason=override_reason if reasons or not mediator.is_available else "",
        )
        if reasons:
            _log(
                case,
                "mediator_override",
                actor,
                note=_("不予回避:%(m)s。事由:%(r)s。理由:%(o)s")
                % {"m": mediator.name, "r": ";".join(reasons), "o": override_reason},
                payload={"mediator": mediator.pk, "conflicts": reasons},
            )
        else:
            _log(
                case,
                "mediator_assign",
                actor,
                note=mediator.name,
                payload={"mediator": mediator.pk},
            )
    return assignment


def conflict_declare(*, case_id: int, actor, reason: str) -> ConflictDeclaration:
    """A mediator declares a conflict on a case they can see (自行申请回避)."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请说明回避理由。"), fields={"reason": _("请填写回避理由。")})
    mediator = mediator_for_user(actor)
    if mediator is None:
        raise NotAllowed(_("您不在调解员名册中。"))
    with transaction.atomic():
        case = lock_visible_case(case_id, actor)
        decl, _created = ConflictDeclaration.objects.update_or_create(
            mediator=mediator, case=case, defaults={"reason": reason}
        )
        _log(case, "mediator_conflict", actor, note=reason, payload={"mediator": mediator.pk})
    return decl


def joint_mediation_set(
    *,
    case_id: int,
    actor,
    lead_department: Department,
    departments: list[Department],
    experts: list[Mediator],
    note: str = "",
) -> JointMediation:
    """联合调解: a lead department organises, other departments and experts take part."""
    with transaction.atomic():
        case = _lock_for_mediation(case_id, actor)
        if not case.is_open:
            raise Conflict(_("案件已办结,不能再组织联合调解。"), code="illegal_state")
        joint, _created = JointMediation.objects.update_or_create(
            case=case,
            defaults={"lead_department": lead_department, "note": note, "created_by": actor},
        )
        joint.departments.set([d for d in departments if d.pk != lead_department.pk])
        joint.experts.set(experts)
        _log(
            case,
            "joint_mediation",
            actor,
            note=note,
            payload={
                "lead": lead_department.code,
                "departments": [d.code for d in departments],
                "experts": [e.pk for e in experts],
            },
        )
    return joint
