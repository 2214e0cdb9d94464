"""Pages of the dispatch room and the departments. Thin: parse, call one service, redirect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from intake.models import Channel, RiskLevel, State
from intake.selectors import case_list
from luodian_platform.errors import NotAllowed, NotFound, ServiceError
from luodian_platform.models import Category, Department, Township
from luodian_platform.roles import Role
from luodian_platform.views import role_required

from . import clocks, selectors, services, stalls
from .api.serializers import CorrectionInput
from .models import Correction, ExtensionRequest

FILTER_KEYS = ("department", "category", "township", "channel", "risk", "q")
SORT_CHOICES = [
    ("due_at", gettext_lazy("时限由近及远")),
    ("-due_at", gettext_lazy("时限由远及近")),
    ("risk", gettext_lazy("风险由高到低")),
    ("bounces", gettext_lazy("退单次数")),
    ("department", gettext_lazy("承办部门")),
    ("number", gettext_lazy("案件编号")),
]


@role_required(Role.DISPATCHER, Role.SUPERVISOR)
def workbench(request):
    """The dispatch room's screen: calendar warnings, due-soon / overdue / high-risk lists
    (filtered and sorted alike), inbox, awaiting routing, awaiting review, extensions."""
    filters = {k: request.GET.get(k, "").strip() for k in FILTER_KEYS}
    sort = request.GET.get("sort", "due_at")
    if sort not in selectors.SORTS:
        sort = "due_at"
    base = case_list(user=request.user)
    return render(
        request,
        "dispatch/workbench.html",
        {
            "calendar": selectors.calendar_warnings(user=request.user),
            "lists": selectors.deadline_lists(user=request.user, filters=filters, sort=sort),
            "inbox": base.filter(state=State.RECEIVED)[:50],
            "to_route": base.filter(state=State.REGISTERED)[:50],
            "to_review": base.filter(state=State.REPLIED)[:50],
            "extensions": selectors.extension_visible(request.user)
            .filter(status=ExtensionRequest.Status.PENDING)
            .order_by("requested_at")[:50],
            "stalls": stalls.open_stalls(user=request.user),
            "filters": filters,
            "sort": sort,
            "sorts": SORT_CHOICES,
            "channels": Channel.choices,
            "risks": RiskLevel.choices,
            "categories": Category.objects.all(),
            "departments": Department.objects.filter(is_active=True),
            "townships": Township.objects.all(),
        },
    )


@role_required(Role.OFFICER)
def officer_workbench(request):
    """A department officer's screen: cases to sign for, cases in hand, and what the
    department has to answer (urges, supervision orders, notices, corrections)."""
    base = case_list(user=request.user).filter(department_id=request.user.department_id)
    return render(
        request,
        "dispatch/officer_workbench.html",
        {
            "to_sign": base.filter(state=State.DISPATCHED).order_by("sign_due_at")[:50],
            "in_hand": base.filter(
                state__in=[State.ACCEPTED, State.MEDIATING, State.SUSPENDED]
            ).order_by("due_at")[:50],
            **selectors.department_todo(user=request.user),
        },
    )


def _run(request, fn, *, success: str) -> bool:
    try:
        fn()
    except NotFound as exc:
        raise Http404 from exc
    except NotAllowed as exc:
        raise PermissionDenied from exc  # a role that may not act: 403, as role_required
    except ServiceError as exc:
        messages.error(request, exc.message)
        for msg in exc.fields.values():
            messages.error(request, str(msg))
        return False
    messages.success(request, success)
    return True


def _version(request) -> int | None:
    try:
        return int(request.POST["version"])
    except (KeyError, ValueError):
        return None


@require_POST
@login_required
def confirm_suggestion(request, pk: int):
    _run(
        request,
        lambda: services.case_dispatch_suggested(
            case_id=pk,
            actor=request.user,
            confirm_unstaffed=bool(request.POST.get("confirm_unstaffed")),
            expected_version=_version(request),
        ),
        success=_("已按分流建议派单。"),
    )
    return redirect("intake:case_detail", pk=pk)


@require_POST
@login_required
def extension_request(request, pk: int):
    _run(
        request,
        lambda: services.extension_request(
            case_id=pk, actor=request.user, reason=request.POST.get("reason", "")
        ),
        success=_("延期申请已提交。"),
    )
    return redirect("intake:case_detail", pk=pk)


@require_POST
@login_required
def extension_decide(request, pk: int):
    ext = selectors.extension_visible(request.user).filter(pk=pk).first()
    if ext is None:
        raise Http404
    approve = request.POST.get("approve") == "true"
    _run(
        request,
        lambda: services.extension_decide(
            extension_id=pk, actor=request.user, approve=approve, note=request.POST.get("note", "")
        ),
        success=_("已批准延期。") if approve else _("已不予批准。"),
    )
    return redirect("intake:case_detail", pk=ext.case_id)


@require_POST
@login_required
def supervision_create(request, pk: int):
    level = request.POST.get("level", "")
    _run(
        request,
        lambda: services.supervision_create(
            case_id=pk,
            level=level,
            actor=request.user,
            message=request.POST.get("message", ""),
        ),
        success=_("已发出。"),
    )
    return redirect("intake:case_detail", pk=pk)


@require_POST
@login_required
def supervision_respond(request, pk: int):
    sup = selectors.supervision_visible(request.user).filter(pk=pk).first()
    if sup is None:
        raise Http404
    _run(
        request,
        lambda: services.supervision_respond(
            supervision_id=pk, actor=request.user, response=request.POST.get("response", "")
        ),
        success=_("回复已提交。"),
    )
    if case_list(user=request.user).filter(pk=sup.case_id).exists():
        return redirect("intake:case_detail", pk=sup.case_id)
    return redirect("dispatch:officer_workbench")


@role_required(Role.DISPATCHER, Role.SUPERVISOR)
def corrections(request):
    """问题纠偏: the system's suggestions and the recorded corrections."""
    return render(
        request,
        "dispatch/corrections.html",
        {
            "suggestions": selectors.correction_suggestions(user=request.user),
            "corrections": selectors.correction_visible(request.user)[:100],
        },
    )


@role_required(Role.DISPATCHER, Role.SUPERVISOR)
def correction_new(request):
    values = request.POST if request.method == "POST" else request.GET
    errors: dict = {}
    if request.method == "POST":
        inp = CorrectionInput(data=request.POST)
        if inp.is_valid():
            d = inp.validated_data
            try:
                corr = services.correction_create(
                    actor=request.user,
                    case_id=d.get("case"),
                    department=d.get("department"),
                    officer=d.get("officer"),
                    problem=d["problem"],
                    measure=d["measure"],
                    serious=d.get("serious", False),
                    description=d["description"],
                    rectify_due_at=d.get("rectify_due_at"),
                    suggested=request.POST.get("suggested") == "1",
                )
            except NotFound as exc:
                raise Http404 from exc
            except ServiceError as exc:
                messages.error(request, exc.message)
                errors = {k: [str(v)] for k, v in exc.fields.items()}
            else:
                messages.success(request, _("已记录问题纠偏。"))
                if corr.case_id:
                    return redirect("intake:case_detail", pk=corr.case_id)
                return redirect("dispatch:corrections")
        else:
            errors = {k: [str(e) for e in v] for k, v in inp.errors.items()}
    return render(
        request,
        "dispatch/correction_form.html",
        {
            "values": values,
            "errors": errors,
            "problems": Correction.Problem.choices,
            "measures": Correction.Measure.choices,
            "departments": Department.objects.filter(is_active=True),
        },
        status=400 if errors else 200,
    )


@require_POST
@login_required
def correction_feedback(request, pk: int):
    if not selectors.correction_visible(request.user).filter(pk=pk).exists():
        raise Http404
    _run(
        request,
        lambda: services.correction_feedback(
            correction_id=pk, actor=request.user, feedback=request.POST.get("feedback", "")
        ),
        success=_("整改反馈已提交。"),
    )
    return redirect("dispatch:officer_workbench")


@require_POST
@login_required
def stall_correct(request, pk: int):
    """One click: issue the suggested 办理不及时 correction of a stalled case (once)."""
    _run(
        request,
        lambda: services.stall_correction_issue(stall_id=pk, actor=request.user),
        success=_("已发出纠偏(办理不及时,即时提醒)。"),
    )
    if request.POST.get("back") == "corrections":
        return redirect("dispatch:corrections")
    return redirect(reverse("dispatch:workbench") + "#stalls")


@require_POST
@login_required
def estimates_recompute(request):
    """One click: recompute every open estimated deadline with the calendar as entered."""
    done: list = []
    _run(
        request,
        lambda: done.extend(clocks.estimates_recompute(actor=request.user)),
        success=_("已按当前工作日历重新计算估算期限。"),
    )
    if done:
        messages.info(request, _("%(n)s 个期限已更新。") % {"n": len(done)})
    return redirect("dispatch:workbench")
