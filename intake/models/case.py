"""The case (一案一码) and its parties and event log. The lifecycle is declared here once.

::

    received ──take_in──▶ registered ──dispatch──▶ dispatched ──sign_for──▶ accepted
       │                    │   ▲                     │                    │  ▲
       │ reject/merge       │   └──────return (退单)───┴────────────────────┘  │ send_back
       ▼                    ▼                                     start_mediation│
    rejected / merged   handle_on_spot ─▶ closed ◀─approve── replied ◀─reply── mediating
                                          │  ▲                                   (accepted too)
                                   archive▼  └── reopen (重办) from closed/archived ─▶ dispatched
                                        archived
    accepted/mediating ──suspend──▶ suspended ──resume──▶ (where it was)

The README's Mermaid diagram is generated from these transitions
(``manage.py lifecycle_diagram``) and a test keeps the two equal.

Transition methods only set fields. Writes go through the service functions
(``intake.services`` and the downstream apps' services), which lock the row,
call the transition, save and append a ``CaseEvent`` in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, transition

from luodian_platform.models import Category, Department, Township, Window
from luodian_platform.roles import Role, user_has_role

from .choices import (
    HANDLING_STATES,
    OPEN_STATES,
    Channel,
    Outcome,
    RiskLevel,
    State,
    labels,
)

# --- who may perform a transition (django_fsm permission callables) -------------------


def _is_dispatcher(case: Case, user) -> bool:
    return user_has_role(user, Role.DISPATCHER, Role.ADMIN)


def _is_handler(case: Case, user) -> bool:
    """An officer or mediator of the department the case is with."""
    return (
        user_has_role(user, Role.OFFICER, Role.MEDIATOR)
        and case.department_id is not None
        and user.department_id == case.department_id
    )


def _may_merge(case: Case, user) -> bool:
    return _is_dispatcher(case, user) or (
        user_has_role(user, Role.CLERK) and case.registered_by_id == user.pk
    )


def _may_approve(case: Case, user) -> bool:
    # The centre reviews; nobody approves a reply they wrote themselves.
    return (
        user_has_role(user, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN)
        and case.replied_by_id != user.pk
    )


def _may_handle_on_spot(case: Case, user) -> bool:
    return user_has_role(user, Role.CLERK) and case.registered_by_id == user.pk


def _may_archive(case: Case, user) -> bool:
    return user_has_role(user, Role.FOLLOWUP, Role.DISPATCHER, Role.ADMIN)


def _may_reopen(case: Case, user) -> bool:
    return user_has_role(user, Role.FOLLOWUP, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN)


def _has_reply_document(case: Case) -> bool:
    return bool(case.outcome) and bool(case.reply_document)


def _not_forced(case: Case) -> bool:
    return not case.forced_dispatch


# --- access: one place ------------------------------------------------------------------

# Downstream apps (mediation, followup) register extra visibility here from their
# AppConfig.ready(), e.g. "a mediator also sees the cases whose sessions they sit in".
# Each entry maps a role to a callable user -> Q over Case.
VISIBILITY_EXTENSIONS: dict[str, list[Callable[[object], Q]]] = {}


def register_visibility(role: str, q_for_user: Callable[[object], Q]) -> None:
    VISIBILITY_EXTENSIONS.setdefault(str(role), []).append(q_for_user)


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user) -> CaseQuerySet:
        """Every page, endpoint, export and search filters cases through here.

        Dispatchers, supervisors and administrators see the county; clerks what they
        registered; officers and mediators their department's cases; other roles what
        the downstream apps register (sessions, visits). Everything else is invisible
        (and answers 404).
        """
        from luodian_platform.roles import user_roles

        roles = user_roles(user)
        if not roles:
            return self.none()
        if roles & {Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN}:
            return self.all()
        q = Q(pk__in=[])
        if Role.CLERK in roles:
            q |= Q(registered_by=user)
        if roles & {Role.OFFICER, Role.MEDIATOR} and user.department_id:
            q |= Q(department_id=user.department_id)
        for role in roles:
            for extension in VISIBILITY_EXTENSIONS.get(role, []):
                q |= extension(user)
        return self.filter(q)

    def open(self) -> CaseQuerySet:
        return self.filter(state__in=OPEN_STATES)


class CaseCounter(models.Model):
    """One row per year; locked while numbering so numbers are gap-free (no max()+1)."""

    year = models.PositiveSmallIntegerField(primary_key=True, verbose_name=_("年度"))
    last = models.PositiveIntegerField(default=0, verbose_name=_("已用最大号"))

    class Meta:
        verbose_name = _("案件编号计数")
        verbose_name_plural = _("案件编号计数")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Case(FSMModelMixin, models.Model):
    number = models.CharField(_("案件编号"), max_length=20, unique=True)
    title = models.CharField(_("标题"), max_length=200)
    facts = models.TextField(_("事实与诉求"), max_length=10000)
    request = models.TextField(_("当事人诉求"), max_length=5000, blank=True)
    category = models.ForeignKey(Category, verbose_name=_("类别"), on_delete=models.PROTECT)
    channel = models.CharField(
        _("来源渠道"), max_length=20, choices=Channel.choices, default=Channel.WALK_IN
    )
    external_id = models.CharField(_("渠道工单号"), max_length=64, blank=True)
    township = models.ForeignKey(
        Township, verbose_name=_("乡镇街道"), null=True, blank=True, on_delete=models.PROTECT
    )
    place = models.CharField(_("发生地点"), max_length=200, blank=True)
    amount = models.DecimalField(
        _("涉及金额(元)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    people_count = models.PositiveIntegerField(_("涉及人数"), default=1)
    risk_level = models.CharField(
        _("风险等级"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    is_group = models.BooleanField(_("群体性"), default=False)
    is_repeat = models.BooleanField(_("重复访"), default=False)
    is_violence_risk = models.BooleanField(_("民转刑风险"), default=False)
    is_vulnerable = models.BooleanField(_("涉弱势群体"), default=False)
    window = models.ForeignKey(
        Window, verbose_name=_("登记窗口"), null=True, blank=True, on_delete=models.PROTECT
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registered_cases",
    )

    state = FSMField(
        _("状态"), default=State.REGISTERED, choices=State.choices, protected=True, db_index=True
    )
    # Bumped on every transition; clients send the version they saw to detect a race.
    version = models.PositiveIntegerField(default=0, verbose_name=_("版本号"))

    department = models.ForeignKey(
        Department,
        verbose_name=_("承办部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("承办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    dispatched_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    sign_due_at = models.DateTimeField(_("签收时限"), null=True, blank=True)
    due_at = models.DateTimeField(_("办理时限"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("中止时间"), null=True, blank=True)
    suspended_from = models.CharField(max_length=20, blank=True, verbose_name=_("中止前状态"))
    bounce_count = models.PositiveSmallIntegerField(_("退单次数"), default=0)
    forced_dispatch = models.BooleanField(_("强制派单"), default=False)
    extension_count = models.PositiveSmallIntegerField(_("延期次数"), default=0)
    rework_count = models.PositiveSmallIntegerField(_("重办次数"), default=0)

    outcome = models.CharField(_("办理结果"), max_length=16, choices=Outcome.choices, blank=True)
    reply_text = models.TextField(_("答复意见"), blank=True)
    reply_document = models.CharField(_("答复文书"), max_length=100, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("答复人"),
    )
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    agreement_signed_at = models.DateTimeField(_("协议签订时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True, db_index=True)
    archived_at = models.DateTimeField(_("归档时间"), null=True, blank=True)

    reject_reason = models.TextField(_("不予受理理由"), blank=True)
    reject_channel = models.CharField(_("应转渠道"), max_length=100, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("合并至"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_cases",
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("更新时间"))

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        permissions = [
            ("dispatch_case", _("可派单与审核")),
            ("handle_case", _("可承办案件")),
            ("followup_case", _("可回访")),
            ("supervise_case", _("可督办考评")),
        ]
        constraints = [
            # One case, one code: a channel order is a case once (idempotent intake).
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="case_unique_channel_external_id",
            ),
        ]
        indexes = [
            # Dispatch room overdue/due-soon lists and the deadline sweep: open cases by due time.
            models.Index(
                fields=["due_at"], name="case_open_due_idx", condition=Q(state__in=HANDLING_STATES)
            ),
            models.Index(fields=["department", "state"], name="case_dept_state_idx"),
            # Dispatch room workbench, 高风险 list: open high-risk cases by due time
            # (dispatch/views.py workbench). The condition must stay the same expression as
            # the query's exclude(state__in=...) so PostgreSQL can use the partial index.
            models.Index(
                fields=["due_at", "id"],
                name="case_open_high_risk_idx",
                condition=Q(risk_level=RiskLevel.HIGH)
                & ~Q(state__in=[State.CLOSED, State.ARCHIVED, State.REJECTED, State.MERGED]),
            ),
            # Case list ?state= (API and page, keyset on -created_at, -id) and the dispatch
            # inbox (state=received), first and deep pages without a sort.
            models.Index(fields=["state", "-created_at", "-id"], name="case_state_created_idx"),
            # Supervisor dashboard (followup.selectors.dashboard): the open/overdue/high-risk
            # counts read this index only, and the risk watch walks it in due_at order and
            # stops after 40 rows (1M cases: 713 -> 131 ms for the whole dashboard).
            # The counted columns are trailing key columns, not INCLUDE ones: the same
            # index-only scans on PostgreSQL, and SQLite (no INCLUDE) keeps them too.
            models.Index(
                fields=["due_at", "-created_at", "state", "risk_level", "id"],
                name="case_open_watch_idx",
                condition=Q(state__in=OPEN_STATES),
            ),
            # A channel reads its own orders changed since a moment (GET /api/channel/orders/
            # ?since=, Open311 GET requests): channel orders only, by change time.
            models.Index(
                fields=["channel", "updated_at", "id"],
                name="case_channel_updated_idx",
                condition=~Q(external_id=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    # ----- lifecycle ------------------------------------------------------------------
    @transition(
        field=state,
        source=State.RECEIVED,
        target=State.REGISTERED,
        permission=_is_dispatcher,
        custom={"label": _("一键接单")},
    )
    def take_in(self) -> None:
        pass

    @transition(
        field=state,
        source=[State.RECEIVED, State.REGISTERED],
        target=State.REJECTED,
        permission=_is_dispatcher,
        custom={"label": _("不予受理")},
    )
    def reject(self, *, reason: str, route_to: str = "") -> None:
        self.reject_reason = reason
        self.reject_channel = route_to

    @transition(
        field=state,
        source=[State.RECEIVED, State.REGISTERED],
        target=State.MERGED,
        permission=_may_merge,
        custom={"label": _("合并")},
    )
    def merge(self, *, into: Case) -> None:
        self.merged_into = into

    @transition(
        field=state,
        source=State.REGISTERED,
        target=State.DISPATCHED,
        permission=_is_dispatcher,
        custom={"label": _("派单")},
    )
    def dispatch(
        self, *, department: Department, at, sign_due_at, due_at, forced: bool = False
    ) -> None:
        self.department = department
        self.assignee = None
        self.accepted_at = None
        self.sign_due_at = sign_due_at
        # The clock starts at the first dispatch and a bounce does not reset it
        # unless the centre passes a new deadline (see dispatch.services.case_dispatch).
        if self.dispatched_at is None or due_at is not None:
            self.dispatched_at = self.dispatched_at or at
            self.due_at = due_at
        self.forced_dispatch = forced

    @transition(
        field=state,
        source=State.DISPATCHED,
        target=State.ACCEPTED,
        permission=_is_handler,
        custom={"label": _("签收")},
    )
    def sign_for(self, *, by, at) -> None:
        self.assignee = by
        self.accepted_at = at

    @transition(
        field=state,
        source=[State.DISPATCHED, State.ACCEPTED],
        target=State.REGISTERED,
        permission=_is_handler,
        conditions=[_not_forced],
        custom={"label": _("退单")},
    )
    def return_case(self) -> None:
        self.bounce_count += 1
        self.department = None
        self.assignee = None
        self.accepted_at = None
        self.sign_due_at = None

    @transition(
        field=state,
        source=State.ACCEPTED,
        target=State.MEDIATING,
        permission=_is_handler,
        custom={"label": _("组织调解")},
    )
    def start_mediation(self) -> None:
        pass

    @transition(
        field=state,
        source=[State.ACCEPTED, State.MEDIATING],
        target=State.SUSPENDED,
        permission=_is_handler,
        custom={"label": _("中止")},
    )
    def suspend(self, *, at) -> None:
        self.suspended_from = self.state
        self.suspended_at = at

    @transition(
        field=state,
        source=State.SUSPENDED,
        target=RETURN_VALUE(State.ACCEPTED, State.MEDIATING),
        permission=_is_handler,
        custom={"label": _("恢复办理")},
    )
    def resume(self, *, new_due_at) -> str:
        back_to = self.suspended_from or State.ACCEPTED
        self.due_at = new_due_at
        self.suspended_from = ""
        self.suspended_at = None
        return back_to

    @transition(
        field=state,
        source=[State.ACCEPTED, State.MEDIATING],
        target=State.REPLIED,
        permission=_is_handler,
        custom={"label": _("办结答复")},
    )
    def reply(self, *, outcome: str, text: str, document: str, by, at) -> None:
        self.outcome = outcome
        self.reply_text = text
        self.reply_document = document
        self.replied_by = by
        self.replied_at = at

    @transition(
        field=state,
        source=State.REPLIED,
        target=State.CLOSED,
        permission=_may_approve,
        conditions=[_has_reply_document],
        custom={"label": _("审核通过")},
    )
    def approve(self, *, at) -> None:
        self.closed_at = at

    @transition(
        field=state,
        source=State.REPLIED,
        target=State.ACCEPTED,
        permission=_is_dispatcher,
        custom={"label": _("退回重办")},
    )
    def send_back(self) -> None:
        self.replied_at = None

    @transition(
        field=state,
        source=State.REGISTERED,
        target=State.CLOSED,
        permission=_may_handle_on_spot,
        custom={"label": _("当场办结")},
    )
    def handle_on_spot(self, *, answer: str, by, at) -> None:
        self.outcome = Outcome.HANDLED
        self.reply_text = answer
        self.reply_document = "即办件答复"
        self.replied_by = by
        self.replied_at = at
        self.closed_at = at

    @transition(
        field=state,
        source=State.CLOSED,
        target=State.ARCHIVED,
        permission=_may_archive,
        custom={"label": _("归档")},
    )
    def archive(self, *, at) -> None:
        self.archived_at = at

    @transition(
        field=state,
        source=[State.CLOSED, State.ARCHIVED],
        target=State.DISPATCHED,
        permission=_may_reopen,
        custom={"label": _("重办")},
    )
    def reopen(self, *, at, due_at) -> None:
        self.rework_count += 1
        self.dispatched_at = at
        self.due_at = due_at
        self.sign_due_at = None
        self.closed_at = None
        self.archived_at = None
        self.outcome = ""
        self.reply_document = ""
        self.replied_by = None
        self.replied_at = None

    # ----- simple properties ----------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def state_label(self) -> str:
        """``get_state_display()`` without resolving every label of the set per call."""
        return labels(State).get(self.state, self.state)

    @property
    def risk_label(self) -> str:
        return labels(RiskLevel).get(self.risk_level, self.risk_level)

    @property
    def is_overdue(self) -> bool:
        return Case.overdue(self.state, self.due_at)

    @staticmethod
    def overdue(state: str, due_at) -> bool:
        """Being handled past its deadline (also for list rows read as values, not models)."""
        return bool(due_at and state in HANDLING_STATES and due_at < timezone.now())


# What the retention purge leaves of a name (luodian_platform.crypto registry).
