"""Notifications on the case event log (written inside every transition's transaction):
a decoupled concern, so a signal. (Scheduling visits on ``approve`` is case flow: it is an
explicit after-transition hook, see ``apps.py`` and ``intake.lifecycle.register_after_transition``.) The reminder rows are written in the event's transaction; workers are
handed them only after commit, so a rolled-back registration enqueues nothing."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_save

from dispatch.models import Correction
from intake.models import CaseEvent, events_created

from . import reminders, tasks, worksteps

NOTIFY_ON = {"register", "receive", "dispatch", "reopen"}


def _on_case_event(sender, instance: CaseEvent, created: bool, raw: bool = False, **kwargs):
    if not created or raw:
        return
    if instance.transition in NOTIFY_ON:
        ids = reminders.reminders_for_event(
            case=instance.case, transition=instance.transition, event_id=instance.pk
        )
    else:
        ids = _step_reminders(instance)
    tasks.publish_on_commit(ids)


def _on_case_events(sender, events: list[CaseEvent], **kwargs):
    """Events inserted together (``intake.models.events_bulk_create``: a channel batch, the
    sweep's automatic urges): the same rows as one ``post_save`` each, the new-case and
    dispatch notifications in one INSERT, and one hand-off to the workers after commit."""
    ids = reminders.reminders_for_events(
        (e.case, e.transition, e.pk) for e in events if e.transition in NOTIFY_ON
    )
    for event in events:
        if event.transition not in NOTIFY_ON:
            ids += _step_reminders(event)
    tasks.publish_on_commit(ids)


def _step_reminders(instance: CaseEvent) -> list[int]:
    if instance.transition not in worksteps.STEPS:
        return []
    ids = worksteps.reminders_for_step(case=instance.case, event=instance)
    if instance.transition == "session_book" and not tasks.publishing_is_paused():
        # Loads of history (the demo year) text no party about sessions long past.
        sms = worksteps.party_sms_for_session(case=instance.case, event=instance)
        sms += worksteps.mediator_sms_for_session(case=instance.case, event=instance)
        tasks.publish_party_sms_on_commit(sms)
    return ids


logger = logging.getLogger(__name__)


def _on_correction(sender, instance: Correction, created: bool, raw: bool = False, **kwargs):
    """A correction on a case is told through its event (above); one without a case (against
    a department or an officer) is told directly, after commit, never on rollback."""
    if not created or raw or instance.case_id is not None or tasks.publishing_is_paused():
        return

    def tell() -> None:
        try:
            worksteps.correction_without_case(instance)
        except Exception:  # the correction stands; a failed channel must not fail the page
            logger.exception("notifying correction %s failed", instance.pk)

    transaction.on_commit(tell)


def connect() -> None:
    post_save.connect(_on_case_event, sender=CaseEvent, dispatch_uid="followup.case_event")
    events_created.connect(_on_case_events, sender=CaseEvent, dispatch_uid="followup.case_events")
    post_save.connect(_on_correction, sender=Correction, dispatch_uid="followup.correction")
