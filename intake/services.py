"""Writes for the registration window and the channel inbox.

Every function is keyword-only, checks access, validates, then writes in one
transaction with an event-log row. Lifecycle moves go through ``intake.lifecycle``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luodian_platform.errors import NotAllowed, NotFound, ServiceError
from luodian_platform.models import Category, Township, Window
from luodian_platform.roles import Role, user_has_role
from luodian_platform.validators import (
    normalize_id_number,
    normalize_phone,
    validate_credit_code,
    validate_id_card,
    validate_phone,
)

from .lifecycle import run_transition
from .models import (
    Case,
    CaseCounter,
    CaseEvent,
    Channel,
    Party,
    RiskLevel,
    State,
    events_bulk_create,
)


@dataclass
class PartyInput:
    role: str
    name: str
    kind: str = Party.Kind.PERSON
    id_number: str = ""
    credit_code: str = ""
    phone: str = ""
    address: str = ""


@dataclass
class CaseInput:
    title: str
    facts: str
    category: Category
    channel: str = Channel.WALK_IN
    request: str = ""
    external_id: str = ""
    township: Township | None = None
    place: str = ""
    amount: Decimal | None = None
    people_count: int = 1
    risk_level: str = RiskLevel.LOW
    is_group: bool = False
    is_repeat: bool = False
    is_violence_risk: bool = False
    is_vulnerable: bool = False
    window: Window | None = None
    parties: list[PartyInput] = field(default_factory=list)


# Human names for the keys a category may list in ``required_fields``.
REQUIRED_FIELD_LABELS = {
    "respondent": gettext_lazy("被申请人(如用人单位)"),
    "amount": gettext_lazy("涉及金额"),
    "township": gettext_lazy("乡镇街道"),
    "place": gettext_lazy("发生地点"),
    "applicant_phone": gettext_lazy("申请人联系电话"),
    "applicant_id": gettext_lazy("申请人身份证号码"),
}


def party_clean(p: PartyInput, *, index: int) -> dict[str, str]:
    """Validate one party; returns field errors keyed ``parties[i].field``."""
    errors: dict[str, str] = {}
    prefix = f"parties[{index}]"
    p.name = (p.name or "").strip()
    p.id_number = normalize_id_number(p.id_number)
    p.credit_code = normalize_id_number(p.credit_code)
    p.phone = normalize_phone(p.phone)
    if not p.name:
        errors[f"{prefix}.name"] = _("请填写当事人姓名或名称。")
    if p.role not in Party.PartyRole.values:
        errors[f"{prefix}.role"] = _("当事人身份不正确。")
    if p.kind not in Party.Kind.values:
        errors[f"{prefix}.kind"] = _("当事人类型不正确。")
    for attr, check in (
        ("id_number", validate_id_card),
        ("credit_code", validate_credit_code),
        ("phone", validate_phone),
    ):
        value = getattr(p, attr)
        if value:
            try:
                check(value)
            except ValidationError as exc:
                errors[f"{prefix}.{attr}"] = exc.messages[0]
    if p.kind == Party.Kind.ORG and p.id_number:
        errors[f"{prefix}.id_number"] = _("组织当事人请填写统一社会信用代码,而不是身份证号码。")
    return errors


def case_input_clean(data: CaseInput) -> None:
    """Validate a registration as a whole; raise one ServiceError naming every bad field."""
    errors: dict[str, str] = {}
    data.title = (data.title or "").strip()
    data.facts = (data.facts or "").strip()
    if not data.title:
        errors["title"] = _("请填写标题。")
    if not data.facts:
        errors["facts"] = _("请填写事实与诉求。")
    if data.channel not in Channel.values:
        errors["channel"] = _("来源渠道不正确。")
    if data.people_count < 1:
        errors["people_count"] = _("涉及人数至少为1。")
    if data.amount is not None and data.amount < 0:
        errors["amount"] = _("涉及金额不能为负数。")
    if not data.parties:
        errors["parties"] = _("请至少登记一名当事人。")
    elif not any(p.role == Party.PartyRole.APPLICANT for p in data.parties):
        errors["parties"] = _("请至少登记一名申请人。")
    for i, p in enumerate(data.parties):
        errors.update(party_clean(p, index=i))
    # Incomplete first registration (初始登记不完整) is a correction the county issues,
    # so each category's required fields are enforced here.
    for key in data.category.required_fields or []:
        missing = (
            (
                key == "respondent"
                and not any(p.role == Party.PartyRole.RESPONDENT for p in data.parties)
            )
            or (key == "amount" and data.amount is None)
            or (key == "township" and data.township is None)
            or (key == "place" and not data.place)
            or (
                key == "applicant_phone"
                and not any(p.role == Party.PartyRole.APPLICANT and p.phone for p in data.parties)
            )
            or (
                key == "applicant_id"
                and not any(
                    p.role == Party.PartyRole.APPLICANT and p.id_number for p in data.parties
                )
            )
        )
        if missing:
            errors.setdefault(
                key if key != "respondent" else "parties",
                _("「%(cat)s」类案件必须填写:%(what)s。")
                % {"cat": data.category.name, "what": REQUIRED_FIELD_LABELS.get(key, key)},
            )
    if errors:
        raise ServiceError(_("登记信息有误,请按提示修改。"), fields=errors)


def case_number_allocate(*, at: dt.datetime | None = None) -> str:
    """Next number of the year, e.g. LD2026-000123. Must run inside the creating transaction:
    the counter row stays locked until commit, so numbers are unique and gap-free
    (a rolled-back registration gives its number back)."""
    return case_numbers_allocate(count=1, at=at)[0]


def case_numbers_allocate(*, count: int, at: dt.datetime | None = None) -> list[str]:
    """A block of ``count`` consecutive numbers of the year, taken with one locked counter
    update. Same rule as ``case_number_allocate``: call it inside the transaction that
    inserts the cases, so a rollback gives the whole block back (gap-free)."""
    year = timezone.localtime(at or timezone.now()).year
    counter = CaseCounter.objects.filter(year=year)
    # The UPDATE takes the row lock; the year's row is created once (first case of a year).
    if not counter.update(last=F("last") + count):
        CaseCounter.objects.bulk_create([CaseCounter(year=year, last=0)], ignore_conflicts=True)
        counter.update(last=F("last") + count)
    last = counter.values_list("last", flat=True).get()
    return [f"{settings.COUNTY_CODE}{year}-{seq:06d}" for seq in range(last - count + 1, last + 1)]


def risk_suggestions(data: CaseInput) -> list[str]:
    """Flags the platform suggests from the data itself: 重复访 when the same applicant
    (ID number or phone) has earlier cases within ``DUPLICATE_WINDOW_DAYS``, 群体性 when the
    people involved reach ``GROUP_DISPUTE_THRESHOLD``. Applied automatically on create.
    The same look-up as a channel batch's (``risk_suggestions_many``), one query."""
    return risk_suggestions_many([data])[0]


def risk_suggestions_many(items: list[CaseInput]) -> list[list[str]]:
    """``risk_suggestions`` for a batch registered in this order, with one query: an
    applicant seen in the window or in an earlier item of the batch makes 重复访."""
    from luodian_platform.crypto import blind_index

    from .selectors import applicant_index_hits

    def keys(data: CaseInput) -> set[tuple[str, str]]:
        out = set()
        for p in data.parties:
            if p.role == Party.PartyRole.APPLICANT:
                if p.id_number:
                    out.add(("id", blind_index(p.id_number)))
                if p.phone:
                    out.add(("phone", blind_index(p.phone)))
        return out

    per_item = [keys(d) for d in items]
    seen = applicant_index_hits(
        id_bidx={v for k in per_item for kind, v in k if kind == "id"},
        phone_bidx={v for k in per_item for kind, v in k if kind == "phone"},
    )
    out = []
    for data, k in zip(items, per_item, strict=True):
        flags = []
        if k & seen:
            flags.append("repeat")
        applicants = sum(1 for p in data.parties if p.role == Party.PartyRole.APPLICANT)
        if max(data.people_count, applicants) >= settings.GROUP_DISPUTE_THRESHOLD:
            flags.append("group")
        seen |= k
        out.append(flags)
    return out


def _apply_risk_flags(data: CaseInput, suggested: list[str] | None = None) -> None:
    suggested = suggested or []
    applicants = sum(1 for p in data.parties if p.role == Party.PartyRole.APPLICANT)
    data.people_count = max(data.people_count, applicants)
    if "repeat" in suggested:
        data.is_repeat = True
    if data.people_count >= settings.GROUP_DISPUTE_THRESHOLD or "group" in suggested:
        data.is_group = True
    if data.is_group or data.is_violence_risk or data.is_repeat:
        data.risk_level = (
            RiskLevel.HIGH
            if (data.is_group or data.is_violence_risk)
            else max(
                data.risk_level,
                RiskLevel.MEDIUM,
                key=[RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH].index,
            )
        )


def _case_new(*, data: CaseInput, actor, initial_state: str, now, number: str) -> Case:
    case = Case(
        number=number,
        title=data.title,
        facts=data.facts,
        request=data.request,
        category=data.category,
        channel=data.channel,
        external_id=data.external_id,
        township=data.township,
        place=data.place,
        amount=data.amount,
        people_count=data.people_count,
        risk_level=data.risk_level,
        is_group=data.is_group,
        is_repeat=data.is_repeat,
        is_violence_risk=data.is_violence_risk,
        is_vulnerable=data.is_vulnerable,
        window=data.window,
        registered_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
    )
    # The state field is protected against assignment; the initial state is set once here.
    case.__dict__["state"] = initial_state
    return case


def _parties_new(case: Case, data: CaseInput) -> list[Party]:
    return [
        Party(
            case=case,
            role=p.role,
            kind=p.kind,
            name=p.name,
            id_number=p.id_number,
            credit_code=p.credit_code,
            phone=p.phone,
            address=p.address,
        )
        for p in data.parties
    ]


def _event_new(
    case: Case, data: CaseInput, *, initial_state, transition, suggested, event_payload
) -> CaseEvent:
    return CaseEvent(
        case=case,
        transition=transition,
        from_state="",
        to_state=initial_state,
        actor=case.registered_by,
        payload={"channel": data.channel, "auto_flags": suggested, **(event_payload or {})},
    )


def case_create(
    *,
    data: CaseInput,
    actor,
    initial_state: str,
    transition: str,
    event_payload: dict | None = None,
) -> Case:
    """Create a case with its parties, a number and its first event. Caller checks access."""
    case_input_clean(data)
    suggested = risk_suggestions(data)
    _apply_risk_flags(data, suggested)
    with transaction.atomic():
        now = timezone.now()
        case = _case_new(
            data=data,
            actor=actor,
            initial_state=initial_state,
            now=now,
            number=case_number_allocate(at=now),
        )
        case.save()
        Party.objects.bulk_create(_parties_new(case, data))
        _event_new(
            case,
            data,
            initial_state=initial_state,
            transition=transition,
            suggested=suggested,
            event_payload=event_payload,
        ).save()
    return case


def cases_create_many(
    *,
    items: list[tuple[CaseInput, dict | None]],
    actor,
    initial_state: str,
    transition: str,
) -> list[Case]:
    """``case_create`` for a batch of cleaned inputs (``case_input_clean`` done by the
    caller), in one transaction: one block of numbers, then one INSERT each for the cases,
    their parties and their events (``events_bulk_create``: the event log's receivers get
    the batch at once, so the new-case notifications are one INSERT too). All or nothing:
    the caller wraps it in a savepoint and falls back to one order at a time on an
    IntegrityError."""
    if not items:
        return []
    flags = risk_suggestions_many([data for data, _p in items])
    for (data, _payload), suggested in zip(items, flags, strict=True):
        _apply_risk_flags(data, suggested)
    with transaction.atomic():
        now = timezone.now()
        numbers = case_numbers_allocate(count=len(items), at=now)
        cases = [
            _case_new(data=data, actor=actor, initial_state=initial_state, now=now, number=number)
            for (data, _p), number in zip(items, numbers, strict=True)
        ]
        Case.objects.bulk_create(cases)
        Party.objects.bulk_create(
            [
                p
                for case, (data, _p) in zip(cases, items, strict=True)
                for p in _parties_new(case, data)
            ]
        )
        events_bulk_create(
            [
                _event_new(
                    case,
                    data,
                    initial_state=initial_state,
                    transition=transition,
                    suggested=suggested,
                    event_payload=payload,
                )
                for case, (data, payload), suggested in zip(cases, items, flags, strict=True)
            ]
        )
    return cases


def case_register(*, data: CaseInput, actor) -> Case:
    """A walk-in registered at a window (登记流转): the case starts as ``registered``."""
    if not user_has_role(actor, Role.CLERK, Role.DISPATCHER, Role.ADMIN):
        raise NotAllowed(_("只有窗口登记员或调度员可以登记案件。"))
    if data.window is None and getattr(actor, "window_id", None):
        data.window = actor.window
    return case_create(
        data=data, actor=actor, initial_state=State.REGISTERED, transition="register"
    )


def case_take_in(*, case_id: int, actor, expected_version: int | None = None) -> Case:
    """一键接单: a channel order in the inbox becomes a registered case."""
    return run_transition(
        case_id=case_id, name="take_in", actor=actor, expected_version=expected_version
    )


def case_reject(
    *, case_id: int, actor, reason: str, route_to: str = "", expected_version: int | None = None
) -> Case:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("不予受理必须说明理由。"), fields={"reason": _("请填写理由。")})
    return run_transition(
        case_id=case_id,
        name="reject",
        actor=actor,
        expected_version=expected_version,
        kwargs={"reason": reason, "route_to": route_to},
        note=reason,
        payload={"route_to": route_to},
    )


def case_merge(
    *, case_id: int, into_id: int, actor, reason: str = "", expected_version: int | None = None
) -> Case:
    if into_id == case_id:
        raise ServiceError(_("不能把案件合并到它自己。"), fields={"into": _("请选择另一件案件。")})
    target = Case.objects.visible_to(actor).filter(pk=into_id).first()
    if target is None:
        raise ServiceError(
            _("要合并到的案件不存在或您无权查看。"), fields={"into": _("案件不存在。")}
        )
    if target.state == State.MERGED:
        raise ServiceError(
            _("目标案件本身已被合并,请合并到原始案件。"), fields={"into": _("请选择原始案件。")}
        )
    return run_transition(
        case_id=case_id,
        name="merge",
        actor=actor,
        expected_version=expected_version,
        kwargs={"into": target},
        note=reason,
        payload={"into": target.number},
    )


def case_handle_on_spot(
    *, case_id: int, actor, answer: str, expected_version: int | None = None
) -> Case:
    """即办件: a consultation answered at the window, closed in one step with the answer."""
    answer = (answer or "").strip()
    if not answer:
        raise ServiceError(_("请记录答复或建议内容。"), fields={"answer": _("请填写答复内容。")})
    now = timezone.now()
    return run_transition(
        case_id=case_id,
        name="handle_on_spot",
        actor=actor,
        expected_version=expected_version,
        kwargs={"answer": answer, "by": actor, "at": now},
        note=answer,
    )


# Category kinds a window may register and close in one step (即办件).
ON_SPOT_KINDS = {Category.Kind.CONSULTATION, Category.Kind.COUNSELLING}


def case_register_on_spot(*, data: CaseInput, actor, answer: str) -> Case:
    """即办件: a legal consultation or counselling visit registered and closed in one step,
    with what was advised recorded. Either both happen or neither (one transaction)."""
    errors = {}
    if data.category.kind not in ON_SPOT_KINDS:
        errors["category"] = _("只有法律咨询、心理疏导类可以当场办结(即办件)。")
    if not (answer or "").strip():
        errors["answer"] = _("请记录答复或建议内容。")
    if errors:
        try:
            case_input_clean(data)
        except ServiceError as exc:
            errors = {**exc.fields, **errors}
        raise ServiceError(_("登记信息有误,请按提示修改。"), fields=errors)
    with transaction.atomic():
        case = case_register(data=data, actor=actor)
        return case_handle_on_spot(case_id=case.pk, actor=actor, answer=answer)


def case_register_linked(*, data: CaseInput, actor, into_id: int) -> Case:
    """Register a walk-in and link it at once to an earlier case of the same dispute (merge),
    so the dispute is counted once. The target need not be visible to the clerk (another
    window may have registered it), but it must be one of the duplicate candidates for these
    parties: a clerk cannot merge into an arbitrary case."""
    from .selectors import duplicate_candidates

    case_input_clean(data)
    hits = duplicate_candidates(
        id_numbers=[p.id_number for p in data.parties],
        phones=[p.phone for p in data.parties],
        respondent_names=[p.name for p in data.parties if p.role == Party.PartyRole.RESPONDENT],
        limit=50,
    )
    target = next((h.case for h in hits if h.case.pk == into_id), None)
    if target is None or target.state in (State.MERGED, State.REJECTED):
        raise ServiceError(
            _("只能关联到同一当事人或同一被申请人的在案案件。"),
            fields={"link_to": _("请从疑似重复案件中选择。")},
        )
    with transaction.atomic():
        case = case_register(data=data, actor=actor)
        return run_transition(
            case_id=case.pk,
            name="merge",
            actor=actor,
            kwargs={"into": target},
            note=_("登记时关联至 %(n)s") % {"n": target.number},
            payload={"into": target.number},
        )


@dataclass
class BatchResult:
    done: list[Case] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


def case_take_in_many(*, case_ids: list[int], actor) -> BatchResult:
    """批量接单: each order is taken in in its own transaction, so one that someone else
    already handled does not stop the others; failures come back with their reason."""
    result = BatchResult()
    for case_id in dict.fromkeys(case_ids):
        try:
            result.done.append(case_take_in(case_id=case_id, actor=actor))
        except ServiceError as exc:
            result.failed.append((case_id, exc.message))
    return result


# Roles that may see a party's full ID number / phone (to call or identify a party).
# Clerks and supervisors work with masked values.
REVEAL_ROLES = (Role.DISPATCHER, Role.OFFICER, Role.MEDIATOR, Role.FOLLOWUP, Role.ADMIN)


def _reveal_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ServiceError(
            _("查看完整信息必须填写理由。"), fields={"reason": _("请填写查看理由。")}
        )
    return reason[:200]


def reveal_log(
    *,
    actor,
    subject: str,
    reason: str,
    fields: str,
    case: Case | None = None,
    party: Party | None = None,
    object_ref: str = "",
):
    """Append one row to the reveal log (the caller has checked access). Downstream apps
    log full documents and visit calls here, so there is one log of who saw what."""
    from .models import PersonalDataReveal

    return PersonalDataReveal.objects.create(
        actor=actor,
        subject=subject,
        case=case,
        party=party,
        object_ref=object_ref[:40],
        fields=fields[:50],
        reason=_reveal_reason(reason),
    )


def party_reveal(
    *,
    party_id: int,
    actor,
    reason: str,
    fields: tuple[str, ...] = ("id_number", "phone"),
    case_id: int | None = None,
    subject: str = "party",
    object_ref: str = "",
) -> dict:
    """Return the full values of a party's protected fields and log who, whose, when, why.
    ``case_id``: the party must belong to that case (a visit's, say) — else 404."""
    parties = Party.objects.select_related("case").filter(
        pk=party_id, case__in=Case.objects.visible_to(actor)
    )
    if case_id is not None:
        parties = parties.filter(case_id=case_id)
    party = parties.first()
    if party is None:
        raise NotFound(_("当事人不存在或您无权查看。"))
    if not user_has_role(actor, *REVEAL_ROLES):
        raise NotAllowed(_("您的角色不能查看完整的证件号码和电话。"))
    reason = _reveal_reason(reason)
    wanted = [f for f in fields if f in ("id_number", "phone")]
    if not wanted:
        raise ServiceError(
            _("请选择要查看的内容。"), fields={"fields": _("请选择身份证号码或电话。")}
        )
    reveal_log(
        actor=actor,
        subject=subject,
        case=party.case,
        party=party,
        object_ref=object_ref,
        fields=",".join(wanted),
        reason=reason,
    )
    return {f: getattr(party, f) or "" for f in wanted}


@dataclass(frozen=True)
class DuplicateSuggestion:
    """What a clerk registering a walk-in learns about an earlier case that may be the same
    dispute. Of a case they cannot open: that it exists, its number (to link the new visit
    to it) and state, and which of the typed details matched — enough to decide "same
    dispute or not", nothing more (no title, category, township or date). Of a case they can
    open: also its title, category, date and township, and a link."""

    case_id: int
    number: str
    state_label: str
    reasons: list[str]
    visible: bool
    title: str = ""
    category: str = ""
    created_at: object = None
    township: str = ""


def duplicate_lookup(
    *, actor, id_numbers: list[str], phones: list[str], respondent_names: list[str]
) -> list[DuplicateSuggestion]:
    """Duplicate suggestions while registering, logged as a lookup in the reveal log when
    they found something (a probe for "does this ID number have a case?" leaves a trace).
    The view throttles it per user (``lookup`` rate)."""
    from .selectors import duplicate_candidates

    hits = duplicate_candidates(
        id_numbers=id_numbers, phones=phones, respondent_names=respondent_names, user=actor
    )
    suggestions = []
    for h in hits:
        extra = (
            {
                "title": h.case.title,
                "category": h.case.category.name if h.case.category_id else "",
                "created_at": h.case.created_at,
                "township": h.case.township.name if h.case.township_id else "",
            }
            if h.visible
            else {}
        )
        suggestions.append(
            DuplicateSuggestion(
                case_id=h.case.pk,
                number=h.case.number,
                state_label=str(h.case.get_state_display()),
                reasons=h.reasons,
                visible=h.visible,
                **extra,
            )
        )
    if suggestions:
        searched = [
            name
            for name, values in (
                ("id_number", id_numbers),
                ("phone", phones),
                ("respondent", respondent_names),
            )
            if any(values)
        ]
        reveal_log(
            actor=actor,
            subject="lookup",
            fields=",".join(searched),
            object_ref=f"hits:{len(suggestions)}",
            reason=_("登记查重:%(numbers)s")
            % {"numbers": "、".join(s.number for s in suggestions)},
        )
    return suggestions
