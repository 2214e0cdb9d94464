"""The six journeys of issue 10, each one test, through the UI only.

What a journey starts from (a case in some state) is made with the services: it is the
scenery, not what the journey tests. Every step the journey is about is clicked and typed
in Chromium. Steps of features that have not landed yet are marked ``WAITING`` with the
issue they wait for; see docs/browser-tests.md.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import time

import pytest
from playwright.sync_api import expect

from luodian_platform.workcal import local_date

from .support import login_as, record_timing, screenshot, url_exists

pytestmark = pytest.mark.browser

# Every action's round trip (click → next page shown) is timed and written to
# test-output/journey-timings.txt. Nothing is asserted on it: the speed goals are checked
# in `make bench` on a quiet machine, not in a browser test sharing two cores with a suite.

VALID_ID = "11010519491231002X"
VALID_USCC = "91350100M000100Y43"


# --- scenery (services) ------------------------------------------------------------------


def _users():
    from luodian_platform.models import User

    return {u.username: u for u in User.objects.all()}


def _register(title="拖欠工资纠纷", **overrides):
    from intake.services import case_register
    from tests.conftest import make_case_input

    return case_register(data=make_case_input(title=title, **overrides), actor=_users()["clerk"])


def _to_state(case, state: str):
    """Walk a case forward with the services, from wherever it is, up to ``state``."""
    from dispatch import services as ds
    from luodian_platform.models import Department
    from mediation import services as ms

    u = _users()
    rsj = Department.objects.get(code="rsj")
    steps = {
        "registered": lambda: ds.case_dispatch(
            case_id=case.pk, department=rsj, actor=u["dispatcher"]
        ),
        "dispatched": lambda: ds.case_sign_for(case_id=case.pk, actor=u["officer"]),
        "accepted": lambda: ms.case_reply(
            case_id=case.pk,
            actor=u["officer"],
            # Issue 16: "agreement" needs an agreement in force; a plain reply here.
            outcome="handled",
            text="已答复当事人:用人单位同意一次性支付拖欠工资。",
            document="罗人社调字〔2026〕8号",
        ),
        "replied": lambda: _approve(case.pk, u["dispatcher"]),
    }
    for _ in range(len(steps)):
        case.refresh_from_db()
        if case.state == state:
            break
        steps[case.state]()
    case.refresh_from_db()
    assert case.state == state, case.state
    return case


def _approve(pk, actor):
    from intake.actions import ACTIONS

    ACTIONS["approve"].perform(case_id=pk, actor=actor, data={}, expected_version=None)


# --- UI helpers --------------------------------------------------------------------------


def _timed_click(page, locator) -> float:
    start = time.monotonic()
    with page.expect_navigation():
        locator.click()
    took = time.monotonic() - start
    record_timing(page.url, took)
    return took


def _keyboard_submit(page, button) -> float:
    """Submit with the keyboard: focus the button and press Enter."""
    start = time.monotonic()
    with page.expect_navigation():
        button.press("Enter")
    took = time.monotonic() - start
    record_timing(page.url, took)
    return took


def open_case(page, pk: int) -> None:
    response = page.goto(f"/cases/{pk}/")
    assert response.status == 200, response.status


def act(page, label: str, fields: dict[str, str] | None = None) -> None:
    """On the case page: click the action's button, fill its form (by field label), submit
    it with the keyboard, and see the confirmation."""
    _timed_click(page, page.get_by_role("link", name=label, exact=True).first)
    for field_label, value in (fields or {}).items():
        control = page.get_by_label(field_label, exact=False).first
        tag = control.evaluate("el => el.tagName")
        if tag == "SELECT":
            control.select_option(label=value)
        else:
            control.fill(value)
    _keyboard_submit(page, page.get_by_role("button", name=f"确认{label}"))
    expect(page.get_by_role("alert").filter(has_text=label)).to_be_visible()


def state_badge(page):
    return page.locator("h1 + p .badge").first


# --- 1. the window clerk -----------------------------------------------------------------


def test_journey_1_clerk_registers_walk_in_and_prints_receipt(page):
    if not url_exists("intake:register"):
        pytest.skip("WAITING: the registration page (issue 4)")
    page.add_init_script("window.print = () => { window.__printed = (window.__printed || 0) + 1 }")
    login_as(page, "clerk")
    expect(page.get_by_role("heading", level=1)).to_contain_text("登记窗口")
    _timed_click(page, page.get_by_role("link", name="新登记"))

    # Two parties: the worker and the employer (an organisation).
    page.locator("#id_parties-0-name").fill("王小明")
    page.locator("#id_parties-0-id_number").fill(VALID_ID)
    page.locator("#id_parties-0-phone").fill("13800138000")
    page.locator("#id_parties-1-kind").select_option("org")
    page.locator("#id_parties-1-name").fill("罗甸县某建筑公司")
    page.locator("#id_parties-1-credit_code").fill(VALID_USCC)

    page.get_by_label("纠纷类别").select_option(label="劳动争议(欠薪)")
    page.get_by_label("标题").fill("工地拖欠三个月工资")
    page.get_by_label("事实与诉求").fill("申请人在龙坪镇某工地务工三个月,工资12000元未结清。")
    page.get_by_label("乡镇街道").select_option(label="龙坪镇")
    page.get_by_label("涉及金额").fill("12000")
    screenshot(page, "journey1-register-filled")
    _keyboard_submit(page, page.get_by_role("button", name="登记并打印回执"))

    # The receipt: one number, both parties, the next steps; printing it.
    expect(page.get_by_role("heading", level=1)).to_contain_text("受理回执")
    number = page.locator("#case-number").inner_text().strip()
    assert re.fullmatch(r"LD\d{4}-\d{6}", number), number
    expect(page.locator("main")).to_contain_text("王小明")
    expect(page.locator("main")).to_contain_text("罗甸县某建筑公司")
    page.get_by_role("button", name="打印回执").press("Enter")
    assert page.evaluate("window.__printed") == 1
    page.emulate_media(media="print")
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.get_by_role("button", name="打印回执")).to_be_hidden()
    screenshot(page, "journey1-receipt-print")
    page.emulate_media(media="screen")

    # The case page agrees with the receipt.
    _timed_click(page, page.get_by_role("link", name="查看案件"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    expect(state_badge(page)).to_have_text("已登记")


# --- 2. the dispatcher -------------------------------------------------------------------


def _channel_token() -> str:
    """The administrator issues the 12345 hotline a channel token (scenery)."""
    from intake.channel import channel_token_issue

    _token, raw = channel_token_issue(
        channel="hotline_12345", name="12345 热线(测试)", actor=_users()["admin"]
    )
    return raw


def _dispatch_by_suggestion(page, department: str) -> None:
    """On the case page: the routing panel suggests ``department``; accept it."""
    routing = page.locator("#panel-routing")
    if not routing.count():
        pytest.skip(
            "WAITING: the routing suggestion panel on the case page (issue 5; the case page "
            "view does not render registered panels yet)"
        )
    expect(routing).to_contain_text("建议牵头部门")
    expect(routing).to_contain_text(department)
    _keyboard_submit(page, routing.get_by_role("button", name="按建议派单"))
    expect(state_badge(page)).to_have_text("已派单")
    expect(page.locator("main")).to_contain_text(department)


def test_journey_2_dispatcher_routes_walk_in_and_takes_in_12345_order(page):
    case = _register("工地拖欠三个月工资")
    # A 12345 order arrives through the channel API (another system, not a page).
    response = page.request.post(
        "/api/channel/orders/",
        headers={"Authorization": f"Channel {_channel_token()}"},
        data={
            "external_id": "12345-20260401-0001",
            "category": "labour",
            "title": "12345转:农民工讨薪",
            "facts": "来电人反映在边阳镇某工地务工工资未结清。",
            "township": "bianyang",
            "amount": "8000",
            "parties": [
                {"role": "applicant", "name": "李大山", "phone": "13900139000"},
                {
                    "role": "respondent",
                    "kind": "org",
                    "name": "边阳镇某劳务公司",
                    "credit_code": VALID_USCC,
                },
            ],
        },
    )
    assert response.status in (200, 201), response.text()

    login_as(page, "dispatcher")
    expect(page.get_by_role("heading", level=1)).to_contain_text("研判调度")
    expect(page.get_by_role("link", name=case.number).first).to_be_visible()

    # The order is taken in with one click from the channel inbox.
    _timed_click(page, page.get_by_role("navigation").get_by_role("link", name="渠道收件箱"))
    row = page.get_by_role("row").filter(has_text="12345-20260401-0001")
    expect(row).to_be_visible()
    _timed_click(page, row.get_by_role("button", name="一键接单"))
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="12345-20260401-0001")).to_have_count(0)

    # Both wait for routing; each is dispatched on the suggestion (人社局).
    page.goto("/dispatch/")
    order_row = page.get_by_role("row").filter(has_text="农民工讨薪")
    expect(order_row).to_contain_text("已登记")
    _timed_click(page, page.get_by_role("link", name=case.number).first)
    _dispatch_by_suggestion(page, "县人社局")
    page.goto("/dispatch/")
    _timed_click(page, page.get_by_role("row").filter(has_text="农民工讨薪").get_by_role("link"))
    _dispatch_by_suggestion(page, "县人社局")


# --- 3. the department officer -----------------------------------------------------------


def _mediate_with_expert_and_sign_agreement(page, case) -> None:
    """From the case page: assign an expert from the pool, book a session in a room,
    record it, and make a signed, sealed agreement."""
    panel = page.locator("section").filter(has=page.get_by_role("heading", name="调解"))
    _timed_click(page, panel.get_by_role("link", name="组织调解").first)
    expert = page.locator("#mediator option").filter(has_text="调解专家").first
    expert_name = expert.inner_text().split("·")[0].strip()
    page.locator("#mediator").select_option(value=expert.get_attribute("value"))
    page.get_by_label("主持").check()
    _keyboard_submit(page, page.get_by_role("button", name="指派"))
    expect(page.locator("main")).to_contain_text(expert_name)

    _timed_click(page, page.get_by_role("link", name="预约调解"))
    # Held yesterday morning and entered now (within the week's grace); yesterday may be a
    # rest day, so the confirmation is ticked (an ordinary working-day session needs none).
    held = (local_date() - dt.timedelta(days=1)).isoformat()
    page.get_by_label("开始时间").fill(f"{held}T09:30")
    page.get_by_label("结束时间").fill(f"{held}T11:00")
    page.get_by_label("确认在休息日或7:00–21:00以外调解").check()
    page.get_by_label("调解室").select_option(index=1)
    page.get_by_label(expert_name).check()
    _keyboard_submit(page, page.get_by_role("button", name="预约"))
    session_row = page.get_by_role("row").filter(has_text=expert_name).first
    expect(session_row).to_be_visible()

    _timed_click(page, session_row.get_by_role("link", name="笔录"))
    page.get_by_label("王小明").check()
    page.get_by_label("调解结果").select_option(label="达成协议")
    page.get_by_label("调解笔录").fill("双方到场。经调解,用人单位同意于本月底前支付工资12000元。")
    _keyboard_submit(page, page.get_by_role("button", name="保存"))

    page.goto(f"/mediation/cases/{case.pk}/")
    _timed_click(page, page.get_by_role("link", name="制作调解协议书"))
    for select in page.locator("select[id^=sign]").all():
        select.select_option(label="签名")
    page.get_by_label("争议事项").fill("拖欠工资数额及支付期限。")
    page.get_by_label("各方当事人的责任").fill("用人单位未按时足额支付劳动报酬。")
    page.get_by_label("协议内容").first.fill("被申请人支付申请人工资12000元")
    page.get_by_label("履行方式").first.fill("银行转账")
    page.get_by_label("履行期限").first.fill((local_date() + dt.timedelta(days=30)).isoformat())
    page.get_by_label("调解员已签名").check()
    page.get_by_label("调委会已盖章").check()
    # Signed on paper: the signed scan goes with it, in the same step (issue 19).
    from tests import file_samples

    page.locator("#scan").set_input_files(
        files=[
            {
                "name": "协议书签字扫描件.pdf",
                "mimeType": "application/pdf",
                "buffer": file_samples.pdf("签字页"),
            }
        ]
    )
    screenshot(page, "journey3-agreement-form")
    _keyboard_submit(page, page.get_by_role("button", name="保存协议书"))
    expect(page.locator("main")).to_contain_text("人民调解协议书")


def _log_progress(page, kind: str, text: str, file: tuple[str, str, bytes]) -> None:
    """On the case page: open 记录办理进展, pick the kind, write the text, attach the file,
    save (issue 18)."""
    page.locator("#note-add summary").click()
    page.get_by_label("进展类型").select_option(label=kind)
    page.get_by_label("进展情况").fill(text)
    name, mime, data = file
    page.get_by_label("附件", exact=True).set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}]
    )
    _keyboard_submit(page, page.get_by_role("button", name="保存进展"))
    expect(page.get_by_role("alert").filter(has_text="已记录办理进展")).to_be_visible()


NOTES = (
    ("电话", "电话联系用人单位负责人,约定周五到调解室面谈。", "劳动合同.pdf"),
    ("走访", "走访工地,核实申请人考勤记录和工资表。", "工地照片.png"),
)


def _note_file(name: str) -> tuple[str, str, bytes]:
    from tests import file_samples

    if name.endswith(".png"):
        return name, "image/png", file_samples.png()
    return name, "application/pdf", file_samples.pdf(name)


def test_journey_3_officer_mediates_replies_and_dispatcher_approves(page):
    case = _to_state(_register("工地拖欠三个月工资"), "dispatched")
    login_as(page, "officer")
    expect(page.get_by_role("heading", level=1)).to_contain_text("部门承办")
    _timed_click(page, page.get_by_role("link", name=case.number).first)
    act(page, "签收")
    expect(state_badge(page)).to_have_text("办理中")
    # Issue 18: the officer logs two progress notes, one with a contract, one with a photo.
    for kind, text, file_name in NOTES:
        _log_progress(page, kind, text, _note_file(file_name))
    expect(page.locator("li.timeline-note")).to_have_count(2)
    if url_exists("mediation:case", case.pk):
        _mediate_with_expert_and_sign_agreement(page, case)
        open_case(page, case.pk)
    else:  # WAITING: mediation sessions and agreements (issue 6)
        act(page, "组织调解", {"备注": "约双方当事人到劳动争议调解室调解。"})
    screenshot(page, "journey3-mediated")
    if page.get_by_role("link", name="办结答复", exact=True).count():
        act(
            page,
            "办结答复",
            {
                "办理结果": "调解成功(协议书)",
                "答复意见": "双方达成调解协议,用人单位于本月底前一次性支付工资12000元。",
                "答复文书编号或名称": "罗人社调字〔2026〕8号",
            },
        )
    expect(state_badge(page)).to_have_text("待审核")

    login_as(page, "dispatcher")
    page.goto("/dispatch/")
    _timed_click(page, page.get_by_role("link", name=case.number).first)
    # The centre sees the officer's progress notes on the timeline.
    notes = page.locator("li.timeline-note")
    expect(notes).to_have_count(2)
    for kind, text, file_name in NOTES:
        note = notes.filter(has_text=f"办理进展·{kind}")
        expect(note).to_contain_text(text)
        expect(note.get_by_role("link", name=file_name)).to_be_visible()
    act(page, "审核通过")
    expect(state_badge(page)).to_have_text("已办结")


# --- 4. the follow-up officer ------------------------------------------------------------


def _visits_due_today(case) -> None:
    """Scenery: the visits scheduled when the case closed fall due today (they are planned
    some working days after closing)."""
    from django.utils import timezone

    from followup.models import Visit

    Visit.objects.filter(case=case, status=Visit.Status.SCHEDULED).update(
        due_date=timezone.localdate()
    )


def _record_visit(page, case, *, satisfaction: str, comments: str) -> None:
    page.goto("/followup/")
    row = page.get_by_role("row").filter(has_text=case.number).first
    expect(row).to_be_visible()
    _timed_click(page, row.get_by_role("link", name="记录回访"))
    page.get_by_label("已接通").check()
    page.get_by_label("满意度").select_option(label=satisfaction)
    page.get_by_label("回访意见").fill(comments)
    _keyboard_submit(page, page.get_by_role("button", name="保存"))
    expect(page.get_by_role("alert").first).to_contain_text("已记录回访")


def test_journey_4_followup_dissatisfied_reopens_then_satisfied_archives(page):
    if not url_exists("followup:visit", 1):
        pytest.skip("WAITING: visits (issue 7)")
    case = _to_state(_register("工地拖欠三个月工资"), "closed")
    _visits_due_today(case)
    login_as(page, "followup")
    expect(page.get_by_role("heading", level=1)).to_contain_text("回访")
    _record_visit(page, case, satisfaction="不满意", comments="工资仅支付一半。")
    expect(page.get_by_role("alert").first).to_contain_text("重办")

    # The case is back with the department, to be signed for again.
    login_as(page, "officer")
    expect(page.get_by_role("link", name=case.number).first).to_be_visible()
    _timed_click(page, page.get_by_role("link", name=case.number).first)
    expect(state_badge(page)).to_have_text("已派单")

    case = _to_state(case, "closed")  # the department pays the rest; approved again
    _visits_due_today(case)
    login_as(page, "followup")
    _record_visit(page, case, satisfaction="满意", comments="工资已全部支付。")
    open_case(page, case.pk)
    act(page, "归档", {"备注": "二次回访满意,归档。"})
    expect(state_badge(page)).to_have_text("已归档")


# --- 5. the supervisor -------------------------------------------------------------------


def _click_first_bar(page, chart_id: str) -> None:
    """A real mouse click on the first bar of an ECharts bar chart (canvas)."""
    chart = page.locator(f"#{chart_id}")
    chart.scroll_into_view_if_needed()
    page.wait_for_function(
        "id => window.echarts && echarts.getInstanceByDom(document.getElementById(id))",
        arg=chart_id,
    )
    x, y = page.evaluate(
        """id => {
            const c = echarts.getInstanceByDom(document.getElementById(id));
            const v = c.getOption().series[0].data[0].value;
            return c.convertToPixel({seriesIndex: 0}, [v / 2, 0]);
        }""",
        chart_id,
    )
    box = chart.bounding_box()
    with page.expect_navigation():
        page.mouse.click(box["x"] + x, box["y"] + y)


def test_journey_5_supervisor_dashboard_click_through_and_excel(page):
    case = _to_state(_register("工地拖欠三个月工资"), "closed")
    login_as(page, "supervisor")
    expect(page.get_by_role("heading", level=1)).to_contain_text("督查看板")

    # Issue 18: the supervisor finds the case by the applicant's phone, typed with spaces.
    page.goto("/cases/")
    page.get_by_label("编号、姓名、证件号、电话或关键词").fill("138 0013 8000")
    _keyboard_submit(page, page.get_by_role("button", name="查询"))
    expect(page.get_by_role("link", name=case.number)).to_be_visible()
    screenshot(page, "journey5-search-by-phone")
    page.goto("/followup/dashboard/")
    if not page.locator("#chart-category").count():
        pytest.skip("WAITING: dashboard charts (issue 8)")
    new_card = page.locator(".card").filter(has_text="本期新增")
    expect(new_card).to_contain_text("1")
    screenshot(page, "journey5-dashboard")

    _click_first_bar(page, "chart-category")
    assert "category=labour" in page.url, page.url
    expect(page.get_by_label("类别")).to_have_value("labour")
    expect(page.get_by_role("link", name=case.number)).to_be_visible()

    page.goto("/followup/dashboard/")
    _timed_click(page, page.get_by_role("link", name="考评排名"))
    with page.expect_download() as info:
        page.get_by_role("link", name="导出Excel").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx"), download.suggested_filename
    from openpyxl import load_workbook

    with open(download.path(), "rb") as fh:
        workbook = load_workbook(io.BytesIO(fh.read()), read_only=True)
    cells = {
        str(c) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for c in row
    }
    assert "县人社局" in cells, sorted(cells)[:40]


# --- 6. wrong paths ----------------------------------------------------------------------


def test_journey_6_wrong_paths(page):
    case = _to_state(_register("工地拖欠三个月工资"), "dispatched")
    login_as(page, "officer2")  # 司法局: another department
    for path in (f"/cases/{case.pk}/", f"/cases/{case.pk}/act/sign_for/"):
        response = page.goto(path)
        assert response.status == 404, (path, response.status)
        assert case.number not in page.content()
        expect(page.get_by_role("heading", level=1)).to_be_visible()

    if not url_exists("intake:register"):
        pytest.skip("WAITING: the registration page (issue 4)")
    login_as(page, "clerk")
    page.goto("/intake/register/")
    bad_id = "522728198503151237"  # wrong check digit
    page.locator("#id_parties-0-name").fill("王小明")
    page.locator("#id_parties-0-id_number").fill(bad_id)
    page.get_by_label("纠纷类别").select_option(label="邻里纠纷")
    page.get_by_label("标题").fill("邻里宅基地滴水纠纷")
    page.get_by_label("事实与诉求").fill("邻居屋檐滴水到申请人院内。")
    page.locator("#id_parties-1-name").fill("李四")
    _keyboard_submit(page, page.get_by_role("button", name="登记并打印回执"))
    id_input = page.locator("#id_parties-0-id_number")
    expect(id_input).to_have_value(bad_id)
    expect(id_input).to_have_attribute("aria-invalid", "true")
    error = page.locator("#id_parties-0-id_number_err")
    expect(error).to_be_visible()
    expect(error).to_contain_text("身份证")
    # Next to the field: the error sits in the same column, right under the input.
    box_in, box_err = id_input.bounding_box(), error.bounding_box()
    assert 0 <= box_err["y"] - (box_in["y"] + box_in["height"]) < 40
    assert abs(box_err["x"] - box_in["x"]) < 5
    expect(page.get_by_label("标题")).to_have_value("邻里宅基地滴水纠纷")
    expect(page.locator("#id_parties-0-name")).to_have_value("王小明")
    screenshot(page, "journey6-invalid-id")
