"""Reads of cases for pages and the API. Every read starts from ``visible_to(user)``."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import HANDLING_STATES, Case, CaseEvent


def case_list(*, user, filters: dict | None = None) -> QuerySet[Case]:
    f = filters or {}
    qs = Case.objects.visible_to(user).select_related("category", "department", "township")
    if f.get("state"):
        qs = qs.filter(state=f["state"])
    if f.get("department"):
        qs = qs.filter(department__code=f["department"])
    if f.get("category"):
        qs = qs.filter(category__code=f["category"])
    if f.get("township"):
        qs = qs.filter(township__code=f["township"])
    if f.get("channel"):
        qs = qs.filter(channel=f["channel"])
    if f.get("risk"):
        qs = qs.filter(risk_level=f["risk"])
    if f.get("overdue") in ("1", "true", True):
        qs = filter_overdue(qs)
    return filter_text(qs, f.get("q") or "")


def filter_overdue(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.filter(state__in=HANDLING_STATES, due_at__lt=timezone.now())


def filter_text(qs: QuerySet[Case], q: str) -> QuerySet[Case]:
    """Search by exact case number or words in the title."""
    q = q.strip()
    if not q:
        return qs
    return qs.filter(Q(number=q.upper()) | Q(title__icontains=q))


def case_get(*, user, pk: int) -> Case | None:
    return (
        Case.objects.visible_to(user)
        .select_related(
            "category",
            "department",
            "township",
            "window",
            "registered_by",
            "assignee",
            "merged_into",
        )
        .filter(pk=pk)
        .first()
    )


def case_timeline(*, case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor").order_by("at", "id")
