"""Pages of the registration window and the shared case pages (list, detail, actions)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from luodian_platform.errors import ServiceError
from luodian_platform.models import Category, Department, Township
from luodian_platform.roles import Role
from luodian_platform.views import role_required

from .actions import ACTIONS
from .forms import action_fields
from .lifecycle import available_actions
from .models import Channel, RiskLevel, State
from .selectors import case_get, case_list, case_timeline

FILTER_KEYS = ("state", "department", "category", "township", "channel", "risk", "overdue", "q")


@login_required
def case_list_page(request):
    filters = {k: request.GET.get(k, "") for k in FILTER_KEYS}
    qs = case_list(user=request.user, filters=filters)
    # Pages count the filtered rows a user can see; the API uses keyset pagination instead.
    page = Paginator(qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "intake/case_list.html",
        {
            "page": page,
            "filters": filters,
            "states": State.choices,
            "channels": Channel.choices,
            "risks": RiskLevel.choices,
            "categories": Category.objects.all(),
            "departments": Department.objects.all(),
            "townships": Township.objects.all(),
            "querystring": "&".join(f"{k}={v}" for k, v in filters.items() if v),
        },
    )


@login_required
def case_detail_page(request, pk: int):
    case = case_get(user=request.user, pk=pk)
    if case is None:
        raise Http404
    names = available_actions(case, request.user)
    actions = [ACTIONS[n] for n in names if n in ACTIONS]
    return render(
        request,
        "intake/case_detail.html",
        {
            "case": case,
            "parties": case.parties.all(),
            "events": case_timeline(case=case),
            "actions": actions,
        },
    )


@login_required
def case_action_page(request, pk: int, name: str):
    """GET shows the action's form; POST validates with the action's serializer and calls its
    service. A race or an illegal move comes back as a message on the page."""
    case = case_get(user=request.user, pk=pk)
    action = ACTIONS.get(name)
    if case is None or action is None:
        raise Http404
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        serializer = action.serializer_class(data=request.POST, context={"request": request})
        values = request.POST
        if serializer.is_valid():
            data = serializer.validated_data
            try:
                action.perform(
                    case_id=pk, actor=request.user, data=data, expected_version=data.get("version")
                )
            except ServiceError as exc:
                messages.error(request, exc.message)
                errors = {k: [str(v)] for k, v in exc.fields.items()}
                status = 409 if exc.status == 409 else 400 if exc.status == 400 else exc.status
                if exc.status in (403, 409):
                    return redirect("intake:case_detail", pk=pk)
            else:
                messages.success(request, _("已完成「%(a)s」。") % {"a": action.label})
                return redirect("intake:case_detail", pk=pk)
        else:
            errors = {k: [str(e) for e in v] for k, v in serializer.errors.items()}
            status = 400
    fields = action_fields(action.serializer_class(context={"request": request}), values, errors)
    return render(
        request,
        "intake/case_action.html",
        {"case": case, "action": action, "fields": fields},
        status=status,
    )


@role_required(Role.CLERK)
def workbench(request):
    recent = (
        case_list(user=request.user).filter(registered_by=request.user).order_by("-created_at")[:20]
    )
    return render(request, "intake/workbench.html", {"recent": recent})
