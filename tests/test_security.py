"""Login and session protection: lockout, password strength, idle timeout, CSRF, production
cookies and HSTS, Content-Security-Policy, channel rate limits."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from luodian_platform.api.throttles import ChannelRateThrottle

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "Luodian@2026"


@pytest.fixture(autouse=True)
def _fresh_axes_and_cache():
    cache.clear()
    yield
    cache.clear()


def _login(client, username, password, addr="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=addr
    )


@pytest.mark.django_db
def test_five_failed_logins_lock_the_username_at_that_address_in_chinese(clerk):
    client = Client()
    for _ in range(5):
        assert _login(client, "clerk", "wrong-password").status_code in (200, 429)
    locked = _login(client, "clerk", PASSWORD)
    assert locked.status_code == 429
    html = locked.content.decode()
    assert "登录已被暂时锁定" in html and "30分钟" in html
    # Per username + address: the same user from another address can still log in.
    assert _login(Client(), "clerk", PASSWORD, addr="10.0.0.2").status_code == 302


@pytest.mark.django_db
def test_four_failures_do_not_lock(clerk):
    client = Client()
    for _ in range(4):
        _login(client, "clerk", "wrong-password")
    assert _login(client, "clerk", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_lockout_lasts_thirty_minutes(clerk):
    client = Client()
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as t:
        for _ in range(5):
            _login(client, "clerk", "wrong-password")
        assert _login(client, "clerk", PASSWORD).status_code == 429
        t.shift(dt.timedelta(minutes=31))
        assert _login(client, "clerk", PASSWORD).status_code == 302


@pytest.mark.parametrize("weak", ["12345678901", "password123", "luodian", "qwertyuiop", "Short1!"])
@pytest.mark.django_db
def test_weak_passwords_are_refused(weak, clerk):
    with pytest.raises(ValidationError):
        validate_password(weak, user=clerk)


@pytest.mark.django_db
def test_a_strong_password_is_accepted(clerk):
    validate_password("Gui-Zhou-Luodian-7319", user=clerk)


@pytest.mark.django_db
def test_idle_sessions_expire_and_activity_keeps_them_alive(clerk, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    client = Client()
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as t:
        assert _login(client, "clerk", PASSWORD).status_code == 302
        t.shift(dt.timedelta(minutes=25))
        assert client.get(reverse("intake:workbench")).status_code == 200
        t.shift(dt.timedelta(minutes=25))  # 50 minutes after login, 25 after the last request
        assert client.get(reverse("intake:workbench")).status_code == 200
        t.shift(dt.timedelta(minutes=31))
        response = client.get(reverse("intake:workbench"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_an_active_session_is_written_at_most_once_a_minute(clerk, settings):
    """No session UPDATE + COMMIT per request: within SESSION_REFRESH_SECONDS of the last
    push the row is left alone; after it, the expiry is pushed on again."""
    client = Client()
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as t:
        assert _login(client, "clerk", PASSWORD).status_code == 302
        client.get(reverse("intake:workbench"))  # first page after login: pushed once

        def session_writes() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse("intake:workbench")).status_code == 200
            return sum(
                1
                for q in queries.captured_queries
                if "django_session" in q["sql"] and not q["sql"].lstrip().startswith("SELECT")
            )

        t.shift(dt.timedelta(seconds=settings.SESSION_REFRESH_SECONDS - 5))
        assert session_writes() == 0
        expiry = Session.objects.get().expire_date
        t.shift(dt.timedelta(seconds=10))
        assert session_writes() == 1
        assert Session.objects.get().expire_date > expiry


@pytest.mark.django_db
def test_a_token_or_anonymous_request_never_writes_a_session(clerk):
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("login"))
    assert not any("django_session" in q["sql"] for q in queries.captured_queries)
    assert not Session.objects.exists()


@pytest.mark.django_db
def test_a_post_without_csrf_token_is_refused(clerk):
    client = Client(enforce_csrf_checks=True)
    assert _login(client, "clerk", PASSWORD).status_code == 403
    client.force_login(clerk)
    assert client.post(reverse("logout")).status_code == 403


@pytest.mark.django_db
def test_session_authenticated_api_posts_need_the_csrf_token(clerk, make_case):
    case = make_case()
    client = Client(enforce_csrf_checks=True)
    client.force_login(clerk)
    response = client.post(
        f"/api/cases/{case.pk}/handle_on_spot/",
        json.dumps({"answer": "x"}),
        content_type="application/json",
    )
    assert response.status_code == 403


def _production_settings() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG",)}
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY="p" * 20 + "-production-key-for-the-settings-test-0123456789",
        ALLOWED_HOSTS="luodian.example",
        DATABASE_URL="sqlite:////tmp/luodian-settings-test.sqlite3",
        # Production also refuses to start without the personal-data keys.
        BLIND_INDEX_KEY="b" * 40,
        FIELD_ENCRYPTION_SALTS="s" * 40,
    )
    code = (
        "import django,json;django.setup();from django.conf import settings as s;"
        "print(json.dumps({k:getattr(s,k) for k in ('DEBUG','SESSION_COOKIE_SECURE',"
        "'CSRF_COOKIE_SECURE','SECURE_HSTS_SECONDS','SECURE_HSTS_INCLUDE_SUBDOMAINS',"
        "'SECURE_SSL_REDIRECT','SESSION_COOKIE_HTTPONLY','X_FRAME_OPTIONS')}))"
    )
    env["DJANGO_SETTINGS_MODULE"] = "luodian_platform.settings"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_production_uses_secure_cookies_https_and_hsts():
    s = _production_settings()
    assert s["DEBUG"] is False
    assert s["SESSION_COOKIE_SECURE"] and s["CSRF_COOKIE_SECURE"] and s["SESSION_COOKIE_HTTPONLY"]
    assert s["SECURE_HSTS_SECONDS"] >= 31536000 and s["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert s["SECURE_SSL_REDIRECT"] and s["X_FRAME_OPTIONS"] == "DENY"


@pytest.mark.django_db
def test_pages_send_a_csp_without_inline_scripts(client, clerk):
    client.force_login(clerk)
    response = client.get(reverse("intake:workbench"))
    csp = response["Content-Security-Policy"]
    script_src = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
    assert "'self'" in script_src and "unsafe-inline" not in script_src
    assert "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp


# --- channel rate limit ---------------------------------------------------------------


def _channel_view(scope: str):
    from intake.api.channel import ChannelTokenAuthentication, IsChannel

    class View(APIView):
        authentication_classes = [ChannelTokenAuthentication]
        permission_classes = [IsChannel]
        throttle_classes = [ChannelRateThrottle]
        throttle_scope = scope

        def post(self, request):
            return Response({"ok": True})

    return View.as_view()


@pytest.mark.django_db
def test_channel_requests_are_limited_per_token(admin_user, settings):
    from intake.channel import channel_token_issue

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"channel": "3/min", "channel_bulk": "1/min"},
    }
    # The settings fixture's change reloads DRF's api_settings (setting_changed), and the
    # throttle reads its rates per request; the fixture restores both after the test.
    _, raw_a = channel_token_issue(channel="hotline_12345", name="A", actor=admin_user)
    _, raw_b = channel_token_issue(channel="zongzhi", name="B", actor=admin_user)
    view, factory = _channel_view("channel"), APIRequestFactory()

    def call(raw, addr="10.1.1.1"):
        request = factory.post(
            "/x/", {}, format="json", HTTP_AUTHORIZATION=f"Channel {raw}", REMOTE_ADDR=addr
        )
        return view(request)

    assert [call(raw_a).status_code for _ in range(3)] == [200, 200, 200]
    refused = call(raw_a, addr="10.9.9.9")  # another address, same token: same budget
    assert refused.status_code == 429 and "Retry-After" in refused
    assert call(raw_b).status_code == 200  # another channel's token has its own budget
    bulk = _channel_view("channel_bulk")
    request = factory.post("/x/", {}, format="json", HTTP_AUTHORIZATION=f"Channel {raw_b}")
    assert bulk(request).status_code == 200
    request = factory.post("/x/", {}, format="json", HTTP_AUTHORIZATION=f"Channel {raw_b}")
    assert bulk(request).status_code == 429


def test_throttle_rate_changes_do_not_leak_between_tests():
    from rest_framework.settings import api_settings

    throttle = ChannelRateThrottle()
    throttle.scope = "channel"
    assert throttle.get_rate() == api_settings.DEFAULT_THROTTLE_RATES["channel"] != "3/min"


def test_throttle_rates_are_configured(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert {"channel", "channel_bulk"} <= set(rates)
