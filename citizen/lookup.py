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
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from intake.models import Case, Party
from luodian_platform.crypto import blind_index, decrypt, encrypt
from luodian_platform.errors import ServiceError

from .models import LookupAttempt, PhoneCode

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


def _blocked(number: str, ip: str | None, now) -> LookupResult | None:
    """The address's throttle and the number's lockout, logged when they refuse."""
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
    return None


def _answer(number: str, ip: str | None, now, case_id: int | None) -> LookupResult:
    Outcome = LookupAttempt.Outcome
    LookupAttempt.objects.create(
        at=now, ip=ip, case_number=number, outcome=Outcome.FOUND if case_id else Outcome.NO_MATCH
    )
    if not case_id:
        return LookupResult(Outcome.NO_MATCH)
    case = Case.objects.select_related("category", "department").get(pk=case_id)
    return LookupResult(Outcome.FOUND, case)


def lookup(*, number: str, check: str, ip: str | None) -> LookupResult:
    now = timezone.now()
    number = normalize_number(number)
    check = (check or "").strip()
    blocked = _blocked(number, ip, now)
    if blocked is not None:
        return blocked
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
    return _answer(number, ip, now, rows[0][0] if found else None)


# --- the optional check: a one-time SMS code to the applicant's phone -----------------------


def _code_hash(number: str, code: str) -> str:
    return blind_index(f"lookup-code:{number}:{code}")


def lookup_code_send(*, number: str, ip: str | None) -> None:
    """Send a one-time code to the case's first applicant with a phone. The caller gets the
    same answer whether the number exists or not; a row is written either way, so the
    throttles (per number and per address, as for the application's codes) count both."""
    from .messages import first_applicant_of, send_code
    from .services import Throttled

    now = timezone.now()
    number = normalize_number(number)
    hour = now - dt.timedelta(hours=1)
    recent = PhoneCode.objects.filter(
        purpose=PhoneCode.Purpose.LOOKUP, case_number=number, created_at__gte=hour
    )
    if recent.filter(created_at__gte=now - dt.timedelta(seconds=60)).exists():
        raise Throttled(_("验证码已发送,请1分钟后再试。"))
    if recent.count() >= settings.CITIZEN_CODES_PER_PHONE_HOUR:
        raise Throttled(_("该编号获取验证码过于频繁,请1小时后再试。"))
    if ip and (
        PhoneCode.objects.filter(ip=ip, created_at__gte=hour).count()
        >= settings.CITIZEN_CODES_PER_IP_HOUR
    ):
        raise Throttled(_("获取验证码过于频繁,请1小时后再试。"))
    party = first_applicant_of(number) if NUMBER_RE.match(number) else None
    code = f"{secrets.randbelow(10**6):06d}"
    minutes = settings.CITIZEN_CODE_MINUTES
    with transaction.atomic():
        row = PhoneCode.objects.create(
            purpose=PhoneCode.Purpose.LOOKUP,
            case_number=number,
            phone_bidx=blind_index(party.phone) if party else "",
            code_hash=_code_hash(number, code) if party else "",
            ip=ip,
            created_at=now,
            expires_at=now + dt.timedelta(minutes=minutes),
        )
    if party is not None:
        try:
            send_code(
                mobile=party.phone,
                text=_(
                    "【%(county)s矛盾纠纷化解中心】查询案件%(number)s的验证码%(code)s,"
                    "%(m)d分钟内有效。请勿告诉他人。"
                )
                % {"county": settings.COUNTY_NAME, "number": number, "code": code, "m": minutes},
                key=f"citizen-lookup-code-{row.pk}",
            )
        except ServiceError:
            # Not sent: forget the code, so the citizen's next tap is not throttled by it.
            PhoneCode.objects.filter(pk=row.pk).delete()
            raise


def lookup_by_code(*, number: str, code: str, ip: str | None) -> LookupResult:
    """The lookup with an SMS code instead of the phone's last four digits: the same
    throttle, lockout, log and answers. A code opens the case once."""
    now = timezone.now()
    number = normalize_number(number)
    code = (code or "").strip()
    blocked = _blocked(number, ip, now)
    if blocked is not None:
        return blocked
    row = (
        PhoneCode.objects.filter(
            purpose=PhoneCode.Purpose.LOOKUP,
            case_number=number,
            used_at__isnull=True,
            expires_at__gt=now,
        )
        .order_by("-created_at")
        .first()
    )
    ok = (
        row is not None
        and bool(row.code_hash)
        and code.isdigit()
        and hmac.compare_digest(row.code_hash, _code_hash(number, code))
        # Compare-and-set: of two concurrent uses only one opens the case.
        and PhoneCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now) == 1
    )
    case_id = (
        Case.objects.filter(number=number).values_list("pk", flat=True).first() if ok else None
    )
    return _answer(number, ip, now, case_id)
