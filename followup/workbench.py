"""The follow-up workbench (回访工作台) and follow-up on the case page.

The workbench lists visits by due date in four views — due today, overdue, upcoming (the
next ``UPCOMING_DAYS`` days) and all — filtered by status, due range, township and
department, paginated. Follow-up officers see their own visits; the county roles all.

On the case page the visits and their results join the timeline (a registered timeline
source) and a panel lists them with a link to each visit.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from intake.models import Case, Party
from intake.notes import TimelineEntry
from luodian_platform.models import Department, Township
from luodian_platform.roles import Role, user_has_role
from luodian_platform.workcal import end_of_day, local_date

from .models import Visit

UPCOMING_DAYS = 14
VIEWS = {
    "due": gettext_lazy("今日待回访"),
    "overdue": gettext_lazy("已逾期"),
    "upcoming": gettext_lazy("即将回访(%(n)s日内)") % {"n": UPCOMING_DAYS},
    "all": gettext_lazy("全部"),
}
COUNTY_ROLES = (Role.SUPERVISOR, Role.DISPATCHER, Role.ADMIN)


class VisitFilterForm(forms.Form):
    view = forms.ChoiceField(choices=list(VIEWS.items()), required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("状态"),
        choices=[("", gettext_lazy("全部状态")), *Visit.Status.choices],
        required=False,
        error_messages={"invalid_choice": gettext_lazy("请选择正确的回访状态。")},
    )
    due_from = forms.DateField(
        label=gettext_lazy("回访日期自"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": gettext_lazy("请按「年-月-日」填写日期。")},
    )
    due_to = forms.DateField(
        label=gettext_lazy("至"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": gettext_lazy("请按「年-月-日」填写日期。")},
    )
    township = forms.ModelChoiceField(
        label=gettext_lazy("乡镇街道"),
        queryset=Township.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("全部乡镇街道"),
        error_messages={"invalid_choice": gettext_lazy("请选择正确的乡镇街道。")},
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("承办部门"),
        queryset=Department.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("全部部门"),
        error_messages={"invalid_choice": gettext_lazy("请选择正确的部门。")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if select else "form-control form-control-sm"
            )

    def clean(self):
        data = super().clean()
        if data.get("due_from") and data.get("due_to") and data["due_from"] > data["due_to"]:
            self.add_error("due_to", _("结束日期不能早于开始日期。"))
        return data

    def valid_values(self) -> dict:
        """The filters that are valid (a wrong one is reported and left out, never a 500)."""
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if k not in self.errors and v}


def visits_for(user) -> QuerySet[Visit]:
    qs = Visit.objects.all()
    if not user_has_role(user, *COUNTY_ROLES):
        qs = qs.filter(assignee=user)
    return qs


def visit_list(*, user, filters: dict, today: dt.date | None = None) -> QuerySet[Visit]:
    """The workbench list for ``filters`` (``view``, ``status``, ``due_from``, ``due_to``,
    ``township``, ``department``); due, overdue and upcoming show scheduled visits only."""
    today = today or local_date()
    qs = visits_for(user)
    view = filters.get("view") or "due"
    if view == "due":
        qs = qs.filter(status=Visit.Status.SCHEDULED, due_date__lte=today)
    elif view == "overdue":
        qs = qs.filter(status=Visit.Status.SCHEDULED, due_date__lt=today)
    elif view == "upcoming":
        qs = qs.filter(
            status=Visit.Status.SCHEDULED,
            due_date__gt=today,
            due_date__lte=today + dt.timedelta(days=UPCOMING_DAYS),
        )
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("due_from"):
        qs = qs.filter(due_date__gte=filters["due_from"])
    if filters.get("due_to"):
        qs = qs.filter(due_date__lte=filters["due_to"])
    if filters.get("township"):
        qs = qs.filter(case__township=filters["township"])
    if filters.get("department"):
        qs = qs.filter(case__department=filters["department"])
    order = ("-due_date", "-pk") if view == "all" else ("due_date", "pk")
    return (
        qs.select_related("case", "case__category", "case__department", "case__township")
        .prefetch_related(Prefetch("case__parties", queryset=Party.objects.order_by("role", "pk")))
        .order_by(*order)
    )


def view_counts(*, user, today: dt.date | None = None) -> dict[str, int]:
    """How many scheduled visits are due today, overdue and upcoming (one query)."""
    from django.db.models import Count, Q

    today = today or local_date()
    return visits_for(user).aggregate(
        due=Count("pk", filter=Q(status=Visit.Status.SCHEDULED, due_date__lte=today)),
        overdue=Count("pk", filter=Q(status=Visit.Status.SCHEDULED, due_date__lt=today)),
        upcoming=Count(
            "pk",
            filter=Q(
                status=Visit.Status.SCHEDULED,
                due_date__gt=today,
                due_date__lte=today + dt.timedelta(days=UPCOMING_DAYS),
            ),
        ),
    )


# --- the case page ---------------------------------------------------------------------


def _may_open_visit(user, visit: Visit) -> bool:
    # The visit page's own rule (followup.selectors.visit_get).
    return user_has_role(user, *COUNTY_ROLES) or visit.assignee_id == getattr(user, "pk", None)


def case_visits(case: Case) -> list[Visit]:
    return list(
        Visit.objects.filter(case=case)
        .select_related("assignee", "completed_by")
        .order_by("round", "seq", "pk")
    )


def timeline_entries(*, case: Case, user) -> list[TimelineEntry]:
    """Visits on the case timeline: a done or unreachable visit at its completion with its
    result, a scheduled one at the end of its due day."""
    out = []
    for v in case_visits(case):
        url = reverse("followup:visit", args=[v.pk]) if _may_open_visit(user, v) else ""
        if v.completed_at:
            result = []
            if v.satisfaction:
                result.append(_("满意度:%(s)s") % {"s": v.get_satisfaction_display()})
            if v.agreement_performed is not None:
                result.append(_("协议已履行") if v.agreement_performed else _("协议未履行"))
            if v.led_to_rework:
                result.append(_("已重办"))
            if v.comments:
                result.append(v.comments)
            out.append(
                TimelineEntry(
                    at=v.completed_at,
                    kind="visit",
                    label=_("回访·%(status)s") % {"status": v.get_status_display()},
                    actor=v.completed_by.display_name if v.completed_by_id else "",
                    text=";".join(str(r) for r in result),
                    url=url,
                    obj=v,
                    order=2,
                )
            )
        elif v.status == Visit.Status.SCHEDULED:
            out.append(
                TimelineEntry(
                    at=end_of_day(v.due_date),
                    kind="visit",
                    label=_("回访安排·%(date)s") % {"date": f"{v.due_date:%Y-%m-%d}"},
                    actor=v.assignee.display_name if v.assignee_id else "",
                    badge=str(_("待回访")),
                    url=url,
                    obj=v,
                    order=2,
                )
            )
    return out


def case_panel(*, case: Case, user, request) -> dict | None:
    """The case page's 回访 panel: every visit with its result and a link, or nothing."""
    visits = case_visits(case)
    if not visits:
        return None
    return {
        "visits": [(v, _may_open_visit(user, v)) for v in visits],
        "today": local_date(),
    }
