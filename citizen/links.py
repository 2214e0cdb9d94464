"""Signed links for citizens (``django.core.signing``): what they carry, how long they
live, and single use for the ones that change data.

A link is ``/citizen/<purpose>/<token>/``; the token is a signed, timestamped JSON
document with a random id (``j``). Each purpose has its own salt, so a token of one
purpose is worthless for another. Reading a link (showing the form) does not use it;
the write that acts on it records its id in ``UsedLink`` in the same transaction, and the
unique constraint refuses a second use (a double tap, a replay)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from luodian_platform.errors import Conflict, ServiceError
from luodian_platform.qr import public_url

from .models import UsedLink

DAY = 24 * 3600
# How long each kind of link is valid (seconds), with the reason.
MAX_AGE = {
    # The visits of a round run up to 30 days after closing (period table: visit_second);
    # an evaluation later than that says little about this round's handling.
    "evaluate": 30 * DAY,
    # A notice's receipt is confirmed soon after it is issued.
    "notice": 30 * DAY,
    # A term is confirmed around its due date; the SMS goes out when it falls due.
    "term": 60 * DAY,
    # The page after an online application (the case number and the lookup link).
    "applied": DAY,
}


@dataclass(frozen=True)
class Link:
    purpose: str
    data: dict
    jti: str


class LinkInvalid(ServiceError):
    """Expired (410), or altered / for another purpose (404)."""

    def __init__(self, message: str, *, status: int):
        super().__init__(message, code="link_invalid")
        self.status = status


def make_token(purpose: str, **data) -> str:
    payload = {**data, "j": secrets.token_hex(8)}
    return signing.dumps(payload, salt=f"citizen.{purpose}", compress=True)


def make_url(purpose: str, view: str, **data) -> str:
    return public_url(reverse(view, kwargs={"token": make_token(purpose, **data)}))


def read(purpose: str, token: str) -> Link:
    try:
        data = signing.loads(token, salt=f"citizen.{purpose}", max_age=MAX_AGE[purpose])
    except signing.SignatureExpired as exc:
        raise LinkInvalid(_("该链接已过期。如需帮助,请拨打服务电话。"), status=410) from exc
    except signing.BadSignature as exc:
        raise LinkInvalid(_("该链接无效,请核对短信中的完整链接。"), status=404) from exc
    if not isinstance(data, dict) or not isinstance(data.get("j"), str):
        raise LinkInvalid(_("该链接无效,请核对短信中的完整链接。"), status=404)
    return Link(purpose=purpose, data=data, jti=data["j"])


def is_used(link: Link) -> bool:
    return UsedLink.objects.filter(jti=link.jti).exists()


def use(link: Link) -> None:
    """Mark ``link`` used, inside the caller's transaction; ``Conflict`` if it was."""
    try:
        with transaction.atomic():
            UsedLink.objects.create(jti=link.jti, purpose=link.purpose)
    except IntegrityError as exc:
        raise Conflict(_("该链接已使用过,不能重复提交。"), code="link_used") from exc
