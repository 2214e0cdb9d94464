"""Every URL of the project against the access matrix (tests/access_matrix.py).

A URL without a row fails ``test_every_url_is_in_the_matrix``; each row is then tried as
anonymous, as every role (allowed ones must succeed, the others be refused with 403/404),
and with another department's object (404).
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.access_matrix import (
    EXCLUDED_NAMES,
    MATRIX,
    PERSONAS,
    SCOPED,
    World,
    all_url_names,
    request_as,
)

URLS, UNNAMED = all_url_names()
DENIED = {403, 404}


def test_every_url_is_in_the_matrix():
    missing = sorted(set(URLS) - set(MATRIX))
    assert not missing, (
        "These URLs have no row in tests/access_matrix.py. Add one per URL to MATRIX, stating "
        "which roles may use it and how to build its arguments, e.g.\n"
        '    "app:name": page({"dispatcher", "admin"}, kwargs=_case),\n'
        + "\n".join(f"    {name}  ({URLS[name]})" for name in missing)
    )


def test_every_url_has_a_name():
    assert not UNNAMED, (
        "Give these URL patterns a name (the access matrix is keyed by name): " + ", ".join(UNNAMED)
    )


def test_matrix_has_no_rows_for_urls_that_do_not_exist():
    stale = sorted(set(MATRIX) - set(URLS) - set(EXCLUDED_NAMES))
    assert not stale, f"Remove or rename these rows of tests/access_matrix.py: {stale}"


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One World for the module: users, logged-in clients and every object the rows point
    at, built once inside a transaction that is rolled back when the module ends. Each test
    runs in its own savepoint (pytest-django), so a row's writes never reach the next row."""
    from django.db import transaction

    from luodian_platform.models import User

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            users = {
                persona: User.objects.select_related("department", "window").get(username=username)
                for persona, username in (
                    ("clerk", "clerk"),
                    ("dispatcher", "dispatcher"),
                    ("officer", "officer"),
                    ("mediator", "mediator"),
                    ("followup", "followup"),
                    ("supervisor", "supervisor"),
                    ("admin", "admin"),
                )
            }
            # No password: hashing one would cost more than the whole row.
            users["outsider"] = User.objects.create_user("outsider_matrix")
            built = World(users)
            # Logged in here, so the sessions outlive each test's rollback.
            built.clients = {}
            for user in (None, *users.values()):
                page_client, api_client = Client(), APIClient()
                if user is not None:
                    page_client.force_login(user)
                    api_client.force_authenticate(user)
                built.clients[False, getattr(user, "pk", None)] = page_client
                built.clients[True, getattr(user, "pk", None)] = api_client
            built.prebuild()
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _is_empty_list(response) -> bool:
    if response.status_code != 200:
        return False
    if "json" not in response.get("Content-Type", ""):
        return True  # a filtered list page: what it shows is decided by visible_to
    body = response.json()
    rows = body.get("results", body) if isinstance(body, dict) else body
    return rows == []


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(n for n in MATRIX if n in URLS))
def test_access(name, world, request):
    rule = MATRIX[name]
    if rule.pending:
        pytest.skip(f"{name}: {rule.pending}")
    if rule.known_gap:
        request.applymarker(pytest.mark.xfail(reason=rule.known_gap, strict=False))
    world = world.fork()
    users = world.users
    problems: list[str] = []

    # anonymous
    response = request_as(name, rule, None, world)
    if rule.kind == "page":
        location = response.get("Location", "")
        if not (response.status_code == 302 and location.startswith(reverse("login"))):
            problems.append(f"anonymous: expected a redirect to login, got {response.status_code}")
    elif rule.kind == "api" and response.status_code not in (401, 403):
        problems.append(f"anonymous: expected 401/403, got {response.status_code}")

    for persona in PERSONAS:
        response = request_as(name, rule, users[persona], world)
        status = response.status_code
        if persona in rule.roles:
            if status not in rule.ok:
                problems.append(f"{persona} (allowed): got {status}")
        elif status not in DENIED and not (rule.lists and _is_empty_list(response)):
            problems.append(f"{persona} (not allowed): expected 403/404, got {status}")

    if rule.idor is not None:
        for persona in sorted(rule.roles & SCOPED):
            status = request_as(name, rule, users[persona], world, idor=True).status_code
            if status != 404:
                problems.append(
                    f"{persona} on another department's object: expected 404, got {status}"
                )

    assert not problems, f"{name} ({URLS[name]}):\n  " + "\n  ".join(problems)
