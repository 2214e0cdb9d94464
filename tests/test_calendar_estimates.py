"""Unknown calendar years on every clock path (issue 15): a date counted over a year with
no holiday data is flagged on the case page, the workbench and the API; entering the year
recomputes it, writes it back and logs an event on the case.

2027 has no official schedule in chinese-calendar 1.11 and none is entered here unless a
test enters it: 1 Jan 2027 (a Friday) then counts as a working day."""

# ruff: noqa: F811 (pytest fixtures imported from tests.test_mediation_flow)
from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from dispatch.models import CalendarEstimate, DeadlineRule, DispatchRecord, Supervision
from dispatch.services import (
    case_dispatch,
    case_resume,
    case_sign_for,
    case_suspend,
    extension_decide,
    extension_request,
    supervision_create,
)
from followup.models import Visit
from followup.services import case_reopen, visits_schedule
from intake.models import Case
from luodian_platform.models import CalendarYear, HolidayOverride, Period
from luodian_platform.workcal import end_of_day
from mediation import services as med
from mediation.models import JudicialConfirmation
from tests.test_followup_visits import handle_and_close
from tests.test_mediation_flow import accepted_case, agreement_kwargs, luo  # noqa: F401

pytestmark = pytest.mark.django_db

SH = dt.timezone(dt.timedelta(hours=8))
D = dt.date


def at(y, m, d, h=10):
    return dt.datetime(y, m, d, h, 0, tzinfo=SH)


@pytest.fixture(autouse=True)
def _extensions_for_legal_aid(db):
    # Legal aid: 7 working days here, one extension of 5 working days.
    DeadlineRule.objects.filter(category__code="legal_aid", channel="").update(
        max_extensions=1, extension_amount=5
    )


def dispatched(make_case, dispatcher, rsj, category="legal_aid"):
    case = make_case(category)
    return case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)


def estimates(obj, field_name):
    return CalendarEstimate.objects.filter(
        target_model=obj._meta.label_lower,
        target_id=obj.pk,
        target_field=field_name,
        resolved_at__isnull=True,
    )


def enter_2027(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        HolidayOverride.objects.create(date=D(2027, 1, 1), is_workday=False, name="元旦")
        CalendarYear.objects.create(year=2027, note="国务院办公厅通知")


# --- every path flags -----------------------------------------------------------------------


def test_dispatch_flags_handling_and_sign_for(make_case, dispatcher, rsj):
    # Thu 31 Dec 2026 17:00: 1 office hour today, 7 on Fri 1 Jan 2027 (unknown: a workday).
    with time_machine.travel(at(2026, 12, 31, 17), tick=False):
        case = dispatched(make_case, dispatcher, rsj)
    assert case.sign_due_at == at(2027, 1, 1, 17)
    assert [e.years for e in estimates(case, "sign_due_at")] == [[2027]]
    assert [e.years for e in estimates(case, "due_at")] == [[2027]]


def test_dispatch_within_known_years_is_not_flagged(make_case, dispatcher, rsj):
    with time_machine.travel(at(2026, 11, 2), tick=False):
        case = dispatched(make_case, dispatcher, rsj)
    assert not CalendarEstimate.objects.filter(case=case).exists()


def test_resume_and_extension_flag_and_chain(make_case, dispatcher, officer, rsj):
    with time_machine.travel(at(2026, 12, 15), tick=False):
        case = dispatched(make_case, dispatcher, rsj)
        case_sign_for(case_id=case.pk, actor=officer)
        case_suspend(case_id=case.pk, actor=officer, reason="等待材料")
    assert case.due_at == end_of_day(D(2026, 12, 24)) and not estimates(case, "due_at")
    with time_machine.travel(at(2026, 12, 18), tick=False):
        case = case_resume(case_id=case.pk, actor=officer)
    # Paused Wed 16, Thu 17 and Fri 18 Dec: 3 working days, still 2026: not flagged.
    assert case.due_at == end_of_day(D(2026, 12, 29)) and not estimates(case, "due_at")
    with time_machine.travel(at(2026, 12, 21), tick=False):
        ext = extension_request(case_id=case.pk, actor=officer, reason="调取证据")
        extension_decide(extension_id=ext.pk, actor=dispatcher, approve=True)
    case.refresh_from_db()
    # 29 Dec + 5 working days with 1 Jan 2027 counted (unknown): Tue 5 Jan 2027.
    assert case.due_at == end_of_day(D(2027, 1, 5))
    rows = list(estimates(case, "due_at"))
    assert [(r.clock, r.chained, r.years) for r in rows] == [("handling", True, [2027])]
    assert case.events.get(transition="extension_approved").payload["calendar_unknown_years"] == [
        2027
    ]


def test_resume_into_an_unknown_year_is_flagged(make_case, dispatcher, officer, rsj):
    with time_machine.travel(at(2026, 12, 15), tick=False):
        case = dispatched(make_case, dispatcher, rsj)
        case_sign_for(case_id=case.pk, actor=officer)
        case_suspend(case_id=case.pk, actor=officer, reason="等待鉴定")
    with time_machine.travel(at(2026, 12, 29), tick=False):
        case = case_resume(case_id=case.pk, actor=officer)
    # Paused 16-29 Dec: 10 working days; 24 Dec + 10 → 1 Jan 2027 counted: Thu 7 Jan.
    assert case.due_at == end_of_day(D(2027, 1, 7))
    assert [r.years for r in estimates(case, "due_at")] == [[2027]]
    assert case.events.get(transition="resume").payload["calendar_unknown_years"] == [2027]


def test_reopen_flags_the_new_deadline(make_case, dispatcher, officer, rsj):
    case = dispatched(make_case, dispatcher, rsj)
    handle_and_close(case.pk, officer, dispatcher)
    with time_machine.travel(at(2026, 12, 28), tick=False):
        case = case_reopen(case_id=case.pk, actor=dispatcher, reason="当事人不满意")
    assert case.due_at == end_of_day(D(2027, 1, 6))
    assert [r.years for r in estimates(case, "due_at")] == [[2027]]


def test_supervision_response_is_flagged(make_case, dispatcher, rsj):
    with time_machine.travel(at(2026, 12, 31), tick=False):
        case = dispatched(make_case, dispatcher, rsj)
        sup = supervision_create(case_id=case.pk, level=1, actor=dispatcher, message="请加快办理")
    assert sup.response_due_at == end_of_day(D(2027, 1, 1))
    assert [r.years for r in estimates(sup, "response_due_at")] == [[2027]]
    assert Supervision.objects.get(pk=sup.pk).response_due_at == sup.response_due_at


def test_legal_aid_flagged_and_its_unit_is_the_countys_choice(clerk, dispatcher):
    with time_machine.travel(at(2026, 12, 28), tick=False):
        row = med.legal_service_record(
            actor=clerk, kind="legal_aid", person_name="王小明", summary="追索劳动报酬"
        )
    assert row.decision_due_at == end_of_day(D(2027, 1, 6))  # 7 working days
    assert [r.years for r in estimates(row, "decision_due_at")] == [[2027]]
    # The county switches to the law's calendar days (《法律援助法》 art. 43 "七日").
    Period.objects.filter(code="legal_aid_decision").update(unit="days")
    with time_machine.travel(at(2026, 11, 20), tick=False):
        row = med.legal_service_record(
            actor=clerk, kind="legal_aid", person_name="李四", summary="工伤赔偿"
        )
    # Fri 20 Nov + 7 days = Fri 27 Nov 2026 (a working day: not moved).
    assert row.decision_due_at == end_of_day(D(2026, 11, 27))
    with time_machine.travel(at(2026, 12, 30), tick=False):
        row = med.legal_aid_decide(service_id=row.pk, actor=dispatcher, decision="approved")
    # Lawyer within 3 working days: Thu 31 Dec, Fri 1 Jan 2027 (unknown), Mon 4 Jan.
    assert row.lawyer_due_at == end_of_day(D(2027, 1, 4))
    assert [r.years for r in estimates(row, "lawyer_due_at")] == [[2027]]


def test_visits_are_flagged(make_case, dispatcher, officer, rsj):
    case = dispatched(make_case, dispatcher, rsj)
    case = handle_and_close(case.pk, officer, dispatcher)
    Visit.objects.filter(case=case).delete()
    visits = visits_schedule(case=case, at=at(2026, 12, 20))
    second = next(v for v in visits if v.seq == 2)
    # Sun 20 Dec + 30 days = Tue 19 Jan 2027: unknown year.
    assert second.due_date == D(2027, 1, 19)
    assert [r.years for r in estimates(second, "due_date")] == [[2027]]


def test_judicial_confirmation_window_is_flagged(accepted_case, officer, luo):
    with time_machine.travel(at(2026, 12, 10), tick=False):
        case = accepted_case()
        med.mediator_assign(case_id=case.pk, mediator_id=luo.pk, actor=officer)
        agreement = med.agreement_record(actor=officer, **agreement_kwargs(case, luo))
    jc = JudicialConfirmation.objects.get(agreement=agreement)
    # Thu 10 Dec + 30 days = Sat 9 Jan 2027: weekends-only estimate moves it to Mon 11 Jan.
    assert jc.window_ends_at == end_of_day(D(2027, 1, 11))
    assert [r.years for r in estimates(jc, "window_ends_at")] == [[2027]]


def test_court_referral_is_flagged(accepted_case, officer):
    case = accepted_case(channel="court")
    ref = med.court_referral_register(
        case_id=case.pk,
        actor=officer,
        court_reference="(2026)黔2728民诉前调9号",
        referred_at=at(2026, 12, 15),
    )
    assert ref.due_at == end_of_day(D(2027, 1, 14))
    assert [r.years for r in estimates(ref, "due_at")] == [[2027]]


# --- shown on the case page, the workbench and the API --------------------------------------


def test_case_page_workbench_and_api_show_the_estimate(
    make_case, dispatcher, officer, officer2, outsider, rsj, client, api
):
    with time_machine.travel(at(2026, 12, 28), tick=False):
        case = dispatched(make_case, dispatcher, rsj)
    client.force_login(officer)
    html = client.get(reverse("intake:case_detail", args=[case.pk])).content.decode()
    assert 'id="panel-estimates"' in html and "2027" in html and "办理时限" in html
    client.force_login(dispatcher)
    html = client.get(reverse("dispatch:workbench")).content.decode()
    assert 'id="calendar-estimates"' in html and case.number in html
    url = f"/api/cases/{case.pk}/calendar-estimates/"
    rows = api(officer).get(url).json()
    assert {(r["clock"], r["estimated"], tuple(r["unknown_years"])) for r in rows} == {
        ("handling", True, (2027,)),
    }
    assert api(officer2).get(url).status_code == 404
    assert api(outsider).get(url).status_code == 404
    assert api(None).get(url).status_code in (401, 403)
    listing = api(dispatcher).get("/api/calendar-estimates/").json()
    assert case.number in {r["case_number"] for r in listing}
    assert api(officer2).get("/api/calendar-estimates/").json() == []


# --- entering the year recomputes -----------------------------------------------------------


def test_entering_the_year_recomputes_with_an_event(
    make_case, dispatcher, rsj, django_capture_on_commit_callbacks, client
):
    with time_machine.travel(at(2026, 12, 28), tick=False):
        case = dispatched(make_case, dispatcher, rsj)
    assert case.due_at == end_of_day(D(2027, 1, 6))
    version = case.version
    enter_2027(django_capture_on_commit_callbacks)
    case.refresh_from_db()
    # 1 Jan 2027 is now a holiday: the 7th working day is Thu 7 Jan.
    assert case.due_at == end_of_day(D(2027, 1, 7)) and case.version == version + 1
    assert DispatchRecord.objects.get(case=case, is_current=True).due_at == case.due_at
    assert not estimates(case, "due_at").exists()
    event = case.events.get(transition="deadline_recomputed")
    assert dt.datetime.fromisoformat(event.payload["after"]) == case.due_at
    assert event.payload["years_still_unknown"] == []
    client.force_login(dispatcher)
    html = client.get(reverse("dispatch:workbench")).content.decode()
    assert 'id="calendar-estimates"' not in html


def test_recompute_follows_the_chain_of_an_extension(
    make_case, dispatcher, officer, rsj, django_capture_on_commit_callbacks
):
    with time_machine.travel(at(2026, 12, 28), tick=False):
        case = dispatched(make_case, dispatcher, rsj)
        ext = extension_request(case_id=case.pk, actor=officer, reason="补充材料")
        extension_decide(extension_id=ext.pk, actor=dispatcher, approve=True)
    case.refresh_from_db()
    assert case.due_at == end_of_day(D(2027, 1, 13))  # estimated: 6 Jan + 5
    enter_2027(django_capture_on_commit_callbacks)
    case.refresh_from_db()
    # 7 Jan (first 7 working days) + 5 working days = Thu 14 Jan.
    assert case.due_at == end_of_day(D(2027, 1, 14))
    assert case.events.filter(transition="deadline_recomputed").count() == 1


def test_recompute_other_clocks_and_still_unknown_years(
    clerk, dispatcher, make_case, rsj, django_capture_on_commit_callbacks
):
    with time_machine.travel(at(2026, 12, 28), tick=False):
        row = med.legal_service_record(
            actor=clerk, kind="legal_aid", person_name="王小明", summary="追索劳动报酬"
        )
        case = dispatched(make_case, dispatcher, rsj)
    enter_2027(django_capture_on_commit_callbacks)
    row.refresh_from_db()
    assert row.decision_due_at == end_of_day(D(2027, 1, 7))
    # A date in 2028 stays an estimate after 2027 is entered.
    Period.objects.filter(code="supervision_urge").update(amount=300)
    with time_machine.travel(at(2026, 12, 29), tick=False):
        sup = supervision_create(case_id=case.pk, level=1, actor=dispatcher, message="催办")
    assert [r.years for r in estimates(sup, "response_due_at")] == [[2028]]


def test_one_click_recompute_roles(make_case, dispatcher, officer, rsj, api, client):
    with time_machine.travel(at(2026, 12, 28), tick=False):
        case = dispatched(make_case, dispatcher, rsj)
    HolidayOverride.objects.create(date=D(2027, 1, 1), is_workday=False, name="元旦")
    CalendarYear.objects.create(year=2027)  # no on-commit run in this test transaction
    assert Case.objects.get(pk=case.pk).due_at == end_of_day(D(2027, 1, 6))
    url = "/api/calendar-estimates/recompute/"
    assert api(None).post(url).status_code in (401, 403)
    assert api(officer).post(url).status_code == 403
    client.force_login(officer)
    assert client.post(reverse("dispatch:estimates_recompute")).status_code == 403
    r = api(dispatcher).post(url)
    assert r.status_code == 200 and len(r.json()["changed"]) == 1
    assert Case.objects.get(pk=case.pk).due_at == end_of_day(D(2027, 1, 7))
    assert api(dispatcher).post(url).json()["changed"] == []  # nothing left to do


def test_holiday_entered_after_the_year_was_marked_still_recomputes(
    make_case, dispatcher, officer, rsj, django_capture_on_commit_callbacks
):
    with time_machine.travel(at(2026, 12, 28), tick=False):
        case = dispatched(make_case, dispatcher, rsj)
    # The administrator marks 2027 first, then enters its days.
    with django_capture_on_commit_callbacks(execute=True):
        CalendarYear.objects.create(year=2027)
    case.refresh_from_db()
    assert case.due_at == end_of_day(D(2027, 1, 6)) and not estimates(case, "due_at")
    # An extension counted once 2027 is known continues the chain.
    with time_machine.travel(at(2026, 12, 29), tick=False):
        ext = extension_request(case_id=case.pk, actor=officer, reason="补充材料")
        extension_decide(extension_id=ext.pk, actor=dispatcher, approve=True)
    case.refresh_from_db()
    assert case.due_at == end_of_day(D(2027, 1, 13))
    with django_capture_on_commit_callbacks(execute=True):
        HolidayOverride.objects.create(date=D(2027, 1, 1), is_workday=False, name="元旦")
    case.refresh_from_db()
    # 7 Jan + 5 working days: the extension is carried, not lost.
    assert case.due_at == end_of_day(D(2027, 1, 14))
    with django_capture_on_commit_callbacks(execute=True):
        HolidayOverride.objects.filter(date=D(2027, 1, 1)).delete()
    case.refresh_from_db()
    assert case.due_at == end_of_day(D(2027, 1, 13))


def test_a_fresh_clock_ends_the_old_chain(
    make_case, dispatcher, officer, rsj, django_capture_on_commit_callbacks
):
    with time_machine.travel(at(2026, 12, 28), tick=False):
        case = dispatched(make_case, dispatcher, rsj)
    with time_machine.travel(at(2026, 11, 2), tick=False):
        # The centre re-dispatches with a new clock counted in a known year.
        from dispatch.services import case_return

        case_sign_for(case_id=case.pk, actor=officer)
        case_return(case_id=case.pk, actor=officer, reason="不属本部门职责")
        case = case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher, reset_clock=True)
    assert case.due_at == end_of_day(D(2026, 11, 11))
    enter_2027(django_capture_on_commit_callbacks)
    case.refresh_from_db()
    assert case.due_at == end_of_day(D(2026, 11, 11))  # not overwritten by the old chain
    assert not case.events.filter(transition="deadline_recomputed").exists()


def test_recompute_moves_the_columns_that_follow(
    accepted_case,
    officer,
    luo,
    django_capture_on_commit_callbacks,
):
    with time_machine.travel(at(2026, 12, 10), tick=False):
        case = accepted_case()
        med.mediator_assign(case_id=case.pk, mediator_id=luo.pk, actor=officer)
        agreement = med.agreement_record(actor=officer, **agreement_kwargs(case, luo))
    jc = JudicialConfirmation.objects.get(agreement=agreement)
    lead = jc.window_ends_at - jc.remind_at
    # 2027 entered with Mon 11 Jan as a holiday (a hypothetical local day off): the window
    # that ended on Sat 9 Jan moves to Tue 12 Jan, and the reminder with it.
    with django_capture_on_commit_callbacks(execute=True):
        HolidayOverride.objects.create(date=D(2027, 1, 11), is_workday=False, name="测试")
        CalendarYear.objects.create(year=2027)
    jc.refresh_from_db()
    assert jc.window_ends_at == end_of_day(D(2027, 1, 12))
    assert jc.window_ends_at - jc.remind_at == lead
    assert case.events.filter(transition="deadline_recomputed").count() == 1
