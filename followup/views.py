"""Pages of follow-up: the visit workbench, recording a visit, the satisfaction import,
the evaluation (with Excel export) and the supervisor dashboard. Thin: parse, call one
service or selector, render."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from luodian_platform.api.throttles import throttled
from luodian_platform.dbrouter import reads_from_replica
from luodian_platform.errors import NotAllowed, NotFound, ServiceError
from luodian_platform.models import Department, Township
from luodian_platform.roles import Role, user_has_role
from luodian_platform.views import role_required
from luodian_platform.workcal import local_date

from . import drilldown, exports, method, selectors, services, snapshots
from . import workbench as workbench_
from .models import Satisfaction, Visit
from .periods import PeriodError


@role_required(Role.FOLLOWUP)
def workbench(request):
    """Visits due today, overdue, upcoming or all, filtered and paginated."""
    today = local_date()
    form = workbench_.VisitFilterForm(request.GET or None)
    filters = form.valid_values() if form.is_bound else {}
    view = filters.get("view") or "due"
    page = Paginator(
        workbench_.visit_list(user=request.user, filters=filters, today=today), 25
    ).get_page(request.GET.get("page"))
    query = {k: v for k, v in request.GET.items() if k != "page" and k in form.fields}
    return render(
        request,
        "followup/workbench.html",
        {
            "visits": page.object_list,
            "page": page,
            "today": today,
            "form": form,
            "view": view,
            "views": _views(request.user, today),
            "querystring": urlencode({k: v for k, v in query.items() if k != "view" and v}),
            "pagestring": urlencode({k: v for k, v in query.items() if v}),
        },
    )


def _views(user, today) -> list[tuple[str, str, int | None]]:
    counts = workbench_.view_counts(user=user, today=today)
    return [(key, label, counts.get(key)) for key, label in workbench_.VIEWS.items()]


class VisitForm(forms.Form):
    reached = forms.TypedChoiceField(
        label=gettext_lazy("是否接通"),
        choices=[("1", gettext_lazy("已接通")), ("0", gettext_lazy("未接通"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    satisfaction = forms.ChoiceField(
        label=gettext_lazy("满意度"),
        choices=[("", gettext_lazy("请选择")), *Satisfaction.choices],
        required=False,
    )
    agreement_performed = forms.NullBooleanField(
        label=gettext_lazy("协议是否履行"),
        required=False,
        widget=forms.Select(
            choices=[
                ("unknown", gettext_lazy("不涉及/未知")),
                ("true", gettext_lazy("已履行")),
                ("false", gettext_lazy("未履行")),
            ]
        ),
    )
    comments = forms.CharField(
        label=gettext_lazy("回访意见"), required=False, max_length=2000, widget=forms.Textarea
    )


class VisitReassignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=gettext_lazy("改派给"),
        queryset=services.followup_officers(),
        empty_label=gettext_lazy("请选择回访员"),
        error_messages={
            "required": gettext_lazy("请选择在岗的回访员。"),
            "invalid_choice": gettext_lazy("请选择在岗的回访员。"),
        },
    )
    reason = forms.CharField(
        label=gettext_lazy("改派原因"),
        required=False,
        max_length=200,
        error_messages={"max_length": gettext_lazy("请不要超过200字。")},
    )

    def __init__(self, *args, visit=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].label_from_instance = lambda u: u.display_name
        if visit is not None and visit.assignee_id:
            self.fields["assignee"].queryset = services.followup_officers().exclude(
                pk=visit.assignee_id
            )


def _visit_response(request, visit, *, form=None, reassign_form=None, status=200):
    may_reassign = visit.status == Visit.Status.SCHEDULED and user_has_role(
        request.user, *services.REASSIGN_ROLES
    )
    if may_reassign and reassign_form is None:
        reassign_form = VisitReassignForm(visit=visit)
    return render(
        request,
        "followup/visit.html",
        {
            "visit": visit,
            "case": visit.case,
            "parties": list(visit.case.parties.order_by("role", "pk")),
            "form": form if form is not None else VisitForm(),
            "reassign_form": reassign_form if may_reassign else None,
            "attempts": list(visit.attempts.select_related("by")),
            "reveals": selectors.visit_reveals(visit=visit),
        },
        status=status,
    )


@role_required(Role.FOLLOWUP, Role.SUPERVISOR, Role.DISPATCHER)
@require_POST
def visit_reassign(request, pk: int):
    """改派回访 (the centre): the form on the visit page. A refusal shows the page again with
    the reason (400); done, back to the visit with a message."""
    visit = selectors.visit_get(user=request.user, pk=pk)
    if visit is None:
        raise Http404
    if not user_has_role(request.user, *services.REASSIGN_ROLES):
        raise PermissionDenied
    form = VisitReassignForm(request.POST, visit=visit)
    if form.is_valid():
        try:
            visit = services.visit_reassign(
                visit_id=pk,
                actor=request.user,
                assignee_id=form.cleaned_data["assignee"].pk,
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as exc:
            for name, msg in (exc.fields or {}).items():
                form.add_error(name if name in form.fields else None, msg)
            if not exc.fields:
                form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("已改派给%(name)s,并已通知原回访员和新回访员。")
                % {"name": visit.assignee.display_name},
            )
            return redirect("followup:visit", pk=pk)
    return _visit_response(request, visit, reassign_form=form, status=400)


@role_required(Role.FOLLOWUP, Role.SUPERVISOR, Role.DISPATCHER)
def visit_page(request, pk: int):
    visit = selectors.visit_get(user=request.user, pk=pk)
    if visit is None:
        raise Http404
    form = VisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            visit = services.visit_record(visit_id=pk, actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            for name, msg in (exc.fields or {}).items():
                form.add_error(name if name in form.fields else None, msg)
            if not exc.fields:
                form.add_error(None, exc.message)
        else:
            if visit.led_to_rework:
                messages.warning(request, _("已记录回访,案件已重办退回承办部门。"))
            elif visit.status == Visit.Status.UNREACHABLE:
                messages.info(request, _("多次未接通,本次回访按无法联系办结。"))
            else:
                messages.success(request, _("已记录回访。"))
            return redirect("followup:workbench")
    return _visit_response(request, visit, form=form)


@role_required(Role.FOLLOWUP, Role.SUPERVISOR, Role.DISPATCHER)
@require_POST
@throttled("reveal")
def phone_reveal(request, pk: int, party_id: int):
    try:
        phone = services.phone_reveal(visit_id=pk, party_id=party_id, actor=request.user)
    except NotFound as exc:
        raise Http404 from exc
    except NotAllowed as exc:  # supervisors work with masked numbers (intake.party_reveal)
        raise PermissionDenied from exc
    return HttpResponse(format_html('<a href="tel:{0}">{0}</a>', phone))


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("满意度结果文件(CSV)"))


@role_required(Role.FOLLOWUP, Role.DISPATCHER, Role.SUPERVISOR)
def satisfaction_import_page(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            rows = services.parse_import_csv(form.cleaned_data["file"].read())
        except ServiceError as exc:
            form.add_error("file", exc.message)
        else:
            report = services.satisfaction_import(rows=rows, actor=request.user)
    return render(request, "followup/import.html", {"form": form, "report": report})


def _evaluation_access(user) -> tuple[bool, int | None]:
    """(sees the county, own department id) — or PermissionDenied."""
    county = selectors.may_see_county_ranking(user)
    own = user.department_id if user_has_role(user, Role.OFFICER) else None
    if not county and own is None:
        raise PermissionDenied
    return county, own


def _period_or_error(request):
    """(period, None) or (None, error) — an invalid period is a form error, not a fallback."""
    try:
        return selectors.period_from(request.GET), None
    except PeriodError as exc:
        return None, exc


@login_required
@reads_from_replica
def evaluation_page(request):
    county, own = _evaluation_access(request.user)
    period, error = _period_or_error(request)
    context = {"county": county, "period": period, "period_error": error}
    if error is not None:
        return render(request, "followup/evaluation.html", context, status=400)
    scope = {"period": period, "department": None if county else own, "townships": county}
    result = snapshots.evaluate_kept(**scope)
    if request.GET.get("format") == "xlsx":
        body = exports.evaluation_workbook(result=result, county=county)
        response = HttpResponse(
            body,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="evaluation-{period.start}-{period.end}.xlsx"'
        )
        return response
    return render(
        request,
        "followup/evaluation.html",
        {
            **context,
            "result": result,
            "departments": result.departments,
            "townships": result.townships,
            "department_columns": method.DEPARTMENT_COLUMNS,
            "township_columns": method.TOWNSHIP_COLUMNS,
            "centre_columns": method.CENTRE_COLUMNS,
            "period_query": urlencode(period.as_params()),
            "query": request.GET.urlencode(),
            # A kept (closed) period's tables are rendered once per generation and language.
            "kept_key": snapshots.kept_key(**scope),
            "kept_seconds": settings.EVALUATION_CACHE_SECONDS,
        },
    )


@login_required
def evaluation_method_page(request):
    """考评办法: what supervisors read before they accept a ranking."""
    _evaluation_access(request.user)
    return render(
        request,
        "followup/evaluation_method.html",
        {"method": method.method(), "figures": method.FIGURES},
    )


CASE_HEADERS = [
    gettext_lazy("案件编号"),
    gettext_lazy("标题"),
    gettext_lazy("承办部门"),
    gettext_lazy("乡镇街道"),
    gettext_lazy("状态"),
    gettext_lazy("登记时间"),
    gettext_lazy("办理时限"),
    gettext_lazy("办结时间"),
    gettext_lazy("办理结果"),
    gettext_lazy("答复文书"),
]


@login_required
@reads_from_replica
def evaluation_cases_page(request):
    """The cases behind one figure of one unit (click-through from the tables), exportable."""
    county, own = _evaluation_access(request.user)
    by, figure = request.GET.get("by", ""), request.GET.get("figure", "")
    try:
        key = int(request.GET.get("key", ""))
    except ValueError:
        raise Http404 from None
    if by not in ("department", "township") or figure not in method.FIGURES:
        raise Http404
    if not county and (by != "department" or key != own):
        raise Http404
    period, error = _period_or_error(request)
    if error is not None:
        return render(
            request,
            "followup/evaluation_cases.html",
            {"period_error": error, "period": None},
            status=400,
        )
    model = Department if by == "department" else Township
    unit = model.objects.filter(pk=key).first()
    if unit is None:
        raise Http404
    cases = (
        drilldown.figure_cases(user=request.user, period=period, by=by, key=key, figure=figure)
        .select_related("department", "township", "category")
        .defer("facts", "request", "reply_text", "reject_reason")
        .order_by("-created_at", "-id")
    )
    title = f"{unit.name} · {method.FIGURES[figure]} · {period.label}"
    if request.GET.get("format") == "xlsx":
        body = exports.cases_workbook(
            title=title, headers=[str(h) for h in CASE_HEADERS], cases=cases.iterator()
        )
        response = HttpResponse(
            body,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="evaluation-{by}-{key}-{figure}-{period.start}.xlsx"'
        )
        return response
    page = Paginator(cases, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "followup/evaluation_cases.html",
        {
            "title": title,
            "period": period,
            "page": page,
            "cases": page.object_list,
            "query": request.GET.urlencode(),
        },
    )


class CourtFilingForm(forms.Form):
    month = forms.DateField(
        label=gettext_lazy("月份"),
        widget=forms.DateInput(
            attrs={"inputmode": "numeric", "placeholder": "yyyy-mm", "pattern": r"\d{4}-\d{2}"},
            format="%Y-%m",
        ),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )
    township = forms.ModelChoiceField(
        label=gettext_lazy("乡镇街道"),
        queryset=Township.objects.all(),
        required=False,
        empty_label=gettext_lazy("全县"),
    )
    civil = forms.IntegerField(label=gettext_lazy("一审民事收案"), min_value=0)
    administrative = forms.IntegerField(label=gettext_lazy("一审行政收案"), min_value=0)


@role_required(Role.SUPERVISOR)
@reads_from_replica
def dashboard(request):
    period, error = _period_or_error(request)
    if error is not None:
        return render(
            request,
            "followup/dashboard.html",
            {"period": None, "period_error": error, "filing_form": CourtFilingForm()},
            status=400,
        )
    data = selectors.dashboard(user=request.user, period=period)
    return render(
        request,
        "followup/dashboard.html",
        {
            "period": period,
            "d": data,
            "chart_data": {**data["charts"], "case_list": reverse("intake:case_list")},
            "filing_form": CourtFilingForm(),
        },
    )


@role_required(Role.SUPERVISOR)
@require_POST
def court_filing(request):
    form = CourtFilingForm(request.POST)
    if form.is_valid():
        services.court_filing_save(actor=request.user, **form.cleaned_data)
        messages.success(request, _("已保存法院收案数。"))
    else:
        messages.error(request, _("法院收案数填写有误。"))
    return redirect("followup:dashboard")
