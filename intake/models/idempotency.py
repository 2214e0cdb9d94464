"""Idempotency keys of ``POST /api/cases/`` (walk-in registration over the API).

A client that did not hear the answer to a registration (a dropped connection, a timeout)
sends the same request again with the same ``Idempotency-Key`` header; the platform answers
with the case the first request created instead of registering the walk-in twice. The row
is written in the same transaction as the case, and the unique constraint decides a race
between two copies of the request: the second waits for the first and then replays it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .case import Case


class IdempotencyKey(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("请求人"),
    )
    key = models.CharField(_("幂等键"), max_length=100)
    request_hash = models.CharField(_("请求摘要"), max_length=64)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="+", verbose_name=_("登记的案件")
    )
    created_at = models.DateTimeField(_("首次请求时间"), default=timezone.now)

    class Meta:
        verbose_name = _("登记幂等键")
        verbose_name_plural = _("登记幂等键")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotencykey_user_key"),
        ]

    def __str__(self) -> str:
        return self.key

    def expired(self, now=None) -> bool:
        age = (now or timezone.now()) - self.created_at
        return age > timezone.timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
