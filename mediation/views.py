from __future__ import annotations

from django.shortcuts import render

from intake.models import State
from intake.selectors import case_list
from luodian_platform.roles import Role
from luodian_platform.views import role_required


@role_required(Role.MEDIATOR)
def workbench(request):
    base = case_list(user=request.user)
    return render(
        request,
        "mediation/workbench.html",
        {
            "mediating": base.filter(state=State.MEDIATING).order_by("due_at")[:50],
            "accepted": base.filter(state=State.ACCEPTED).order_by("due_at")[:50],
        },
    )
