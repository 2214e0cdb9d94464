"""Every form of every page (issue 23), found from the URL resolver through the access
matrix: posted with wrong types, oversize values, missing fields and bytes that are not
UTF-8, as a role allowed to use it. No answer is a 500, and a refused post stores nothing
(the audit trail, which sees every row written through any path, does not grow).
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.db import transaction

from audit.models import AuditEntry
from tests.access_matrix import MATRIX, request_as
from tests.test_access_matrix import URLS, world  # noqa: F401  (the shared World fixture)

# Rows that are not forms of the platform: login/logout/language are Django's own views
# and change the session (tested in test_foundation / test_security).
NOT_FORMS = {"login", "logout", "set_language"}
PREFERRED = ("dispatcher", "officer", "mediator", "clerk", "followup", "supervisor", "admin")
FIELD = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"', re.I)
FORM = re.compile(r'<form\b[^>]*method="post"[^>]*>(.*?)</form>', re.I | re.S)
SKIP_FIELDS = {"csrfmiddlewaretoken", "language", "next"}

PAGES = sorted(
    name
    for name, rule in MATRIX.items()
    if name in URLS and rule.kind == "page" and rule.roles and name.split(":")[-1] not in NOT_FORMS
)


def _persona(rule) -> str:
    return next(p for p in PREFERRED if p in rule.roles)


def _field_names(html: str) -> set[str]:
    names = set()
    for form in FORM.findall(html):
        names |= set(FIELD.findall(form))
    return names - SKIP_FIELDS


def _variants(names: set[str]) -> dict[str, dict | bytes]:
    return {
        "missing": {},
        "wrong types": dict.fromkeys(names, "abc") | {n: "-1" for n in names if "count" in n},
        "numbers where text is": dict.fromkeys(names, "99999999999999999999"),
        "oversize": dict.fromkeys(names, "长" * 20000),
        "not utf-8": urlencode(dict.fromkeys(names or {"title"}, "拖欠工资纠纷"), encoding="gbk"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGES)
def test_no_input_makes_a_form_answer_500_or_half_save(name, world):  # noqa: F811
    rule = MATRIX[name]
    world = world.fork()
    persona = _persona(rule)
    user = world.users[persona]
    names: set[str] = set()
    if rule.method == "get":
        shown = request_as(name, rule, user, world)
        assert shown.status_code < 500
        if shown.status_code == 200 and "html" in shown.get("Content-Type", ""):
            names = _field_names(shown.content.decode())
        if not names:
            return  # a page without a form: nothing to post
    if rule.data:
        names |= set(rule.data(world))
    client = world.clients[False, user.pk]
    from django.urls import reverse

    url = reverse(name, kwargs=rule.kwargs(world) if rule.kwargs else None)
    problems = []
    for variant, data in _variants(names).items():
        with transaction.atomic():
            before = AuditEntry.objects.count()
            if isinstance(data, str):
                response = client.post(url, data, content_type="application/x-www-form-urlencoded")
            else:
                response = client.post(url, data)
            status = response.status_code
            stored = AuditEntry.objects.count() - before
            transaction.set_rollback(True)
        if status >= 500:
            problems.append(f"{variant}: {status}")
        elif status >= 400 and stored:
            problems.append(f"{variant}: refused with {status} but wrote {stored} row(s)")
        elif variant == "not utf-8" and (status != 400 or stored):
            problems.append(f"{variant}: expected a 400 storing nothing, got {status}")
    assert not problems, f"{name} as {persona}, fields {sorted(names)}:\n  " + "\n  ".join(problems)
