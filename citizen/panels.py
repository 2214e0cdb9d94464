"""The case page's panel of the citizen's side: what the parties confirmed through their
links and the applicant's own evaluations (staff see party names here; citizens never do)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from followup.models import Visit

from .models import Confirmation

EVENT_LABELS = {
    "citizen_confirmation": _("当事人网上确认"),
}


def case_panel(*, case, user, request) -> dict | None:
    confirmations = list(
        Confirmation.objects.filter(case=case).select_related("party").order_by("confirmed_at")
    )
    evaluations = list(
        Visit.objects.filter(case=case, source=Visit.Source.CITIZEN).order_by("round")
    )
    if not (confirmations or evaluations):
        return None
    return {"confirmations": confirmations, "evaluations": evaluations}
