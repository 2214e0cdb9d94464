"""Walk-in registration over the API (``POST /api/cases/``): the window's own services
(``case_register``, ``case_register_on_spot``, ``case_register_linked``) behind an
idempotency key.

With an ``Idempotency-Key`` header a retried request answers with the case the first one
registered (``replayed=True``) for ``IDEMPOTENCY_KEY_HOURS``; the same key with a
different body is refused (409), as Stripe and the IETF draft
"The Idempotency-Key HTTP Header Field" advise. Keys are per user. Without the header every
request registers a case (and the duplicate suggestions tell the clerk about repeats).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from luodian_platform.errors import Conflict, ServiceError

from .models import Case, IdempotencyKey
from .services import CaseInput, case_register, case_register_linked, case_register_on_spot

KEY_RE = re.compile(r"^[\x21-\x7e]{1,100}$")  # printable ASCII, no spaces (UUIDs fit)


@dataclass
class WalkInResult:
    case: Case
    replayed: bool


def request_digest(payload) -> str:
    """A stable digest of the request body (key order does not matter)."""
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def check_key(key: str) -> str:
    key = (key or "").strip()
    if not KEY_RE.match(key):
        raise ServiceError(
            _("Idempotency-Key 须为1至100个可见ASCII字符(建议使用UUID)。"),
            fields={"Idempotency-Key": _("幂等键格式不正确。")},
        )
    return key


def _replay(*, actor, key: str, digest: str) -> WalkInResult | None:
    row = IdempotencyKey.objects.filter(user=actor, key=key).select_related("case").first()
    if row is None or row.expired():
        return None
    if row.request_hash != digest:
        raise Conflict(
            _("该幂等键已用于另一份登记内容,请为新的登记使用新的 Idempotency-Key。"),
            code="idempotency_key_reused",
        )
    return WalkInResult(case=row.case, replayed=True)


def _register(*, data: CaseInput, actor, mode: str, answer: str, link_to: int | None) -> Case:
    if mode == "on_spot":
        return case_register_on_spot(data=data, actor=actor, answer=answer)
    if mode == "link":
        if not link_to:
            raise ServiceError(
                _("请先在疑似重复案件中选择要关联的案件。"),
                fields={"link_to": _("请选择要关联的案件。")},
            )
        return case_register_linked(data=data, actor=actor, into_id=link_to)
    return case_register(data=data, actor=actor)


def walk_in_register(
    *,
    data: CaseInput,
    actor,
    mode: str = "register",
    answer: str = "",
    link_to: int | None = None,
    idempotency_key: str | None = None,
    request_hash: str = "",
) -> WalkInResult:
    """Register a walk-in as the window does; with a key, at most once per key."""
    if idempotency_key is None:
        return WalkInResult(
            case=_register(data=data, actor=actor, mode=mode, answer=answer, link_to=link_to),
            replayed=False,
        )
    key = check_key(idempotency_key)
    replay = _replay(actor=actor, key=key, digest=request_hash)
    if replay is not None:
        return replay
    try:
        with transaction.atomic():
            # An expired row of the same key gives way to the new registration.
            IdempotencyKey.objects.filter(
                user=actor,
                key=key,
                created_at__lt=timezone.now()
                - timezone.timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS),
            ).delete()
            case = _register(data=data, actor=actor, mode=mode, answer=answer, link_to=link_to)
            IdempotencyKey.objects.create(user=actor, key=key, request_hash=request_hash, case=case)
    except IntegrityError:
        # A copy of this request committed first (the unique key waited for it): the case
        # and its number were rolled back here; answer with the first one's case.
        replay = _replay(actor=actor, key=key, digest=request_hash)
        if replay is None:
            raise
        return replay
    return WalkInResult(case=case, replayed=False)
