from __future__ import annotations

from django.db.models import Count
from django.shortcuts import render

from intake.models import Case, State
from intake.selectors import case_list
from luodian_platform.roles import Role
from luodian_platform.views import role_required


@role_required(Role.FOLLOWUP)
def workbench(request):
    base = case_list(user=request.user)
    return render(
        request,
        "followup/workbench.html",
        {
            "closed": base.filter(state=State.CLOSED).order_by("closed_at")[:50],
        },
    )


@role_required(Role.SUPERVISOR)
def dashboard(request):
    by_state = dict(
        Case.objects.visible_to(request.user)
        .values_list("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    rows = [(label, by_state.get(value, 0), value) for value, label in State.choices]
    return render(
        request, "followup/dashboard.html", {"rows": rows, "total": sum(by_state.values())}
    )
