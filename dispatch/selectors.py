"""Reads of the dispatch room: returns, dispatch records, extensions, supervision,
corrections and the deadline lists. Case reads start from ``Case.objects.visible_to``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Case as DbCase
from django.db.models import Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.models import HANDLING_STATES, Case, CaseEvent, RiskLevel, State
from intake.selectors import case_list
from luodian_platform.models import Department
from luodian_platform.roles import Role, user_roles
from luodian_platform.workcal import WorkCalendar, local_date

from .models import Correction, DispatchRecord, ExtensionRequest, Supervision

CENTRE_ROLES = {Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN}


def _is_centre(user) -> bool:
    return bool(user_roles(user) & CENTRE_ROLES)


# --- returns (退单) --------------------------------------------------------------------


def case_returns(*, case: Case) -> QuerySet[CaseEvent]:
    """Every return of the case with its reason (``note``) and legal basis
    (``payload["legal_basis"]``) and the returning department (``payload["department"]``)."""
    return case.events.filter(transition="return_case").select_related("actor").order_by("at", "id")


def dispatch_history(*, case: Case) -> QuerySet[DispatchRecord]:
    return (
        case.dispatch_records.select_related("department", "rule", "actor")
        .prefetch_related("co_departments")
        .order_by("-at", "-id")
    )


def current_dispatch(*, case: Case) -> DispatchRecord | None:
    return dispatch_history(case=case).filter(is_current=True).first()


def co_handling_q(user) -> Q:
    """Cases a user's department co-handles (协办) under the current dispatch."""
    if not getattr(user, "department_id", None):
        return Q(pk__in=[])
    return Q(
        pk__in=DispatchRecord.objects.filter(
            is_current=True, co_departments=user.department_id
        ).values("case_id")
    )


# --- extensions ------------------------------------------------------------------------


def extension_visible(user) -> QuerySet[ExtensionRequest]:
    qs = ExtensionRequest.objects.select_related("case", "department", "requested_by", "decided_by")
    if _is_centre(user):
        return qs
    return qs.filter(case__in=Case.objects.visible_to(user).values("pk"))


# --- supervision -----------------------------------------------------------------------


def supervision_visible(user) -> QuerySet[Supervision]:
    """The centre sees every record; a department sees the records against it."""
    qs = Supervision.objects.select_related("case", "department", "created_by", "responded_by")
    roles = user_roles(user)
    if roles & CENTRE_ROLES:
        return qs
    if roles & {Role.OFFICER, Role.MEDIATOR} and user.department_id:
        return qs.filter(department_id=user.department_id)
    return qs.none()


def correction_visible(user) -> QuerySet[Correction]:
    """The centre sees every correction; a department its own; a person those naming them."""
    qs = Correction.objects.select_related(
        "case", "department", "officer", "created_by", "feedback_by"
    )
    roles = user_roles(user)
    if roles & CENTRE_ROLES:
        return qs
    if not roles:
        return qs.none()
    q = Q(officer_id=user.pk)
    if roles & {Role.OFFICER, Role.MEDIATOR} and user.department_id:
        q |= Q(department_id=user.department_id)
    return qs.filter(q)


def department_todo(*, user) -> dict:
    """What an officer's department has to answer: urges/orders/notices and corrections."""
    return {
        "supervisions": supervision_visible(user)
        .filter(responded_at__isnull=True)
        .order_by("response_due_at")[:50],
        "corrections": correction_visible(user)
        .filter(feedback_at__isnull=True)
        .order_by("rectify_due_at", "created_at")[:50],
        "extensions": extension_visible(user)
        .filter(department_id=user.department_id)
        .order_by("-requested_at")[:20],
    }


# --- suggested corrections -------------------------------------------------------------


@dataclass
class CorrectionSuggestion:
    case: Case
    problem: str
    reason: str
    department: Department | None = None
    departments: list[str] = field(default_factory=list)
    stall_id: int | None = None  # a 久未进展 row: issued with one click (dispatch.stalls)

    @property
    def problem_label(self) -> str:
        return str(Correction.Problem(self.problem).label)


def correction_suggestions(*, user, limit: int = 50) -> list[CorrectionSuggestion]:
    """Problems the platform can see by itself, not yet recorded as a correction on the case:
    late handling (overdue), repeated returns (routing bounced), replies sent back."""
    if not _is_centre(user):
        return []
    base = Case.objects.visible_to(user).select_related("department")

    def not_recorded(problem: str):
        return ~Exists(Correction.objects.filter(case=OuterRef("pk"), problem=problem))

    out: list[CorrectionSuggestion] = []
    late = base.filter(
        state__in=HANDLING_STATES, due_at__lt=timezone.now(), department__isnull=False
    ).filter(not_recorded(Correction.Problem.LATE_HANDLING))
    for case in late.order_by("due_at")[:limit]:
        out.append(
            CorrectionSuggestion(
                case=case,
                problem=Correction.Problem.LATE_HANDLING,
                department=case.department,
                reason=_("超过办理时限 %(due)s")
                % {"due": f"{timezone.localtime(case.due_at):%Y-%m-%d %H:%M}"},
            )
        )
    bounced = base.filter(bounce_count__gte=settings.FORCED_DISPATCH_AFTER_RETURNS).filter(
        not_recorded(Correction.Problem.INACCURATE_ROUTING)
    )
    bounced = list(bounced.order_by("-bounce_count", "-id")[:limit])
    returned_by: dict[int, list[str]] = {}
    for case_id, payload in CaseEvent.objects.filter(
        case__in=[c.pk for c in bounced], transition="return_case"
    ).values_list("case_id", "payload"):
        code = (payload or {}).get("department")
        if code and code not in returned_by.setdefault(case_id, []):
            returned_by[case_id].append(code)
    for case in bounced:
        out.append(
            CorrectionSuggestion(
                case=case,
                problem=Correction.Problem.INACCURATE_ROUTING,
                reason=_("退单 %(n)s 次") % {"n": case.bounce_count},
                departments=returned_by.get(case.pk, []),
            )
        )
    sent_back = base.filter(
        Exists(CaseEvent.objects.filter(case=OuterRef("pk"), transition="send_back")),
        department__isnull=False,
    ).filter(not_recorded(Correction.Problem.NON_STANDARD_REPLY))
    for case in sent_back.order_by("-id")[:limit]:
        out.append(
            CorrectionSuggestion(
                case=case,
                problem=Correction.Problem.NON_STANDARD_REPLY,
                department=case.department,
                reason=_("答复被中心退回重办"),
            )
        )
    from .stalls import open_stalls, stall_reason

    for stall in open_stalls(user=user, limit=limit):
        if stall.correction_id is None and stall.case.department_id is not None:
            out.append(
                CorrectionSuggestion(
                    case=stall.case,
                    problem=Correction.Problem.LATE_HANDLING,
                    department=stall.case.department,
                    reason=stall_reason(stall),
                    stall_id=stall.pk,
                )
            )
    return out


# --- the dispatcher's deadline lists -----------------------------------------------------

SORTS = {
    "due_at": ("due_at", "id"),
    "-due_at": ("-due_at", "-id"),
    "number": ("number",),
    "-number": ("-number",),
    "department": ("department__code", "due_at"),
    "risk": ("risk_rank", "due_at"),
    "bounces": ("-bounce_count", "due_at"),
}
LIST_KEYS = ("due_soon", "overdue", "high_risk")


def due_soon_cutoff(now: dt.datetime, days: int = 2) -> dt.datetime:
    """End of the ``days``-th working day from today: what "due soon" means in the room."""
    from luodian_platform.workcal import end_of_day

    cal = WorkCalendar.load()
    return end_of_day(cal.add_working_days(local_date(now), days))


def deadline_lists(*, user, filters: dict | None = None, sort: str = "due_at", limit: int = 50):
    """Due-soon, overdue and high-risk open cases, filtered (department, category,
    township, channel, risk, q) and sorted the same way, for the workbench."""
    f = {k: v for k, v in (filters or {}).items() if k != "state" and k != "overdue"}
    # risk_level is text ("high" < "low" < "medium"): sort by an explicit rank instead.
    base = case_list(user=user, filters=f).annotate(
        risk_rank=DbCase(
            When(risk_level=RiskLevel.HIGH, then=Value(0)),
            When(risk_level=RiskLevel.MEDIUM, then=Value(1)),
            default=Value(2),
        )
    )
    order = SORTS.get(sort, SORTS["due_at"])
    now = timezone.now()
    cutoff = due_soon_cutoff(now)
    lists = {
        "due_soon": base.filter(state__in=HANDLING_STATES, due_at__gte=now, due_at__lte=cutoff),
        "overdue": base.filter(state__in=HANDLING_STATES, due_at__lt=now),
        "high_risk": base.filter(risk_level=RiskLevel.HIGH).exclude(
            state__in=[State.CLOSED, State.ARCHIVED, State.REJECTED, State.MERGED]
        ),
    }
    return {k: qs.order_by(*order)[:limit] for k, qs in lists.items()}


def calendar_warnings(*, user) -> dict:
    """Years the working-day calendar does not know, for the dispatch room's banner: this
    year and next (deadlines reach into it), plus current dispatches whose deadline was
    counted over an unknown year (weekends-only)."""
    cal = WorkCalendar.load()
    year = local_date().year
    unknown = [y for y in (year, year + 1) if not cal.is_known_year(y)]
    flagged = (
        DispatchRecord.objects.filter(
            is_current=True,
            case__state__in=HANDLING_STATES,
            case__in=Case.objects.visible_to(user).values("pk"),
        )
        .exclude(calendar_unknown_years=[])
        .select_related("case")
        .order_by("due_at")[:20]
    )
    flagged = list(flagged)
    estimates = case_estimates(user=user)
    return {
        "unknown_years": unknown,
        "flagged": flagged,
        "estimates": estimates,
        "show": bool(unknown or flagged or estimates),
    }


def case_estimates(*, user, case=None, limit: int = 50):
    """Open calendar estimates (dates counted over a year without holiday data) on cases
    the user can see — every clock, not only the handling deadline — with labels."""
    from .clocks import label_estimates, open_estimates

    cases = Case.objects.visible_to(user)
    if case is not None:
        cases = cases.filter(pk=case.pk)
    rows = open_estimates(cases=cases.values("pk")).select_related("case")
    return label_estimates(rows[:limit])
