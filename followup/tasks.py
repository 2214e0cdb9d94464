"""Celery tasks of follow-up: thin wrappers that pass ids (JSON) and call plain functions.

The retry policy lives in the decorators (as in paperless-ngx). Tasks skip quietly when
their row is gone. The beat entries are added to ``luodian_platform.celery.BEAT_ENTRIES``
from ``FollowupConfig.ready``.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import logging
from contextlib import contextmanager

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import reminders, worksteps

logger = logging.getLogger(__name__)


def publish_send(ids: list[int]) -> list[int]:
    """Enqueue ``send_reminder`` for each id; return those handed to the broker.

    Never raises: when the broker is down the rows stay pending and the next sweep
    (once it is back) sends them. A clerk's request must not fail because Redis did.
    """
    published = []
    for pk in ids:
        try:
            send_reminder.apply_async(args=[pk], retry=False)
        except Exception as exc:  # kombu OperationalError, socket errors, timeouts…
            logger.warning(
                "broker unavailable, %d reminder(s) left for the sweep: %s",
                len(ids) - len(published),
                exc,
            )
            break
        published.append(pk)
    try:
        reminders.mark_enqueued(published)
    except Exception:  # a failed bookkeeping update only means an extra (harmless) hand-off
        logger.exception("could not mark reminders enqueued")
    return published


_paused = contextvars.ContextVar("followup_publishing_paused", default=False)


@contextmanager
def publishing_paused():
    """Write reminder rows but hand none to the broker, for loads of history (the demo
    year): its caller decides what the rows become (the demo year marks them sent), so a
    year of old reminders never reaches the workers."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def publishing_is_paused() -> bool:
    return _paused.get()


def publish_party_sms(ids: list[int]) -> list[int]:
    """Enqueue ``send_party_sms`` for each id (never raises; the sweep re-hands the rest)."""
    published = []
    for pk in ids:
        try:
            send_party_sms.apply_async(args=[pk], retry=False)
        except Exception as exc:
            logger.warning("broker unavailable, party SMS left for the sweep: %s", exc)
            break
        published.append(pk)
    if published:
        from .models import PartySms

        PartySms.objects.filter(pk__in=published, status=PartySms.Status.PENDING).update(
            enqueued_at=timezone.now()
        )
    return published


def publish_party_sms_on_commit(ids: list[int]) -> None:
    if not ids or _paused.get():
        return
    transaction.on_commit(lambda: publish_party_sms(ids))


def publish_on_commit(ids: list[int]) -> None:
    """Hand ``ids`` to workers once (and only if) the surrounding transaction commits.

    The one home of the publish step: ``reminders`` writes rows and never imports this
    module, so the import graph has no circle (reminders ← tasks ← signals)."""
    if not ids or _paused.get():
        return
    # ``publish_send`` is looked up when the callback runs, not bound here.
    transaction.on_commit(lambda: publish_send(ids))


@shared_task(
    name="followup.send_reminder",
    autoretry_for=(Exception,),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=settings.REMINDER_MAX_ATTEMPTS,
    acks_late=True,
)
def send_reminder(reminder_id: int) -> bool:
    return reminders.deliver(int(reminder_id))


@shared_task(
    name="followup.send_party_sms",
    autoretry_for=(Exception,),
    retry_backoff=10,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=settings.REMINDER_MAX_ATTEMPTS,
    acks_late=True,
)
def send_party_sms(sms_id: int) -> bool:
    return worksteps.deliver_party_sms(int(sms_id))


@shared_task(name="followup.sweep_reminders", acks_late=True)
def sweep_reminders() -> int:
    result = reminders.sweep()
    sms = publish_party_sms(worksteps.party_sms_due(timezone.now()))
    # Corrections without a case have no reminder row: told here, once each.
    corrections = worksteps.corrections_without_case_due(timezone.now())
    return len(publish_send(result.due_ids)) + len(sms) + corrections


@shared_task(
    name="followup.rollup_daily_stats",
    autoretry_for=(Exception,),
    retry_backoff=60,
    max_retries=5,
    acks_late=True,
)
def rollup_daily_stats(day: str | None = None) -> int:
    from luodian_platform.workcal import local_date

    from .stats import ROLLUP_REFRESH_DAYS, rollup, rollup_range

    if day:
        return rollup(dt.date.fromisoformat(day))
    # Yesterday, and the days before it again: late changes to recent days are absorbed.
    yesterday = local_date() - dt.timedelta(days=1)
    rows = rollup_range(yesterday - dt.timedelta(days=ROLLUP_REFRESH_DAYS - 1), yesterday)
    from .snapshots import warm

    # After the roll-up's writes are committed (and have bumped the generation): the first
    # supervisor of the day finds last month, quarter and year computed.
    transaction.on_commit(warm)
    return rows


def beat_entries() -> dict:
    from celery.schedules import crontab

    interval = settings.SWEEP_INTERVAL_SECONDS
    return {
        "followup-sweep-reminders": {
            "task": "followup.sweep_reminders",
            "schedule": float(interval),
            # A sweep that waited longer than its interval is stale: the next one will do.
            "options": {"expires": max(interval * 0.9, 1)},
        },
        "followup-rollup-daily-stats": {
            "task": "followup.rollup_daily_stats",
            "schedule": crontab(hour=settings.NIGHTLY_ROLLUP_HOUR, minute=5),
            "options": {"expires": 3 * 3600},
        },
    }
