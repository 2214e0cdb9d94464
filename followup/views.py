"""Pages of follow-up: the visit workbench, recording a visit, the satisfaction import,
the evaluation (with Excel export) and the supervisor dashboard. Thin: parse, call one
service or selector, render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from luodian_platform.api.throttles import throttled
from luodian_platform.errors import NotAllowed, NotFound, ServiceError
from luodian_platform.models import Township
from luodian_platform.roles import Role, user_has_role
from luodian_platform.views import role_required
from luodian_platform.workcal import local_date

from . import exports, selectors, services
from .models import Satisfaction, Visit


@role_required(Role.FOLLOWUP)
def workbench(request):
    visits = list(selectors.visits_due(user=request.user))
    today = local_date()
    return render(
        request,
        "followup/workbench.html",
        {"visits": visits, "today": today},
    )


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
    parties = list(visit.case.parties.order_by("role", "pk"))
    return render(
        request,
        "followup/visit.html",
        {
            "visit": visit,
            "case": visit.case,
            "parties": parties,
            "form": form,
            "attempts": list(visit.attempts.select_related("by")),
            "reveals": selectors.visit_reveals(visit=visit),
        },
    )


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


@login_required
def evaluation_page(request):
    county = selectors.may_see_county_ranking(request.user)
    own = request.user.department_id if user_has_role(request.user, Role.OFFICER) else None
    if not county and own is None:
        raise PermissionDenied
    period = selectors.period_from(request.GET)
    only = None if county else own
    departments, townships = selectors.evaluation_tables(
        period=period, department=only, townships=county
    )
    if request.GET.get("format") == "xlsx":
        tables = [(_("部门考评"), departments)]
        if county:
            tables.append((_("乡镇考评"), townships))
        body = exports.evaluation_workbook(period=period, tables=tables)
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
            "period": period,
            "county": county,
            "departments": departments,
            "townships": townships,
            "columns": selectors.EVAL_COLUMNS,
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
def dashboard(request):
    period = selectors.period_from(request.GET)
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
