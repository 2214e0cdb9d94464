"""What a newcomer meets on the first `make run`: migrate without SQLite warnings, and the
Chinese 404 page although development runs with DEBUG on."""

from __future__ import annotations

from django.core import checks

NOT_FOUND_ZH = "页面或案件不存在"


def test_model_checks_have_no_sqlite_constraint_or_index_warnings(db):
    # migrate runs these checks against the database; W047 (NULLS NOT DISTINCT) and W040
    # (INCLUDE columns) are what SQLite used to print on every first run.
    ids = {m.id for m in checks.run_checks(databases=["default"])}
    assert not ids & {"models.W047", "models.W040"}


def test_unknown_address_is_the_chinese_page_with_debug_on(settings, client, clerk):
    settings.DEBUG = True
    client.force_login(clerk)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert NOT_FOUND_ZH in body
    assert "Page not found" not in body and "URLconf" not in body


def test_anonymous_unknown_address_is_the_chinese_page_too(settings, client):
    settings.DEBUG = True
    response = client.get("/favicon.ico")
    assert response.status_code == 404
    assert NOT_FOUND_ZH in response.content.decode()


def test_missing_trailing_slash_still_redirects(settings, client):
    settings.DEBUG = True
    response = client.get("/login")
    assert response.status_code == 301
    assert response["Location"] == "/login/"


def test_invisible_case_is_the_chinese_page_with_debug_on(settings, client, make_case, officer2):
    settings.DEBUG = True
    case = make_case("labour")  # 人社局's kind of case, registered by the clerk
    client.force_login(officer2)  # 司法局: may not see it
    response = client.get(f"/cases/{case.pk}/")
    assert response.status_code == 404
    body = response.content.decode()
    assert NOT_FOUND_ZH in body and "Page not found" not in body


def test_developers_can_ask_for_djangos_page(settings, client):
    settings.DEBUG = True
    settings.DEBUG_TECHNICAL_404 = True
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_production_mode_is_unchanged(settings, client):
    settings.DEBUG = False
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert NOT_FOUND_ZH in response.content.decode()
