"""Writes of the mediation and legal-services windows.

Every function is keyword-only; it locks the case visible to the actor (404 otherwise),
checks the actor may act on it (403), validates (400) and writes in one transaction.
Lifecycle moves (start mediation, reply with an agreement or a notice) go through
``intake.lifecycle.run_transition``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.lifecycle import lock_visible_case, run_transition
from intake.models import Case, CaseEvent, Channel, Outcome, Party, State
from luodian_platform.errors import Conflict, NotAllowed, NotFound, ServiceError
from luodian_platform.models import Department, Window
from luodian_platform.roles import Role, user_has_role
from luodian_platform.workcal import due_at, end_of_day, local_date

from .models import (
    Agreement,
    AgreementParty,
    AgreementTerm,
    ConflictDeclaration,
    CourtReferral,
    DocumentCounter,
    JointMediation,
    JudicialConfirmation,
    LegalService,
    MediationSession,
    Mediator,
    MediatorAssignment,
    Notice,
)

# States in which a mediation can be organised and closed with a document.
WORKING_STATES = (State.ACCEPTED, State.MEDIATING)

# 《人民调解法》 art. 33: joint application within 30 days of the agreement taking effect.
JC_WINDOW_DAYS = 30
# Remind the parties this many days before the window closes.
JC_REMIND_DAYS_BEFORE = 5
# 法释〔2011〕5号: accept within 3 days, decide within 15 days of acceptance, +10 once.
JC_ACCEPT_DAYS, JC_DECIDE_DAYS, JC_EXTENSION_DAYS = 3, 15, 10
# Court rules on specially invited mediation: 30 days for a pre-filing referral.
REFERRAL_DAYS = 30
# 《法律援助法》 and its procedure rules: decide in 7 working days, lawyer in 3.
LEGAL_AID_DECISION_WORKDAYS, LEGAL_AID_LAWYER_WORKDAYS = 7, 3
LEGAL_AID_CENTRE_CODE = "flyz"


# --- access ---------------------------------------------------------------------------


def is_dispatcher(user) -> bool:
    return user.is_superuser or user_has_role(user, Role.DISPATCHER, Role.ADMIN)


def mediator_for_user(user) -> Mediator | None:
    if not getattr(user, "pk", None):
        return None
    return Mediator.objects.filter(user=user, is_active=True).first()


def may_mediate(case: Case, user) -> bool:
    """The dispatch room, the handling department's officers and mediators, and any
    mediator assigned to or sitting in the case's sessions."""
    if is_dispatcher(user):
        return True
    if (
        user_has_role(user, Role.OFFICER, Role.MEDIATOR)
        and case.department_id
        and user.department_id == case.department_id
    ):
        return True
    if user_has_role(user, Role.MEDIATOR):
        return MediatorAssignment.objects.filter(case=case, mediator__user=user).exists()
    return False


def _lock_for_mediation(case_id: int, actor) -> Case:
    case = lock_visible_case(case_id, actor)
    if not may_mediate(case, actor):
        raise NotAllowed(_("您不是该案件的承办部门或调解员,不能组织调解。"))
    return case


def _require_working_state(case: Case) -> None:
    if case.state not in WORKING_STATES:
        raise Conflict(
            _("案件当前状态为「%(state)s」,只有办理中或调解中的案件可以组织调解或出具文书。")
            % {"state": case.get_state_display()},
            code="illegal_state",
        )


def _log(case: Case, name: str, actor, note: str = "", payload: dict | None = None) -> None:
    """An event-log row for a mediation fact that is not a state change."""
    CaseEvent.objects.create(
        case=case,
        transition=name,
        from_state=case.state,
        to_state=case.state,
        actor=actor if getattr(actor, "pk", None) else None,
        note=note,
        payload=payload or {},
    )


def _next_number(kind: str, label: str) -> str:
    """``LD调协〔2026〕12号``. The counter row is locked so numbers have no gaps or twins."""
    year = timezone.localtime().year
    DocumentCounter.objects.get_or_create(kind=kind, year=year)
    counter = DocumentCounter.objects.select_for_update().get(kind=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{settings.COUNTY_CODE}{label}〔{year}〕{counter.last}号"


# --- the lifecycle moves (registered as case actions) ------------------------------------


def case_start_mediation(
    *, case_id: int, actor, note: str = "", expected_version: int | None = None
) -> Case:
    """组织调解: the handling department organises a mediation."""
    return run_transition(
        case_id=case_id,
        name="start_mediation",
        actor=actor,
        expected_version=expected_version,
        note=note,
    )


def case_reply(
    *,
    case_id: int,
    actor,
    outcome: str,
    text: str,
    document: str,
    expected_version: int | None = None,
) -> Case:
    """办结答复: the department replies with an outcome and its document (协议书/告知书/答复),
    and the case waits for the centre's review."""
    errors = {}
    if outcome not in Outcome.values:
        errors["outcome"] = _("请选择办理结果。")
    if not (text or "").strip():
        errors["text"] = _("请填写答复意见。")
    if not (document or "").strip():
        errors["document"] = _("办结答复必须附答复文书(协议书、告知书或答复意见书)。")
    if errors:
        raise ServiceError(_("答复信息不完整。"), fields=errors)
    return run_transition(
        case_id=case_id,
        name="reply",
        actor=actor,
        expected_version=expected_version,
        kwargs={
            "outcome": outcome,
            "text": text.strip(),
            "document": document.strip(),
            "by": actor,
            "at": timezone.now(),
        },
        note=text.strip(),
        payload={"outcome": outcome, "document": document.strip()},
    )


# --- mediators and 回避 ------------------------------------------------------------------


def conflict_reasons(*, mediator: Mediator, case: Case, parties=None) -> list[str]:
    """Why ``mediator`` must withdraw (回避) from ``case``; empty when there is no conflict.

    A mediator who is a party, or whose declared relative/employer is a party (matched by
    ID number / credit code, or by exact name), or who declared a conflict on the case.
    """
    parties = list(parties if parties is not None else case.parties.all())
    reasons: list[str] = []
    for party in parties:
        ids = {v for v in (party.id_number, party.credit_code) if v}
        if (mediator.id_number and mediator.id_number in ids) or (
            party.kind == Party.Kind.PERSON and party.name == mediator.name
        ):
            reasons.append(_("调解员本人是当事人(%(name)s)") % {"name": party.name})
        for rel in mediator.relations.all():
            if (rel.id_number and rel.id_number in ids) or rel.name == party.name:
                reasons.append(
                    _("当事人%(name)s是调解员申报的%(kind)s")
                    % {"name": party.name, "kind": rel.get_kind_display()}
                )
    for decl in mediator.conflicts.all():
        if decl.case_id == case.pk:
            reasons.append(_("调解员已申报回避:%(r)s") % {"r": decl.reason})
    return reasons


def mediator_assign(
    *,
    case_id: int,
    mediator_id: int,
    actor,
    is_lead: bool = False,
    override_reason: str = "",
) -> MediatorAssignment:
    """指派调解员, with the 回避 check. Only the dispatch room may override a conflict, and
    must say why; the override is written to the case's event log."""
    override_reason = (override_reason or "").strip()
    if override_reason and not is_dispatcher(actor):
        raise NotAllowed(_("只有调度员可以决定不予回避。"))
    with transaction.atomic():
        case = _lock_for_mediation(case_id, actor)
        if not case.is_open:
            raise Conflict(_("案件已办结,不能再指派调解员。"), code="illegal_state")
        mediator = (
            Mediator.objects.prefetch_related("relations", "conflicts")
            .filter(pk=mediator_id, is_active=True)
            .first()
        )
        if mediator is None:
            raise ServiceError(
                _("调解员不存在或已不在册。"), fields={"mediator": _("请选择调解员。")}
            )
        if MediatorAssignment.objects.filter(case=case, mediator=mediator).exists():
            raise Conflict(_("该调解员已指派到本案。"), code="duplicate")
        if not mediator.is_available and not override_reason:
            raise ServiceError(
                _("该调解员目前不接受指派。"), fields={"mediator": _("请选择其他调解员。")}
            )
        reasons = conflict_reasons(mediator=mediator, case=case)
        if reasons and not override_reason:
            raise ServiceError(
                _("该调解员应当回避:%(r)s。如确需指派,请由调度员填写不予回避理由。")
                % {"r": ";".join(reasons)},
                code="conflict_of_interest",
                fields={"mediator": ";".join(reasons)},
            )
        if is_lead:
            MediatorAssignment.objects.filter(case=case, is_lead=True).update(is_lead=False)
        assignment = MediatorAssignment.objects.create(
            case=case,
            mediator=mediator,
            is_lead=is_lead,
            assigned_by=actor,
            conflict=";".join(reasons)[:200],
            override_reason=override_reason if reasons or not mediator.is_available else "",
        )
        if reasons:
            _log(
                case,
                "mediator_override",
                actor,
                note=_("不予回避:%(m)s。事由:%(r)s。理由:%(o)s")
                % {"m": mediator.name, "r": ";".join(reasons), "o": override_reason},
                payload={"mediator": mediator.pk, "conflicts": reasons},
            )
        else:
            _log(
                case,
                "mediator_assign",
                actor,
                note=mediator.name,
                payload={"mediator": mediator.pk},
            )
    return assignment


def conflict_declare(*, case_id: int, actor, reason: str) -> ConflictDeclaration:
    """A mediator declares a conflict on a case they can see (自行申请回避)."""
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("请说明回避理由。"), fields={"reason": _("请填写回避理由。")})
    mediator = mediator_for_user(actor)
    if mediator is None:
        raise NotAllowed(_("您不在调解员名册中。"))
    with transaction.atomic():
        case = lock_visible_case(case_id, actor)
        decl, _created = ConflictDeclaration.objects.update_or_create(
            mediator=mediator, case=case, defaults={"reason": reason}
        )
        _log(case, "mediator_conflict", actor, note=reason, payload={"mediator": mediator.pk})
    return decl


def joint_mediation_set(
    *,
    case_id: int,
    actor,
    lead_department: Department,
    departments: list[Department],
    experts: list[Mediator],
    note: str = "",
) -> JointMediation:
    """联合调解: a lead department organises, other departments and experts take part."""
    with transaction.atomic():
        case = _lock_for_mediation(case_id, actor)
        if not case.is_open:
            raise Conflict(_("案件已办结,不能再组织联合调解。"), code="illegal_state")
        joint, _created = JointMediation.objects.update_or_create(
            case=case,
            defaults={"lead_department": lead_department, "note": note, "created_by": actor},
        )
        joint.departments.set([d for d in departments if d.pk != lead_department.pk])
        joint.experts.set(experts)
        _log(
            case,
            "joint_mediation",
            actor,
            note=note,
            payload={
                "lead": lead_department.code,
                "departments": [d.code for d in departments],
                "experts": [e.pk for e in experts],
            },
        )
    return joint


# --- sessions ---------------------------------------------------------------------------


def session_book(
    *,
    case_id: int,
    actor,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    mediator_ids: list[int],
    room_id: int | None = None,
    on_site_place: str = "",
) -> MediationSession:
    """预约调解: a room of the hall (or a place on site) and the mediators.

    Double bookings are refused: the room row is locked (``SELECT … FOR UPDATE``) before
    the overlap check, so two clerks booking the same room serialise on that row and the
    second one sees the first one's session.
    """
    errors = {}
    on_site_place = (on_site_place or "").strip()
    if not starts_at or not ends_at or ends_at <= starts_at:
        errors["ends_at"] = _("结束时间必须晚于开始时间。")
    if not room_id and not on_site_place:
        errors["room"] = _("请选择调解室或填写现场调解地点。")
    if not mediator_ids:
        errors["mediators"] = _("请至少选择一名调解员。")
    if errors:
        raise ServiceError(_("预约信息不完整。"), fields=errors)
    with transaction.atomic():
        case = _lock_for_mediation(case_id, actor)
        _require_working_state(case)
        assigned = set(
            MediatorAssignment.objects.filter(case=case, mediator_id__in=mediator_ids).values_list(
                "mediator_id", flat=True
            )
        )
        missing = [m for m in mediator_ids if m not in assigned]
        if missing:
            raise ServiceError(
                _("调解员须先经回避审查指派到本案。"),
                fields={"mediators": _("请先指派这些调解员。")},
            )
        room = None
        if room_id:
            room = Window.objects.select_for_update().filter(pk=room_id, is_room=True).first()
            if room is None:
                raise ServiceError(_("调解室不存在。"), fields={"room": _("请选择调解室。")})
            clash = MediationSession.objects.filter(
                room=room, starts_at__lt=ends_at, ends_at__gt=starts_at
            ).select_related("case")
            first = clash.first()
            if first is not None:
                raise Conflict(
                    _("%(room)s在该时段已被预约(%(from)s–%(to)s),请另选时间或房间。")
                    % {
                        "room": room.name,
                        "from": timezone.localtime(first.starts_at).strftime("%m-%d %H:%M"),
                        "to": timezone.localtime(first.ends_at).strftime("%H:%M"),
                    },
                    code="double_booking",
                )
        busy = (
            Mediator.objects.filter(
                pk__in=mediator_ids,
                sessions__starts_at__lt=ends_at,
                sessions__ends_at__gt=starts_at,
            )
            .values_list("name", flat=True)
            .distinct()
        )
        if busy:
            raise Conflict(
                _("调解员%(names)s在该时段已有其他调解安排。") % {"names": "、".join(busy)},
                code="mediator_busy",
            )
        session = MediationSession.objects.create(
            case=case,
            starts_at=starts_at,
            ends_at=ends_at,
            room=room,
            on_site_place="" if room else on_site_place,
            created_by=actor,
        )
        session.mediators.set(mediator_ids)
        _log(
            case,
            "session_book",
            actor,
            note=f"{timezone.localtime(starts_at):%Y-%m-%d %H:%M} {room.name if room else on_site_place}",
            payload={"session": session.pk},
        )
    return session


def session_record(
    *, session_id: int, actor, record: str, result: str, attended_party_ids: list[int]
) -> MediationSession:
    """调解笔录 and the session's result."""
    if result not in MediationSession.Result.values:
        raise ServiceError(_("请选择调解结果。"), fields={"result": _("请选择调解结果。")})
    if result != MediationSession.Result.PLANNED and not (record or "").strip():
        raise ServiceError(_("请填写调解笔录。"), fields={"record": _("请填写调解笔录。")})
    session = MediationSession.objects.filter(pk=session_id).only("case_id").first()
    if session is None:
        raise NotFound(_("调解会不存在或您无权查看。"))
    with transaction.atomic():
        case = _lock_for_mediation(session.case_id, actor)
        session = MediationSession.objects.select_for_update().get(pk=session_id)
        parties = set(case.parties.values_list("pk", flat=True))
        if not set(attended_party_ids) <= parties:
            raise ServiceError(
                _("到场当事人必须是本案当事人。"), fields={"parties_attended": _("请重新选择。")}
            )
        session.record = (record or "").strip()
        session.result = result
        session.save(update_fields=["record", "result"])
        session.parties_attended.set(attended_party_ids)
        _log(case, "session_record", actor, note=session.get_result_display())
    return session


# --- agreements -------------------------------------------------------------------------


@dataclass
class AgreementPartyInput:
    party_id: int
    address: str = ""
    sign_method: str = ""  # empty: not signed yet


@dataclass
class AgreementTermInput:
    content: str
    performance_method: str
    due_at: dt.datetime | None


def _validate_agreement(
    *, facts, issues, liabilities, parties, terms, case_parties
) -> dict[str, str]:
    """《人民调解法》 art. 28: parties' basic facts; the main facts, issues and liabilities;
    the agreed terms with how and by when they are performed."""
    errors: dict[str, str] = {}
    if not (facts or "").strip():
        errors["facts"] = _("请写明纠纷的主要事实。")
    if not (issues or "").strip():
        errors["issues"] = _("请写明争议事项。")
    if not (liabilities or "").strip():
        errors["liabilities"] = _("请写明各方当事人的责任。")
    if len(parties) < 2:
        errors["parties"] = _("协议书至少需要两方当事人。")
    for i, p in enumerate(parties):
        party = case_parties.get(p.party_id)
        if party is None:
            errors[f"parties[{i}]"] = _("不是本案当事人。")
            continue
        if not (party.id_number or party.credit_code or (p.address or party.address or "").strip()):
            errors[f"parties[{i}]"] = _("请补充%(name)s的身份证号码/信用代码或住址。") % {
                "name": party.name
            }
        if p.sign_method and p.sign_method not in AgreementParty.SignMethod.values:
            errors[f"parties[{i}].sign_method"] = _("签署方式无效。")
    if not terms:
        errors["terms"] = _("请至少写明一项协议内容。")
    for i, t in enumerate(terms):
        if not (t.content or "").strip():
            errors[f"terms[{i}].content"] = _("请写明协议内容。")
        if not (t.performance_method or "").strip():
            errors[f"terms[{i}].performance_method"] = _("请写明履行方式。")
        if not t.due_at:
            errors[f"terms[{i}].due_at"] = _("请写明履行期限。")
    return errors


def agreement_record(
    *,
    case_id: int,
    actor,
    committee: Department,
    mediator_id: int,
    facts: str,
    issues: str,
    liabilities: str,
    parties: list[AgreementPartyInput],
    terms: list[AgreementTermInput],
    mediator_signed: bool = False,
    committee_sealed: bool = False,
) -> Agreement:
    """人民调解协议书. Refused if a required content is missing. When every party signed and
    the mediator and committee signed/sealed, it takes effect at once (see
    ``agreement_sign``); otherwise it is a draft to print and sign."""
    with transaction.atomic():
        case = _lock_for_mediation(case_id, actor)
        _require_working_state(case)
        case_parties = {p.pk: p for p in case.parties.all()}
        errors = _validate_agreement(
            facts=facts,
            issues=issues,
            liabilities=liabilities,
            parties=parties,
            terms=terms,
            case_parties=case_parties,
        )
        assigned = MediatorAssignment.objects.filter(case=case, mediator_id=mediator_id).exists()
        if not assigned:
            errors["mediator"] = _("调解员须为本案已指派的调解员。")
        if errors:
            raise ServiceError(_("协议书缺少法定内容,请补充后再保存。"), fields=errors)
        now = timezone.now()
        agreement = Agreement.objects.create(
            case=case,
            number=_next_number("agreement", "调协"),
            committee=committee,
            mediator_id=mediator_id,
            facts=facts.strip(),
            issues=issues.strip(),
            liabilities=liabilities.strip(),
            mediator_signed=mediator_signed,
            committee_sealed=committee_sealed,
            created_by=actor,
        )
        for p in parties:
            party = case_parties[p.party_id]
            AgreementParty.objects.create(
                agreement=agreement,
                party=party,
                role=party.role,
                name=party.name,
                id_number=party.id_number or party.credit_code or "",
                address=(p.address or party.address or "").strip(),
                phone=party.phone or "",
                sign_method=p.sign_method,
                signed_at=now if p.sign_method else None,
            )
        for seq, t in enumerate(terms, start=1):
            AgreementTerm.objects.create(
                agreement=agreement,
                seq=seq,
                content=t.content.strip(),
                performance_method=t.performance_method.strip(),
                due_at=t.due_at,
            )
        _log(case, "agreement_draft", actor, note=agreement.number, payload={"id": agreement.pk})
        _take_effect_if_complete(agreement, actor)
    return agreement


def agreement_sign(
    *,
    agreement_id: int,
    actor,
    signatures: dict[int, str],
    mediator_signed: bool | None = None,
    committee_sealed: bool | None = None,
) -> Agreement:
    """Record signatures (``{agreement_party_id: sign_method}``); the agreement takes
    effect when the last one is in (art. 29)."""
    agreement = Agreement.objects.filter(pk=agreement_id).only("case_id").first()
    if agreement is None:
        raise NotFound(_("协议书不存在或您无权查看。"))
    with transaction.atomic():
        _lock_for_mediation(agreement.case_id, actor)
        agreement = Agreement.objects.select_for_update().get(pk=agreement_id)
        if agreement.is_effective:
            raise Conflict(_("协议书已生效,不能再修改签署情况。"), code="effective")
        now = timezone.now()
        rows = {p.pk: p for p in agreement.parties.all()}
        for pk, method in signatures.items():
            if pk not in rows or method not in AgreementParty.SignMethod.values:
                raise ServiceError(_("签署信息无效。"), fields={"signatures": str(pk)})
            rows[pk].sign_method = method
            rows[pk].signed_at = rows[pk].signed_at or now
            rows[pk].save(update_fields=["sign_method", "signed_at"])
        if mediator_signed is not None:
            agreement.mediator_signed = mediator_signed
        if committee_sealed is not None:
            agreement.committee_sealed = committee_sealed
        agreement.save(update_fields=["mediator_signed", "committee_sealed"])
        _take_effect_if_complete(agreement, actor)
    return agreement


def _take_effect_if_complete(agreement: Agreement, actor) -> None:
    """Art. 29: effective once every party signed/sealed/thumbprinted, the mediator signed
    and the committee sealed. Then: the case's time-to-agreement is stamped on the locked
    case row, the judicial-confirmation window opens, and the case is replied."""
    parties = list(agreement.parties.all())
    if not (
        agreement.mediator_signed
        and agreement.committee_sealed
        and parties
        and all(p.signed for p in parties)
    ):
        return
    now = timezone.now()
    agreement.effective_at = now
    agreement.save(update_fields=["effective_at"])
    case = lock_visible_case(agreement.case_id, actor)
    first = case.agreement_signed_at is None
    if first:
        case.agreement_signed_at = now
        case.save(update_fields=["agreement_signed_at", "updated_at"])
    seconds = int((now - case.created_at).total_seconds())
    _log(
        case,
        "agreement_signed",
        actor,
        note=agreement.number,
        payload={"agreement": agreement.pk, "seconds_since_registration": seconds},
    )
    window_ends = end_of_day(local_date(now) + dt.timedelta(days=JC_WINDOW_DAYS))
    JudicialConfirmation.objects.create(
        agreement=agreement,
        window_ends_at=window_ends,
        remind_at=window_ends - dt.timedelta(days=JC_REMIND_DAYS_BEFORE),
    )
    summary = (
        _("双方当事人经调解达成协议,协议书已由各方签署生效。")
        + " "
        + "；".join(t.content for t in agreement.terms.all())
    )
    case_reply(
        case_id=case.pk,
        actor=actor,
        outcome=Outcome.AGREEMENT,
        text=summary[:5000],
        document=agreement.number,
    )


def term_mark_performed(*, term_id: int, actor) -> AgreementTerm:
    term = AgreementTerm.objects.select_related("agreement").filter(pk=term_id).first()
    if term is None:
        raise NotFound(_("协议条款不存在或您无权查看。"))
    with transaction.atomic():
        case = _lock_for_mediation(term.agreement.case_id, actor)
        term.performed_at = timezone.now()
        term.save(update_fields=["performed_at"])
        _log(case, "term_performed", actor, note=term.content[:200], payload={"term": term.pk})
    return term


# --- notices ----------------------------------------------------------------------------

CHANNEL_LABELS = {
    "labour_arbitration": _("劳动人事争议仲裁"),
    "litigation": _("向人民法院提起诉讼"),
    "reconsideration": _("行政复议"),
    "petition": _("信访"),
}


def default_notice_channels(case: Case) -> list[dict[str, str]]:
    """The lawful channels that remain, with institution and time limit. Editable on the
    form; these defaults follow the statutes named in each line."""
    county = settings.COUNTY_NAME
    channels = []
    if case.category.code in ("labour",):
        channels.append(
            {
                "channel": "labour_arbitration",
                "institution": f"{county}劳动人事争议仲裁委员会",
                "time_limit": "自知道或者应当知道其权利被侵害之日起一年内申请仲裁"
                "(《劳动争议调解仲裁法》第二十七条)",
            }
        )
    else:
        channels.append(
            {
                "channel": "litigation",
                "institution": f"{county}人民法院",
                "time_limit": "诉讼时效期间为三年(《民法典》第一百八十八条)",
            }
        )
    if case.category.code in ("land", "property", "medical"):
        channels.append(
            {
                "channel": "reconsideration",
                "institution": f"{county}人民政府",
                "time_limit": "自知道该行政行为之日起六十日内申请(《行政复议法》)",
            }
        )
    channels.append(
        {
            "channel": "petition",
            "institution": f"{county}信访局",
            "time_limit": "依法应当通过诉讼、仲裁、行政复议等途径解决的,应依照相应程序提出"
            "(《信访工作条例》)",
        }
    )
    return channels


def notice_record(
    *, case_id: int, actor, reason: str, channels: list[dict[str, str]] | None = None
) -> Notice:
    """告知书: mediation failed; the parties are told of the remaining lawful channels.
    The case is replied with the notice as its document."""
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("请写明调解不成的原因。")
    with transaction.atomic():
        case = _lock_for_mediation(case_id, actor)
        _require_working_state(case)
        channels = channels if channels is not None else default_notice_channels(case)
        if not channels:
            errors["channels"] = _("请至少告知一种救济途径。")
        for i, c in enumerate(channels):
            if c.get("channel") not in CHANNEL_LABELS:
                errors[f"channels[{i}].channel"] = _("途径无效。")
            if not (c.get("institution") or "").strip():
                errors[f"channels[{i}].institution"] = _("请写明受理机构。")
            if not (c.get("time_limit") or "").strip():
                errors[f"channels[{i}].time_limit"] = _("请写明时效或期限。")
        if errors:
            raise ServiceError(_("告知书内容不完整。"), fields=errors)
        notice = Notice.objects.create(
            case=case,
            number=_next_number("notice", "调告"),
            reason=reason,
            channels=[
                {k: str(c[k]).strip() for k in ("channel", "institution", "time_limit")}
                for c in channels
            ],
            issued_by=actor,
        )
        case_reply(
            case_id=case.pk,
            actor=actor,
            outcome=Outcome.NOTICE,
            text=_("调解不成:%(r)s") % {"r": reason},
            document=notice.number,
        )
    return notice


# --- judicial confirmation -------------------------------------------------------------


def _lock_confirmation(jc_id: int, actor) -> JudicialConfirmation:
    jc = JudicialConfirmation.objects.select_related("agreement").filter(pk=jc_id).first()
    if jc is None:
        raise NotFound(_("司法确认记录不存在或您无权查看。"))
    _lock_for_mediation(jc.agreement.case_id, actor)
    return JudicialConfirmation.objects.select_for_update().get(pk=jc_id)


def judicial_confirmation_apply(
    *, jc_id: int, actor, applied_at: dt.datetime | None = None, court_reference: str = ""
) -> JudicialConfirmation:
    """The parties applied jointly to the court (art. 33: within 30 days)."""
    applied_at = applied_at or timezone.now()
    with transaction.atomic():
        jc = _lock_confirmation(jc_id, actor)
        if jc.applied_at:
            raise Conflict(_("已登记司法确认申请。"), code="duplicate")
        if applied_at > jc.window_ends_at:
            raise ServiceError(
                _("已超过协议生效后三十日的申请期限(%(d)s)。")
                % {"d": timezone.localtime(jc.window_ends_at).date()},
                fields={"applied_at": _("超过申请期限。")},
            )
        jc.applied_at = applied_at
        jc.court_reference = court_reference.strip()
        jc.accept_due_at = due_at(applied_at, JC_ACCEPT_DAYS, "days")
        jc.save()
    return jc


def judicial_confirmation_accept(
    *, jc_id: int, actor, accepted_at: dt.datetime | None = None, court_reference: str = ""
) -> JudicialConfirmation:
    accepted_at = accepted_at or timezone.now()
    with transaction.atomic():
        jc = _lock_confirmation(jc_id, actor)
        if not jc.applied_at or jc.accepted_at:
            raise Conflict(_("请先登记申请;已受理的不能重复受理。"), code="illegal_state")
        jc.accepted_at = accepted_at
        jc.decide_due_at = due_at(accepted_at, JC_DECIDE_DAYS, "days")
        if court_reference:
            jc.court_reference = court_reference.strip()
        jc.save()
    return jc


def judicial_confirmation_extend(*, jc_id: int, actor) -> JudicialConfirmation:
    """The court extended its decision period once, by 10 days."""
    with transaction.atomic():
        jc = _lock_confirmation(jc_id, actor)
        if not jc.accepted_at or jc.decided_at or jc.extended:
            raise Conflict(_("只有已受理、未决定的申请可以延长一次。"), code="illegal_state")
        jc.decide_due_at += dt.timedelta(days=JC_EXTENSION_DAYS)
        jc.extended = True
        jc.save()
    return jc


def judicial_confirmation_decide(
    *, jc_id: int, actor, decision: str, decided_at: dt.datetime | None = None
) -> JudicialConfirmation:
    if decision not in JudicialConfirmation.Decision.values:
        raise ServiceError(_("请选择法院决定。"), fields={"decision": _("请选择。")})
    with transaction.atomic():
        jc = _lock_confirmation(jc_id, actor)
        if not jc.applied_at or jc.decided_at:
            raise Conflict(_("未申请或已决定。"), code="illegal_state")
        jc.decision = decision
        jc.decided_at = decided_at or timezone.now()
        jc.save()
    return jc


# --- court referrals --------------------------------------------------------------------


def court_referral_register(
    *, case_id: int, actor, court_reference: str, referred_at: dt.datetime | None = None
) -> CourtReferral:
    """A filing the court's litigation service centre referred for pre-litigation mediation:
    30 days from referral."""
    court_reference = (court_reference or "").strip()
    if not court_reference:
        raise ServiceError(_("请填写法院委派编号。"), fields={"court_reference": _("必填。")})
    referred_at = referred_at or timezone.now()
    with transaction.atomic():
        case = _lock_for_mediation(case_id, actor)
        if case.channel != Channel.COURT:
            raise ServiceError(
                _("只有来源为法院委派的案件可以登记诉前调解。"),
                fields={"case": _("来源渠道不是法院委派。")},
            )
        if CourtReferral.objects.filter(case=case).exists():
            raise Conflict(_("该案件已登记法院委派。"), code="duplicate")
        court = Department.objects.filter(kind=Department.Kind.COURT).order_by("pk").first()
        if court is None:
            raise ServiceError(_("系统未配置法院。"))
        referral = CourtReferral.objects.create(
            case=case,
            court=court,
            court_reference=court_reference,
            referred_at=referred_at,
            due_at=due_at(referred_at, REFERRAL_DAYS, "days"),
        )
        _log(case, "court_referral", actor, note=court_reference)
    return referral


def court_referral_extend(*, referral_id: int, actor, days: int, basis: str) -> CourtReferral:
    """Extended by the parties' agreement (the basis says who agreed and how)."""
    basis = (basis or "").strip()
    if not basis:
        raise ServiceError(
            _("延长调解期限须经各方当事人同意,请写明。"), fields={"basis": _("必填。")}
        )
    if not 1 <= int(days) <= 60:
        raise ServiceError(_("延长天数应为1至60天。"), fields={"days": _("1至60天。")})
    ref = CourtReferral.objects.filter(pk=referral_id).first()
    if ref is None:
        raise NotFound(_("委派记录不存在或您无权查看。"))
    with transaction.atomic():
        case = _lock_for_mediation(ref.case_id, actor)
        ref = CourtReferral.objects.select_for_update().get(pk=referral_id)
        if ref.reported_at:
            raise Conflict(_("已向法院反馈结果,不能再延长。"), code="illegal_state")
        ref.due_at += dt.timedelta(days=int(days))
        ref.extended_days += int(days)
        ref.extension_basis = basis
        ref.save()
        _log(case, "court_referral_extend", actor, note=basis, payload={"days": int(days)})
    return ref


def court_referral_report(*, referral_id: int, actor, result: str, note: str) -> CourtReferral:
    """Report the result back to the court (the printable report is ``referral_report``)."""
    if result not in CourtReferral.Result.values:
        raise ServiceError(_("请选择调解结果。"), fields={"result": _("请选择。")})
    ref = CourtReferral.objects.filter(pk=referral_id).first()
    if ref is None:
        raise NotFound(_("委派记录不存在或您无权查看。"))
    with transaction.atomic():
        case = _lock_for_mediation(ref.case_id, actor)
        ref = CourtReferral.objects.select_for_update().get(pk=referral_id)
        ref.result = result
        ref.result_note = (note or "").strip()
        ref.reported_at = timezone.now()
        ref.reported_by = actor
        ref.save()
        _log(case, "court_referral_report", actor, note=ref.get_result_display())
    return ref


# --- legal-services window ---------------------------------------------------------------

LEGAL_SERVICE_ROLES = (Role.CLERK, Role.OFFICER, Role.MEDIATOR, Role.DISPATCHER, Role.ADMIN)


def legal_service_record(
    *,
    actor,
    kind: str,
    person_name: str,
    summary: str,
    case_id: int | None = None,
    phone: str = "",
    id_number: str = "",
    answer: str = "",
) -> LegalService:
    """A consultation, legal-aid application or counselling session, on a case or on the
    spot. A legal-aid application is referred to the legal aid centre with its deadline."""
    if not (actor.is_superuser or user_has_role(actor, *LEGAL_SERVICE_ROLES)):
        raise NotAllowed(_("您没有登记法律服务的权限。"))
    errors = {}
    if kind not in LegalService.Kind.values:
        errors["kind"] = _("请选择服务类型。")
    if not (person_name or "").strip():
        errors["person_name"] = _("请填写服务对象。")
    if not (summary or "").strip():
        errors["summary"] = _("请填写事项。")
    if errors:
        raise ServiceError(_("信息不完整。"), fields=errors)
    now = timezone.now()
    with transaction.atomic():
        case = lock_visible_case(case_id, actor) if case_id else None
        service = LegalService(
            kind=kind,
            case=case,
            person_name=person_name.strip(),
            phone=(phone or "").strip(),
            id_number=(id_number or "").strip(),
            summary=summary.strip(),
            answer=answer.strip(),
            handled_by=actor,
            created_at=now,
        )
        if kind == LegalService.Kind.LEGAL_AID:
            service.referred_to = Department.objects.get(code=LEGAL_AID_CENTRE_CODE)
            service.decision_due_at = due_at(now, LEGAL_AID_DECISION_WORKDAYS, "workdays")
        service.save()
        if case is not None:
            _log(case, "legal_service", actor, note=service.get_kind_display())
    return service


def _may_decide_legal_aid(user) -> bool:
    return is_dispatcher(user) or (
        user_has_role(user, Role.OFFICER)
        and user.department_id is not None
        and user.department.code == LEGAL_AID_CENTRE_CODE
    )


def legal_aid_decide(*, service_id: int, actor, decision: str, note: str = "") -> LegalService:
    if not _may_decide_legal_aid(actor):
        raise NotAllowed(_("只有法律援助中心可以作出法律援助决定。"))
    if decision not in LegalService.Decision.values:
        raise ServiceError(_("请选择审查决定。"), fields={"decision": _("请选择。")})
    with transaction.atomic():
        service = (
            LegalService.objects.select_for_update()
            .filter(pk=service_id, kind=LegalService.Kind.LEGAL_AID)
            .first()
        )
        if service is None:
            raise NotFound(_("法律援助申请不存在。"))
        if service.decision:
            raise Conflict(_("该申请已作出决定。"), code="decided")
        now = timezone.now()
        service.decision = decision
        service.decided_at = now
        if note:
            service.answer = note.strip()
        if decision == LegalService.Decision.APPROVED:
            service.lawyer_due_at = due_at(now, LEGAL_AID_LAWYER_WORKDAYS, "workdays")
        service.save()
    return service


def legal_aid_assign_lawyer(*, service_id: int, actor, lawyer_id: int) -> LegalService:
    if not _may_decide_legal_aid(actor):
        raise NotAllowed(_("只有法律援助中心可以指派律师。"))
    with transaction.atomic():
        service = (
            LegalService.objects.select_for_update()
            .filter(pk=service_id, kind=LegalService.Kind.LEGAL_AID)
            .first()
        )
        if service is None:
            raise NotFound(_("法律援助申请不存在。"))
        if service.decision != LegalService.Decision.APPROVED or service.lawyer_id:
            raise Conflict(
                _("只有已决定给予援助且未指派的申请可以指派律师。"), code="illegal_state"
            )
        lawyer = Mediator.objects.filter(
            pk=lawyer_id, kind=Mediator.Kind.LAWYER, is_active=True
        ).first()
        if lawyer is None:
            raise ServiceError(_("请选择在册律师。"), fields={"lawyer": _("请选择律师。")})
        service.lawyer = lawyer
        service.lawyer_assigned_at = timezone.now()
        service.save()
    return service
