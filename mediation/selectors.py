"""Reads for the mediation pages, the API and the background sweep.

Case-bound reads start from ``Case.objects.visible_to(user)``. The ``*_due(before=...)``
selectors are for the sweep (no user): they select rows by an indexed due column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
)
from django.utils.translation import gettext as _

from intake.models import OPEN_STATES, Case
from luodian_platform.roles import Role, user_has_role

from .models import (
    Agreement,
    AgreementTerm,
    ConflictDeclaration,
    CourtReferral,
    JudicialConfirmation,
    LegalService,
    MediationSession,
    Mediator,
    Notice,
    PetitionRecord,
)
from .services import LEGAL_AID_CENTRE_CODE, conflict_reasons


def visible_cases(user) -> QuerySet[Case]:
    return Case.objects.visible_to(user)


def mediator_list(*, kind: str = "", available_only: bool = False) -> QuerySet[Mediator]:
    qs = (
        Mediator.objects.filter(is_active=True)
        .select_related("department", "township")
        .prefetch_related("categories")
        .annotate(
            load=Count(
                "assignments",
                filter=Q(assignments__case__state__in=OPEN_STATES),
                distinct=True,
            )
        )
    )
    if kind:
        qs = qs.filter(kind=kind)
    if available_only:
        qs = qs.filter(is_available=True)
    return qs


@dataclass
class Suggestion:
    mediator: Mediator
    load: int
    category_match: bool
    same_township: bool
    conflicts: list[str]


def mediator_suggestions(*, case: Case, limit: int = 10) -> list[Suggestion]:
    """People for this case: those whose categories include the case's category first, then
    those in the case's township, then by current load (open cases they are assigned to).
    Each carries the 回避 reasons found, so the page can warn before assigning."""
    parties = list(case.parties.all())
    qs = (
        mediator_list(available_only=True)
        .prefetch_related(
            "relations",
            Prefetch("conflicts", queryset=ConflictDeclaration.objects.filter(case=case)),
        )
        .annotate(
            category_match=Count("categories", filter=Q(categories=case.category_id), distinct=True)
        )
    )
    out = []
    for m in qs:
        out.append(
            Suggestion(
                mediator=m,
                load=m.load,
                category_match=bool(m.category_match),
                same_township=bool(case.township_id and m.township_id == case.township_id),
                conflicts=conflict_reasons(mediator=m, case=case, parties=parties),
            )
        )
    out.sort(
        key=lambda s: (
            bool(s.conflicts),
            not s.category_match,
            not s.same_township,
            s.load,
            s.mediator.name,
        )
    )
    return [s for s in out if s.category_match or s.same_township][:limit]


def case_sessions(*, case: Case) -> QuerySet[MediationSession]:
    return (
        case.mediation_sessions.select_related("room")
        .prefetch_related("mediators", "parties_attended")
        .order_by("starts_at")
    )


def sessions_for_user(*, user, start: dt.datetime, end: dt.datetime) -> QuerySet[MediationSession]:
    return (
        MediationSession.objects.filter(
            case__in=visible_cases(user), starts_at__lt=end, ends_at__gt=start
        )
        .select_related("room", "case")
        .prefetch_related("mediators")
        .order_by("starts_at")
    )


def agreement_get(*, user, pk: int) -> Agreement | None:
    return (
        Agreement.objects.filter(pk=pk, case__in=visible_cases(user))
        .select_related("case", "case__category", "committee", "mediator", "mediator__department")
        .prefetch_related("parties", "terms")
        .first()
    )


def notice_get(*, user, pk: int) -> Notice | None:
    return (
        Notice.objects.filter(pk=pk, case__in=visible_cases(user))
        .select_related("case", "case__department", "issued_by")
        .prefetch_related("case__parties")
        .first()
    )


def petition_notice_get(*, user, pk: int) -> PetitionRecord | None:
    """A petition record whose 受理/不予受理告知书 has been issued."""
    return (
        PetitionRecord.objects.filter(pk=pk, case__in=visible_cases(user))
        .exclude(notice_number="")
        .select_related("case")
        .prefetch_related("case__parties")
        .first()
    )


def petition_reply_get(*, user, pk: int) -> PetitionRecord | None:
    """A petition record whose 信访处理意见书 has been issued."""
    return (
        PetitionRecord.objects.filter(pk=pk, case__in=visible_cases(user))
        .exclude(reply_number="")
        .select_related("case")
        .prefetch_related("case__parties")
        .first()
    )


def referral_get(*, user, pk: int) -> CourtReferral | None:
    return (
        CourtReferral.objects.filter(pk=pk, case__in=visible_cases(user))
        .select_related("case", "court", "case__department", "reported_by")
        .prefetch_related("case__parties")
        .first()
    )


def judicial_confirmation_get(*, user, pk: int) -> JudicialConfirmation | None:
    return (
        JudicialConfirmation.objects.filter(pk=pk, agreement__case__in=visible_cases(user))
        .select_related("agreement", "agreement__case")
        .first()
    )


# --- due rows for the background sweep (indexed columns) --------------------------------


def performance_terms_due(before: dt.datetime) -> QuerySet[AgreementTerm]:
    """Open performance terms of effective agreements due before ``before`` and not yet
    reminded. Uses the index on ``AgreementTerm.due_at``."""
    return (
        AgreementTerm.objects.filter(
            due_at__lt=before,
            performed_at__isnull=True,
            reminded_at__isnull=True,
            agreement__effective_at__isnull=False,
        )
        .select_related("agreement", "agreement__case")
        .order_by("due_at")
    )


def judicial_confirmations_due(before: dt.datetime) -> QuerySet[JudicialConfirmation]:
    """Judicial-confirmation windows whose reminder is due (not yet applied, not reminded).
    Uses the index on ``remind_at``."""
    return (
        JudicialConfirmation.objects.filter(
            remind_at__lt=before, applied_at__isnull=True, reminded_at__isnull=True
        )
        .select_related("agreement", "agreement__case")
        .order_by("remind_at")
    )


def court_referrals_due(before: dt.datetime) -> QuerySet[CourtReferral]:
    """Court referrals whose 30-day (or extended) window ends before ``before`` and whose
    result has not been reported back."""
    return (
        CourtReferral.objects.filter(due_at__lt=before, reported_at__isnull=True)
        .select_related("case")
        .order_by("due_at")
    )


def legal_aid_due(before: dt.datetime) -> QuerySet[LegalService]:
    """Legal-aid applications whose decision or lawyer assignment is due before ``before``."""
    return LegalService.objects.filter(
        Q(decision="", decision_due_at__lt=before)
        | Q(decision=LegalService.Decision.APPROVED, lawyer__isnull=True, lawyer_due_at__lt=before),
        kind=LegalService.Kind.LEGAL_AID,
    ).order_by("decision_due_at")


# --- legal services ---------------------------------------------------------------------


def legal_services_for(*, user) -> QuerySet[LegalService]:
    qs = LegalService.objects.select_related("case", "handled_by", "lawyer")
    if user.is_superuser or user_has_role(user, Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN):
        return qs
    q = Q(handled_by=user) | Q(case__in=visible_cases(user))
    if user.department_id and user.department.code == LEGAL_AID_CENTRE_CODE:
        q |= Q(kind=LegalService.Kind.LEGAL_AID)
    return qs.filter(q)


# --- the 2.5-hour metric ----------------------------------------------------------------


def time_to_agreement(case: Case) -> dt.timedelta | None:
    """Registration to signed agreement (the seed's headline: 48 h down to 2.5 h)."""
    if case.agreement_signed_at is None:
        return None
    return case.agreement_signed_at - case.created_at


def average_time_to_agreement(*, user) -> dt.timedelta | None:
    return (
        visible_cases(user)
        .filter(agreement_signed_at__isnull=False)
        .aggregate(
            avg=Avg(
                ExpressionWrapper(
                    F("agreement_signed_at") - F("created_at"), output_field=DurationField()
                )
            )
        )["avg"]
    )


def format_duration(delta: dt.timedelta | None) -> str:
    if delta is None:
        return ""
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return _("%(d)s天%(h)s小时%(m)s分") % {"d": days, "h": hours, "m": minutes}
    return _("%(h)s小时%(m)s分") % {"h": hours, "m": minutes}


def signature_pads(agreement) -> list[dict]:
    """One signature pad per signatory who has not signed yet (the tablet in the room)."""
    if agreement.is_effective:
        return []
    pads = [
        {"signer": "party", "party": p.pk, "label": f"{p.get_role_display()} {p.name}"}
        for p in agreement.parties.all()
        if not p.signed
    ]
    if not agreement.mediator_signed:
        pads.append(
            {
                "signer": "mediator",
                "party": "",
                "label": _("人民调解员 %(n)s") % {"n": agreement.mediator.name},
            }
        )
    if not agreement.committee_sealed:
        pads.append({"signer": "committee", "party": "", "label": agreement.committee.name})
    return pads
