"""Issue 20: results back to the channels (回传) — the outbox written with the change,
delivered to a REAL HTTP receiver (tests/http_receiver.py) in order per case, signed,
once per idempotency key, retried with backoff, parked for the administrator, swept after
a broker outage. The worker-kill test is in test_intake_outbound_broker.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from dispatch.services import case_approve, case_dispatch, case_sign_for
from intake import outbound
from intake.models import (
    Case,
    ChannelOutbound,
    OutboundAttempt,
    OutboundDelivery,
    Outcome,
    State,
)
from intake.services import case_create, case_reject, case_take_in
from luodian_platform.celery import app
from luodian_platform.errors import NotAllowed, ServiceError
from mediation.services import case_reply

from .conftest import make_case_input
from .http_receiver import Receiver

pytestmark = pytest.mark.django_db
SECRET = "s3cret-for-the-hotline-2026"


@pytest.fixture
def receiver():
    r = Receiver(SECRET)
    yield r
    r.stop()


@pytest.fixture
def hotline(receiver, admin_user):
    return outbound.outbound_configure(
        channel="hotline_12345", endpoint_url=receiver.url, secret=SECRET, actor=admin_user
    )


def _order(external_id: str = "H-1") -> Case:
    return case_create(
        data=make_case_input(channel="hotline_12345", external_id=external_id),
        actor=None,
        initial_state=State.RECEIVED,
        transition="receive",
    )


def _close(case, dispatcher, officer, rsj) -> Case:
    case_take_in(case_id=case.pk, actor=dispatcher)
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    case_sign_for(case_id=case.pk, actor=officer)
    case_reply(
        case_id=case.pk,
        actor=officer,
        outcome=Outcome.HANDLED,
        text="已为来电人协调结清工资",
        document="答复意见书 2026-001",
    )
    return case_approve(case_id=case.pk, actor=dispatcher)


def _drain(now=None, rounds: int = 20) -> None:
    """Play the worker: deliver whatever the sweep hands over, and each case's next row."""
    now = now or timezone.now()
    for _ in range(rounds):
        ids = outbound.due_ids(now)
        if not ids:
            return
        for pk in ids:
            result = outbound.deliver(pk, now=now)
            while result.next_id:
                result = outbound.deliver(result.next_id, now=now)


def test_each_event_is_written_with_its_change_and_delivered_once_in_order_signed(
    hotline, receiver, dispatcher, officer, rsj
):
    case = _close(_order(), dispatcher, officer, rsj)
    rows = list(OutboundDelivery.objects.filter(case=case).order_by("pk"))
    assert [r.event_type for r in rows] == ["taken_in", "dispatched", "replied", "closed"]
    _drain()
    _drain()  # a second sweep (and a redelivered task) sends nothing again
    for r in rows:
        assert outbound.deliver(r.pk).skipped == "taken"
    assert receiver.bad_signatures == 0
    assert len(receiver.requests) == 4  # one HTTP call per event, no more
    assert [m["event"] for m in receiver.processed] == [
        "taken_in",
        "dispatched",
        "replied",
        "closed",
    ]
    assert receiver.keys == [r.idempotency_key for r in rows]
    dispatched, replied, closed = receiver.processed[1:]
    assert dispatched["external_id"] == "H-1" and dispatched["department"]["code"] == rsj.code
    assert dispatched["due_at"] and dispatched["number"] == case.number
    assert replied["reply_text"] == "已为来电人协调结清工资" and replied["outcome"] == "handled"
    assert closed["state"] == "closed" and closed["closed_at"]
    headers = receiver.requests[0]["headers"]
    assert headers["Idempotency-Key"] == rows[0].idempotency_key
    assert headers["X-Event-Type"] == "taken_in" and headers["X-Timestamp"].isdigit()
    assert all(r.status == "delivered" for r in OutboundDelivery.objects.filter(case=case))
    # No personal data in what goes back: names, ID numbers and phones stay in the county.
    blob = b"".join(r["body"] for r in receiver.requests).decode()
    for party in case.parties.all():
        assert party.name not in blob
        if party.phone:
            assert party.phone not in blob


def test_rejection_carries_reason_and_route(hotline, receiver, dispatcher):
    case = _order()
    case_reject(case_id=case.pk, actor=dispatcher, reason="已进入诉讼程序", route_to="诉讼")
    _drain()
    (message,) = receiver.processed
    assert message["event"] == "rejected"
    assert (message["reason"], message["route_to"]) == ("已进入诉讼程序", "诉讼")


def test_rolled_back_change_leaves_no_outbox_row(hotline, dispatcher):
    case = _order()
    with pytest.raises(RuntimeError), transaction.atomic():
        case_take_in(case_id=case.pk, actor=dispatcher)
        assert OutboundDelivery.objects.filter(case=case).count() == 1  # inside: written
        raise RuntimeError("rolled back")
    assert not OutboundDelivery.objects.filter(case=case).exists()
    assert Case.objects.get(pk=case.pk).state == State.RECEIVED


def test_walk_ins_other_channels_and_unwanted_events_write_nothing(
    hotline, make_case, dispatcher, rsj, admin_user
):
    walk_in = make_case()
    case_dispatch(case_id=walk_in.pk, department=rsj, actor=dispatcher)
    app_case = case_create(
        data=make_case_input(channel="pingan_app", external_id="A-1"),
        actor=None,
        initial_state=State.RECEIVED,
        transition="receive",
    )
    case_take_in(case_id=app_case.pk, actor=dispatcher)
    assert not OutboundDelivery.objects.exists()
    outbound.outbound_configure(
        channel="hotline_12345",
        endpoint_url=hotline.endpoint_url,
        secret=SECRET,
        events=["closed"],
        actor=admin_user,
    )
    case = _order()
    case_take_in(case_id=case.pk, actor=dispatcher)
    assert not OutboundDelivery.objects.exists()  # only "closed" is wanted now


def test_field_mapping_renames_and_drops_fields(receiver, admin_user, dispatcher):
    outbound.outbound_configure(
        channel="hotline_12345",
        endpoint_url=receiver.url,
        secret=SECRET,
        field_mapping={"external_id": "gdbh", "state_label": ""},
        actor=admin_user,
    )
    case_take_in(case_id=_order().pk, actor=dispatcher)
    _drain()
    (message,) = receiver.processed
    assert message["gdbh"] == "H-1" and "external_id" not in message
    assert "state_label" not in message


def test_receiver_down_then_back_gets_everything_in_order(
    hotline, receiver, dispatcher, officer, rsj
):
    receiver.stop()
    case = _close(_order(), dispatcher, officer, rsj)
    now = timezone.now()
    _drain(now)
    first, *rest = OutboundDelivery.objects.filter(case=case).order_by("pk")
    assert first.status == "pending" and first.attempts == 1 and first.last_error
    assert first.next_attempt_at == now + dt.timedelta(seconds=30)  # the first backoff
    assert all(r.attempts == 0 for r in rest)  # later events wait behind the first
    assert OutboundAttempt.objects.filter(delivery=first).count() == 1
    # Still down at the next try: the wait doubles.
    later = now + dt.timedelta(seconds=31)
    _drain(later)
    first.refresh_from_db()
    assert first.attempts == 2 and first.next_attempt_at == later + dt.timedelta(seconds=60)
    receiver.start()  # back, on the same port
    _drain(later + dt.timedelta(seconds=61))
    assert [m["event"] for m in receiver.processed] == [
        "taken_in",
        "dispatched",
        "replied",
        "closed",
    ]
    assert not OutboundDelivery.objects.exclude(status="delivered").exists()


def test_a_receiver_error_answer_is_retried_and_logged_with_its_response(
    hotline, receiver, dispatcher
):
    receiver.answer = 503
    case_take_in(case_id=_order().pk, actor=dispatcher)
    now = timezone.now()
    _drain(now)
    row = OutboundDelivery.objects.get()
    assert (row.status, row.last_status, row.attempts) == ("pending", 503, 1)
    assert '"ok": false' in row.last_response
    attempt = OutboundAttempt.objects.get(delivery=row)
    assert attempt.status_code == 503 and attempt.response == row.last_response
    receiver.answer = 200
    _drain(now + dt.timedelta(minutes=5))
    row.refresh_from_db()
    assert row.status == "delivered" and row.attempts == 2
    assert receiver.keys == [row.idempotency_key]


@override_settings(OUTBOUND_MAX_ATTEMPTS=2)
def test_parked_after_n_failures_blocks_the_case_until_the_admin_acts(
    hotline, receiver, dispatcher, rsj, admin_user
):
    receiver.answer = 500
    case = _order()
    case_take_in(case_id=case.pk, actor=dispatcher)
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    now = timezone.now()
    _drain(now)
    _drain(now + dt.timedelta(minutes=5))
    first, second = OutboundDelivery.objects.filter(case=case).order_by("pk")
    assert first.status == "parked" and first.attempts == 2
    assert second.status == "pending" and second.attempts == 0
    _drain(now + dt.timedelta(hours=2))
    second.refresh_from_db()
    assert second.attempts == 0  # parked first blocks: nothing out of order
    receiver.answer = 200
    # Only an administrator settles deliveries.
    with pytest.raises(NotAllowed):
        outbound.delivery_resend(delivery_id=first.pk, actor=dispatcher)
    outbound.delivery_resend(delivery_id=first.pk, actor=admin_user)
    _drain(timezone.now() + dt.timedelta(seconds=1))
    assert [m["event"] for m in receiver.processed] == ["taken_in", "dispatched"]
    assert receiver.keys[0] == first.idempotency_key  # the same key after a resend


@override_settings(OUTBOUND_MAX_ATTEMPTS=1)
def test_mark_done_lets_the_next_event_go(hotline, receiver, dispatcher, rsj, admin_user):
    receiver.answer = 500
    case = _order()
    case_take_in(case_id=case.pk, actor=dispatcher)
    _drain()
    receiver.answer = 200
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    first, second = OutboundDelivery.objects.filter(case=case).order_by("pk")
    assert first.status == "parked"
    with pytest.raises(NotAllowed):
        outbound.delivery_mark_done(delivery_id=first.pk, actor=dispatcher)
    done = outbound.delivery_mark_done(delivery_id=first.pk, actor=admin_user)
    assert done.status == "done" and done.resolved_by == admin_user
    _drain()
    assert [m["event"] for m in receiver.processed] == ["dispatched"]
    with pytest.raises(ServiceError):
        outbound.delivery_mark_done(delivery_id=second.pk, actor=admin_user)  # delivered


def test_a_tampered_signature_is_refused_by_the_receiver(receiver, admin_user, dispatcher):
    outbound.outbound_configure(
        channel="hotline_12345",
        endpoint_url=receiver.url,
        secret="not-the-receivers-secret",
        actor=admin_user,
    )
    case_take_in(case_id=_order().pk, actor=dispatcher)
    _drain()
    row = OutboundDelivery.objects.get()
    assert receiver.bad_signatures == 1 and row.last_status == 401 and row.status == "pending"


def test_the_signature_is_hmac_sha256_over_timestamp_and_body():
    import hashlib
    import hmac

    body = b'{"event":"closed"}'
    expected = hmac.new(b"k" * 16, b"1767225600." + body, hashlib.sha256).hexdigest()
    assert outbound.sign("k" * 16, "1767225600", body) == "sha256=" + expected


def test_configuration_is_admin_only_and_validated(admin_user, dispatcher, receiver):
    with pytest.raises(NotAllowed):
        outbound.outbound_configure(
            channel="hotline_12345", endpoint_url=receiver.url, secret=SECRET, actor=dispatcher
        )
    for bad in (
        {"secret": "short"},
        {"events": ["taken_in", "exploded"]},
        {"endpoint_url": "not a url"},
        {"field_mapping": {"external_id": 3}},
    ):
        kwargs = {"endpoint_url": receiver.url, "secret": SECRET, **bad}
        with pytest.raises(ServiceError) as exc:
            outbound.outbound_configure(channel="hotline_12345", actor=admin_user, **kwargs)
        assert exc.value.fields
    assert not ChannelOutbound.objects.exists()
    saved = outbound.outbound_configure(
        channel="hotline_12345", endpoint_url=receiver.url, secret=SECRET, actor=admin_user
    )
    assert saved.secret == SECRET and SECRET not in saved.secret_encrypted  # encrypted at rest


@pytest.fixture
def dead_broker(monkeypatch):
    """Point the Celery app at a port nothing listens on (Redis "unreachable"), as
    test_background_reminders does."""
    dead = "redis://127.0.0.1:1/13"
    conf = app.conf
    saved = conf.broker_url, app._pool, app.amqp._producer_pool
    monkeypatch.setenv("CELERY_BROKER_URL", dead)
    conf.broker_url = dead
    app._pool = None
    app.amqp._producer_pool = None
    yield
    monkeypatch.undo()
    conf.broker_url = saved[0]
    app._pool, app.amqp._producer_pool = saved[1], saved[2]


def test_broker_down_the_change_commits_and_the_sweep_delivers_later(
    hotline, receiver, dispatcher, dead_broker, django_capture_on_commit_callbacks
):
    case = _order()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        case_take_in(case_id=case.pk, actor=dispatcher)
    assert callbacks  # the hand-off was tried after commit, and failed quietly
    row = OutboundDelivery.objects.get(case=case)
    assert row.status == "pending" and row.enqueued_at is None  # never reached a broker
    assert Case.objects.get(pk=case.pk).state == State.REGISTERED
    # The broker is back: beat's sweep hands the row over (here the test plays the worker).
    assert outbound.due_ids() == [row.pk]
    _drain()
    assert receiver.keys == [row.idempotency_key]


def test_the_sweep_does_not_rehand_a_fresh_hand_off(hotline, dispatcher):
    case_take_in(case_id=_order().pk, actor=dispatcher)
    row = OutboundDelivery.objects.get()
    now = timezone.now()
    outbound.mark_enqueued([row.pk], now)
    assert outbound.due_ids(now) == []
    assert outbound.due_ids(now + dt.timedelta(minutes=6)) == [row.pk]  # lost hand-off


def test_extension_granted_and_reopen_are_sent(
    hotline, receiver, dispatcher, officer, rsj, followup_officer
):
    from dispatch.models import DeadlineRule
    from dispatch.services import extension_decide, extension_request
    from followup.services import case_reopen

    DeadlineRule.objects.filter(category__code="labour").update(
        max_extensions=1, extension_amount=5
    )
    case = _order()
    case_take_in(case_id=case.pk, actor=dispatcher)
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    case_sign_for(case_id=case.pk, actor=officer)
    ext = extension_request(case_id=case.pk, actor=officer, reason="需等待鉴定结论")
    extension_decide(extension_id=ext.pk, approve=True, actor=dispatcher, note="同意")
    case_reply(
        case_id=case.pk, actor=officer, outcome=Outcome.HANDLED, text="已答复", document="答复书"
    )
    case_approve(case_id=case.pk, actor=dispatcher)
    case_reopen(case_id=case.pk, actor=followup_officer, reason="当事人不满意")
    _drain()
    events = [m["event"] for m in receiver.processed]
    assert events == ["taken_in", "dispatched", "extended", "replied", "closed", "reopened"]
    extended = receiver.processed[2]
    assert extended["due_at_before"] and extended["due_at"] != extended["due_at_before"]
    assert receiver.processed[-1]["note"] == "当事人不满意"


# --- the administrator's delivery log ------------------------------------------------------


def test_admin_configures_a_channel_and_reads_its_delivery_log(
    receiver, admin_user, dispatcher, client, django_assert_max_num_queries
):
    client.force_login(admin_user)
    r = client.post(
        "/admin/intake/channeloutbound/add/",
        {
            "channel": "hotline_12345",
            "endpoint_url": receiver.url,
            "secret": "short",
            "field_mapping": "{}",
            "is_active": "on",
        },
    )
    assert r.status_code == 200 and "至少16个字符" in r.content.decode()  # a form error, no 500
    r = client.post(
        "/admin/intake/channeloutbound/add/",
        {
            "channel": "hotline_12345",
            "endpoint_url": receiver.url,
            "secret": SECRET,
            "events": ["taken_in", "closed"],
            "field_mapping": '{"external_id": "gdbh"}',
            "is_active": "on",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    saved = ChannelOutbound.objects.get()
    assert saved.secret == SECRET and saved.events == ["taken_in", "closed"]
    receiver.answer = 500
    for i in range(3):
        case_take_in(case_id=_order(f"H-{i}").pk, actor=dispatcher)
    _drain()
    page = client.get("/admin/intake/outbounddelivery/", {"outbound__channel": "hotline_12345"})
    html = page.content.decode()
    assert page.status_code == 200
    assert all(r.idempotency_key in html for r in OutboundDelivery.objects.all())
    assert OutboundDelivery.objects.count() == 3
    with django_assert_max_num_queries(12):
        client.get("/admin/intake/outbounddelivery/")
    row = OutboundDelivery.objects.order_by("pk").first()
    detail = client.get(f"/admin/intake/outbounddelivery/{row.pk}/change/").content.decode()
    assert '{"ok": false}' in detail.replace("&quot;", '"')  # the receiver's answer is shown
    assert client.get("/admin/intake/channeloutbound/").status_code == 200


@override_settings(OUTBOUND_MAX_ATTEMPTS=1)
def test_admin_actions_resend_and_mark_done(
    hotline, receiver, admin_user, dispatcher, client, django_capture_on_commit_callbacks
):
    receiver.answer = 500
    case_take_in(case_id=_order("H-1").pk, actor=dispatcher)
    case_take_in(case_id=_order("H-2").pk, actor=dispatcher)
    _drain()
    first, second = OutboundDelivery.objects.order_by("pk")
    assert first.status == second.status == "parked"
    receiver.answer = 200
    client.force_login(admin_user)
    changelist = "/admin/intake/outbounddelivery/"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        r = client.post(changelist, {"action": "resend", "_selected_action": [first.pk]})
    assert r.status_code == 302 and callbacks  # handed to a worker on commit
    first.refresh_from_db()
    assert first.status == "pending" and first.attempts == 0
    r = client.post(changelist, {"action": "mark_done", "_selected_action": [second.pk]})
    second.refresh_from_db()
    assert second.status == "done" and second.resolved_by == admin_user
    _drain()
    assert receiver.keys == [first.idempotency_key]
    # Staff who are not administrators do not reach the delivery log.
    client.force_login(dispatcher)
    assert client.get(changelist).status_code in (302, 403)
