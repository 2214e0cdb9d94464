"""Work-step notifications (issue 18): every step that puts work on someone's desk tells
them, once, after commit, never on rollback, through the channels the administrator's rule
names; "mark all read"; the unread badge stays one query."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dispatch.models import Correction, Supervision
from dispatch.services import (
    case_dispatch,
    case_return,
    case_send_back,
    case_sign_for,
    correction_create,
    extension_decide,
    extension_request,
    supervision_create,
)
from followup import reminders, tasks, worksteps
from followup.models import NotificationRule, Reminder, ReminderKind
from intake.lifecycle import run_transition
from intake.models import CaseEvent, Outcome
from luodian_platform.models import Notification, User
from luodian_platform.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _channels(tmp_path, settings):
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    settings.NOTIFICATION_CHANNELS = ["inapp", "sms", "email"]
    # Any hour of any day: these tests are about who is told, not when.
    settings.REMINDER_SEND_HOURS = (0, 24)
    settings.REMINDER_WORKDAYS_ONLY = False
    return tmp_path / "sms.jsonl"


@pytest.fixture
def sent(monkeypatch):
    """Workers in-process: what is published after commit is delivered at once (through
    ``reminders.deliver``, the same function the Celery task calls)."""
    published: list[int] = []

    def deliver_now(ids):
        published.extend(ids)
        for pk in ids:
            reminders.deliver(pk)
        return list(ids)

    def deliver_sms_now(ids):
        published.extend(ids)
        for pk in ids:
            worksteps.deliver_party_sms(pk)
        return list(ids)

    monkeypatch.setattr(tasks, "publish_send", deliver_now)
    monkeypatch.setattr(tasks, "publish_party_sms", deliver_sms_now)
    return published


@pytest.fixture
def officer_b(officer):
    """A second 人社局 officer who is not the department head."""
    user = User.objects.create_user("officer-b", password="x-Officer-b-2026")
    user.department_id = officer.department_id
    user.mobile = "13900001112"
    user.email = "officer-b@luodian.invalid"
    user.save()
    user.groups.add(*officer.groups.all())
    return user


def told(kind: str, case=None) -> set[str]:
    """Usernames that received an in-app notification of ``kind`` (on ``case``)."""
    qs = Notification.objects.all()
    if case is not None:
        qs = qs.filter(case_number=case.number)
    label = ReminderKind(kind).label
    return set(
        qs.filter(title__startswith=str(label)).values_list("recipient__username", flat=True)
    )


def run(fn, django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return fn(**kwargs)


@pytest.fixture
def dispatched(make_case, dispatcher, rsj, sent, django_capture_on_commit_callbacks):
    case = make_case()
    return run(
        case_dispatch,
        django_capture_on_commit_callbacks,
        case_id=case.pk,
        department=rsj,
        actor=dispatcher,
    )


@pytest.fixture
def accepted(dispatched, officer, django_capture_on_commit_callbacks):
    return run(
        case_sign_for, django_capture_on_commit_callbacks, case_id=dispatched.pk, actor=officer
    )


def test_dispatch_tells_the_departments_officers_only(dispatched, officer, officer_b):
    # officer_b is made after the dispatch: a new officer is not told about old cases.
    assert told(ReminderKind.DISPATCHED, dispatched) == {"officer"}
    note = Notification.objects.get(recipient=officer, case_number=dispatched.number)
    assert note.url == reverse("intake:case_detail", args=[dispatched.pk])


def test_return_tells_the_dispatchers_not_the_officer(
    accepted, officer, django_capture_on_commit_callbacks
):
    run(
        case_return,
        django_capture_on_commit_callbacks,
        case_id=accepted.pk,
        actor=officer,
        reason="不属于本部门职责",
        legal_basis="《劳动争议调解仲裁法》第2条",
    )
    assert told(ReminderKind.RETURNED, accepted) == {"dispatcher"}


@pytest.mark.parametrize("level", [1, 2, 3])
def test_urge_supervision_and_notice_tell_the_department_head_and_assignee(
    accepted, dispatcher, officer, officer_b, officer2, django_capture_on_commit_callbacks, level
):
    for lv in range(1, level + 1):
        run(
            supervision_create,
            django_capture_on_commit_callbacks,
            case_id=accepted.pk,
            level=lv,
            actor=dispatcher,
            message=f"请于三日内办结({lv})",
        )
    # officer is both 人社局's head and the assignee: told once per step; officer_b and
    # 司法局's officer2 are not told.
    assert told(ReminderKind.SUPERVISION, accepted) == {"officer"}
    notes = Notification.objects.filter(
        recipient=officer, title__startswith=str(ReminderKind.SUPERVISION.label)
    )
    assert notes.count() == level
    assert any(str(Supervision.Level(level).label) in n.body for n in notes)


def test_urge_to_a_department_without_head_tells_its_officers(
    make_case, dispatcher, sfj, officer2, officer, sent, django_capture_on_commit_callbacks
):
    case = make_case()
    run(
        case_dispatch,
        django_capture_on_commit_callbacks,
        case_id=case.pk,
        department=sfj,
        actor=dispatcher,
    )
    run(
        supervision_create,
        django_capture_on_commit_callbacks,
        case_id=case.pk,
        level=1,
        actor=dispatcher,
        message="请尽快签收",
    )
    assert told(ReminderKind.SUPERVISION, case) == {"officer2"}


def test_reply_tells_the_centre_and_send_back_tells_the_assignee(
    accepted, officer, dispatcher, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run_transition(
            case_id=accepted.pk,
            name="reply",
            actor=officer,
            kwargs={
                "outcome": Outcome.AGREEMENT,
                "text": "达成协议",
                "document": "协议书",
                "by": officer,
                "at": timezone.now(),
            },
        )
    assert told(ReminderKind.REPLY_PENDING, accepted) == {"dispatcher"}
    run(
        case_send_back,
        django_capture_on_commit_callbacks,
        case_id=accepted.pk,
        actor=dispatcher,
        reason="答复未写明履行期限",
    )
    assert told(ReminderKind.SENT_BACK, accepted) == {"officer"}


def test_correction_tells_the_department_and_again_when_its_deadline_passes(
    accepted, dispatcher, officer, officer_b, officer2, rsj, django_capture_on_commit_callbacks
):
    corr = run(
        correction_create,
        django_capture_on_commit_callbacks,
        actor=dispatcher,
        case_id=accepted.pk,
        department=rsj,
        officer=officer_b,
        problem=Correction.Problem.values[0],
        measure=Correction.Measure.RECTIFY,
        description="调解走过场,未听取申请人意见",
    )
    assert told(ReminderKind.CORRECTION, accepted) == {"officer", "officer-b"}
    # Not due yet: the sweep writes nothing; once the deadline has passed, once.
    assert not Reminder.objects.filter(kind=ReminderKind.CORRECTION_DUE).exists()
    later = corr.rectify_due_at + dt.timedelta(minutes=1)
    reminders.sweep(now=later)
    reminders.sweep(now=later + dt.timedelta(minutes=5))
    due = Reminder.objects.filter(kind=ReminderKind.CORRECTION_DUE, case=accepted)
    assert set(due.values_list("recipient__username", flat=True)) == {"officer", "officer-b"}
    assert due.count() == 2


def test_extension_request_and_decision(
    accepted, officer, dispatcher, django_capture_on_commit_callbacks
):
    from dispatch.deadlines import rule_for
    from dispatch.models import DeadlineRule

    DeadlineRule.objects.filter(pk=rule_for(accepted).pk).update(
        max_extensions=1, extension_amount=5
    )
    ext = run(
        extension_request,
        django_capture_on_commit_callbacks,
        case_id=accepted.pk,
        actor=officer,
        reason="需等待工伤鉴定结论",
    )
    assert told(ReminderKind.EXTENSION_PENDING, accepted) == {"dispatcher"}
    # The sweep's own "extension pending" reminder is the same row: no second message.
    reminders.sweep(now=timezone.now())
    assert Reminder.objects.filter(kind=ReminderKind.EXTENSION_PENDING).count() == 1
    run(
        extension_decide,
        django_capture_on_commit_callbacks,
        extension_id=ext.pk,
        actor=dispatcher,
        approve=False,
        note="理由不充分",
    )
    assert told(ReminderKind.EXTENSION_DECIDED, accepted) == {"officer"}
    body = Notification.objects.get(
        recipient=officer, title__startswith=str(ReminderKind.EXTENSION_DECIDED.label)
    ).body
    assert "不予延期" in body


def test_session_booked_tells_the_mediators_with_an_account(
    accepted, officer, mediator, django_capture_on_commit_callbacks
):
    from mediation import services
    from mediation.models import Mediator
    from mediation.services.sessions import session_book
    from tests.test_mediation_flow import _at

    chen = Mediator.objects.get(user=mediator)
    luo = Mediator.objects.get(name="韦国强", kind="committee")  # no account: not told
    for m in (chen, luo):
        services.mediator_assign(case_id=accepted.pk, mediator_id=m.pk, actor=officer)
    run(
        session_book,
        django_capture_on_commit_callbacks,
        case_id=accepted.pk,
        actor=officer,
        starts_at=_at(10),
        ends_at=_at(11),
        on_site_place="龙坪镇司法所",
        mediator_ids=[chen.pk, luo.pk],
    )
    assert told(ReminderKind.SESSION_BOOKED, accepted) == {"mediator"}
    assert "龙坪镇司法所" in Notification.objects.get(recipient=mediator).body


def _book(case, officer, mediator, django_capture_on_commit_callbacks, hour=10, commit=True):
    from mediation import services
    from mediation.models import Mediator
    from mediation.services.sessions import session_book
    from tests.test_mediation_flow import _at

    chen = Mediator.objects.get(user=mediator)
    if not case.mediator_assignments.filter(mediator=chen).exists():
        services.mediator_assign(case_id=case.pk, mediator_id=chen.pk, actor=officer)
    kwargs = {
        "case_id": case.pk,
        "actor": officer,
        "starts_at": _at(hour),
        "ends_at": _at(hour + 1),
        "on_site_place": "龙坪镇司法所",
        "mediator_ids": [chen.pk],
    }
    if not commit:
        return session_book(**kwargs)
    return run(session_book, django_capture_on_commit_callbacks, **kwargs)


def test_session_booked_texts_the_parties_with_a_mobile_once(
    accepted, officer, mediator, _channels, django_capture_on_commit_callbacks
):
    from followup.models import PartySms

    session = _book(accepted, officer, mediator, django_capture_on_commit_callbacks)
    lines = [json.loads(line) for line in _channels.read_text().splitlines()]
    to_parties = [ln for ln in lines if ln["key"].startswith("party-sms-")]
    # The applicant has a mobile; the respondent company has no phone.
    assert [ln["mobile"] for ln in to_parties] == ["13800138000"]
    text = to_parties[0]["text"]
    assert accepted.number in text and "龙坪镇司法所" in text and "王小明" not in text
    row = PartySms.objects.get()
    assert row.key == f"session-{session.pk}-party-{row.party_id}"
    assert row.status == PartySms.Status.SENT
    # Handed over again (a lost broker ack): sent already, nothing goes out twice.
    assert worksteps.deliver_party_sms(row.pk) is False
    assert worksteps.party_sms_due(timezone.now()) == []
    assert len(_channels.read_text().splitlines()) == len(lines)


def test_party_sms_can_be_turned_off_and_skips_landlines(
    accepted, officer, mediator, _channels, django_capture_on_commit_callbacks
):
    from followup.models import PartySms
    from intake.models import Party

    NotificationRule.objects.create(kind=ReminderKind.SESSION_BOOKED, parties_sms=False)
    _book(accepted, officer, mediator, django_capture_on_commit_callbacks)
    assert not PartySms.objects.exists()
    NotificationRule.objects.all().delete()
    applicant = accepted.parties.get(role=Party.PartyRole.APPLICANT)
    applicant.phone = "0854-7612345"
    applicant.save()
    _book(accepted, officer, mediator, django_capture_on_commit_callbacks, hour=14)
    assert PartySms.objects.get().status == PartySms.Status.SKIPPED
    assert not _channels.exists() or "party-sms-" not in _channels.read_text()


def test_party_sms_not_written_when_the_booking_rolls_back(
    accepted, officer, mediator, sent, django_capture_on_commit_callbacks
):
    from followup.models import PartySms

    done = len(sent)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _book(accepted, officer, mediator, django_capture_on_commit_callbacks, commit=False)
        assert PartySms.objects.exists()  # written in the booking's transaction
        raise RuntimeError("later step fails")
    assert not PartySms.objects.exists() and callbacks == [] and len(sent) == done


def test_sweep_rehands_pending_party_sms(
    accepted, officer, mediator, monkeypatch, _channels, django_capture_on_commit_callbacks
):
    from followup.models import PartySms

    monkeypatch.setattr(tasks, "publish_party_sms", lambda ids: [])  # the broker lost it
    _book(accepted, officer, mediator, django_capture_on_commit_callbacks)
    row = PartySms.objects.get()
    assert row.status == PartySms.Status.PENDING
    assert worksteps.party_sms_due(timezone.now()) == [row.pk]
    assert worksteps.deliver_party_sms(row.pk) is True
    assert "13800138000" in _channels.read_text()


def test_visit_assigned_tells_the_followup_officer_with_a_link_to_the_visit(
    accepted, officer, dispatcher, followup_officer, django_capture_on_commit_callbacks
):
    from dispatch.services import case_approve
    from followup.models import Visit

    with django_capture_on_commit_callbacks(execute=True):
        run_transition(
            case_id=accepted.pk,
            name="reply",
            actor=officer,
            kwargs={
                "outcome": Outcome.HANDLED,
                "text": "已答复",
                "document": "告知书",
                "by": officer,
                "at": timezone.now(),
            },
        )
    run(case_approve, django_capture_on_commit_callbacks, case_id=accepted.pk, actor=dispatcher)
    visits = list(Visit.objects.filter(case=accepted))
    assert visits
    notes = Notification.objects.filter(
        recipient=followup_officer, title__startswith=str(ReminderKind.VISIT_ASSIGNED.label)
    )
    assert {n.url for n in notes} == {reverse("followup:visit", args=[v.pk]) for v in visits}


def test_the_actor_is_not_told_about_their_own_step(
    accepted, dispatcher, django_capture_on_commit_callbacks
):
    # The dispatcher supervises and is a dispatcher: a return would tell them, an urge not.
    run(
        supervision_create,
        django_capture_on_commit_callbacks,
        case_id=accepted.pk,
        level=1,
        actor=dispatcher,
        message="请加快办理",
    )
    assert (
        not Notification.objects.filter(recipient=dispatcher)
        .exclude(title__startswith=str(ReminderKind.NEW_CASE.label))
        .exists()
    )


# --- once, after commit, never on rollback ----------------------------------------------


def test_nothing_before_commit_and_nothing_on_rollback(
    accepted, dispatcher, officer, sent, django_capture_on_commit_callbacks
):
    before = Notification.objects.count()
    published = len(sent)
    # The capture runs whatever is still registered when it closes, after the rollback.
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        supervision_create(case_id=accepted.pk, level=1, actor=dispatcher, message="催办")
        raise RuntimeError("a later step of the same request fails")
    assert callbacks == [] and len(sent) == published
    assert not Supervision.objects.filter(case=accepted).exists()
    assert not Reminder.objects.filter(kind=ReminderKind.SUPERVISION).exists()
    assert Notification.objects.count() == before
    # Committed: the rows are handed over only by the on-commit callback.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        supervision_create(case_id=accepted.pk, level=1, actor=dispatcher, message="催办")
    assert Notification.objects.count() == before and callbacks
    for callback in callbacks:
        callback()
    assert told(ReminderKind.SUPERVISION, accepted) == {"officer"}


def test_a_repeated_signal_or_delivery_tells_once(
    accepted, dispatcher, officer, django_capture_on_commit_callbacks
):
    run(
        supervision_create,
        django_capture_on_commit_callbacks,
        case_id=accepted.pk,
        level=1,
        actor=dispatcher,
        message="催办",
    )
    event = CaseEvent.objects.get(case=accepted, transition="urge")
    again = worksteps.reminders_for_step(case=accepted, event=event)
    assert again == []  # already sent: nothing left to hand over
    row = Reminder.objects.get(kind=ReminderKind.SUPERVISION)
    assert reminders.deliver(row.pk) is False
    assert Notification.objects.filter(recipient=officer, key=f"reminder-{row.pk}").count() == 1


# --- channels by the administrator's rule -------------------------------------------------


def test_channels_follow_the_rule_in_app_always(
    accepted, dispatcher, officer, _channels, django_capture_on_commit_callbacks
):
    officer.mobile = "13900001111"
    officer.save(update_fields=["mobile"])
    NotificationRule.objects.create(kind=ReminderKind.SUPERVISION, sms=True, email=False)
    mail.outbox.clear()
    run(
        supervision_create,
        django_capture_on_commit_callbacks,
        case_id=accepted.pk,
        level=1,
        actor=dispatcher,
        message="催办",
    )
    lines = [json.loads(line) for line in _channels.read_text().splitlines()]
    row = Reminder.objects.get(kind=ReminderKind.SUPERVISION)
    assert [ln["key"] for ln in lines if ln["mobile"] == "13900001111"] == [f"reminder-{row.pk}"]
    assert mail.outbox == []  # e-mail off for this kind
    assert told(ReminderKind.SUPERVISION, accepted) == {"officer"}
    # No SMS, no e-mail: the in-app centre still gets it.
    NotificationRule.objects.filter(kind=ReminderKind.SUPERVISION).update(sms=False)
    run(
        supervision_create,
        django_capture_on_commit_callbacks,
        case_id=accepted.pk,
        level=2,
        actor=dispatcher,
        message="督办",
    )
    assert len(_channels.read_text().splitlines()) == len(lines)
    assert Notification.objects.filter(recipient=officer, body__contains="督办").exists()


def test_without_a_rule_the_configured_channels_apply(
    accepted, dispatcher, officer, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    run(
        supervision_create,
        django_capture_on_commit_callbacks,
        case_id=accepted.pk,
        level=1,
        actor=dispatcher,
        message="催办",
    )
    assert [m.to for m in mail.outbox] == [[officer.email]]


def test_admin_edits_the_rules(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("admin:followup_notificationrule_changelist"))
    assert response.status_code == 200
    response = client.post(
        reverse("admin:followup_notificationrule_add"),
        {"kind": ReminderKind.SESSION_BOOKED, "sms": "on"},
    )
    assert response.status_code == 302
    assert NotificationRule.objects.get().channels == ["inapp", "sms"]


# --- the centre: mark all read, the unread badge ------------------------------------------


def _notes(user, n: int):
    Notification.objects.bulk_create(
        [Notification(recipient=user, key=f"t-{user.pk}-{i}", title=f"消息{i}") for i in range(n)]
    )


def test_mark_all_read_marks_only_own(client, officer, officer2):
    _notes(officer, 3)
    _notes(officer2, 2)
    client.force_login(officer)
    assert client.post(reverse("followup:notifications_read")).status_code == 302
    assert not Notification.objects.filter(recipient=officer).unread().exists()
    assert Notification.objects.filter(recipient=officer2).unread().count() == 2


def test_mark_all_read_needs_login_and_post(client, officer):
    assert client.post(reverse("followup:notifications_read")).status_code == 302
    client.force_login(officer)
    assert client.get(reverse("followup:notifications_read")).status_code == 405


def test_unread_badge_is_one_query_whatever_the_number(client, officer):
    client.force_login(officer)
    client.get("/cases/")

    def badge_queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            client.get("/cases/")
        total = len(ctx.captured_queries)
        mine = [q for q in ctx.captured_queries if "luodian_platform_notification" in q["sql"]]
        return total, len(mine)

    _notes(officer, 1)
    few = badge_queries()
    _notes(User.objects.get(username="officer2"), 40)
    Notification.objects.bulk_create(
        [Notification(recipient=officer, key=f"more-{i}", title="x") for i in range(50)]
    )
    many = badge_queries()
    assert few == many and few[1] == 1


def test_roles_check_the_rule_table_is_admin_only(client, officer):
    client.force_login(officer)
    response = client.get(reverse("admin:followup_notificationrule_changelist"))
    assert response.status_code in (302, 403)
    assert User.objects.filter(groups__name=Role.ADMIN).exists()


def test_a_correction_without_a_case_tells_the_department_after_commit_only(
    dispatcher, officer, officer_b, officer2, rsj, django_capture_on_commit_callbacks
):
    kwargs = {
        "actor": dispatcher,
        "department": rsj,
        "problem": Correction.Problem.values[0],
        "measure": Correction.Measure.RECTIFY,
        "description": "多起案件签收不及时",
    }
    # Rolled back: nothing is told.
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                correction_create(**kwargs)
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert not Notification.objects.filter(key__startswith="correction-").exists()
    with django_capture_on_commit_callbacks(execute=True):
        corr = correction_create(**kwargs)
    told = Notification.objects.filter(key=f"correction-{corr.pk}")
    names = set(told.values_list("recipient__username", flat=True))
    assert names and names <= {"officer", "officer-b"} | set(
        User.objects.filter(department=rsj).values_list("username", flat=True)
    )
    assert "officer2" not in names and "dispatcher" not in names
    assert all(n.url == reverse("dispatch:corrections") for n in told)


# --- mediators and experts without an account: SMS about a booked session ------------------


def _book_with_committee(case, officer, mediator, callbacks, *, phone="13912345678", commit=True):
    """A session with 陈调解 (staff account) and 韦国强 (committee member, no account)."""
    from mediation import services
    from mediation.models import Mediator
    from mediation.services.sessions import session_book
    from tests.test_mediation_flow import _at

    chen = Mediator.objects.get(user=mediator)
    wei = Mediator.objects.get(name="韦国强", kind="committee")
    wei.phone = phone
    wei.save()
    for m in (chen, wei):
        if not case.mediator_assignments.filter(mediator=m).exists():
            services.mediator_assign(case_id=case.pk, mediator_id=m.pk, actor=officer)
    kwargs = {
        "case_id": case.pk,
        "actor": officer,
        "starts_at": _at(10),
        "ends_at": _at(11, 30),
        "on_site_place": "龙坪镇司法所",
        "mediator_ids": [chen.pk, wei.pk],
    }
    if not commit:
        return session_book(**kwargs), wei
    return run(session_book, callbacks, **kwargs), wei


def _sms_lines(path, prefix="party-sms-session-"):
    if not path.exists():
        return []
    return [
        json.loads(line)
        for line in path.read_text().splitlines()
        if json.loads(line)["key"].startswith(prefix)
    ]


def test_session_booked_texts_a_committee_mediator_without_an_account_once(
    accepted, officer, mediator, sent, _channels, django_capture_on_commit_callbacks
):
    from followup.models import PartySms
    from tests.test_mediation_flow import _at

    session, wei = _book_with_committee(
        accepted, officer, mediator, django_capture_on_commit_callbacks
    )
    row = PartySms.objects.get(mediator=wei)
    start = timezone.localtime(_at(10))
    assert row.key == f"session-{session.pk}-{start:%Y%m%d%H%M}-med-{wei.pk}"
    assert row.party_id is None and row.status == PartySms.Status.SENT
    # 陈调解 has an account: told in-app, never by this SMS.
    assert not PartySms.objects.filter(mediator__user=mediator).exists()
    assert told(ReminderKind.SESSION_BOOKED, accepted) == {"mediator"}
    [line] = [ln for ln in _sms_lines(_channels) if ln["mobile"] == "13912345678"]
    text = line["text"]
    # Time (start–end), place, case number and category; no party's name or number.
    assert accepted.number in text and "龙坪镇司法所" in text
    assert f"{start:%Y-%m-%d %H:%M}–11:30" in text and "劳动" in text
    for party in accepted.parties.all():
        assert party.name not in text and (not party.phone or party.phone not in text)
    # A repeated signal, a repeated hand-over and the sweep: nothing goes out twice.
    event = CaseEvent.objects.get(case=accepted, transition="session_book")
    assert worksteps.mediator_sms_for_session(case=accepted, event=event) == []
    assert worksteps.deliver_party_sms(row.pk) is False
    assert worksteps.party_sms_due(timezone.now()) == []
    assert len([ln for ln in _sms_lines(_channels) if ln["mobile"] == "13912345678"]) == 1


def test_committee_mediator_sms_not_written_when_the_booking_rolls_back(
    accepted, officer, mediator, sent, _channels, django_capture_on_commit_callbacks
):
    from followup.models import PartySms

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _book_with_committee(
            accepted, officer, mediator, django_capture_on_commit_callbacks, commit=False
        )
        assert PartySms.objects.filter(mediator__isnull=False).exists()
        raise RuntimeError("later step fails")
    assert callbacks == [] and not PartySms.objects.exists()
    assert _sms_lines(_channels) == []


def test_committee_mediator_without_a_mobile_is_not_texted(
    accepted, officer, mediator, sent, _channels, django_capture_on_commit_callbacks
):
    from followup.models import PartySms

    # No phone on the record: no row. A landline: a row, skipped when sending.
    _book_with_committee(accepted, officer, mediator, django_capture_on_commit_callbacks, phone="")
    assert not PartySms.objects.filter(mediator__isnull=False).exists()
    from mediation.models import MediationSession

    MediationSession.objects.all().delete()
    _book_with_committee(
        accepted, officer, mediator, django_capture_on_commit_callbacks, phone="0854-7612345"
    )
    row = PartySms.objects.get(mediator__isnull=False)
    assert row.status == PartySms.Status.SKIPPED
    assert not [ln for ln in _sms_lines(_channels) if "-med-" in ln["key"]]


def test_mediator_sms_failure_is_retried_by_the_sweep_with_the_same_key(
    accepted, officer, mediator, monkeypatch, _channels, django_capture_on_commit_callbacks
):
    from followup.models import PartySms
    from luodian_platform import notifications

    monkeypatch.setattr(tasks, "publish_party_sms", lambda ids: [])  # the broker lost it
    _book_with_committee(accepted, officer, mediator, django_capture_on_commit_callbacks)
    row = PartySms.objects.get(mediator__isnull=False)
    assert row.pk in worksteps.party_sms_due(timezone.now())

    class Down(notifications.FileSmsBackend):
        def send(self, **kwargs):
            raise ConnectionError("gateway down")

    monkeypatch.setattr(worksteps, "get_sms_backend", Down)
    with pytest.raises(ConnectionError):
        worksteps.deliver_party_sms(row.pk)
    row.refresh_from_db()
    assert row.status == PartySms.Status.PENDING and row.attempts == 1
    monkeypatch.setattr(worksteps, "get_sms_backend", notifications.FileSmsBackend)
    assert worksteps.deliver_party_sms(row.pk) is True
    [line] = [ln for ln in _sms_lines(_channels) if "-med-" in ln["key"]]
    assert line["key"] == f"party-sms-{row.key}" and line["mobile"] == "13912345678"


def test_an_sms_row_names_exactly_one_recipient(accepted):
    from django.db import IntegrityError

    from followup.models import PartySms
    from mediation.models import Mediator

    party = accepted.parties.first()
    wei = Mediator.objects.get(name="韦国强", kind="committee")
    for kwargs in ({}, {"party": party, "mediator": wei}):
        with pytest.raises(IntegrityError), transaction.atomic():
            PartySms.objects.create(case=accepted, key=f"k-{len(kwargs)}", text="x", **kwargs)


# --- a correction without a case: told again when its deadline passes ----------------------


def _caseless(dispatcher, rsj, callbacks, **extra):
    kwargs = {
        "actor": dispatcher,
        "department": rsj,
        "problem": Correction.Problem.values[0],
        "measure": Correction.Measure.RECTIFY,
        "description": "多起案件签收不及时",
        **extra,
    }
    with callbacks(execute=True):
        return correction_create(**kwargs)


def test_a_caseless_correction_is_told_once_when_its_deadline_passes(
    dispatcher, officer, officer_b, officer2, rsj, django_capture_on_commit_callbacks
):
    corr = _caseless(dispatcher, rsj, django_capture_on_commit_callbacks)
    assert corr.rectify_due_at
    key = f"correction-due-{corr.pk}"
    # Not due yet: nothing.
    assert worksteps.corrections_without_case_due(corr.rectify_due_at - dt.timedelta(1)) == 0
    assert not Notification.objects.filter(key=key).exists()
    later = corr.rectify_due_at + dt.timedelta(minutes=1)
    assert worksteps.corrections_without_case_due(later) == 1
    # Two more sweeps (and one run by the task): once per correction.
    assert worksteps.corrections_without_case_due(later + dt.timedelta(minutes=5)) == 0
    tasks.sweep_reminders.run()
    due = Notification.objects.filter(key=key)
    names = set(due.values_list("recipient__username", flat=True))
    issued = set(
        Notification.objects.filter(key=f"correction-{corr.pk}").values_list(
            "recipient__username", flat=True
        )
    )
    assert names and names == issued  # the same desk as when it was issued
    assert "officer2" not in names and "dispatcher" not in names
    assert due.count() == len(names)
    assert all(n.url == reverse("dispatch:corrections") for n in due)
    corr.refresh_from_db()
    assert corr.due_notified_at is not None


def test_a_caseless_correction_answered_in_time_is_not_told(
    dispatcher, officer, rsj, django_capture_on_commit_callbacks
):
    corr = _caseless(dispatcher, rsj, django_capture_on_commit_callbacks)
    Correction.objects.filter(pk=corr.pk).update(feedback_at=timezone.now(), feedback="已整改")
    later = corr.rectify_due_at + dt.timedelta(minutes=1)
    assert worksteps.corrections_without_case_due(later) == 0
    assert not Notification.objects.filter(key=f"correction-due-{corr.pk}").exists()


def test_a_failed_channel_rolls_the_due_notice_back_and_the_next_sweep_sends_it(
    dispatcher, officer, rsj, monkeypatch, _channels, django_capture_on_commit_callbacks
):
    from luodian_platform import notifications

    officer.mobile = "13900001111"
    officer.save()
    corr = _caseless(dispatcher, rsj, django_capture_on_commit_callbacks)
    later = corr.rectify_due_at + dt.timedelta(minutes=1)

    class Down(notifications.FileSmsBackend):
        def send(self, **kwargs):
            raise ConnectionError("gateway down")

    monkeypatch.setattr(notifications, "get_sms_backend", Down)
    assert worksteps.corrections_without_case_due(later) == 0
    # Nothing half-told: no in-app row, not marked.
    assert not Notification.objects.filter(key=f"correction-due-{corr.pk}").exists()
    assert Correction.objects.get(pk=corr.pk).due_notified_at is None
    monkeypatch.undo()
    assert worksteps.corrections_without_case_due(later) == 1
    assert Notification.objects.filter(key=f"correction-due-{corr.pk}", recipient=officer).exists()
    assert f'"key": "correction-due-{corr.pk}"' in _channels.read_text()


def test_a_caseless_correction_due_at_night_waits_unless_serious(
    dispatcher, officer, rsj, settings, django_capture_on_commit_callbacks
):
    settings.REMINDER_SEND_HOURS = (8, 18)
    plain = _caseless(dispatcher, rsj, django_capture_on_commit_callbacks)
    serious = _caseless(
        dispatcher, rsj, django_capture_on_commit_callbacks, description="态度恶劣,情节严重"
    )
    Correction.objects.filter(pk=serious.pk).update(serious=True)
    night = timezone.localtime(max(plain.rectify_due_at, serious.rectify_due_at)).replace(
        hour=2
    ) + dt.timedelta(days=1)
    assert worksteps.corrections_without_case_due(night) == 1
    assert Notification.objects.filter(key=f"correction-due-{serious.pk}").exists()
    assert not Notification.objects.filter(key=f"correction-due-{plain.pk}").exists()


def test_the_rule_for_corrections_applies_to_caseless_ones(
    dispatcher, officer, rsj, _channels, django_capture_on_commit_callbacks
):
    # Regression: the rule's channels were called like a method (TypeError, nothing told).
    officer.mobile = "13900001111"
    officer.save()
    NotificationRule.objects.create(kind=ReminderKind.CORRECTION, sms=False, email=False)
    corr = _caseless(dispatcher, rsj, django_capture_on_commit_callbacks)
    assert Notification.objects.filter(key=f"correction-{corr.pk}", recipient=officer).exists()
    assert not _channels.exists() or f"correction-{corr.pk}" not in _channels.read_text()
