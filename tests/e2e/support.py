"""Helpers for the browser tests: logging in, screenshots, axe-core, page checks."""

from __future__ import annotations

import os
import re
from pathlib import Path

CHROMIUM = os.environ.get("LUODIAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "Luodian@2026"  # the demo county's password (luodian_platform.demo)
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"


def login_as(page, username: str, password: str = PASSWORD) -> None:
    """Log in through the login form, submitting with the keyboard (Enter)."""
    page.context.clear_cookies()
    page.goto("/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_label("密码").press("Enter")
    page.wait_for_url(lambda url: "/login/" not in url)


TIMINGS = ROOT / "test-output" / "journey-timings.txt"


def record_timing(url: str, seconds: float) -> None:
    """Append one action's round trip to test-output/journey-timings.txt (read by people,
    not asserted: speed goals live in `make bench`)."""
    TIMINGS.parent.mkdir(parents=True, exist_ok=True)
    with TIMINGS.open("a", encoding="utf-8") as out:
        out.write(f"{seconds:6.2f}s  {url}\n")


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as test-output/screenshots/<name>-<w>x<h>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or DESKTOP
    path = SCREENSHOTS / f"{name}-{size['width']}x{size['height']}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# axe rules whose failures block: impact serious or critical.
BLOCKING = {"serious", "critical"}


def axe_violations(page) -> list[dict]:
    """Run axe-core (shipped inside axe-playwright-python) on the page; return the serious
    and critical violations as dicts with id, impact, help and the offending targets."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    out = []
    for v in results.response.get("violations", []):
        if v.get("impact") in BLOCKING:
            out.append(
                {
                    "id": v["id"],
                    "impact": v["impact"],
                    "help": v["help"],
                    "targets": [n["target"] for n in v.get("nodes", [])][:5],
                }
            )
    return out


CJK = re.compile(r"[\u4e00-\u9fff]")


def assert_chinese(page) -> None:
    """The page is declared and written in Chinese."""
    lang = page.locator("html").get_attribute("lang") or ""
    assert lang.lower().startswith("zh"), f"html lang={lang!r} on {page.url}"
    heading = page.locator("h1").first.inner_text()
    assert CJK.search(heading), f"heading not in Chinese on {page.url}: {heading!r}"
    assert CJK.search(page.title()), f"title not in Chinese on {page.url}: {page.title()!r}"


def assert_labelled(page) -> None:
    """Every visible form control has an accessible name (a label, aria-label or title)."""
    unlabelled = page.evaluate(
        """() => Array.from(document.querySelectorAll(
              'input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea'))
            .filter(el => el.offsetParent !== null)
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                          && !el.getAttribute('aria-labelledby') && !el.title)
            .map(el => el.name || el.id || el.outerHTML.slice(0, 80))"""
    )
    assert not unlabelled, f"form fields without a label on {page.url}: {unlabelled}"


def url_exists(name: str, *args) -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        reverse(name, args=args)
    except NoReverseMatch:
        return False
    return True


def seed_cases() -> dict[str, int]:
    """A few walk-in cases in different states so the workbenches have rows to show.
    Made with the services (not the UI): they are the scenery, not what is tested."""
    from dispatch import services as dispatch_services
    from intake.services import case_register
    from luodian_platform.models import Department, User
    from mediation import services as mediation_services
    from tests.conftest import make_case_input

    users = {u.username: u for u in User.objects.all()}
    rsj = Department.objects.get(code="rsj")
    out = {}
    out["registered"] = case_register(
        data=make_case_input(title="拖欠工资纠纷(待派单)"), actor=users["clerk"]
    ).pk
    dispatched = case_register(
        data=make_case_input(title="拖欠工资纠纷(待签收)"), actor=users["clerk"]
    )
    dispatch_services.case_dispatch(
        case_id=dispatched.pk, department=rsj, actor=users["dispatcher"]
    )
    out["dispatched"] = dispatched.pk
    accepted = case_register(
        data=make_case_input(title="拖欠工资纠纷(办理中)"), actor=users["clerk"]
    )
    dispatch_services.case_dispatch(case_id=accepted.pk, department=rsj, actor=users["dispatcher"])
    dispatch_services.case_sign_for(case_id=accepted.pk, actor=users["officer"])
    out["accepted"] = accepted.pk
    replied = case_register(
        data=make_case_input(title="拖欠工资纠纷(待审核)"), actor=users["clerk"]
    )
    dispatch_services.case_dispatch(case_id=replied.pk, department=rsj, actor=users["dispatcher"])
    dispatch_services.case_sign_for(case_id=replied.pk, actor=users["officer"])
    mediation_services.case_reply(
        case_id=replied.pk,
        actor=users["officer"],
        # Issue 16: an "agreement" outcome needs an agreement in force; this seed case is
        # a plain reply with its reply document.
        outcome="handled",
        text="已答复当事人:用人单位同意分两期支付工资。",
        document="罗人社调字〔2026〕1号",
    )
    out["replied"] = replied.pk
    return out
