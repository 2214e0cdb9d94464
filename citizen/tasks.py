"""Celery task of the citizen's side: the daily SMS about agreement terms that fell due."""

from __future__ import annotations

from celery import shared_task

from luodian_platform.audit import acting_as

from . import messages


@shared_task(name="citizen.send_term_confirmations", ignore_result=True)
def send_term_confirmations() -> int:
    with acting_as("celery:citizen_term_confirmations"):
        sent = messages.send_term_confirmations()
        messages.prune_logs()
        return sent


def beat_entries() -> dict:
    from celery.schedules import crontab

    return {
        "citizen-term-confirmations": {
            "task": "citizen.send_term_confirmations",
            # Morning of each day: citizens are not texted at night.
            "schedule": crontab(hour=9, minute=30),
            "options": {"expires": 6 * 3600},
        }
    }
