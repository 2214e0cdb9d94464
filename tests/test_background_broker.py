"""Issue 7, integration: a REAL Celery worker (and beat) against Redis, as subprocesses.

Runs on the PostgreSQL + Redis CI run; skipped with a visible reason on the SQLite default
(the filesystem broker and an in-memory database cannot be shared with a worker process).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from dispatch.services import case_dispatch
from followup.models import Reminder, ReminderKind
from luodian_platform.celery import app
from luodian_platform.models import Notification, User

BROKER = settings.CELERY_BROKER_URL
pytestmark = [
    pytest.mark.broker,
    pytest.mark.skipif(
        not BROKER.startswith("redis://"),
        reason=f"needs a Redis broker (CELERY_BROKER_URL is {BROKER.split('://')[0]}://)",
    ),
    pytest.mark.skipif(
        not settings.IS_POSTGRES, reason="needs PostgreSQL: the worker shares the test database"
    ),
    pytest.mark.django_db(transaction=True),
]
ROOT = Path(settings.BASE_DIR)


def _database_url() -> str:
    d = connection.settings_dict
    auth = d["USER"] + (f":{d['PASSWORD']}" if d.get("PASSWORD") else "")
    return f"postgres://{auth}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"


@pytest.fixture
def redis_db():
    import redis

    client = redis.Redis.from_url(BROKER)
    client.flushdb()  # our dedicated broker database only
    yield client
    client.flushdb()


@pytest.fixture
def procs(tmp_path):
    """Start worker/beat subprocesses; all are killed (process group) at the end."""
    started: list[subprocess.Popen] = []
    sink = tmp_path / "sink.jsonl"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": BROKER,
        "NOTIFICATION_CHANNELS": "inapp,sms",
        "SMS_BACKEND": "tests.background_sink.SlowFileSink",
        "SMS_FILE_PATH": str(sink),
        "REMINDER_SEND_FROM_HOUR": "0",
        "REMINDER_SEND_UNTIL_HOUR": "24",
        "REMINDER_WORKDAYS_ONLY": "false",
        "REMINDER_CLAIM_LEASE_SECONDS": "2",
        "SWEEP_INTERVAL_SECONDS": "1",
        "PYTHONPATH": str(ROOT),
    }

    def start(kind: str, name: str, *extra: str) -> subprocess.Popen:
        cmd = [sys.executable, "-m", "celery", "-A", "luodian_platform", kind, "-l", "INFO"]
        if kind == "worker":
            cmd += ["-c", "3", "-n", f"{name}@%h", "--without-gossip", "--without-mingle"]
        else:
            cmd += ["-s", str(tmp_path / f"{name}-schedule"), "--pidfile="]
        log = open(tmp_path / f"{name}.log", "ab")  # noqa: SIM115
        p = subprocess.Popen(
            cmd + list(extra),
            cwd=ROOT,
            env={**env, **start.env},
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        started.append(p)
        return p

    start.sink = sink
    start.env = {}
    start.tmp = tmp_path
    yield start
    for p in started:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)


def _keys(sink: Path) -> list[str]:
    if not sink.exists():
        return []
    return [json.loads(line)["key"] for line in sink.read_text().splitlines() if line.strip()]


def _wait(predicate, timeout: float, what: str, logs: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    detail = ""
    if logs is not None:
        detail = "\n".join(p.read_text()[-3000:] for p in logs.glob("*.log"))
    raise AssertionError(f"timed out waiting for {what}\n{detail}")


@pytest.fixture
def recipient(db):
    return User.objects.create_user(
        "sink-user", password="x-Sink-2026", mobile="13900002222", full_name="接收人"
    )


def _urgent_reminders(case, user, n: int) -> list[int]:
    now = timezone.now() - dt.timedelta(minutes=1)
    Reminder.objects.bulk_create(
        Reminder(
            case=case,
            kind=ReminderKind.NEW_CASE,
            threshold=f"bulk-{i}",
            recipient=user,
            due_at=now,
            urgent=True,
        )
        for i in range(n)
    )
    return list(
        Reminder.objects.filter(case=case, threshold__startswith="bulk-").values_list(
            "pk", flat=True
        )
    )


def test_enqueued_only_on_commit_and_a_real_worker_delivers(redis_db, procs, make_case):
    with pytest.raises(RuntimeError), transaction.atomic():
        make_case()
        raise RuntimeError("rolled back")
    assert redis_db.llen("celery") == 0  # the rolled-back registration enqueued nothing
    case = make_case()
    ids = list(Reminder.objects.filter(case=case).values_list("pk", flat=True))
    assert ids and redis_db.llen("celery") == len(ids)
    procs("worker", "w-commit")
    keys = {f"reminder-{pk}" for pk in ids}
    _wait(
        lambda: set(Notification.objects.values_list("key", flat=True)) >= keys,
        30,
        "the worker to deliver the committed case's notifications",
        procs.tmp,
    )
    assert Notification.objects.filter(case_number=case.number).count() == len(ids)


def test_sigkill_mid_batch_of_1000_then_restart_delivers_each_exactly_once(
    redis_db, procs, make_case, recipient
):
    from followup.tasks import publish_send

    case = make_case()
    Reminder.objects.all().delete()
    ids = _urgent_reminders(case, recipient, 1000)
    assert len(publish_send(ids)) == 1000
    # SMS only: the sink is the receiver that counts; the rows record "sent" once each.
    procs.env["NOTIFICATION_CHANNELS"] = "sms"
    worker = procs("worker", "w-first")
    _wait(lambda: len(_keys(procs.sink)) >= 100, 40, "the first sends", procs.tmp)
    os.killpg(worker.pid, signal.SIGKILL)  # the whole worker, children included, mid-batch
    worker.wait(10)
    sent_before = len(set(_keys(procs.sink)))
    assert sent_before < 1000, "the worker finished before it could be killed"
    procs("worker", "w-second")

    last_sweep = [0.0]

    def all_sent() -> bool:
        if not Reminder.objects.filter(pk__in=ids).exclude(status="sent").exists():
            return True
        # Messages the killed worker had reserved stay unacked in Redis until the
        # visibility timeout: the periodic sweep (beat's job; here the test plays beat)
        # re-hands their still-pending rows once the queue has drained.
        if redis_db.llen("celery") == 0 and time.monotonic() - last_sweep[0] > 2:
            app.send_task("followup.sweep_reminders")
            last_sweep[0] = time.monotonic()
        return False

    _wait(all_sent, 50, "every reminder to be sent after the restart", procs.tmp)
    keys = _keys(procs.sink)
    assert len(set(keys)) == 1000  # the sink drops repeats by idempotency key
    assert set(keys) == {f"reminder-{pk}" for pk in ids}
    # Recorded once each: every row "sent", with exactly one successful attempt recorded.
    sent = Reminder.objects.filter(pk__in=ids, status="sent")
    assert sent.count() == 1000 and not sent.exclude(attempts=1).exists()


def test_two_beats_by_mistake_produce_no_duplicates(
    redis_db, procs, make_case, dispatcher, rsj, recipient
):
    case = make_case()
    case = case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    from intake.models import Case

    Case.objects.filter(pk=case.pk).update(sign_due_at=timezone.now() + dt.timedelta(hours=1))
    Reminder.objects.all().delete()
    ids = _urgent_reminders(case, recipient, 200)  # due work the sweeps will hand out
    procs("worker", "w-beat")
    procs("beat", "beat-1")
    procs("beat", "beat-2")
    _wait(
        lambda: (
            not Reminder.objects.exclude(status="sent").exists()
            and Reminder.objects.filter(kind=ReminderKind.SIGN_DUE).exists()
        ),
        40,
        "both beats' sweeps to be worked off",
        procs.tmp,
    )
    time.sleep(3)  # a few more double sweeps
    keys = _keys(procs.sink)
    assert len(keys) == len(set(keys)) >= 200  # nothing sent twice
    sign = Reminder.objects.filter(case=case, kind=ReminderKind.SIGN_DUE)
    assert sign.count() == len(set(sign.values_list("recipient_id", flat=True)))
    assert Reminder.objects.filter(pk__in=ids, status="sent").count() == 200
    assert Notification.objects.count() == Reminder.objects.filter(status="sent").count()
    logs = "".join(p.read_text() for p in procs.tmp.glob("beat-*.log"))
    assert logs.count("followup.sweep_reminders") >= 4  # both beats really ran
