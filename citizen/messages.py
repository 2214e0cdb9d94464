"""SMS to citizens, through the deployment's SMS backend (``SMS_BACKEND``), after commit.

Citizens are not users, so the reminder machinery (rows per user, swept) does not apply;
a message is sent once the writing transaction has committed. A gateway failure is logged
and does not undo the write (the citizen can still use the hall's phone or the lookup)."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from intake.models import Case, CaseEvent, Party
from luodian_platform.notifications import get_sms_backend

from . import links

logger = logging.getLogger(__name__)


def send_after_commit(*, mobile: str, text: str, key: str) -> None:
    def _send() -> None:
        try:
            get_sms_backend().send(mobile=mobile, text=text, key=key)
        except Exception:  # a gateway error must not turn a committed write into a 500
            logger.exception("citizen SMS %s not sent", key)

    transaction.on_commit(_send)


def first_applicant(case_id: int) -> Party | None:
    """The first applicant with a phone: the person the case's links are sent to."""
    for party in Party.objects.filter(case_id=case_id, role=Party.PartyRole.APPLICANT).order_by(
        "pk"
    ):
        if party.phone:
            return party
    return None


def on_case_closed(case: Case, event: CaseEvent) -> None:
    """After ``approve`` (same transaction): the applicant gets a signed link to evaluate
    this round (``links.MAX_AGE['evaluate']``)."""
    party = first_applicant(case.pk)
    if party is None:
        return
    url = links.make_url("evaluate", "citizen:evaluate", c=case.pk, r=case.rework_count, p=party.pk)
    send_after_commit(
        mobile=party.phone,
        text=_(
            "【%(county)s矛盾纠纷化解中心】您的案件%(number)s已办结。请对办理结果进行评价:%(url)s"
        )
        % {"county": _county(), "number": case.number, "url": url},
        key=f"citizen-evaluate-{case.pk}-{case.rework_count}",
    )


def _county() -> str:
    from django.conf import settings

    return settings.COUNTY_NAME
