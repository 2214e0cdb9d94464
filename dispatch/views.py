from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone

from intake.models import HANDLING_STATES, RiskLevel, State
from intake.selectors import case_list
from luodian_platform.roles import Role
from luodian_platform.views import role_required


@role_required(Role.DISPATCHER, Role.SUPERVISOR)
def workbench(request):
    """The dispatch room's screen: inbox, awaiting routing, awaiting review, overdue, high risk."""
    base = case_list(user=request.user)
    now = timezone.now()
    return render(
        request,
        "dispatch/workbench.html",
        {
            "inbox": base.filter(state=State.RECEIVED)[:50],
            "to_route": base.filter(state=State.REGISTERED)[:50],
            "to_review": base.filter(state=State.REPLIED)[:50],
            "overdue": base.filter(state__in=HANDLING_STATES, due_at__lt=now).order_by("due_at")[
                :50
            ],
            "high_risk": base.filter(risk_level=RiskLevel.HIGH).exclude(
                state__in=[State.CLOSED, State.ARCHIVED, State.REJECTED, State.MERGED]
            )[:50],
        },
    )


@role_required(Role.OFFICER)
def officer_workbench(request):
    """A department officer's screen: cases to sign for and cases in hand."""
    base = case_list(user=request.user)
    return render(
        request,
        "dispatch/officer_workbench.html",
        {
            "to_sign": base.filter(state=State.DISPATCHED).order_by("sign_due_at")[:50],
            "in_hand": base.filter(
                state__in=[State.ACCEPTED, State.MEDIATING, State.SUSPENDED]
            ).order_by("due_at")[:50],
        },
    )
