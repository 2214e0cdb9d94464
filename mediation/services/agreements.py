"""Agreements (调解协议书, 《人民调解法》 arts. 28–29) and notices (告知书, art. 26)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch.clocks import compute_period, flag
from intake.evidence import store
from intake.lifecycle import lock_visible_case
from intake.models import Case, Outcome
from luodian_platform.errors import Conflict, NotFound, ServiceError
from luodian_platform.models import Department
from luodian_platform.periods import period
from luodian_platform.workcal import local_date

from ..models import (
    Agreement,
    AgreementParty,
    AgreementTerm,
    JudicialConfirmation,
    MediatorAssignment,
    Notice,
    NoticeRoute,
)
from .common import (
    _lock_for_mediation,
    _log,
    _next_number,
    _require_working_state,
)
from .issuing import document_issue_pdf
from .paper import (
    attach_signed_scans,
    paper_signatories,
    require_signed_scan,
    scan_missing_error,
    signed_scans,
)
from .replies import case_reply

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
        else:
            problem = _performance_date_problem(t.due_at)
            if problem:
                errors[f"terms[{i}].due_at"] = problem
    return errors


def _performance_date_problem(due_at: dt.datetime) -> str | None:
    """A performance date lies between the agreement (a week's grace for one entered after
    the session) and ten years after it: 2020 or 2126 is a slip of the keyboard."""
    today = local_date()
    due = local_date(due_at)
    earliest = today - dt.timedelta(days=settings.SESSION_PAST_GRACE_DAYS)
    if due < earliest:
        return _("履行期限 %(d)s 早于协议日期,请核对。") % {"d": due.isoformat()}
    if due.year > today.year + settings.PERFORMANCE_MAX_YEARS:
        return _("履行期限 %(d)s 超过 %(n)d 年,请核对。") % {
            "d": due.isoformat(),
            "n": settings.PERFORMANCE_MAX_YEARS,
        }
    return None


def committees():
    """The bodies that may seal an agreement: people's mediation committees only
    (《人民调解法》 arts. 7-8, 29)."""
    return Department.objects.filter(is_mediation_committee=True, is_active=True)


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
    scans=(),
) -> Agreement:
    """人民调解协议书. Refused if a required content is missing. When every party signed and
    the mediator and committee signed/sealed, it takes effect at once (see
    ``agreement_sign``); otherwise it is a draft to print and sign. Signatures recorded
    here were made on paper: ``scans`` (the signed paper's scan) must come with them."""
    stored: list[str] = []
    try:
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
            assigned = MediatorAssignment.objects.filter(
                case=case, mediator_id=mediator_id
            ).exists()
            if not assigned:
                errors["mediator"] = _("调解员须为本案已指派的调解员。")
            if not committees().filter(pk=committee.pk).exists():
                errors["committee"] = _(
                    "「%(name)s」不是人民调解委员会:协议书须由人民调解委员会盖章"
                    "(《人民调解法》第二十九条),请选择人民调解委员会。"
                ) % {"name": committee.name}
            if errors:
                raise ServiceError(_("协议书缺少法定内容,请补充后再保存。"), fields=errors)
            now = timezone.now()
            # A draft has no official number: it is given when the agreement takes effect.
            agreement = Agreement.objects.create(
                case=case,
                number=None,
                committee=committee,
                mediator_id=mediator_id,
                facts=facts.strip(),
                issues=issues.strip(),
                liabilities=liabilities.strip(),
                mediator_signed=mediator_signed,
                committee_sealed=committee_sealed,
                mediator_signed_at=now if mediator_signed else None,
                committee_sealed_at=now if committee_sealed else None,
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
            _log(case, "agreement_draft", actor, note=agreement.label, payload={"id": agreement.pk})
            attach_signed_scans(agreement=agreement, actor=actor, scans=scans, stored=stored)
            if mediator_signed or committee_sealed or any(p.sign_method for p in parties):
                require_signed_scan(agreement)
            _take_effect_if_complete(agreement, actor)
    except BaseException:
        # Nothing half-stored: the rows are rolled back, so the scans' objects go too.
        for name in stored:
            store.delete(name)
        raise
    return agreement


def agreement_sign(
    *,
    agreement_id: int,
    actor,
    signatures: dict[int, str],
    mediator_signed: bool | None = None,
    committee_sealed: bool | None = None,
    scans=(),
) -> Agreement:
    """Record signatures made on paper (``{agreement_party_id: sign_method}``, the
    mediator's signature, the committee's seal); the agreement takes effect when the last
    one is in (art. 29). A signing newly recorded here needs the signed paper's scan on the
    agreement: attached before, or ``scans`` in this same step (one transaction)."""
    agreement = Agreement.objects.filter(pk=agreement_id).only("case_id").first()
    if agreement is None:
        raise NotFound(_("协议书不存在或您无权查看。"))
    stored: list[str] = []
    try:
        with transaction.atomic():
            _lock_for_mediation(agreement.case_id, actor)
            agreement = Agreement.objects.select_for_update().get(pk=agreement_id)
            _sign_on_paper(
                agreement,
                actor,
                signatures=signatures,
                mediator_signed=mediator_signed,
                committee_sealed=committee_sealed,
                scans=scans,
                stored=stored,
            )
    except BaseException:
        for name in stored:
            store.delete(name)
        raise
    return agreement


def _sign_on_paper(
    agreement: Agreement,
    actor,
    *,
    signatures: dict[int, str],
    mediator_signed: bool | None,
    committee_sealed: bool | None,
    scans,
    stored: list[str],
) -> None:
    if agreement.is_effective:
        raise Conflict(_("协议书已生效,不能再修改签署情况。"), code="effective")
    now = timezone.now()
    rows = {p.pk: p for p in agreement.parties.all()}
    newly_signed = False
    for pk, method in signatures.items():
        if pk not in rows or method not in AgreementParty.SignMethod.values:
            raise ServiceError(_("签署信息无效。"), fields={"signatures": str(pk)})
        row = rows[pk]
        if row.signed and row.sign_method == method:
            continue  # unchanged (the form posts every party, tablet signatures too)
        newly_signed = True
        row.sign_method = method
        row.signed_at = row.signed_at or now
        row.save(update_fields=["sign_method", "signed_at"])
    if mediator_signed is not None:
        if mediator_signed and not agreement.mediator_signed:
            agreement.mediator_signed_at = now
            newly_signed = True
        agreement.mediator_signed = mediator_signed
        if not mediator_signed:
            agreement.mediator_signed_at = None
    if committee_sealed is not None:
        if committee_sealed and not agreement.committee_sealed:
            agreement.committee_sealed_at = now
            newly_signed = True
        agreement.committee_sealed = committee_sealed
        if not committee_sealed:
            agreement.committee_sealed_at = None
    agreement.save(
        update_fields=[
            "mediator_signed",
            "committee_sealed",
            "mediator_signed_at",
            "committee_sealed_at",
        ]
    )
    attach_signed_scans(agreement=agreement, actor=actor, scans=scans, stored=stored)
    if newly_signed:
        require_signed_scan(agreement)
    _take_effect_if_complete(agreement, actor)


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
    # Signatures on paper are proven by the signed scan (services.paper); a draft signed on
    # paper before that rule gets its scan before it can take effect.
    if paper_signatories(agreement) and not signed_scans(agreement).exists():
        raise scan_missing_error()
    now = timezone.now()
    agreement.effective_at = now
    # The official number is given now, in the transaction that issues the agreement, from
    # the locked counter row: gap-free per year, never consumed by a draft.
    if not agreement.number:
        agreement.number = _next_number("agreement", "调协")
    agreement.save(update_fields=["effective_at", "number"])
    # The signed PDF is rendered and frozen in the same transaction: if it cannot be
    # printed (a character no font draws) the agreement does not take effect either.
    document_issue_pdf(kind="agreement", document=agreement)
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
    # 《人民调解法》 art. 33: 30 days from the agreement taking effect; a last day on a
    # rest day moves to the next working day (《民法典》 art. 203).
    window = compute_period("jc_window", start=now)
    lead = period("jc_window_reminder")
    jc = JudicialConfirmation.objects.create(
        agreement=agreement,
        window_ends_at=window.due,
        remind_at=window.due - dt.timedelta(days=lead.amount),
    )
    flag(window, target=jc, field_name="window_ends_at", case=case)
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

CHANNEL_LABELS = dict(NoticeRoute.Route.choices)


def default_notice_channels(case: Case) -> list[dict[str, str]]:
    """The lawful routes that remain, from the route table (``NoticeRoute``): the rows of
    the case's category, then the rows for every category whose route the category does
    not already have (a labour case gets the labour-law litigation row, not the general
    one). Each has institution, address and time limit with its article; the officer edits
    them on the form before the notice is issued."""
    rows = list(
        NoticeRoute.objects.filter(
            is_active=True, category_code__in=[case.category.code, ""]
        ).order_by("order", "id")
    )
    specific = {r.route for r in rows if r.category_code}
    return [
        {
            "channel": r.route,
            "institution": r.institution,
            "address": r.address,
            "time_limit": r.time_limit,
        }
        for r in rows
        if r.category_code or r.route not in specific
    ]


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
            for key, limit in (("institution", 100), ("address", 200), ("time_limit", 300)):
                if len(str(c.get(key) or "")) > limit:
                    errors[f"channels[{i}].{key}"] = _("内容过长(最多%(n)d字)。") % {"n": limit}
        if errors:
            raise ServiceError(_("告知书内容不完整。"), fields=errors)
        notice = Notice.objects.create(
            case=case,
            number=_next_number("notice", "调告"),
            reason=reason,
            channels=[
                {
                    k: str(c.get(k) or "").strip()
                    for k in ("channel", "institution", "address", "time_limit")
                }
                for c in channels
            ],
            issued_by=actor,
        )
        # Issued at once: the PDF is frozen now (and a notice that cannot be printed is
        # not issued).
        document_issue_pdf(kind="notice", document=notice)
        case_reply(
            case_id=case.pk,
            actor=actor,
            outcome=Outcome.NOTICE,
            text=_("调解不成:%(r)s") % {"r": reason},
            document=notice.number,
        )
    return notice
