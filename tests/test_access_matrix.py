"""Every URL of the project against the access matrix (tests/access_matrix.py).

A URL without a row fails ``test_every_url_is_in_the_matrix``; each row is then tried as
anonymous, as every role (allowed ones must succeed, the others be refused with 403/404),
and with another department's object (404).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

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


@pytest.fixture
def users(clerk, dispatcher, officer, mediator, followup_officer, supervisor, admin_user, outsider):
    return {
        "clerk": clerk,
        "dispatcher": dispatcher,
        "officer": officer,
        "mediator": mediator,
        "followup": followup_officer,
        "supervisor": supervisor,
        "admin": admin_user,
        "outsider": outsider,
    }


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
def test_access(name, users, request):
    rule = MATRIX[name]
    if rule.pending:
        pytest.skip(f"{name}: {rule.pending}")
    if rule.known_gap:
        request.applymarker(pytest.mark.xfail(reason=rule.known_gap, strict=False))
    world = World(users)
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
