"""Click-through of the evaluation: the cases behind one figure of one unit, with the same
conditions as the aggregates (``followup.evaluation``), among the cases the user may see."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet

from intake.models import Case, CaseEvent
from luodian_platform.models import Department

from .evaluation import SUPERVISION_KINDS, _optional_model, case_conditions, returns_in
from .method import FIGURES, TABLE_INDICATORS
from .models import POSITIVE_SATISFACTION, SatisfactionResult, Visit
from .periods import Period

# --- click-through: the cases behind a figure -------------------------------------------------


def figure_cases(*, user, period: Period, by: str, key: int, figure: str) -> QuerySet[Case]:
    """The cases behind one figure of one unit (the same conditions as the aggregates),
    among the cases ``user`` may see. Counts of records (ratings, urges, returns…) list the
    cases those records concern."""
    if by not in TABLE_INDICATORS or figure not in FIGURES:
        return Case.objects.none()
    since, until = period.since, period.until
    base = Case.objects.visible_to(user)
    dim = {f"{by}_id": key}
    case_dim = {f"case__{by}_id": key}
    cond = case_conditions(period)
    if figure in cond:
        return base.filter(cond[figure], **dim)
    if figure in ("rated", "visits_rated", "positive"):
        pos = {"satisfaction__in": POSITIVE_SATISFACTION} if figure == "positive" else {}
        visits = Visit.objects.filter(
            status=Visit.Status.DONE, completed_at__range=(since, until), **case_dim, **pos
        ).values("case_id")
        q = Q(pk__in=visits)
        if figure != "visits_rated":
            q |= Q(
                pk__in=SatisfactionResult.objects.filter(
                    rated_at__range=(since, until), **case_dim, **pos
                ).values("case_id")
            )
        return base.filter(q)
    if figure == "hotline_rated":
        return base.filter(
            pk__in=SatisfactionResult.objects.filter(
                rated_at__range=(since, until), **case_dim
            ).values("case_id")
        )
    rec_dim = case_dim if by == "township" else {"department_id": key}
    if figure in ("urges", "supervisions", "notices"):
        level = {attr: level for level, attr in SUPERVISION_KINDS}[figure]
        model = _optional_model("dispatch", "Supervision")
        return base.filter(
            pk__in=model.objects.filter(
                created_at__range=(since, until), level=level, **rec_dim
            ).values("case_id")
        )
    if figure == "corrections":
        model = _optional_model("dispatch", "Correction")
        return base.filter(
            pk__in=model.objects.filter(created_at__range=(since, until), **rec_dim).values(
                "case_id"
            )
        )
    if figure == "rework":
        return base.filter(
            pk__in=CaseEvent.objects.filter(
                at__range=(since, until), transition="reopen", **case_dim
            ).values("case_id")
        )
    # returns, bad_returns, upheld_returns
    returns = returns_in(period)
    if by == "township":
        returns = returns.filter(case__township_id=key)
    else:
        code = Department.objects.filter(pk=key).values_list("code", flat=True).first()
        returns = returns.filter(code=code)
    if figure == "bad_returns":
        returns = returns.filter(next_code=F("code"))
    elif figure == "upheld_returns":
        returns = returns.filter(next_code__isnull=False).exclude(next_code=F("code"))
    return base.filter(pk__in=returns.values("case_id"))
