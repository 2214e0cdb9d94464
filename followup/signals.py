"""Notifications on the case event log (written inside every transition's transaction):
a decoupled concern, so a signal. (Scheduling visits on ``approve`` is case flow: it is an
explicit after-transition hook, see ``apps.py`` and ``intake.lifecycle.register_after_transition``.) The reminder rows are written in the event's transaction; workers are
handed them only after commit, so a rolled-back registration enqueues nothing."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_save

from dispatch.models import Correction
from intake.models import CaseEvent

from . import reminders, tasks, worksteps

NOTIFY_ON = {"register", "receive", "dispatch", "reopen"}


def _on_case_event(sender, instance: CaseEvent, created: bool, raw: bool = False, **kwargs):
    if not created or raw:
        return
    if instance.transition in NOTIFY_ON:
        ids = reminders.reminders_for_event(
            case=instance.case, transition=instance.transition, event_id=instance.pk
        )
    elif instance.transition in worksteps.STEPS:
        ids = worksteps.reminders_for_step(case=instance.case, event=instance)
        if instance.transition == "session_book" and not tasks.publishing_is_paused():
            # Loads of history (the demo year) text no party about sessions long past.
            sms = worksteps.party_sms_for_session(case=instance.case, event=instance)
            sms += worksteps.mediator_sms_for_session(case=instance.case, event=instance)
            tasks.publish_party_sms_on_commit(sms)
    else:
        return
    tasks.publish_on_commit(ids)


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
    post_save.connect(_on_correction, sender=Correction, dispatch_uid="followup.correction")
