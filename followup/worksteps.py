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
- session booked: the session's mediators with a staff account; its mediators and experts
  without one who have a phone on their record, by SMS (``mediator_sms_for_session``); and
  every party with a mobile number by SMS (``party_sms_for_session``), unless the rule turns
  that off — people without an account get a ``PartySms`` row instead of a ``Reminder``;
- visit assigned: the follow-up officer (``visits_assigned``, called by
  ``services.visits_schedule``); re-assigned: the new officer, and the previous one is told
  it was taken off (``visit_reassigned``);
- a correction without a case: its desk when issued (``correction_without_case``) and when
  its rectification deadline passes without feedback (``corrections_without_case_due``,
  from the sweep).

The actor of a step is never told about their own step.
"""

from __future__ import annotations

import datetime as dt
import logging
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
from .models import NotificationRule, PartySms, PartySmsKind, Reminder, ReminderKind

logger = logging.getLogger(__name__)

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


def visit_reassigned(*, visit, previous_id: int | None, event: CaseEvent) -> list[int]:
    """Rows for a re-assigned visit, in the re-assignment's transaction: the new officer is
    told of the visit (with its link), the previous one that it was taken off them. Keyed by
    the re-assignment's event (``visit-<id>/e<event id>``), so a visit moved A → B → A tells
    A again; the actor is not told about their own step."""
    key = f"visit-{visit.pk}/e{event.pk}"
    ids = _write(
        visit.case_id,
        ReminderKind.VISIT_ASSIGNED,
        key,
        [p for p in [visit.assignee_id] if p and p != event.actor_id],
        urgent=False,
    )
    return ids + _write(
        visit.case_id,
        ReminderKind.VISIT_REMOVED,
        key,
        [p for p in [previous_id] if p and p != event.actor_id],
        urgent=False,
    )


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
    return party_sms_add(
        [
            PartySms(
                case=case,
                party_id=pk,
                kind=PartySmsKind.SESSION_BOOKED,
                key=f"session-{session_id}-party-{pk}",
                text=text[:300],
            )
            for pk in parties
        ]
    )


def party_sms_add(rows: list[PartySms]) -> list[int]:
    """Write outbox rows in the caller's transaction; a row whose key exists already is
    skipped (a repeated step sends nothing twice). Returns the ids to hand to a worker
    after commit (``tasks.publish_party_sms_on_commit``)."""
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


def _place(session) -> str:
    return (session.room.name if session.room_id else session.on_site_place)[:60]


def mediator_sms_for_session(*, case: Case, event: CaseEvent) -> list[int]:
    """Rows telling the session's mediators and experts who have no staff account (committee
    members, outside experts: no in-app centre to reach them) when and where to mediate, in
    the booking's transaction; one per mediator with a phone on their record. Returns the
    ids to send. The text names the case number, its category, the time and the place, and
    no party's name or number: the mediator reads those in the hall.

    The key carries the session's start (``session-<id>-<start>-med-<id>``): a repeat of the
    same booking writes nothing, while a session moved to another time would be a new
    message. Always on: it is these mediators' only channel (the rule's 短信通知当事人 is
    about parties)."""
    Session = apps.get_model("mediation", "MediationSession")
    session = (
        Session.objects.select_related("room", "case__category")
        .filter(pk=(event.payload or {}).get("session"), case_id=case.pk)
        .first()
    )
    if session is None:
        return []
    start, end = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    text = _(
        "【%(county)s矛盾纠纷化解平台】调解安排:%(when)s在%(place)s调解案件%(number)s"
        "(%(category)s),请准时参加。如需调整请致电%(hall)s。"
    ) % {
        "county": settings.COUNTY_NAME,
        "when": f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}",
        "place": _place(session),
        "number": case.number,
        "category": session.case.category.name if session.case.category_id else "",
        "hall": settings.HALL_PHONE,
    }
    stamp = f"{start:%Y%m%d%H%M}"
    rows = [
        PartySms(
            case=case,
            mediator_id=m.pk,
            kind=PartySmsKind.SESSION_BOOKED,
            key=f"session-{session.pk}-{stamp}-med-{m.pk}",
            text=text[:300],
        )
        # A handful per session; the phone is encrypted, so it is tested here, not in SQL.
        for m in session.mediators.filter(user__isnull=True, is_active=True).order_by("pk")
        if m.phone
    ]
    return party_sms_add(rows)


def _recipient_phone(row: PartySms) -> str:
    if row.party_id:
        party = Party.objects.filter(pk=row.party_id).first()
        return party.phone if party else ""
    Mediator = apps.get_model("mediation", "Mediator")
    mediator = Mediator.objects.filter(pk=row.mediator_id, is_active=True).first()
    return mediator.phone if mediator else ""


# Signed links in party SMS: purpose -> a function of the row's ``link["data"]`` giving the
# URL. Filled from AppConfig.ready() by the app that owns the links (citizen); this module
# cannot sign them itself (dependency direction) and does not store them (PartySms).
PARTY_SMS_LINKS: dict[str, Callable[[dict], str]] = {}
LINK_PLACEHOLDER = "{link}"


def register_party_sms_link(purpose: str, make_url: Callable[[dict], str]) -> None:
    PARTY_SMS_LINKS[purpose] = make_url


def party_sms_text(row: PartySms) -> str:
    """The text as sent: a row with a link gets it signed now (its lifetime counts from
    the sending, so a retry hours later still carries a full-lived link)."""
    if not row.link:
        return row.text
    make_url = PARTY_SMS_LINKS[row.link["purpose"]]  # unknown purpose: fails, retried
    return row.text.replace(LINK_PLACEHOLDER, make_url(row.link.get("data") or {}))


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
            mobile = _mobile(_recipient_phone(row))
            if not mobile:  # a landline, a number purged since, or a mediator struck off
                row.status = PartySms.Status.SKIPPED
                row.save(update_fields=["status"])
                return False
            get_sms_backend().send(
                mobile=mobile, text=party_sms_text(row), key=f"party-sms-{row.key}"
            )
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


def _tell_correction_desk(correction, *, key: str, title: str, body: str, urgent: bool) -> list:
    """One message per person of a correction's desk (not its author), in-app plus the
    channels of the administrator's rule for corrections."""
    from luodian_platform import notifications

    rule = NotificationRule.objects.filter(kind=ReminderKind.CORRECTION).first()
    channels = rule.channels if rule else None
    sent = []
    for user_id in dict.fromkeys(_dept_desk(correction.department_id, correction.officer_id)):
        if user_id == correction.created_by_id:
            continue
        message = notifications.Message(
            recipient_id=user_id,
            key=key,
            title=title,
            body=body,
            url=reverse("dispatch:corrections"),
            urgent=urgent,
        )
        notifications.send(message, channels)
        sent.append(message)
    return sent


def correction_without_case(correction) -> list:
    """A correction against a department or an officer with no case (工作作风, a pattern
    across cases) puts work on that desk too; reminder rows need a case, so the message goes
    straight to the notification centre after commit (in-app always; SMS/e-mail per the
    administrator's rule for corrections). Returns the messages sent (for tests)."""
    title = str(_("问题纠偏:%(problem)s") % {"problem": correction.get_problem_display()})
    body = str(
        _("%(dept)s收到一项问题纠偏(%(measure)s):%(text)s")
        % {
            "dept": correction.department.name if correction.department_id else "",
            "measure": correction.get_measure_display(),
            "text": correction.description[:200],
        }
    )
    return _tell_correction_desk(
        correction,
        key=f"correction-{correction.pk}",
        title=title,
        body=body,
        urgent=correction.serious,
    )


def _caseless_corrections_due(now: dt.datetime):
    Correction = apps.get_model("dispatch", "Correction")
    return Correction.objects.filter(
        case__isnull=True,
        feedback_at__isnull=True,
        rectify_due_at__isnull=False,
        rectify_due_at__lte=now,
        due_notified_at__isnull=True,
    )


def corrections_without_case_due(now: dt.datetime | None = None) -> int:
    """整改期限 of corrections without a case: the sweep tells their desk once the deadline
    has passed without feedback, once per correction.

    *Why not a reminder row:* ``Reminder.case`` is required, and the reminder's unique key,
    its rendering, its relevance check and the sweep's markers all hang on the case; making
    it optional would touch every reminder. Instead each due correction is claimed under a
    row lock (``SKIP LOCKED``: two sweeps never both take it), told, and marked
    (``due_notified_at``) in one transaction, as ``reminders.deliver`` does with a reminder:
    a failed channel rolls the in-app message and the mark back, and the next sweep tries
    again with the same idempotency key (``correction-due-<id>``), which the in-app centre
    and the SMS gateway drop as a repeat. Not serious ones wait for working hours like any
    non-urgent reminder. Returns the number of corrections told."""
    now = now or timezone.now()
    window = reminders.in_send_window(now)
    qs = _caseless_corrections_due(now)
    if not window:
        qs = qs.filter(serious=True)
    told = 0
    for pk in qs.order_by("rectify_due_at", "pk").values_list("pk", flat=True)[
        : reminders.SEND_BATCH
    ]:
        try:
            with transaction.atomic():
                corr = (
                    _caseless_corrections_due(now)
                    .select_for_update(skip_locked=True, of=("self",))
                    .select_related("department")
                    .filter(pk=pk)
                    .first()
                )
                if corr is None:
                    continue  # told already, answered, or another sweep holds it
                _tell_correction_desk(
                    corr,
                    key=f"correction-due-{corr.pk}",
                    title=str(
                        _("整改期限已到:%(problem)s") % {"problem": corr.get_problem_display()}
                    ),
                    body=str(
                        _("%(dept)s的问题纠偏(%(measure)s)整改期限%(due)s已到,请尽快反馈整改情况。")
                        % {
                            "dept": corr.department.name if corr.department_id else "",
                            "measure": corr.get_measure_display(),
                            "due": timezone.localtime(corr.rectify_due_at).strftime(
                                "%Y-%m-%d %H:%M"
                            ),
                        }
                    ),
                    urgent=corr.serious,
                )
                type(corr).objects.filter(pk=corr.pk).update(due_notified_at=timezone.now())
        except Exception:  # one broken channel must not stop the sweep; retried next time
            logger.exception("telling the deadline of correction %s failed", pk)
            continue
        told += 1
    return told
