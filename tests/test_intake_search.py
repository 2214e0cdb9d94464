"""Search that finds people (issue 18): ``/cases/?q=``, the API's ``q`` and the admin's box
find a case by its number, a party's name, ID number or phone, and words of the title, facts
and claims; only among the cases the user may see."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from intake.models import Case, Party
from intake.search import bigrams, phone_variants
from intake.services import PartyInput
from luodian_platform.models import Category

from .conftest import VALID_ID, VALID_ID_2, requires_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture
def target(make_case):
    return make_case(
        title="承包地边界纠纷",
        facts="两户因承包地边界发生争执,涉及朱砂沟一带的界桩。",
        request="请求重新确认界址并赔偿青苗损失",
        parties=[
            PartyInput(
                role=Party.PartyRole.APPLICANT,
                name="岑福贵",
                id_number=VALID_ID_2,
                phone="0854-7612345",
            ),
            PartyInput(role=Party.PartyRole.RESPONDENT, name="韦德明"),
        ],
    )


@pytest.fixture
def other(make_case):
    # The conftest default: 王小明, VALID_ID, 13800138000, respondent 罗甸县某建筑公司.
    return make_case()


def numbers(client, q: str) -> set[str]:
    response = client.get("/api/cases/", {"q": q})
    assert response.status_code == 200, response.content
    return {c["number"] for c in response.json()["results"]}


@pytest.mark.parametrize(
    "q",
    [
        "岑福贵",  # applicant's full name
        "韦德明",  # respondent's name
        VALID_ID_2,  # ID number, through the blind index
        VALID_ID_2.lower(),
        "0854-7612345",  # phone as stored
        "08547612345",  # the same landline typed without the hyphen
        "朱砂",  # a word of the facts
        "边界纠纷",  # a word of the title
        "青苗损失",  # a word of the claims
        "承包地 界桩",  # two words, both must appear
    ],
)
def test_dispatcher_finds_case_by_each_key(api, dispatcher, target, other, q):
    assert numbers(api(dispatcher), q) == {target.number}


def test_search_by_case_number_any_case(api, dispatcher, target, other):
    assert numbers(api(dispatcher), target.number.lower()) == {target.number}


def test_mobile_phone_with_country_code_and_spaces(api, dispatcher, target, other):
    assert numbers(api(dispatcher), "+86 138 0013 8000") == {other.number}
    assert numbers(api(dispatcher), "13800138000") == {other.number}


def test_id_number_of_the_other_case(api, dispatcher, target, other):
    assert numbers(api(dispatcher), VALID_ID) == {other.number}


def test_part_of_a_name_finds_nothing(api, dispatcher, target, other):
    # Names match whole (docstring of intake.search: no copy of names outside the party row).
    assert numbers(api(dispatcher), "福贵") == set()


def test_no_match_and_words_in_the_wrong_order(api, dispatcher, target, other):
    client = api(dispatcher)
    assert numbers(client, "砂朱") == set()
    assert numbers(client, "承包地 不存在的词") == set()
    # Both pieces of 砂沟 are in the text, but 朱砂界 is not a word of it.
    assert numbers(client, "朱砂界") == set()


def test_officer_of_another_department_never_finds_the_case(
    api, dispatcher, officer, officer2, rsj, target
):
    from dispatch.services import case_dispatch

    case_dispatch(case_id=target.pk, department=rsj, actor=dispatcher)
    assert numbers(api(officer), "岑福贵") == {target.number}
    for q in ("岑福贵", VALID_ID_2, "0854-7612345", "朱砂", target.number):
        body = api(officer2).get("/api/cases/", {"q": q}).json()
        # Nothing returned and nothing counted: no trace of the case.
        assert body["results"] == [] and "count" not in body
        assert target.number not in json.dumps(body, ensure_ascii=False)


def test_clerk_finds_only_own_registrations(api, clerk, dispatcher, make_case, target):
    from luodian_platform.models import User

    other_clerk = User.objects.create_user("clerk-b", password="x-Clerk-b-2026")
    other_clerk.groups.add(*clerk.groups.all())
    assert numbers(api(clerk), "岑福贵") == {target.number}
    assert numbers(api(other_clerk), "岑福贵") == set()


def test_anonymous_cannot_search(api, target):
    assert api(None).get("/api/cases/", {"q": "岑福贵"}).status_code in (401, 403)


@pytest.mark.parametrize("q", ["%", "_", "'", "\\", "朱" * 101, " ", "a\x00b", "x" * 100])
def test_odd_input_is_not_an_error(api, dispatcher, target, q):
    assert api(dispatcher).get("/api/cases/", {"q": q}).status_code in (200, 400)


def test_too_long_query_is_a_chinese_400(api, dispatcher):
    response = api(dispatcher).get("/api/cases/", {"q": "朱" * 101})
    assert response.status_code == 400


def test_list_page_search_and_query_count(client, dispatcher, target, other):
    client.force_login(dispatcher)
    client.get("/cases/")  # warm per-user caches
    with CaptureQueriesContext(connection) as plain:
        client.get("/cases/")
    with CaptureQueriesContext(connection) as searched:
        response = client.get("/cases/", {"q": "岑福贵"})
    assert response.status_code == 200
    html = response.content.decode()
    assert target.number in html and other.number not in html
    assert len(searched.captured_queries) == len(plain.captured_queries)


def test_admin_search_uses_the_same_search(client, admin_user, target, other):
    client.force_login(admin_user)
    response = client.get("/admin/intake/case/", {"q": VALID_ID_2})
    assert response.status_code == 200
    html = response.content.decode()
    assert target.number in html and other.number not in html
    response = client.get("/admin/intake/case/", {"q": "青苗"})
    assert target.number in response.content.decode()


def test_bigrams_and_phone_variants():
    assert bigrams("朱砂") == ["朱砂"]
    assert bigrams("朱砂矿") == ["朱砂", "砂矿"]
    assert bigrams("A") == []
    assert set(phone_variants("08547612345")) >= {"08547612345", "0854-7612345"}
    assert phone_variants("0854-7612345") == ["0854-7612345", "08547612345"]
    assert phone_variants("岑福贵") == []


@requires_postgres
def test_rare_word_search_uses_the_bigram_index(api, dispatcher, clerk):
    """A rare word with no match must not walk every case (issue 22: a backward scan)."""
    labour = Category.objects.get(code="labour")
    start = timezone.now() - dt.timedelta(days=400)
    words = ["拖欠工资", "土地承包", "邻里噪音", "婚姻家庭", "交通事故", "物业费用"]
    Case.objects.bulk_create(
        [
            Case(
                number=f"PLAN{i:07d}",
                title=f"{words[i % len(words)]}纠纷{i}",
                facts=f"申请人反映{words[(i * 7) % len(words)]}问题,请求依法处理。编号{i}。",
                request="请求依法处理",
                category=labour,
                registered_by=clerk,
                created_at=start + dt.timedelta(minutes=i),
            )
            for i in range(4000)
        ],
        batch_size=1000,
    )
    with connection.cursor() as cur:
        cur.execute("ANALYZE intake_case")
    client = api(dispatcher)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get("/api/cases/", {"q": "朱砂"}).json()
    assert body["results"] == []
    sql = [q["sql"] for q in ctx.captured_queries if "case_search_bigrams" in q["sql"]]
    assert len(sql) == 1
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (FORMAT JSON) " + sql[0])
        plan = json.dumps(cur.fetchone()[0])
    assert "case_search_bigrams_idx" in plan, plan
    # And a common word still answers from the same query shape.
    assert len(client.get("/api/cases/", {"q": "拖欠工资"}).json()["results"]) > 0


@pytest.mark.parametrize("q", ["a\x00b", "%00", "\ufffd", "朱" * 300])
def test_page_and_admin_take_odd_queries_without_error(client, dispatcher, admin_user, q):
    client.force_login(dispatcher)
    assert client.get("/cases/", {"q": q}).status_code in (200, 400)
    assert client.get("/dispatch/", {"q": q}).status_code in (200, 400)
    client.force_login(admin_user)
    assert client.get("/admin/intake/case/", {"q": q}).status_code in (200, 400)
