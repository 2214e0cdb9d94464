"""Writes of the dispatch room and the departments: dispatch, sign for, return,
suspend/resume, and the centre's review of replies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.lifecycle import lock_visible_case, run_transition
from intake.models import Case, CaseEvent, State
from luodian_platform.errors import Conflict, NotAllowed, NotFound, ServiceError
from luodian_platform.lookups import held
from luodian_platform.models import Department, User
from luodian_platform.roles import Role, user_has_role
from luodian_platform.workcal import WorkCalendar, paused_amount

from . import stalls
from .clocks import compute, compute_period, flag
from .deadlines import handling_deadlines, rule_for
from .models import Correction, DispatchRecord, ExtensionRequest, Stall, Supervision
from .routing import routing_suggest
from .selectors import correction_visible, supervision_visible


def _end_current_dispatch(case: Case) -> None:
    DispatchRecord.objects.filter(case=case, is_current=True).update(is_current=False)


def department_is_staffed(department: Department) -> bool:
    """Whether an active officer of ``department`` could sign for a case dispatched to it."""
    return held(
        ("department_staffed", department.pk),
        User.objects.filter(
            department=department, is_active=True, groups__name=Role.OFFICER
        ).exists,
        (User, User.groups.through),
    )


def case_dispatch(
    *,
    case_id: int,
    department: Department,
    actor,
    note: str = "",
    co_departments: Iterable[Department] = (),
    reset_clock: bool = False,
    confirm_unstaffed: bool = False,
    expected_version: int | None = None,
) -> Case:
    """派单 to a lead department, optionally with co-handling departments (协办).

    The clock starts at the first dispatch; re-dispatching after a return keeps it unless
    the centre decides to reset it (``reset_clock``). After the configured number of
    returns the dispatch is final (强制派单): the department cannot return it again.
    The routing suggestion in force is recorded with whether the dispatcher followed it,
    and so are the calendar years the deadline crossed without holiday data."""
    if not department.is_active:
        raise ServiceError(
            _("该部门已停用,不能派单。"), fields={"department": _("请选择其他部门。")}
        )
    if not confirm_unstaffed and not department_is_staffed(department):
        # Nobody could sign for it: the case would sit unseen until the sweep escalates.
        raise ServiceError(
            _(
                "「%(d)s」目前没有在岗的承办人账号,派单后无人签收。"
                "请改派其他部门;确需派给该部门(如线下交办)请勾选“确认派给无在岗承办人的部门”。"
            )
            % {"d": department.name},
            code="unstaffed",
            fields={"confirm_unstaffed": _("该部门没有在岗承办人。")},
        )
    co = [d for d in dict.fromkeys(co_departments) if d.pk != department.pk]
    if any(not d.is_active for d in co):
        raise ServiceError(
            _("协办部门中有已停用的部门。"), fields={"co_departments": _("请重新选择协办部门。")}
        )
    now = timezone.now()
    cal = WorkCalendar.load()
    # Filled while the row is locked; run_transition writes the event after kwargs() runs.
    payload: dict = {
        "department": department.code,
        "co_departments": [d.code for d in co],
        "reset_clock": reset_clock,
    }
    computed: dict = {}

    def kwargs(case: Case) -> dict:
        sign, handling = handling_deadlines(case, now, cal)
        first = case.dispatched_at is None
        suggestion = routing_suggest(case)
        unknown = sorted(set(handling.years) | set(sign.years)) if (first or reset_clock) else []
        computed.update(suggestion=suggestion, unknown=unknown, sign=sign, handling=handling)
        computed["new_clock"] = first or reset_clock
        payload["followed_suggestion"] = bool(
            suggestion and suggestion.department.pk == department.pk
        )
        if unknown:
            payload["calendar_unknown_years"] = unknown
        return {
            "department": department,
            "at": now,
            "sign_due_at": sign.due,
            "due_at": handling.due if (first or reset_clock) else None,
            "forced": case.bounce_count >= settings.FORCED_DISPATCH_AFTER_RETURNS,
        }

    def after(case: Case) -> None:
        DispatchRecord.objects.filter(case=case, is_current=True).update(is_current=False)
        suggestion = computed["suggestion"]
        record = DispatchRecord.objects.create(
            case=case,
            department=department,
            rule=suggestion.rule if suggestion else None,
            followed_suggestion=payload["followed_suggestion"],
            forced=case.forced_dispatch,
            reset_clock=reset_clock,
            due_at=case.due_at,
            calendar_unknown_years=computed["unknown"],
            actor=actor,
            at=now,
        )
        if co:
            record.co_departments.set(co)
        flag(computed["sign"], target=case, field_name="sign_due_at", case=case)
        if computed["new_clock"]:
            flag(computed["handling"], target=case, field_name="due_at", case=case)

    return run_transition(
        case_id=case_id,
        name="dispatch",
        actor=actor,
        expected_version=expected_version,
        kwargs=kwargs,
        note=note,
        payload=payload,
        after=after,
    )


def case_dispatch_suggested(
    *,
    case_id: int,
    actor,
    note: str = "",
    confirm_unstaffed: bool = False,
    expected_version: int | None = None,
) -> Case:
    """确认分流建议: one click dispatches to the suggested lead and co-handling departments."""
    case = Case.objects.visible_to(actor).filter(pk=case_id).first()
    if case is None:
        raise NotFound(_("案件不存在或您无权查看。"))
    suggestion = routing_suggest(case)
    if suggestion is None:
        raise Conflict(_("该类别没有可用的分流规则,请手动选择承办部门。"), code="no_suggestion")
    return case_dispatch(
        case_id=case_id,
        department=suggestion.department,
        co_departments=suggestion.co_departments,
        actor=actor,
        note=note,
        confirm_unstaffed=confirm_unstaffed,
        expected_version=expected_version,
    )


def case_sign_for(*, case_id: int, actor, expected_version: int | None = None) -> Case:
    """签收 by an officer of the department the case was dispatched to."""
    return run_transition(
        case_id=case_id,
        name="sign_for",
        actor=actor,
        expected_version=expected_version,
        kwargs={"by": actor, "at": timezone.now()},
    )


def case_return(
    *, case_id: int, actor, reason: str, legal_basis: str = "", expected_version: int | None = None
) -> Case:
    """退单: the case is outside the department's duties. Reason required; counts a bounce."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("退单必须说明理由。"), fields={"reason": _("请填写退单理由。")})
    payload: dict = {"legal_basis": (legal_basis or "").strip()}

    def before(case: Case) -> None:
        # Who returned it, for the routing-accuracy figures (the case forgets on return).
        payload["department"] = case.department.code if case.department_id else ""

    return run_transition(
        case_id=case_id,
        name="return_case",
        actor=actor,
        expected_version=expected_version,
        note=reason,
        payload=payload,
        before=before,
        after=_end_current_dispatch,
    )


def case_suspend(*, case_id: int, actor, reason: str, expected_version: int | None = None) -> Case:
    """中止: the clock pauses, e.g. while waiting for a party's materials."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("中止必须说明理由。"), fields={"reason": _("请填写中止理由。")})
    return run_transition(
        case_id=case_id,
        name="suspend",
        actor=actor,
        expected_version=expected_version,
        kwargs={"at": timezone.now()},
        note=reason,
    )


def case_resume(*, case_id: int, actor, expected_version: int | None = None) -> Case:
    """恢复: the deadline moves by the time the case spent suspended, counted in the
    handling rule's own unit (a 60-day 信访 period gets its calendar days back, a
    working-day rule its working days)."""
    now = timezone.now()
    held: dict = {}
    payload: dict = {}

    def kwargs(case: Case) -> dict:
        new_due = case.due_at
        if case.due_at and case.suspended_at:
            unit = rule_for(case).handle_unit
            cal = WorkCalendar.load()
            paused = paused_amount(case.suspended_at, now, unit, cal)
            held["c"] = c = compute(
                "handling", start=case.due_at, amount=paused, unit=unit, cal=cal, chained=True
            )
            new_due = c.due
            payload.update(paused=paused, unit=unit)
            if c.years:
                payload["calendar_unknown_years"] = c.years
        return {"new_due_at": new_due}

    def after(case: Case) -> None:
        if "c" in held:
            flag(held["c"], target=case, field_name="due_at", case=case)

    return run_transition(
        case_id=case_id,
        name="resume",
        actor=actor,
        expected_version=expected_version,
        kwargs=kwargs,
        payload=payload,
        after=after,
    )


def case_approve(
    *, case_id: int, actor, note: str = "", expected_version: int | None = None
) -> Case:
    """中心审核通过: the reply is accepted and the case is closed (follow-up due)."""
    return run_transition(
        case_id=case_id,
        name="approve",
        actor=actor,
        expected_version=expected_version,
        kwargs={"at": timezone.now()},
        note=note,
    )


def case_send_back(
    *, case_id: int, actor, reason: str, expected_version: int | None = None
) -> Case:
    """中心审核不通过: back to the department to redo, with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("退回重办必须说明理由。"), fields={"reason": _("请填写退回理由。")})
    return run_transition(
        case_id=case_id,
        name="send_back",
        actor=actor,
        expected_version=expected_version,
        note=reason,
    )


# --- extensions (延期申请) ------------------------------------------------------------

# States in which a department may ask for more time: it holds the case and the clock runs.
EXTENSION_STATES = (State.DISPATCHED, State.ACCEPTED, State.MEDIATING)


def _is_case_handler(case: Case, user) -> bool:
    return (
        user_has_role(user, Role.OFFICER, Role.MEDIATOR)
        and case.department_id is not None
        and getattr(user, "department_id", None) == case.department_id
    )


def _log(case: Case, *, name: str, actor, note: str = "", payload: dict | None = None) -> None:
    """An event-log row for a change that is not a state transition."""
    CaseEvent.objects.create(
        case=case,
        transition=name,
        from_state=case.state,
        to_state=case.state,
        actor=actor if getattr(actor, "pk", None) else None,
        note=note,
        payload=payload or {},
    )


def extension_request(*, case_id: int, actor, reason: str) -> ExtensionRequest:
    """延期申请 by the department holding the case, before its deadline, within the rule's
    limit of extensions, one open request at a time."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("申请延期必须说明理由。"), fields={"reason": _("请填写延期理由。")})
    with transaction.atomic():
        case = lock_visible_case(case_id, actor)
        if not _is_case_handler(case, actor):
            raise NotAllowed(_("只有承办部门可以申请延期。"))
        if case.state not in EXTENSION_STATES or case.due_at is None:
            raise Conflict(
                _("案件当前状态为「%(state)s」,不能申请延期。")
                % {"state": case.get_state_display()},
                code="illegal_state",
            )
        if timezone.now() >= case.due_at:
            raise Conflict(_("已超过办理时限,不能再申请延期。"), code="deadline_passed")
        rule = rule_for(case)
        if case.extension_count >= rule.max_extensions:
            raise Conflict(
                _("该案件已延期%(n)s次,已达「%(rule)s」规定的上限。")
                % {"n": case.extension_count, "rule": rule.name},
                code="extension_limit",
            )
        if ExtensionRequest.objects.filter(
            case=case, status=ExtensionRequest.Status.PENDING
        ).exists():
            raise Conflict(_("已有一份延期申请在审批中。"), code="extension_pending")
        ext = ExtensionRequest.objects.create(
            case=case,
            department_id=case.department_id,
            reason=reason,
            requested_by=actor,
            due_at_before=case.due_at,
        )
        _log(case, name="extension_requested", actor=actor, note=reason, payload={"id": ext.pk})
    return ext


def extension_decide(
    *, extension_id: int, actor, approve: bool, note: str = ""
) -> ExtensionRequest:
    """The centre approves (the deadline moves by the rule's extension in the rule's unit)
    or refuses (with a reason) a pending request."""
    note = (note or "").strip()
    if not approve and not note:
        raise ServiceError(
            _("不予批准必须说明理由。"), fields={"note": _("请填写不予批准的理由。")}
        )
    ext = ExtensionRequest.objects.filter(pk=extension_id).only("case_id").first()
    if ext is None:
        raise NotFound(_("延期申请不存在或您无权查看。"))
    with transaction.atomic():
        case = lock_visible_case(ext.case_id, actor)
        ext = ExtensionRequest.objects.select_for_update().get(pk=extension_id)
        if not user_has_role(actor, Role.DISPATCHER, Role.ADMIN):
            raise NotAllowed(_("只有调度中心可以审批延期申请。"))
        if ext.status != ExtensionRequest.Status.PENDING:
            raise Conflict(
                _("该延期申请已处理(%(s)s)。") % {"s": ext.get_status_display()},
                code="already_decided",
            )
        now = timezone.now()
        ext.decided_by, ext.decided_at, ext.decision_note = actor, now, note
        payload: dict = {"id": ext.pk}
        if approve:
            rule = rule_for(case)
            if case.extension_count >= rule.max_extensions:
                raise Conflict(
                    _("该案件已延期%(n)s次,已达「%(rule)s」规定的上限。")
                    % {"n": case.extension_count, "rule": rule.name},
                    code="extension_limit",
                )
            if case.due_at is None:
                raise Conflict(_("案件没有办理时限,无法延期。"), code="no_deadline")
            unit = rule.handle_unit
            c = compute(
                "handling",
                start=case.due_at,
                amount=rule.extension_amount,
                unit=unit,
                chained=True,
            )
            new_due = c.due
            payload.update(
                due_at_before=case.due_at.isoformat(),
                due_at_after=new_due.isoformat(),
                amount=rule.extension_amount,
                unit=unit,
            )
            if c.years:
                payload["calendar_unknown_years"] = c.years
            ext.status = ExtensionRequest.Status.APPROVED
            ext.due_at_after = new_due
            case.due_at = new_due
            case.extension_count += 1
            case.version += 1
            case.save(update_fields=["due_at", "extension_count", "version", "updated_at"])
            DispatchRecord.objects.filter(case=case, is_current=True).update(due_at=new_due)
            flag(c, target=case, field_name="due_at", case=case)
            _log(case, name="extension_approved", actor=actor, note=note, payload=payload)
        else:
            ext.status = ExtensionRequest.Status.REFUSED
            _log(case, name="extension_refused", actor=actor, note=note, payload=payload)
        ext.save()
    return ext


# --- urge → supervise → notice (催办 → 督办 → 通报) -----------------------------------------

# The period-table rows that give a department's time to answer each level.
RESPONSE_PERIOD = {
    Supervision.Level.URGE: "supervision_urge",
    Supervision.Level.SUPERVISE: "supervision_supervise",
    Supervision.Level.NOTICE: "supervision_notice",
}
SUPERVISION_EVENT = {
    Supervision.Level.URGE: "urge",
    Supervision.Level.SUPERVISE: "supervise",
    Supervision.Level.NOTICE: "notice",
}


def may_supervise(user) -> bool:
    return user_has_role(user, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN)


def supervision_create(
    *,
    case_id: int,
    level: int,
    actor,
    message: str,
    department: Department | None = None,
    response_due_at: dt.datetime | None = None,
    automatic: bool = False,
) -> Supervision:
    """Record an urge (催办), a supervision order (督办) or a public notice (通报) against a
    department on a case.

    Escalation goes one level at a time: a supervision order needs an earlier urge and a
    notice an earlier supervision order against the same department on the same case.

    ``automatic=True`` is for the background reminder sweep (``actor`` may be None): it is
    idempotent — a second call for the same case, department and level returns the record
    already made (a unique constraint settles races between workers)."""
    message = (message or "").strip()
    try:
        level = Supervision.Level(int(level))
    except (TypeError, ValueError):
        raise ServiceError(
            _("督办级别无效。"), fields={"level": _("请选择催办、督办或通报。")}
        ) from None
    if not message:
        raise ServiceError(_("请填写督办内容。"), fields={"message": _("请填写督办内容。")})
    if not automatic and not may_supervise(actor):
        if not Case.objects.visible_to(actor).filter(pk=case_id).exists():
            _raise_not_found()  # invisible answers 404, not 403
        raise NotAllowed(_("只有调度中心或督查人员可以催办督办。"))
    with transaction.atomic():
        if automatic and actor is None:
            case = Case.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
            if case is None:
                _raise_not_found()
        else:
            case = lock_visible_case(case_id, actor)
        dept = department or case.department
        if dept is None:
            raise ServiceError(
                _("案件尚未派给承办部门,请指定被督办部门。"),
                fields={"department": _("请选择被督办部门。")},
            )
        if automatic:
            existing = Supervision.objects.filter(
                case=case, department=dept, level=level, automatic=True
            ).first()
            if existing is not None:
                return existing
        if (
            level > Supervision.Level.URGE
            and not Supervision.objects.filter(case=case, department=dept, level=level - 1).exists()
        ):
            raise Conflict(
                _("须先「%(prev)s」,才能「%(level)s」。")
                % {"prev": Supervision.Level(level - 1).label, "level": level.label},
                code="escalation_order",
            )
        now = timezone.now()
        computed = None
        if response_due_at is None:
            computed = compute_period(RESPONSE_PERIOD[level], start=now)
            response_due_at = computed.due
        elif response_due_at <= now:
            raise ServiceError(
                _("回复时限必须晚于现在。"), fields={"response_due_at": _("请选择以后的时间。")}
            )
        sup = Supervision.objects.create(
            case=case,
            department=dept,
            level=level,
            message=message,
            response_due_at=response_due_at,
            automatic=automatic,
            created_by=actor if getattr(actor, "pk", None) else None,
            created_at=now,
        )
        if computed is not None:
            flag(computed, target=sup, field_name="response_due_at", case=case)
        _log(
            case,
            name=SUPERVISION_EVENT[level],
            actor=actor,
            note=message,
            payload={"id": sup.pk, "department": dept.code, "automatic": automatic},
        )
    return sup


def _raise_not_found():
    raise NotFound(_("案件不存在或您无权查看。"))


def supervision_respond(*, supervision_id: int, actor, response: str) -> Supervision:
    """The department's written response to an urge, supervision order or notice."""
    response = (response or "").strip()
    if not response:
        raise ServiceError(_("请填写回复内容。"), fields={"response": _("请填写回复内容。")})
    with transaction.atomic():
        sup = (
            supervision_visible(actor).select_for_update(of=("self",)).filter(pk=supervision_id)
        ).first()
        if sup is None:
            raise NotFound(_("督办记录不存在或您无权查看。"))
        if not (
            user_has_role(actor, Role.OFFICER, Role.MEDIATOR)
            and actor.department_id == sup.department_id
        ):
            raise NotAllowed(_("只有被督办部门可以回复。"))
        if sup.responded_at is not None:
            raise Conflict(_("该督办已回复。"), code="already_answered")
        sup.response, sup.responded_by, sup.responded_at = response, actor, timezone.now()
        sup.save(update_fields=["response", "responded_by", "responded_at"])
        _log(
            Case.objects.get(pk=sup.case_id),
            name="supervision_response",
            actor=actor,
            note=response,
            payload={"id": sup.pk},
        )
    return sup


# --- corrections (问题纠偏) -------------------------------------------------------------


def correction_create(
    *,
    actor,
    problem: str,
    description: str,
    measure: str,
    case_id: int | None = None,
    department: Department | None = None,
    officer=None,
    serious: bool = False,
    rectify_due_at: dt.datetime | None = None,
    suggested: bool = False,
) -> Correction:
    """Record a problem against a department or an officer. Serious problems are met with a
    public notice (通报) or a formal talk (约谈); the others with a reminder, a rectification
    order or an order to investigate and report, each by a deadline."""
    if not may_supervise(actor):
        raise NotAllowed(_("只有调度中心或督查人员可以记录问题纠偏。"))
    description = (description or "").strip()
    errors = {}
    if problem not in Correction.Problem.values:
        errors["problem"] = _("请选择问题类型。")
    if measure not in Correction.Measure.values:
        errors["measure"] = _("请选择处理措施。")
    elif serious and measure not in Correction.SERIOUS_MEASURES:
        errors["measure"] = _("情节严重的问题须通报或约谈。")
    if not description:
        errors["description"] = _("请描述问题。")
    if department is None and officer is None:
        errors["department"] = _("请指定责任部门或责任人。")
    if officer is not None and department is None:
        department = officer.department
    if (
        department is not None
        and officer is not None
        and officer.department_id
        not in (
            None,
            department.pk,
        )
    ):
        errors["officer"] = _("责任人不属于所选部门。")
    now = timezone.now()
    computed = None
    if measure in (Correction.Measure.RECTIFY, Correction.Measure.REPORT):
        if rectify_due_at is None:
            computed = compute_period("correction_rectify", start=now)
            rectify_due_at = computed.due
        elif rectify_due_at <= now:
            errors["rectify_due_at"] = _("整改时限必须晚于现在。")
    if errors:
        raise ServiceError(_("提交的数据有误,请按字段提示修改。"), fields=errors)
    with transaction.atomic():
        case = lock_visible_case(case_id, actor) if case_id is not None else None
        corr = Correction.objects.create(
            case=case,
            department=department,
            officer=officer,
            problem=problem,
            description=description,
            serious=serious,
            measure=measure,
            rectify_due_at=rectify_due_at,
            suggested=suggested,
            created_by=actor,
            created_at=now,
        )
        if computed is not None:
            flag(computed, target=corr, field_name="rectify_due_at", case=case)
        if case is not None:
            _log(
                case,
                name="correction",
                actor=actor,
                note=description,
                payload={"id": corr.pk, "problem": problem, "measure": measure},
            )
    return corr


def correction_feedback(*, correction_id: int, actor, feedback: str) -> Correction:
    """整改反馈 by the department concerned (or the officer named)."""
    feedback = (feedback or "").strip()
    if not feedback:
        raise ServiceError(_("请填写整改反馈。"), fields={"feedback": _("请填写整改反馈。")})
    with transaction.atomic():
        corr = (
            correction_visible(actor).select_for_update(of=("self",)).filter(pk=correction_id)
        ).first()
        if corr is None:
            raise NotFound(_("纠偏记录不存在或您无权查看。"))
        own = corr.officer_id == actor.pk or (
            user_has_role(actor, Role.OFFICER, Role.MEDIATOR)
            and corr.department_id is not None
            and actor.department_id == corr.department_id
        )
        if not own:
            raise NotAllowed(_("只有被纠偏的部门或责任人可以反馈。"))
        if corr.feedback_at is not None:
            raise Conflict(_("该纠偏已反馈。"), code="already_answered")
        corr.feedback, corr.feedback_by, corr.feedback_at = feedback, actor, timezone.now()
        corr.save(update_fields=["feedback", "feedback_by", "feedback_at"])
    return corr


def correction_record_talk(
    *, correction_id: int, actor, held_at: dt.datetime, record: str
) -> Correction:
    """约谈记录 on a correction whose measure is a formal talk."""
    record = (record or "").strip()
    if not record:
        raise ServiceError(_("请填写约谈记录。"), fields={"record": _("请填写约谈记录。")})
    if not may_supervise(actor):
        raise NotAllowed(_("只有调度中心或督查人员可以记录约谈。"))
    with transaction.atomic():
        corr = Correction.objects.select_for_update().filter(pk=correction_id).first()
        if corr is None:
            raise NotFound(_("纠偏记录不存在或您无权查看。"))
        if corr.measure != Correction.Measure.TALK:
            raise Conflict(_("该纠偏的处理措施不是约谈。"), code="not_talk")
        corr.talk_at, corr.talk_record = held_at, record
        corr.save(update_fields=["talk_at", "talk_record"])
    return corr


# --- the one-click correction ---------------------------------------------------------------


def stall_correction_issue(*, stall_id: int, actor) -> Correction:
    """Issue the suggested correction of a stall: 办理不及时, an immediate reminder (即时提醒)
    to the department handling the case. Once per stall (the stall row is locked and
    linked to the correction in the same transaction)."""
    if not may_supervise(actor):
        raise NotAllowed(_("只有调度中心或督查人员可以记录问题纠偏。"))
    with transaction.atomic():
        stall = (
            Stall.objects.select_for_update()
            .filter(pk=stall_id, case__in=Case.objects.visible_to(actor).values("pk"))
            .first()
        )
        if stall is None:
            raise NotFound(_("久未进展记录不存在或您无权查看。"))
        if stall.correction_id is not None:
            raise Conflict(_("该久未进展已发出纠偏,不会重复发出。"), code="already_issued")
        if stall.resolved_at is not None:
            raise Conflict(_("该案件已有新的办理进展,无需纠偏。"), code="resolved")
        case = Case.objects.select_related("department").get(pk=stall.case_id)
        if case.department_id is None:
            raise Conflict(_("该案件没有承办部门,无法纠偏。"), code="no_department")
        corr = correction_create(
            actor=actor,
            case_id=case.pk,
            department=case.department,
            problem=Correction.Problem.LATE_HANDLING,
            measure=Correction.Measure.REMIND,
            description=_("办理不及时:%(reason)s。请尽快办理并记录办理进展。")
            % {"reason": stalls.stall_reason(stall)},
            suggested=True,
        )
        stall.correction = corr
        stall.save(update_fields=["correction"])
    return corr
