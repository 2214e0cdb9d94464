"""The append-only event log of every case and the labels the timeline shows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .case import Case


class CaseEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("The case event log is append-only.")

    def delete(self):
        raise TypeError("The case event log is append-only.")


class CaseEvent(models.Model):
    """Append-only event log: one row per transition, written in the transition's transaction."""

    case = models.ForeignKey(
        Case, related_name="events", on_delete=models.PROTECT, verbose_name=_("案件")
    )
    transition = models.CharField(max_length=40, verbose_name=_("操作"))
    from_state = models.CharField(max_length=20, verbose_name=_("原状态"))
    to_state = models.CharField(max_length=20, verbose_name=_("新状态"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("操作人"),
    )
    at = models.DateTimeField(default=timezone.now, verbose_name=_("时间"))
    note = models.TextField(blank=True, verbose_name=_("说明"))
    payload = models.JSONField(default=dict, blank=True, verbose_name=_("附加信息"))

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("案件流转记录")
        verbose_name_plural = _("案件流转记录")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["case", "at"], name="caseevent_case_at_idx"),
            # The evaluation reads a period's returns and reopens live (a return's fate
            # depends on the next dispatch): a small partial index instead of a scan of
            # the whole log.
            models.Index(
                fields=["at"],
                name="caseevent_eval_at_idx",
                condition=Q(transition__in=["return_case", "reopen"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.transition} {self.from_state}->{self.to_state}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("The case event log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The case event log is append-only.")

    @property
    def transition_label(self) -> str:
        spec = TRANSITION_LABELS.get(self.transition)
        return str(spec) if spec else self.transition


# Sent once for the events a bulk writer inserted together (``events_bulk_create``), in the
# writer's transaction, with ``events`` (saved, ``case`` set): ``bulk_create`` sends no
# ``post_save``, so the event log's receivers connect to both, and a receiver may do for
# the batch in one statement what it does for one event (the new-case notifications: one
# INSERT for a channel batch instead of one per order).
events_created = Signal()


def events_bulk_create(events: list[CaseEvent]) -> list[CaseEvent]:
    """Insert ``events`` with one statement and send ``events_created`` once; for writers
    that store many cases' events together (a channel batch, the sweep's automatic urges).
    Call it inside the writer's transaction, like ``save()`` of one event."""
    if not events:
        return []
    made = CaseEvent.objects.bulk_create(events)
    events_created.send(sender=CaseEvent, events=made)
    return made


def _collect_labels() -> dict[str, str]:
    labels = {
        "register": _("登记"),
        "receive": _("渠道收单"),
        "channel_resend": _("渠道重复推送(内容有变化)"),
        "file_upload": _("上传材料"),
    }
    for t in Case._meta.get_field("state").get_all_transitions(Case):
        labels[t.name] = t.custom.get("label", t.name)
    return labels


TRANSITION_LABELS = _collect_labels()


def register_event_labels(labels: dict[str, str]) -> None:
    """Downstream apps name the event-log rows they write that are not state transitions
    (extensions, urges, mediator assignments…) so the case timeline can show them.
    A transition's own label is never overridden."""
    for name, label in labels.items():
        TRANSITION_LABELS.setdefault(name, label)
