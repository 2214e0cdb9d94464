"""Writes of the citizen's side: SMS codes, the online application, the evaluation and
confirmations through signed links. Public callers have no user: each function checks
what stands in for one (an SMS code, a signed link) and its throttles, then writes in one
transaction, with SMS after commit."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from followup.models import PartySmsKind
from followup.services import citizen_evaluation_record
from intake.channel import channel_order_submit
from intake.evidence import store
from intake.evidence.services import (
    CheckedFile,
    attachments_add_received,
    clean_name,
    upload_check,
)
from intake.models import Case, Channel
from intake.services import CaseInput, case_input_clean
from luodian_platform.audit import acting_as
from luodian_platform.crypto import blind_index
from luodian_platform.errors import Conflict, NotFound, ServiceError
from luodian_platform.validators import mask_phone, normalize_phone

from . import links
from .messages import first_applicant, queue, send_code
from .models import Confirmation, PhoneCode

CODE_DIGITS = 6


class Throttled(ServiceError):
    status = 429
    code = "throttled"


def _code_hash(phone: str, code: str) -> str:
    return blind_index(f"sms-code:{phone}:{code}")


def phone_code_send(*, phone: str, ip: str | None, purpose: str = PhoneCode.Purpose.APPLY) -> str:
    """Send a one-time code to ``phone``; returns the masked number. Throttled per phone
    (one a minute, ``CITIZEN_CODES_PER_PHONE_HOUR`` an hour) and per address."""
    phone = normalize_phone(phone)
    now = timezone.now()
    bidx = blind_index(phone)
    hour = now - dt.timedelta(hours=1)
    recent = PhoneCode.objects.filter(phone_bidx=bidx, created_at__gte=hour)
    if recent.filter(created_at__gte=now - dt.timedelta(seconds=60)).exists():
        raise Throttled(
            _("验证码已发送,请1分钟后再试。"), fields={"code": _("请1分钟后再获取验证码。")}
        )
    if recent.count() >= settings.CITIZEN_CODES_PER_PHONE_HOUR:
        raise Throttled(_("该手机号获取验证码过于频繁,请1小时后再试。"))
    if ip and (
        PhoneCode.objects.filter(ip=ip, created_at__gte=hour).count()
        >= settings.CITIZEN_CODES_PER_IP_HOUR
    ):
        raise Throttled(_("获取验证码过于频繁,请1小时后再试。"))
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    minutes = settings.CITIZEN_CODE_MINUTES
    row = PhoneCode.objects.create(
        purpose=purpose,
        phone_bidx=bidx,
        code_hash=_code_hash(phone, code),
        ip=ip,
        created_at=now,
        expires_at=now + dt.timedelta(minutes=minutes),
    )
    try:
        send_code(
            mobile=phone,
            text=_("【%(county)s矛盾纠纷化解中心】验证码%(code)s,%(m)d分钟内有效。请勿告诉他人。")
            % {"county": settings.COUNTY_NAME, "code": code, "m": minutes},
            key=f"citizen-code-{row.pk}",
        )
    except ServiceError:
        # Not sent: forget the code, so the citizen's next tap is not throttled by it.
        PhoneCode.objects.filter(pk=row.pk).delete()
        raise
    return mask_phone(phone)


def _bad_code() -> ServiceError:
    return ServiceError(_("验证码不正确或已失效。"), fields={"code": _("验证码不正确或已失效。")})


def _phone_code_check(*, phone: str, code: str, purpose: str) -> int:
    """The id of ``phone``'s latest live code if ``code`` is it. Runs outside a transaction
    so that a wrong try is counted even though the submission is refused; five wrong tries
    burn the code."""
    code = (code or "").strip()
    row = (
        PhoneCode.objects.filter(
            purpose=purpose,
            phone_bidx=blind_index(phone),
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )
    if row is None or row.failed_attempts >= settings.CITIZEN_CODE_MAX_TRIES:
        raise _bad_code()
    if not (code.isdigit() and hmac.compare_digest(row.code_hash, _code_hash(phone, code))):
        PhoneCode.objects.filter(pk=row.pk).update(failed_attempts=F("failed_attempts") + 1)
        raise _bad_code()
    return row.pk


def _files_check(files) -> list[CheckedFile]:
    """The evidence feature's checks (type by content, ``FILE_MAX_BYTES``) and the public
    count limit ``CITIZEN_FILES_MAX``; the refusal names the file."""
    files = list(files or ())
    limit = settings.CITIZEN_FILES_MAX
    if len(files) > limit:
        message = _("网上申请最多上传%(max)d个文件,您选择了%(n)d个。") % {
            "max": limit,
            "n": len(files),
        }
        raise ServiceError(message, code="too_many_files", fields={"files": message})
    checked = []
    for upload in files:
        try:
            checked.append(upload_check(upload))
        except ServiceError as exc:
            name = clean_name(getattr(upload, "name", "") or "")
            message = _("「%(name)s」:%(reason)s") % {"name": name, "reason": exc.message}
            raise ServiceError(message, code=exc.code, fields={"files": message}) from None
    return checked


def online_application_submit(
    *, form_token: str, data: CaseInput, code: str, ip: str | None, files=()
) -> Case:
    """网上申请: the applicant's phone confirmed by its SMS code, the order stored as a
    ``received`` case of the ``online`` channel (duplicate and risk flags as every channel
    order), with the photos and documents the applicant chose (at most
    ``CITIZEN_FILES_MAX``) as evidence on the case, in the same transaction. Idempotent on
    the form's token: a double tap answers with the same case (and stores no file twice).
    Files are read only after the code is right: without a confirmed phone nothing is kept."""
    token = (form_token or "").strip()
    if not (16 <= len(token) <= 64 and token.isalnum()):
        raise ServiceError(_("表单已失效,请刷新页面后重新填写。"))
    existing = Case.objects.filter(channel=Channel.ONLINE, external_id=token).first()
    if existing is not None:
        return existing
    data.channel = Channel.ONLINE
    data.external_id = token
    case_input_clean(data)
    applicant = next(p for p in data.parties if p.role == "applicant")
    if not applicant.phone:
        raise ServiceError(
            _("请填写申请人手机号码。"), fields={"applicant_phone": _("请填写申请人手机号码。")}
        )
    try:
        code_id = _phone_code_check(
            phone=applicant.phone, code=code, purpose=PhoneCode.Purpose.APPLY
        )
    except ServiceError:
        # A double tap whose twin committed first: answer with the twin's case.
        existing = Case.objects.filter(channel=Channel.ONLINE, external_id=token).first()
        if existing is not None:
            return existing
        raise
    # A refused file refuses the application before the code is used: the citizen
    # chooses again and submits with the same code.
    checked = _files_check(files)
    attachments = []
    try:
        with transaction.atomic():
            # Compare-and-set: of two concurrent submissions only one uses the code.
            used = PhoneCode.objects.filter(pk=code_id, used_at__isnull=True).update(
                used_at=timezone.now()
            )
            if not used:
                existing = Case.objects.filter(channel=Channel.ONLINE, external_id=token).first()
                if existing is not None:
                    return existing
                raise _bad_code()
            result = channel_order_submit(
                channel=Channel.ONLINE,
                data=data,
                payload={"source": "online", "form_token": token, "files": len(checked)},
                source="online",
            )
            case = result.case
            if result.created:
                attachments = attachments_add_received(case=case, files=checked, source="online")
                _receipt_queue(case)
    except BaseException:
        # The case's transaction did not commit: its files' objects go too.
        for attachment in attachments:
            store.delete(attachment.stored_name)
        raise
    return case


def _receipt_queue(case: Case) -> None:
    party = first_applicant(case.pk)
    if party is None:
        return
    queue(
        case_id=case.pk,
        party_id=party.pk,
        kind=PartySmsKind.CITIZEN_APPLIED,
        key=f"citizen-applied-{case.pk}",
        text=_(
            "【%(county)s矛盾纠纷化解中心】您的申请已收到,案件编号%(number)s。"
            "查询进度:%(url)s(需输入申请人手机号后四位)"
        )
        % {"county": settings.COUNTY_NAME, "number": case.number, "url": _lookup_url(case.number)},
    )


def _lookup_url(number: str) -> str:
    from urllib.parse import urlencode

    from django.urls import reverse

    from luodian_platform.qr import public_url

    return public_url(reverse("citizen:lookup") + "?" + urlencode({"case": number}))


def citizen_evaluate(
    *, token: str, satisfaction: str, agreement_performed: bool | None, comments: str
):
    """The applicant's evaluation through the signed link (single use)."""
    link = links.read("evaluate", token)
    with transaction.atomic():
        links.use(link)
        return citizen_evaluation_record(
            case_id=int(link.data["c"]),
            round=int(link.data["r"]),
            satisfaction=satisfaction,
            agreement_performed=agreement_performed,
            comments=comments,
        )


def _confirmation_record(
    *, link: links.Link, kind: str, object_id: int, case_id: int, party_id: int, **fields
) -> Confirmation:
    from intake.models import CaseEvent, Party

    with transaction.atomic(), acting_as("citizen"):
        links.use(link)
        party = Party.objects.filter(pk=party_id, case_id=case_id).first()
        case = Case.objects.select_for_update(of=("self",)).filter(pk=case_id).first()
        if party is None or case is None:
            raise NotFound(_("该链接对应的案件不存在。"))
        if Confirmation.objects.filter(party=party, kind=kind, object_id=object_id).exists():
            raise Conflict(_("您已确认过,感谢您的反馈。"), code="confirmed")
        confirmation = Confirmation.objects.create(
            case=case, party=party, kind=kind, object_id=object_id, **fields
        )
        CaseEvent.objects.create(
            case=case,
            transition="citizen_confirmation",
            from_state=case.state,
            to_state=case.state,
            actor=None,
            note=str(confirmation.get_kind_display())
            + (
                ""
                if confirmation.performed is None
                else (_(":已履行") if confirmation.performed else _(":未履行"))
            ),
            payload={"kind": kind, "object": object_id, "party_role": party.role},
        )
    return confirmation


def notice_receipt_confirm(*, token: str) -> Confirmation:
    """A party confirms that they received the notice (告知书) the link names."""
    from mediation.models import Notice

    link = links.read("notice", token)
    notice = Notice.objects.filter(pk=link.data.get("n")).first()
    if notice is None:
        raise NotFound(_("该链接对应的文书不存在。"))
    return _confirmation_record(
        link=link,
        kind=Confirmation.Kind.NOTICE_RECEIVED,
        object_id=notice.pk,
        case_id=notice.case_id,
        party_id=int(link.data.get("p", 0)),
    )


def term_performance_confirm(*, token: str, performed: bool, comment: str = "") -> Confirmation:
    """A party says whether the agreement term the link names was performed. Recorded on
    the case (panel and timeline) for the department; marking the term performed stays the
    department's act (``mediation.services.term_mark_performed``)."""
    from mediation.models import AgreementTerm

    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ServiceError(_("说明过长。"), fields={"comment": _("说明请不要超过500字。")})
    link = links.read("term", token)
    term = AgreementTerm.objects.select_related("agreement").filter(pk=link.data.get("t")).first()
    if term is None:
        raise NotFound(_("该链接对应的协议条款不存在。"))
    return _confirmation_record(
        link=link,
        kind=Confirmation.Kind.TERM_PERFORMANCE,
        object_id=term.pk,
        case_id=term.agreement.case_id,
        party_id=int(link.data.get("p", 0)),
        performed=performed,
        comment=comment,
    )
