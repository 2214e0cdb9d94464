"""The one way a case changes state: lock, check, transition, save, log — in one transaction.

Every lifecycle service in every app (intake, dispatch, mediation, followup) calls
``run_transition``. It answers with ``Conflict`` (409) for an illegal transition or a
concurrent change, ``NotAllowed`` (403) when the user's role or department may not
act, and ``NotFound`` (404) when the case is not visible to the user at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed, has_transition_perm

from luodian_platform.audit import acting_as
from luodian_platform.errors import Conflict, NotAllowed, NotFound

from .models import TRANSITION_LABELS, Case, CaseEvent, State

# Messages for transitions whose conditions fail (the state allows it, the data does not).
CONDITION_MESSAGES = {
    "return_case": gettext_lazy("该案件已强制派单,承办部门不能再退单。"),
    "approve": gettext_lazy("该答复缺少办理结果或答复文书,不能审核通过。"),
}


# Downstream apps register work that must happen in the same transaction as a transition
# (e.g. followup schedules the visits when a case is closed by ``approve``). Called
# explicitly by ``run_transition`` after the event row is written, so every way of
# performing the transition gets it, atomically; no signal handlers in the case flow.
AFTER_TRANSITION: dict[str, list[Callable[[Case, CaseEvent], None]]] = {}


def register_after_transition(name: str, hook: Callable[[Case, CaseEvent], None]) -> None:
    hooks = AFTER_TRANSITION.setdefault(name, [])
    if hook not in hooks:
        hooks.append(hook)


# Checks downstream apps register on a transition, run on the locked case after the
# state, condition and permission checks: each raises (Conflict/ServiceError naming what is
# missing) to refuse it, e.g. mediation refuses ``approve`` while the reply's outcome is not
# proved by the case's documents.
BEFORE_TRANSITION: dict[str, list[Callable[[Case], None]]] = {}


def register_before_transition(name: str, check: Callable[[Case], None]) -> None:
    checks = BEFORE_TRANSITION.setdefault(name, [])
    if check not in checks:
        checks.append(check)


def state_label(value: str) -> str:
    try:
        return str(State(value).label)
    except ValueError:
        return value


def available_actions(case: Case, user) -> list[str]:
    """Names of the transitions ``user`` may perform on ``case`` now."""
    return [t.name for t in case.get_available_user_state_transitions(user)]


def may_ever_perform(case: Case, name: str, user) -> bool:
    """Whether ``user`` holds the permission of transition ``name`` on ``case`` at all,
    whatever the case's state (the role/department check of the FSM, not the state's)."""
    return any(t.name == name and t.has_perm(case, user) for t in case.get_all_state_transitions())


def illegal_message(case: Case, name: str, user) -> str:
    allowed = [str(TRANSITION_LABELS.get(n, n)) for n in available_actions(case, user)]
    return _(
        "案件当前状态为「%(state)s」,不能执行「%(action)s」。您现在可执行的操作:%(allowed)s。"
    ) % {
        "state": state_label(case.state),
        "action": TRANSITION_LABELS.get(name, name),
        "allowed": "、".join(allowed) if allowed else _("无"),
    }


def lock_visible_case(case_id: int, user) -> Case:
    """Lock the case row for the rest of the transaction, or 404 if the user cannot see it."""
    visible = Case.objects.visible_to(user).values("pk")
    case = Case.objects.select_for_update(of=("self",)).filter(pk=case_id, pk__in=visible).first()
    if case is None:
        raise NotFound(_("案件不存在或您无权查看。"))
    return case


def run_transition(
    *,
    case_id: int,
    name: str,
    actor,
    expected_version: int | None = None,
    kwargs: dict[str, Any] | None = None,
    note: str = "",
    payload: dict[str, Any] | None = None,
    before: Callable[[Case], None] | None = None,
    after: Callable[[Case], None] | None = None,
    on_behalf: str = "",
) -> Case:
    """Perform transition ``name`` on case ``case_id`` for ``actor``.

    ``kwargs`` may be a callable taking the locked case (to compute values such as a
    deadline from the locked row). ``before`` runs checks on the locked case and may raise;
    ``after`` writes related rows inside the same transaction.

    ``on_behalf`` (with ``actor=None``) names a party acting through a signed, single-use
    link (``"citizen"``: an applicant's 不满意 evaluation starts 重办). The caller has
    verified the link, which is the authorisation; staff visibility and role checks do not
    apply to a citizen, every other check (state, conditions, version) does, and the audit
    trail and the event log record the label instead of a user.
    """
    trusted = bool(on_behalf) and actor is None
    label = on_behalf if trusted else (actor if actor is not None else "system")
    # The audit trail attributes the row changes to the actor, also outside a request.
    with transaction.atomic(), acting_as(label):
        if trusted:
            case = Case.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
            if case is None:
                raise NotFound(_("案件不存在或您无权查看。"))
        else:
            case = lock_visible_case(case_id, actor)
        if expected_version is not None and case.version != expected_version:
            raise Conflict(
                _("此案件刚刚被他人修改(现为「%(state)s」),请刷新页面后再操作。")
                % {"state": state_label(case.state)},
                code="stale",
            )
        method = getattr(case, name)
        if not can_proceed(method, check_conditions=False):
            raise Conflict(illegal_message(case, name, actor), code="illegal_transition")
        if not can_proceed(method):
            raise Conflict(
                str(CONDITION_MESSAGES.get(name, illegal_message(case, name, actor))),
                code="condition_failed",
            )
        if not trusted and not has_transition_perm(method, actor):
            raise NotAllowed(
                _("您没有权限对该案件执行「%(action)s」。")
                % {"action": TRANSITION_LABELS.get(name, name)}
            )
        for check in BEFORE_TRANSITION.get(name, []):
            check(case)
        if before is not None:
            before(case)
        call_kwargs = kwargs(case) if callable(kwargs) else (kwargs or {})
        from_state = case.state
        method(**call_kwargs)
        case.version += 1
        case.save()
        event = CaseEvent.objects.create(
            case=case,
            transition=name,
            from_state=from_state,
            to_state=case.state,
            actor=actor if getattr(actor, "pk", None) else None,
            note=note,
            payload={**(payload or {}), **({"on_behalf": on_behalf} if trusted else {})},
        )
        for hook in AFTER_TRANSITION.get(name, []):
            hook(case, event)
        if after is not None:
            after(case)
    return case
