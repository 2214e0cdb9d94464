"""Browser tests: Playwright for Python driving Debian's Chromium against a live server.

Never a downloaded browser (`playwright install` is not used): the tests launch
/usr/bin/chromium, so they work offline. When Chromium or the playwright package is
missing, every test here is skipped with the reason. See docs/browser-tests.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an asyncio loop in this thread; Django's ORM refuses to run
# with a running loop unless told it is safe (it is: one thread drives one browser).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# The live server listens on the loopback address the network check accepts.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")

from .support import CHROMIUM, CHROMIUM_ARGS, DESKTOP, LOCAL_HOSTS


def _missing() -> str | None:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return "Chromium not installed: apt-get install chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright not installed: pip install -r requirements.txt"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _missing()
    if reason is None:
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(skip)


# --- browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class Traffic:
    """Every request a page made, and every script error or CSP refusal it reported."""

    def __init__(self):
        self.external: list[str] = []
        self.errors: list[str] = []

    def on_request(self, request):
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
            self.external.append(request.url)

    def on_console(self, msg):
        if msg.type == "error" and (
            "Content Security Policy" in msg.text or "Refused to" in msg.text
        ):
            self.errors.append(msg.text)

    def on_pageerror(self, exc):
        self.errors.append(str(exc))


# Reloading the demo county after each flush hashes every demo password again; the
# production hasher takes about a second per user. MD5 for new hashes keeps the suite
# quick; PBKDF2 stays listed so hashes made before (the session's database) still verify.
FAST_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


@pytest.fixture
def demo_county(transactional_db):
    """Transactional tests flush the database: load the demo county into it again."""
    from django.core.management import call_command
    from django.test import override_settings

    from luodian_platform.models import User

    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        if not User.objects.filter(username="clerk").exists():
            call_command("load_demo_county", verbosity=0)
        yield


@pytest.fixture
def traffic():
    return Traffic()


@pytest.fixture
def context(browser, live_server, demo_county, traffic):
    ctx = browser.new_context(
        base_url=live_server.url,
        viewport=DESKTOP,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        accept_downloads=True,
    )
    ctx.set_default_timeout(10_000)
    ctx.on("request", traffic.on_request)
    ctx.on("console", traffic.on_console)
    ctx.on("weberror", lambda e: traffic.errors.append(str(e.error)))
    yield ctx
    ctx.close()
    assert not traffic.external, f"pages loaded from outside 127.0.0.1: {traffic.external}"
    assert not traffic.errors, f"script errors or CSP refusals: {traffic.errors}"


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def new_page(context, browser, live_server, traffic):
    """A second, separately logged-in person in the same test (own cookies)."""
    contexts = []

    def _make(viewport=DESKTOP):
        ctx = browser.new_context(
            base_url=live_server.url, viewport=viewport, locale="zh-CN", accept_downloads=True
        )
        ctx.set_default_timeout(10_000)
        ctx.on("request", traffic.on_request)
        ctx.on("console", traffic.on_console)
        ctx.on("weberror", lambda e: traffic.errors.append(str(e.error)))
        contexts.append(ctx)
        return ctx.new_page()

    yield _make
    for ctx in contexts:
        ctx.close()
