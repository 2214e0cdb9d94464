"""Issue 21: the citizen's side — progress lookup, QR on the receipt, online application,
evaluation by signed link. Anonymous clients throughout (citizens have no account)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from citizen import links
from citizen.models import LookupAttempt, PhoneCode
from dispatch.services import case_approve, case_dispatch, case_sign_for
from followup.evaluation import evaluate
from followup.models import CITIZEN_SEQ, Satisfaction, Visit
from followup.periods import Period
from intake.models import Case, CaseEvent, Channel, Outcome, State
from intake.selectors import inbox_list
from intake.services import case_take_in
from luodian_platform.workcal import local_date
from tests.conftest import VALID_ID, VALID_ID_2
from tests.file_samples import signed_scan
from tests.scenery import reply_with_records

pytestmark = pytest.mark.django_db

PHONE = "13800138000"  # make_case's applicant


@pytest.fixture
def sms(settings, tmp_path):
    path = tmp_path / "sms.jsonl"
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(path)

    def read() -> list[dict]:
        work_outbox()
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    return read


def work_outbox() -> list[int]:
    """What a worker does with the party SMS outbox (``followup.send_party_sms`` calls the
    same function): send every pending row once. Returns the ids sent."""
    from followup.models import PartySms
    from followup.worksteps import deliver_party_sms

    sent = []
    for pk in PartySms.objects.filter(status=PartySms.Status.PENDING).values_list("pk", flat=True):
        try:
            if deliver_party_sms(pk):
                sent.append(pk)
        except ConnectionError:  # the gateway is down: the row stays for the retry
            pass
    return sent


@pytest.fixture
def citizen():
    return Client(REMOTE_ADDR="203.0.113.7")


def _lookup(client, number, check):
    return client.post(reverse("citizen:lookup"), {"case": number, "check": check})


# --- progress lookup ------------------------------------------------------------------------


def test_lookup_shows_plain_progress_and_department_not_people(
    make_case, dispatcher, officer, rsj, citizen
):
    case = make_case()
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    case_sign_for(case_id=case.pk, actor=officer)
    response = _lookup(citizen, case.number, PHONE[-4:])
    assert response.status_code == 200
    page = response.content.decode()
    assert case.number in page
    assert "承办部门正在办理" in page
    assert rsj.name in page
    assert "办理期限" in page and "《劳动争议调解仲裁法》第十四条" in page
    # No personal data of anyone, no staff names, not even the title.
    for secret in (
        "王小明",
        "罗甸县某建筑公司",
        PHONE,
        VALID_ID,
        case.title,
        officer.display_name,
        dispatcher.display_name,
        officer.username,
    ):
        assert secret not in page, secret
    assert response["Cache-Control"].startswith("max-age=0")


def test_wrong_check_and_unknown_number_get_the_same_answer(make_case, citizen):
    case = make_case()
    wrong = _lookup(citizen, case.number, "0000")
    unknown = _lookup(citizen, "LD2026-999999", PHONE[-4:])
    assert wrong.status_code == unknown.status_code == 400

    def message(r):
        return re.search(r'id="lookup-error">([^<]*)<', r.content.decode()).group(1)

    assert (
        message(wrong)
        == message(unknown)
        == "未查询到匹配的案件。请核对案件编号和申请人手机号后四位。"
    )


def test_same_queries_whether_or_not_the_case_exists(make_case, django_assert_num_queries):
    from citizen.lookup import lookup

    case = make_case()
    with django_assert_num_queries(4) as real:
        assert lookup(number=case.number, check="0000", ip="198.51.100.1").outcome == "no_match"
    with django_assert_num_queries(4) as missing:
        assert lookup(number="LD2026-999998", check="0000", ip="198.51.100.1").outcome == "no_match"
    assert len(real.captured_queries) == len(missing.captured_queries)


def test_another_cases_number_with_my_check_is_no_match(make_case, citizen):
    mine = make_case()
    from intake.models import Party

    other = make_case()
    Party.objects.filter(case=other, role="applicant").update(phone=None)
    party = Party.objects.get(case=other, role="applicant")
    party.phone = "13912345678"
    party.save()
    assert _lookup(citizen, other.number, PHONE[-4:]).status_code == 400
    assert _lookup(citizen, mine.number, PHONE[-4:]).status_code == 200


def test_five_failures_lock_the_number_for_an_hour_even_with_the_right_check(
    make_case, citizen, settings
):
    case = make_case()
    for _i in range(settings.CITIZEN_LOOKUP_FAILURES):
        assert _lookup(citizen, case.number, "1111").status_code == 400
    locked = _lookup(Client(REMOTE_ADDR="198.51.100.9"), case.number, PHONE[-4:])
    assert locked.status_code == 429
    assert "已暂停查询1小时" in locked.content.decode()
    # A number that does not exist locks the same way (the lock reveals nothing).
    for _i in range(settings.CITIZEN_LOOKUP_FAILURES):
        _lookup(citizen, "LD2026-999997", "1111")
    assert _lookup(citizen, "LD2026-999997", "1111").status_code == 429
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=61), tick=False):
        assert _lookup(citizen, case.number, PHONE[-4:]).status_code == 200


def test_flood_of_lookups_from_one_address_is_throttled(make_case, citizen, settings):
    settings.CITIZEN_LOOKUPS_PER_IP = 3
    case = make_case()
    for n in range(3):
        _lookup(citizen, f"LD2026-{n:06d}", "1234")
    response = _lookup(citizen, case.number, PHONE[-4:])
    assert response.status_code == 429 and "查询过于频繁" in response.content.decode()
    # Another address is not affected.
    assert _lookup(Client(REMOTE_ADDR="198.51.100.2"), case.number, PHONE[-4:]).status_code == 200


def test_every_attempt_is_logged(make_case, citizen):
    case = make_case()
    _lookup(citizen, case.number, "1111")
    _lookup(citizen, case.number.lower(), PHONE[-4:])
    citizen.post(reverse("citizen:lookup"), {"case": case.number, "check": "12"})  # form error
    rows = list(LookupAttempt.objects.order_by("pk").values_list("case_number", "outcome", "ip"))
    assert rows == [
        (case.number, "no_match", "203.0.113.7"),
        (case.number, "found", "203.0.113.7"),
    ]


def test_lookup_form_prefilled_from_the_qr_link_and_bad_input_is_a_clear_400(citizen):
    page = citizen.get(reverse("citizen:lookup") + "?case=LD2026-000123").content.decode()
    assert 'value="LD2026-000123"' in page
    response = citizen.post(reverse("citizen:lookup"), {"case": "x" * 500, "check": "abcd"})
    assert response.status_code == 400 and "请输入4位数字" in response.content.decode()


def test_progress_lists_the_notice_with_its_routes(make_case, dispatcher, officer, rsj, citizen):
    from mediation.services import notice_record

    case = make_case()
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    case_sign_for(case_id=case.pk, actor=officer)
    notice = notice_record(case_id=case.pk, actor=officer, reason="双方分歧较大,调解不成")
    page = _lookup(citizen, case.number, PHONE[-4:]).content.decode()
    assert notice.number in page and "劳动人事争议仲裁" in page
    assert True  # the reason is not shown: it may name the other side


# --- QR on the receipt ------------------------------------------------------------------------


def test_receipt_carries_a_qr_code_of_the_lookup_link(make_case, clerk, settings):
    settings.PUBLIC_BASE_URL = "https://tiaojie.example.cn"
    case = make_case()
    client = Client()
    client.force_login(clerk)
    page = client.get(reverse("intake:receipt", args=[case.pk])).content.decode()
    url = f"https://tiaojie.example.cn/citizen/lookup/?case={case.number}"
    assert url in page
    qr = re.search(r'<div class="flex-shrink-0" id="receipt-qr">(<svg.*?</svg>)', page, re.S)
    assert qr and 'role="img"' in qr.group(1) and "<title>" in qr.group(1)
    # The code is the segno encoding of exactly that link.
    import segno

    assert segno.make(url, error="m").matrix
    assert Client().get(url.replace("https://tiaojie.example.cn", "")).status_code == 200


# --- online application ---------------------------------------------------------------------


def _form(**over) -> dict:
    data = {
        "form_token": "a" * 32,
        "category": "",
        "township": "",
        "title": "工资被拖欠",
        "place": "",
        "amount": "8000",
        "facts": "在县城工地务工两个月,老板一直未结工资。",
        "claims": "结清工资8000元",
        "applicant_name": "李小红",
        "applicant_id_number": VALID_ID_2,
        "applicant_phone": "13700001111",
        "applicant_address": "罗甸县龙坪镇",
        "respondent_kind": "person",
        "respondent_name": "张老板",
        "respondent_id": "",
        "respondent_phone": "",
        "respondent_address": "",
        "code": "",
    }
    data.update(over)
    return data


@pytest.fixture
def form_data(demo_county):
    from luodian_platform.models import Category, Township

    def make(**over):
        base = _form(
            category=str(Category.objects.get(code="labour").pk),
            township=str(Township.objects.get(code="longping").pk),
        )
        base.update(over)
        return base

    return make


def _code(sms_rows) -> str:
    return re.search(r"验证码(\d{6})", sms_rows[-1]["text"]).group(1)


def test_apply_online_lands_in_the_inbox_with_the_number_and_lookup_link(
    form_data, citizen, sms, dispatcher, django_capture_on_commit_callbacks
):
    page = citizen.get(reverse("citizen:apply")).content.decode()
    token = re.search(r'name="form_token" value="([0-9a-f]+)"', page).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        sent = citizen.post(
            reverse("citizen:apply"), form_data(form_token=token, action="send_code")
        )
    assert sent.status_code == 200 and "137****1111" in sent.content.decode()
    assert sms()[-1]["mobile"] == "13700001111"
    with django_capture_on_commit_callbacks(execute=True):
        done = citizen.post(
            reverse("citizen:apply"),
            form_data(form_token=token, code=_code(sms()), action="submit"),
        )
    assert done.status_code == 302
    case = Case.objects.get(channel=Channel.ONLINE)
    assert case.state == State.RECEIVED and case.external_id == token
    assert case in inbox_list(user=dispatcher)
    assert case.parties.get(role="applicant").phone == "13700001111"
    final = citizen.get(done["Location"]).content.decode()
    assert case.number in final and f"/citizen/lookup/?case={case.number}" in final
    assert "<svg" in final
    receipt_sms = sms()[-1]
    assert receipt_sms["mobile"] == "13700001111" and case.number in receipt_sms["text"]
    assert f"/citizen/lookup/?case={case.number}" in receipt_sms["text"]
    # The dispatcher takes it in like any channel order.
    assert case_take_in(case_id=case.pk, actor=dispatcher).state == State.REGISTERED


def test_double_submit_creates_one_application(
    form_data, citizen, sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        citizen.post(reverse("citizen:apply"), form_data(action="send_code"))
    body = form_data(code=_code(sms()), action="submit")
    first = citizen.post(reverse("citizen:apply"), body)
    second = citizen.post(reverse("citizen:apply"), body)
    assert first.status_code == second.status_code == 302
    assert Case.objects.filter(channel=Channel.ONLINE).count() == 1
    assert (
        first["Location"].split("/")[-2] != ""
        and "LD" in citizen.get(second["Location"]).content.decode()
    )


def test_a_used_code_does_not_serve_a_second_application(
    form_data, citizen, sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        citizen.post(reverse("citizen:apply"), form_data(action="send_code"))
    code = _code(sms())
    assert citizen.post(reverse("citizen:apply"), form_data(code=code)).status_code == 302
    again = citizen.post(reverse("citizen:apply"), form_data(form_token="b" * 32, code=code))
    assert again.status_code == 400 and "验证码不正确或已失效" in again.content.decode()
    assert Case.objects.filter(channel=Channel.ONLINE).count() == 1


def test_wrong_codes_burn_the_code_and_an_expired_code_is_refused(
    form_data, citizen, sms, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        citizen.post(reverse("citizen:apply"), form_data(action="send_code"))
    code = _code(sms())
    wrong = "000000" if code != "000000" else "111111"
    for _i in range(settings.CITIZEN_CODE_MAX_TRIES):
        assert citizen.post(reverse("citizen:apply"), form_data(code=wrong)).status_code == 400
    assert citizen.post(reverse("citizen:apply"), form_data(code=code)).status_code == 400
    PhoneCode.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        citizen.post(reverse("citizen:apply"), form_data(action="send_code"))
    code = _code(sms())
    later = timezone.now() + dt.timedelta(minutes=settings.CITIZEN_CODE_MINUTES + 1)
    with time_machine.travel(later, tick=False):
        assert citizen.post(reverse("citizen:apply"), form_data(code=code)).status_code == 400
    assert not Case.objects.filter(channel=Channel.ONLINE).exists()


def test_codes_are_throttled_per_phone_and_per_address(
    form_data, citizen, sms, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            citizen.post(reverse("citizen:apply"), form_data(action="send_code")).status_code == 200
        )
        again = citizen.post(reverse("citizen:apply"), form_data(action="send_code"))
    assert again.status_code == 429 and len(sms()) == 1
    settings.CITIZEN_CODES_PER_IP_HOUR = 2
    with django_capture_on_commit_callbacks(execute=True):
        citizen.post(
            reverse("citizen:apply"), form_data(action="send_code", applicant_phone="13700002222")
        )
        third = citizen.post(
            reverse("citizen:apply"), form_data(action="send_code", applicant_phone="13700003333")
        )
    assert third.status_code == 429 and len(sms()) == 2


def test_window_validation_applies_and_no_sms_is_spent_on_a_bad_form(form_data, citizen, sms):
    response = citizen.post(
        reverse("citizen:apply"),
        form_data(action="send_code", applicant_id_number="110105194912310021"),
    )
    assert response.status_code == 400
    assert "校验" in response.content.decode() or "身份证" in response.content.decode()
    assert sms() == []
    bad = citizen.post(reverse("citizen:apply"), form_data(form_token="../x", code="123456"))
    assert bad.status_code == 400 and "表单已失效" in bad.content.decode()
    missing = citizen.post(reverse("citizen:apply"), {"action": "submit"})
    assert missing.status_code == 400


# --- evaluation -----------------------------------------------------------------------------


def _close(case, dispatcher, officer, rsj, outcome=Outcome.HANDLED):
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    case_sign_for(case_id=case.pk, actor=officer)
    reply_with_records(case.pk, officer, outcome)
    return case_approve(case_id=case.pk, actor=dispatcher)


@pytest.fixture
def closed(make_case, dispatcher, officer, rsj, sms, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = _close(make_case(), dispatcher, officer, rsj)
    link = re.search(r"https?://\S+/citizen/evaluate/\S+/", sms()[-1]["text"]).group(0)
    return case, link.split("127.0.0.1:8000", 1)[-1]


def test_closing_sends_the_applicant_a_signed_evaluation_link(closed, sms):
    case, path = closed
    message = sms()[-1]
    assert message["mobile"] == PHONE and case.number in message["text"]
    assert message["key"] == f"party-sms-citizen-evaluate-{case.pk}-0"
    page = Client().get(path)
    assert page.status_code == 200 and "满意" in page.content.decode()


def test_dissatisfied_evaluation_starts_rework_like_a_visit(closed):
    case, path = closed
    response = Client().post(path, {"satisfaction": "dissatisfied", "comments": "工资只付了一半"})
    assert response.status_code == 200 and "重新办理" in response.content.decode()
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.rework_count == 1
    visit = Visit.objects.get(case=case, seq=CITIZEN_SEQ)
    assert visit.source == Visit.Source.CITIZEN and visit.led_to_rework
    assert visit.status == Visit.Status.DONE and visit.satisfaction == Satisfaction.DISSATISFIED
    event = CaseEvent.objects.filter(case=case, transition="reopen").get()
    assert event.actor is None and event.payload["on_behalf"] == "citizen"
    assert "工资只付了一半" in event.note


def test_reused_link_and_double_tap_record_one_evaluation(closed):
    case, path = closed
    assert Client().post(path, {"satisfaction": "satisfied"}).status_code == 200
    again = Client().post(path, {"satisfaction": "dissatisfied"})
    assert again.status_code == 409 and "已评价" in again.content.decode()
    assert Visit.objects.filter(case=case, seq=CITIZEN_SEQ).count() == 1
    assert Case.objects.get(pk=case.pk).state == State.CLOSED


def test_expired_and_altered_links_are_refused(closed):
    case, path = closed
    later = timezone.now() + dt.timedelta(days=31)
    with time_machine.travel(later, tick=False):
        expired = Client().post(path, {"satisfaction": "dissatisfied"})
    assert expired.status_code == 410 and "已过期" in expired.content.decode()
    token = path.rstrip("/").rsplit("/", 1)[-1]
    forged = Client().get(reverse("citizen:evaluate", args=[token[:-2] + "xx"]))
    assert forged.status_code == 404
    # A token of another purpose is worthless here.
    other = links.make_token("applied", c=case.pk, r=0, p=1)
    assert Client().get(reverse("citizen:evaluate", args=[other])).status_code == 404
    assert not Visit.objects.filter(case=case, seq=CITIZEN_SEQ).exists()


def test_a_link_of_an_earlier_round_cannot_reopen_again(closed, followup_officer):
    from followup.services import case_reopen

    case, path = closed
    case_reopen(case_id=case.pk, actor=followup_officer, reason="回访不满意")
    response = Client().post(path, {"satisfaction": "dissatisfied"})
    assert response.status_code == 409 and "已失效" in response.content.decode()
    assert Case.objects.get(pk=case.pk).rework_count == 1


def test_bad_input_on_the_evaluation_form_is_a_clear_400(closed):
    _case, path = closed
    assert Client().post(path, {"satisfaction": "great"}).status_code == 400
    assert Client().post(path, {"satisfaction": "basic", "comments": "x" * 501}).status_code == 400


def test_citizen_evaluation_counts_as_a_platform_visit(closed, rsj):
    _case, path = closed
    Client().post(path, {"satisfaction": "basic"})
    today = local_date(timezone.now())
    result = evaluate(period=Period(today, today, "today"), use_rollup=False, townships=False)
    row = next(r for r in result.departments if r.key == rsj.pk)
    assert row.visits_rated == 1 and row.visits_positive == 1
    assert "当事人" in result.method["tables"]["department"][2]["formula"]


def test_no_sms_when_the_applicant_has_no_phone(
    make_case, dispatcher, officer, rsj, sms, django_capture_on_commit_callbacks
):
    from intake.models import Party

    case = make_case("petition")
    Party.objects.filter(case=case).update(phone=None)
    with django_capture_on_commit_callbacks(execute=True):
        _close(case, dispatcher, officer, rsj)
    assert sms() == []


# --- every public page: anonymous allowed, no staff data -----------------------------------


def test_public_pages_open_anonymously_and_show_no_staff_data(accepted, officer, clerk, dispatcher):
    from mediation.services import notice_record
    from tests.access_matrix import MATRIX

    case = accepted
    notice = notice_record(case_id=case.pk, actor=officer, reason="调解不成")
    tokens = {
        "citizen:applied": links.make_token("applied", n=case.number),
        "citizen:evaluate": links.make_token("evaluate", c=case.pk, r=0, p=0),
        "citizen:confirm_notice": links.make_token("notice", n=notice.pk, p=0),
        "citizen:confirm_term": links.make_token("term", t=0, p=0),
    }
    names = [n for n in MATRIX if n.startswith("citizen:")]
    assert sorted(names) == sorted(["citizen:lookup", "citizen:apply", *tokens])
    expected = {"citizen:evaluate": 409, "citizen:confirm_term": 404}  # open case; no term
    for name in names:
        kwargs = {"token": tokens[name]} if name in tokens else None
        response = Client().get(reverse(name, kwargs=kwargs))
        assert response.status_code == expected.get(name, 200), name
        page = response.content.decode()
        for staff in (
            clerk.display_name,
            dispatcher.display_name,
            officer.display_name,
            "退出",
            "/admin/",
        ):
            assert staff not in page, (name, staff)
        for secret in ("王小明", PHONE, case.title, "罗甸县某建筑公司"):
            assert secret not in page, (name, secret)


# --- confirmations --------------------------------------------------------------------------


def _links_in(rows, kind) -> list[str]:
    out = []
    for row in rows:
        m = re.search(rf"https?://[^/\s]+(/citizen/confirm/{kind}/\S+/)", row["text"])
        if m:
            out.append(m.group(1))
    return out


@pytest.fixture
def accepted(make_case, dispatcher, officer, rsj):
    case = make_case()
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    return case_sign_for(case_id=case.pk, actor=officer)


def test_notice_sends_each_party_a_receipt_link_and_the_party_confirms_once(
    accepted, officer, sms, django_capture_on_commit_callbacks
):
    from citizen.models import Confirmation
    from intake.models import Party
    from mediation.services import notice_record

    respondent = Party.objects.get(case=accepted, role="respondent")
    respondent.phone = "13600006666"
    respondent.save()
    with django_capture_on_commit_callbacks(execute=True):
        notice = notice_record(case_id=accepted.pk, actor=officer, reason="调解不成")
    paths = _links_in(sms(), "notice")
    assert [r["mobile"] for r in sms()] == [PHONE, "13600006666"] and len(paths) == 2
    page = Client().get(paths[0])
    assert page.status_code == 200 and notice.number in page.content.decode()
    assert "劳动人事争议仲裁" in page.content.decode()
    assert Client().post(paths[0]).status_code == 200
    reused = Client().post(paths[0])
    assert reused.status_code == 409
    confirmation = Confirmation.objects.get()
    assert confirmation.kind == "notice_received" and confirmation.party.role == "applicant"
    assert CaseEvent.objects.filter(case=accepted, transition="citizen_confirmation").count() == 1
    later = timezone.now() + dt.timedelta(days=31)
    with time_machine.travel(later, tick=False):
        assert Client().post(paths[1]).status_code == 410
    # Replying again (sent back, then replied) does not text the parties twice.
    assert len(sms()) == 2


def test_due_terms_ask_the_applicant_whether_they_were_performed(
    accepted, officer, sms, django_capture_on_commit_callbacks, client
):
    from citizen.messages import send_term_confirmations
    from citizen.models import Confirmation
    from mediation import services
    from mediation.models import Mediator

    wei = Mediator.objects.get(name="韦国强", kind="committee")
    services.mediator_assign(case_id=accepted.pk, mediator_id=wei.pk, actor=officer)
    from luodian_platform.models import Department

    agreement = services.agreement_record(
        actor=officer,
        case_id=accepted.pk,
        committee=Department.objects.get(code="tj-labour"),
        mediator_id=wei.pk,
        facts="拖欠工资三个月。",
        issues="工资数额。",
        liabilities="被申请人承担支付责任。",
        parties=[
            services.AgreementPartyInput(party_id=p.pk, sign_method="signature")
            for p in accepted.parties.all()
        ],
        terms=[
            services.AgreementTermInput(
                content="被申请人支付工资12000元",
                performance_method="银行转账",
                due_at=timezone.now() + dt.timedelta(days=3),
            )
        ],
        mediator_signed=True,
        committee_sealed=True,
        scans=[signed_scan()],
    )
    assert agreement.effective_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        assert send_term_confirmations() == 0  # not due yet
    later = timezone.now() + dt.timedelta(days=4)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_term_confirmations(now=later) == 1
        assert send_term_confirmations(now=later) == 0  # twice: sent once
    (path,) = _links_in(sms(), "term")
    assert sms()[-1]["mobile"] == PHONE
    page = Client().get(path)
    assert page.status_code == 200 and "12000" in page.content.decode()
    assert Client().post(path, {"performed": "maybe"}).status_code == 400
    done = Client().post(path, {"performed": "no", "comment": "只付了一半"})
    assert done.status_code == 200
    assert Client().post(path, {"performed": "yes"}).status_code == 409
    c = Confirmation.objects.get()
    assert c.performed is False and c.comment == "只付了一半"
    # The department sees it on the case page.
    client.force_login(officer)
    detail = client.get(reverse("intake:case_detail", args=[accepted.pk])).content.decode()
    assert "协议条款履行情况" in detail and "只付了一半" in detail


def test_logs_kept_only_for_throttling_are_pruned(make_case, citizen):
    from citizen.messages import prune_logs

    _lookup(citizen, make_case().number, "1111")
    assert prune_logs()["lookups"] == 0
    assert prune_logs(now=timezone.now() + dt.timedelta(days=181))["lookups"] == 1


def test_with_an_agreement_the_form_asks_about_performance_and_not_performed_reworks(
    make_case, dispatcher, officer, rsj, sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = _close(make_case(), dispatcher, officer, rsj, outcome=Outcome.AGREEMENT)
    path = re.search(r"https?://[^/\s]+(/citizen/evaluate/\S+/)", sms()[-1]["text"]).group(1)
    assert "调解协议约定的事项是否已经履行" in Client().get(path).content.decode()
    response = Client().post(path, {"satisfaction": "basic", "agreement_performed": "no"})
    assert response.status_code == 200
    visit = Visit.objects.get(case=case, seq=CITIZEN_SEQ)
    assert visit.agreement_performed is False and visit.led_to_rework
    assert Case.objects.get(pk=case.pk).state == State.DISPATCHED


# --- the optional check: an SMS code --------------------------------------------------------


def _sms_lookup(client, number, action, code=""):
    return client.post(
        reverse("citizen:lookup"), {"action": action, "sms-case": number, "sms-code": code}
    )


def test_lookup_by_sms_code_once_and_the_same_answer_for_an_unknown_number(
    make_case, citizen, sms, django_capture_on_commit_callbacks
):
    case = make_case()
    with django_capture_on_commit_callbacks(execute=True):
        sent = _sms_lookup(citizen, case.number, "send_code")
        unknown = _sms_lookup(Client(REMOTE_ADDR="198.51.100.3"), "LD2026-999996", "send_code")
    assert sent.status_code == unknown.status_code == 200
    assert "如案件编号正确,验证码已发送" in unknown.content.decode()
    assert [r["mobile"] for r in sms()] == [PHONE]  # nothing sent for the unknown number
    code = re.search(r"验证码(\d{6})", sms()[-1]["text"]).group(1)
    found = _sms_lookup(citizen, case.number.lower(), "code", code)
    assert found.status_code == 200 and "办理进度" in found.content.decode()
    again = _sms_lookup(citizen, case.number, "code", code)  # used once
    assert again.status_code == 400 and "未查询到匹配的案件" in again.content.decode()
    assert _sms_lookup(citizen, "LD2026-999996", "code", "123456").status_code == 400


def test_sms_lookup_codes_are_throttled_and_wrong_codes_count_towards_the_lock(
    make_case, citizen, sms, settings, django_capture_on_commit_callbacks
):
    case = make_case()
    with django_capture_on_commit_callbacks(execute=True):
        assert _sms_lookup(citizen, case.number, "send_code").status_code == 200
        assert _sms_lookup(citizen, case.number, "send_code").status_code == 429
    code = re.search(r"验证码(\d{6})", sms()[-1]["text"]).group(1)
    wrong = "000000" if code != "000000" else "111111"
    for _i in range(settings.CITIZEN_LOOKUP_FAILURES):
        assert _sms_lookup(citizen, case.number, "code", wrong).status_code == 400
    assert _sms_lookup(citizen, case.number, "code", code).status_code == 429
    assert _sms_lookup(citizen, case.number, "code", "").status_code == 400


# --- delivery: the party outbox for receipts and links, codes at once -----------------------


@pytest.fixture
def gateway(sms, settings):
    """The real file gateway behind a switch: ``gateway.down()`` / ``gateway.up()``."""
    settings.SMS_BACKEND = "tests.background_sink.FlakyFileSink"
    marker = type("Gateway", (), {})()
    flag = settings.SMS_FILE_PATH + ".down"
    marker.down = lambda: open(flag, "w").close()
    marker.up = lambda: os.path.exists(flag) and os.remove(flag)
    return marker


def test_a_gateway_failure_is_retried_and_the_link_is_sent_once(
    make_case, dispatcher, officer, rsj, sms, gateway, django_capture_on_commit_callbacks
):
    from followup import tasks as followup_tasks
    from followup.models import PartySms
    from followup.worksteps import deliver_party_sms, party_sms_due

    gateway.down()
    with django_capture_on_commit_callbacks(execute=True):
        case = _close(make_case(), dispatcher, officer, rsj)
    row = PartySms.objects.get(case=case)
    assert row.kind == "citizen_evaluate" and row.status == PartySms.Status.PENDING
    # The row keeps no link (a credential; the outbox is audited and in the admin).
    assert "{link}" in row.text and "/citizen/" not in row.text
    assert row.link == {"purpose": "evaluate", "data": {"c": case.pk, "r": 0, "p": row.party_id}}
    with pytest.raises(ConnectionError):
        deliver_party_sms(row.pk)  # the worker's try; Celery retries it with backoff
    row.refresh_from_db()
    assert row.status == PartySms.Status.PENDING and row.attempts == 1
    assert "unavailable" in row.last_error
    # The hook again (a repeated close in another process): no second row.
    from citizen.messages import on_case_closed

    with django_capture_on_commit_callbacks(execute=True):
        on_case_closed(case, None)
    assert PartySms.objects.filter(case=case).count() == 1
    # The beat sweep hands it over again once the lease is over; the gateway is back.
    gateway.up()
    later = timezone.now() + dt.timedelta(seconds=settings_lease() + 1)
    assert row.pk in party_sms_due(later)
    assert followup_tasks.send_party_sms.run(row.pk) is True
    assert deliver_party_sms(row.pk) is False  # a duplicate hand-off sends nothing
    sent = sms()
    assert len(sent) == 1 and sent[0]["mobile"] == PHONE
    path = re.search(r"https?://[^/\s]+(/citizen/evaluate/\S+/)", sent[0]["text"]).group(1)
    assert Client().get(path).status_code == 200  # signed when sent, and valid
    row.refresh_from_db()
    assert row.status == PartySms.Status.SENT and row.attempts == 2


def settings_lease() -> int:
    from django.conf import settings

    return settings.REMINDER_CLAIM_LEASE_SECONDS


def test_a_gateway_down_for_good_marks_the_sms_failed_after_the_attempts(
    make_case, dispatcher, officer, rsj, gateway, settings, django_capture_on_commit_callbacks
):
    from followup.models import PartySms
    from followup.worksteps import deliver_party_sms, party_sms_due

    settings.REMINDER_MAX_ATTEMPTS = 3
    gateway.down()
    with django_capture_on_commit_callbacks(execute=True):
        case = _close(make_case(), dispatcher, officer, rsj)
    row = PartySms.objects.get(case=case)
    for _try in range(3):
        with pytest.raises(ConnectionError):
            deliver_party_sms(row.pk)
    row.refresh_from_db()
    assert row.status == PartySms.Status.FAILED and row.attempts == 3
    assert row.pk not in party_sms_due(timezone.now() + dt.timedelta(days=1))


def test_the_application_receipt_goes_through_the_outbox(
    form_data, citizen, sms, gateway, django_capture_on_commit_callbacks
):
    from followup.models import PartySms

    with django_capture_on_commit_callbacks(execute=True):
        citizen.post(reverse("citizen:apply"), form_data(action="send_code"))
    code = _code(sms())
    gateway.down()
    with django_capture_on_commit_callbacks(execute=True):
        done = citizen.post(reverse("citizen:apply"), form_data(code=code, action="submit"))
    assert done.status_code == 302  # a gateway failure never refuses the application
    case = Case.objects.get(channel=Channel.ONLINE)
    row = PartySms.objects.get(case=case)
    assert row.kind == "citizen_applied" and row.key == f"citizen-applied-{case.pk}"
    assert f"/citizen/lookup/?case={case.number}" in row.text  # not a credential
    assert len(sms()) == 1  # only the code so far: the receipt waits for the gateway
    gateway.up()
    receipt = sms()[-1]
    assert (
        receipt["key"] == f"party-sms-citizen-applied-{case.pk}" and case.number in receipt["text"]
    )


def test_codes_are_sent_at_once_never_queued_and_a_failure_is_said_on_the_page(
    form_data, make_case, citizen, sms, gateway, django_capture_on_commit_callbacks
):
    from followup.models import PartySms

    gateway.down()
    failed = citizen.post(reverse("citizen:apply"), form_data(action="send_code"))
    assert failed.status_code == 503
    assert "验证码短信发送失败" in failed.content.decode()
    case = make_case()
    lookup = _sms_lookup(citizen, case.number, "send_code")
    assert lookup.status_code == 503 and "验证码短信发送失败" in lookup.content.decode()
    # Forgotten codes: the next tap is not throttled by them; nothing waits in an outbox.
    assert not PhoneCode.objects.exists() and not PartySms.objects.exists()
    gateway.up()
    sent = citizen.post(reverse("citizen:apply"), form_data(action="send_code"))
    assert sent.status_code == 200 and len(sms()) == 1
    code = _code(sms())
    # The code is in no table: only its keyed hash.
    row = PhoneCode.objects.get()
    assert code not in (row.code_hash, row.phone_bidx) and not PartySms.objects.exists()


def test_no_outbox_row_or_audit_entry_holds_a_signed_link(
    closed, sms, django_capture_on_commit_callbacks
):
    from audit.models import AuditEntry
    from followup.models import PartySms

    _case, path = closed
    token = path.rstrip("/").rsplit("/", 1)[-1]
    rows = list(PartySms.objects.values_list("text", "link"))
    assert rows and all(token not in json.dumps(r, ensure_ascii=False) for r in rows)
    entries = AuditEntry.objects.filter(table_name="followup_partysms")
    assert entries.exists()  # the outbox is audited: what it holds is readable there
    assert all(
        token not in json.dumps([e.before, e.after], ensure_ascii=False, default=str)
        for e in entries
    )
