"""The channel API: per-channel tokens, idempotent orders, validation with nothing stored
half-way, bulk posts, the 12345 CSV importer, and the OpenAPI schema."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from intake import channel as channel_module
from intake.channel import channel_order_submit, channel_token_issue, channel_token_revoke
from intake.models import Case, CaseCounter, CaseEvent, ChannelOrder, ChannelToken, Party, State
from intake.services import CaseInput, PartyInput
from luodian_platform.errors import NotAllowed
from luodian_platform.models import Category

from .conftest import VALID_ID, VALID_USCC, requires_postgres

pytestmark = pytest.mark.django_db

ORDERS = "/api/channel/orders/"
BULK = "/api/channel/orders/bulk/"

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


def order(**over):
    data = copy.deepcopy(ORDER)
    data.update(over)
    return data


@pytest.fixture(autouse=True)
def _fresh_throttle_budget():
    # Token ids repeat across rolled-back tests; the per-token rate budget must not.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def hotline_token(admin_user):
    token, raw = channel_token_issue(channel="hotline_12345", name="12345热线", actor=admin_user)
    return token, raw


@pytest.fixture
def channel_client(hotline_token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Channel {hotline_token[1]}")
    return client


def _counts():
    return (
        Case.objects.count(),
        Party.objects.count(),
        ChannelOrder.objects.count(),
        CaseEvent.objects.count(),
        list(CaseCounter.objects.values_list("year", "last")),
    )


def test_token_is_stored_hashed_and_issued_only_by_admin(hotline_token, clerk):
    token, raw = hotline_token
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in json.dumps(list(ChannelToken.objects.values()), default=str)
    with pytest.raises(NotAllowed):
        channel_token_issue(channel="zongzhi", name="x", actor=clerk)
    with pytest.raises(NotAllowed):
        channel_token_revoke(token_id=token.pk, actor=clerk)


def test_channel_order_lands_received_with_raw_payload(channel_client, hotline_token):
    payload = order(extra_field={"kept": True})
    response = channel_client.post(ORDERS, payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(number=body["number"])
    assert body["created"] is True and body["state"] == "received"
    assert case.state == State.RECEIVED and case.channel == "hotline_12345"
    assert case.external_id == "12345-0001" and case.registered_by is None
    assert case.channel_order.payload == payload  # raw payload kept, unknown fields too
    assert case.channel_order.token == hotline_token[0]
    assert case.events.get().transition == "receive"


def test_channel_post_is_idempotent(channel_client):
    first = channel_client.post(ORDERS, order(), format="json")
    second = channel_client.post(ORDERS, order(title="重复推送"), format="json")
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["number"] == second.json()["number"]
    assert second.json()["created"] is False
    assert Case.objects.filter(external_id="12345-0001").count() == 1
    assert ChannelOrder.objects.count() == 1


def test_same_external_id_on_another_channel_is_another_case(channel_client, admin_user):
    _, raw = channel_token_issue(channel="pingan_app", name="平安贵州", actor=admin_user)
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Channel {raw}")
    a = channel_client.post(ORDERS, order(), format="json").json()["number"]
    b = other.post(ORDERS, order(), format="json").json()["number"]
    assert a != b


def test_race_on_the_unique_constraint_returns_the_existing_case(channel_client, monkeypatch):
    number = channel_client.post(ORDERS, order(), format="json").json()["number"]
    real = channel_module._existing
    calls = []

    def first_miss(channel, external_id):
        calls.append(1)
        return None if len(calls) == 1 else real(channel, external_id)

    monkeypatch.setattr(channel_module, "_existing", first_miss)
    data = CaseInput(
        title="t",
        facts="f",
        category=Category.objects.get(code="consultation"),
        external_id="12345-0001",
        parties=[PartyInput(role="applicant", name="王")],
    )
    result = channel_order_submit(channel="hotline_12345", data=data, payload={})
    assert result.created is False and result.case.number == number
    assert Case.objects.count() == 1 and ChannelOrder.objects.count() == 1


@pytest.mark.parametrize(
    "payload, field",
    [
        (order(category="unknown"), "category"),
        (order(external_id=""), "external_id"),
        (order(facts="长" * 10001), "facts"),
        (order(title="长" * 201), "title"),
        (order(parties=[]), "parties"),
        (
            order(
                parties=[
                    {**ORDER["parties"][0], "id_number": "110105194912310021"},
                    ORDER["parties"][1],
                ]
            ),
            "parties[0].id_number",
        ),
        (
            order(parties=[{**ORDER["parties"][0], "phone": "12345"}, ORDER["parties"][1]]),
            "parties[0].phone",
        ),
        (order(parties=[ORDER["parties"][0]]), "parties"),  # labour needs a respondent
        (order(amount=None), "amount"),  # labour needs the amount owed
        (order(township="atlantis"), "township"),
        (order(parties=[{"role": "boss", "name": "x"}]), "parties[0].role"),
    ],
)
def test_bad_orders_are_refused_with_field_errors_and_nothing_written(
    channel_client, payload, field
):
    before = _counts()
    response = channel_client.post(ORDERS, payload, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert field in error["fields"], error
    assert error["message"]
    assert _counts() == before


def test_malformed_json_is_refused(channel_client):
    before = _counts()
    response = channel_client.post(ORDERS, '{"external_id": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    response = channel_client.post(ORDERS, "[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert _counts() == before


def test_oversized_payload_is_refused_before_parsing(channel_client):
    before = _counts()
    big = order(request="x" * (70 * 1024))
    response = channel_client.post(ORDERS, big, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "payload_too_large" and "payload" in error["fields"]
    assert _counts() == before


def test_orders_in_litigation_are_flagged_with_guidance(channel_client, dispatcher, client):
    declared = channel_client.post(
        ORDERS, order(external_id="a1", other_proceeding="arbitration"), format="json"
    ).json()
    detected = channel_client.post(
        ORDERS, order(external_id="a2", facts="该纠纷已向法院起诉,来电催问。"), format="json"
    ).json()
    assert declared["other_proceeding"] == "arbitration" and "仲裁" in declared["guidance"]
    assert detected["other_proceeding"] == "litigation" and "诉讼" in detected["guidance"]
    again = channel_client.post(
        ORDERS, order(external_id="a2", facts="该纠纷已向法院起诉,来电催问。"), format="json"
    ).json()
    assert again["other_proceeding"] == "litigation" and again["created"] is False
    client.force_login(dispatcher)
    html = client.get("/intake/inbox/").content.decode()
    assert "已进入诉讼程序" in html and "贵州省12345热线工作规则" in html


def test_bulk_stores_good_orders_and_reports_bad_ones(channel_client):
    orders = [
        order(external_id="b1"),
        order(external_id="b2", category="nope"),
        order(external_id="b3"),
        order(external_id="b1"),
        "not an object",
    ]
    response = channel_client.post(BULK, {"orders": orders}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["existing"], body["invalid"]) == (2, 1, 2)
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["created", "invalid", "created", "existing", "invalid"]
    assert "category" in body["results"][1]["error"]["fields"]
    assert body["results"][3]["number"] == body["results"][0]["number"]
    assert set(Case.objects.values_list("external_id", flat=True)) == {"b1", "b3"}


def test_bulk_over_the_limit_is_refused_whole(channel_client, settings):
    settings.CHANNEL_BULK_LIMIT = 2
    before = _counts()
    orders = [order(external_id=f"c{i}") for i in range(3)]
    response = channel_client.post(BULK, {"orders": orders}, format="json")
    assert response.status_code == 400
    assert "orders" in response.json()["error"]["fields"]
    assert channel_client.post(BULK, {"orders": []}, format="json").status_code == 400
    assert channel_client.post(BULK, [order()], format="json").status_code == 400
    assert _counts() == before


@pytest.mark.parametrize("who", ["clerk", "dispatcher", "admin_user"])
def test_staff_users_cannot_use_the_channel_api(api, request, who):
    client = api(request.getfixturevalue(who))
    before = _counts()
    assert client.post(ORDERS, order(), format="json").status_code == 403
    assert client.post(BULK, {"orders": [order()]}, format="json").status_code == 403
    assert _counts() == before


def test_staff_session_and_api_token_cannot_use_channel_api(client, clerk):
    from luodian_platform.tokens import staff_token_issue

    client.force_login(clerk)
    assert client.post(ORDERS, order(), content_type="application/json").status_code in (401, 403)
    _token, raw = staff_token_issue(actor=clerk, name="t")
    api_client = APIClient()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert api_client.post(ORDERS, order(), format="json").status_code in (401, 403)
    assert Case.objects.count() == 0


def test_channel_posts_are_rate_limited_per_token(channel_client, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    original = SimpleRateThrottle.THROTTLE_RATES
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"channel": "2/min", "channel_bulk": "1/min"},
    }
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        codes = [
            channel_client.post(ORDERS, order(external_id=f"t{i}"), format="json").status_code
            for i in range(3)
        ]
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original
    assert codes == [201, 201, 429]


def test_anonymous_bad_and_revoked_tokens_are_refused(hotline_token, admin_user):
    anon = APIClient()
    assert anon.post(ORDERS, order(), format="json").status_code == 401
    anon.credentials(HTTP_AUTHORIZATION="Channel not-a-token")
    assert anon.post(ORDERS, order(), format="json").status_code == 401
    token, raw = hotline_token
    channel_token_revoke(token_id=token.pk, actor=admin_user)
    revoked = APIClient()
    revoked.credentials(HTTP_AUTHORIZATION=f"Channel {raw}")
    response = revoked.post(ORDERS, order(), format="json")
    assert response.status_code == 401 and "吊销" in response.json()["error"]["message"]
    assert Case.objects.count() == 0


def test_channel_token_cannot_use_staff_api_or_pages(channel_client, make_case):
    make_case()
    assert channel_client.get("/api/cases/").status_code in (401, 403)
    assert channel_client.post("/api/cases/1/take_in/", {}, format="json").status_code in (401, 403)
    for url in ("/intake/inbox/", "/intake/register/", "/cases/", "/dispatch/"):
        response = channel_client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_admin_issues_token_shown_once_and_revokes(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/admin/intake/channeltoken/add/",
        {"channel": "zongzhi", "name": "综治平台"},
        follow=True,
    )
    assert response.status_code == 200
    token = ChannelToken.objects.get(name="综治平台")
    shown = [str(m) for m in response.context["messages"]]
    raw = next(m for m in shown if "不会再次显示" in m).rsplit(":", 1)[1]
    assert hashlib.sha256(raw.encode()).hexdigest() == token.token_hash
    page = client.get(f"/admin/intake/channeltoken/{token.pk}/change/").content.decode()
    assert raw not in page
    client.post(
        "/admin/intake/channeltoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_channel_api_is_in_openapi_schema_with_examples(api, admin_user):
    response = api(admin_user).get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    post = schema["paths"]["/api/channel/orders/"]["post"]
    assert "examples" in post["requestBody"]["content"]["application/json"]
    assert "examples" in post["responses"]["400"]["content"]["application/json"]
    assert "/api/channel/orders/bulk/" in schema["paths"]
    assert "channelToken" in schema["components"]["securitySchemes"]


CSV = """工单编号,标题,诉求内容,诉求类别,所属乡镇,发生地点,涉及金额,涉及人数,来电人,来电号码,证件号码,被反映对象,被反映对象类型,已进入程序
H-1,欠薪,工资未结,劳动争议(欠薪),龙坪镇,,5000,1,王小明,13800138000,,某公司,单位,
H-2,邻里,噪音扰民,邻里纠纷,斛兴街道,,,1,李四,13900139000,,张三,个人,诉讼
H-3,坏行,内容,不存在的类别,龙坪镇,,,1,赵六,12345,,某人,个人,
"""


def test_csv_import_goes_through_validation_and_is_idempotent(tmp_path, capsys):
    path = tmp_path / "export.csv"
    path.write_text(CSV, encoding="utf-8-sig")
    call_command("import_12345", str(path))
    out = capsys.readouterr()
    assert "created 2, existing 0, invalid 1" in out.out
    assert "line 4 H-3" in out.err and "category" in out.err
    assert Case.objects.filter(channel="hotline_12345", state=State.RECEIVED).count() == 2
    h2 = Case.objects.get(external_id="H-2")
    assert h2.channel_order.other_proceeding == "litigation"
    assert h2.channel_order.source == "csv"
    call_command("import_12345", str(path))
    assert "created 0, existing 2, invalid 1" in capsys.readouterr().out
    assert Case.objects.count() == 2


def test_csv_import_reads_gb18030(tmp_path, capsys):
    path = tmp_path / "export.csv"
    path.write_text(CSV.split("H-2")[0].rstrip(",\n") + "\n", encoding="gb18030")
    path.write_bytes(
        CSV.splitlines()[0].encode("gb18030")
        + b"\n"
        + CSV.splitlines()[1].encode("gb18030")
        + b"\n"
    )
    call_command("import_12345", str(path))
    assert "created 1" in capsys.readouterr().out


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_of_the_same_order_make_one_case(hotline_token):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    raw = hotline_token[1]

    def post(_):
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Channel {raw}")
            return client.post(ORDERS, order(external_id="race-1"), format="json").json()["number"]
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        numbers = set(pool.map(post, range(4)))
    assert len(numbers) == 1
    assert Case.objects.filter(external_id="race-1").count() == 1
