from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from .roles import ROLE_HOME_URL_NAMES, primary_role, user_has_role


def role_required(*roles: str) -> Callable:
    """Page decorator: logged in and holding one of ``roles`` (administrators always pass)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not (request.user.is_superuser or user_has_role(request.user, *roles)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


@login_required
def home(request):
    """After login each role lands on its own workbench."""
    role = primary_role(request.user)
    if role is None:
        return render(request, "no_role.html", status=403)
    try:
        return redirect(reverse(ROLE_HOME_URL_NAMES[role]))
    except NoReverseMatch:
        return render(request, "no_role.html", status=403)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def not_found(request, exception=None):
    return render(request, "404.html", status=404)


@login_required
def my_tokens(request):
    """The user's own API tokens: issue (shown once), list, revoke."""
    from django.conf import settings

    from .errors import ServiceError
    from .models import StaffToken
    from .tokens import staff_token_issue, staff_token_revoke

    if primary_role(request.user) is None:
        raise PermissionDenied  # API access is for staff with a role
    raw, error, status = "", "", 200
    if request.method == "POST":
        try:
            if request.POST.get("action") == "revoke":
                staff_token_revoke(
                    token_id=int(request.POST.get("token_id") or 0), actor=request.user
                )
            else:
                _token, raw = staff_token_issue(
                    actor=request.user, name=request.POST.get("name", "")
                )
        except (ServiceError, ValueError) as exc:
            error, status = getattr(exc, "message", str(exc)), getattr(exc, "status", 400)
    return render(
        request,
        "account_tokens.html",
        {
            "tokens": StaffToken.objects.filter(user=request.user)[:50],
            "raw": raw,
            "error": error,
            "token_days": settings.STAFF_TOKEN_DAYS,
        },
        status=status,
    )
