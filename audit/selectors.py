"""Reads of the audit trail: one place decides who may search it and how filters apply."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from luodian_platform.roles import Role, user_has_role

from .models import AuditEntry

AUDIT_ROLES = (Role.SUPERVISOR, Role.ADMIN)
FILTER_KEYS = ("table", "object", "actor", "action", "since", "until")


def may_search_audit(user) -> bool:
    return bool(getattr(user, "is_superuser", False) or user_has_role(user, *AUDIT_ROLES))


def _day_start(value: str) -> dt.datetime | None:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_search(*, user, filters: dict[str, str] | None = None) -> QuerySet[AuditEntry]:
    if not may_search_audit(user):
        return AuditEntry.objects.none()
    qs = AuditEntry.objects.all()
    f = {k: (v or "").strip() for k, v in (filters or {}).items()}
    if f.get("table"):
        qs = qs.filter(table_name=f["table"])
    if f.get("object"):
        qs = qs.filter(object_pk=f["object"])
    if f.get("actor"):
        qs = qs.filter(actor_label=f["actor"])
    if f.get("action") in AuditEntry.Action.values:
        qs = qs.filter(action=f["action"])
    if f.get("since") and (start := _day_start(f["since"])):
        qs = qs.filter(at__gte=start)
    if f.get("until") and (end := _day_start(f["until"])):
        qs = qs.filter(at__lt=end + dt.timedelta(days=1))
    return qs.order_by("-id")
