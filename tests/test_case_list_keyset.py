"""The case list page pages by keyset (cursor), like the API: no COUNT(*), stable pages."""

from __future__ import annotations

import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _next_query(body: str) -> str | None:
    for href, label in re.findall(r'<a class="page-link" href="\?([^"]*)">([^<]+)</a>', body):
        if label == "下一页":
            return html.unescape(href)
    return None


def test_case_list_page_walks_every_case_once_without_counting(client, make_case, dispatcher):
    numbers = {make_case().number for _ in range(30)}
    client.force_login(dispatcher)
    seen: list[str] = []
    query = "category=labour"
    for _ in range(5):
        with CaptureQueriesContext(connection) as ctx:
            body = client.get(f"{reverse('intake:case_list')}?{query}").content.decode()
        sqls = [q["sql"] for q in ctx.captured_queries]
        assert not [s for s in sqls if "COUNT(" in s.upper() and '"intake_case"' in s]
        seen += [n for n in numbers if n in body]
        query = _next_query(body)
        if query is None:
            break
        assert "category=labour" in query and "cursor=" in query
    assert sorted(seen) == sorted(numbers)


def test_case_list_page_forged_cursor_goes_back_to_the_first_page(client, dispatcher):
    client.force_login(dispatcher)
    response = client.get(reverse("intake:case_list") + "?state=accepted&cursor=garbage")
    assert response.status_code == 302
    assert response["Location"].endswith("?state=accepted")
