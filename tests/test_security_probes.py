"""Probes (issue 17): what duplicate suggestions tell a clerk, that they are logged and
throttled, per-user throttles on reveals and staff endpoints, and 401 for anonymous API calls."""

from __future__ import annotations

import pytest
from django.urls import reverse

from intake.models import PersonalDataReveal

from .conftest import VALID_ID

pytestmark = pytest.mark.django_db

PHONE = "13800138000"


def _lookup(client, id_number=VALID_ID, phone=""):
    return client.post(
        reverse("intake:register_duplicates"),
        {
            "parties-0-role": "applicant",
            "parties-0-name": "王小明",
            "parties-0-id_number": id_number,
            "parties-0-phone": phone,
        },
    )


def test_duplicate_suggestion_of_a_case_the_clerk_cannot_open_says_only_number_and_state(
    make_case, dispatcher, clerk, client
):
    theirs = make_case(actor=dispatcher, title="另一窗口的特别标题")
    mine = make_case(title="本窗口的案件标题")
    client.force_login(clerk)
    html = _lookup(client).content.decode()
    assert theirs.number in html and theirs.get_state_display() in html
    assert "另一窗口的特别标题" not in html
    assert reverse("intake:case_detail", args=[theirs.pk]) not in html
    # Of the clerk's own case: the title and a link (they may open it).
    assert "本窗口的案件标题" in html and reverse("intake:case_detail", args=[mine.pk]) in html
    # Nothing about the other case beyond number, state and the matching detail: not its
    # township or category (both cases share them here, so count the mentions instead).
    assert html.count(mine.township.name) == 1 and html.count(mine.category.name) == 1


def test_duplicate_lookups_with_hits_are_logged_and_misses_are_not(make_case, clerk, client):
    case = make_case()
    client.force_login(clerk)
    _lookup(client, id_number="522728198503151236")  # nobody: no hit
    assert not PersonalDataReveal.objects.filter(subject="lookup").exists()
    _lookup(client)
    log = PersonalDataReveal.objects.get(subject="lookup")
    assert log.actor == clerk and case.number in log.reason and log.fields == "id_number"
    assert VALID_ID not in log.reason  # the log says what was found, not what was typed


def test_duplicate_lookups_are_throttled_per_user(make_case, clerk, dispatcher, client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "lookup": "3/min",
        },
    }
    client.force_login(clerk)
    assert [_lookup(client).status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = _lookup(client)
    assert refused.status_code == 429 and "Retry-After" in refused
    client.force_login(dispatcher)  # another user has their own budget
    assert _lookup(client).status_code == 200


def test_reveals_are_throttled_per_user(make_case, api, dispatcher, officer, settings):
    from intake.models import Party

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "reveal": "2/min",
        },
    }
    party = Party.objects.get(case=make_case(), role="applicant")
    url = f"/api/parties/{party.pk}/reveal/"
    client = api(dispatcher)
    codes = [client.post(url, {"reason": "核实"}, format="json").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert PersonalDataReveal.objects.filter(actor=dispatcher).count() == 2
    assert api(officer).post(url, {"reason": "核实"}, format="json").status_code in (200, 404)


def test_staff_api_is_throttled_per_user(api, dispatcher, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "staff": "2/min",
        },
    }
    client = api(dispatcher)
    assert [client.get("/api/cases/").status_code for _ in range(3)] == [200, 200, 429]


@pytest.mark.parametrize(
    "method,path",
    [("get", "/api/cases/"), ("post", "/api/parties/1/reveal/"), ("get", "/api/audit/")],
)
def test_anonymous_api_calls_answer_401_with_www_authenticate(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("held_at", ["0468-03-01T10:00:00+08:00", "2999-01-01T10:00:00+08:00"])
def test_absurd_years_are_refused_by_the_api(api, dispatcher, clerk, officer, held_at):
    """Found by the fuzz: a talk 'held' in year 0468 was stored. Inputs outside 2000 … ten
    years ahead are refused with a field error (luodian_platform.api.fields)."""
    from tests.access_matrix import World

    users = {"dispatcher": dispatcher, "clerk": clerk, "officer": officer}
    correction = World(users).obj("talk")
    response = api(dispatcher).post(
        f"/api/corrections/{correction.pk}/talk/",
        {"held_at": held_at, "record": "约谈"},
        format="json",
    )
    assert response.status_code == 400
    assert "held_at" in response.json()["error"]["fields"]
    correction.refresh_from_db()
    assert correction.talk_at is None
