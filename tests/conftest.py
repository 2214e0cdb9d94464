"""Shared fixtures: the demo county loaded once per test database, and named personas.

Personas (as in healthchecks' hc/test.py): clerk, dispatcher, officer (人社局),
officer2 (司法局, another department), mediator (人社局), followup, supervisor, admin,
and an outsider with no role.
"""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from intake.models import Party
from intake.services import CaseInput, PartyInput, case_register
from luodian_platform.models import Category, Department, Township, User, Window


def pytest_report_header(config):
    from django.conf import settings as s

    db = s.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    return f"luodian: database={db} broker={s.CELERY_BROKER_URL.split('://')[0]}"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("load_demo_county", verbosity=0)


def _ensure_demo_county() -> None:
    # Transactional tests flush the database afterwards; reload the demo county if so.
    if not User.objects.filter(username="clerk").exists():
        call_command("load_demo_county", verbosity=0)


@pytest.fixture
def demo_county(db):
    """The demo county, for tests that read it without a persona (after a transactional
    test's flush it is loaded again)."""
    _ensure_demo_county()


def _user(username: str) -> User:
    _ensure_demo_county()
    return User.objects.select_related("department", "window").get(username=username)


@pytest.fixture
def clerk(db):
    return _user("clerk")


@pytest.fixture
def dispatcher(db):
    return _user("dispatcher")


@pytest.fixture
def officer(db):
    return _user("officer")


@pytest.fixture
def officer2(db):
    return _user("officer2")


@pytest.fixture
def mediator(db):
    return _user("mediator")


@pytest.fixture
def followup_officer(db):
    return _user("followup")


@pytest.fixture
def supervisor(db):
    return _user("supervisor")


@pytest.fixture
def admin_user(db):
    return _user("admin")


@pytest.fixture
def outsider(db):
    return User.objects.create_user("outsider", password="x-Outsider-2026")


@pytest.fixture
def rsj(clerk):
    return Department.objects.get(code="rsj")


@pytest.fixture
def sfj(clerk):
    return Department.objects.get(code="sfj")


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def api():
    return client_for


# Valid identifiers (checksums verified) for tests.
VALID_ID = "11010519491231002X"
VALID_ID_2 = "522728198503151236"
VALID_USCC = "91350100M000100Y43"


def make_case_input(category_code: str = "labour", **overrides) -> CaseInput:
    parties = overrides.pop("parties", None) or [
        PartyInput(
            role=Party.PartyRole.APPLICANT, name="王小明", id_number=VALID_ID, phone="13800138000"
        ),
        PartyInput(
            role=Party.PartyRole.RESPONDENT,
            name="罗甸县某建筑公司",
            kind=Party.Kind.ORG,
            credit_code=VALID_USCC,
        ),
    ]
    data = {
        "title": "拖欠工资纠纷",
        "facts": "申请人在工地务工三个月,工资未结清。",
        "category": Category.objects.get(code=category_code),
        "township": Township.objects.get(code="longping"),
        "amount": 12000,
        "window": Window.objects.get(code="djlz"),
        "parties": parties,
    }
    data.update(overrides)
    return CaseInput(**data)


@pytest.fixture
def make_case(clerk):
    def _make(category_code: str = "labour", actor=None, **overrides):
        return case_register(data=make_case_input(category_code, **overrides), actor=actor or clerk)

    return _make


requires_postgres = pytest.mark.skipif(
    not settings.IS_POSTGRES,
    reason="needs PostgreSQL (set DATABASE_URL); SQLite serialises writers",
)


@pytest.fixture(autouse=True)
def _real_services_when_required():
    """In CI's PostgreSQL run the suite must not silently run on SQLite."""
    if os.environ.get("LUODIAN_REQUIRE_REAL_SERVICES") == "1":
        assert connection.vendor == "postgresql", (
            "CI asked for PostgreSQL but got " + connection.vendor
        )


@pytest.fixture(scope="session", autouse=True)
def _attachments_in_a_temp_dir(tmp_path_factory):
    """Files uploaded by tests go to a temporary directory, never to var/files."""
    from django.test import override_settings

    root = tmp_path_factory.mktemp("attachments")
    storages = {
        **settings.STORAGES,
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    with override_settings(STORAGES=storages, FILES_ROOT=root):
        yield root


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Tests must not see each other's cache (throttle counters, locks): on the CI run the
    cache is a shared Redis database, and primary keys repeat after a transactional flush."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _chinese_first():
    """Every test starts in the platform's language: a test that asked for an English page
    (the LocaleMiddleware activates it in the thread) must not turn the next test's service
    messages into English."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
