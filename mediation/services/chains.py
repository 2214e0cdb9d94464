"""The petition chain (《信访工作条例》 2022) and the labour-dispute chain (《劳动争议调解仲裁法》)
as records on the case, each step a clock from the period table.

Refusals say why in Chinese and name the rule: a request out of order (复核 before 复查,
arbitration before the 15-day mediation period has run) or too late (复查 asked after its
30 days). The legal-basis text comes from the period row, so a county that corrects it in
the admin corrects the message too."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.clocks import compute_period, flag
from luodian_platform.errors import Conflict, NotFound, ServiceError
from luodian_platform.models import Category
from luodian_platform.periods import period

from ..models import LabourRecord, PetitionRecord
from .common import _lock_for_mediation, _log, _next_number
from .issuing import document_issue_pdf

P, L = PetitionRecord.Stage, LabourRecord.Stage


def _day(moment: dt.datetime) -> str:
    return timezone.localtime(moment).date().isoformat()


def _basis(code: str) -> str:
    return period(code).legal_basis


def _clock(record, code: str, field_name: str, start: dt.datetime, *, extension=False):
    """Count ``code`` from ``start`` onto ``record.field_name`` (flagged if estimated)."""
    c = compute_period(code, start=start, extension=extension)
    setattr(record, field_name, c.due)
    return c


def _save(record, *computed_fields) -> None:
    record.save()
    for c, field_name in computed_fields:
        flag(c, target=record, field_name=field_name, case=record.case)


# --- petition -----------------------------------------------------------------------------


def _lock_petition(petition_id: int, actor) -> PetitionRecord:
    row = PetitionRecord.objects.filter(pk=petition_id).only("case_id").first()
    if row is None:
        raise NotFound(_("信访办理记录不存在或您无权查看。"))
    _lock_for_mediation(row.case_id, actor)
    return PetitionRecord.objects.select_for_update().select_related("case").get(pk=petition_id)


def _petition_order(record: PetitionRecord, *allowed: str, doing: str) -> None:
    if record.stage in allowed:
        return
    if record.stage == P.CONCLUDED:
        raise Conflict(
            _("该信访事项已复核终结,信访人以同一事实和理由再次提出的,不再受理(%(b)s)。")
            % {"b": _basis("petition_rereview_decide")},
            code="concluded",
        )
    raise Conflict(
        _(
            "信访事项当前为「%(stage)s」,不能%(doing)s(《信访工作条例》规定的顺序:受理告知 → 办理 → 处理意见书 → 复查 → 复核)。"
        )
        % {"stage": record.get_stage_display(), "doing": doing},
        code="wrong_order",
    )


def petition_register(
    *, case_id: int, actor, received_at: dt.datetime | None = None
) -> PetitionRecord:
    """登记信访事项: the 15-day clock to decide on acceptance starts."""
    received_at = received_at or timezone.now()
    with transaction.atomic():
        case = _lock_for_mediation(case_id, actor)
        if case.category.kind != Category.Kind.PETITION:
            raise ServiceError(
                _("只有信访类案件可以登记信访办理流程。"), fields={"case": _("类别不是信访事项。")}
            )
        if PetitionRecord.objects.filter(case=case).exists():
            raise Conflict(_("该案件已登记信访办理流程。"), code="duplicate")
        record = PetitionRecord(case=case, received_at=received_at)
        c = _clock(record, "petition_accept", "accept_due_at", received_at)
        record.next_due_at = record.accept_due_at
        _save(record, (c, "accept_due_at"))
        _log(case, "petition_registered", actor, payload={"accept_due_at": c.due.isoformat()})
    return record


def petition_decide(
    *, petition_id: int, actor, accept: bool, route: str = "", at: dt.datetime | None = None
) -> PetitionRecord:
    """受理 (the 60-day handling clock starts) or 不予受理, each with its written notice; a
    refusal names where the petitioner should go instead."""
    at = at or timezone.now()
    route = (route or "").strip()
    if not accept and not route:
        raise ServiceError(
            _("不予受理告知书须写明信访人应当向哪个机关或通过何种途径提出。"),
            fields={"route": _("请填写应当提出的机关或途径。")},
        )
    with transaction.atomic():
        record = _lock_petition(petition_id, actor)
        _petition_order(record, P.ACCEPTANCE, doing=_("作出受理决定"))
        record.decided_at, record.route = at, route
        computed = []
        if accept:
            record.notice_number = _next_number("xf_accept", "信受告")
            computed.append(
                (_clock(record, "petition_handle", "handle_due_at", at), "handle_due_at")
            )
            record.stage, record.next_due_at = P.HANDLING, record.handle_due_at
        else:
            record.notice_number = _next_number("xf_refuse", "信不受告")
            record.stage, record.next_due_at = P.REFUSED, None
        _save(record, *computed)
        # The written notice (受理告知书 / 不予受理告知书) is frozen as issued.
        document_issue_pdf(kind="petition_notice", document=record)
        _log(
            record.case,
            "petition_accepted" if accept else "petition_refused",
            actor,
            note=record.notice_number + (f" {route}" if route else ""),
            payload={"late": at > record.accept_due_at},
        )
    return record


def petition_extend(*, petition_id: int, actor, reason: str) -> PetitionRecord:
    """延长办理期限 once (approved by the office's head), the reason told to the petitioner."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(
            _("延长办理期限须说明理由并告知信访人。"), fields={"reason": _("请填写延期理由。")}
        )
    with transaction.atomic():
        record = _lock_petition(petition_id, actor)
        _petition_order(record, P.HANDLING, doing=_("延长办理期限"))
        rule = period("petition_handle")
        if record.extension_reason or not rule.max_extensions:
            raise Conflict(
                _("办理期限只能延长一次(%(b)s)。") % {"b": rule.legal_basis}, code="extension_limit"
            )
        if timezone.now() > record.handle_due_at:
            raise Conflict(
                _("办理期限已于 %(d)s 届满,不能再延长(%(b)s)。")
                % {"d": _day(record.handle_due_at), "b": rule.legal_basis},
                code="deadline_passed",
            )
        c = _clock(record, "petition_handle", "handle_due_at", record.handle_due_at, extension=True)
        record.extension_reason, record.next_due_at = reason, record.handle_due_at
        _save(record, (c, "handle_due_at"))
        _log(record.case, "petition_extended", actor, note=reason)
    return record


# Lengths of the 信访处理意见书's parts (as the model's fields).
# The chains' free-text inputs (page forms and API alike): whitespace is stripped, "" is none.
TEXT_FIELDS = (
    "route",
    "reason",
    "commission",
    "reference",
    "outcome",
    "facts",
    "opinion",
    "basis",
    "review_body",
)
REPLY_LIMITS = {"facts": 10000, "opinion": 5000, "basis": 2000, "review_body": 100}


def _reply_text(**parts: str) -> dict[str, str]:
    """The opinion's lawful contents, each required: the facts found, the handling opinion,
    its basis, and the body the petitioner may ask for 复查 (the next level up; 《信访工作
    条例》 2022, art. 35 as we read it: 30 days from receiving the written reply)."""
    labels = {
        "facts": _("请写明查明的事实。"),
        "opinion": _("请写明处理意见。"),
        "basis": _("请写明处理依据(法律、法规、政策的名称和条款)。"),
        "review_body": _("请写明复查机关(原办理机关的上一级机关或单位)。"),
    }
    clean = {k: (v or "").strip() for k, v in parts.items()}
    errors = {k: labels[k] for k, v in clean.items() if not v}
    for k, v in clean.items():
        if len(v) > REPLY_LIMITS[k]:
            errors[k] = _("内容过长(最多%(n)d字)。") % {"n": REPLY_LIMITS[k]}
    if errors:
        raise ServiceError(_("信访处理意见书内容不完整,请补充后再出具。"), fields=errors)
    return clean


def petition_reply(
    *,
    petition_id: int,
    actor,
    facts: str,
    opinion: str,
    basis: str,
    review_body: str,
    at: dt.datetime | None = None,
) -> PetitionRecord:
    """信访处理意见书: written by the officer, numbered from the locked counter and frozen as
    a PDF when issued; ``at`` is its service (送达) date, from which the petitioner's 30 days
    to ask for 复查 run. A text no font can print refuses the issue (no number is used)."""
    at = at or timezone.now()
    with transaction.atomic():
        record = _lock_petition(petition_id, actor)
        _petition_order(record, P.HANDLING, doing=_("出具信访处理意见书"))
        text = _reply_text(facts=facts, opinion=opinion, basis=basis, review_body=review_body)
        record.replied_at = at
        record.reply_facts, record.reply_opinion = text["facts"], text["opinion"]
        record.reply_basis, record.review_body = text["basis"], text["review_body"]
        record.reply_number = _next_number("xf_reply", "信处意")
        c = _clock(record, "petition_review_request", "review_request_due_at", at)
        record.stage, record.next_due_at = P.REPLIED, None
        _save(record, (c, "review_request_due_at"))
        document_issue_pdf(kind="petition_reply", document=record)
        _log(record.case, "petition_replied", actor, note=record.reply_number)
    return record


def _request_in_time(record, at, due_field: str, code: str, what: str) -> None:
    due = getattr(record, due_field)
    if at > due:
        raise Conflict(
            _("已超过%(what)s的期限(%(d)s 届满),不予受理(%(b)s)。")
            % {"what": what, "d": _day(due), "b": _basis(code)},
            code="too_late",
        )


def petition_review_request(
    *, petition_id: int, actor, at: dt.datetime | None = None
) -> PetitionRecord:
    """复查 asked by the petitioner within 30 days of receiving the reply."""
    at = at or timezone.now()
    with transaction.atomic():
        record = _lock_petition(petition_id, actor)
        if record.stage in (P.ACCEPTANCE, P.HANDLING, P.REFUSED):
            raise Conflict(
                _("尚未出具信访处理意见书,不能请求复查(%(b)s)。")
                % {"b": _basis("petition_review_request")},
                code="wrong_order",
            )
        _petition_order(record, P.REPLIED, doing=_("请求复查"))
        _request_in_time(
            record, at, "review_request_due_at", "petition_review_request", _("请求复查")
        )
        record.review_requested_at = at
        c = _clock(record, "petition_review_decide", "review_due_at", at)
        record.stage, record.next_due_at = P.REVIEW, record.review_due_at
        _save(record, (c, "review_due_at"))
        _log(record.case, "petition_review_requested", actor)
    return record


def petition_review_decide(
    *, petition_id: int, actor, at: dt.datetime | None = None
) -> PetitionRecord:
    """复查意见书 served: the 30 days to ask for 复核 start."""
    at = at or timezone.now()
    with transaction.atomic():
        record = _lock_petition(petition_id, actor)
        _petition_order(record, P.REVIEW, doing=_("出具复查意见"))
        record.reviewed_at = at
        record.review_number = _next_number("xf_review", "信复查")
        c = _clock(record, "petition_rereview_request", "rereview_request_due_at", at)
        record.stage, record.next_due_at = P.REVIEWED, None
        _save(record, (c, "rereview_request_due_at"))
        _log(record.case, "petition_reviewed", actor, note=record.review_number)
    return record


def petition_rereview_request(
    *, petition_id: int, actor, at: dt.datetime | None = None
) -> PetitionRecord:
    """复核 asked within 30 days of receiving the review opinion; only after a 复查."""
    at = at or timezone.now()
    with transaction.atomic():
        record = _lock_petition(petition_id, actor)
        if record.stage in (P.ACCEPTANCE, P.HANDLING, P.REFUSED, P.REPLIED, P.REVIEW):
            raise Conflict(
                _("须先经复查并收到复查意见,才能请求复核(%(b)s)。")
                % {"b": _basis("petition_rereview_request")},
                code="wrong_order",
            )
        _petition_order(record, P.REVIEWED, doing=_("请求复核"))
        _request_in_time(
            record, at, "rereview_request_due_at", "petition_rereview_request", _("请求复核")
        )
        record.rereview_requested_at = at
        c = _clock(record, "petition_rereview_decide", "rereview_due_at", at)
        record.stage, record.next_due_at = P.REREVIEW, record.rereview_due_at
        _save(record, (c, "rereview_due_at"))
        _log(record.case, "petition_rereview_requested", actor)
    return record


def petition_rereview_decide(
    *, petition_id: int, actor, at: dt.datetime | None = None
) -> PetitionRecord:
    """复核意见书 served: the petition is concluded (终结)."""
    at = at or timezone.now()
    with transaction.atomic():
        record = _lock_petition(petition_id, actor)
        _petition_order(record, P.REREVIEW, doing=_("出具复核意见"))
        record.rereviewed_at = at
        record.rereview_number = _next_number("xf_rereview", "信复核")
        record.stage, record.next_due_at = P.CONCLUDED, None
        record.save()
        _log(record.case, "petition_concluded", actor, note=record.rereview_number)
    return record


# --- labour dispute -------------------------------------------------------------------------


def _lock_labour(labour_id: int, actor) -> LabourRecord:
    row = LabourRecord.objects.filter(pk=labour_id).only("case_id").first()
    if row is None:
        raise NotFound(_("劳动争议记录不存在或您无权查看。"))
    _lock_for_mediation(row.case_id, actor)
    return LabourRecord.objects.select_for_update().select_related("case").get(pk=labour_id)


def _labour_order(record: LabourRecord, *allowed: str, doing: str, code: str) -> None:
    if record.stage not in allowed:
        raise Conflict(
            _("劳动争议当前为「%(stage)s」,不能%(doing)s(%(b)s)。")
            % {"stage": record.get_stage_display(), "doing": doing, "b": _basis(code)},
            code="wrong_order",
        )


def labour_register(*, case_id: int, actor, applied_at: dt.datetime | None = None) -> LabourRecord:
    """劳动争议调解申请: the 15-day mediation period (art. 14) starts."""
    applied_at = applied_at or timezone.now()
    with transaction.atomic():
        case = _lock_for_mediation(case_id, actor)
        if LabourRecord.objects.filter(case=case).exists():
            raise Conflict(_("该案件已登记劳动争议调解仲裁流程。"), code="duplicate")
        record = LabourRecord(case=case, stage=L.MEDIATION, mediation_applied_at=applied_at)
        c = _clock(record, "labour_mediation", "mediation_due_at", applied_at)
        record.next_due_at = record.mediation_due_at
        _save(record, (c, "mediation_due_at"))
        _log(case, "labour_registered", actor, payload={"mediation_due_at": c.due.isoformat()})
    return record


def labour_mediation_end(
    *, labour_id: int, actor, settled: bool, at: dt.datetime | None = None
) -> LabourRecord:
    """调解成功 (agreement) or 调解不成 (the parties may go to arbitration at once)."""
    at = at or timezone.now()
    with transaction.atomic():
        record = _lock_labour(labour_id, actor)
        _labour_order(record, L.MEDIATION, doing=_("结束调解"), code="labour_mediation")
        record.mediation_ended_at = at
        record.stage = L.SETTLED if settled else L.MEDIATION
        record.next_due_at = None
        record.save()
        _log(record.case, "labour_settled" if settled else "labour_mediation_failed", actor)
    return record


def labour_refer_arbitration(
    *, labour_id: int, actor, commission: str, at: dt.datetime | None = None
) -> LabourRecord:
    """申请劳动仲裁 after mediation failed or its 15 days ran out (art. 14); the commission's
    5-day acceptance clock (art. 29) starts."""
    at = at or timezone.now()
    commission = (commission or "").strip()
    if not commission:
        raise ServiceError(_("请填写仲裁委员会。"), fields={"commission": _("必填。")})
    with transaction.atomic():
        record = _lock_labour(labour_id, actor)
        _labour_order(record, L.MEDIATION, doing=_("申请仲裁"), code="labour_mediation")
        if record.mediation_ended_at is None and at <= record.mediation_due_at:
            raise Conflict(
                _("调解期限至 %(d)s 尚未届满,调解也未终结,暂不能申请仲裁(%(b)s)。")
                % {"d": _day(record.mediation_due_at), "b": _basis("labour_mediation")},
                code="wrong_order",
            )
        record.arbitration_applied_at, record.commission = at, commission
        c = _clock(record, "labour_arbitration_accept", "accept_due_at", at)
        record.stage, record.next_due_at = L.REFERRED, record.accept_due_at
        _save(record, (c, "accept_due_at"))
        _log(record.case, "labour_referred", actor, note=commission)
    return record


def labour_arbitration_decide(
    *, labour_id: int, actor, accept: bool, reference: str = "", at: dt.datetime | None = None
) -> LabourRecord:
    """The commission accepted (the 45-day award clock starts, art. 43) or refused (the
    applicant may sue, art. 29)."""
    at = at or timezone.now()
    with transaction.atomic():
        record = _lock_labour(labour_id, actor)
        _labour_order(
            record, L.REFERRED, doing=_("记录仲裁受理决定"), code="labour_arbitration_accept"
        )
        record.accepted_at, record.arbitration_reference = at, (reference or "").strip()
        computed = []
        if accept:
            c = _clock(record, "labour_arbitration_award", "award_due_at", at)
            computed.append((c, "award_due_at"))
            record.stage, record.next_due_at = L.ARBITRATION, record.award_due_at
        else:
            record.stage, record.next_due_at = L.NOT_ACCEPTED, None
        _save(record, *computed)
        _log(
            record.case,
            "labour_arbitration_accepted" if accept else "labour_arbitration_refused",
            actor,
            note=record.arbitration_reference,
            payload={"late": at > record.accept_due_at},
        )
    return record


def labour_award_extend(*, labour_id: int, actor, reason: str) -> LabourRecord:
    """仲裁期限延长 once, approved by the commission's chair, at most 15 days (art. 43)."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("延期须经仲裁委员会主任批准,请写明。"), fields={"reason": _("必填。")})
    with transaction.atomic():
        record = _lock_labour(labour_id, actor)
        code = "labour_arbitration_award"
        _labour_order(record, L.ARBITRATION, doing=_("延长仲裁期限"), code=code)
        if record.award_extended or not period(code).max_extensions:
            raise Conflict(
                _("仲裁期限只能延长一次(%(b)s)。") % {"b": _basis(code)}, code="extension_limit"
            )
        if timezone.now() > record.award_due_at:
            raise Conflict(
                _(
                    "仲裁期限已于 %(d)s 届满,不能再延长;逾期未作出仲裁裁决的,当事人可以就该劳动争议事项向人民法院提起诉讼(%(b)s)。"
                )
                % {"d": _day(record.award_due_at), "b": _basis(code)},
                code="deadline_passed",
            )
        c = _clock(record, code, "award_due_at", record.award_due_at, extension=True)
        record.award_extended, record.next_due_at = True, record.award_due_at
        _save(record, (c, "award_due_at"))
        _log(record.case, "labour_award_extended", actor, note=reason)
    return record


def labour_record_outcome(
    *, labour_id: int, actor, outcome: str, at: dt.datetime | None = None
) -> LabourRecord:
    """The arbitration's outcome (award, conciliation, withdrawal) recorded back on the case."""
    outcome = (outcome or "").strip()
    if not outcome:
        raise ServiceError(_("请填写仲裁结果。"), fields={"outcome": _("必填。")})
    with transaction.atomic():
        record = _lock_labour(labour_id, actor)
        _labour_order(
            record, L.ARBITRATION, doing=_("记录仲裁结果"), code="labour_arbitration_award"
        )
        record.outcome, record.outcome_at = outcome, at or timezone.now()
        record.stage, record.next_due_at = L.AWARDED, None
        record.save()
        _log(record.case, "labour_outcome", actor, note=outcome)
    return record
