"""The county's organisation: townships, departments, hall windows, dispute categories,
users, and the holiday calendar overrides. Every other app points at these."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .units import Unit


class Township(models.Model):
    """A town (镇) or sub-district (街道). Population feeds 万人成诉率."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    kind = models.CharField(
        _("类型"),
        max_length=10,
        choices=[("town", _("镇")), ("street", _("街道")), ("township", _("乡"))],
    )
    registered_population = models.PositiveIntegerField(_("户籍人口"), default=0)
    floating_population = models.PositiveIntegerField(_("流动人口"), default=0)

    class Meta:
        ordering = ["code"]
        verbose_name = _("乡镇街道")
        verbose_name_plural = _("乡镇街道")

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """A unit that takes part in "321+N"."""

    class Kind(models.TextChoices):
        LEAD = "lead", _("牵头部门")
        SUPPORT = "support", _("协同力量")
        COURT = "court", _("法院")
        FUNCTIONAL = "functional", _("职能部门")
        TOWNSHIP = "township", _("乡镇街道")
        CENTRE = "centre", _("调度中心")

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=80, unique=True)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    township = models.ForeignKey(
        Township, verbose_name=_("乡镇街道"), null=True, blank=True, on_delete=models.PROTECT
    )
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    # 《人民调解法》 arts. 7-8: a people's mediation committee (人民调解委员会) is the body
    # that seals a mediation agreement (art. 29); a bureau such as 人社局 is not one.
    is_mediation_committee = models.BooleanField(_("人民调解委员会"), default=False)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("部门")
        verbose_name_plural = _("部门")

    def __str__(self) -> str:
        return self.name


class Window(models.Model):
    """A window or room of the hall (登记流转, 多元调处, 法律服务, 心理疏导…)."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    is_room = models.BooleanField(_("是调解室"), default=False)

    class Meta:
        ordering = ["code"]
        verbose_name = _("窗口/功能室")
        verbose_name_plural = _("窗口/功能室")

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """A dispute category. ``required_fields`` lists what a complete registration needs
    (初始登记不完整 is a correction the county issues), e.g. ["respondent", "amount"]."""

    class Kind(models.TextChoices):
        DISPUTE = "dispute", _("矛盾纠纷")
        PETITION = "petition", _("信访事项")
        CONSULTATION = "consultation", _("咨询/即办")
        LEGAL_AID = "legal_aid", _("法律援助")
        COUNSELLING = "counselling", _("心理疏导")

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50, unique=True)
    kind = models.CharField(_("性质"), max_length=16, choices=Kind.choices, default=Kind.DISPUTE)
    required_fields = models.JSONField(_("必填项"), default=list, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    # 久未进展: working days without a progress note or an event after which a case in
    # handling is listed and a correction suggested (dispatch/stalls.py). Blank: the period
    # table's "no_progress" row; 0: not watched.
    stall_workdays = models.PositiveSmallIntegerField(
        _("久未进展提示(工作日)"),
        null=True,
        blank=True,
        help_text=_("留空则使用期限表「久未进展提示」;填0表示不提示"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("纠纷类别")
        verbose_name_plural = _("纠纷类别")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A staff member. Officers and mediators belong to a department, clerks to a window."""

    full_name = models.CharField(_("姓名"), max_length=30, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("所属部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    window = models.ForeignKey(
        Window,
        verbose_name=_("所在窗口"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    is_department_head = models.BooleanField(_("部门负责人"), default=False)
    mobile = models.CharField(_("手机号"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class StaffToken(models.Model):
    """A staff member's API token (luodian_platform.tokens): only its SHA-256 is stored, it
    expires (``STAFF_TOKEN_DAYS``) and its owner can revoke it on their own page. Replaces
    DRF's authtoken, whose keys sat in the database in plaintext and never expired."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("用户")
    )
    name = models.CharField(_("用途"), max_length=50)
    token_hash = models.CharField(_("令牌摘要"), max_length=64, unique=True)
    prefix = models.CharField(_("前缀"), max_length=8)
    created_at = models.DateTimeField(_("签发时间"), default=timezone.now)
    expires_at = models.DateTimeField(_("到期时间"), db_index=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")

    def __str__(self) -> str:
        return f"{self.user_id} {self.prefix}… {self.name}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class HolidayOverride(models.Model):
    """An administrator's entry for a day the ``chinese-calendar`` package does not know
    (a new year's official schedule), or a local correction. Overrides win."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("是工作日"))
    name = models.CharField(_("说明"), max_length=50, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日调整")
        verbose_name_plural = _("节假日调整")

    def __str__(self) -> str:
        return f"{self.date} {'班' if self.is_workday else '休'} {self.name}"


class CalendarYear(models.Model):
    """Marks a year whose full official schedule has been entered by hand, so that
    working-day counting stops warning about it."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    note = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("已录入日历年份")
        verbose_name_plural = _("已录入日历年份")

    def __str__(self) -> str:
        return str(self.year)


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """In-app notification centre (站内消息). One row per message per user.

    ``key`` is the outbound message's idempotency key (e.g. ``reminder-42``): a repeat
    after a crash between sending and recording finds the row already there and is
    dropped. Cases are referred to by number and URL only: this app is upstream of
    ``intake`` and cannot point a foreign key at it.
    """

    recipient = models.ForeignKey(
        User, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="notifications"
    )
    key = models.CharField(_("幂等键"), max_length=64)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=200, blank=True)
    case_number = models.CharField(_("案件编号"), max_length=20, blank=True)
    urgent = models.BooleanField(_("紧急"), default=False)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_unique_key")
        ]
        indexes = [
            # The header's unread badge: one indexed count per page view.
            models.Index(
                fields=["recipient"],
                name="notification_unread_idx",
                condition=models.Q(read_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.title


class Period(models.Model):
    """期限表: one row per statutory or local period the platform times. Every clock reads
    its length, unit and extension from here (``luodian_platform.periods.period``); the
    legal basis is shown to users next to the date it produced. Seeded from
    ``luodian_platform.periods.PERIOD_DEFAULTS``; an administrator may change any row."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    amount = models.PositiveIntegerField(_("期限"))
    unit = models.CharField(_("计算单位"), max_length=10, choices=Unit.choices)
    extension_amount = models.PositiveIntegerField(_("每次延长"), default=0)
    max_extensions = models.PositiveSmallIntegerField(_("最多延长次数"), default=0)
    starts_on = models.CharField(_("起算事件"), max_length=200)
    legal_basis = models.CharField(_("依据"), max_length=300)
    unit_basis = models.CharField(
        _("计算单位说明"),
        max_length=300,
        blank=True,
        help_text=_("法律写「日」而程序规定按工作日计算等情形,写明所选单位的依据"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("期限")
        verbose_name_plural = _("期限表")

    def __str__(self) -> str:
        return f"{self.name}:{self.amount}{self.get_unit_display()}"

    @property
    def phrase(self) -> str:
        """「30日」「7个工作日」「8个工作小时」「4小时」: the length as a sentence says it."""
        return {
            Unit.DAYS: "%s日",
            Unit.WORKDAYS: "%s个工作日",
            Unit.WORKHOURS: "%s个工作小时",
            Unit.HOURS: "%s小时",
        }.get(self.unit, "%s") % self.amount

    @property
    def display(self) -> str:
        """「7个工作日,…(《法律援助法》第四十三条…)」 — what pages print next to a date, in the
        reader's language (``phrase`` stays Chinese: it goes into legal documents)."""
        ext = ""
        if self.extension_amount and self.max_extensions:
            ext = str(_("，可延长%(p)s")) % {"p": amount_label(self.unit, self.extension_amount)}
        return f"{amount_label(self.unit, self.amount)}{ext}({self.legal_basis})"


def amount_label(unit: str, n: int) -> str:
    """A period's length for the page: 「7个工作日」, "7 working days"."""
    labels = {
        Unit.DAYS: _("%(n)s日"),
        Unit.WORKDAYS: _("%(n)s个工作日"),
        Unit.WORKHOURS: _("%(n)s个工作小时"),
        Unit.HOURS: _("%(n)s小时"),
    }
    return str(labels.get(unit, "%(n)s")) % {"n": n}
