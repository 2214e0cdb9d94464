"""The dispatch room's panels on the case page: routing (suggestion, dispatches, returns)
and deadline & oversight (extensions, urges/supervision/notices, corrections)."""

from __future__ import annotations

from intake.models import Case, State
from intake.panels import CasePanel, register_panel
from luodian_platform.models import Department
from luodian_platform.roles import Role, user_has_role

from . import selectors
from .deadlines import rule_for
from .models import Correction, ExtensionRequest, Supervision
from .routing import routing_suggest
from .services import EXTENSION_STATES, department_is_staffed


def routing_context(*, case: Case, user, request) -> dict | None:
    is_dispatcher = user_has_role(user, Role.DISPATCHER, Role.ADMIN)
    history = list(selectors.dispatch_history(case=case))
    returns = list(selectors.case_returns(case=case))
    # The returning department by its name (the event keeps its code), never "(sfj)".
    names = dict(
        Department.objects.filter(
            code__in={e.payload.get("department") for e in returns} - {None}
        ).values_list("code", "name")
    )
    for event in returns:
        code = event.payload.get("department")
        event.department_name = names.get(code, code or "")
    suggestion = None
    if case.state == State.REGISTERED and is_dispatcher:
        suggestion = routing_suggest(case)
    if not (history or returns or suggestion or (is_dispatcher and case.state == State.REGISTERED)):
        return None
    current = next((r for r in history if r.is_current), None)
    return {
        "case": case,
        "suggestion": suggestion,
        "suggestion_unstaffed": bool(suggestion)
        and not department_is_staffed(suggestion.department),
        "can_dispatch": is_dispatcher and case.state == State.REGISTERED,
        "history": history,
        "current": current,
        "returns": returns,
        "bounce_count": case.bounce_count,
    }


def oversight_context(*, case: Case, user, request) -> dict | None:
    if case.dispatched_at is None and case.state != State.REGISTERED:
        return None
    is_dispatcher = user_has_role(user, Role.DISPATCHER, Role.ADMIN)
    is_centre = user_has_role(user, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN)
    is_handler = (
        user_has_role(user, Role.OFFICER, Role.MEDIATOR)
        and case.department_id is not None
        and user.department_id == case.department_id
    )
    extensions = list(selectors.extension_visible(user).filter(case=case))
    supervisions = list(selectors.supervision_visible(user).filter(case=case))
    corrections = list(selectors.correction_visible(user).filter(case=case))
    rule = rule_for(case) if case.dispatched_at else None
    pending = any(e.status == ExtensionRequest.Status.PENDING for e in extensions)
    can_request = bool(
        is_handler
        and rule is not None
        and case.state in EXTENSION_STATES
        and not case.is_overdue
        and case.due_at is not None
        and case.extension_count < rule.max_extensions
        and not pending
    )
    if not (case.dispatched_at or extensions or supervisions or corrections):
        return None
    return {
        "case": case,
        "rule": rule,
        "extensions": extensions,
        "supervisions": supervisions,
        "corrections": corrections,
        "can_request_extension": can_request,
        "can_decide": is_dispatcher,
        "can_supervise": is_centre and case.department_id is not None,
        "levels": Supervision.Level.choices,
        "user_department_id": getattr(user, "department_id", None),
        "is_handler_role": user_has_role(user, Role.OFFICER, Role.MEDIATOR),
        "problems": Correction.Problem.choices,
    }


def estimates_context(*, case: Case, user, request) -> dict | None:
    """Every date on the case counted over a year without holiday data (any clock)."""
    estimates = selectors.case_estimates(user=user, case=case)
    return {"estimates": estimates} if estimates else None


def register() -> None:
    register_panel(
        CasePanel(
            key="dispatch_estimates",
            template="dispatch/panel_estimates.html",
            context=estimates_context,
            order=5,
        )
    )
    register_panel(
        CasePanel(
            key="dispatch_routing",
            template="dispatch/panel_routing.html",
            context=routing_context,
            order=20,
        )
    )
    register_panel(
        CasePanel(
            key="dispatch_oversight",
            template="dispatch/panel_oversight.html",
            context=oversight_context,
            order=30,
            column="side",
        )
    )
