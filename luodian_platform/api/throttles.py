"""Rate limits for the external channel API (12345 hotline, 综治 platform, Ping'an app).

``ChannelRateThrottle`` works like DRF's ``ScopedRateThrottle`` but counts per channel token,
not per user or address: each token (one channel's credential) has its own budget, so one
misbehaving integration cannot starve the others, and a token shared by many servers behind
one gateway is still one budget. The raw token never appears in a cache key.

Use on a view::

    from luodian_platform.api.throttles import ChannelRateThrottle

    class ChannelOrderView(ChannelAPIView):
        throttle_classes = [ChannelRateThrottle]
        throttle_scope = "channel"          # rates: settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]

    class ChannelBulkView(ChannelAPIView):
        throttle_classes = [ChannelRateThrottle]
        throttle_scope = "channel_bulk"

A refused request answers 429 with ``Retry-After`` (and the API's one error shape).
"""

from __future__ import annotations

import hashlib

from django.core.exceptions import ImproperlyConfigured
from rest_framework.authentication import get_authorization_header
from rest_framework.throttling import SimpleRateThrottle


class ChannelRateThrottle(SimpleRateThrottle):
    """Counts requests per channel token, in the view's ``throttle_scope`` (default
    ``"channel"``)."""

    scope_attr = "throttle_scope"
    default_scope = "channel"

    def __init__(self):
        # The rate depends on the view's scope, so it is looked up in allow_request().
        pass

    def allow_request(self, request, view) -> bool:
        self.scope = getattr(view, self.scope_attr, None) or self.default_scope
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_rate(self) -> str:
        # Read the rates on every request (DRF copies them into a class attribute at import,
        # which then ignores a settings change — and once leaked a test's 3/min to others).
        from rest_framework.settings import api_settings

        try:
            return api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(f"No throttle rate set for scope {self.scope!r}") from exc

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.token_ident(request)}

    def token_ident(self, request) -> str:
        """The token row's id when the channel authenticated; otherwise a digest of the
        presented credential (failed attempts with one bad token share a budget), or the
        client address when none was presented."""
        auth = getattr(request, "auth", None)
        if auth is not None and getattr(auth, "pk", None) is not None:
            return f"token:{auth._meta.label_lower}:{auth.pk}"
        header = get_authorization_header(request)
        if header:
            return "raw:" + hashlib.sha256(header).hexdigest()
        return "addr:" + self.get_ident(request)


class StaffRateThrottle(SimpleRateThrottle):
    """Per-user budgets for staff endpoints (the default for every API view; channel views set
    their own). The view's ``throttle_scope`` picks the rate (``reveal`` for full personal data,
    ``lookup`` for duplicate suggestions); views without one count in ``staff``. Anonymous
    requests count per address (they are refused anyway, but must not be free to repeat)."""

    scope_attr = "throttle_scope"
    default_scope = "staff"

    def __init__(self):
        pass

    def allow_request(self, request, view) -> bool:
        self.scope = getattr(view, self.scope_attr, None) or self.default_scope
        if self.scope.startswith("channel"):
            return True  # channel views count per token (ChannelRateThrottle)
        from rest_framework.settings import api_settings

        try:
            self.rate = api_settings.DEFAULT_THROTTLE_RATES[self.scope]
        except KeyError as exc:
            raise ImproperlyConfigured(f"No throttle rate set for scope {self.scope!r}") from exc
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        user = getattr(request, "user", None)
        ident = f"user:{user.pk}" if user is not None and user.is_authenticated else None
        return self.cache_format % {
            "scope": self.scope,
            "ident": ident or f"addr:{self.get_ident(request)}",
        }


def throttled(scope: str, methods: tuple[str, ...] = ("POST",)):
    """The same per-user budget for a Django page view (htmx partials, reveal pages), counted
    on ``methods`` (the form itself is free): over the rate it answers 429 with
    ``Retry-After`` and a message a clerk can read."""
    import functools

    from django.http import HttpResponse
    from django.utils.translation import gettext as _

    def decorator(view_func):
        holder = type("ThrottledPage", (), {"throttle_scope": scope})()

        @functools.wraps(view_func)
        def wrapper(request, *args, **kwargs):
            throttle = StaffRateThrottle()
            if request.method in methods and not throttle.allow_request(request, holder):
                wait = throttle.wait()
                response = HttpResponse(
                    _("操作过于频繁,请稍后再试。"),
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                if wait is not None:
                    response["Retry-After"] = str(int(wait) + 1)
                return response
            return view_func(request, *args, **kwargs)

        return wrapper

    return decorator
