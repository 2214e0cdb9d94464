"""The dispatch room's rules: where a case goes and how long the department has."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from intake.models import Channel
from luodian_platform.models import Category, Department, Township


class DeadlineRule(models.Model):
    """办理时限: per category and optionally per channel. The most specific rule wins
    (category+channel, then category, then channel, then the default with neither)."""

    class Unit(models.TextChoices):
        WORKDAYS = "workdays", _("工作日")
        DAYS = "days", _("自然日")
        HOURS = "hours", _("小时")

    name = models.CharField(_("名称"), max_length=100)
    category = models.ForeignKey(
        Category, verbose_name=_("类别"), null=True, blank=True, on_delete=models.CASCADE
    )
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices, blank=True)
    sign_hours = models.PositiveIntegerField(_("签收时限(小时)"), default=24)
    handle_amount = models.PositiveIntegerField(_("办理时限"))
    handle_unit = models.CharField(
        _("单位"), max_length=10, choices=Unit.choices, default=Unit.WORKDAYS
    )
    max_extensions = models.PositiveSmallIntegerField(_("最多延期次数"), default=1)
    extension_amount = models.PositiveIntegerField(_("每次延期"), default=5)
    legal_basis = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("办理时限规则")
        verbose_name_plural = _("办理时限规则")
        constraints = [
            models.UniqueConstraint(
                fields=["category", "channel"], name="deadline_rule_unique", nulls_distinct=False
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """分流规则: category (optionally township, channel, keywords) -> lead department."""

    category = models.ForeignKey(Category, verbose_name=_("类别"), on_delete=models.CASCADE)
    township = models.ForeignKey(
        Township, verbose_name=_("乡镇街道"), null=True, blank=True, on_delete=models.CASCADE
    )
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices, blank=True)
    keywords = models.CharField(_("关键词(逗号分隔)"), max_length=200, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("牵头部门"),
        on_delete=models.PROTECT,
        related_name="routing_rules",
    )
    co_departments = models.ManyToManyField(
        Department, verbose_name=_("协办部门"), blank=True, related_name="co_routing_rules"
    )
    priority = models.PositiveSmallIntegerField(
        _("优先级"), default=100, help_text=_("数字越小越优先")
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = _("分流规则")
        verbose_name_plural = _("分流规则")
        indexes = [
            models.Index(
                fields=["category"], name="routing_category_idx", condition=Q(is_active=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.category} → {self.department}"
