"""Progress lookup (进度查询): case number + the last four digits of the applicant's phone.

Why that check: it costs no SMS, works on any phone and the citizen knows it. It defends
against guessing (case numbers are sequential), not against whoever holds the receipt, which
prints the phone masked with its last four digits (the holder is meant to follow the case).
Four digits are guessable, hence the lockout: ``CITIZEN_LOOKUP_FAILURES`` wrong checks on
one number within an hour lock that number until they are an hour old, and
``CITIZEN_LOOKUPS_PER_IP`` lookups per address per ten minutes.

The same answer, status and work for "no such case" and "wrong check": the applicants'
phones are read by case number in one query whether or not the case exists, one value
is decrypted in either case, and both are logged as ``no_match``. A number that does not
exist is locked like one that does. Only the applicants of that one case are decrypted;
the phone never leaves the server."""

from __future__ import annotations

import datetime as dt
import hmac
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from intake.models import Case, Party
from luodian_platform.crypto import decrypt, encrypt

from .models import LookupAttempt

NUMBER_RE = re.compile(r"^[A-Z]{1,6}\d{4}-\d{1,8}$")
CHECK_RE = re.compile(r"^\d{4}$")
# A value encrypted under the keys in force (keyed by them: a rotation must not leave a
# value that no longer decrypts).
_DUMMY: dict[tuple, str] = {}


def normalize_number(raw: str) -> str:
    return re.sub(r"\s+", "", raw or "").upper().replace("—", "-").replace("－", "-")[:40]


@dataclass
class LookupResult:
    outcome: str
    case: Case | None = None


def _dummy_token() -> str:
    keys = (settings.SECRET_KEY, str(settings.SALT_KEY))
    if keys not in _DUMMY:
        _DUMMY.clear()
        _DUMMY[keys] = encrypt("00000000000")
    return _DUMMY[keys]


def _matches(phones: list[str | None], check: str) -> bool:
    ok = False
    for phone in phones:
        # compare_digest on every candidate: no early exit that times the answer.
        ok |= hmac.compare_digest((phone or "")[-4:].encode(), check.encode())
    return ok


def lookup(*, number: str, check: str, ip: str | None) -> LookupResult:
    now = timezone.now()
    number = normalize_number(number)
    check = (check or "").strip()
    Outcome = LookupAttempt.Outcome
    if ip and (
        LookupAttempt.objects.filter(ip=ip, at__gte=now - dt.timedelta(minutes=10)).count()
        >= settings.CITIZEN_LOOKUPS_PER_IP
    ):
        LookupAttempt.objects.create(at=now, ip=ip, case_number=number, outcome=Outcome.THROTTLED)
        return LookupResult(Outcome.THROTTLED)
    failures = LookupAttempt.objects.filter(
        case_number=number,
        at__gte=now - dt.timedelta(hours=1),
        outcome=Outcome.NO_MATCH,
    ).count()
    if failures >= settings.CITIZEN_LOOKUP_FAILURES:
        LookupAttempt.objects.create(at=now, ip=ip, case_number=number, outcome=Outcome.LOCKED)
        return LookupResult(Outcome.LOCKED)
    rows = list(
        Party.objects.filter(case__number=number, role=Party.PartyRole.APPLICANT).values_list(
            "case_id", "phone"
        )
        if NUMBER_RE.match(number) and CHECK_RE.match(check)
        else []
    )
    if not rows:
        decrypt(_dummy_token())  # the work a real case's phone would cost
    found = bool(rows) and _matches([phone for _cid, phone in rows], check)
    LookupAttempt.objects.create(
        at=now, ip=ip, case_number=number, outcome=Outcome.FOUND if found else Outcome.NO_MATCH
    )
    if not found:
        return LookupResult(Outcome.NO_MATCH)
    case = Case.objects.select_related("category", "department").get(pk=rows[0][0])
    return LookupResult(Outcome.FOUND, case)
