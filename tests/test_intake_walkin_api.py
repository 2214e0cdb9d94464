"""``POST /api/cases/``: walk-in registration over the API — roles, validation, parties,
risk flags and duplicate suggestions as the window, idempotency keys."""

from __future__ import annotations

import copy
import datetime as dt
import uuid

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from intake.models import Case, IdempotencyKey, PersonalDataReveal, State
from tests.conftest import VALID_ID, VALID_ID_2, VALID_USCC, requires_postgres

pytestmark = pytest.mark.django_db
URL = "/api/cases/"

BODY = {
    "category": "labour",
    "title": "工地拖欠农民工工资",
    "facts": "申请人在龙坪镇某工地务工三个月,工资12000元未结清。",
    "township": "longping",
    "amount": "12000.00",
    "parties": [
        {"role": "applicant", "name": "王小明", "id_number": VALID_ID, "phone": "13800138000"},
        {
            "role": "respondent",
            "kind": "org",
            "name": "罗甸县某建筑公司",
            "credit_code": VALID_USCC,
        },
    ],
}


def body(**over):
    b = copy.deepcopy(BODY)
    b.update(over)
    return b


def test_clerk_registers_a_walk_in(api, clerk):
    resp = api(clerk).post(URL, BODY, format="json")
    assert resp.status_code == 201, resp.content
    data = resp.json()
    case = Case.objects.get(pk=data["id"])
    assert case.state == State.REGISTERED and case.registered_by == clerk
    assert case.window == clerk.window  # the clerk's window, as on the page
    assert data["number"].startswith("LD") and data["replayed"] is False
    assert len(data["parties"]) == 2 and data["parties"][0]["id_number"] != VALID_ID  # masked
    assert data["duplicates"] == [] and data["auto_flags"] == []


def test_dispatcher_may_register_too(api, dispatcher):
    assert api(dispatcher).post(URL, BODY, format="json").status_code == 201


@pytest.mark.parametrize("who", ["officer", "mediator", "followup_officer", "supervisor"])
def test_other_roles_get_403(api, who, request):
    resp = api(request.getfixturevalue(who)).post(URL, BODY, format="json")
    assert resp.status_code == 403
    assert "登记" in resp.json()["error"]["message"]
    assert not Case.objects.exists()


def test_outsider_and_anonymous_are_refused(api, outsider):
    assert api(outsider).post(URL, BODY, format="json").status_code == 403
    assert api(None).post(URL, BODY, format="json").status_code in (401, 403)
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    "over, field",
    [
        ({"title": ""}, "title"),
        ({"category": "nope"}, "category"),
        ({"parties": []}, "parties"),
        ({"amount": "-1"}, "amount"),
        ({"people_count": 0}, "people_count"),
        (
            {"parties": [{"role": "applicant", "name": "张三", "id_number": "123"}]},
            "parties[0].id_number",
        ),
        ({"parties": [{"role": "applicant", "name": "张三", "phone": "12"}]}, "parties[0].phone"),
        # the category's required fields, checked by the window's own service
        ({"parties": [{"role": "applicant", "name": "张三"}]}, "parties"),
        ({"parties": [{"role": "respondent", "name": "某公司", "kind": "org"}]}, "parties"),
        ({"mode": "link"}, "link_to"),
        ({"mode": "on_spot"}, "answer"),
    ],
)
def test_bad_input_answers_400_in_chinese(api, clerk, over, field):
    resp = api(clerk).post(URL, body(**over), format="json")
    assert resp.status_code == 400, resp.content
    err = resp.json()["error"]
    assert field in err["fields"], err
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err["message"])
    assert not Case.objects.exists()


def test_broken_json_is_400(api, clerk):
    resp = api(clerk).generic("POST", URL, b'{"title": ', content_type="application/json")
    assert resp.status_code == 400 and "JSON" in resp.json()["error"]["message"]


def test_duplicate_flags_as_the_window(api, clerk, make_case, dispatcher):
    earlier = make_case("labour")
    other_window = make_case("labour", actor=dispatcher)
    resp = api(clerk).post(URL, BODY, format="json")
    assert resp.status_code == 201
    data = resp.json()
    assert data["is_repeat"] is True and "repeat" in data["auto_flags"]
    assert data["risk_level"] in ("medium", "high")
    dups = {d["case_id"]: d for d in data["duplicates"]}
    assert set(dups) == {earlier.pk, other_window.pk}
    assert "身份证号码相同" in dups[earlier.pk]["reasons"]
    assert dups[earlier.pk]["visible"] is True and dups[earlier.pk]["title"]
    # registered by someone else: number and state only
    assert dups[other_window.pk]["visible"] is False and dups[other_window.pk]["title"] == ""
    # the lookup leaves a trace, as on the page
    assert PersonalDataReveal.objects.filter(actor=clerk, subject="lookup").exists()


def test_group_flag_from_people_count(api, clerk, settings):
    resp = api(clerk).post(URL, body(people_count=settings.GROUP_DISPUTE_THRESHOLD), format="json")
    assert resp.json()["is_group"] is True and resp.json()["risk_level"] == "high"


def test_link_mode_merges_into_the_earlier_case(api, clerk, make_case):
    earlier = make_case("labour")
    resp = api(clerk).post(URL, body(mode="link", link_to=earlier.pk), format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["state"] == State.MERGED
    assert Case.objects.get(pk=resp.json()["id"]).merged_into == earlier


def test_link_to_an_unrelated_case_is_400(api, clerk, make_case):
    from intake.services import PartyInput

    unrelated = make_case(
        "labour",
        parties=[
            PartyInput(role="applicant", name="赵六", id_number=VALID_ID_2),
            PartyInput(role="respondent", name="别的公司", kind="org"),
        ],
    )
    resp = api(clerk).post(URL, body(mode="link", link_to=unrelated.pk), format="json")
    assert resp.status_code == 400 and "link_to" in resp.json()["error"]["fields"]
    assert Case.objects.count() == 1


def test_on_spot_consultation(api, clerk):
    resp = api(clerk).post(
        URL,
        {
            "category": "consultation",
            "title": "咨询工伤认定",
            "facts": "咨询工伤认定的申请期限。",
            "parties": [{"role": "applicant", "name": "李四"}],
            "mode": "on_spot",
            "answer": "告知一年内向社保行政部门申请。",
        },
        format="json",
    )
    assert resp.status_code == 201, resp.content
    assert resp.json()["state"] == State.CLOSED
    assert [e["transition"] for e in resp.json()["events"]] == ["register", "handle_on_spot"]


# --- idempotency ------------------------------------------------------------------------


def test_a_retried_post_with_the_same_key_creates_one_case(api, clerk):
    key = str(uuid.uuid4())
    client = api(clerk)
    first = client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["replayed"] is True
    assert Case.objects.count() == 1
    # key order does not matter
    reordered = dict(reversed(list(BODY.items())))
    assert client.post(URL, reordered, format="json", HTTP_IDEMPOTENCY_KEY=key).status_code == 200
    # no key: a second case (with the duplicate suggestion pointing at the first)
    third = client.post(URL, BODY, format="json")
    assert third.status_code == 201 and Case.objects.count() == 2
    assert first.json()["id"] in {d["case_id"] for d in third.json()["duplicates"]}


def test_same_key_with_another_body_is_409(api, clerk):
    client = api(clerk)
    client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    resp = client.post(URL, body(title="另一件事"), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "idempotency_key_reused"
    assert "幂等键" in resp.json()["error"]["message"]
    assert Case.objects.count() == 1


def test_keys_are_per_user(api, clerk, dispatcher):
    api(clerk).post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    resp = api(dispatcher).post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    assert resp.status_code == 201 and Case.objects.count() == 2


def test_a_refused_request_does_not_use_up_the_key(api, clerk):
    client = api(clerk)
    assert (
        client.post(URL, body(title=""), format="json", HTTP_IDEMPOTENCY_KEY="k2").status_code
        == 400
    )
    assert client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="k2").status_code == 201
    assert IdempotencyKey.objects.filter(key="k2").count() == 1


@pytest.mark.parametrize("key", ["", "has space", "中文键", "x" * 101])
def test_malformed_key_is_400(api, clerk, key):
    resp = api(clerk).post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert resp.status_code == 400
    assert "Idempotency-Key" in resp.json()["error"]["fields"]
    assert not Case.objects.exists()


def test_an_expired_key_registers_again(api, clerk, settings):
    settings.IDEMPOTENCY_KEY_HOURS = 24
    client = api(clerk)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="old")
    with time_machine.travel(start + dt.timedelta(hours=25), tick=False):
        resp = client.post(URL, body(title="第二次"), format="json", HTTP_IDEMPOTENCY_KEY="old")
    assert resp.status_code == 201 and Case.objects.count() == 2
    assert IdempotencyKey.objects.filter(key="old").count() == 1


def test_schema_documents_the_endpoint_and_the_header(client, db):
    schema = client.get(reverse("api:schema"), HTTP_ACCEPT="application/json").content.decode()
    assert "cases_create" in schema and "Idempotency-Key" in schema


def test_registration_query_count_is_bounded(api, clerk, make_case, django_assert_max_num_queries):
    make_case("labour")
    with django_assert_max_num_queries(60):
        assert api(clerk).post(URL, BODY, format="json").status_code == 201


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_copies_of_one_request_register_one_case(clerk):
    """Five copies of one POST at once with the same key: one case, the same answer for all
    (the unique key makes the later ones wait for the first and replay it)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from tests.conftest import client_for

    barrier = threading.Barrier(5)

    def attempt(_i):
        try:
            barrier.wait()
            resp = client_for(clerk).post(URL, BODY, format="json", HTTP_IDEMPOTENCY_KEY="race")
            return resp.status_code, resp.json().get("id")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(attempt, range(5)))
    assert sorted(code for code, _id in results) == [200, 200, 200, 200, 201]
    assert len({case_id for _code, case_id in results}) == 1
    assert Case.objects.count() == 1 and IdempotencyKey.objects.count() == 1
