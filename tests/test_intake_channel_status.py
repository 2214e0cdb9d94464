"""Issue 20: a channel reads the status of its own orders (one, or those changed since a
moment), and a resend with changed content is flagged and kept for the dispatcher."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from rest_framework.test import APIClient

from dispatch.services import case_approve, case_dispatch, case_sign_for
from intake.channel import channel_token_issue
from intake.models import Case, CaseEvent, ChannelOrder, Outcome
from intake.services import case_take_in
from mediation.services import case_reply

from .conftest import VALID_ID, VALID_USCC, client_for

pytestmark = pytest.mark.django_db

ORDERS = "/api/channel/orders/"
ORDER = {
    "external_id": "12345-0001",
    "category": "labour",
    "title": "工地拖欠工资",
    "facts": "来电人反映工资12000元未结清。",
    "township": "longping",
    "amount": "12000.00",
    "parties": [
        {"role": "applicant", "name": "王小明", "id_number": VALID_ID, "phone": "13800138000"},
        {"role": "respondent", "kind": "org", "name": "某建筑公司", "credit_code": VALID_USCC},
    ],
}


def order(**over) -> dict:
    data = copy.deepcopy(ORDER)
    data.update(over)
    return data


def channel_client(admin_user, channel: str) -> APIClient:
    _token, raw = channel_token_issue(channel=channel, name=channel, actor=admin_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Channel {raw}")
    return client


@pytest.fixture
def hotline(admin_user):
    return channel_client(admin_user, "hotline_12345")


@pytest.fixture
def app_channel(admin_user):
    return channel_client(admin_user, "pingan_app")


def _post(client, data) -> dict:
    r = client.post(ORDERS, data, format="json")
    assert r.status_code in (200, 201), r.content
    return r.json()


def test_a_channel_follows_its_order_to_the_reply(hotline, dispatcher, officer, rsj):
    _post(hotline, order())
    url = f"{ORDERS}12345-0001/"
    first = hotline.get(url).json()
    assert first["state"] == "received" and first["reply"] is None and first["department"] is None
    case = Case.objects.get(external_id="12345-0001")
    case_take_in(case_id=case.pk, actor=dispatcher)
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    dispatched = hotline.get(url).json()
    assert dispatched["state"] == "dispatched"
    assert dispatched["department"] == {"code": rsj.code, "name": rsj.name}
    assert dispatched["due_at"] and dispatched["reply"] is None
    case_sign_for(case_id=case.pk, actor=officer)
    case_reply(
        case_id=case.pk,
        actor=officer,
        outcome=Outcome.HANDLED,
        text="工资已结清",
        document="答复书",
    )
    replied = hotline.get(url).json()
    assert replied["state"] == "replied" and replied["reply"]["text"] == "工资已结清"
    case_approve(case_id=case.pk, actor=dispatcher)
    closed = hotline.get(url).json()
    assert closed["state"] == "closed" and closed["closed_at"]
    # Never the parties' data.
    body = hotline.get(url).content.decode()
    assert "王小明" not in body and "13800138000" not in body and VALID_ID not in body


def test_another_channels_order_is_404_like_a_missing_one(hotline, app_channel):
    _post(hotline, order())
    assert app_channel.get(f"{ORDERS}12345-0001/").status_code == 404
    missing = hotline.get(f"{ORDERS}nope/")
    assert missing.status_code == 404 and missing.json()["error"]["message"]
    assert app_channel.get(ORDERS).json()["results"] == []


def test_staff_and_anonymous_cannot_read_channel_status(hotline, dispatcher):
    _post(hotline, order())
    url = f"{ORDERS}12345-0001/"
    assert APIClient().get(url).status_code == 401
    assert client_for(dispatcher).get(url).status_code in (401, 403)


def test_list_since_a_moment_pages_by_change_time(
    hotline, dispatcher, django_assert_max_num_queries
):
    for i in range(5):
        _post(hotline, order(external_id=f"L-{i}"))
    everything = hotline.get(ORDERS).json()
    assert [r["external_id"] for r in everything["results"]] == [f"L-{i}" for i in range(5)]
    assert everything["next"] is None
    # Take one in: it moves to the end, and "since" its change finds it alone.
    case = Case.objects.get(external_id="L-1")
    changed = case_take_in(case_id=case.pk, actor=dispatcher)
    since = changed.updated_at.isoformat()
    r = hotline.get(ORDERS, {"since": since}).json()
    assert [x["external_id"] for x in r["results"]] == ["L-1"]
    # Pages of two, following "next", give every order once.
    seen, params = [], {"limit": 2, "since": "2000-01-01T00:00:00+08:00"}
    while True:
        page = hotline.get(ORDERS, params).json()
        seen += [x["external_id"] for x in page["results"]]
        if not page["next"]:
            break
        params = {"limit": 2, **page["next"]}
    assert sorted(seen) == [f"L-{i}" for i in range(5)] and len(seen) == 5
    # The query count does not grow with rows (token lookup + last-used + one select).
    with django_assert_max_num_queries(4):
        hotline.get(ORDERS, {"limit": 500})


@pytest.mark.parametrize(
    "params",
    [
        {"since": "yesterday"},
        {"since": "2026-13-45T00:00:00"},
        {"limit": "0"},
        {"limit": "501"},
        {"limit": "many"},
        {"after_id": "-1", "since": "2026-01-01T00:00:00Z"},
    ],
)
def test_bad_list_parameters_answer_400_in_chinese(hotline, params):
    r = hotline.get(ORDERS, params)
    assert r.status_code == 400
    assert r.json()["error"]["fields"]


def test_resend_with_changed_content_is_flagged_and_kept_for_the_dispatcher(hotline):
    assert _post(hotline, order())["created"] is True
    same = _post(hotline, order())
    assert (same["created"], same["changed"]) == (False, False)
    changed_body = order(
        facts="来电人补充:工资共15000元未结清。",
        parties=[
            {"role": "applicant", "name": "王小明", "id_number": VALID_ID, "phone": "13900139000"},
            ORDER["parties"][1],
        ],
    )
    again = _post(hotline, changed_body)
    assert (again["created"], again["changed"]) == (False, True)
    case = Case.objects.get(external_id="12345-0001")
    # The case is not changed by a resend (docs/intake.md): the dispatcher decides.
    assert case.facts == ORDER["facts"]
    (event,) = CaseEvent.objects.filter(case=case, transition="channel_resend")
    assert event.payload["changed"] == ["facts", "parties"]
    assert event.payload["values"] == {"facts": "来电人补充:工资共15000元未结清。"}
    assert "13900139000" not in str(event.payload) and "13900139000" not in event.note
    assert ChannelOrder.objects.get(case=case).latest_payload["parties"][0]["phone"] == (
        "13900139000"
    )
    # The same changed content once more: still flagged, recorded once.
    assert _post(hotline, changed_body)["changed"] is True
    assert CaseEvent.objects.filter(case=case, transition="channel_resend").count() == 1


def test_bulk_resend_flags_changed_orders(hotline):
    _post(hotline, order(external_id="B-1"))
    _post(hotline, order(external_id="B-2"))
    r = hotline.post(
        f"{ORDERS}bulk/",
        {"orders": [order(external_id="B-1"), order(external_id="B-2", title="工资纠纷(更新)")]},
        format="json",
    ).json()
    assert [(x["status"], x["changed"]) for x in r["results"]] == [
        ("existing", False),
        ("existing", True),
    ]
    assert CaseEvent.objects.filter(transition="channel_resend").count() == 1


def test_since_accepts_a_naive_local_time(hotline):
    _post(hotline, order())
    tomorrow = (dt.datetime.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert hotline.get(ORDERS, {"since": tomorrow}).json()["results"] == []


def test_an_after_id_beyond_any_row_id_is_a_400_not_a_crash(hotline):
    r = hotline.get(ORDERS, {"since": "2026-01-01T00:00:00Z", "after_id": str(2**70)})
    assert r.status_code == 400 and "after_id" in r.json()["error"]["fields"]
