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


def first_applicant_of(number: str) -> Party | None:
    case_id = Case.objects.filter(number=number).values_list("pk", flat=True).first()
    return first_applicant(case_id) if case_id else None


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


def _claim(purpose: str, object_id: int, party: Party) -> bool:
    """Record that ``party`` gets the link about ``object_id``; False if already sent."""
    from django.db import IntegrityError

    from .models import LinkSent

    try:
        with transaction.atomic():
            LinkSent.objects.create(purpose=purpose, object_id=object_id, party=party)
    except IntegrityError:
        return False
    return True


def on_case_replied(case: Case, event: CaseEvent) -> None:
    """After ``reply`` with a notice (告知书): every party with a phone gets a signed link
    to confirm its receipt (``links.MAX_AGE['notice']``)."""
    from intake.models import Outcome
    from mediation.models import Notice

    if case.outcome != Outcome.NOTICE:
        return
    notice = Notice.objects.filter(case=case, number=case.reply_document).first()
    if notice is None:
        return
    for party in Party.objects.filter(case=case).exclude(role=Party.PartyRole.AGENT).order_by("pk"):
        if not party.phone or not _claim("notice", notice.pk, party):
            continue
        url = links.make_url("notice", "citizen:confirm_notice", n=notice.pk, p=party.pk)
        send_after_commit(
            mobile=party.phone,
            text=_(
                "【%(county)s矛盾纠纷化解中心】案件%(number)s的调解终结告知书(%(doc)s)已出具,"
                "请点击确认收到并查看可选途径:%(url)s"
            )
            % {"county": _county(), "number": case.number, "doc": notice.number, "url": url},
            key=f"citizen-notice-{notice.pk}-{party.pk}",
        )


def send_term_confirmations(*, now=None) -> int:
    """Agreement terms that fell due in the last week and are not marked performed: the
    applicants with a phone get a signed link to say whether they were performed. Run
    daily in the morning by beat (``CitizenConfig.ready``); safe to run twice."""
    import datetime as dt

    from django.utils import timezone

    from mediation.models import AgreementTerm

    now = now or timezone.now()
    sent = 0
    terms = AgreementTerm.objects.filter(
        due_at__lte=now,
        due_at__gte=now - dt.timedelta(days=7),
        performed_at__isnull=True,
        agreement__effective_at__isnull=False,
    ).select_related("agreement__case")
    for term in terms:
        case = term.agreement.case
        for party in Party.objects.filter(case=case, role=Party.PartyRole.APPLICANT).order_by("pk"):
            with transaction.atomic():
                if not party.phone or not _claim("term", term.pk, party):
                    continue
                url = links.make_url("term", "citizen:confirm_term", t=term.pk, p=party.pk)
                send_after_commit(
                    mobile=party.phone,
                    text=_(
                        "【%(county)s矛盾纠纷化解中心】案件%(number)s调解协议第%(seq)d项已到履行期限,"
                        "请告诉我们是否已履行:%(url)s"
                    )
                    % {"county": _county(), "number": case.number, "seq": term.seq, "url": url},
                    key=f"citizen-term-{term.pk}-{party.pk}",
                )
                sent += 1
    return sent


def prune_logs(*, now=None) -> dict[str, int]:
    """Delete what the public side keeps only for throttling and single use: SMS codes after
    a day, used-link ids after 90 days (longer than any link lives, ``links.MAX_AGE``), the
    lookup log (with addresses) after ``CITIZEN_LOG_DAYS``."""
    import datetime as dt

    from django.conf import settings
    from django.utils import timezone

    from .models import LookupAttempt, PhoneCode, UsedLink

    now = now or timezone.now()
    return {
        "codes": PhoneCode.objects.filter(created_at__lt=now - dt.timedelta(days=1)).delete()[0],
        "links": UsedLink.objects.filter(used_at__lt=now - dt.timedelta(days=90)).delete()[0],
        "lookups": LookupAttempt.objects.filter(
            at__lt=now - dt.timedelta(days=settings.CITIZEN_LOG_DAYS)
        ).delete()[0],
    }
