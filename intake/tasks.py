"""Celery tasks of intake: delivering the outbox to the channels (回传).

Thin wrappers around ``intake.outbound`` (plain functions); this module is the one home of
the publish step, so ``outbound`` never imports it. Publishing never raises: with the
broker down the rows stay pending and the sweep (beat) hands them over once it is back.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save

from . import outbound
from .models import CaseEvent, events_created

logger = logging.getLogger(__name__)

# A retry sooner than this goes back to the broker with a countdown; a later one waits in
# its row for the sweep (no long ETAs in the broker).
COUNTDOWN_LIMIT_SECONDS = 300


def publish(ids: list[int], *, countdown: float | None = None) -> list[int]:
    """Hand ``ids`` to workers; return those the broker took. Never raises."""
    published: list[int] = []
    for pk in ids:
        try:
            deliver_outbound.apply_async(args=[pk], countdown=countdown, retry=False)
        except Exception as exc:  # kombu OperationalError, socket errors, timeouts…
            logger.warning(
                "broker unavailable, %d outbound deliveries left for the sweep: %s",
                len(ids) - len(published),
                exc,
            )
            break
        published.append(pk)
    try:
        outbound.mark_enqueued(published)
    except Exception:  # only means an extra (harmless, idempotent) hand-off later
        logger.exception("could not mark outbound deliveries enqueued")
    return published


def publish_on_commit(ids: list[int]) -> None:
    ids = [pk for pk in ids if pk]
    if ids:
        transaction.on_commit(lambda: publish(ids))


@shared_task(name="intake.deliver_outbound", acks_late=True)
def deliver_outbound(delivery_id: int) -> bool:
    result = outbound.deliver(int(delivery_id))
    if result.next_id:
        publish([result.next_id])
    elif result.retry_in is not None:
        delay = result.retry_in.total_seconds()
        if delay <= COUNTDOWN_LIMIT_SECONDS:
            publish([int(delivery_id)], countdown=delay)
    return result.delivered


@shared_task(name="intake.sweep_outbound", acks_late=True)
def sweep_outbound() -> int:
    return len(publish(outbound.due_ids()))


def beat_entries() -> dict:
    interval = settings.SWEEP_INTERVAL_SECONDS
    return {
        "intake-sweep-outbound": {
            "task": "intake.sweep_outbound",
            "schedule": float(interval),
            "options": {"expires": max(interval * 0.9, 1)},
        }
    }


# --- the outbox is written with the event -------------------------------------------------


def _on_case_event(sender, instance: CaseEvent, created: bool, raw: bool = False, **kwargs):
    """Every transition (``run_transition``) and every logged change (extensions…) writes
    its event row inside its own transaction; the outbox row joins that transaction here,
    and the hand-off to a worker waits for the commit."""
    if not created or raw:
        return
    publish_on_commit([outbound.outbox_for_event(instance)])


def _on_case_events(sender, events: list[CaseEvent], **kwargs):
    """Events inserted together (``events_bulk_create``): their outbox rows, one hand-off."""
    publish_on_commit([outbound.outbox_for_event(event) for event in events])


def connect() -> None:
    post_save.connect(_on_case_event, sender=CaseEvent, dispatch_uid="intake.outbox")
    events_created.connect(_on_case_events, sender=CaseEvent, dispatch_uid="intake.outbox_bulk")
