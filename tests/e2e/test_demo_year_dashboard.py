"""The supervisor's dashboard on a demo year, in Chromium: every chart has data and is
drawn, and the screenshot (test-output/screenshots/) shows a believable county."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from followup.demo_year import load_demo_year

from .support import login_as, screenshot

pytestmark = pytest.mark.browser

CHARTS = ["trend", "channel", "category", "township", "department"]


def test_dashboard_with_the_demo_year_shows_non_empty_charts(page):
    assert load_demo_year(count=60, seed=2026).loaded
    today = timezone.localdate()
    start = today - dt.timedelta(days=365)
    login_as(page, "supervisor")
    page.goto(f"/followup/dashboard/?period=custom&start={start}&end={today}")
    for kind in CHARTS:
        page.wait_for_selector(f"#chart-{kind} canvas")
    page.wait_for_timeout(1500)  # ECharts' entry animation
    screenshot(page, "supervisor-dashboard-demo-year")
    data = page.evaluate("JSON.parse(document.getElementById('dashboard-data').textContent)")
    for kind in CHARTS:
        values = [row["value"] for row in data[kind]]
        assert values and sum(values) > 0, kind
    # Something was drawn on every chart's canvas (not a blank area).
    drawn = page.evaluate(
        """() => [...document.querySelectorAll('.chart canvas')].map(c => {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
            return n;
        })"""
    )
    assert len(drawn) >= len(CHARTS) and all(n > 0 for n in drawn), drawn
