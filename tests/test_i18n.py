"""English is complete: the UI switches language, and no catalog entry is left untranslated.

Chinese message ids are the primary language; every ``*/locale/en`` catalog must translate
all of them, so a new string without an English translation fails CI here with its
location (run ``manage.py makemessages`` as in README "Translations", translate, compile).
"""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

CATALOGS = sorted(
    p
    for p in Path(settings.BASE_DIR).glob("**/locale/en/LC_MESSAGES/django.po")
    if ".venv" not in p.parts
)


def _untranslated(entry: polib.POEntry) -> bool:
    if entry.msgid_plural:
        return not entry.msgstr_plural or not all(s.strip() for s in entry.msgstr_plural.values())
    return not entry.msgstr.strip()


def test_catalogs_exist():
    apps = {p.relative_to(settings.BASE_DIR).parts[0] for p in CATALOGS}
    assert {"locale", "luodian_platform", "intake", "dispatch", "mediation", "followup"} <= apps


@pytest.mark.parametrize(
    "po_path", CATALOGS, ids=[str(p.relative_to(settings.BASE_DIR)) for p in CATALOGS]
)
def test_every_message_is_translated(po_path):
    po = polib.pofile(str(po_path))
    problems = []
    for e in po:
        if e.obsolete:
            continue
        where = ", ".join(f"{f}:{n}" for f, n in e.occurrences[:2]) or "?"
        if "fuzzy" in e.flags:
            problems.append(
                f"fuzzy (check the translation, then remove the flag): {e.msgid!r} ({where})"
            )
        elif _untranslated(e):
            problems.append(f"no English translation: {e.msgid!r} ({where})")
    assert not problems, f"{po_path}: {len(problems)} entries need English:\n" + "\n".join(problems)


def test_compiled_catalog_translates():
    # Looked up through a variable so that makemessages does not extract these from here.
    expected = {"登录": "Log in", "案件": "Case", "派单": "Dispatch"}
    with translation.override("en"):
        assert {zh: translation.gettext(zh) for zh in expected} == expected


@pytest.mark.django_db
def test_login_page_chinese_by_default_and_english_after_choosing(client):
    login = reverse("login")
    page = client.get(login, HTTP_ACCEPT_LANGUAGE="")
    html = page.content.decode()
    assert page.status_code == 200
    assert "工作人员登录" in html
    assert "Staff login" not in html

    switched = client.post(reverse("set_language"), {"language": "en", "next": login})
    assert switched.status_code == 302
    assert switched["Location"] == login

    page = client.get(login)
    html = page.content.decode()
    assert "Staff login" in html
    assert "Username" in html and "Password" in html
    assert "工作人员登录" not in html

    client.post(reverse("set_language"), {"language": "zh-hans", "next": login})
    assert "工作人员登录" in client.get(login).content.decode()
