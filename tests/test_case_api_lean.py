"""The case list API builds its rows directly (issue 11: list throughput): the same JSON as
DRF's field-by-field serializer, state labels resolved once per language, not per row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from dispatch.services import case_dispatch
from intake.api.serializers import CaseFieldsSerializer, CaseListSerializer
from intake.models import Case, State
from intake.selectors import list_rows

pytestmark = pytest.mark.django_db


def _cases(make_case, dispatcher, rsj):
    plain = make_case()
    sent = case_dispatch(case_id=make_case().pk, department=rsj, actor=dispatcher)
    Case.objects.filter(pk=sent.pk).update(due_at=dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
    return list(
        Case.objects.select_related("category", "department", "township")
        .filter(pk__in=[plain.pk, sent.pk])
        .order_by("pk")
    )


def _rows(cases):
    """The rows the list API reads for these cases (values, not models)."""
    return list(list_rows(Case.objects.filter(pk__in=[c.pk for c in cases])).order_by("pk"))


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_lean_rows_equal_drf_field_by_field_rows(make_case, dispatcher, rsj, lang):
    cases = _cases(make_case, dispatcher, rsj)
    with translation.override(lang):
        lean = CaseListSerializer(_rows(cases), many=True).data
        generic = CaseFieldsSerializer(cases, many=True).data
        assert [dict(r) for r in lean] == [dict(r) for r in generic]
        assert lean[0]["state_label"] == str(State(cases[0].state).label)
    assert any(r["is_overdue"] for r in lean) and any(r["department"] for r in lean)
    assert any(r["department"] is None for r in lean)


def test_list_request_does_not_resolve_choices_per_row(
    api, make_case, dispatcher, monkeypatch, django_assert_max_num_queries
):
    for _ in range(4):
        make_case()

    def boom(self):
        raise AssertionError("get_state_display called per row")

    monkeypatch.setattr(Case, "get_state_display", boom)
    client = api(dispatcher)
    client.get("/api/cases/")
    with django_assert_max_num_queries(3):
        body = client.get("/api/cases/").json()
    assert len(body["results"]) >= 4
    assert all(r["state_label"] for r in body["results"])
