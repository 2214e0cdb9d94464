"""Celery tasks of the dispatch room: thin wrappers around plain functions. The beat entries
are added to ``luodian_platform.celery.BEAT_ENTRIES`` from ``DispatchConfig.ready``."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings


@shared_task(name="dispatch.sweep_stalls", acks_late=True)
def sweep_stalls() -> int:
    from .stalls import stalls_sweep

    return stalls_sweep().created


def beat_entries() -> dict:
    # Stalls are counted in working days: a sweep every few minutes is plenty, and a missed
    # one changes nothing but the moment the row appears.
    interval = max(settings.SWEEP_INTERVAL_SECONDS * 5, 60)
    return {
        "dispatch-sweep-stalls": {
            "task": "dispatch.sweep_stalls",
            "schedule": float(interval),
            "options": {"expires": max(interval * 0.9, 1)},
        },
    }
