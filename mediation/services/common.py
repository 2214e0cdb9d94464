"""Shared by the mediation services: who may mediate, the case lock, the event row,
document numbers, and the periods the windows run on."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.lifecycle import lock_visible_case
from intake.models import Case, CaseEvent, State
from luodian_platform.errors import Conflict, NotAllowed
from luodian_platform.roles import Role, user_has_role

from ..models import (
    DocumentCounter,
    Mediator,
    MediatorAssignment,
)

# States in which a mediation can be organised and closed with a document.
WORKING_STATES = (State.ACCEPTED, State.MEDIATING)

# The periods these windows run on (judicial confirmation 《人民调解法》 art. 33 and
# 法释〔2011〕5号, court referral, legal aid 《法律援助法》 art. 43) are rows of the period
# table (luodian_platform.periods), read where each clock is computed.
LEGAL_AID_CENTRE_CODE = "flyz"


# --- access ---------------------------------------------------------------------------


def is_dispatcher(user) -> bool:
    return user.is_superuser or user_has_role(user, Role.DISPATCHER, Role.ADMIN)


def mediator_for_user(user) -> Mediator | None:
    if not getattr(user, "pk", None):
        return None
    return Mediator.objects.filter(user=user, is_active=True).first()


def may_mediate(case: Case, user) -> bool:
    """The dispatch room, the handling department's officers and mediators, and any
    mediator assigned to or sitting in the case's sessions."""
    if is_dispatcher(user):
        return True
    if (
        user_has_role(user, Role.OFFICER, Role.MEDIATOR)
        and case.department_id
        and user.department_id == case.department_id
    ):
        return True
    if user_has_role(user, Role.MEDIATOR):
        return MediatorAssignment.objects.filter(case=case, mediator__user=user).exists()
    return False


def _lock_for_mediation(case_id: int, actor) -> Case:
    case = lock_visible_case(case_id, actor)
    if not may_mediate(case, actor):
        raise NotAllowed(_("您不是该案件的承办部门或调解员,不能组织调解。"))
    return case


def _require_working_state(case: Case) -> None:
    if case.state not in WORKING_STATES:
        raise Conflict(
            _("案件当前状态为「%(state)s」,只有办理中或调解中的案件可以组织调解或出具文书。")
            % {"state": case.get_state_display()},
            code="illegal_state",
        )


def _log(case: Case, name: str, actor, note: str = "", payload: dict | None = None) -> None:
    """An event-log row for a mediation fact that is not a state change."""
    CaseEvent.objects.create(
        case=case,
        transition=name,
        from_state=case.state,
        to_state=case.state,
        actor=actor if getattr(actor, "pk", None) else None,
        note=note,
        payload=payload or {},
    )


def _next_number(kind: str, label: str) -> str:
    """``LD调协〔2026〕12号``. The counter row is locked so numbers have no gaps or twins."""
    year = timezone.localtime().year
    DocumentCounter.objects.get_or_create(kind=kind, year=year)
    counter = DocumentCounter.objects.select_for_update().get(kind=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{settings.COUNTY_CODE}{label}〔{year}〕{counter.last}号"
