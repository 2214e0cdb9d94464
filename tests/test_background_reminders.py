"""Issue 7, unit level: the sweep with a frozen clock, compare-and-set sending, working
hours, visits on closing, enqueue-on-commit, broker outage, the notification centre."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from dispatch.services import case_approve, case_dispatch, case_sign_for
from followup import reminders, stats, tasks
from followup.models import DailyStat, EscalationStep, Reminder, ReminderKind, Visit
from intake.models import Case, State
from luodian_platform.celery import BEAT_ENTRIES, app
from luodian_platform.models import Notification, User
from luodian_platform.roles import Role
from luodian_platform.workcal import WorkCalendar, end_of_day, local_tz

from .scenery import sign_agreement

pytestmark = pytest.mark.django_db
TZ = local_tz()
# A Tuesday in working hours; 2026-03-10 (Tue) .. 2026-03-13 (Fri) are plain workdays.
TUESDAY_10 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _file_sms(tmp_path, settings):
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    settings.NOTIFICATION_CHANNELS = ["inapp", "sms", "email"]
    return tmp_path / "sms.jsonl"


def _dispatched(make_case, dispatcher, rsj):
    case = make_case()
    return case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)


def _set(case, **fields):
    Case.objects.filter(pk=case.pk).update(**fields)
    case.refresh_from_db()
    return case


def _closed(case, officer, dispatcher):
    case = case_sign_for(case_id=case.pk, actor=officer)
    # A signed agreement: the reply is 调解成功 and the agreement's time is the case's.
    sign_agreement(case.pk, officer)
    return case_approve(case_id=case.pk, actor=dispatcher)


def _kinds(case):
    return sorted(Reminder.objects.filter(case=case).values_list("kind", flat=True))


# --- the sweep ---------------------------------------------------------------------------


def test_sign_deadline_about_to_pass_reminds_the_departments_officers_once(
    make_case, dispatcher, rsj, officer
):
    case = _dispatched(make_case, dispatcher, rsj)
    _set(case, sign_due_at=TUESDAY_10 + dt.timedelta(hours=2))
    Reminder.objects.all().delete()  # the dispatch notification is not under test here
    first = reminders.sweep(now=TUESDAY_10)
    second = reminders.sweep(now=TUESDAY_10)  # a second beat by mistake
    rows = Reminder.objects.filter(case=case, kind=ReminderKind.SIGN_DUE)
    assert officer.pk in set(rows.values_list("recipient_id", flat=True))
    assert first.created == rows.count() and second.created == 0
    assert set(rows.values_list("pk", flat=True)) <= set(second.due_ids)


def test_sign_deadline_passed_also_tells_the_department_head(make_case, dispatcher, rsj):
    case = _dispatched(make_case, dispatcher, rsj)
    _set(case, sign_due_at=TUESDAY_10 - dt.timedelta(minutes=1))
    reminders.sweep(now=TUESDAY_10)
    heads = set(
        User.objects.filter(department=rsj, is_department_head=True).values_list("pk", flat=True)
    )
    got = set(
        Reminder.objects.filter(case=case, kind=ReminderKind.SIGN_OVERDUE).values_list(
            "recipient_id", flat=True
        )
    )
    assert heads and heads <= got


def test_due_soon_then_escalation_ladder_as_overdue_time_grows(
    make_case, dispatcher, rsj, officer, supervisor
):
    case = case_sign_for(case_id=_dispatched(make_case, dispatcher, rsj).pk, actor=officer)
    _set(case, due_at=end_of_day(dt.date(2026, 3, 11)))  # Wednesday
    reminders.sweep(now=TUESDAY_10)
    assert _kinds(case).count(ReminderKind.DUE_SOON) == 1  # to the assignee only
    # Thursday just after midnight = overdue, and the first working day after the deadline:
    # the officer (step 0), the head (step 1) and the automatic urge (催办).
    reminders.sweep(now=dt.datetime(2026, 3, 12, 0, 5, tzinfo=TZ))
    overdue = Reminder.objects.filter(case=case, kind=ReminderKind.OVERDUE)
    assert overdue.filter(threshold__endswith="/+0wd/officer", recipient=officer).exists()
    assert overdue.filter(threshold__endswith="/+1wd/head").exists()
    assert not overdue.filter(recipient=dispatcher).exists()
    assert Reminder.objects.filter(case=case, kind=ReminderKind.AUTO_URGE).exists()
    # Three working days later the dispatchers, five the supervisors (Mon 16th, Wed 18th).
    reminders.sweep(now=dt.datetime(2026, 3, 16, 9, 0, tzinfo=TZ))
    assert overdue.filter(recipient=dispatcher).exists()
    assert not overdue.filter(recipient=supervisor).exists()
    reminders.sweep(now=dt.datetime(2026, 3, 18, 9, 0, tzinfo=TZ))
    assert overdue.filter(recipient=supervisor).exists()


def test_automatic_urge_is_recorded_through_dispatch_once(make_case, dispatcher, rsj, officer):
    supervision = pytest.importorskip("dispatch.models").__dict__.get("Supervision")
    if supervision is None:
        pytest.skip("dispatch.models.Supervision not available yet")
    case = case_sign_for(case_id=_dispatched(make_case, dispatcher, rsj).pk, actor=officer)
    _set(case, due_at=end_of_day(dt.date(2026, 3, 11)))
    for _ in range(2):
        reminders.sweep(now=dt.datetime(2026, 3, 12, 9, 0, tzinfo=TZ))
    assert supervision.objects.filter(case=case, automatic=True, level=1).count() == 1


def test_escalation_steps_are_configurable(make_case, dispatcher, rsj, officer, supervisor):
    EscalationStep.objects.create(after_workdays=0, audience="supervisor", urgent=True)
    case = case_sign_for(case_id=_dispatched(make_case, dispatcher, rsj).pk, actor=officer)
    _set(case, due_at=end_of_day(dt.date(2026, 3, 9)))
    reminders.sweep(now=TUESDAY_10)
    overdue = Reminder.objects.filter(case=case, kind=ReminderKind.OVERDUE)
    assert list(overdue.values_list("recipient_id", "urgent")) == [(supervisor.pk, True)]


def test_a_new_deadline_after_rework_gets_new_reminders(make_case, dispatcher, rsj, officer):
    case = case_sign_for(case_id=_dispatched(make_case, dispatcher, rsj).pk, actor=officer)
    _set(case, due_at=end_of_day(dt.date(2026, 3, 9)))
    reminders.sweep(now=TUESDAY_10)
    _set(case, due_at=end_of_day(dt.date(2026, 3, 6)))
    reminders.sweep(now=TUESDAY_10)
    first_step = Reminder.objects.filter(
        case=case, kind=ReminderKind.OVERDUE, threshold__endswith="/+0wd/officer"
    )
    assert sorted(t[:10] for t in first_step.values_list("threshold", flat=True)) == [
        "2026-03-06",
        "2026-03-09",
    ]


# --- sending ------------------------------------------------------------------------------


def _pending(case, user, *, urgent=False, kind=ReminderKind.NEW_CASE, when=TUESDAY_10):
    return Reminder.objects.create(
        case=case,
        kind=kind,
        threshold=f"t-{Reminder.objects.count()}",
        recipient=user,
        due_at=when,
        urgent=urgent,
    )


def test_deliver_sends_once_through_every_channel_with_the_reminder_id_as_key(
    make_case, officer, _file_sms
):
    officer.mobile = "13900001111"
    officer.save()
    r = _pending(make_case(), officer)
    mail.outbox.clear()
    assert reminders.deliver(r.pk, now=TUESDAY_10) is True
    assert reminders.deliver(r.pk, now=TUESDAY_10) is False  # sent already: skipped
    r.refresh_from_db()
    assert (r.status, r.attempts) == (Reminder.Status.SENT, 1) and r.sent_at
    key = f"reminder-{r.pk}"
    assert Notification.objects.get(recipient=officer, key=key).case_number == r.case.number
    lines = [json.loads(x) for x in _file_sms.read_text().splitlines()]
    assert [x["key"] for x in lines] == [key] and r.case.number in lines[0]["text"]
    assert len(mail.outbox) == 1 and mail.outbox[0].extra_headers["X-Idempotency-Key"] == key


def test_texts_are_chinese_with_case_number_and_deadline(make_case, dispatcher, rsj, officer):
    case = case_sign_for(case_id=_dispatched(make_case, dispatcher, rsj).pk, actor=officer)
    _set(case, due_at=end_of_day(dt.date(2026, 3, 9)))
    reminders.sweep(now=TUESDAY_10)
    r = Reminder.objects.get(
        case=case, kind=ReminderKind.OVERDUE, threshold__endswith="/+0wd/officer"
    )
    msg = reminders.render(r)
    assert case.number in msg.body and "2026-03-09 23:59" in msg.body and "超期" in msg.body


def test_failed_send_goes_back_to_pending_and_raises_for_the_retry(make_case, officer, monkeypatch):
    r = _pending(make_case(), officer)

    def boom(message, **kwargs):
        raise ConnectionError("gateway down")

    monkeypatch.setattr(reminders.notifications, "send", boom)
    with pytest.raises(ConnectionError):
        reminders.deliver(r.pk, now=TUESDAY_10)
    r.refresh_from_db()
    assert r.status == Reminder.Status.PENDING and "gateway down" in r.last_error


def test_a_claim_abandoned_by_a_dead_worker_is_recovered_after_the_lease(
    make_case, officer, settings
):
    r = _pending(make_case(), officer)
    Reminder.objects.filter(pk=r.pk).update(status="sending", claimed_at=TUESDAY_10)
    assert r.pk not in reminders.sweep(now=TUESDAY_10 + dt.timedelta(seconds=10)).due_ids
    later = TUESDAY_10 + dt.timedelta(seconds=settings.REMINDER_CLAIM_LEASE_SECONDS + 1)
    assert r.pk in reminders.sweep(now=later).due_ids


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 3, 10, 23, 0, tzinfo=TZ),  # night
        dt.datetime(2026, 3, 14, 10, 0, tzinfo=TZ),  # Saturday
        dt.datetime(2026, 10, 1, 10, 0, tzinfo=TZ),  # National Day
    ],
)
def test_no_sending_at_night_or_on_holidays_unless_urgent(make_case, officer, moment):
    case = make_case()
    quiet = _pending(case, officer, when=moment - dt.timedelta(minutes=1))
    urgent = _pending(case, officer, urgent=True, when=moment - dt.timedelta(minutes=1))
    due = reminders.due_ids(moment)
    assert urgent.pk in due and quiet.pk not in due
    assert reminders.deliver(quiet.pk, now=moment) is False
    quiet.refresh_from_db()
    assert quiet.status == Reminder.Status.PENDING
    next_workday = WorkCalendar.load().next_workday(moment.date())
    morning = dt.datetime.combine(next_workday, dt.time(9), tzinfo=TZ)
    assert quiet.pk in reminders.due_ids(morning)


# --- tasks ----------------------------------------------------------------------------------


def test_tasks_pass_ids_retry_with_backoff_and_skip_missing_rows():
    t = tasks.send_reminder
    assert t.autoretry_for == (Exception,) and t.retry_backoff and t.max_retries
    assert t.acks_late is True
    assert app.conf.task_serializer == "json" and app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert t.run(987654321) is False  # row gone: nothing, quietly


def test_beat_entries_come_from_followup_with_expires():
    assert {"followup-sweep-reminders", "followup-rollup-daily-stats"} <= set(BEAT_ENTRIES)
    for entry in BEAT_ENTRIES.values():
        assert entry["options"]["expires"] > 0


def test_rolled_back_registration_enqueues_nothing(
    make_case, monkeypatch, django_capture_on_commit_callbacks
):
    published = []
    monkeypatch.setattr(tasks, "publish_send", lambda ids: published.extend(ids))
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        make_case()
        raise RuntimeError("clerk's transaction fails later")
    assert published == []
    with django_capture_on_commit_callbacks(execute=True):
        case = make_case()
    ids = list(
        Reminder.objects.filter(case=case, kind=ReminderKind.NEW_CASE).values_list("pk", flat=True)
    )
    assert ids and sorted(published) == sorted(ids)


@pytest.fixture
def dead_broker(monkeypatch):
    """Point the Celery app at a port nothing listens on (Redis "unreachable")."""
    dead = "redis://127.0.0.1:1/13"
    conf = app.conf
    saved = conf.broker_url, app._pool, app.amqp._producer_pool
    # Celery reads CELERY_BROKER_URL from the environment before its own settings.
    monkeypatch.setenv("CELERY_BROKER_URL", dead)
    conf.broker_url = dead
    app._pool = None
    app.amqp._producer_pool = None
    assert "127.0.0.1:1/13" in app.connection_for_write().as_uri()
    yield
    monkeypatch.undo()
    conf.broker_url = saved[0]
    app._pool, app.amqp._producer_pool = saved[1], saved[2]


def test_broker_down_registering_and_dispatching_still_succeed_and_reminders_go_out_later(
    make_case, dispatcher, rsj, officer, dead_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = make_case()
    with django_capture_on_commit_callbacks(execute=True):
        case = case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    assert case.state == State.DISPATCHED
    waiting = Reminder.objects.filter(case=case, kind=ReminderKind.DISPATCHED, recipient=officer)
    assert waiting.get().status == Reminder.Status.PENDING
    assert waiting.get().enqueued_at is None  # never reached a broker
    # The broker is back: the next sweep (in working hours) hands the rows over.
    later = timezone.now() + dt.timedelta(minutes=1)
    with override_settings(REMINDER_SEND_HOURS=(0, 24), REMINDER_WORKDAYS_ONLY=False):
        due = reminders.sweep(now=later).due_ids
        assert waiting.get().pk in due
        for pk in due:
            reminders.deliver(pk, now=later)
    assert waiting.get().status == Reminder.Status.SENT


# --- follow-up scheduling --------------------------------------------------------------


def test_closing_a_case_schedules_visits_3_workdays_and_30_days_later_in_turn(
    make_case, dispatcher, rsj, officer, followup_officer
):
    from django.contrib.auth.models import Group

    second = User.objects.create_user("followup2", password="x-Followup-2026", full_name="回访二")
    second.groups.add(Group.objects.get(name=Role.FOLLOWUP))
    assigned = []
    with time_machine.travel(TUESDAY_10):
        for _ in range(2):
            case = _closed(_dispatched(make_case, dispatcher, rsj), officer, dispatcher)
            visits = list(Visit.objects.filter(case=case).order_by("seq"))
            assert [v.due_date for v in visits] == [dt.date(2026, 3, 13), dt.date(2026, 4, 9)]
            assert len({v.assignee_id for v in visits}) == 1
            assigned.append(visits[0].assignee_id)
    assert set(assigned) == {followup_officer.pk, second.pk}


def test_followup_officer_sees_only_cases_with_visits_assigned_to_them(
    make_case, dispatcher, rsj, officer, followup_officer
):
    closed = _closed(_dispatched(make_case, dispatcher, rsj), officer, dispatcher)
    other = _closed(_dispatched(make_case, dispatcher, rsj), officer, dispatcher)
    Visit.objects.filter(case=other).update(assignee=None)
    visible = set(Case.objects.visible_to(followup_officer).values_list("pk", flat=True))
    assert closed.pk in visible and other.pk not in visible


def test_visit_due_reminds_the_assigned_officer(
    make_case, dispatcher, rsj, officer, followup_officer
):
    with time_machine.travel(TUESDAY_10):
        case = _closed(_dispatched(make_case, dispatcher, rsj), officer, dispatcher)
    reminders.sweep(now=dt.datetime(2026, 3, 13, 9, 0, tzinfo=TZ))
    r = Reminder.objects.get(case=case, kind=ReminderKind.VISIT_DUE)
    assert r.recipient_id == followup_officer.pk


# --- roll-up ---------------------------------------------------------------------------------


def test_nightly_rollup_is_repeatable(make_case, dispatcher, rsj, officer):
    with time_machine.travel(TUESDAY_10):
        _closed(_dispatched(make_case, dispatcher, rsj), officer, dispatcher)
        make_case()
    assert stats.rollup(dt.date(2026, 3, 10)) >= 1
    stats.rollup(dt.date(2026, 3, 10))
    day = DailyStat.objects.filter(date=dt.date(2026, 3, 10))
    assert sum(day.values_list("received", flat=True)) == 2
    assert sum(day.values_list("closed", flat=True)) == 1
    assert sum(day.values_list("agreements", flat=True)) == 1


# --- notification centre ------------------------------------------------------------------


def test_header_shows_unread_count_and_list_marks_read(client, make_case, officer, officer2):
    r = _pending(make_case(), officer, urgent=True)
    reminders.deliver(r.pk, now=TUESDAY_10)
    client.force_login(officer)
    page = client.get(reverse("followup:notifications"))
    assert page.status_code == 200 and r.case.number in page.content.decode()
    assert 'id="unread-count">1<' in page.content.decode()
    note = Notification.objects.get(recipient=officer)
    client.force_login(officer2)  # someone else's id is ignored
    client.post(reverse("followup:notifications_read"), {"id": note.pk})
    note.refresh_from_db()
    assert note.read_at is None
    client.force_login(officer)
    client.post(reverse("followup:notifications_read"), {"id": note.pk})
    note.refresh_from_db()
    assert note.read_at is not None
    assert 'id="unread-count"' not in client.get(reverse("followup:notifications")).content.decode()


def test_notification_centre_needs_login(client):
    assert client.get(reverse("followup:notifications")).status_code == 302
    assert client.post(reverse("followup:notifications_read")).status_code == 302


@override_settings(SMS_BACKEND="log")
def test_sms_backend_is_pluggable(make_case, officer, caplog):
    officer.mobile = "13900001111"
    officer.save()
    r = _pending(make_case(), officer)
    with caplog.at_level("INFO"):
        reminders.deliver(r.pk, now=TUESDAY_10)
    assert f"reminder-{r.pk}" in caplog.text
