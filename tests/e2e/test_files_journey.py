"""Evidence files in the browser (issue 18, part B): an officer attaches a photo of the site
and the labour contract on the case page; the dispatcher sees both, the photo's thumbnail
is drawn, and the contract downloads under its Chinese name. The case page with its files
panel passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .support import axe_violations, login_as, screenshot

pytestmark = pytest.mark.browser


def _accepted_case():
    from dispatch.services import case_dispatch, case_sign_for
    from intake.services import case_register
    from luodian_platform.models import Department, User
    from tests.conftest import make_case_input

    users = {u.username: u for u in User.objects.all()}
    case = case_register(data=make_case_input(title="工地拖欠工资"), actor=users["clerk"])
    rsj = Department.objects.get(code="rsj")
    case_dispatch(case_id=case.pk, department=rsj, actor=users["dispatcher"])
    return case_sign_for(case_id=case.pk, actor=users["officer"])


def _attach(page, *, name: str, data: bytes, mime: str, kind: str) -> None:
    panel = page.locator("#files")
    panel.get_by_label("类别").select_option(label=kind)
    panel.get_by_label("文件", exact=True).set_input_files(
        {"name": name, "mimeType": mime, "buffer": data}
    )
    panel.get_by_role("button", name="上传").click()
    expect(page.get_by_role("alert").first).to_contain_text(f"已上传「{name}」")


def test_officer_attaches_a_photo_and_a_contract_and_the_dispatcher_opens_them(page):
    from tests import file_samples

    case = _accepted_case()
    login_as(page, "officer")
    page.goto(f"/cases/{case.pk}/")
    _attach(page, name="现场照片.jpg", data=file_samples.jpeg(), mime="image/jpeg", kind="照片")
    _attach(
        page,
        name="劳动合同.pdf",
        data=file_samples.pdf("劳动合同"),
        mime="application/pdf",
        kind="合同/协议",
    )
    screenshot(page, "files-officer-case-page")

    login_as(page, "dispatcher")
    page.goto(f"/cases/{case.pk}/")
    panel = page.locator("#files")
    expect(panel).to_contain_text("现场照片.jpg")
    expect(panel).to_contain_text("劳动合同.pdf")
    thumbnail = panel.get_by_role("img", name="现场照片.jpg 的预览图")
    expect(thumbnail).to_be_visible()
    assert thumbnail.evaluate("img => img.complete && img.naturalWidth > 0")
    with page.expect_download() as download:
        panel.get_by_role("link", name="劳动合同.pdf").click()
    assert download.value.suggested_filename == "劳动合同.pdf"
    found = axe_violations(page)
    assert not found, found
