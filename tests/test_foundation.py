"""Foundation: settings, demo county, roles and their landing pages, API schema."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

from luodian_platform.models import Category, Department, Township, User, Window
from luodian_platform.roles import ROLE_HOME_URL_NAMES, Role

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run_check(env_extra: dict) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SECRET_KEY", "DJANGO_ENV", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_secret_key():
    result = _run_check({"DJANGO_ENV": "production", "ALLOWED_HOSTS": "x.example"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_off_refuses_to_start_without_secret_key():
    result = _run_check({"DEBUG": "false"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_with_a_strong_key_passes_deploy_checks(tmp_path):
    env = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": "k" * 20 + "ProductionKey-0123456789-abcdefghijklmnop",
        "ALLOWED_HOSTS": "luodian.example",
        "DATABASE_URL": f"sqlite:///{tmp_path}/deploy.sqlite3",
        # 32+ characters each and all different (issue 17: weak keys are refused).
        "BLIND_INDEX_KEY": "test-blind-index-key-0123456789-abcdefgh",
        "FIELD_ENCRYPTION_SALTS": "test-salt-1-0123456789-abcdefghijklmn",
    }
    env_all = {
        k: v for k, v in os.environ.items() if k not in ("DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env_all.update(env)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env_all,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_settings_are_chinese_first_in_shanghai_time(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert ("en", "English") in settings.LANGUAGES
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


@pytest.mark.django_db
def test_demo_loader_is_idempotent():
    models = (Township, Department, Window, Category, User)
    before = {m.__name__: m.objects.count() for m in models}
    call_command("load_demo_county", verbosity=0)
    call_command("load_demo_county", verbosity=0)
    after = {m.__name__: m.objects.count() for m in models}
    assert before == after
    assert before["Department"] >= 15 and before["Township"] >= 8


@pytest.mark.django_db
def test_demo_county_has_the_321_n_structure():
    kinds = set(Department.objects.values_list("kind", flat=True))
    assert {"lead", "support", "court", "functional"} <= kinds
    lead = set(Department.objects.filter(kind="lead").values_list("name", flat=True))
    assert lead == {"县委政法委", "县信访局", "县人社局"}


@pytest.mark.django_db
def test_one_demo_user_per_role():
    for role in Role.values:
        assert User.objects.filter(groups__name=role).exists(), role


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username,role",
    [
        ("clerk", Role.CLERK),
        ("dispatcher", Role.DISPATCHER),
        ("officer", Role.OFFICER),
        ("mediator", Role.MEDIATOR),
        ("followup", Role.FOLLOWUP),
        ("supervisor", Role.SUPERVISOR),
        ("admin", Role.ADMIN),
    ],
)
def test_each_role_logs_in_and_lands_on_its_workbench(client, username, role):
    response = client.post(reverse("login"), {"username": username, "password": "Luodian@2026"})
    assert response.status_code == 302
    home = client.get(response["Location"])
    assert home.status_code == 302
    assert home["Location"] == reverse(ROLE_HOME_URL_NAMES[role])
    page = client.get(home["Location"])
    assert page.status_code == 200


@pytest.mark.django_db
def test_wrong_password_is_refused_in_chinese(client):
    response = client.post(reverse("login"), {"username": "clerk", "password": "wrong"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url_name", ["home", "intake:workbench", "dispatch:workbench", "intake:case_list"]
)
def test_anonymous_users_are_redirected_to_login(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_login_page_is_chinese_and_loads_no_external_asset(client):
    html = client.get(reverse("login")).content.decode()
    assert "工作人员登录" in html
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html


@pytest.mark.django_db
def test_clerk_cannot_open_the_dispatch_room(client, clerk):
    client.force_login(clerk)
    assert client.get(reverse("dispatch:workbench")).status_code == 403


@pytest.mark.django_db
def test_api_schema_is_valid_openapi(client):
    from openapi_spec_validator import validate

    response = client.get(reverse("api:schema"))
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    validate(schema)
    assert "/api/cases/{id}/dispatch/" in schema["paths"]


@pytest.mark.django_db
def test_api_docs_are_served_offline(client):
    html = client.get(reverse("api:docs")).content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()


@pytest.mark.django_db
def test_api_errors_have_one_json_shape(api):
    response = api(None).get("/api/cases/")
    assert response.status_code in (401, 403)
    body = response.json()
    assert set(body["error"]) == {"code", "message", "fields"}


def test_production_refuses_to_start_without_encryption_keys():
    result = _run_check(
        {"DJANGO_ENV": "production", "ALLOWED_HOSTS": "x.example", "SECRET_KEY": "s" * 60}
    )
    assert result.returncode != 0
    assert "BLIND_INDEX_KEY must be set" in result.stderr
