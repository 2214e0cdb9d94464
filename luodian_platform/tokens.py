"""Staff API tokens: hashed, expiring, revocable, issued by the user on their own page.

The raw token is shown once when issued and never stored (only its SHA-256, like the channel
tokens); it expires after ``STAFF_TOKEN_DAYS``; its owner (or an administrator) revokes it.
Requests send ``Authorization: Token <raw>``."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions

from .auth import token_with_user
from .errors import NotFound, ServiceError
from .models import StaffToken
from .roles import Role, user_has_role

PREFIX_LEN = 8
MAX_ACTIVE_TOKENS = 5


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def staff_token_issue(*, actor, name: str) -> tuple[StaffToken, str]:
    """A new token for ``actor`` itself; returns the row and the raw token (shown once)."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("请填写令牌用途。"), fields={"name": _("请填写令牌用途。")})
    active = StaffToken.objects.filter(
        user=actor, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).count()
    if active >= MAX_ACTIVE_TOKENS:
        raise ServiceError(_("有效令牌过多,请先吊销不用的令牌。"))
    raw = secrets.token_urlsafe(32)
    token = StaffToken.objects.create(
        user=actor,
        name=name[:50],
        token_hash=token_hash(raw),
        prefix=raw[:PREFIX_LEN],
        expires_at=timezone.now() + dt.timedelta(days=settings.STAFF_TOKEN_DAYS),
    )
    return token, raw


def staff_token_revoke(*, token_id: int, actor) -> StaffToken:
    """Revoke one of the actor's tokens (administrators: anyone's)."""
    tokens = StaffToken.objects.filter(pk=token_id)
    if not (actor.is_superuser or user_has_role(actor, Role.ADMIN)):
        tokens = tokens.filter(user=actor)
    token = tokens.first()
    if token is None:
        raise NotFound(_("令牌不存在。"))
    # Compare-and-set: revoking twice keeps the first time.
    StaffToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token.refresh_from_db()
    return token


class StaffTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <raw>`` against the hashed, expiring, revocable tokens."""

    model = StaffToken

    def authenticate_credentials(self, key):
        # The token, its user and the user's roles in one statement (luodian_platform.auth).
        token = token_with_user(token_hash(key))
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("令牌无效或已吊销。"))
        now = timezone.now()
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("令牌已过期,请在“我的 API 令牌”页面重新签发。"))
        if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
            # At most one write per token per 5 minutes, not one per request.
            StaffToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token
