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


def test_every_model_and_field_has_a_chinese_name():
    """What the admin, the audit page and every error name a clerk reads (issue 23: admin
    columns "Actor/From/Transition", models "Case events")."""
    import re

    from django.apps import apps

    cjk = re.compile(r"[\u4e00-\u9fff]")
    missing = []
    for app in ("luodian_platform", "intake", "dispatch", "mediation", "followup", "audit"):
        for model in apps.get_app_config(app).get_models():
            meta = model._meta
            if not (
                cjk.search(str(meta.verbose_name)) and cjk.search(str(meta.verbose_name_plural))
            ):
                missing.append(meta.label)
            for f in meta.get_fields():
                if (f.auto_created and not f.concrete) or f.name == "id":
                    continue
                if not cjk.search(str(getattr(f, "verbose_name", ""))):
                    missing.append(f"{meta.label}.{f.name}")
    assert missing == []


@pytest.mark.django_db
def test_the_admin_shows_third_party_models_in_chinese(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/admin/").content.decode()
    assert "登录尝试记录" in page and "Access attempts" not in page
    assert "Case events" not in page and "案件流转记录" in page
