"""Follow-up's rows: reminders (the platform's clock), visits (回访), escalation and
follow-up plans, the nightly statistics, 12345 satisfaction results, court filings
and the evaluation weights.

Reminder lifecycle (see ``followup.reminders.deliver``)::

    pending ──claim (SELECT … FOR UPDATE SKIP LOCKED), send, record — one transaction──▶ sent
       │  failure or worker death: the transaction rolls back, the row stays pending
       └── too many failures → failed; no longer relevant (case moved on) → cancelled
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from intake.models import Case, Channel
from luodian_platform.models import Category, Department, Township


class ReminderKind(models.TextChoices):
    NEW_CASE = "new_case", _("新案件待处理")
    DISPATCHED = "dispatched", _("新派单待签收")
    SIGN_DUE = "sign_due", _("签收即将超时")
    SIGN_OVERDUE = "sign_overdue", _("签收已超时")
    DUE_SOON = "due_soon", _("办理即将到期")
    OVERDUE = "overdue", _("办理已超期")
    AUTO_URGE = "auto_urge", _("自动催办")
    EXTENSION_PENDING = "extension_pending", _("延期申请待审批")
    PERFORMANCE_DUE = "performance_due", _("协议履行期限")
    CONFIRMATION_WINDOW = "confirmation_window", _("司法确认申请期限")
    VISIT_DUE = "visit_due", _("回访到期")
    STEP_DUE = "step_due", _("法定程序期限(信访、劳动仲裁)")
    # Work steps that put something on someone's desk (followup.worksteps).
    RETURNED = "returned", _("退单待重新派单")
    SUPERVISION = "supervision", _("催办、督办或通报")
    REPLY_PENDING = "reply_pending", _("答复待审核")
    SENT_BACK = "sent_back", _("答复被退回重办")
    CORRECTION = "correction", _("问题纠偏")
    CORRECTION_DUE = "correction_due", _("整改期限已到")
    EXTENSION_DECIDED = "extension_decided", _("延期申请已审批")
    SESSION_BOOKED = "session_booked", _("调解已预约")
    VISIT_ASSIGNED = "visit_assigned", _("回访任务已分派")
    VISIT_REMOVED = "visit_removed", _("回访任务已改派他人")


class Reminder(models.Model):
    """One reminder to one person about one threshold of one case.

    The unique constraint is what makes the sweep idempotent: two sweeps (two beat
    processes by mistake, or a retry) insert the same row once. ``threshold`` names the
    deadline it is about (e.g. ``2026-03-02T23:59/+1wd``) so a new deadline after rework
    or extension gets new reminders.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")
        CANCELLED = "cancelled", _("已取消")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("案件")
    )
    kind = models.CharField(_("类型"), max_length=24, choices=ReminderKind.choices)
    threshold = models.CharField(_("节点"), max_length=64)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("接收人"),
    )
    due_at = models.DateTimeField(_("发送时间"))
    urgent = models.BooleanField(_("紧急(不受工作时间限制)"), default=False)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("领取时间"))
    # Last hand-off to a worker; a fresh one is not repeated by the next sweep.
    enqueued_at = models.DateTimeField(null=True, blank=True, verbose_name=_("入队时间"))
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.CharField(max_length=500, blank=True, verbose_name=_("最近错误"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("提醒")
        verbose_name_plural = _("提醒")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "threshold", "recipient"], name="reminder_unique"
            )
        ]
        indexes = [
            # The sender's scan: pending rows by due time (partial, stays small).
            models.Index(
                fields=["due_at"], name="reminder_pending_due_idx", condition=Q(status="pending")
            ),
            # Lease recovery: rows stuck in "sending" after a worker died.
            models.Index(
                fields=["claimed_at"],
                name="reminder_sending_idx",
                condition=Q(status="sending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.threshold} → {self.recipient_id}"

    @property
    def idempotency_key(self) -> str:
        return f"reminder-{self.pk}"


class NotificationRule(models.Model):
    """Which channels besides the in-app centre carry one kind of notification (站内消息
    is always sent). A kind without a row uses ``settings.NOTIFICATION_CHANNELS``."""

    kind = models.CharField(_("提醒类型"), max_length=24, choices=ReminderKind.choices, unique=True)
    sms = models.BooleanField(_("短信"), default=False)
    email = models.BooleanField(_("电子邮件"), default=False)
    # Parties are not staff accounts: they hear of a booked session by SMS only.
    parties_sms = models.BooleanField(
        _("短信通知当事人(仅调解预约)"),
        default=True,
        help_text=_("调解预约时向留有手机号的当事人发送短信;其他类型的消息不发给当事人。"),
    )

    class Meta:
        ordering = ["kind"]
        verbose_name = _("消息发送规则")
        verbose_name_plural = _("消息发送规则")

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def channels(self) -> list[str]:
        return ["inapp"] + (["sms"] if self.sms else []) + (["email"] if self.email else [])


class PartySmsKind(models.TextChoices):
    SESSION_BOOKED = "session_booked", _("调解已预约")
    # The citizen's side (citizen.messages): the receipt of an online application and the
    # signed links to evaluate a closed round, confirm a notice or an agreement term.
    CITIZEN_APPLIED = "citizen_applied", _("网上申请已收到")
    CITIZEN_EVALUATE = "citizen_evaluate", _("邀请评价办理结果")
    CITIZEN_NOTICE = "citizen_notice", _("告知书送达确认")
    CITIZEN_TERM = "citizen_term", _("协议履行确认")


class PartySms(models.Model):
    """An SMS to someone without a staff account about a case: a party (当事人), or a
    committee mediator or expert booked on a session (调解员、专家, ``mediator``); exactly
    one of the two. Written in the step's transaction, unique by ``key`` (one per step per
    person), handed to a worker after commit and claimed with ``SELECT … FOR UPDATE SKIP
    LOCKED`` like a reminder (``followup.worksteps.deliver_party_sms``): one outbox and one
    send path with retries for both, also for the citizen's side's receipts and links. The
    text holds no personal data; the number is read (decrypted) from the party's or the
    mediator's row when sending.

    A signed link (evaluate, confirm) is a credential, and this table is audited and shown
    in the admin: the row keeps only ``link`` = the purpose and the ids the link names, and
    the text has ``{link}`` where the link goes; the link is signed when the SMS is sent
    (``worksteps.register_party_sms_link``) and never stored."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        SKIPPED = "skipped", _("无手机号,未发送")
        FAILED = "failed", _("发送失败")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="party_sms", verbose_name=_("案件")
    )
    party = models.ForeignKey(
        "intake.Party",
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("当事人"),
    )
    mediator = models.ForeignKey(
        "mediation.Mediator",
        on_delete=models.CASCADE,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("调解员/专家"),
    )
    kind = models.CharField(_("类型"), max_length=24, choices=PartySmsKind.choices)
    key = models.CharField(_("幂等键"), max_length=64, unique=True)
    text = models.CharField(_("内容"), max_length=300)
    # {"purpose": "evaluate", "data": {"c": 1, "r": 0, "p": 2}}: what to sign at send time.
    link = models.JSONField(_("链接参数"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)
    enqueued_at = models.DateTimeField(_("入队时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("短信(当事人、调解员)")
        verbose_name_plural = _("短信(当事人、调解员)")
        indexes = [
            models.Index(
                fields=["created_at"], name="party_sms_pending_idx", condition=Q(status="pending")
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(party__isnull=False, mediator__isnull=True)
                | Q(party__isnull=True, mediator__isnull=False),
                name="party_sms_one_recipient",
            )
        ]

    def __str__(self) -> str:
        return self.key


class Audience(models.TextChoices):
    OFFICER = "officer", _("承办人")
    HEAD = "head", _("部门负责人")
    DISPATCHER = "dispatcher", _("调度员")
    SUPERVISOR = "supervisor", _("督查/领导")


class EscalationStep(models.Model):
    """Overdue escalation (超期升级): after N working days overdue, tell this audience.
    With no rows the defaults in ``followup.reminders.DEFAULT_ESCALATION`` apply."""

    after_workdays = models.PositiveSmallIntegerField(_("超期工作日数"))
    audience = models.CharField(_("提醒对象"), max_length=12, choices=Audience.choices)
    urgent = models.BooleanField(_("紧急(夜间和节假日也发送)"), default=False)

    class Meta:
        ordering = ["after_workdays", "audience"]
        verbose_name = _("超期升级规则")
        verbose_name_plural = _("超期升级规则")
        constraints = [
            models.UniqueConstraint(
                fields=["after_workdays", "audience"], name="escalation_step_unique"
            )
        ]

    def __str__(self) -> str:
        return f"+{self.after_workdays} {self.get_audience_display()}"


class FollowupPlan(models.Model):
    """回访计划 per category (none = the default plan): visits after closing, e.g.
    ``[{"amount": 3, "unit": "workdays"}, {"amount": 30, "unit": "days"}]``."""

    category = models.OneToOneField(
        Category, verbose_name=_("类别"), null=True, blank=True, on_delete=models.CASCADE
    )
    offsets = models.JSONField(_("回访节点"), default=list)
    max_attempts = models.PositiveSmallIntegerField(_("最多拨打次数"), default=3)
    enabled = models.BooleanField(_("需要回访"), default=True)

    class Meta:
        verbose_name = _("回访计划")
        verbose_name_plural = _("回访计划")
        constraints = [
            # One default plan (no category) at most; portable form of NULLS NOT DISTINCT.
            models.UniqueConstraint(
                Coalesce("category", Value(0)),
                name="followup_plan_unique",
                violation_error_message=_("该类别已有回访计划。"),
            )
        ]

    def __str__(self) -> str:
        return str(self.category or _("默认"))


class AssignmentCursor(models.Model):
    """Round-robin pointer (轮流分配): locked while assigning, like the case counter."""

    key = models.CharField(max_length=32, primary_key=True, verbose_name=_("分配键"))
    last_user_id = models.BigIntegerField(default=0, verbose_name=_("上次分配用户"))

    class Meta:
        verbose_name = _("回访分配游标")
        verbose_name_plural = _("回访分配游标")

    def __str__(self) -> str:
        return f"{self.key}: {self.last_user_id}"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


POSITIVE_SATISFACTION = [Satisfaction.SATISFIED, Satisfaction.BASIC]
# The seq of a round's citizen evaluation (plans number their visits from 1).
CITIZEN_SEQ = 0


class Visit(models.Model):
    """A follow-up visit (回访) of one round of a case (round = the case's rework count
    when it was closed; a rework closes into a new round with new visits)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("待回访")
        DONE = "done", _("已回访")
        UNREACHABLE = "unreachable", _("无法联系")
        CANCELLED = "cancelled", _("已取消")

    class Source(models.TextChoices):
        CALL = "call", _("回访员回访")
        CITIZEN = "citizen", _("当事人网上评价")

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="visits", verbose_name=_("案件")
    )
    # A round's own evaluation by the applicant (signed SMS link, issue 21) is a visit of
    # that round with seq 0 (CITIZEN_SEQ): the unique (case, round, seq) makes it one per
    # round, and it counts in the evaluation as a platform visit (followup.method).
    source = models.CharField(
        _("评价来源"), max_length=8, choices=Source.choices, default=Source.CALL
    )
    round = models.PositiveSmallIntegerField(_("轮次"), default=0)
    seq = models.PositiveSmallIntegerField(_("序号"), default=1)
    due_date = models.DateField(_("回访日期"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.SCHEDULED
    )
    max_attempts = models.PositiveSmallIntegerField(_("最多拨打次数"), default=3)
    failed_attempts = models.PositiveSmallIntegerField(_("未接通次数"), default=0)
    satisfaction = models.CharField(
        _("满意度"), max_length=12, choices=Satisfaction.choices, blank=True
    )
    agreement_performed = models.BooleanField(_("协议是否履行"), null=True, blank=True)
    comments = models.TextField(_("回访意见"), blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True, db_index=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("回访人"),
    )
    led_to_rework = models.BooleanField(_("已重办"), default=False)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("创建时间"))

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        constraints = [
            models.UniqueConstraint(fields=["case", "round", "seq"], name="visit_unique_seq")
        ]
        indexes = [
            # Workbench and sweep: scheduled visits by due date (and by officer).
            models.Index(
                fields=["assignee", "due_date"],
                name="visit_open_due_idx",
                condition=Q(status="scheduled"),
            ),
            models.Index(
                fields=["due_date"], name="visit_sched_due_idx", condition=Q(status="scheduled")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.round}/{self.seq} {self.due_date}"


class VisitAttempt(models.Model):
    """One call (拨打记录), reached or not."""

    visit = models.ForeignKey(
        Visit, on_delete=models.CASCADE, related_name="attempts", verbose_name=_("回访")
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("回访人"),
    )
    at = models.DateTimeField(default=timezone.now, verbose_name=_("时间"))
    reached = models.BooleanField(_("已接通"))
    note = models.CharField(_("备注"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("回访尝试")
        verbose_name_plural = _("回访尝试")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.at:%Y-%m-%d %H:%M} {self.reached}"


class SatisfactionResult(models.Model):
    """A satisfaction rating from a channel (12345 回访结果), matched by channel + external id."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="channel_ratings", verbose_name=_("案件")
    )
    channel = models.CharField(_("渠道"), max_length=20, choices=Channel.choices)
    external_id = models.CharField(_("渠道工单号"), max_length=64)
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices)
    rated_at = models.DateTimeField(_("评价时间"), default=timezone.now, db_index=True)
    comment = models.CharField(_("备注"), max_length=500, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("导入人"),
    )

    class Meta:
        verbose_name = _("渠道满意度")
        verbose_name_plural = _("渠道满意度")
        constraints = [
            # Re-importing the same file updates, never double-counts.
            models.UniqueConstraint(
                fields=["channel", "external_id", "rated_at"], name="satisfaction_result_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id} {self.satisfaction}"


class DailyStat(models.Model):
    """Nightly roll-up (每日统计): one row per day × department × township (the case's; for
    a visit or a 12345 result, its case's), for the evaluation and trends over long periods
    without scanning cases. The figures are the evaluation's own definitions
    (``followup.evaluation``) for that day, so a closed day read from here equals the same day
    computed live. *Why this grain:* the evaluation groups by unit; a finer grain (category ×
    channel) made a year 4× more rows to sum and nothing read it."""

    date = models.DateField(_("日期"), db_index=True)
    department = models.ForeignKey(
        Department, null=True, on_delete=models.CASCADE, verbose_name=_("部门")
    )
    township = models.ForeignKey(
        Township, null=True, on_delete=models.CASCADE, verbose_name=_("乡镇街道")
    )
    received = models.PositiveIntegerField(default=0, verbose_name=_("受理数"))
    # Received through the departments' screening channel (排查).
    screening = models.PositiveIntegerField(default=0, verbose_name=_("排查受理数"))
    closed = models.PositiveIntegerField(default=0, verbose_name=_("办结数"))
    # Replied (else closed) no later than the deadline / after it.
    closed_on_time = models.PositiveIntegerField(default=0, verbose_name=_("按时办结数"))
    closed_late = models.PositiveIntegerField(default=0, verbose_name=_("超期办结数"))
    # Closed with an agreement that took effect / with an agreement or a notice.
    agreements = models.PositiveIntegerField(default=0, verbose_name=_("达成协议数"))
    mediated = models.PositiveIntegerField(default=0, verbose_name=_("协议或告知书办结数"))
    # Sums (seconds) of registration → closing over ``closed`` and registration → agreement
    # effective over ``agreements``: averages over any period are sum ÷ count.
    handled_seconds = models.FloatField(default=0, verbose_name=_("办理时长合计(秒)"))
    agreement_seconds = models.FloatField(default=0, verbose_name=_("至协议生效时长合计(秒)"))
    visits_done = models.PositiveIntegerField(default=0, verbose_name=_("完成回访数"))
    visits_positive = models.PositiveIntegerField(default=0, verbose_name=_("满意回访数"))
    hotline_rated = models.PositiveIntegerField(default=0, verbose_name=_("12345评价数"))
    hotline_positive = models.PositiveIntegerField(default=0, verbose_name=_("12345满意数"))

    class Meta:
        verbose_name = _("每日统计")
        verbose_name_plural = _("每日统计")
        constraints = [
            # "No department/township" (NULL) is one row per day, on every database: the
            # portable form of NULLS NOT DISTINCT (as main's other constraints).
            models.UniqueConstraint(
                "date",
                Coalesce("department", Value(0)),
                Coalesce("township", Value(0)),
                name="daily_stat_unit_unique",
                violation_error_message=_("该日的这一组统计已存在。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.received}/{self.closed}"


class RollupDay(models.Model):
    """A day whose ``DailyStat`` rows are complete: the evaluation reads a period's days from
    the roll-up only up to the first day missing here, and computes the rest live."""

    date = models.DateField(_("日期"), unique=True)
    rolled_at = models.DateTimeField(_("汇总时间"), default=timezone.now)
    rows = models.PositiveIntegerField(_("行数"), default=0)

    class Meta:
        verbose_name = _("已汇总日期")
        verbose_name_plural = _("已汇总日期")

    def __str__(self) -> str:
        return str(self.date)


class CourtFiling(models.Model):
    """法院一审民事、行政案件收案数, entered monthly (county-wide or per township)."""

    month = models.DateField(_("月份(当月1日)"))
    township = models.ForeignKey(
        Township, verbose_name=_("乡镇街道"), null=True, blank=True, on_delete=models.CASCADE
    )
    civil = models.PositiveIntegerField(_("一审民事收案"), default=0)
    administrative = models.PositiveIntegerField(_("一审行政收案"), default=0)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("录入人"),
    )

    class Meta:
        ordering = ["-month"]
        verbose_name = _("法院收案数")
        verbose_name_plural = _("法院收案数")
        constraints = [
            # One county-wide row (no township) per month; portable NULLS NOT DISTINCT.
            models.UniqueConstraint(
                "month",
                Coalesce("township", Value(0)),
                name="court_filing_unique",
                violation_error_message=_("该月份和乡镇的法院收案数已录入。"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.township or ''}"


class EvaluationWeight(models.Model):
    """考评权重, editable by an administrator. Rates score up to ``weight`` points;
    counts deduct ``weight`` points each."""

    metric = models.CharField(_("指标"), max_length=32, unique=True)
    weight = models.DecimalField(_("权重/扣分"), max_digits=6, decimal_places=2)

    class Meta:
        verbose_name = _("考评权重")
        verbose_name_plural = _("考评权重")
        permissions = [("view_county_ranking", _("可查看全县考评排名"))]

    def __str__(self) -> str:
        return f"{self.metric}={self.weight}"
