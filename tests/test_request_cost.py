"""The fixed cost of a list request (issue 22): the user and its roles (and department) in
one statement, no FilterSet without a filter, the list's columns only, labels resolved once,
the dropdowns' pick lists kept — and the answers unchanged: the list JSON equals DRF's
field-by-field serialisation of full model instances, the page's table equals the one
rendered from full rows, and the access rules hold per role."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from dispatch.services import case_dispatch
from intake.api import views as api_views
from intake.api.serializers import CaseFieldsSerializer
from intake.models import Case, RiskLevel, State
from intake.selectors import case_list
from luodian_platform.auth import RoleLoadingBackend, token_with_user, user_with_roles
from luodian_platform.models import Category, Department, StaffToken, User
from luodian_platform.picklists import KEY as PICKLIST_KEY
from luodian_platform.picklists import picklists
from luodian_platform.roles import Role, user_roles
from luodian_platform.templatetags.picklists import options
from luodian_platform.tokens import staff_token_issue, token_hash

pytestmark = pytest.mark.django_db

PERSONAS = ["clerk", "dispatcher", "officer", "mediator", "followup", "supervisor", "admin"]


@pytest.fixture
def county(make_case, clerk, dispatcher, rsj, sfj):
    """Cases in several states: registered, dispatched (one overdue, one high-risk, one to
    another department), in another category without a township."""
    plain = make_case()
    sent = case_dispatch(case_id=make_case().pk, department=rsj, actor=dispatcher)
    Case.objects.filter(pk=sent.pk).update(
        due_at=dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.UTC), risk_level=RiskLevel.HIGH
    )
    other = case_dispatch(case_id=make_case("family").pk, department=sfj, actor=dispatcher)
    bare = make_case("neighbour", township=None)
    return [plain, sent, other, bare]


def token_client(user) -> Client:
    _token, raw = staff_token_issue(actor=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Token {raw}", HTTP_ACCEPT="application/json")


def session_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def generic_rows(user, ids) -> list[dict]:
    """What DRF's field-by-field serializer makes of full model instances (no only(), no
    values()) of these cases, in the list's order."""
    cases = (
        Case.objects.select_related("category", "department", "township")
        .filter(pk__in=ids)
        .order_by("-created_at", "-id")
    )
    return [dict(r) for r in CaseFieldsSerializer(cases, many=True).data]


# --- the answers are unchanged -------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
@pytest.mark.parametrize("username", ["dispatcher", "officer", "clerk"])
@pytest.mark.parametrize("query", ["", "state=dispatched", "overdue=true", "risk=high", "q=拖欠"])
def test_list_json_equals_drf_serialisation_of_full_rows(county, username, query, lang):
    user = User.objects.get(username=username)
    client = token_client(user)
    body = client.get(f"/api/cases/?page_size=200&{query}", HTTP_ACCEPT_LANGUAGE=lang).json()
    rows = body["results"]
    visible = set(case_list(user=user).values_list("pk", flat=True))
    assert {r["id"] for r in rows} <= visible
    with translation.override(lang):
        assert rows == generic_rows(user, [r["id"] for r in rows])
    if username == "dispatcher" and not query:
        assert len(rows) == len(county)
        assert any(r["is_overdue"] for r in rows) and any(r["township"] is None for r in rows)
        assert any(r["department"] is None for r in rows) and any(r["department"] for r in rows)


def _without_csrf(html: str) -> str:
    return re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', r"\1-", html)


def test_list_page_table_equals_the_one_from_full_rows(county, dispatcher, monkeypatch):
    from intake import views as page_views

    client = session_client(dispatcher)
    lean = client.get("/cases/?department=rsj").content.decode()
    monkeypatch.setattr(page_views, "list_columns", lambda qs: qs)
    full = client.get("/cases/?department=rsj").content.decode()
    assert _without_csrf(lean) == _without_csrf(full)
    assert county[1].number in lean and "已超期" in lean


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_state_and_risk_labels_equal_djangos_display(lang):
    with translation.override(lang):
        for state in State.values:
            for risk in RiskLevel.values:
                case = Case(state=state, risk_level=risk)  # in memory: every pair
                assert case.state_label == case.get_state_display()
                assert case.risk_label == case.get_risk_level_display()


def test_dropdown_options_write_the_markup_the_loop_wrote():
    html = options([("rsj", "人社局"), ("sfj", "<司法局>")], "sfj")
    assert html == (
        '<option value="rsj" >人社局</option><option value="sfj" selected>&lt;司法局&gt;</option>'
    )
    assert "selected" not in options([("rsj", "人社局")], "")


# --- the user, its roles and its department in one statement ------------------------------


@pytest.mark.parametrize("username", PERSONAS)
def test_user_with_roles_equals_the_orm_user(username):
    orm = User.objects.get(username=username)
    loaded = user_with_roles(orm.pk)
    for field in User._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(orm, field.attname), field.name
    assert loaded._role_cache == user_roles(User.objects.get(pk=orm.pk))
    department = orm.department
    with CaptureQueriesContext(connection) as queries:
        assert loaded.department == department  # came with the user
        assert loaded.department is None or loaded.department.name == department.name
    assert not queries.captured_queries


def test_user_with_several_groups_none_or_superuser(dispatcher, outsider):
    dispatcher.groups.add(Group.objects.get(name=Role.SUPERVISOR))
    assert user_with_roles(dispatcher.pk)._role_cache == {Role.DISPATCHER, Role.SUPERVISOR}
    assert user_with_roles(outsider.pk)._role_cache == frozenset()
    outsider.is_superuser = True
    outsider.save()
    assert user_with_roles(outsider.pk)._role_cache == {Role.ADMIN}
    assert user_with_roles(10**9) is None


def test_backend_refuses_inactive_and_malformed_users(clerk):
    backend = RoleLoadingBackend()
    assert backend.get_user(clerk.pk).username == "clerk"
    User.objects.filter(pk=clerk.pk).update(is_active=False)
    assert backend.get_user(clerk.pk) is None
    assert backend.get_user("not-a-number") is None


def test_token_with_user_equals_the_orm_rows(officer):
    token, raw = staff_token_issue(actor=officer, name="test")
    loaded = token_with_user(token_hash(raw))
    orm = StaffToken.objects.select_related("user").get(pk=token.pk)
    for field in StaffToken._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(orm, field.attname), field.name
    assert loaded.user.username == "officer" and loaded.user._role_cache == {Role.OFFICER}
    StaffToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert token_with_user(token_hash(raw)) is None


def test_expired_and_revoked_tokens_answer_401_in_chinese(officer):
    token, raw = staff_token_issue(actor=officer, name="test")
    client = Client(HTTP_AUTHORIZATION=f"Token {raw}")
    StaffToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    response = client.get("/api/cases/")
    assert response.status_code == 401
    assert "令牌已过期" in response.json()["error"]["message"]
    StaffToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    assert "令牌无效" in client.get("/api/cases/").json()["error"]["message"]


@pytest.mark.parametrize("make_client", [token_client, session_client])
def test_a_role_taken_away_counts_from_the_next_request(county, officer, make_client):
    client = make_client(officer)
    assert client.get(f"/api/cases/{county[1].pk}/").status_code == 200
    officer.groups.clear()
    assert client.get(f"/api/cases/{county[1].pk}/").status_code == 404
    assert client.get("/api/cases/").json()["results"] == []


# --- no FilterSet without a filter ---------------------------------------------------------


def test_filterset_is_built_only_when_a_filter_is_given(county, dispatcher, monkeypatch):
    built = []
    original = api_views.CaseFilter.__init__

    def spy(self, *args, **kwargs):
        built.append(dict(kwargs.get("data") or {}))
        original(self, *args, **kwargs)

    monkeypatch.setattr(api_views.CaseFilter, "__init__", spy)
    client = token_client(dispatcher)
    first = client.get("/api/cases/?page_size=2").json()
    client.get(first["next"])
    assert built == []
    assert client.get("/api/cases/?state=dispatched").status_code == 200
    assert client.get("/api/cases/?unknown=1").status_code == 200
    assert len(built) == 2
    bad = client.get("/api/cases/?state=nonsense")
    assert bad.status_code == 400
    assert "选择一个有效的选项" in str(bad.json()["error"]["fields"]["state"])


# --- queries per request, per role -----------------------------------------------------------


def _queries(client, path) -> int:
    client.get(path)  # warm: a token's last use, the session's refresh
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


SESSION_READ = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1


@pytest.mark.parametrize("username", PERSONAS)
def test_list_api_queries_per_role_do_not_grow(username, make_case):
    user = User.objects.get(username=username)
    make_case()
    by_token, by_session = token_client(user), session_client(user)
    # token + user + roles + department: 1; the cases: 1. A session adds its own read.
    assert _queries(by_token, "/api/cases/") == 2
    assert _queries(by_session, "/api/cases/") == 2 + SESSION_READ
    for _ in range(5):
        make_case()
    assert _queries(by_token, "/api/cases/") == 2
    assert _queries(by_token, "/api/cases/?state=registered&overdue=false") == 2


@pytest.mark.django_db(transaction=True)
def test_list_page_queries_with_pick_lists_kept(make_case, dispatcher):
    make_case()
    client = session_client(User.objects.get(username="dispatcher"))
    # session + user + cases + unread notifications; the pick lists come from the cache
    # once kept.
    assert _queries(client, "/cases/") == 3 + SESSION_READ
    for _ in range(5):
        make_case()
    assert _queries(client, "/cases/") == 3 + SESSION_READ
    # A renamed department shows on the next page (the kept lists are dropped).
    rsj = Department.objects.get(code="rsj")
    rsj.name = "人力资源和社会保障局(新)"
    rsj.save()
    assert "人力资源和社会保障局(新)" in client.get("/cases/").content.decode()


def test_pick_lists_are_not_kept_inside_a_transaction():
    from django.core.cache import cache

    lists = picklists()
    assert [c for c, _n in lists["categories"]] == list(
        Category.objects.values_list("code", flat=True)
    )
    assert cache.get(PICKLIST_KEY) is None  # a test runs in a transaction
