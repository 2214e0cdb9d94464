"""Channel intake (统一信息收集): channel credentials and the raw orders they posted."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luodian_platform.crypto import EncryptedJSONTextField

from .case import Case
from .choices import (
    Channel,
    OtherProceeding,
)


class ChannelToken(models.Model):
    """One credential of an external channel. Only the SHA-256 of the token is stored:
    the raw token is shown once, when an administrator issues it."""

    channel = models.CharField(
        _("渠道"),
        max_length=20,
        choices=[c for c in Channel.choices if c[0] not in (Channel.WALK_IN, Channel.ONLINE)],
    )
    name = models.CharField(_("名称"), max_length=100)
    token_hash = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=_("令牌摘要")
    )
    prefix = models.CharField(_("令牌前缀"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("签发时间"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签发人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("渠道令牌")
        verbose_name_plural = _("渠道令牌")
        ordering = ["channel", "-created_at"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ChannelOrder(models.Model):
    """The raw order a channel posted, kept as received, next to the case it became."""

    case = models.OneToOneField(
        Case, related_name="channel_order", on_delete=models.PROTECT, verbose_name=_("案件")
    )
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    external_id = models.CharField(_("渠道工单号"), max_length=64)
    token = models.ForeignKey(
        ChannelToken,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("渠道令牌"),
    )
    source = models.CharField(_("接收方式"), max_length=10, default="api")  # api / bulk / csv
    # Encrypted: the raw order carries parties' ID numbers and phones.
    payload = EncryptedJSONTextField(_("原始报文"))
    other_proceeding = models.CharField(
        _("已进入其他程序"), max_length=20, choices=OtherProceeding.choices, blank=True
    )
    # The last resend whose content differed (the case itself is not changed by a resend:
    # docs/intake.md, "Resends with changed content"); encrypted like the first payload.
    latest_payload = EncryptedJSONTextField(_("最近一次变更报文"), null=True, blank=True)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)

    class Meta:
        verbose_name = _("渠道工单")
        verbose_name_plural = _("渠道工单")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="channelorder_unique_external_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id}"
