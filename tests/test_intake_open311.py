"""Issue 20: the Open311 GeoReport v2 face, driven by a third-party Open311 client from PyPI
(``georeport``) against the live server, plus the standard's shapes, errors and privacy.

``georeport`` reads (services, service definition, requests) in JSON and XML; it has no
call to file a request, so the POST is a plain form-encoded ``requests.post`` written from
the standard (the other Open311 client on PyPI, ``open311`` 1.1, is Python 2 only and does
not import on Python 3)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests
from django.test import Client
from georeport import GeoReport

from dispatch.services import case_approve, case_dispatch, case_sign_for
from intake.channel import channel_token_issue
from intake.models import Case, ChannelOrder, Outcome
from intake.services import case_take_in
from mediation.services import case_reply

from .conftest import VALID_ID

PERSONAL = ("王小明", "13800138000", VALID_ID, "某建筑公司", "龙坪镇幸福路8号")


def _form(api_key: str, **over) -> dict:
    form = {
        "api_key": api_key,
        "service_code": "labour",
        "description": "工地拖欠工资\n在某工地务工三个月,工资12000元未结清。",
        "address_string": "龙坪镇幸福路8号",
        "first_name": "小明",
        "last_name": "王",
        "phone": "13800138000",
        "attribute[respondent]": "某建筑公司",
        "attribute[amount]": "12000",
        "attribute[township]": "longping",
        "attribute[external_id]": "app-0001",
    }
    form.update(over)
    return form


@pytest.fixture
def app_key(admin_user):
    _token, raw = channel_token_issue(channel="pingan_app", name="平安贵州APP", actor=admin_user)
    return raw


def _close(case, dispatcher, officer, rsj):
    case_take_in(case_id=case.pk, actor=dispatcher)
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    case_sign_for(case_id=case.pk, actor=officer)
    case_reply(
        case_id=case.pk,
        actor=officer,
        outcome=Outcome.HANDLED,
        text="已为王小明协调某建筑公司结清工资",
        document="答复意见书 2026-01",
    )
    return case_approve(case_id=case.pk, actor=dispatcher)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_third_party_client_lists_files_reads_and_sees_it_closed(
    live_server, app_key, dispatcher, officer, rsj, fmt
):
    root = f"{live_server.url}/open311/v2"
    client = GeoReport(root, output_format=fmt)
    services = client.get_service_list()
    codes = {s["service_code"] for s in services}
    assert "labour" in codes
    labour = next(s for s in services if s["service_code"] == "labour")
    assert labour["type"] == "realtime" and str(labour["metadata"]).lower() == "true"
    definition = client.get_service_definition("labour")
    attributes = definition["attributes"]
    if fmt == "xml":
        attributes = attributes["attribute"]
    by_code = {a["code"]: a for a in attributes}
    assert {"external_id", "township", "respondent", "amount"} <= set(by_code)
    assert str(by_code["respondent"]["required"]).lower() == "true"  # labour requires it
    # File (form-encoded POST, api_key = a channel token), as the standard shows.
    filed = requests.post(f"{root}/requests.{fmt}", data=_form(app_key), timeout=10)
    assert filed.status_code == 201, filed.text
    if fmt == "json":
        request_id = filed.json()[0]["service_request_id"]
    else:
        request_id = ET.fromstring(filed.content).find("request/service_request_id").text
    case = Case.objects.get(number=request_id)
    assert case.channel == "pingan_app" and case.state == "received"
    assert ChannelOrder.objects.get(case=case).source == "open311"
    # Read it back, alone and in the list.
    read = client.get_service_request(request_id)
    assert read["service_request_id"] == request_id and read["status"] == "open"
    assert read["service_code"] == "labour" and read["requested_datetime"]
    listed = client.get_service_requests(status="open")
    if fmt == "xml" and isinstance(listed, dict):
        listed = [listed]
    assert request_id in {r["service_request_id"] for r in listed}
    # The county handles it; the client sees it closed, with the department and outcome.
    _close(case, dispatcher, officer, rsj)
    closed = client.get_service_request(request_id)
    assert closed["status"] == "closed"
    assert closed["agency_responsible"] == rsj.name
    assert closed["status_notes"] == "已办结:已办理答复"
    assert closed["updated_datetime"] and closed["expected_datetime"]
    # Public reads show no personal data.
    for url in (f"{root}/requests/{request_id}.{fmt}", f"{root}/requests.{fmt}"):
        body = requests.get(url, timeout=10).text
        for value in PERSONAL:
            assert value not in body


@pytest.mark.django_db(transaction=True)
def test_discovery_points_at_the_v2_endpoint(live_server):
    for fmt in ("json", "xml"):
        r = requests.get(f"{live_server.url}/open311/discovery.{fmt}", timeout=10)
        assert r.status_code == 200
    data = requests.get(f"{live_server.url}/open311/discovery.json", timeout=10).json()
    (endpoint,) = data["endpoints"]
    assert endpoint["url"] == f"{live_server.url}/open311/v2"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    xml = ET.fromstring(
        requests.get(f"{live_server.url}/open311/discovery.xml", timeout=10).content
    )
    assert xml.tag == "discovery"
    assert [f.text for f in xml.findall("endpoints/endpoint/formats/format")] == [
        "text/xml",
        "application/json",
    ]


# --- shapes, idempotency, flags and errors (Django's test client) -------------------------

pytestmark_db = pytest.mark.django_db
V2 = "/open311/v2"


@pytestmark_db
def test_the_same_request_twice_is_one_case(app_key):
    c = Client()
    first = c.post(f"{V2}/requests.json", _form(app_key))
    again = c.post(f"{V2}/requests.json", _form(app_key))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()[0]["service_request_id"] == again.json()[0]["service_request_id"]
    assert Case.objects.filter(channel="pingan_app").count() == 1
    # Without an id of its own, an identical retry is still one case.
    form = _form(app_key, **{"attribute[external_id]": ""})
    one = c.post(f"{V2}/requests.json", form).json()[0]["service_request_id"]
    two = c.post(f"{V2}/requests.json", form).json()[0]["service_request_id"]
    assert one == two


@pytestmark_db
def test_a_matter_already_in_court_gets_the_guidance_as_service_notice(app_key):
    r = Client().post(
        f"{V2}/requests.json",
        _form(app_key, description="工资纠纷\n已向法院起诉,法院已立案。"),
    )
    (row,) = r.json()
    assert "诉讼" in row["service_notice"]
    assert ChannelOrder.objects.get().other_proceeding == "litigation"


@pytestmark_db
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_bad_api_key_answers_403_in_the_error_format(fmt):
    r = Client().post(f"{V2}/requests.{fmt}", _form("not-a-token"))
    assert r.status_code == 403
    if fmt == "json":
        (error,) = r.json()
        assert error["code"] == 403 and error["description"]
    else:
        root = ET.fromstring(r.content)
        assert root.tag == "errors" and root.find("error/code").text == "403"
        assert r.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')


@pytestmark_db
@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"description": ""}, "description"),
        ({"service_code": "nope"}, "service_code"),
        ({"address_string": ""}, "location"),
        ({"first_name": "", "last_name": ""}, "first_name"),
        ({"phone": "12"}, "phone"),
        ({"attribute[respondent]": ""}, "被申请人"),  # labour requires a respondent
        ({"attribute[amount]": "lots"}, "attribute[amount]"),
        ({"attribute[township]": "atlantis"}, "attribute[township]"),
        ({"description": "x" * 20000}, "description"),
    ],
)
def test_bad_input_answers_400_naming_the_field(app_key, over, field):
    r = Client().post(f"{V2}/requests.json", _form(app_key, **over))
    assert r.status_code == 400, r.content
    assert any(field in e["description"] for e in r.json()), r.json()
    assert not Case.objects.exists()


@pytestmark_db
def test_read_errors(app_key):
    c = Client()
    missing = c.get(f"{V2}/requests/LD2026-999999.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404
    assert c.get(f"{V2}/services/nope.xml").status_code == 404
    assert c.get(f"{V2}/services.html").status_code == 404
    for params in (
        {"status": "pending"},
        {"start_date": "yesterday"},
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
        {"start_date": "9999-12-31T00:00:00Z"},
        {"end_date": "0001-01-02T00:00:00Z"},
    ):
        r = c.get(f"{V2}/requests.json", params)
        assert r.status_code == 400 and r.json()[0]["code"] == 400


@pytestmark_db
def test_only_requests_filed_through_open311_are_public(app_key, admin_user):
    from rest_framework.test import APIClient

    _t, raw = channel_token_issue(channel="hotline_12345", name="12345", actor=admin_user)
    hotline = APIClient()
    hotline.credentials(HTTP_AUTHORIZATION=f"Channel {raw}")
    from .test_intake_channel_status import order

    number = hotline.post("/api/channel/orders/", order(), format="json").json()["number"]
    c = Client()
    assert c.get(f"{V2}/requests/{number}.json").status_code == 404
    filed = c.post(f"{V2}/requests.json", _form(app_key)).json()[0]["service_request_id"]
    listed = {r["service_request_id"] for r in c.get(f"{V2}/requests.json").json()}
    assert listed == {filed}


@pytestmark_db
def test_request_list_query_count_does_not_grow(app_key, django_assert_max_num_queries):
    c = Client()
    for i in range(6):
        c.post(f"{V2}/requests.json", _form(app_key, **{"attribute[external_id]": f"q-{i}"}))
    with django_assert_max_num_queries(3):
        rows = c.get(f"{V2}/requests.json").json()
    assert len(rows) == 6


@pytestmark_db
def test_xml_request_has_the_standards_elements(app_key):
    c = Client()
    number = c.post(f"{V2}/requests.json", _form(app_key)).json()[0]["service_request_id"]
    root = ET.fromstring(c.get(f"{V2}/requests/{number}.xml").content)
    assert root.tag == "service_requests"
    request = root.find("request")
    for tag in (
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "lat",
        "long",
        "media_url",
    ):
        assert request.find(tag) is not None, tag
    assert request.find("address").text == "龙坪镇"  # the township only, never the street
    definition = ET.fromstring(c.get(f"{V2}/services/labour.xml").content)
    assert definition.tag == "service_definition"
    township = next(
        a for a in definition.findall("attributes/attribute") if a.find("code").text == "township"
    )
    assert township.find("datatype").text == "singlevaluelist"
    assert township.find("values/value/key") is not None
    assert township.find("values/value/name") is not None


@pytestmark_db
def test_a_revoked_key_cannot_file(admin_user):
    from intake.channel import channel_token_revoke

    token, raw = channel_token_issue(channel="pingan_app", name="app", actor=admin_user)
    channel_token_revoke(token_id=token.pk, actor=admin_user)
    assert Client().post(f"{V2}/requests.json", _form(raw)).status_code == 403
