"""The citizen's part of the demo year (``followup.demo_year``): an applicant answers the
evaluation SMS. The link is made as ``messages.on_case_closed`` makes it and goes through
``services.citizen_evaluate`` (read, single use, record), as a tap on the SMS would."""

from __future__ import annotations

from . import links
from .messages import first_applicant
from .services import citizen_evaluate


def evaluate_by_link(
    *, case_id: int, satisfaction: str, agreement_performed: bool | None, comments: str
) -> None:
    from intake.models import Case

    party = first_applicant(case_id)
    if party is None:
        return
    round_ = Case.objects.filter(pk=case_id).values_list("rework_count", flat=True).get()
    token = links.make_token("evaluate", c=case_id, r=round_, p=party.pk)
    citizen_evaluate(
        token=token,
        satisfaction=satisfaction,
        agreement_performed=agreement_performed,
        comments=comments,
    )
