"""Issue 21 at phone size (390 px): apply online → the dispatcher takes it in → the citizen
tracks it by the QR link → the case closes → the citizen evaluates 不满意 → rework starts.
axe (serious/critical) on every public page on the way."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from .support import PHONE, assert_chinese, assert_labelled, axe_violations, login_as, screenshot

pytestmark = pytest.mark.browser

APPLICANT_PHONE = "13700001111"


def _sms(path) -> list[dict]:
    """The gateway's file, after a worker's turn at the party SMS outbox (receipts and links
    are queued there; ``followup.send_party_sms`` calls the same function)."""
    from followup.models import PartySms
    from followup.worksteps import deliver_party_sms

    for pk in PartySms.objects.filter(status=PartySms.Status.PENDING).values_list("pk", flat=True):
        deliver_party_sms(pk)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _public_checks(page, name: str) -> None:
    assert_chinese(page)
    assert_labelled(page)
    assert not axe_violations(page), (name, axe_violations(page))
    # Readable at 360-390 px: nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), name
    screenshot(page, f"citizen-{name}")


def test_apply_track_close_and_evaluate_dissatisfied_from_a_phone(
    new_page, live_server, settings, tmp_path
):
    from dispatch import services as ds
    from intake.models import Case, Channel, State
    from luodian_platform.models import Department, User
    from mediation import services as ms

    sms_file = tmp_path / "sms.jsonl"
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(sms_file)
    settings.PUBLIC_BASE_URL = live_server.url

    phone = new_page(viewport=PHONE)
    # 1. Apply online.
    phone.goto("/citizen/apply/")
    _public_checks(phone, "apply")
    phone.get_by_label("纠纷类别").select_option(label="劳动争议(欠薪)")
    phone.get_by_label("发生地乡镇(街道)").select_option(index=1)
    phone.get_by_label("涉及金额(元,没有可不填)").fill("8000")
    phone.get_by_label("事由(一句话)").fill("工资被拖欠两个月")
    phone.get_by_label("事实经过").fill("在县城工地务工两个月,老板一直未结工资。")
    phone.get_by_label("您的诉求").fill("结清工资8000元")
    phone.get_by_label("申请人姓名").fill("李小红")
    phone.get_by_label("申请人身份证号码").fill("522728198503151236")
    phone.get_by_label("申请人手机号码").fill(APPLICANT_PHONE)
    phone.get_by_label("对方姓名或单位名称").fill("张老板")
    with phone.expect_navigation():
        phone.get_by_role("button", name="获取短信验证码").click()
    expect(phone.locator("#code-sent")).to_contain_text("137****1111")
    code = re.search(r"验证码(\d{6})", _sms(sms_file)[-1]["text"]).group(1)
    phone.get_by_label("短信验证码").fill(code)
    # The second step offers photos and documents (no JavaScript needed).
    from tests import file_samples

    phone.get_by_label("照片和证据材料(选填)").set_input_files(
        [
            {"name": "工地照片.jpg", "mimeType": "image/jpeg", "buffer": file_samples.jpeg()},
            {"name": "考勤表.pdf", "mimeType": "application/pdf", "buffer": file_samples.pdf()},
        ]
    )
    _public_checks(phone, "apply-files")
    with phone.expect_navigation():
        phone.get_by_role("button", name="提交申请").click()
    number = phone.locator("#applied-number").inner_text().strip()
    expect(phone.locator("#applied-files")).to_contain_text("2 份")
    _public_checks(phone, "applied")
    case = Case.objects.get(number=number)
    assert case.channel == Channel.ONLINE and case.state == State.RECEIVED

    # 2. The dispatcher takes it in from the inbox (desktop).
    desk = new_page()
    login_as(desk, "dispatcher")
    desk.goto("/intake/inbox/")
    row = desk.locator("tr", has_text=number)
    with desk.expect_navigation():
        row.get_by_role("button", name="一键接单").click()
    case.refresh_from_db()
    assert case.state == State.REGISTERED
    # The applicant's files are on the case for staff.
    desk.goto(f"/cases/{case.pk}/")
    expect(desk.locator("#files")).to_contain_text("工地照片.jpg")
    expect(desk.locator("#files")).to_contain_text("申请人网上提交")

    # Scenery: the department handles it.
    users = {u.username: u for u in User.objects.all()}
    rsj = Department.objects.get(code="rsj")
    ds.case_dispatch(case_id=case.pk, department=rsj, actor=users["dispatcher"])
    ds.case_sign_for(case_id=case.pk, actor=users["officer"])

    # 3. The citizen tracks it by the QR code's link.
    phone.get_by_role("link", name="查询办理进度").click()
    phone.wait_for_url(re.compile(r"/citizen/lookup/\?case="))
    expect(phone.locator("#id_case")).to_have_value(number)
    _public_checks(phone, "lookup")
    phone.get_by_label("申请人手机号后四位").fill(APPLICANT_PHONE[-4:])
    with phone.expect_navigation():
        phone.get_by_role("button", name="查询", exact=True).click()
    expect(phone.locator("#progress-state")).to_contain_text("承办部门正在办理")
    expect(phone.locator("#progress-department")).to_contain_text(rsj.name)
    _public_checks(phone, "progress")
    assert "李小红" not in phone.content() and "张老板" not in phone.content()

    # 4. The case closes (scenery); the applicant gets the evaluation link by SMS.
    ms.case_reply(
        case_id=case.pk,
        actor=users["officer"],
        outcome="handled",
        text="已协调用人单位支付工资。",
        document="罗人社调字〔2026〕9号",
    )
    ds.case_approve(case_id=case.pk, actor=users["dispatcher"])
    message = _sms(sms_file)[-1]
    assert message["mobile"] == APPLICANT_PHONE
    link = re.search(r"https?://\S+/citizen/evaluate/\S+/", message["text"]).group(0)

    # 5. The citizen evaluates 不满意 → rework starts.
    phone.goto(link)
    _public_checks(phone, "evaluate")
    phone.get_by_label("不满意").check()
    phone.get_by_label("意见或建议(选填)").fill("只付了一半工资")
    with phone.expect_navigation():
        phone.get_by_role("button", name="提交评价").click()
    expect(phone.locator("#evaluated-rework")).to_be_visible()
    _public_checks(phone, "evaluated")
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.rework_count == 1

    # The same link again: refused, nothing changes.
    phone.goto(link)
    expect(phone.locator("#link-error")).to_contain_text("已评价")
