"""Rows of the citizen's side: the lookup log (throttle and lockout read it), SMS codes,
used links (single use) and confirmations by parties."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake.models import Case, Party


class LookupAttempt(models.Model):
    """Every progress lookup (进度查询), successful or not. The per-address throttle and
    the per-number lockout count these rows, so they hold across processes and restarts."""

    class Outcome(models.TextChoices):
        FOUND = "found", _("查询成功")
        NO_MATCH = "no_match", _("编号或校验信息不符")
        THROTTLED = "throttled", _("查询过于频繁")
        LOCKED = "locked", _("编号已锁定")

    at = models.DateTimeField(_("时间"), default=timezone.now)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    # As typed (normalised); a number that does not exist is counted and locked the same
    # way, so the lockout reveals nothing.
    case_number = models.CharField(_("案件编号"), max_length=40, blank=True)
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices)

    class Meta:
        verbose_name = _("进度查询记录")
        verbose_name_plural = _("进度查询记录")
        indexes = [
            models.Index(fields=["case_number", "at"], name="lookup_number_at_idx"),
            models.Index(fields=["ip", "at"], name="lookup_ip_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.case_number} {self.outcome}"


class PhoneCode(models.Model):
    """A one-time SMS code confirming a phone number. Only keyed hashes are stored: the
    phone's blind index and the code's HMAC."""

    class Purpose(models.TextChoices):
        APPLY = "apply", _("网上申请")
        LOOKUP = "lookup", _("进度查询")

    purpose = models.CharField(_("用途"), max_length=10, choices=Purpose.choices)
    # Lookup codes: the case number asked about (a row is written also for a number that
    # does not exist, with no code: the throttles count it and nothing is sent).
    case_number = models.CharField(_("案件编号"), max_length=40, blank=True)
    phone_bidx = models.CharField(_("手机号索引"), max_length=64, blank=True)
    code_hash = models.CharField(_("验证码摘要"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    created_at = models.DateTimeField(_("发送时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(_("输错次数"), default=0)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        indexes = [
            models.Index(fields=["phone_bidx", "created_at"], name="phonecode_phone_idx"),
            models.Index(fields=["ip", "created_at"], name="phonecode_ip_idx"),
            models.Index(fields=["case_number", "created_at"], name="phonecode_number_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.created_at:%Y-%m-%d %H:%M}"


class UsedLink(models.Model):
    """A signed link that changed data (evaluation, confirmation): its id, once. The unique
    id is what makes the link single-use, also under a double tap."""

    jti = models.CharField(_("链接编号"), max_length=32, unique=True)
    purpose = models.CharField(_("用途"), max_length=20)
    used_at = models.DateTimeField(_("使用时间"), default=timezone.now)

    class Meta:
        verbose_name = _("已使用的链接")
        verbose_name_plural = _("已使用的链接")

    def __str__(self) -> str:
        return f"{self.purpose} {self.jti}"


class Confirmation(models.Model):
    """A party's confirmation through a signed link: receipt of a notice (告知书送达确认) or
    performance of an agreement term (协议履行确认)."""

    class Kind(models.TextChoices):
        NOTICE_RECEIVED = "notice_received", _("已收到告知书")
        TERM_PERFORMANCE = "term_performance", _("协议条款履行情况")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="confirmations", verbose_name=_("案件")
    )
    party = models.ForeignKey(
        Party, on_delete=models.CASCADE, related_name="confirmations", verbose_name=_("当事人")
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    # The notice's or the agreement term's id (mediation.Notice / mediation.AgreementTerm).
    object_id = models.PositiveBigIntegerField(_("文书或条款"))
    performed = models.BooleanField(_("已履行"), null=True, blank=True)
    comment = models.CharField(_("说明"), max_length=500, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), default=timezone.now)

    class Meta:
        verbose_name = _("当事人确认")
        verbose_name_plural = _("当事人确认")
        constraints = [
            models.UniqueConstraint(
                fields=["party", "kind", "object_id"], name="confirmation_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.object_id}"
