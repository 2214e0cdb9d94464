"""Deadlines: working days across 2025 holidays with 调休, across a suspension, the calendar
warning for a year with no data, and extensions (延期申请) by service, API and page."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from dispatch.models import DeadlineRule, DispatchRecord, ExtensionRequest
from dispatch.services import (
    case_dispatch,
    case_resume,
    case_sign_for,
    case_suspend,
    extension_decide,
    extension_request,
)
from intake.models import Case
from luodian_platform.errors import Conflict, NotAllowed, NotFound, ServiceError
from luodian_platform.models import CalendarYear, Department, HolidayOverride
from luodian_platform.workcal import end_of_day

pytestmark = pytest.mark.django_db

SH = dt.timezone(dt.timedelta(hours=8))
D = dt.date


def at(y, m, d, h=10):
    return dt.datetime(y, m, d, h, 0, tzinfo=SH)


@pytest.fixture
def workday_rule(clerk):
    """Legal aid: 7 working days (《法律援助法》), one extension of 5 working days here."""
    return DeadlineRule.objects.filter(category__code="legal_aid", channel="").update(
        max_extensions=1, extension_amount=5
    )


def dispatched(make_case, dispatcher, category="legal_aid", dept="rsj"):
    case = make_case(category)
    return case_dispatch(
        case_id=case.pk, department=Department.objects.get(code=dept), actor=dispatcher
    )


# --- working days --------------------------------------------------------------------------


def test_deadline_across_spring_festival_2025_counts_the_saturday_workday(make_case, dispatcher):
    with time_machine.travel(at(2025, 1, 24), tick=False):
        case = dispatched(make_case, dispatcher)
    assert case.due_at == end_of_day(D(2025, 2, 10))
    assert DispatchRecord.objects.get(case=case).calendar_unknown_years == []


def test_deadline_across_national_day_2025_counts_the_saturday_workday(make_case, dispatcher):
    with time_machine.travel(at(2025, 9, 26), tick=False):
        case = dispatched(make_case, dispatcher)
    # Sun 28 Sep and Sat 11 Oct were 调休 workdays; 1-8 Oct were holidays.
    assert case.due_at == end_of_day(D(2025, 10, 13))


def test_resume_moves_the_deadline_by_the_working_days_paused(make_case, dispatcher, officer):
    with time_machine.travel(at(2025, 9, 26), tick=False):
        case = dispatched(make_case, dispatcher)
        case_sign_for(case_id=case.pk, actor=officer)
    with time_machine.travel(at(2025, 9, 29), tick=False):
        case_suspend(case_id=case.pk, actor=officer, reason="等待当事人补充材料")
    with time_machine.travel(at(2025, 10, 9), tick=False):
        case = case_resume(case_id=case.pk, actor=officer)
    # Paused over 30 Sep and 9 Oct (the holiday does not count): two working days.
    assert case.due_at == end_of_day(D(2025, 10, 15))


def test_deadline_into_a_year_without_data_is_flagged_and_warned(make_case, dispatcher, client):
    with time_machine.travel(at(2026, 12, 28), tick=False):
        case = dispatched(make_case, dispatcher)
        record = DispatchRecord.objects.get(case=case)
        assert record.calendar_unknown_years == [2027] and record.calendar_warning
        assert case.due_at == end_of_day(D(2027, 1, 6))  # weekends-only fallback
        assert case.events.get(transition="dispatch").payload["calendar_unknown_years"] == [2027]
        client.force_login(dispatcher)
        html = client.get(reverse("dispatch:workbench")).content.decode()
    assert 'id="calendar-warning"' in html and "2027" in html and case.number in html


def test_entered_calendar_year_removes_the_warning(make_case, dispatcher, client):
    HolidayOverride.objects.create(date=D(2027, 1, 1), is_workday=False, name="元旦")
    CalendarYear.objects.create(year=2027)
    with time_machine.travel(at(2026, 12, 28), tick=False):
        case = dispatched(make_case, dispatcher)
        client.force_login(dispatcher)
        html = client.get(reverse("dispatch:workbench")).content.decode()
    assert case.due_at == end_of_day(D(2027, 1, 7))
    assert DispatchRecord.objects.get(case=case).calendar_unknown_years == []
    assert 'id="calendar-warning"' not in html


# --- extensions ----------------------------------------------------------------------------


def test_extension_approved_moves_due_at_by_the_rule(make_case, dispatcher, officer, workday_rule):
    with time_machine.travel(at(2025, 9, 26), tick=False):
        case = dispatched(make_case, dispatcher)
        ext = extension_request(case_id=case.pk, actor=officer, reason="需要调取社保记录")
        assert ext.status == ExtensionRequest.Status.PENDING
        ext = extension_decide(extension_id=ext.pk, actor=dispatcher, approve=True)
    case = Case.objects.get(pk=case.pk)
    assert ext.status == ExtensionRequest.Status.APPROVED
    # 13 Oct + 5 working days = 20 Oct.
    assert case.due_at == ext.due_at_after == end_of_day(D(2025, 10, 20))
    assert case.extension_count == 1
    event = case.events.get(transition="extension_approved")
    assert event.from_state == event.to_state == case.state and event.actor == dispatcher


def test_extension_refused_keeps_the_deadline_and_needs_a_reason(
    make_case, dispatcher, officer, workday_rule
):
    case = dispatched(make_case, dispatcher)
    ext = extension_request(case_id=case.pk, actor=officer, reason="材料多")
    with pytest.raises(ServiceError):
        extension_decide(extension_id=ext.pk, actor=dispatcher, approve=False)
    ext = extension_decide(extension_id=ext.pk, actor=dispatcher, approve=False, note="理由不充分")
    after = Case.objects.get(pk=case.pk)
    assert ext.status == ExtensionRequest.Status.REFUSED
    assert after.due_at == case.due_at and after.extension_count == 0
    assert after.events.filter(transition="extension_refused").count() == 1
    with pytest.raises(Conflict):  # decided once
        extension_decide(extension_id=ext.pk, actor=dispatcher, approve=True)


def test_extension_refused_after_the_limit(make_case, dispatcher, officer, workday_rule):
    case = dispatched(make_case, dispatcher)
    ext = extension_request(case_id=case.pk, actor=officer, reason="第一次")
    extension_decide(extension_id=ext.pk, actor=dispatcher, approve=True)
    with pytest.raises(Conflict, match="上限"):
        extension_request(case_id=case.pk, actor=officer, reason="第二次")


def test_rule_without_extensions_refuses_the_request(make_case, dispatcher, officer):
    DeadlineRule.objects.filter(category__code="legal_aid").update(max_extensions=0)
    case = dispatched(make_case, dispatcher)
    with pytest.raises(Conflict) as exc:
        extension_request(case_id=case.pk, actor=officer, reason="x")
    assert exc.value.code == "extension_limit"


def test_extension_must_be_asked_before_the_deadline(make_case, dispatcher, officer, workday_rule):
    with time_machine.travel(at(2025, 9, 26), tick=False):
        case = dispatched(make_case, dispatcher)
    with time_machine.travel(at(2025, 10, 14), tick=False), pytest.raises(Conflict) as exc:
        extension_request(case_id=case.pk, actor=officer, reason="来不及了")
    assert exc.value.code == "deadline_passed"


def test_one_pending_request_at_a_time_and_reason_required(
    make_case, dispatcher, officer, workday_rule
):
    case = dispatched(make_case, dispatcher)
    with pytest.raises(ServiceError):
        extension_request(case_id=case.pk, actor=officer, reason="  ")
    extension_request(case_id=case.pk, actor=officer, reason="一")
    with pytest.raises(Conflict):
        extension_request(case_id=case.pk, actor=officer, reason="二")


def test_only_the_handling_department_requests_and_only_the_centre_decides(
    make_case, dispatcher, officer, officer2, supervisor, workday_rule
):
    case = dispatched(make_case, dispatcher)
    with pytest.raises(NotFound):
        extension_request(case_id=case.pk, actor=officer2, reason="x")
    with pytest.raises(NotAllowed):
        extension_request(case_id=case.pk, actor=dispatcher, reason="x")
    ext = extension_request(case_id=case.pk, actor=officer, reason="x")
    with pytest.raises(NotAllowed):
        extension_decide(extension_id=ext.pk, actor=officer, approve=True)
    with pytest.raises(NotAllowed):
        extension_decide(extension_id=ext.pk, actor=supervisor, approve=True)
    with pytest.raises(NotFound):
        extension_decide(extension_id=ext.pk, actor=officer2, approve=True)


def test_extension_api_roles_and_input(
    make_case, dispatcher, officer, officer2, outsider, api, workday_rule
):
    case = dispatched(make_case, dispatcher)
    url = f"/api/cases/{case.pk}/extensions/"
    assert api(None).post(url, {"reason": "x"}, format="json").status_code in (401, 403)
    assert api(outsider).post(url, {"reason": "x"}, format="json").status_code == 404
    assert api(officer2).post(url, {"reason": "x"}, format="json").status_code == 404
    assert api(dispatcher).post(url, {"reason": "x"}, format="json").status_code == 403
    r = api(officer).post(url, {}, format="json")
    assert r.status_code == 400 and "reason" in r.json()["error"]["fields"]
    r = api(officer).post(url, {"reason": "需要鉴定"}, format="json")
    assert r.status_code == 201 and r.json()["status"] == "pending"
    ext_id = r.json()["id"]
    assert [e["id"] for e in api(officer).get(url).json()] == [ext_id]
    assert api(officer2).get(url).status_code == 404
    decide = f"/api/extensions/{ext_id}/decision/"
    assert api(officer2).post(decide, {"approve": True}, format="json").status_code == 404
    assert api(officer).post(decide, {"approve": True}, format="json").status_code == 403
    assert api(dispatcher).post(decide, {"approve": "maybe"}, format="json").status_code == 400
    r = api(dispatcher).post(decide, {"approve": True, "note": "同意"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert api(dispatcher).post(decide, {"approve": True}, format="json").status_code == 409
    listing = api(dispatcher).get("/api/extensions/?status=approved").json()
    assert [e["id"] for e in listing["results"]] == [ext_id]
    assert api(officer2).get("/api/extensions/").json()["results"] == []


def test_extension_pages_request_and_decide(make_case, dispatcher, officer, client, workday_rule):
    case = dispatched(make_case, dispatcher)
    client.force_login(officer)
    r = client.post(reverse("dispatch:extension_request", args=[case.pk]), {"reason": "补充材料"})
    assert r.status_code == 302
    ext = ExtensionRequest.objects.get(case=case)
    html = client.get(reverse("intake:case_detail", args=[case.pk])).content.decode()
    client.force_login(dispatcher)
    html = client.get(reverse("dispatch:workbench")).content.decode()
    assert "补充材料" in html  # pending list on the workbench
    r = client.post(reverse("dispatch:extension_decide", args=[ext.pk]), {"approve": "true"})
    assert r.status_code == 302
    assert ExtensionRequest.objects.get(pk=ext.pk).status == "approved"
