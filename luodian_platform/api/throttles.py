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
