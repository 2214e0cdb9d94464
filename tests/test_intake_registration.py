"""The registration window: walk-ins with several parties, errors next to the fields,
duplicate suggestions, linking, risk suggestions, on-the-spot services, the receipt."""

from __future__ import annotations

import pytest
from django.urls import reverse

from intake.models import Case, RiskLevel, State
from luodian_platform.models import Category, Township

from .conftest import VALID_ID, VALID_ID_2, VALID_USCC

pytestmark = pytest.mark.django_db

REGISTER = "/intake/register/"
DUPLICATES = "/intake/register/duplicates/"


def reg_post(category="labour", parties=None, **over) -> dict:
    parties = parties or [
        {"role": "applicant", "name": "王小明", "id_number": VALID_ID, "phone": "13800138000"},
        {"role": "applicant", "name": "李小红", "phone": "13900139000"},
        {
            "role": "respondent",
            "kind": "org",
            "name": "罗甸县某建筑公司",
            "credit_code": VALID_USCC,
        },
    ]
    data = {
        "category": Category.objects.get(code=category).pk,
        "title": "拖欠工资纠纷",
        "facts": "申请人在工地务工三个月,工资未结清。",
        "township": Township.objects.get(code="longping").pk,
        "amount": "12000",
        "people_count": "1",
        "risk_level": "low",
        "mode": "register",
        "parties-TOTAL_FORMS": str(len(parties) + 1),  # plus one blank row, skipped
        "parties-INITIAL_FORMS": "0",
        "parties-MIN_NUM_FORMS": "0",
        "parties-MAX_NUM_FORMS": "1000",
    }
    for i, p in enumerate(parties):
        data.update({f"parties-{i}-{k}": v for k, v in {"kind": "person", **p}.items()})
    data[f"parties-{len(parties)}-role"] = "applicant"
    data[f"parties-{len(parties)}-kind"] = "person"
    data.update(over)
    return data


def test_clerk_registers_walk_in_with_several_parties_and_gets_receipt(client, clerk, settings):
    client.force_login(clerk)
    assert client.get(REGISTER).status_code == 200
    response = client.post(REGISTER, reg_post())
    case = Case.objects.get()
    assert response.status_code == 302 and response.url == f"/cases/{case.pk}/receipt/"
    assert case.state == State.REGISTERED and case.registered_by == clerk
    assert case.window == clerk.window
    assert sorted(case.parties.values_list("role", flat=True)) == [
        "applicant",
        "applicant",
        "respondent",
    ]
    assert case.people_count == 2  # two applicants counted even if the clerk typed 1
    receipt = client.get(response.url).content.decode()
    assert case.number in receipt and settings.HALL_PHONE in receipt
    assert "15日内" in receipt  # the labour category's typical time
    assert VALID_ID not in receipt and "138****8000" in receipt


def test_field_errors_are_in_chinese_next_to_the_field_and_input_is_kept(client, clerk):
    client.force_login(clerk)
    data = reg_post(title="我的标题保留", amount="")
    data["parties-0-id_number"] = "110105194912310021"  # bad checksum
    response = client.post(REGISTER, data)
    html = response.content.decode()
    assert response.status_code == 400
    assert Case.objects.count() == 0
    assert "身份证号码校验位不正确" in html
    assert 'id="id_parties-0-id_number_err"' in html
    assert "我的标题保留" in html and "110105194912310021" in html and "李小红" in html
    assert "「劳动争议(欠薪)」类案件必须填写:涉及金额" in html
    assert 'id="id_amount_err"' in html


def test_labour_case_needs_a_respondent(client, clerk):
    client.force_login(clerk)
    data = reg_post(parties=[{"role": "applicant", "name": "王小明", "phone": "13800138000"}])
    response = client.post(REGISTER, data)
    assert response.status_code == 400
    assert "被申请人(如用人单位)" in response.content.decode()
    assert Case.objects.count() == 0


def test_form_level_errors_also_keep_input(client, clerk):
    client.force_login(clerk)
    response = client.post(REGISTER, reg_post(amount="很多", people_count="0"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "王小明" in html and Case.objects.count() == 0


@pytest.mark.parametrize("who", ["dispatcher", "officer", "followup_officer", "outsider"])
def test_register_page_refuses_wrong_roles(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(REGISTER).status_code == 403
    assert client.post(REGISTER, {}).status_code == 403


def test_anonymous_is_sent_to_login(client, db):
    for url in (REGISTER, DUPLICATES, "/intake/inbox/"):
        response = client.post(url, {})
        assert response.status_code == 302 and "/login/" in response.url


def test_duplicates_found_by_id_number_masked(client, clerk, make_case):
    earlier = make_case()
    client.force_login(clerk)
    response = client.post(
        DUPLICATES, {"parties-0-role": "applicant", "parties-0-id_number": VALID_ID.lower()}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert earlier.number in html and "身份证号码相同" in html
    assert VALID_ID not in html and "13800138000" not in html
    assert "重复访" in html  # repeat-petition suggestion


def test_duplicates_found_by_phone_and_by_respondent(client, clerk, make_case):
    earlier = make_case()
    client.force_login(clerk)
    html = client.post(
        DUPLICATES, {"parties-0-role": "applicant", "parties-0-phone": "+86 138 0013 8000"}
    ).content.decode()
    assert earlier.number in html and "联系电话相同" in html
    html = client.post(
        DUPLICATES, {"parties-1-role": "respondent", "parties-1-name": "罗甸县某建筑公司"}
    ).content.decode()
    assert earlier.number in html and "被申请人相同" in html


def test_duplicates_outside_window_or_unrelated_are_not_suggested(
    client, clerk, make_case, settings
):
    earlier = make_case()
    client.force_login(clerk)
    html = client.post(
        DUPLICATES, {"parties-0-role": "applicant", "parties-0-id_number": VALID_ID_2}
    ).content.decode()
    assert earlier.number not in html and "未发现疑似重复案件" in html
    settings.DUPLICATE_WINDOW_DAYS = 0
    html = client.post(
        DUPLICATES, {"parties-0-role": "applicant", "parties-0-id_number": VALID_ID}
    ).content.decode()
    assert earlier.number not in html


def test_duplicate_registered_elsewhere_is_shown_without_link_or_title(
    client, clerk, dispatcher, make_case
):
    other = make_case(actor=dispatcher, title="别处登记的秘密标题")
    client.force_login(clerk)
    html = client.post(
        DUPLICATES, {"parties-0-role": "applicant", "parties-0-id_number": VALID_ID}
    ).content.decode()
    assert other.number in html
    assert "别处登记的秘密标题" not in html and f"/cases/{other.pk}/" not in html


@pytest.mark.parametrize("who", ["officer", "outsider"])
def test_duplicates_endpoint_refuses_wrong_roles(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.post(DUPLICATES, {}).status_code == 403


def test_duplicates_endpoint_is_post_only(client, clerk):
    client.force_login(clerk)
    assert client.get(DUPLICATES).status_code == 405


def test_new_registration_can_be_linked_to_earlier_case(client, clerk, dispatcher, make_case):
    earlier = make_case(actor=dispatcher)  # registered elsewhere, invisible to this clerk
    client.force_login(clerk)
    response = client.post(REGISTER, reg_post(mode="link", link_to=str(earlier.pk)))
    new = Case.objects.exclude(pk=earlier.pk).get()
    assert response.status_code == 302
    assert new.state == State.MERGED and new.merged_into == earlier
    assert list(new.events.values_list("transition", flat=True)) == ["register", "merge"]


def test_linking_to_an_unrelated_case_is_refused(client, clerk, make_case):
    unrelated = make_case(
        parties=[
            _p("applicant", "赵六", phone="13700137000"),
            _p("respondent", "另一家公司"),
        ]
    )
    client.force_login(clerk)
    response = client.post(REGISTER, reg_post(mode="link", link_to=str(unrelated.pk)))
    assert response.status_code == 400
    assert "只能关联到同一当事人或同一被申请人的在案案件" in response.content.decode()
    assert Case.objects.count() == 1


def _p(role, name, **kw):
    from intake.services import PartyInput

    return PartyInput(role=role, name=name, **kw)


def test_repeat_and_group_flags_are_suggested_and_raise_risk(client, clerk, dispatcher, make_case):
    make_case()
    client.force_login(clerk)
    client.post(REGISTER, reg_post())
    repeat = Case.objects.order_by("-id").first()
    assert repeat.is_repeat and repeat.risk_level == RiskLevel.MEDIUM
    assert repeat.events.get().payload["auto_flags"] == ["repeat"]

    parties = [
        {"role": "applicant", "name": f"工人{i}", "phone": f"1370013700{i}"} for i in range(5)
    ] + [{"role": "respondent", "kind": "org", "name": "另一建筑公司"}]
    client.post(REGISTER, reg_post(parties=parties))
    group = Case.objects.order_by("-id").first()
    assert group.is_group and group.risk_level == RiskLevel.HIGH
    client.force_login(dispatcher)
    assert group.number in client.get(reverse("dispatch:workbench")).content.decode()


def test_on_the_spot_consultation_is_registered_and_closed_in_one_step(client, clerk):
    client.force_login(clerk)
    data = reg_post(
        category="consultation",
        parties=[{"role": "applicant", "name": "王小明", "phone": "13800138000"}],
        mode="on_spot",
        answer="告知可向劳动仲裁委申请仲裁,并说明所需材料。",
        amount="",
    )
    response = client.post(REGISTER, data)
    case = Case.objects.get()
    assert response.status_code == 302
    assert case.state == State.CLOSED and case.closed_at and case.outcome == "handled"
    assert case.reply_text.startswith("告知可向劳动仲裁委")
    assert list(case.events.values_list("transition", flat=True)) == [
        "register",
        "handle_on_spot",
    ]
    receipt = client.get(response.url).content.decode()
    assert "告知可向劳动仲裁委" in receipt and "已当场答复" in receipt


def test_on_the_spot_needs_an_answer_and_a_consultation_category(client, clerk):
    client.force_login(clerk)
    response = client.post(REGISTER, reg_post(mode="on_spot", answer="已答复"))
    assert response.status_code == 400
    assert "只有法律咨询、心理疏导类可以当场办结" in response.content.decode()
    response = client.post(
        REGISTER,
        reg_post(
            category="counselling",
            parties=[{"role": "applicant", "name": "王小明"}],
            mode="on_spot",
            answer="",
        ),
    )
    assert response.status_code == 400 and "请记录答复或建议内容" in response.content.decode()
    assert Case.objects.count() == 0


def test_receipt_is_only_for_those_who_see_the_case(client, make_case, officer, clerk):
    case = make_case()
    client.force_login(officer)
    assert client.get(f"/cases/{case.pk}/receipt/").status_code == 404
    client.force_login(clerk)
    assert client.get(f"/cases/{case.pk}/receipt/").status_code == 200


def test_register_page_uses_external_js_only(client, clerk):
    client.force_login(clerk)
    html = client.get(REGISTER).content.decode()
    assert "js/intake-register.js" in html
    assert "<script>" not in html and "onclick" not in html
    assert 'id="party-template"' in html and "__prefix__" in html


def test_workbench_query_count_does_not_grow(
    client, clerk, make_case, django_assert_max_num_queries
):
    client.force_login(clerk)
    make_case()
    with django_assert_max_num_queries(12) as ctx:
        client.get("/intake/")
    first = len(ctx.captured_queries)
    for _ in range(5):
        make_case()
    with django_assert_max_num_queries(first):
        client.get("/intake/")
