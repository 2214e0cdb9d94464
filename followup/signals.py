"""Hooks on the case event log (written inside every transition's transaction).

``approve`` → schedule the follow-up visits (the after-close hook, see services.py).
Other events → notifications, a decoupled concern. The reminder rows are written in the event's transaction; workers are
handed them only after commit, so a rolled-back registration enqueues nothing."""

from __future__ import annotations

from django.db.models.signals import post_save

from intake.models import CaseEvent

from . import reminders, services

NOTIFY_ON = {"register", "receive", "dispatch", "reopen"}


def _on_case_event(sender, instance: CaseEvent, created: bool, raw: bool = False, **kwargs):
    if not created or raw:
        return
    if instance.transition == "approve":
        # The after-close hook: same transaction as the closing (see services.py).
        services.visits_schedule(case=instance.case, at=instance.case.closed_at)
        return
    if instance.transition not in NOTIFY_ON:
        return
    ids = reminders.reminders_for_event(
        case=instance.case, transition=instance.transition, event_id=instance.pk
    )
    reminders.publish_on_commit(ids)


def connect() -> None:
    post_save.connect(_on_case_event, sender=CaseEvent, dispatch_uid="followup.case_event")
