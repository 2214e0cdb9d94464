"""SMS to citizens, through the deployment's SMS backend (``SMS_BACKEND``).

Two paths, by what the message is (docs/citizen.md, "SMS"):

- **Receipts and links** (the application's receipt, the links to evaluate or confirm) go
  through the party outbox ``followup.PartySms``: a row in the writing transaction, unique
  by key (a repeated hook or sweep sends once), handed to a worker after commit, retried
  with backoff on a gateway failure and handed over again by the beat sweep. The signed
  link is not in the row (``{link}`` + the ids it names); it is signed when sent.
- **Verification codes** are not queued: the citizen is waiting on the page, a code
  retried minutes later is useless (``CITIZEN_CODE_MINUTES``), and the outbox is audited
  and shown in the admin, where a code must not be readable. ``send_code`` sends in the
  request once the code's row has committed; a failure is answered on the page and the
  citizen's next tap is the retry."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from followup import tasks as followup_tasks
from followup import worksteps
from followup.models import PartySms, PartySmsKind
from intake.models import Case, CaseEvent, Party
from luodian_platform.errors import ServiceError
from luodian_platform.notifications import get_sms_backend

from . import links

logger = logging.getLogger(__name__)

LINK = worksteps.LINK_PLACEHOLDER
# The link of each purpose in an SMS: the page it opens.
LINK_VIEWS = {
    "evaluate": "citizen:evaluate",
    "notice": "citizen:confirm_notice",
    "term": "citizen:confirm_term",
}


def register_links() -> None:
    """Called from ``CitizenConfig.ready``: the outbox signs our links when it sends."""
    for purpose, view in LINK_VIEWS.items():
        worksteps.register_party_sms_link(
            purpose, lambda data, p=purpose, v=view: links.make_url(p, v, **data)
        )


def queue(
    *, case_id: int, party_id: int, kind: str, key: str, text: str, link: dict | None = None
) -> bool:
    """One SMS to a party through the outbox, in the caller's transaction; False if the
    key was queued before (nothing is sent twice: the key is unique)."""
    if PartySms.objects.filter(key=key).exists():
        return False
    ids = worksteps.party_sms_add(
        [
            PartySms(
                case_id=case_id,
                party_id=party_id,
                kind=kind,
                key=key,
                text=text[:300],
                link=link or {},
            )
        ]
    )
    followup_tasks.publish_party_sms_on_commit(ids)
    return True


class CodeNotSent(ServiceError):
    status = 503
    code = "sms_failed"


def send_code(*, mobile: str, text: str, key: str) -> None:
    """Send a verification code now. Call it after the code's row has committed (the
    public views run outside a transaction, ``ATOMIC_REQUESTS`` is off), so nothing is
    sent for a code that was not stored. Raises ``CodeNotSent`` (503) on a gateway
    failure, after logging it; the caller forgets the code."""
    try:
        get_sms_backend().send(mobile=mobile, text=text, key=key)
    except Exception:
        logger.exception("citizen SMS code %s not sent", key)
        raise CodeNotSent(
            _("验证码短信发送失败,请稍后再试。如多次失败,请拨打服务电话。"),
            fields={"code": _("验证码短信发送失败,请稍后再试。")},
        ) from None


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
    queue(
        case_id=case.pk,
        party_id=party.pk,
        kind=PartySmsKind.CITIZEN_EVALUATE,
        key=f"citizen-evaluate-{case.pk}-{case.rework_count}",
        text=_(
            "【%(county)s矛盾纠纷化解中心】您的案件%(number)s已办结。请对办理结果进行评价:%(url)s"
        )
        % {"county": _county(), "number": case.number, "url": LINK},
        link={"purpose": "evaluate", "data": {"c": case.pk, "r": case.rework_count, "p": party.pk}},
    )


def _county() -> str:
    return settings.COUNTY_NAME


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
        if not party.phone:
            continue
        queue(
            case_id=case.pk,
            party_id=party.pk,
            kind=PartySmsKind.CITIZEN_NOTICE,
            key=f"citizen-notice-{notice.pk}-{party.pk}",
            text=_(
                "【%(county)s矛盾纠纷化解中心】案件%(number)s的调解终结告知书(%(doc)s)已出具,"
                "请点击确认收到并查看可选途径:%(url)s"
            )
            % {"county": _county(), "number": case.number, "doc": notice.number, "url": LINK},
            link={"purpose": "notice", "data": {"n": notice.pk, "p": party.pk}},
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
            if not party.phone:
                continue
            with transaction.atomic():
                sent += queue(
                    case_id=case.pk,
                    party_id=party.pk,
                    kind=PartySmsKind.CITIZEN_TERM,
                    key=f"citizen-term-{term.pk}-{party.pk}",
                    text=_(
                        "【%(county)s矛盾纠纷化解中心】案件%(number)s调解协议第%(seq)d项已到履行期限,"
                        "请告诉我们是否已履行:%(url)s"
                    )
                    % {"county": _county(), "number": case.number, "seq": term.seq, "url": LINK},
                    link={"purpose": "term", "data": {"t": term.pk, "p": party.pk}},
                )
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
