"""The Chinese 404 page in development too.

With ``DEBUG`` on — the development default that ``make run`` starts, where a county's staff
first try the platform — Django answers a 404 with its English technical page (the URL
patterns, "Page not found"), both for an address that matches no route and for a case the
user may not see (invisible answers 404). Here both get ``404.html``, the page production
shows, so a newcomer never meets Django's page; ``DEBUG_TECHNICAL_404=1`` brings it back for
a developer who is debugging routes. Other statuses are untouched: 403 already uses
``handler403`` in every mode, and bodies are refused by ``RequestGuardMiddleware``."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.urls import Resolver404, resolve

from .views import not_found


class NotFoundPageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    @staticmethod
    def _active() -> bool:
        return settings.DEBUG and not getattr(settings, "DEBUG_TECHNICAL_404", False)

    def __call__(self, request):
        if self._active():
            try:
                resolve(request.path_info)
            except Resolver404 as exc:
                # CommonMiddleware (outside this one) still turns it into the redirect to
                # the address with a trailing slash when that one exists (APPEND_SLASH).
                return not_found(request, exc)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, Http404) and self._active():
            return not_found(request, exception)
        return None
