"""Accounts and keys (issue 17): staff API tokens hashed, expiring, revocable and issued on the
user's own page; weak or repeated keys refused in production; no demo accounts in production."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from luodian_platform.apps import check_keys
from luodian_platform.env import key_problems
from luodian_platform.models import StaffToken
from luodian_platform.tokens import staff_token_issue, staff_token_revoke

from .test_foundation import _run_check

pytestmark = pytest.mark.django_db

STRONG = {
    "SECRET_KEY": "k" * 20 + "ProductionKey-0123456789-abcdefghijklmnop",
    "BLIND_INDEX_KEY": "b" * 40,
    "FIELD_ENCRYPTION_SALTS": "s" * 40,
}


def _token_client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


def test_user_issues_a_token_on_their_own_page_and_it_is_stored_hashed(client, dispatcher):
    client.force_login(dispatcher)
    assert client.get(reverse("my_tokens")).status_code == 200
    html = client.post(reverse("my_tokens"), {"action": "issue", "name": "脚本"}).content.decode()
    raw = re.search(r'<code id="new-token">([^<]+)</code>', html).group(1)
    token = StaffToken.objects.get(user=dispatcher)
    dump = json.dumps(list(StaffToken.objects.values()), default=str)
    assert raw not in dump and token.prefix == raw[:8]
    assert _token_client(raw).get("/api/cases/").status_code == 200
    # Shown once: the page does not show it again.
    assert raw not in client.get(reverse("my_tokens")).content.decode()


def test_a_revoked_or_expired_token_is_refused_with_401(dispatcher):
    _token, raw = staff_token_issue(actor=dispatcher, name="a")
    assert _token_client(raw).get("/api/cases/").status_code == 200
    staff_token_revoke(token_id=_token.pk, actor=dispatcher)
    assert _token_client(raw).get("/api/cases/").status_code == 401
    token2, raw2 = staff_token_issue(actor=dispatcher, name="b")
    StaffToken.objects.filter(pk=token2.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    response = _token_client(raw2).get("/api/cases/")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_tokens_expire_after_the_configured_days(dispatcher, settings):
    settings.STAFF_TOKEN_DAYS = 7
    token, _raw = staff_token_issue(actor=dispatcher, name="a")
    assert dt.timedelta(days=6) < token.expires_at - timezone.now() <= dt.timedelta(days=7)


def test_a_user_cannot_revoke_another_users_token(client, dispatcher, clerk):
    token, raw = staff_token_issue(actor=dispatcher, name="a")
    client.force_login(clerk)
    response = client.post(reverse("my_tokens"), {"action": "revoke", "token_id": token.pk})
    assert response.status_code == 404
    assert _token_client(raw).get("/api/cases/").status_code == 200
    assert "a" not in [t.name for t in StaffToken.objects.filter(user=clerk)]


def test_token_page_needs_login_and_a_name(client, clerk):
    assert client.get(reverse("my_tokens")).status_code == 302
    client.force_login(clerk)
    assert client.post(reverse("my_tokens"), {"action": "issue", "name": " "}).status_code == 400
    assert not StaffToken.objects.filter(user=clerk).exists()


@pytest.mark.parametrize(
    "secret,blind,salts,expected",
    [
        (STRONG["SECRET_KEY"], "k", ["s" * 40], "BLIND_INDEX_KEY is shorter"),
        (STRONG["SECRET_KEY"], "b" * 40, ["short"], "item 1 is shorter"),
        (STRONG["SECRET_KEY"], "b" * 40, ["b" * 40], "identical to BLIND_INDEX_KEY"),
        (STRONG["SECRET_KEY"], STRONG["SECRET_KEY"], ["s" * 40], "identical to SECRET_KEY"),
        (STRONG["SECRET_KEY"], "b" * 40, ["s" * 40, "s" * 40], "item 2 is identical"),
    ],
)
def test_weak_or_repeated_keys_are_problems(secret, blind, salts, expected):
    assert any(expected in p for p in key_problems(secret, blind, salts))


def test_strong_distinct_keys_are_fine():
    assert key_problems(STRONG["SECRET_KEY"], "b" * 40, ["s" * 40, "t" * 40]) == []


def test_deploy_check_reports_weak_keys(settings):
    settings.BLIND_INDEX_KEY = "k"
    settings.SALT_KEY = ["k"]
    errors = check_keys()
    assert {e.id for e in errors} == {"luodian_platform.E002"} and len(errors) == 3


@pytest.mark.parametrize(
    "override,needle",
    [
        ({"BLIND_INDEX_KEY": "k"}, "BLIND_INDEX_KEY is shorter"),
        ({"FIELD_ENCRYPTION_SALTS": "b" * 40}, "identical to BLIND_INDEX_KEY"),
    ],
)
def test_production_refuses_to_start_with_weak_keys(tmp_path, override, needle):
    env = {
        "DJANGO_ENV": "production",
        "ALLOWED_HOSTS": "x.example",
        "DATABASE_URL": f"sqlite:///{tmp_path}/weak.sqlite3",
        **STRONG,
        **override,
    }
    result = _run_check(env)
    assert result.returncode != 0 and needle in result.stderr


def test_demo_county_refuses_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("load_demo_county", verbosity=0)
