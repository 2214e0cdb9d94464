"""Work-step notifications: every step that puts work on someone's desk tells them.

The steps are rows of the case event log (each written in its step's transaction);
``signals`` hands every new event here. For a step in ``STEPS`` this module writes one
``Reminder`` per recipient in the same transaction, keyed ``(case, kind, threshold,
recipient)`` with ``threshold = event-<event id>`` (or the id of the record the step made,
where the sweep knows that record too): the unique constraint makes a repeated signal a
no-op, a rolled-back step leaves no row, and the rows are handed to the workers only after
commit (``tasks.publish_on_commit``), which send each once (``reminders.deliver``).

Who is told (the table is in docs/followup.md, "Work-step notifications"):

- dispatched / reopened: the receiving department's officers;
- returned (退单): the dispatchers, who route it again;
- urge / supervision order / notice: the department named on it — its head(s) and, when
  the case's assignee belongs to it, the assignee; when neither is in the system, its
  officers;
- reply awaiting approval: the dispatchers (the centre reviews);
- reply sent back: the case's assignee, else whoever wrote the reply, else the officers;
- correction issued (on a case): the officer named, and the department's head(s) (its
  officers when neither is in the system); the same people when its rectification
  deadline passes without feedback (``source_corrections_due``);
- extension requested: the dispatchers (same row as the sweep's ``ext-<id>`` reminder);
- extension decided: the officer who asked, and the assignee;
- session booked: the session's mediators with a staff account; and every party with a
  mobile number by SMS (``party_sms_for_session``: parties have no account, so a
  ``PartySms`` row per party instead of a ``Reminder``), unless the rule turns that off;
- visit assigned: the follow-up officer (``visits_assigned``, called by
  ``services.visits_schedule``).

The actor of a step is never told about their own step.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.models import Case, CaseEvent, Party
from luodian_platform.models import User
from luodian_platform.notifications import get_sms_backend
from luodian_platform.roles import Role
from luodian_platform.validators import normalize_phone

from . import reminders
from .models import NotificationRule, PartySms, Reminder, ReminderKind

Recipients = Callable[[Case, CaseEvent], list[int]]
# SMS reach mobiles only (a landline is stored too, and is skipped).
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def _dispatchers(case: Case, event: CaseEvent) -> list[int]:
    return reminders._active_with_role(Role.DISPATCHER)


def _officers(department_id: int | None) -> list[int]:
    if not department_id:
        return []
    return reminders._active_with_role(Role.OFFICER, department_id=department_id)


def _heads(department_id: int | None) -> list[int]:
    if not department_id:
        return []
    return list(
        User.objects.filter(is_active=True, is_department_head=True, department_id=department_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _dept_desk(department_id: int | None, *extra: int | None) -> list[int]:
    """A department's desk: its head(s) plus ``extra`` people; its officers if no head."""
    heads = _heads(department_id)
    people = [*heads, *(p for p in extra if p)]
    return people or _officers(department_id)


def _receiving_department(case: Case, event: CaseEvent) -> list[int]:
    return _officers(case.department_id)


def _supervised_department(case: Case, event: CaseEvent) -> list[int]:
    code = (event.payload or {}).get("department")
    Department = apps.get_model("luodian_platform", "Department")
    dept_id = (
        Department.objects.filter(code=code).values_list("pk", flat=True).first()
        if code
        else case.department_id
    )
    assignee = case.assignee_id if case.department_id == dept_id else None
    return _dept_desk(dept_id, assignee)


def _reply_author(case: Case, event: CaseEvent) -> list[int]:
    who = case.assignee_id or case.replied_by_id
    return [who] if who else _officers(case.department_id)


def _correction_people(case: Case, event: CaseEvent) -> list[int]:
    Correction = apps.get_model("dispatch", "Correction")
    corr = (
        Correction.objects.filter(pk=(event.payload or {}).get("id"))
        .values("department_id", "officer_id")
        .first()
    )
    if corr is None:
        return []
    return _dept_desk(corr["department_id"], corr["officer_id"])


def _extension_requester(case: Case, event: CaseEvent) -> list[int]:
    ExtensionRequest = apps.get_model("dispatch", "ExtensionRequest")
    asked = (
        ExtensionRequest.objects.filter(pk=(event.payload or {}).get("id"))
        .values_list("requested_by_id", flat=True)
        .first()
    )
    return [p for p in (asked, case.assignee_id) if p] or _officers(case.department_id)


def _session_mediators(case: Case, event: CaseEvent) -> list[int]:
    Session = apps.get_model("mediation", "MediationSession")
    return list(
        Session.objects.filter(pk=(event.payload or {}).get("session"))
        .filter(mediators__user__isnull=False)
        .values_list("mediators__user_id", flat=True)
        .distinct()
    )


def _ext_threshold(event: CaseEvent) -> str:
    # The sweep's source_extensions writes the same row: whichever comes first wins.
    return f"ext-{(event.payload or {}).get('id')}"


# transition → (kind, recipients, threshold of the row; default ``event-<id>``)
STEPS: dict[str, tuple[str, Recipients, Callable[[CaseEvent], str] | None]] = {
    "return_case": (ReminderKind.RETURNED, _dispatchers, None),
    "urge": (ReminderKind.SUPERVISION, _supervised_department, None),
    "supervise": (ReminderKind.SUPERVISION, _supervised_department, None),
    "notice": (ReminderKind.SUPERVISION, _supervised_department, None),
    "reply": (ReminderKind.REPLY_PENDING, _dispatchers, None),
    "send_back": (ReminderKind.SENT_BACK, _reply_author, None),
    "correction": (ReminderKind.CORRECTION, _correction_people, None),
    "extension_requested": (ReminderKind.EXTENSION_PENDING, _dispatchers, _ext_threshold),
    "extension_approved": (ReminderKind.EXTENSION_DECIDED, _extension_requester, None),
    "extension_refused": (ReminderKind.EXTENSION_DECIDED, _extension_requester, None),
    "session_book": (ReminderKind.SESSION_BOOKED, _session_mediators, None),
}


def _write(case_id: int, kind: str, threshold: str, who: Iterable[int], urgent: bool) -> list[int]:
    rows = list(
        reminders._rows(case_id, kind, threshold, dict.fromkeys(who), timezone.now(), urgent)
    )
    if not rows:
        return []
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    # Ids of the rows (new or already there) that are still to send.
    return list(
        Reminder.objects.filter(
            case_id=case_id,
            kind=kind,
            threshold=threshold,
            status=Reminder.Status.PENDING,
            enqueued_at__isnull=True,
        ).values_list("pk", flat=True)
    )


def reminders_for_step(*, case: Case, event: CaseEvent) -> list[int]:
    """Rows for a work step's event, in the event's transaction; returns the ids to send."""
    step = STEPS.get(event.transition)
    if step is None:
        return []
    if (event.payload or {}).get("automatic"):
        # The sweep's own urge: its AUTO_URGE reminder already told the department head.
        return []
    kind, recipients, threshold = step
    who = [pk for pk in recipients(case, event) if pk != event.actor_id]
    key = threshold(event) if threshold else f"event-{event.pk}"
    return _write(case.pk, kind, key, who, urgent=case.risk_level == "high")


def visits_assigned(visits: Iterable) -> list[int]:
    """Rows telling each visit's follow-up officer about the visit (one per visit)."""
    ids: list[int] = []
    for visit in visits:
        if visit.assignee_id:
            ids += _write(
                visit.case_id,
                ReminderKind.VISIT_ASSIGNED,
                f"visit-{visit.pk}",
                [visit.assignee_id],
                urgent=False,
            )
    return ids


def source_corrections_due(ctx: reminders.SweepContext) -> Iterable[Reminder]:
    """整改期限: a correction on a case whose rectification deadline has passed without
    feedback; told once per correction (only corrections whose row is not written yet)."""
    Correction = apps.get_model("dispatch", "Correction")
    rows = (
        Correction.objects.filter(
            case__isnull=False,
            feedback_at__isnull=True,
            rectify_due_at__isnull=False,
            rectify_due_at__lte=ctx.now,
        )
        .filter(
            ~Exists(
                Reminder.objects.filter(
                    case_id=OuterRef("case_id"),
                    kind=ReminderKind.CORRECTION_DUE,
                    threshold=Concat(
                        Value("corr-"), Cast(OuterRef("pk"), CharField()), output_field=CharField()
                    ),
                )
            )
        )
        .order_by()
        .values_list("pk", "case_id", "department_id", "officer_id")
    )
    for pk, case_id, dept, officer in rows:
        heads = ctx.directory.heads.get(dept) or ctx.directory.officers.get(dept, [])
        who = list(dict.fromkeys([*([officer] if officer else []), *heads]))
        yield from reminders._rows(case_id, ReminderKind.CORRECTION_DUE, f"corr-{pk}", who, ctx.now)


# --- parties: SMS about a booked session ----------------------------------------------------


def _mobile(phone: str | None) -> str:
    v = normalize_phone(phone or "")
    return v if _MOBILE_RE.match(v) else ""


def party_sms_for_session(*, case: Case, event: CaseEvent) -> list[int]:
    """Rows (one per party with a phone) telling the parties when and where their session
    is, in the booking's transaction; returns the ids to send. Off when the administrator's
    rule for sessions says so (``NotificationRule.parties_sms``)."""
    rule = NotificationRule.objects.filter(kind=ReminderKind.SESSION_BOOKED).first()
    if rule is not None and not rule.parties_sms:
        return []
    session_id = (event.payload or {}).get("session")
    if not session_id:
        return []
    text = _(
        "【%(county)s矛盾纠纷化解平台】您的案件%(number)s已安排调解:%(when)s。"
        "请携带身份证件准时参加,如有疑问请致电%(hall)s。"
    ) % {
        "county": settings.COUNTY_NAME,
        "number": case.number,
        "when": event.note[:80],
        "hall": settings.HALL_PHONE,
    }
    parties = case.parties.exclude(phone_bidx="").values_list("pk", flat=True)
    rows = [
        PartySms(
            case=case,
            party_id=pk,
            kind=ReminderKind.SESSION_BOOKED,
            key=f"session-{session_id}-party-{pk}",
            text=text[:300],
        )
        for pk in parties
    ]
    if not rows:
        return []
    PartySms.objects.bulk_create(rows, ignore_conflicts=True)
    return list(
        PartySms.objects.filter(
            key__in=[r.key for r in rows],
            status=PartySms.Status.PENDING,
            enqueued_at__isnull=True,
        ).values_list("pk", flat=True)
    )


def party_sms_due(now: dt.datetime) -> list[int]:
    """Pending party SMS not handed over, or handed over longer ago than the lease (a lost
    broker message, a dead worker): the sweep hands them over again."""
    stale = now - dt.timedelta(seconds=settings.REMINDER_CLAIM_LEASE_SECONDS)
    return list(
        PartySms.objects.filter(status=PartySms.Status.PENDING, created_at__lte=now)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[: reminders.SEND_BATCH]
    )


def deliver_party_sms(sms_id: int) -> bool:
    """Send party SMS ``sms_id`` if it is still pending; True if this call sent it. Claimed
    under a row lock and marked in the same transaction, as ``reminders.deliver`` does."""
    try:
        with transaction.atomic():
            row = (
                PartySms.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=sms_id, status=PartySms.Status.PENDING)
                .first()
            )
            if row is None:
                return False
            mobile = _mobile(Party.objects.filter(pk=row.party_id).first().phone)
            if not mobile:  # a landline or a number purged since: nothing to send to
                row.status = PartySms.Status.SKIPPED
                row.save(update_fields=["status"])
                return False
            get_sms_backend().send(mobile=mobile, text=row.text, key=f"party-sms-{row.key}")
            PartySms.objects.filter(pk=row.pk).update(
                status=PartySms.Status.SENT,
                sent_at=timezone.now(),
                attempts=F("attempts") + 1,
                last_error="",
            )
    except Exception as exc:
        PartySms.objects.filter(pk=sms_id, status=PartySms.Status.PENDING).update(
            attempts=F("attempts") + 1, last_error=str(exc)[:500]
        )
        PartySms.objects.filter(
            pk=sms_id,
            status=PartySms.Status.PENDING,
            attempts__gte=settings.REMINDER_MAX_ATTEMPTS,
        ).update(status=PartySms.Status.FAILED)
        raise
    return True


def correction_without_case(correction) -> list:
    """A correction against a department or an officer with no case (工作作风, a pattern
    across cases) puts work on that desk too; reminder rows need a case, so the message goes
    straight to the notification centre after commit (in-app always; SMS/e-mail per the
    administrator's rule for corrections). Returns the messages sent (for tests)."""
    from luodian_platform import notifications

    rule = NotificationRule.objects.filter(kind=ReminderKind.CORRECTION).first()
    channels = rule.channels() if rule else None
    title = str(_("问题纠偏:%(problem)s") % {"problem": correction.get_problem_display()})
    body = str(
        _("%(dept)s收到一项问题纠偏(%(measure)s):%(text)s")
        % {
            "dept": correction.department.name if correction.department_id else "",
            "measure": correction.get_measure_display(),
            "text": correction.description[:200],
        }
    )
    sent = []
    for user_id in dict.fromkeys(_dept_desk(correction.department_id, correction.officer_id)):
        if user_id == correction.created_by_id:
            continue
        message = notifications.Message(
            recipient_id=user_id,
            key=f"correction-{correction.pk}",
            title=title,
            body=body,
            url=reverse("dispatch:corrections"),
            urgent=correction.serious,
        )
        notifications.send(message, channels)
        sent.append(message)
    return sent
