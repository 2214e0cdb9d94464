"""Bodies no view should see (issue 23): not UTF-8, too large, too many fields — refused in
Chinese on pages and in the API's JSON shape, with nothing stored, whatever DEBUG says."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from intake.models import Case

from .test_intake_registration import REGISTER, reg_post

pytestmark = pytest.mark.django_db

CASES_API = "/api/cases/"


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def _gbk_form(**fields) -> bytes:
    data = reg_post(**fields)
    return urlencode(data, encoding="gbk").encode("ascii")


def test_a_gbk_form_is_refused_naming_the_field_and_nothing_is_stored(client, clerk, debug):
    client.force_login(clerk)
    before = Case.objects.count()
    response = client.post(
        REGISTER,
        _gbk_form(title="拖欠工资纠纷"),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "UTF-8" in text and "标题" in text  # the field by its Chinese name, not "title"
    assert Case.objects.count() == before


def test_the_same_form_in_utf8_is_accepted(client, clerk):
    client.force_login(clerk)
    before = Case.objects.count()
    response = client.post(
        REGISTER,
        urlencode(reg_post(), encoding="utf-8"),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 302
    assert Case.objects.count() == before + 1


def test_raw_bytes_in_a_multipart_form_are_refused(client, clerk):
    client.force_login(clerk)
    before = Case.objects.count()
    boundary = "XyZ"
    parts = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode() + v + b"\r\n"
        for k, v in [
            *((k, str(v).encode()) for k, v in reg_post().items() if k != "title"),
            ("title", "拖欠工资".encode("gbk")),
        ]
    )
    body = parts + f"--{boundary}--\r\n".encode()
    response = client.post(REGISTER, body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 400
    assert Case.objects.count() == before


def test_non_utf8_json_is_refused_in_the_api_shape(api, clerk, debug):
    response = api(clerk).post(
        CASES_API, '{"title": "拖欠工资纠纷"}'.encode("gbk"), content_type="application/json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "bad_encoding" and "UTF-8" in error["message"]


def test_broken_json_is_explained_in_chinese_without_parser_english(api, dispatcher):
    response = api(dispatcher).post(
        "/api/cases/1/dispatch/", '{"department": ', content_type="application/json"
    )
    assert response.status_code in (400, 404)
    if response.status_code == 400:
        message = response.json()["error"]["message"]
        assert "JSON" in message and "行" in message and "Expecting" not in message


@pytest.mark.parametrize("where", ["page", "api"])
def test_an_oversized_body_is_413_in_chinese(client, api, clerk, settings, debug, where):
    big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024)
    before = Case.objects.count()
    if where == "page":
        client.force_login(clerk)
        response = client.post(REGISTER, reg_post(facts=big))
        assert "提交的内容过大" in response.content.decode()
    else:
        response = api(clerk).post(CASES_API, {"facts": big}, format="json")
        assert response.json()["error"]["code"] == "payload_too_large"
    assert response.status_code == 413
    assert Case.objects.count() == before


@pytest.mark.parametrize("where", ["page", "api"])
def test_too_many_fields_is_400_in_chinese(client, api, clerk, settings, debug, where):
    data = reg_post()
    data.update({f"f{i}": "1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)})
    before = Case.objects.count()
    if where == "page":
        client.force_login(clerk)
        response = client.post(REGISTER, data)
        assert "提交的项目过多" in response.content.decode()
    else:
        response = api(clerk).post(CASES_API, data)
        assert response.json()["error"]["code"] == "too_many_fields"
    assert response.status_code == 400
    assert Case.objects.count() == before


def test_drf_field_messages_are_written_for_a_clerk():
    from rest_framework import serializers

    from luodian_platform.models import Department

    class Form(serializers.Serializer):
        department = serializers.SlugRelatedField(
            slug_field="code", queryset=Department.objects.all()
        )
        other = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
        amount = serializers.DecimalField(max_digits=14, decimal_places=2)
        kind = serializers.ChoiceField(choices=["a"])
        day = serializers.DateField()

    form = Form(
        data={
            "department": "nope",
            "other": 987654,
            "amount": "1" * 20,
            "kind": "z",
            "day": "05/03/2026",
        }
    )
    assert not form.is_valid()
    text = " ".join(str(e) for errors in form.errors.values() for e in errors)
    assert "属性" not in text and "对象不存在" not in text and "确认总共" not in text
    assert "请从列表中选择" in text and "总位数不能超过 14 位" in text and "2026-03-05" in text


def test_no_form_shows_djangos_dashes_or_a_browser_locale_date_box(client, supervisor):
    """Empty choices read "请选择"/"全部"/"全县"; dates are typed as yyyy-mm-dd, whatever the
    browser's locale (issue 23)."""
    from pathlib import Path

    from django.conf import settings

    client.force_login(supervisor)
    page = client.get("/followup/dashboard/").content.decode()
    assert "---------" not in page and "全县" in page and 'placeholder="yyyy-mm"' in page
    sources = [
        *Path(settings.BASE_DIR).glob("templates/**/*.html"),
        *Path(settings.BASE_DIR).glob("*/templates/**/*.html"),
        *Path(settings.BASE_DIR).glob("*/forms.py"),
        *Path(settings.BASE_DIR).glob("*/views.py"),
    ]
    native = [
        str(p)
        for p in sources
        if any(
            t in p.read_text(encoding="utf-8")
            for t in ('type="date"', 'type="datetime-local"', 'type="month"', '"type": "date')
        )
    ]
    assert native == []
