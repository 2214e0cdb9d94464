"""The CSP forbids inline scripts, so no page may contain one: every page of the access
matrix, rendered for a role allowed to see it, has only ``<script src=…>`` (or non-executed
data blocks such as ``json_script``)."""

from __future__ import annotations

import re

import pytest

from tests.access_matrix import MATRIX, World, all_url_names, request_as

URLS, _ = all_url_names()
SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
DATA_TYPES = ("application/json", "application/ld+json", "text/template")

PAGES = sorted(
    name
    for name, rule in MATRIX.items()
    if name in URLS
    and rule.kind in ("page", "public")
    and rule.method == "get"
    and not rule.pending
    and rule.roles
)


def inline_scripts(html: str) -> list[str]:
    found = []
    for match in SCRIPT.finditer(html):
        attrs = match.group(1)
        if re.search(r"\bsrc\s*=", attrs):
            continue
        if any(t in attrs for t in DATA_TYPES):
            continue
        found.append(match.group(0))
    return found


def test_the_detector_finds_inline_scripts():
    assert inline_scripts('<script>alert(1)</script><script src="/s.js"></script>') == ["<script>"]
    assert not inline_scripts('<script id="d" type="application/json">{}</script>')


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_inline_script(
    name, clerk, dispatcher, officer, mediator, followup_officer, supervisor, admin_user
):
    users = {
        "clerk": clerk,
        "dispatcher": dispatcher,
        "officer": officer,
        "mediator": mediator,
        "followup": followup_officer,
        "supervisor": supervisor,
        "admin": admin_user,
    }
    rule = MATRIX[name]
    role = next(r for r in ("clerk", *users) if r in rule.roles and r in users)
    response = request_as(name, rule, users[role], World(users))
    if response.status_code in (301, 302):
        pytest.skip(f"{name} redirects for {role}")
    assert response.status_code == 200, response.status_code
    if "html" not in response.get("Content-Type", ""):
        pytest.skip(f"{name} is not HTML")
    html = response.content.decode()
    assert not inline_scripts(html), f"{name}: inline <script> found (the CSP blocks it)"
    assert "Content-Security-Policy" in response
