"""Every clock's date through one path, so that none lands in an unknown year silently.

``compute`` counts a period with the date engine (``luodian_platform.workcal``) and
reports the years the holiday calendar did not know; ``flag`` records such a date as a
``CalendarEstimate`` on the row that holds it; ``recompute_estimates`` computes the open
estimates again once an administrator has entered the year, writes the new dates back and
logs an event on each case. Downstream apps (mediation, followup) call these too."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.models import Case, CaseEvent
from luodian_platform.errors import NotAllowed
from luodian_platform.models import Period
from luodian_platform.periods import period
from luodian_platform.roles import Role, user_has_role
from luodian_platform.workcal import WorkCalendar, due_at, local_tz

from .models import CalendarEstimate, DispatchRecord

CLOCK_LABELS = {"handling": "办理时限", "visit": "回访"}


def clock_label(clock: str, names: dict[str, str] | None = None) -> str:
    if clock in CLOCK_LABELS:
        return CLOCK_LABELS[clock]
    if names is not None:
        return names.get(clock, clock)
    try:
        return period(clock).name
    except KeyError:
        return clock


def label_estimates(rows) -> list[CalendarEstimate]:
    """Rows with ``.label`` set (one query for all the period names)."""
    rows = list(rows)
    names = dict(Period.objects.values_list("code", "name"))
    for row in rows:
        row.label = clock_label(row.clock, names)
    return rows


@dataclass
class Computed:
    """A computed date and how it was computed."""

    clock: str
    start: dt.datetime
    amount: float
    unit: str
    due: dt.datetime
    years: list[int] = field(default_factory=list)
    chained: bool = False

    @property
    def estimated(self) -> bool:
        return bool(self.years)


def compute(
    clock: str,
    *,
    start: dt.datetime,
    amount: float,
    unit: str,
    cal: WorkCalendar | None = None,
    chained: bool = False,
) -> Computed:
    """``amount`` ``unit`` after ``start``, with the unknown years this date crossed."""
    cal = cal or WorkCalendar.load()
    seen_before, cal.unknown_years_seen = cal.unknown_years_seen, set()
    due = due_at(start, amount, unit, cal)
    years = sorted(cal.unknown_years_seen)
    cal.unknown_years_seen = seen_before | cal.unknown_years_seen
    return Computed(clock, start, amount, unit, due, years, chained)


def compute_period(
    code: str, *, start: dt.datetime, cal: WorkCalendar | None = None, extension: bool = False
) -> Computed:
    """A period of the period table (its length, or its extension when ``extension``)
    counted from ``start``; an extension counts on from the previous date (chained)."""
    p = period(code)
    amount = p.extension_amount if extension else p.amount
    return compute(code, start=start, amount=amount, unit=p.unit, cal=cal, chained=extension)


def _target_key(obj: models.Model) -> str:
    return obj._meta.label_lower


def flag(computed: Computed, *, target: models.Model, field_name: str, case=None) -> None:
    """Record ``computed`` as an estimate on ``target.field_name`` when it crossed an
    unknown year, or when it chains on from an estimate still open for that target. A
    fresh (unchained) computation supersedes the target's earlier estimates."""
    key = {
        "target_model": _target_key(target),
        "target_id": target.pk,
        "target_field": field_name,
    }
    live = CalendarEstimate.objects.filter(superseded_at__isnull=True, **key)
    if computed.chained:
        # Recorded while a chain is live, even in known years: recomputing the chain's
        # start later must carry this step along, not overwrite it.
        if not (computed.estimated or live.exists()):
            return
    else:
        now = timezone.now()
        live.filter(resolved_at__isnull=True).update(resolved_at=now)
        live.update(superseded_at=now)
        if not computed.estimated:
            return
    CalendarEstimate.objects.create(
        case=case,
        clock=computed.clock,
        start=computed.start,
        amount=computed.amount,
        unit=computed.unit,
        chained=computed.chained,
        due_at=computed.due,
        years=computed.years,
        crossed_years=computed.years,
        resolved_at=None if computed.estimated else timezone.now(),
        **key,
    )


def flag_new(
    computed: Computed, *, targets: list[tuple[models.Model, Case]], field_name: str
) -> None:
    """``flag`` for rows inserted just now that all hold ``computed`` (a bulk writer's, e.g.
    the sweep's automatic urges): they have no earlier estimate to supersede, so it is one
    INSERT of the estimates when the date crossed an unknown year, and nothing otherwise."""
    if computed.chained:
        raise ValueError("flag_new is for fresh computations; a chain needs flag()")
    if not computed.estimated or not targets:
        return
    CalendarEstimate.objects.bulk_create(
        CalendarEstimate(
            case=case,
            clock=computed.clock,
            start=computed.start,
            amount=computed.amount,
            unit=computed.unit,
            chained=False,
            due_at=computed.due,
            years=computed.years,
            crossed_years=computed.years,
            resolved_at=None,
            target_model=_target_key(target),
            target_id=target.pk,
            target_field=field_name,
        )
        for target, case in targets
    )


def _value_for(model_field, due: dt.datetime):
    if isinstance(model_field, models.DateTimeField):
        return due
    return timezone.localtime(due, local_tz()).date()


def recompute_estimates(*, year: int | None = None, actor=None) -> list[dict]:
    """Compute the estimates again with the calendar as it is now — every open one, or
    with ``year`` every live chain that crossed that year (also once resolved: a holiday
    entered after the year was marked known) —; write changed dates back to their rows;
    log a ``deadline_recomputed`` event on each case. Returns what changed."""
    cal = WorkCalendar.load()
    live = CalendarEstimate.objects.filter(superseded_at__isnull=True)
    if year is None:
        live = live.filter(resolved_at__isnull=True)
    targets = {
        (r.target_model, r.target_id, r.target_field)
        for r in live.only("target_model", "target_id", "target_field", "crossed_years")
        if year is None or year in r.crossed_years
    }
    changes = []
    now = timezone.now()
    with transaction.atomic():
        groups = defaultdict(list)
        for row in CalendarEstimate.objects.select_for_update().filter(
            superseded_at__isnull=True, target_id__in={t[1] for t in targets}
        ):
            key = (row.target_model, row.target_id, row.target_field)
            if key in targets:
                groups[key].append(row)
        for (label, pk, field_name), rows in groups.items():
            rows.sort(key=lambda r: (r.created_at, r.pk))
            # Only the chain since the last fresh computation decides the date.
            last_fresh = max(i for i, r in enumerate(rows) if not r.chained or i == 0)
            prev = None
            for row in rows[last_fresh:]:
                start = prev if (row.chained and prev is not None) else row.start
                again = compute(row.clock, start=start, amount=row.amount, unit=row.unit, cal=cal)
                row.start, row.due_at, row.years = start, again.due, again.years
                row.resolved_at = None if again.years else now
                row.save(update_fields=["start", "due_at", "years", "resolved_at"])
                prev = again.due
            change = _write_back(label, pk, field_name, rows[-1], actor)
            if change:
                changes.append(change)
    return changes


def _write_back(label: str, pk: int, field_name: str, row: CalendarEstimate, actor):
    model = apps.get_model(label)
    obj = model.objects.select_for_update().filter(pk=pk).first()
    if obj is None:
        return None
    model_field = model._meta.get_field(field_name)
    new = _value_for(model_field, row.due_at)
    old = getattr(obj, field_name)
    if old == new:
        return None
    updates = {field_name: new}
    field_names = {f.name for f in model._meta.get_fields()}
    # Columns that follow the recomputed one: the running clock of a chain record
    # (``next_due_at``) and the reminder time set a fixed lead before a window's end.
    if "next_due_at" in field_names and obj.next_due_at == old:
        updates["next_due_at"] = new
    if field_name == "window_ends_at" and "remind_at" in field_names and old is not None:
        updates["remind_at"] = obj.remind_at + (new - old)
    if model is Case:
        updates["version"] = models.F("version") + 1
    model.objects.filter(pk=pk).update(**updates)
    if model is Case and field_name == "due_at":
        DispatchRecord.objects.filter(case_id=pk, is_current=True).update(
            due_at=new, calendar_unknown_years=row.years
        )
    change = {
        "clock": row.clock,
        "label": clock_label(row.clock),
        "target": f"{label}:{pk}.{field_name}",
        "before": old.isoformat() if old else None,
        "after": new.isoformat(),
        "years_still_unknown": row.years,
    }
    if row.case_id:
        case = Case.objects.get(pk=row.case_id)
        CaseEvent.objects.create(
            case=case,
            transition="deadline_recomputed",
            from_state=case.state,
            to_state=case.state,
            actor=actor if getattr(actor, "pk", None) else None,
            note=f"{change['label']}:{change['before']} → {change['after']}",
            payload=change,
        )
    return change


def estimates_recompute(*, actor, year: int | None = None) -> list[dict]:
    """One-click recompute (调度中心 / 管理员) after holidays were entered in the admin."""
    if not (
        getattr(actor, "is_superuser", False) or user_has_role(actor, Role.DISPATCHER, Role.ADMIN)
    ):
        raise NotAllowed(_("只有调度中心或管理员可以重新计算期限。"))
    return recompute_estimates(year=year, actor=actor)


def open_estimates(*, cases=None):
    """Open estimates, optionally for a queryset of cases (already filtered for access)."""
    qs = CalendarEstimate.objects.filter(resolved_at__isnull=True)
    if cases is not None:
        qs = qs.filter(case__in=cases)
    return qs.order_by("due_at", "pk")
