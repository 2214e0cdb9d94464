"""改派回访 (issue 18): the centre gives a scheduled visit to another follow-up officer — the
service, the form on the visit page and ``POST /api/visits/{pk}/reassign/``; the case's
event log records it; the new officer is told of the visit and the previous one that it was
taken off them, once, after commit, never on rollback; every other role is refused."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.urls import reverse

from dispatch.services import case_dispatch
from followup import reminders, tasks
from followup.models import Reminder, ReminderKind, Visit
from followup.services import visit_reassign, visit_record
from intake.models import CaseEvent
from intake.notes import case_timeline_entries
from luodian_platform.errors import Conflict, NotAllowed, NotFound, ServiceError
from luodian_platform.models import Notification, User
from luodian_platform.roles import Role
from tests.test_followup_visits import handle_and_close

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _any_hour(settings, tmp_path):
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    settings.REMINDER_SEND_HOURS = (0, 24)
    settings.REMINDER_WORKDAYS_ONLY = False


@pytest.fixture
def sent(monkeypatch):
    """Workers in-process: what is published after commit is delivered at once."""
    published: list[int] = []

    def deliver_now(ids):
        published.extend(ids)
        for pk in ids:
            reminders.deliver(pk)
        return list(ids)

    monkeypatch.setattr(tasks, "publish_send", deliver_now)
    return published


@pytest.fixture
def other_followup(db):
    user = User.objects.create_user("followup-b", password="x-Followup-b-2026", full_name="吴回访")
    user.groups.add(Group.objects.get(name=Role.FOLLOWUP))
    return user


@pytest.fixture
def visit(make_case, dispatcher, officer, rsj, followup_officer, sent):
    case = make_case()
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    handle_and_close(case.pk, officer, dispatcher)
    visit = Visit.objects.filter(case=case).order_by("seq").first()
    assert visit.assignee == followup_officer
    return visit


def _reassign(callbacks, **kwargs):
    with callbacks(execute=True):
        return visit_reassign(**kwargs)


def _told(kind: str, user) -> list[Notification]:
    return list(
        Notification.objects.filter(
            recipient=user, title__startswith=str(ReminderKind(kind).label)
        ).order_by("pk")
    )


def test_dispatcher_reassigns_and_both_officers_are_told_once(
    visit, dispatcher, followup_officer, other_followup, django_capture_on_commit_callbacks
):
    before_new = len(_told(ReminderKind.VISIT_ASSIGNED, other_followup))
    moved = _reassign(
        django_capture_on_commit_callbacks,
        visit_id=visit.pk,
        actor=dispatcher,
        assignee_id=other_followup.pk,
        reason="原回访员休假",
    )
    assert moved.assignee == other_followup
    event = CaseEvent.objects.get(case=visit.case, transition="visit_reassign")
    assert event.actor == dispatcher and event.payload["to"] == other_followup.pk
    assert event.payload["from"] == followup_officer.pk and event.payload["visit"] == visit.pk
    assert "刘回访" in event.note and "吴回访" in event.note and "原回访员休假" in event.note
    assert event.transition_label == "改派回访"
    # The new officer: told of the visit, with its link; the previous one: taken off, linked
    # to their workbench (the visit is no longer theirs to open).
    [new] = _told(ReminderKind.VISIT_ASSIGNED, other_followup)[before_new:]
    assert new.url == reverse("followup:visit", args=[visit.pk])
    [gone] = _told(ReminderKind.VISIT_REMOVED, followup_officer)
    assert gone.url == reverse("followup:workbench") and "原回访员休假" in gone.body
    assert not _told(ReminderKind.VISIT_REMOVED, dispatcher)
    # A repeated hand-over sends nothing again.
    for row in Reminder.objects.filter(threshold=f"visit-{visit.pk}/e{event.pk}"):
        assert reminders.deliver(row.pk) is False
    assert len(_told(ReminderKind.VISIT_REMOVED, followup_officer)) == 1


def test_moving_a_visit_back_tells_the_first_officer_again(
    visit, dispatcher, followup_officer, other_followup, django_capture_on_commit_callbacks
):
    for to in (other_followup, followup_officer):
        _reassign(
            django_capture_on_commit_callbacks,
            visit_id=visit.pk,
            actor=dispatcher,
            assignee_id=to.pk,
        )
    # A row at closing (its own key, ``visit-<id>``) and one when it came back: a move back
    # is a new step, not a repeat of the first assignment.
    rows = Reminder.objects.filter(
        kind=ReminderKind.VISIT_ASSIGNED,
        recipient=followup_officer,
    ).filter(Q(threshold=f"visit-{visit.pk}") | Q(threshold__startswith=f"visit-{visit.pk}/"))
    assert sorted(r.threshold.split("/")[0] for r in rows) == [f"visit-{visit.pk}"] * 2
    [back] = _told(ReminderKind.VISIT_ASSIGNED, followup_officer)
    assert back.url == reverse("followup:visit", args=[visit.pk])
    assert len(_told(ReminderKind.VISIT_REMOVED, other_followup)) == 1


def test_nothing_is_told_before_commit_or_on_rollback(
    visit, dispatcher, followup_officer, other_followup, sent, django_capture_on_commit_callbacks
):
    published = len(sent)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        visit_reassign(visit_id=visit.pk, actor=dispatcher, assignee_id=other_followup.pk)
        raise RuntimeError("a later step fails")
    assert callbacks == [] and len(sent) == published
    visit.refresh_from_db()
    assert visit.assignee == followup_officer
    assert not CaseEvent.objects.filter(transition="visit_reassign").exists()
    assert not Reminder.objects.filter(kind=ReminderKind.VISIT_REMOVED).exists()


def test_the_due_reminder_follows_the_visit(
    visit, dispatcher, followup_officer, other_followup, django_capture_on_commit_callbacks
):
    """A due reminder written for the previous officer and not yet sent is cancelled; the
    sweep writes one for the new officer."""
    from django.utils import timezone

    from luodian_platform.workcal import end_of_day

    now = end_of_day(visit.due_date) - timezone.timedelta(hours=1)
    reminders.sweep(now=now)
    old = Reminder.objects.get(kind=ReminderKind.VISIT_DUE, threshold=f"visit-{visit.pk}")
    assert old.recipient == followup_officer and old.status == Reminder.Status.PENDING
    _reassign(
        django_capture_on_commit_callbacks,
        visit_id=visit.pk,
        actor=dispatcher,
        assignee_id=other_followup.pk,
    )
    assert reminders.deliver(old.pk, now=now) is False
    old.refresh_from_db()
    assert old.status == Reminder.Status.CANCELLED
    reminders.sweep(now=now)
    assert Reminder.objects.filter(
        kind=ReminderKind.VISIT_DUE, threshold=f"visit-{visit.pk}", recipient=other_followup
    ).exists()


def test_the_new_officer_sees_the_visit_and_the_previous_one_no_longer(
    client, visit, dispatcher, followup_officer, other_followup, django_capture_on_commit_callbacks
):
    _reassign(
        django_capture_on_commit_callbacks,
        visit_id=visit.pk,
        actor=dispatcher,
        assignee_id=other_followup.pk,
    )
    client.force_login(other_followup)
    assert client.get(reverse("followup:visit", args=[visit.pk])).status_code == 200
    client.force_login(followup_officer)
    assert client.get(reverse("followup:visit", args=[visit.pk])).status_code == 404
    with pytest.raises(NotFound):
        visit_record(visit_id=visit.pk, actor=followup_officer, reached=False)
    # The timeline shows the step.
    entries = case_timeline_entries(case=visit.case, user=dispatcher)
    assert any("吴回访" in (e.text or "") for e in entries if e.label == "改派回访")


# --- refusals -----------------------------------------------------------------------------


def test_who_may_reassign(
    visit, officer, clerk, supervisor, followup_officer, other_followup, admin_user
):
    # The visit's own follow-up officer and a supervisor see it but may not move it.
    for user in (followup_officer, supervisor):
        with pytest.raises(NotAllowed) as exc:
            visit_reassign(visit_id=visit.pk, actor=user, assignee_id=other_followup.pk)
        assert "调度中心" in exc.value.message
    # Roles that cannot see the visit, and another follow-up officer: as if it did not exist.
    for user in (officer, clerk, other_followup):
        with pytest.raises(NotFound):
            visit_reassign(visit_id=visit.pk, actor=user, assignee_id=other_followup.pk)
    visit.refresh_from_db()
    assert visit.assignee == followup_officer
    # Administrators may.
    assert (
        visit_reassign(visit_id=visit.pk, actor=admin_user, assignee_id=other_followup.pk).assignee
        == other_followup
    )


def test_bad_input_is_refused_in_chinese(
    visit, dispatcher, officer, followup_officer, other_followup
):
    for assignee, field in (
        (officer.pk, "assignee"),  # not a follow-up officer
        (followup_officer.pk, "assignee"),  # already theirs
        (10**9, "assignee"),  # no such user
        (None, "assignee"),
    ):
        with pytest.raises(ServiceError) as exc:
            visit_reassign(visit_id=visit.pk, actor=dispatcher, assignee_id=assignee)
        assert exc.value.status == 400 and field in exc.value.fields
        assert "回访员" in exc.value.message or "负责" in exc.value.message
    other_followup.is_active = False
    other_followup.save()
    with pytest.raises(ServiceError):
        visit_reassign(visit_id=visit.pk, actor=dispatcher, assignee_id=other_followup.pk)
    with pytest.raises(ServiceError) as exc:
        visit_reassign(
            visit_id=visit.pk, actor=dispatcher, assignee_id=followup_officer.pk, reason="长" * 201
        )
    assert "reason" in exc.value.fields


def test_a_done_visit_cannot_be_reassigned(visit, dispatcher, followup_officer, other_followup):
    visit_record(visit_id=visit.pk, actor=followup_officer, reached=True, satisfaction="satisfied")
    with pytest.raises(Conflict) as exc:
        visit_reassign(visit_id=visit.pk, actor=dispatcher, assignee_id=other_followup.pk)
    assert exc.value.status == 409 and "已回访" in exc.value.message


# --- the page and the API -----------------------------------------------------------------


def test_the_visit_page_offers_the_form_to_the_centre_only(
    client, visit, dispatcher, followup_officer, supervisor, other_followup
):
    url = reverse("followup:visit", args=[visit.pk])
    client.force_login(dispatcher)
    html = client.get(url).content.decode()
    assert 'id="visit-reassign"' in html and reverse("followup:visit_reassign", args=[visit.pk])
    assert "吴回访" in html  # the other follow-up officer is offered
    for user in (followup_officer, supervisor):
        client.force_login(user)
        assert 'id="visit-reassign"' not in client.get(url).content.decode()


def test_the_page_form_reassigns_and_refuses_with_a_400(
    client, visit, dispatcher, followup_officer, officer, other_followup, sent
):
    url = reverse("followup:visit_reassign", args=[visit.pk])
    client.force_login(dispatcher)
    bad = client.post(url, {"assignee": officer.pk})
    assert bad.status_code == 400 and "请选择在岗的回访员" in bad.content.decode()
    assert client.post(url, {"assignee": "abc"}).status_code == 400
    with transaction.atomic():  # on_commit runs at the end of the test's request
        response = client.post(url, {"assignee": other_followup.pk, "reason": "方言"})
    assert response.status_code == 302 and response.url == reverse(
        "followup:visit", args=[visit.pk]
    )
    visit.refresh_from_db()
    assert visit.assignee == other_followup
    # A second post of the same form: the visit is theirs already (offered list excludes).
    assert client.post(url, {"assignee": other_followup.pk}).status_code == 400


def test_the_page_refuses_other_roles(
    client, visit, followup_officer, supervisor, officer, other_followup
):
    url = reverse("followup:visit_reassign", args=[visit.pk])
    data = {"assignee": other_followup.pk}
    assert client.post(url, data).status_code == 302  # anonymous: to the login page
    for user, status in ((followup_officer, 403), (supervisor, 403), (officer, 403)):
        client.force_login(user)
        assert client.post(url, data).status_code == status
    client.force_login(other_followup)  # a follow-up officer who cannot see this visit
    assert client.post(url, data).status_code == 404
    client.force_login(followup_officer)
    assert client.get(url).status_code == 405
    visit.refresh_from_db()
    assert visit.assignee == followup_officer


def test_the_api(api, visit, dispatcher, followup_officer, supervisor, officer, other_followup):
    url = reverse("api:visit-reassign", args=[visit.pk])
    body = {"assignee": other_followup.pk, "reason": "休假"}
    assert api(None).post(url, body, format="json").status_code in (401, 403)
    assert api(officer).post(url, body, format="json").status_code == 404
    assert api(other_followup).post(url, body, format="json").status_code == 404
    for user in (followup_officer, supervisor):
        response = api(user).post(url, body, format="json")
        assert response.status_code == 403
    bad = api(dispatcher).post(url, {"assignee": "abc"}, format="json")
    assert bad.status_code == 400 and "assignee" in bad.json()["error"]["fields"]
    bad = api(dispatcher).post(url, {"assignee": officer.pk}, format="json")
    assert bad.status_code == 400 and "回访员" in str(bad.json())
    assert (
        api(dispatcher)
        .post(reverse("api:visit-reassign", args=[10**9]), body, format="json")
        .status_code
        == 404
    )
    ok = api(dispatcher).post(url, body, format="json")
    assert ok.status_code == 200
    assert ok.json()["assignee"] == other_followup.pk and ok.json()["assignee_name"] == "吴回访"
    visit_record(visit_id=visit.pk, actor=other_followup, reached=True, satisfaction="satisfied")
    done = api(dispatcher).post(url, {"assignee": followup_officer.pk}, format="json")
    assert done.status_code == 409
