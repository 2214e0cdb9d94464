"""Writes of follow-up: close with visits, archive, rework (重办), record visits, imports.

Closing a case (中心审核通过) is dispatch's ``case_approve``; follow-up does not edit it. The
visits are scheduled by an after-close hook (``signals.py``): the ``approve`` row of the
event log is written inside ``run_transition``'s transaction, and its ``post_save`` calls
``visits_schedule`` there — so every path that closes a case (page, API, a direct call of
``dispatch.services.case_approve``) gets its visits, atomically with the closing. An
override of the ``approve`` action would have missed the direct calls.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from dataclasses import field as dc_field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from dispatch.clocks import compute, flag
from dispatch.deadlines import handling_deadlines
from intake.lifecycle import run_transition
from intake.models import Case, CaseEvent, Channel, State
from intake.services import party_reveal
from luodian_platform.errors import Conflict, NotAllowed, NotFound, ServiceError
from luodian_platform.lookups import held
from luodian_platform.models import User
from luodian_platform.periods import period
from luodian_platform.roles import Role, user_has_role
from luodian_platform.workcal import Unit, WorkCalendar, local_date, local_tz

from . import snapshots, tasks, worksteps
from .models import (
    CITIZEN_SEQ,
    POSITIVE_SATISFACTION,
    AssignmentCursor,
    CourtFiling,
    FollowupPlan,
    Satisfaction,
    SatisfactionResult,
    Visit,
    VisitAttempt,
)

# Visits when no plan row applies: the period table's two visit rows.
DEFAULT_VISIT_PERIODS = ("visit_first", "visit_second")
DEFAULT_MAX_ATTEMPTS = 3


def default_offsets() -> list[dict]:
    rows = [period(code) for code in DEFAULT_VISIT_PERIODS]
    return [{"amount": p.amount, "unit": p.unit} for p in rows]


def plan_for(category_id: int | None) -> FollowupPlan:
    """The category's plan, else the default row, else the built-in default."""
    plans = held(
        ("followup_plans", category_id),
        lambda: {
            p.category_id: p
            for p in FollowupPlan.objects.filter(
                Q(category_id=category_id) | Q(category__isnull=True)
            )
        },
        (FollowupPlan,),
    )
    return (
        plans.get(category_id)
        or plans.get(None)
        or FollowupPlan(offsets=default_offsets(), max_attempts=DEFAULT_MAX_ATTEMPTS)
    )


def next_followup_officer() -> User | None:
    """Follow-up officers in turn (轮流): the row lock serialises concurrent closings."""
    officers = held(
        ("active_with_role", (Role.FOLLOWUP, ())),
        lambda: tuple(
            User.objects.filter(is_active=True, groups__name=Role.FOLLOWUP)
            .order_by("pk")
            .values_list("pk", flat=True)
            .distinct()
        ),
        (User, User.groups.through),
    )
    if not officers:
        return None
    AssignmentCursor.objects.get_or_create(key="visits")
    cursor = AssignmentCursor.objects.select_for_update().get(key="visits")
    chosen = next((pk for pk in officers if pk > cursor.last_user_id), officers[0])
    cursor.last_user_id = chosen
    cursor.save(update_fields=["last_user_id"])
    return User.objects.get(pk=chosen)


def visits_schedule(*, case: Case, at: dt.datetime | None = None) -> list[Visit]:
    """Create this round's visits (e.g. 3 working days and 30 days after closing), all
    assigned to the same follow-up officer, taken in turn. Idempotent per round."""
    plan = plan_for(case.category_id)
    if not plan.enabled or not plan.offsets:
        return []
    at = at or case.closed_at or timezone.now()
    cal = WorkCalendar.load()
    officer = next_followup_officer()
    visits, computed = [], {}
    for seq, offset in enumerate(plan.offsets, start=1):
        unit = offset.get("unit") or Unit.DAYS
        # A visit due on a rest day is moved to the next working day (calendar-day offsets)
        # like any other period; a year without holiday data is flagged.
        computed[seq] = c = compute(
            "visit", start=at, amount=int(offset.get("amount", 0)), unit=unit, cal=cal
        )
        visits.append(
            Visit(
                case=case,
                round=case.rework_count,
                seq=seq,
                due_date=local_date(c.due),
                assignee=officer,
                max_attempts=plan.max_attempts,
            )
        )
    Visit.objects.bulk_create(visits, ignore_conflicts=True)
    for visit in Visit.objects.filter(case=case, round=case.rework_count, seq__in=computed):
        if computed[visit.seq].estimated and local_date(computed[visit.seq].due) == visit.due_date:
            flag(computed[visit.seq], target=visit, field_name="due_date", case=case)
    scheduled = list(Visit.objects.filter(case=case, round=case.rework_count))
    # The follow-up officer is told of each visit once (after commit; see worksteps).
    tasks.publish_on_commit(worksteps.visits_assigned(scheduled))
    return scheduled


def _check_archivable(case: Case) -> None:
    """A round whose last visit found the party dissatisfied or the agreement unperformed
    is not archived (that is a case closed on paper only, 案结事未了): it is reworked."""
    last = (
        Visit.objects.filter(case=case, round=case.rework_count, status=Visit.Status.DONE)
        .order_by("-completed_at", "-pk")
        .first()
    )
    if last is not None and (
        last.satisfaction not in POSITIVE_SATISFACTION or last.agreement_performed is False
    ):
        raise ServiceError(_("回访显示当事人不满意或协议未履行,应重办,不能归档。"))


def case_archive(
    *, case_id: int, actor, note: str = "", expected_version: int | None = None
) -> Case:
    return run_transition(
        case_id=case_id,
        name="archive",
        actor=actor,
        expected_version=expected_version,
        kwargs={"at": timezone.now()},
        note=note,
        before=_check_archivable,
    )


def _cancel_open_visits(case: Case) -> None:
    Visit.objects.filter(case=case, status=Visit.Status.SCHEDULED).update(
        status=Visit.Status.CANCELLED
    )


def case_reopen(
    *,
    case_id: int,
    actor,
    reason: str,
    expected_version: int | None = None,
    on_behalf: str = "",
) -> Case:
    """重办: back to the same department with a new deadline and the reason. The round's
    remaining visits are cancelled; closing again schedules the next round's.
    ``on_behalf="citizen"`` (no actor): the applicant's own evaluation through a signed link
    (``intake.lifecycle.run_transition``)."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("重办必须说明理由。"), fields={"reason": _("请填写重办理由。")})
    now = timezone.now()
    held: dict = {}

    def computed(case: Case):
        held["due"] = handling_deadlines(case, now)[1]
        return held["due"]

    def after(case: Case) -> None:
        _cancel_open_visits(case)
        # The new deadline may reach into a year with no holiday data: flag it.
        flag(held["due"], target=case, field_name="due_at", case=case)

    # The transition clears the reply; the event keeps what it was (the round's history).
    payload: dict = {"reason": reason}

    def kwargs(case: Case) -> dict:
        payload["previous"] = {
            "outcome": case.outcome,
            "document": case.reply_document,
            "replied_at": case.replied_at.isoformat() if case.replied_at else None,
            "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        }
        return {"at": now, "due_at": computed(case).due}

    return run_transition(
        case_id=case_id,
        name="reopen",
        actor=actor,
        expected_version=expected_version,
        kwargs=kwargs,
        note=reason,
        payload=payload,
        after=after,
        on_behalf=on_behalf,
    )


# --- visits ---------------------------------------------------------------------------------


def _visit_for(*, visit_id: int, actor) -> Visit:
    """The visit locked for this transaction, if ``actor`` may record it (else 404)."""
    qs = Visit.objects.select_for_update(of=("self",)).filter(pk=visit_id)
    if not user_has_role(actor, Role.SUPERVISOR, Role.DISPATCHER, Role.ADMIN):
        if not user_has_role(actor, Role.FOLLOWUP):
            raise NotFound(_("回访记录不存在或您无权查看。"))
        qs = qs.filter(assignee=actor)
    visit = qs.first()
    if visit is None:
        raise NotFound(_("回访记录不存在或您无权查看。"))
    return visit


def visit_record(
    *,
    visit_id: int,
    actor,
    reached: bool,
    satisfaction: str = "",
    agreement_performed: bool | None = None,
    comments: str = "",
) -> Visit:
    """Record one call. Not reached: after the plan's number of failed attempts the visit
    is closed as unreachable. Reached: satisfaction (and performance of the agreement);
    dissatisfied or not performed → rework (重办) back to the department with a new
    deadline; the next round's visits are scheduled when it is closed again."""
    comments = (comments or "").strip()
    if reached and satisfaction not in Satisfaction.values:
        raise ServiceError(
            _("请选择满意度。"), fields={"satisfaction": _("请选择满意、基本满意或不满意。")}
        )
    now = timezone.now()
    with transaction.atomic():
        visit = _visit_for(visit_id=visit_id, actor=actor)
        if visit.status != Visit.Status.SCHEDULED:
            raise Conflict(
                _("该回访已「%(s)s」,不能再次记录。") % {"s": visit.get_status_display()},
                code="visit_closed",
            )
        VisitAttempt.objects.create(visit=visit, by=actor, at=now, reached=reached, note=comments)
        if not reached:
            visit.failed_attempts += 1
            if visit.failed_attempts >= visit.max_attempts:
                visit.status = Visit.Status.UNREACHABLE
                visit.completed_at, visit.completed_by = now, actor
            visit.save()
            return visit
        visit.status = Visit.Status.DONE
        visit.satisfaction = satisfaction
        visit.agreement_performed = agreement_performed
        visit.comments = comments
        visit.completed_at, visit.completed_by = now, actor
        negative = satisfaction == Satisfaction.DISSATISFIED or agreement_performed is False
        case_state = Case.objects.filter(pk=visit.case_id).values_list("state", flat=True).first()
        if negative and case_state in (State.CLOSED, State.ARCHIVED):
            reason = (
                _("回访不满意") if satisfaction == Satisfaction.DISSATISFIED else _("协议未履行")
            )
            case_reopen(
                case_id=visit.case_id,
                actor=actor,
                reason=f"{reason}:{comments}" if comments else str(reason),
            )
            visit.led_to_rework = True
        visit.save()
    return visit


# Who hands a visit to another follow-up officer (改派): the centre, which runs the
# follow-up desk, and administrators. A follow-up officer cannot pass their own visits on
# (403; they ask the centre), nor can a supervisor (they oversee, they do not distribute).
REASSIGN_ROLES = (Role.DISPATCHER, Role.ADMIN)


def followup_officers():
    """Active users who may be given visits (the ``followup`` role)."""
    return User.objects.filter(is_active=True, groups__name=Role.FOLLOWUP).distinct().order_by("pk")


def visit_reassign(*, visit_id: int, actor, assignee_id: int | None, reason: str = "") -> Visit:
    """改派回访: give a scheduled visit to another follow-up officer (leave, workload, a
    dialect). The visit is locked, the new officer must hold the follow-up role, the case's
    event log records who moved it from whom to whom and why, and after commit the new
    officer is told of the visit and the previous one that it was taken off them
    (``worksteps.visit_reassigned``). Visits the actor cannot see answer 404."""
    from . import selectors

    if selectors.visit_get(user=actor, pk=visit_id) is None:
        raise NotFound(_("回访记录不存在或您无权查看。"))
    if not user_has_role(actor, *REASSIGN_ROLES):
        raise NotAllowed(_("只有调度中心可以改派回访任务。"))
    reason = (reason or "").strip()
    if len(reason) > 200:
        raise ServiceError(_("改派原因过长。"), fields={"reason": _("请不要超过200字。")})
    officer = followup_officers().filter(pk=assignee_id).first() if assignee_id else None
    if officer is None:
        raise ServiceError(
            _("请选择在岗的回访员。"), fields={"assignee": _("请选择在岗的回访员。")}
        )
    with transaction.atomic():
        visit = Visit.objects.select_for_update(of=("self",)).filter(pk=visit_id).first()
        if visit is None:
            raise NotFound(_("回访记录不存在或您无权查看。"))
        if visit.status != Visit.Status.SCHEDULED:
            raise Conflict(
                _("该回访已「%(s)s」,不能改派。") % {"s": visit.get_status_display()},
                code="visit_closed",
            )
        if visit.assignee_id == officer.pk:
            raise ServiceError(
                _("该回访已由%(name)s负责。") % {"name": officer.display_name},
                fields={"assignee": _("请选择另一名回访员。")},
            )
        previous = visit.assignee
        visit.assignee = officer
        visit.save(update_fields=["assignee"])
        case = Case.objects.only("pk", "state").get(pk=visit.case_id)
        note = _("第%(seq)s次回访(%(date)s):%(old)s → %(new)s") % {
            "seq": visit.seq,
            "date": f"{visit.due_date:%Y-%m-%d}",
            "old": previous.display_name if previous else _("未分派"),
            "new": officer.display_name,
        }
        event = CaseEvent.objects.create(
            case=case,
            transition="visit_reassign",
            from_state=case.state,
            to_state=case.state,
            actor=actor,
            note=f"{note};{reason}" if reason else str(note),
            payload={
                "visit": visit.pk,
                "from": previous.pk if previous else None,
                "to": officer.pk,
            },
        )
        tasks.publish_on_commit(
            worksteps.visit_reassigned(
                visit=visit, previous_id=previous.pk if previous else None, event=event
            )
        )
    return visit


def citizen_evaluation_record(
    *,
    case_id: int,
    round: int,
    satisfaction: str,
    agreement_performed: bool | None = None,
    comments: str = "",
) -> Visit:
    """The applicant's own evaluation of a closed round (满意 / 基本满意 / 不满意, whether the
    agreement was performed), from a signed single-use link the caller has verified. It is
    recorded as a done visit of that round (``source=citizen``, seq ``CITIZEN_SEQ``: one per
    round by the unique constraint) and has the same consequence as a visit's result:
    不满意 or not performed → 重办 (``case_reopen`` on behalf of the citizen)."""
    comments = (comments or "").strip()
    if satisfaction not in Satisfaction.values:
        raise ServiceError(
            _("请选择满意度。"), fields={"satisfaction": _("请选择满意、基本满意或不满意。")}
        )
    if len(comments) > 500:
        raise ServiceError(_("意见过长。"), fields={"comments": _("意见请不要超过500字。")})
    now = timezone.now()
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
        if case is None:
            raise NotFound(_("案件不存在。"))
        if case.rework_count != round or case.state not in (State.CLOSED, State.ARCHIVED):
            raise Conflict(
                _("该案件已重新办理或尚未办结,此评价链接已失效。"), code="evaluation_stale"
            )
        if Visit.objects.filter(case=case, round=round, seq=CITIZEN_SEQ).exists():
            raise Conflict(_("您已评价过本次办理结果,感谢您的反馈。"), code="evaluated")
        visit = Visit.objects.create(
            case=case,
            round=round,
            seq=CITIZEN_SEQ,
            source=Visit.Source.CITIZEN,
            due_date=local_date(now),
            status=Visit.Status.DONE,
            max_attempts=0,
            satisfaction=satisfaction,
            agreement_performed=agreement_performed,
            comments=comments,
            completed_at=now,
        )
        if satisfaction == Satisfaction.DISSATISFIED or agreement_performed is False:
            reason = (
                _("当事人网上评价不满意")
                if satisfaction == Satisfaction.DISSATISFIED
                else _("当事人反映协议未履行")
            )
            case_reopen(
                case_id=case.pk,
                actor=None,
                reason=f"{reason}:{comments}" if comments else str(reason),
                on_behalf="citizen",
            )
            visit.led_to_rework = True
            visit.save(update_fields=["led_to_rework"])
    return visit


def phone_reveal(*, visit_id: int, party_id: int, actor) -> str:
    """The full phone number of a party of the visit's case, logged in the one reveal log
    (intake.PersonalDataReveal, subject "visit", object "visit:<id>")."""
    with transaction.atomic():
        visit = _visit_for(visit_id=visit_id, actor=actor)
        # case_id: the party must belong to the visit's case (else 404), or a follow-up
        # officer could read any visible party's number through their own visit.
        phone = party_reveal(
            party_id=party_id,
            actor=actor,
            reason=f"回访拨号(回访 #{visit.pk})",
            fields=("phone",),
            case_id=visit.case_id,
            subject="visit",
            object_ref=f"visit:{visit.pk}",
        )["phone"]
    return phone


# --- 12345 satisfaction import ----------------------------------------------------------

SATISFACTION_WORDS = {
    "满意": Satisfaction.SATISFIED,
    "非常满意": Satisfaction.SATISFIED,
    "基本满意": Satisfaction.BASIC,
    "一般": Satisfaction.BASIC,
    "不满意": Satisfaction.DISSATISFIED,
    **{v: v for v in Satisfaction.values},
}
IMPORT_HEADERS = {
    "渠道": "channel",
    "工单号": "external_id",
    "满意度": "satisfaction",
    "评价时间": "rated_at",
    "备注": "comment",
}


@dataclass
class ImportReport:
    matched: int = 0
    created: int = 0
    unmatched: list[dict] = dc_field(default_factory=list)


def satisfaction_import(
    *, rows: list[dict], actor, channel: str = Channel.HOTLINE_12345
) -> ImportReport:
    """Import channel satisfaction results, matched to cases by channel + external id.
    Rows that match no case (or are invalid) are reported, not imported. Re-importing the
    same rows changes nothing (unique on channel + external id + time)."""
    if not user_has_role(actor, Role.FOLLOWUP, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN):
        raise NotAllowed(_("只有回访员、调度员或督查人员可以导入满意度。"))
    report = ImportReport()
    wanted = {
        ((r.get("channel") or channel), str(r.get("external_id") or "").strip()) for r in rows
    }
    cases = {
        (ch, ext): pk
        for pk, ch, ext in Case.objects.filter(
            external_id__in={e for _c, e in wanted if e}
        ).values_list("pk", "channel", "external_id")
    }
    objs = []
    for line, r in enumerate(rows, start=1):
        ch = r.get("channel") or channel
        ext = str(r.get("external_id") or "").strip()
        sat = SATISFACTION_WORDS.get(str(r.get("satisfaction") or "").strip())
        reason = ""
        if not ext:
            reason = _("缺少工单号")
        elif sat is None:
            reason = _("满意度无法识别")
        elif (ch, ext) not in cases:
            reason = _("未找到对应案件")
        rated = timezone.now()
        if not reason and r.get("rated_at"):
            parsed = parse_datetime(str(r["rated_at"])) or (
                dt.datetime.combine(parse_date(str(r["rated_at"])), dt.time(12))
                if parse_date(str(r["rated_at"]))
                else None
            )
            if parsed is None:
                reason = _("评价时间格式错误")
            else:
                rated = parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=local_tz())
        if reason:
            report.unmatched.append({"row": line, "external_id": ext, "reason": str(reason)})
            continue
        report.matched += 1
        objs.append(
            SatisfactionResult(
                case_id=cases[(ch, ext)],
                channel=ch,
                external_id=ext,
                satisfaction=sat,
                rated_at=rated,
                comment=str(r.get("comment") or "")[:500],
                imported_by=actor,
            )
        )
    with transaction.atomic():
        before = SatisfactionResult.objects.count()
        SatisfactionResult.objects.bulk_create(objs, ignore_conflicts=True)
        report.created = SatisfactionResult.objects.count() - before
        if report.created:
            snapshots.bump()  # bulk_create sends no post_save: kept evaluations are stale
    return report


def parse_import_csv(data: bytes) -> list[dict]:
    """Rows of a CSV export (UTF-8, with or without BOM; Chinese or English headers)."""
    try:
        text = data.decode("utf-8-sig")
        rows = list(csv.DictReader(io.StringIO(text)))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ServiceError(
            _("文件不是UTF-8编码的CSV。"), fields={"file": _("请上传CSV文件。")}
        ) from exc
    out = []
    for row in rows:
        clean = {}
        for key, value in row.items():
            if key is None or not isinstance(value, str):
                continue  # surplus cells of a ragged line
            clean[IMPORT_HEADERS.get(key.strip(), key.strip())] = value.strip()
        out.append(clean)
    return out


# --- court filings (万人成诉率) -------------------------------------------------------------


def court_filing_save(
    *, actor, month: dt.date, civil: int, administrative: int, township=None
) -> CourtFiling:
    if not user_has_role(actor, Role.SUPERVISOR, Role.ADMIN):
        raise NotAllowed(_("只有督查人员可以录入法院收案数。"))
    if civil < 0 or administrative < 0:
        raise ServiceError(_("收案数不能为负数。"))
    with transaction.atomic():
        obj, _created = CourtFiling.objects.update_or_create(
            month=month.replace(day=1),
            township=township,
            defaults={"civil": civil, "administrative": administrative, "entered_by": actor},
        )
    return obj
