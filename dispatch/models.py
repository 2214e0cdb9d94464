"""The dispatch room's rules: where a case goes and how long the department has."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake.models import Channel
from luodian_platform.models import Category, Department, Township
from luodian_platform.workcal import Unit


class DeadlineRule(models.Model):
    """办理时限: per category and optionally per channel. The most specific rule wins
    (category+channel, then category, then channel, then the default with neither)."""

    # How each unit counts: luodian_platform.workcal (calendar days move past a closing
    # rest day, working hours count office hours only).
    Unit = Unit

    name = models.CharField(_("名称"), max_length=100)
    category = models.ForeignKey(
        Category, verbose_name=_("类别"), null=True, blank=True, on_delete=models.CASCADE
    )
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices, blank=True)
    sign_amount = models.PositiveIntegerField(_("签收时限"), default=8)
    sign_unit = models.CharField(
        _("签收时限单位"), max_length=10, choices=Unit.choices, default=Unit.WORKHOURS
    )
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
            # One rule per (category or none, channel): the missing category counts as a
            # value (0), which every database can index (SQLite has no NULLS NOT DISTINCT).
            models.UniqueConstraint(
                Coalesce("category", Value(0)),
                "channel",
                name="deadline_rule_unique",
                violation_error_message=_("该类别和渠道已有一条办理时限规则。"),
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


class DispatchRecord(models.Model):
    """One row per dispatch (派单): who routed the case where, whether the routing
    suggestion was followed, the co-handling departments (协办), and whether the deadline
    was computed over a year with no calendar data (then weekends-only: warn, don't hide).

    ``is_current`` marks the dispatch the case is under now; a return (退单) ends it."""

    case = models.ForeignKey(
        "intake.Case",
        related_name="dispatch_records",
        on_delete=models.PROTECT,
        verbose_name=_("案件"),
    )
    department = models.ForeignKey(
        Department, verbose_name=_("牵头部门"), on_delete=models.PROTECT, related_name="+"
    )
    co_departments = models.ManyToManyField(
        Department, verbose_name=_("协办部门"), blank=True, related_name="co_dispatches"
    )
    rule = models.ForeignKey(
        RoutingRule,
        verbose_name=_("建议规则"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    followed_suggestion = models.BooleanField(_("采纳分流建议"), default=False)
    forced = models.BooleanField(_("强制派单"), default=False)
    reset_clock = models.BooleanField(_("重新计时"), default=False)
    due_at = models.DateTimeField(_("办理时限"), null=True, blank=True)
    # Years the deadline computation crossed that neither chinese-calendar nor an
    # administrator knows: the deadline counted weekends only for those days.
    calendar_unknown_years = models.JSONField(_("日历缺失年份"), default=list, blank=True)
    is_current = models.BooleanField(default=True, verbose_name=_("当前派单"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("派单人"),
    )
    at = models.DateTimeField(_("派单时间"), default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("派单记录")
        verbose_name_plural = _("派单记录")
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(is_current=True), name="dispatch_one_current"
            )
        ]
        indexes = [
            # Dispatch workbench: current dispatch records whose deadline was computed
            # without an official holiday calendar (calendar warnings).
            models.Index(
                fields=["due_at"],
                name="dispatchrec_calendar_idx",
                condition=Q(is_current=True) & ~Q(calendar_unknown_years=[]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.department}"

    @property
    def calendar_warning(self) -> bool:
        return bool(self.calendar_unknown_years)


class ExtensionRequest(models.Model):
    """延期申请: asked by the department before the deadline, decided by the centre."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REFUSED = "refused", _("不予批准")

    case = models.ForeignKey(
        "intake.Case",
        related_name="extension_requests",
        on_delete=models.PROTECT,
        verbose_name=_("案件"),
    )
    department = models.ForeignKey(
        Department, verbose_name=_("申请部门"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("延期理由"), max_length=2000)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("申请人"),
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    due_at_before = models.DateTimeField(_("原办理时限"), null=True, blank=True)
    due_at_after = models.DateTimeField(_("延期后时限"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("审批人"),
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True, max_length=2000)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        constraints = [
            # One open request per case: a second click cannot queue a second extension.
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="pending"), name="extension_one_pending"
            )
        ]
        indexes = [models.Index(fields=["status", "requested_at"], name="extension_status_idx")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.get_status_display()}"


class Supervision(models.Model):
    """催办 → 督办 → 通报: escalating records against a department on a case, each with a
    response deadline and the department's written response."""

    class Level(models.IntegerChoices):
        URGE = 1, _("催办")
        SUPERVISE = 2, _("督办")
        NOTICE = 3, _("通报")

    case = models.ForeignKey(
        "intake.Case", related_name="supervisions", on_delete=models.PROTECT, verbose_name=_("案件")
    )
    department = models.ForeignKey(
        Department, verbose_name=_("被督办部门"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.PositiveSmallIntegerField(_("级别"), choices=Level.choices)
    message = models.TextField(_("督办内容"), max_length=2000)
    response_due_at = models.DateTimeField(_("回复时限"), db_index=True)
    automatic = models.BooleanField(_("系统自动"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("发起人"),
    )
    created_at = models.DateTimeField(_("发起时间"), default=timezone.now)
    response = models.TextField(_("部门回复"), blank=True, max_length=5000)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("回复人"),
    )
    responded_at = models.DateTimeField(_("回复时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("催办督办")
        verbose_name_plural = _("催办督办")
        constraints = [
            # The reminder sweep may run on several workers and many times a day: one
            # automatic record per case, department and level (deduplicated by the database).
            models.UniqueConstraint(
                fields=["case", "department", "level"],
                condition=Q(automatic=True),
                name="supervision_one_automatic_per_level",
            )
        ]
        indexes = [
            models.Index(fields=["department", "responded_at"], name="supervision_dept_open_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.case_id}"

    @property
    def is_answered(self) -> bool:
        return self.responded_at is not None


class Correction(models.Model):
    """问题纠偏: a problem recorded against a department or an officer, with a rectification
    deadline and the feedback; serious ones lead to a public notice or a formal talk."""

    class Problem(models.TextChoices):
        INCOMPLETE_REGISTRATION = "incomplete_registration", _("初始登记不完整")
        INACCURATE_ROUTING = "inaccurate_routing", _("分流不准确")
        LATE_HANDLING = "late_handling", _("办理不及时")
        PERFUNCTORY_MEDIATION = "perfunctory_mediation", _("调解走过场")
        UNCIVIL_LANGUAGE = "uncivil_language", _("语言不文明")
        CRUDE_METHODS = "crude_methods", _("方法简单粗暴")
        NON_STANDARD_REPLY = "non_standard_reply", _("答复不规范")
        SLOW_COMMUNICATION = "slow_communication", _("沟通反馈不及时")

    class Measure(models.TextChoices):
        REMIND = "remind", _("即时提醒")
        RECTIFY = "rectify", _("限期整改")
        REPORT = "report", _("限期核查报告")
        NOTICE = "notice", _("通报")
        TALK = "talk", _("约谈")

    SERIOUS_MEASURES = (Measure.NOTICE, Measure.TALK)

    case = models.ForeignKey(
        "intake.Case",
        related_name="corrections",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("案件"),
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("责任部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("责任人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
    )
    problem = models.CharField(_("问题类型"), max_length=32, choices=Problem.choices)
    description = models.TextField(_("问题描述"), max_length=5000)
    serious = models.BooleanField(_("情节严重"), default=False)
    measure = models.CharField(_("处理措施"), max_length=10, choices=Measure.choices)
    rectify_due_at = models.DateTimeField(_("整改时限"), null=True, blank=True, db_index=True)
    talk_at = models.DateTimeField(_("约谈时间"), null=True, blank=True)
    talk_record = models.TextField(_("约谈记录"), blank=True, max_length=5000)
    suggested = models.BooleanField(_("系统建议"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("记录人"),
    )
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)
    feedback = models.TextField(_("整改反馈"), blank=True, max_length=5000)
    feedback_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("反馈人"),
    )
    feedback_at = models.DateTimeField(_("反馈时间"), null=True, blank=True)
    # A correction without a case (against a department or an officer): when the desk was
    # told that its rectification deadline passed (followup.worksteps; a correction on a case
    # is told through a reminder row of that case instead). Set in the transaction that
    # sends, so the sweep tells each correction once.
    due_notified_at = models.DateTimeField(_("整改到期提醒时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("问题纠偏")
        verbose_name_plural = _("问题纠偏")
        constraints = [
            models.CheckConstraint(
                condition=Q(department__isnull=False) | Q(officer__isnull=False),
                name="correction_has_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_problem_display()} {self.department or self.officer}"


class CalendarEstimate(models.Model):
    """A date some clock computed over a year the holiday calendar did not know (counted
    weekends-only): an estimate that every page showing it must say is one.

    It keeps how the date was computed (start, amount, unit) so that, when an
    administrator enters that year's holidays, ``dispatch.clocks.recompute_estimates``
    computes it again and writes it back to ``target_field`` of the target row, with an
    event on the case; so does a holiday entered or changed later for a year it crossed. ``chained`` rows start from the previous row's result for the same
    target (an extension or a resume after an estimated deadline)."""

    case = models.ForeignKey(
        "intake.Case",
        verbose_name=_("案件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calendar_estimates",
    )
    clock = models.CharField(_("期限"), max_length=40)
    target_model = models.CharField(_("所在记录类型"), max_length=60)
    target_id = models.PositiveBigIntegerField(_("所在记录"))
    target_field = models.CharField(_("所在字段"), max_length=40)
    start = models.DateTimeField(_("起算时间"))
    amount = models.FloatField(_("期限"))
    unit = models.CharField(_("单位"), max_length=10, choices=Unit.choices)
    chained = models.BooleanField(_("接续前一期限"), default=False)
    due_at = models.DateTimeField(_("估算时限"))
    # Years still unknown (open while not empty), and the years unknown when first counted:
    # a holiday entered later for one of those recomputes the row even once resolved.
    years = models.JSONField(_("日历缺失年份"), default=list)
    crossed_years = models.JSONField(_("计算时缺失年份"), default=list)
    created_at = models.DateTimeField(_("计算时间"), default=timezone.now)
    resolved_at = models.DateTimeField(_("已重算"), null=True, blank=True)
    # A fresh computation of the same target (a new dispatch clock) ends the chain.
    superseded_at = models.DateTimeField(_("被新期限取代"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("估算期限")
        verbose_name_plural = _("估算期限")
        indexes = [
            models.Index(
                fields=["target_model", "target_id", "target_field"],
                name="estimate_target_idx",
            ),
            models.Index(
                fields=["due_at"], name="estimate_open_idx", condition=Q(resolved_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clock} {self.target_model}:{self.target_id} {self.years}"


class Stall(models.Model):
    """久未进展: a case in handling with no progress note and no event for N working days
    (the category's ``stall_workdays`` or the period table's ``no_progress``), found by the
    periodic sweep (``dispatch.stalls.stalls_sweep``). One row per case per stall: the
    unique (case, since) makes a second sweep a no-op; new activity on the case ends the
    stall (``resolved_at``), and a later silence is a new stall. The centre issues the
    suggested correction (办理不及时) with one click; it is never issued automatically."""

    case = models.ForeignKey(
        "intake.Case", on_delete=models.CASCADE, related_name="stalls", verbose_name=_("案件")
    )
    since = models.DateTimeField(_("最后一次进展或流转"))
    workdays = models.PositiveSmallIntegerField(_("提示天数(工作日)"))
    detected_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    resolved_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    correction = models.OneToOneField(
        Correction,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="stall",
        verbose_name=_("已发出的纠偏"),
    )

    class Meta:
        ordering = ["since", "id"]
        verbose_name = _("久未进展")
        verbose_name_plural = _("久未进展")
        constraints = [
            models.UniqueConstraint(fields=["case", "since"], name="stall_case_since"),
        ]
        indexes = [
            # The workbench panel and the suggestions read the open stalls only.
            models.Index(
                fields=["since", "id"],
                name="stall_open_idx",
                condition=Q(resolved_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.since:%Y-%m-%d}"
