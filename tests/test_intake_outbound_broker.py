"""Issue 20, integration: outbound results delivered by a REAL Celery worker (Redis broker,
PostgreSQL) to a REAL HTTP receiver; the worker is SIGKILLed in the middle of deliveries
and nothing is lost. Skipped with a visible reason on the SQLite default."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from django.conf import settings
from django.db import transaction

from intake import outbound
from intake.models import OutboundDelivery, State
from intake.services import case_create, case_take_in
from luodian_platform.celery import app

from .conftest import make_case_input
from .http_receiver import Receiver
from .test_background_broker import BROKER, _wait, procs, redis_db  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.broker,
    pytest.mark.skipif(
        not BROKER.startswith("redis://"),
        reason=f"needs a Redis broker (CELERY_BROKER_URL is {BROKER.split('://')[0]}://)",
    ),
    pytest.mark.skipif(
        not settings.IS_POSTGRES,
        reason="needs PostgreSQL: the worker shares the test database",
    ),
    pytest.mark.django_db(transaction=True),
]
SECRET = "s3cret-for-the-hotline-2026"


def _queued(client, task: str = "intake.deliver_outbound") -> int:
    """Messages for ``task`` waiting in the broker (reminders share the queue)."""
    return sum(json.loads(raw)["headers"]["task"] == task for raw in client.lrange("celery", 0, -1))


def _orders(n: int, prefix: str) -> list:
    return [
        case_create(
            data=make_case_input(channel="hotline_12345", external_id=f"{prefix}-{i}"),
            actor=None,
            initial_state=State.RECEIVED,
            transition="receive",
        )
        for i in range(n)
    ]


@pytest.fixture
def slow_receiver():
    r = Receiver(SECRET, delay=0.05)
    yield r
    r.stop()


def test_worker_delivers_after_commit_only(redis_db, procs, slow_receiver, admin_user, dispatcher):  # noqa: F811
    outbound.outbound_configure(
        channel="hotline_12345", endpoint_url=slow_receiver.url, secret=SECRET, actor=admin_user
    )
    (rolled,) = _orders(1, "R")
    with pytest.raises(RuntimeError), transaction.atomic():
        case_take_in(case_id=rolled.pk, actor=dispatcher)
        raise RuntimeError("rolled back")
    assert _queued(redis_db) == 0 and not OutboundDelivery.objects.exists()
    (case,) = _orders(1, "C")
    case_take_in(case_id=case.pk, actor=dispatcher)
    assert _queued(redis_db) == 1  # handed over on commit
    procs("worker", "w-out")
    _wait(
        lambda: OutboundDelivery.objects.filter(status="delivered").exists(),
        30,
        "the delivery",
        procs.tmp,
    )
    assert [m["external_id"] for m in slow_receiver.processed] == ["C-0"]


def test_sigkill_mid_delivery_loses_nothing_and_keeps_order_per_case(
    redis_db,  # noqa: F811
    procs,  # noqa: F811
    slow_receiver,
    admin_user,
    dispatcher,
    rsj,
):
    from dispatch.services import case_dispatch

    outbound.outbound_configure(
        channel="hotline_12345", endpoint_url=slow_receiver.url, secret=SECRET, actor=admin_user
    )
    cases = _orders(60, "K")
    for case in cases:
        case_take_in(case_id=case.pk, actor=dispatcher)
        case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    rows = OutboundDelivery.objects.count()
    assert rows == 120
    # The killed worker's hand-offs are lost with it; the sweep re-hands a row whose
    # hand-off is older than this (300 s in production; short here).
    procs.env["OUTBOUND_REQUEUE_SECONDS"] = "3"
    worker = procs("worker", "w-first")
    _wait(lambda: len(slow_receiver.requests) >= 15, 40, "the first deliveries", procs.tmp)
    os.killpg(worker.pid, signal.SIGKILL)  # the whole worker, children included
    worker.wait(10)
    assert len(slow_receiver.processed) < rows, "the worker finished before it could be killed"
    procs("worker", "w-second")
    last_sweep = [0.0]

    def all_delivered() -> bool:
        if not OutboundDelivery.objects.exclude(status="delivered").exists():
            return True
        # Tasks the killed worker had reserved stay unacked in Redis until the visibility
        # timeout: beat's sweep (here the test plays beat) re-hands the pending rows.
        if time.monotonic() - last_sweep[0] > 2:
            app.send_task("intake.sweep_outbound")
            last_sweep[0] = time.monotonic()
        return False

    _wait(all_delivered, 90, "every delivery after the restart", procs.tmp)
    assert slow_receiver.bad_signatures == 0
    keys = slow_receiver.keys
    assert len(keys) == len(set(keys)) == rows  # each key processed once
    # Repeats on the wire are only those the idempotency key absorbs (the killed calls).
    assert len(slow_receiver.requests) - rows <= 3  # at most one per killed process
    # In order per case: no case's "dispatched" before its "taken_in".
    seen: dict[str, list[str]] = {}
    for m in slow_receiver.processed:
        seen.setdefault(m["external_id"], []).append(m["event"])
    assert all(events == ["taken_in", "dispatched"] for events in seen.values())
    assert len(seen) == 60
