"""Outbound results to the channels (回传): each channel's endpoint and the outbox.

A channel is a conversation, not a drop box: the 12345 hotline closes its work order only
when the undertaking unit's reply comes back. Every event a channel wants is written as an
``OutboundDelivery`` row in the same transaction as the change (``intake.outbound``), and
delivered after commit by a worker, in order per case, until the receiver answers 2xx.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luodian_platform import crypto

from .case import Case
from .choices import Channel
from .events import CaseEvent


class OutboundEvent(models.TextChoices):
    """What a channel can subscribe to; the codes are part of the integrators' contract."""

    TAKEN_IN = "taken_in", _("已接单")
    REJECTED = "rejected", _("不予受理")
    DISPATCHED = "dispatched", _("已派单")
    EXTENDED = "extended", _("延期获批")
    REPLIED = "replied", _("已答复")
    CLOSED = "closed", _("已办结")
    SENT_BACK = "sent_back", _("退回重办")
    REOPENED = "reopened", _("重办")


class ChannelOutbound(models.Model):
    """Where and how results go back to one channel (one configuration per channel)."""

    channel = models.CharField(
        _("渠道"),
        max_length=20,
        unique=True,
        choices=[c for c in Channel.choices if c[0] != Channel.WALK_IN],
    )
    endpoint_url = models.URLField(_("回传地址"), max_length=500)
    # Fernet ciphertext (luodian_platform.crypto): the secret must be readable to sign, so it
    # is encrypted rather than hashed; the audit trail sees only the ciphertext.
    secret_encrypted = models.TextField(_("签名密钥(密文)"), editable=False)
    events = models.JSONField(
        _("回传事件"),
        default=list,
        blank=True,
        help_text=_("事件代码列表,为空表示全部事件。"),
    )
    field_mapping = models.JSONField(
        _("字段映射"),
        default=dict,
        blank=True,
        help_text=_('把报文字段改名,例如 {"external_id": "gdbh"};映射为空字符串的字段不发送。'),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("渠道回传配置")
        verbose_name_plural = _("渠道回传配置")
        ordering = ["channel"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.endpoint_url}"

    @property
    def secret(self) -> str:
        return crypto.decrypt(self.secret_encrypted) if self.secret_encrypted else ""

    @secret.setter
    def secret(self, raw: str) -> None:
        self.secret_encrypted = crypto.encrypt(raw)

    def wants(self, event_type: str) -> bool:
        return self.is_active and (not self.events or event_type in self.events)


class OutboundDelivery(models.Model):
    """One event for one channel: the outbox row, written in the change's transaction.

    ``(outbound, event)`` is unique, so writing the same event twice is a no-op; the
    ``idempotency_key`` travels with every attempt so the receiver drops repeats."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        DELIVERED = "delivered", _("已送达")
        PARKED = "parked", _("已搁置(待处理)")
        DONE = "done", _("已人工处理")

    outbound = models.ForeignKey(
        ChannelOutbound,
        on_delete=models.PROTECT,
        related_name="deliveries",
        verbose_name=_("回传配置"),
    )
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="outbound_deliveries", verbose_name=_("案件")
    )
    event = models.ForeignKey(
        CaseEvent, on_delete=models.PROTECT, related_name="+", verbose_name=_("流转记录")
    )
    event_type = models.CharField(_("事件"), max_length=20, choices=OutboundEvent.choices)
    idempotency_key = models.CharField(_("幂等键"), max_length=80, unique=True)
    payload = models.JSONField(_("报文"), default=dict)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), default=timezone.now)
    enqueued_at = models.DateTimeField(_("入队时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(_("最近响应码"), null=True, blank=True)
    last_response = models.TextField(_("最近响应"), blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("人工处理人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("回传投递")
        verbose_name_plural = _("回传投递")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["outbound", "event"], name="outbound_unique_event")
        ]
        indexes = [
            # The sweep's scan: pending rows by due time (partial, stays small).
            models.Index(
                fields=["next_attempt_at"],
                name="outbound_pending_due_idx",
                condition=Q(status="pending"),
            ),
            # "Is an earlier event of this case still undelivered?" (in-order delivery).
            models.Index(fields=["outbound", "case", "id"], name="outbound_case_order_idx"),
        ]

    def __str__(self) -> str:
        return self.idempotency_key


class OutboundAttempt(models.Model):
    """The delivery log: one row per HTTP attempt, with what the receiver answered."""

    delivery = models.ForeignKey(
        OutboundDelivery,
        on_delete=models.CASCADE,
        related_name="attempt_log",
        verbose_name=_("回传投递"),
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("响应码"), null=True, blank=True)
    response = models.TextField(_("响应内容"), blank=True)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("耗时(毫秒)"), default=0)

    class Meta:
        verbose_name = _("回传尝试")
        verbose_name_plural = _("回传尝试")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.status_code or self.error[:30]}"
