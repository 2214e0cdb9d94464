"""The platform's clock: find due work, write reminder rows, send each one exactly once.

Modelled on healthchecks' ``sendalerts``: due work is found from indexed columns
(``Case.sign_due_at``/``due_at``, ``Visit.due_date``…), turned into ``Reminder`` rows
whose unique constraint makes a second sweep (a second beat by mistake, a retry) a no-op,
and each row is claimed before it is sent, so two workers never both send it. Nothing due lives in the broker: a broker
or worker outage delays reminders until the next sweep, it never loses them.

(The claim is ``SELECT … FOR UPDATE SKIP LOCKED`` held for the send, see ``deliver``.)

Everything here is plain Python taking ``now``; the Celery tasks in ``tasks.py`` are thin
wrappers, and the unit tests call ``sweep(now=…)`` with a frozen clock.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Case as SqlCase
from django.db.models import CharField, Exists, F, OuterRef, Q, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.models import HANDLING_STATES, Case, CaseEvent, State
from luodian_platform import notifications
from luodian_platform.lookups import held as lookup_held
from luodian_platform.models import User
from luodian_platform.roles import Role
from luodian_platform.workcal import WorkCalendar, end_of_day, local_date, local_tz

from .models import (
    Audience,
    EscalationStep,
    NotificationRule,
    Reminder,
    ReminderKind,
    Visit,
)

logger = logging.getLogger(__name__)

# (after working days overdue, audience, urgent). Day 1 is also the automatic urge (催办).
DEFAULT_ESCALATION: list[tuple[int, str, bool]] = [
    (0, Audience.OFFICER, False),
    (1, Audience.HEAD, False),
    (3, Audience.DISPATCHER, False),
    (5, Audience.SUPERVISOR, False),
]
SEND_BATCH = 5000
# Called once per sweep with the (case id, deadline text) of every case whose automatic
# urge (催办) is due — the first working day after its deadline — and the sweep's calendar,
# so the urges are written in one set-based step (``dispatch.urges``), not one by one.
AUTO_URGE_HOOKS: list[Callable[[list[tuple[int, str]], WorkCalendar], None]] = []


# --- who gets told ---------------------------------------------------------------------


@dataclass
class Directory:
    """Active users by role and department, loaded once per sweep (two queries)."""

    officers: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    heads: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    dispatchers: list[int] = field(default_factory=list)
    supervisors: list[int] = field(default_factory=list)

    @classmethod
    def load(cls) -> Directory:
        d = cls()
        rows = (
            User.objects.filter(
                is_active=True,
                groups__name__in=[Role.OFFICER, Role.DISPATCHER, Role.SUPERVISOR],
            )
            .values_list("pk", "department_id", "groups__name")
            .order_by("pk")
        )
        for pk, dept, role in rows:
            if role == Role.OFFICER and dept:
                d.officers[dept].append(pk)
            elif role == Role.DISPATCHER:
                d.dispatchers.append(pk)
            elif role == Role.SUPERVISOR:
                d.supervisors.append(pk)
        for pk, dept in User.objects.filter(
            is_active=True, is_department_head=True, department__isnull=False
        ).values_list("pk", "department_id"):
            d.heads[dept].append(pk)
        return d

    def audience(self, audience: str, *, department_id, assignee_id) -> list[int]:
        if audience == Audience.OFFICER:
            if assignee_id:
                return [assignee_id]
            return list(self.officers.get(department_id, []))
        if audience == Audience.HEAD:
            # A department without a head in the system: its officers hear it instead.
            return list(self.heads.get(department_id) or self.officers.get(department_id, []))
        if audience == Audience.DISPATCHER:
            return list(self.dispatchers)
        if audience == Audience.SUPERVISOR:
            return list(self.supervisors)
        return []


@dataclass
class SweepContext:
    now: dt.datetime
    cal: WorkCalendar
    directory: Directory

    @property
    def today(self) -> dt.date:
        return local_date(self.now)


def _stamp(moment: dt.datetime) -> str:
    return timezone.localtime(moment, local_tz()).strftime("%Y-%m-%dT%H:%M")


def _rows(case_id: int, kind: str, threshold: str, recipients, due_at, urgent=False):
    for user_id in recipients:
        yield Reminder(
            case_id=case_id,
            kind=kind,
            threshold=threshold,
            recipient_id=user_id,
            due_at=due_at,
            urgent=urgent,
        )


# --- incremental sweep: which candidates still lack their latest reminder ---------------
#
# A sweep used to rebuild every outstanding reminder of every open case and let the unique
# constraint drop the repeats: its cost grew with all outstanding due work (27 s with 87k
# outstanding reminders). Now each built-in source first asks the database, in the same
# query that finds its candidates, whether the candidate's *latest* reminder (the "marker":
# the last row the builder below would yield for it at ``now``) is already there, and
# builds rows only for the candidates where it is not. The markers are written in the same
# transaction as the candidate's other rows (``collect`` inserts all rows of a sweep in one
# transaction), so "marker present" means "everything due for it at that point is present".
# The answer is a function of the current rows, not of a remembered watermark: a deadline
# changed by any path (a service, the admin, SQL) gives a new stamp, hence a missing marker,
# hence new reminders, and a lost/duplicated beat changes nothing. Repeats are still dropped
# by the unique constraint (two beats at once, a marker without recipients).


def _stamp_sql(column: str, now: dt.datetime) -> RawSQL | None:
    """``_stamp(column)`` computed by the database, or None where we cannot (then the source
    falls back to the full rebuild, which is correct, only slower)."""
    tz = local_tz()
    offset = tz.utcoffset(now.replace(tzinfo=None))
    if offset is None or tz.dst(now.replace(tzinfo=None)) not in (None, dt.timedelta(0)):
        return None
    if connection.vendor == "postgresql":
        return RawSQL(  # noqa: S611 (column is a literal of ours; values are parameters)
            f'to_char("intake_case"."{column}" AT TIME ZONE %s, %s)',
            (str(tz), 'YYYY-MM-DD"T"HH24:MI'),
            output_field=CharField(),
        )
    if connection.vendor == "sqlite":
        minutes = int(offset.total_seconds() // 60)
        return RawSQL(  # noqa: S611 (column is a literal of ours; values are parameters)
            f'strftime(%s, "intake_case"."{column}", %s)',
            ("%Y-%m-%dT%H:%M", f"{minutes:+d} minutes"),
            output_field=CharField(),
        )
    return None


def _marker_exists(**extra) -> Exists:
    """The candidate case already has a reminder of kind ``_mkind`` at threshold ``_marker``."""
    return Exists(
        Reminder.objects.filter(
            case_id=OuterRef("pk"), kind=OuterRef("_mkind"), threshold=OuterRef("_marker"), **extra
        )
    )


# --- sources: each yields unsaved Reminder rows ---------------------------------------


def source_sign_deadlines(ctx: SweepContext) -> Iterable[Reminder]:
    """签收时限: a few hours before it passes, and once it has passed."""
    lead = dt.timedelta(hours=settings.REMINDER_SIGN_LEAD_HOURS)
    qs = Case.objects.filter(
        state=State.DISPATCHED, sign_due_at__isnull=False, sign_due_at__lte=ctx.now + lead
    )
    stamp = _stamp_sql("sign_due_at", ctx.now)
    if stamp is not None:
        # Incremental: only cases whose current sign-for reminder is not written yet.
        qs = qs.annotate(
            _mkind=SqlCase(
                When(sign_due_at__gt=ctx.now, then=Value(ReminderKind.SIGN_DUE)),
                default=Value(ReminderKind.SIGN_OVERDUE),
                output_field=CharField(),
            ),
            _marker=stamp,
        ).filter(~_marker_exists())
    rows = qs.order_by().values_list("pk", "department_id", "sign_due_at")
    for pk, dept, sign_due in rows:
        officers = ctx.directory.audience(Audience.OFFICER, department_id=dept, assignee_id=None)
        if sign_due > ctx.now:
            yield from _rows(pk, ReminderKind.SIGN_DUE, _stamp(sign_due), officers, ctx.now)
        else:
            heads = ctx.directory.audience(Audience.HEAD, department_id=dept, assignee_id=None)
            who = list(dict.fromkeys(officers + heads))
            yield from _rows(pk, ReminderKind.SIGN_OVERDUE, _stamp(sign_due), who, ctx.now)


def escalation_steps() -> list[tuple[int, str, bool]]:
    rows = list(EscalationStep.objects.values_list("after_workdays", "audience", "urgent"))
    return rows or DEFAULT_ESCALATION


def _late_cutoffs(ctx: SweepContext, afters: set[int]) -> dict[int, dt.datetime]:
    """For each ``after``: a deadline before the returned moment is at least ``after`` working
    days late today (``working_days_between`` only grows as the deadline's date goes back)."""
    out: dict[int, dt.datetime] = {}
    for after in sorted(afters):
        day = ctx.today
        for _i in range(400):
            if ctx.cal.working_days_between(day, ctx.today) >= after:
                break
            day -= dt.timedelta(days=1)
        # Dates <= day qualify: everything before the next local midnight.
        nxt = day + dt.timedelta(days=1)
        out[after] = dt.datetime.combine(nxt, dt.time(0, 0), tzinfo=local_tz())
    return out


def _handling_pending(qs, ctx: SweepContext, steps, stamp: RawSQL):
    """Cases whose latest handling reminder at ``now`` is missing: due soon → the DUE_SOON row
    (to the assignee when there is one); overdue → the highest escalation step reached."""
    cutoffs = _late_cutoffs(ctx, {after for after, _a, _u in steps})
    whens = [When(due_at__gt=ctx.now, then=Value(""))]
    # The builder yields the steps in list order: the marker is the last step reached.
    for after, audience, _urgent in reversed(steps):
        whens.append(
            When(
                due_at__lt=cutoffs[after],
                then=Concat(stamp, Value(f"/+{after}wd/{audience}"), output_field=CharField()),
            )
        )
    qs = qs.annotate(
        _mkind=SqlCase(
            When(due_at__gt=ctx.now, then=Value(ReminderKind.DUE_SOON)),
            default=Value(ReminderKind.OVERDUE),
            output_field=CharField(),
        ),
        _step=SqlCase(*whens, default=None, output_field=CharField()),
    )
    soon_any = Exists(
        Reminder.objects.filter(
            case_id=OuterRef("pk"), kind=ReminderKind.DUE_SOON, threshold=OuterRef("_stamp")
        )
    )
    # With an assignee, the DUE_SOON row must be theirs (a new assignee is told too).
    soon_mine = Exists(
        Reminder.objects.filter(
            case_id=OuterRef("pk"),
            kind=ReminderKind.DUE_SOON,
            threshold=OuterRef("_stamp"),
            recipient_id=OuterRef("assignee_id"),
        )
    )
    # Three plain anti-joins (an OR of NOT EXISTS makes PostgreSQL hash the whole
    # reminder table instead of probing its unique index per candidate).
    qs = qs.annotate(_stamp=stamp).order_by()
    soon = qs.filter(due_at__gt=ctx.now)
    late = qs.filter(due_at__lte=ctx.now, _step__isnull=False).filter(
        ~Exists(
            Reminder.objects.filter(
                case_id=OuterRef("pk"), kind=ReminderKind.OVERDUE, threshold=OuterRef("_step")
            )
        )
    )
    return [
        soon.filter(assignee__isnull=True).filter(~soon_any),
        soon.filter(assignee__isnull=False).filter(~soon_mine),
        late,
    ]


def source_handling_deadlines(ctx: SweepContext) -> Iterable[Reminder]:
    """办理时限: due soon (N working days before), then the escalation ladder once overdue,
    and the automatic urge (催办) on the first working day after the deadline."""
    soon_until = end_of_day(
        ctx.cal.add_working_days(ctx.today, settings.REMINDER_DUE_SOON_WORKDAYS)
    )
    # case_open_due_idx: partial index on due_at for cases in the handling states.
    qs = Case.objects.filter(
        state__in=HANDLING_STATES, due_at__isnull=False, due_at__lte=soon_until
    )
    steps = escalation_steps()
    stamp = _stamp_sql("due_at", ctx.now)
    parts = [qs] if stamp is None else _handling_pending(qs, ctx, steps, stamp)
    rows = (
        row
        for part in parts
        for row in part.values_list("pk", "department_id", "assignee_id", "due_at")
    )
    # Working days late, per deadline date: a catch-up sweep meets thousands of cases but a
    # few dozen dates, and each count walks the calendar day by day.
    late: dict[dt.date, int] = {}
    for pk, dept, assignee, due in rows:
        stamp = _stamp(due)
        if due > ctx.now:
            who = ctx.directory.audience(Audience.OFFICER, department_id=dept, assignee_id=assignee)
            yield from _rows(pk, ReminderKind.DUE_SOON, stamp, who, ctx.now)
            continue
        day = local_date(due)
        if day not in late:
            late[day] = ctx.cal.working_days_between(day, ctx.today)
        late_days = late[day]
        for after, audience, urgent in steps:
            if late_days >= after:
                who = ctx.directory.audience(audience, department_id=dept, assignee_id=assignee)
                yield from _rows(
                    pk, ReminderKind.OVERDUE, f"{stamp}/+{after}wd/{audience}", who, ctx.now, urgent
                )
        if late_days >= 1:
            who = ctx.directory.audience(Audience.HEAD, department_id=dept, assignee_id=assignee)
            yield from _rows(pk, ReminderKind.AUTO_URGE, stamp, who, ctx.now)


def source_visits(ctx: SweepContext) -> Iterable[Reminder]:
    """回访到期: the assigned follow-up officer, on the day."""
    rows = (
        Visit.objects.filter(
            status=Visit.Status.SCHEDULED, due_date__lte=ctx.today, assignee__isnull=False
        )
        # Only visits whose reminder to their current assignee is not written yet.
        .filter(
            ~Exists(
                Reminder.objects.filter(
                    case_id=OuterRef("case_id"),
                    kind=ReminderKind.VISIT_DUE,
                    threshold=Concat(
                        Value("visit-"), Cast(OuterRef("pk"), CharField()), output_field=CharField()
                    ),
                    recipient_id=OuterRef("assignee_id"),
                )
            )
        )
        .order_by()
        .values_list("pk", "case_id", "assignee_id")
    )
    for pk, case_id, assignee in rows:
        yield from _rows(case_id, ReminderKind.VISIT_DUE, f"visit-{pk}", [assignee], ctx.now)


# Other apps' due work (extension requests, agreement performance dates, judicial
# confirmation windows) is added by ``register_source`` when those models exist.
SOURCES: dict[str, Callable[[SweepContext], Iterable[Reminder]]] = {
    "sign": source_sign_deadlines,
    "handling": source_handling_deadlines,
    "visits": source_visits,
}


def register_source(name: str, fn: Callable[[SweepContext], Iterable[Reminder]]) -> None:
    SOURCES[name] = fn


# --- the sweep -------------------------------------------------------------------------


@dataclass
class SweepResult:
    created: int
    recovered: int
    due_ids: list[int]


def in_send_window(now: dt.datetime, cal: WorkCalendar | None = None) -> bool:
    """Working hours on working days: non-urgent reminders wait for them."""
    local = timezone.localtime(now, local_tz())
    start, end = settings.REMINDER_SEND_HOURS
    if not start <= local.hour < end:
        return False
    if not settings.REMINDER_WORKDAYS_ONLY:
        return True
    return (cal or WorkCalendar.load()).is_workday(local.date())


def collect(now: dt.datetime) -> int:
    """Insert the reminder rows for everything due at ``now``. Safe to run concurrently."""
    ctx = SweepContext(now=now, cal=WorkCalendar.load(), directory=Directory.load())
    rows: list[Reminder] = []
    for name, source in SOURCES.items():
        try:
            rows.extend(source(ctx))
        except Exception:  # one broken source must not stop the others
            logger.exception("reminder source %s failed", name)
    urges = {(r.case_id, r.threshold) for r in rows if r.kind == ReminderKind.AUTO_URGE}
    if urges and AUTO_URGE_HOOKS:
        done = set(
            Reminder.objects.filter(
                kind=ReminderKind.AUTO_URGE, case_id__in={c for c, _t in urges}
            ).values_list("case_id", "threshold")
        )
        pending = [
            (case_id, threshold.replace("T", " ")) for case_id, threshold in sorted(urges - done)
        ]
        for hook in AUTO_URGE_HOOKS if pending else []:
            hook(pending, ctx.cal)
    if not rows:
        return 0
    for r in rows:
        r.created_at = now
    before = Reminder.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    # One transaction: a candidate's rows (and its marker, see above) land together.
    # The unique constraint drops rows another sweep (or an earlier one) already wrote.
    with transaction.atomic():
        Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    return Reminder.objects.filter(pk__gt=before, created_at=now).count()


def recover_stale(now: dt.datetime) -> int:
    """Rows left in "sending" (set by hand or by an older release) past the lease go back
    to pending. ``deliver`` itself never leaves one: its claim is a row lock that a dead
    worker's connection releases by rolling back."""
    lease = dt.timedelta(seconds=settings.REMINDER_CLAIM_LEASE_SECONDS)
    return Reminder.objects.filter(
        status=Reminder.Status.SENDING, claimed_at__lt=now - lease
    ).update(status=Reminder.Status.PENDING, claimed_at=None, enqueued_at=None)


def due_ids(now: dt.datetime, cal: WorkCalendar | None = None) -> list[int]:
    """Pending reminders to hand to workers now (not re-handed while a hand-off is fresh)."""
    requeue = now - dt.timedelta(seconds=settings.REMINDER_CLAIM_LEASE_SECONDS)
    qs = Reminder.objects.filter(status=Reminder.Status.PENDING, due_at__lte=now).filter(
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=requeue)
    )
    if not in_send_window(now, cal):
        qs = qs.filter(urgent=True)
    return list(qs.order_by("due_at", "pk").values_list("pk", flat=True)[:SEND_BATCH])


def sweep(*, now: dt.datetime | None = None) -> SweepResult:
    now = now or timezone.now()
    created = collect(now)
    recovered = recover_stale(now)
    return SweepResult(created=created, recovered=recovered, due_ids=due_ids(now))


def mark_enqueued(ids: list[int], now: dt.datetime | None = None) -> None:
    if ids:
        Reminder.objects.filter(pk__in=ids, status=Reminder.Status.PENDING).update(
            enqueued_at=now or timezone.now()
        )


# --- sending one reminder ------------------------------------------------------------


def _still_relevant(r: Reminder) -> bool:
    case = r.case
    if r.kind in (ReminderKind.SIGN_DUE, ReminderKind.SIGN_OVERDUE):
        return (
            case.state == State.DISPATCHED
            and bool(case.sign_due_at)
            and (r.threshold == _stamp(case.sign_due_at))
        )
    if r.kind in (ReminderKind.DUE_SOON, ReminderKind.OVERDUE, ReminderKind.AUTO_URGE):
        return (
            case.state in HANDLING_STATES
            and bool(case.due_at)
            and (r.threshold.split("/")[0] == _stamp(case.due_at))
        )
    if r.kind in (ReminderKind.VISIT_DUE, ReminderKind.VISIT_ASSIGNED):
        # Re-assigned in the meantime (followup.services.visit_reassign): the new officer
        # is told instead.
        return Visit.objects.filter(
            pk=_visit_id(r), status=Visit.Status.SCHEDULED, assignee_id=r.recipient_id
        ).exists()
    if r.kind == ReminderKind.VISIT_REMOVED:
        return not Visit.objects.filter(pk=_visit_id(r), assignee_id=r.recipient_id).exists()
    return True


def _visit_id(r: Reminder) -> int:
    """``visit-<id>`` (assigned at closing, due) or ``visit-<id>/e<event>`` (re-assigned)."""
    return int(r.threshold.removeprefix("visit-").split("/")[0])


def _deadline_text(moment) -> str:
    return timezone.localtime(moment, local_tz()).strftime("%Y-%m-%d %H:%M") if moment else "—"


# Work steps (followup.worksteps): ``%(step)s`` is the event's label, ``%(note)s`` its note.
STEP_TEXTS = {
    ReminderKind.RETURNED: _(
        "案件%(number)s「%(title)s」被承办单位退单(%(note)s),请重新研判派单。"
    ),
    ReminderKind.SUPERVISION: _("【%(step)s】案件%(number)s「%(title)s」:%(note)s"),
    ReminderKind.REPLY_PENDING: _("案件%(number)s「%(title)s」已办结答复,请审核。"),
    ReminderKind.SENT_BACK: _(
        "案件%(number)s的答复被退回重办(%(note)s),请补充办理后重新答复,办理时限%(due)s。"
    ),
    ReminderKind.CORRECTION: _("案件%(number)s收到问题纠偏通知:%(note)s 请按要求整改并反馈。"),
    ReminderKind.CORRECTION_DUE: _("案件%(number)s的问题纠偏整改期限已到,请尽快反馈整改情况。"),
    ReminderKind.EXTENSION_PENDING: _(
        "案件%(number)s有延期申请待审批(现办理时限%(due)s),请在时限前审批。"
    ),
    ReminderKind.EXTENSION_DECIDED: _("案件%(number)s的延期申请:%(step)s,办理时限%(due)s。"),
    ReminderKind.SESSION_BOOKED: _("案件%(number)s「%(title)s」已预约调解:%(note)s,请准时参加。"),
    ReminderKind.VISIT_ASSIGNED: _("案件%(number)s「%(title)s」的回访任务已分派给您。"),
    ReminderKind.VISIT_REMOVED: _(
        "案件%(number)s「%(title)s」的回访任务已改派他人(%(note)s),您无需再回访。"
    ),
}


def _step_values(r: Reminder) -> dict[str, str]:
    """The label and note of the event a work-step reminder is about (``event-<id>``)."""
    values = {"step": "", "note": ""}
    event_id = None
    if r.threshold.startswith("event-"):
        event_id = int(r.threshold.removeprefix("event-"))
    elif r.threshold.startswith("visit-") and "/e" in r.threshold:
        event_id = int(r.threshold.rsplit("/e", 1)[1])
    if event_id is not None:
        event = CaseEvent.objects.filter(pk=event_id, case_id=r.case_id).first()
        if event is not None:
            values = {"step": event.transition_label, "note": event.note[:100]}
    return values


def render(r: Reminder) -> notifications.Message:
    case = r.case
    values = {
        "county": settings.COUNTY_NAME,
        "number": case.number,
        "title": case.title[:30],
        "due": _deadline_text(case.due_at),
        "sign_due": _deadline_text(case.sign_due_at),
    }
    texts = {
        ReminderKind.NEW_CASE: _("新案件%(number)s「%(title)s」待接单派单,请及时处理。"),
        ReminderKind.DISPATCHED: _(
            "案件%(number)s「%(title)s」已派至贵单位,请于%(sign_due)s前签收,办理时限%(due)s。"
        ),
        ReminderKind.SIGN_DUE: _("案件%(number)s签收时限为%(sign_due)s,即将超时,请尽快签收。"),
        ReminderKind.SIGN_OVERDUE: _("案件%(number)s已超过签收时限%(sign_due)s,请立即签收。"),
        ReminderKind.DUE_SOON: _("案件%(number)s办理时限为%(due)s,即将到期,请抓紧办理。"),
        ReminderKind.OVERDUE: _("案件%(number)s办理时限为%(due)s,现已超期,请立即办理并反馈。"),
        ReminderKind.AUTO_URGE: _(
            "【催办】案件%(number)s已超过办理时限%(due)s,请于今日内办理并说明超期原因。"
        ),
        ReminderKind.VISIT_DUE: _("案件%(number)s「%(title)s」今日应回访,请及时联系当事人。"),
        **STEP_TEXTS,
    }
    values.update(_step_values(r))
    text = texts.get(r.kind, _("案件%(number)s有待办事项,请及时处理。")) % values
    url = reverse("intake:case_detail", args=[case.pk])
    if r.kind == ReminderKind.VISIT_ASSIGNED and r.threshold.startswith("visit-"):
        url = reverse("followup:visit", args=[_visit_id(r)])
    elif r.kind == ReminderKind.VISIT_REMOVED:
        # The visit (and perhaps the case) is no longer theirs to open.
        url = reverse("followup:workbench")
    return notifications.Message(
        recipient_id=r.recipient_id,
        key=r.idempotency_key,
        title=f"{r.get_kind_display()} · {case.number}",
        body=f"【{settings.COUNTY_NAME}矛盾纠纷化解平台】{text}",
        url=url,
        case_number=case.number,
        urgent=r.urgent,
    )


def channels_for(kind: str) -> list[str] | None:
    """The administrator's rule for ``kind`` (``NotificationRule``), or None: the defaults."""
    rule = NotificationRule.objects.filter(kind=kind).first()
    return rule.channels if rule is not None else None


def deliver(reminder_id: int, *, now: dt.datetime | None = None) -> bool:
    """Send reminder ``reminder_id`` if it is still pending. True if this call sent it.

    The row is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` and marked sent in the same
    transaction as the in-app notification row: of any number of workers handed the same
    id, one sends and the others skip, and "sent" is recorded exactly once. A crash after
    an SMS left but before the commit rolls the row back to pending; the next sweep sends
    it again with the same idempotency key, which the gateway (and our sink) drops.
    """
    now = now or timezone.now()
    urgent = Reminder.objects.filter(pk=reminder_id).values_list("urgent", flat=True).first()
    if urgent is None:
        return False  # the row is gone (case deleted): nothing to do
    if not urgent and not in_send_window(now):
        # Night or holiday: leave it pending; the first sweep in working hours sends it.
        Reminder.objects.filter(pk=reminder_id, status=Reminder.Status.PENDING).update(
            enqueued_at=None
        )
        return False
    try:
        with transaction.atomic():
            r = (
                Reminder.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("case")
                .filter(pk=reminder_id, status=Reminder.Status.PENDING)
                .first()
            )
            if r is None:
                return False  # sent already, or another worker holds it right now
            if not _still_relevant(r):
                r.status = Reminder.Status.CANCELLED
                r.save(update_fields=["status"])
                return False
            notifications.send(render(r), channels=channels_for(r.kind))
            Reminder.objects.filter(pk=r.pk).update(
                status=Reminder.Status.SENT,
                sent_at=timezone.now(),
                attempts=F("attempts") + 1,
                last_error="",
            )
    except Exception as exc:
        Reminder.objects.filter(pk=reminder_id, status=Reminder.Status.PENDING).update(
            attempts=F("attempts") + 1, last_error=str(exc)[:500]
        )
        Reminder.objects.filter(
            pk=reminder_id,
            status=Reminder.Status.PENDING,
            attempts__gte=settings.REMINDER_MAX_ATTEMPTS,
        ).update(status=Reminder.Status.FAILED)
        raise
    return True


# --- reminders written by the case flow (not by the sweep) ----------------------------


def _active_with_role(role: str, **filters) -> list[int]:
    """The same people ``Directory`` lists for ``role`` (officers: of a department).

    Remembered for the innermost open transaction block only: a channel batch stores its
    cases in one block and sends one event signal per case, so the audience is read once
    per batch, while any other write (a new block) reads it afresh."""
    conn = connections[Reminder.objects.db]
    key = (role, tuple(sorted(filters.items())))
    memo = None
    if conn.in_atomic_block and conn.atomic_blocks:
        block = conn.atomic_blocks[-1]
        held = getattr(conn, "_followup_audience", None)
        if held is None or held[0] is not block:
            held = (block, {})  # a strong reference: the block's id cannot be reused
            conn._followup_audience = held
        memo = held[1]
        if key in memo:
            return memo[key]
    who = list(
        lookup_held(
            ("active_with_role", key),
            lambda: tuple(
                User.objects.filter(is_active=True, groups__name=role, **filters)
                .order_by("pk")
                .values_list("pk", flat=True)
                .distinct()
            ),
            (User, User.groups.through),
        )
    )
    if memo is not None:
        memo[key] = who
    return who


def reminders_for_event(*, case: Case, transition: str, event_id: int) -> list[int]:
    """Rows for a case event, written in the event's transaction; returns their ids."""
    return reminders_for_events([(case, transition, event_id)])


def reminders_for_events(events: Iterable[tuple[Case, str, int]]) -> list[int]:
    """``reminders_for_event`` for many (case, transition, event id) at once, e.g. a channel
    batch's new cases: the same rows, one INSERT for all of them; returns their ids."""
    rows: list[Reminder] = []
    now = timezone.now()
    for case, transition, event_id in events:
        # Only the audience this event needs (read once per transaction block).
        if transition in ("register", "receive"):
            kind = ReminderKind.NEW_CASE
            who = _active_with_role(Role.DISPATCHER)
        elif transition in ("dispatch", "reopen") and case.department_id:
            kind = ReminderKind.DISPATCHED
            who = _active_with_role(Role.OFFICER, department_id=case.department_id)
        else:
            continue
        urgent = case.risk_level == "high"
        rows += _rows(case.pk, kind, f"event-{event_id}", who, now, urgent)
    if not rows:
        return []
    # One statement that also returns the ids; a repeated signal for the same event
    # rewrites ``urgent`` with the same value instead of adding rows.
    made = Reminder.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["case", "kind", "threshold", "recipient"],
        update_fields=["urgent"],
    )
    if all(r.pk for r in made):
        return [r.pk for r in made]
    keys = Q(pk__in=[])
    for r in rows:
        keys |= Q(case_id=r.case_id, kind=r.kind, threshold=r.threshold)
    return list(Reminder.objects.filter(keys).values_list("pk", flat=True))
