"""久未进展: stall detection on a frozen clock (working days, across the 2026 National Day
holiday), the sweep's idempotency, the workbench list and the one-click correction."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from dispatch.models import Correction, Stall
from dispatch.selectors import correction_suggestions
from dispatch.services import case_dispatch, case_sign_for, case_suspend, stall_correction_issue
from dispatch.stalls import stall_cutoff, stalls_sweep
from intake.notes import note_add
from luodian_platform.errors import Conflict, NotAllowed, NotFound
from luodian_platform.models import Category, Period
from luodian_platform.workcal import WorkCalendar, local_tz

pytestmark = pytest.mark.django_db
TZ = local_tz()


def at(y, m, d, hh=10, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=TZ)


# Wed 30 Sep 2026 is the last working day before the National Day holiday (1-7 Oct);
# Sat 10 Oct is a make-up working day (调休). Three working days after 30 Sep: 8, 9, 10 Oct.
LAST = at(2026, 9, 30)


@pytest.fixture
def stalled_case(make_case, dispatcher, officer, rsj):
    with time_machine.travel(LAST - dt.timedelta(hours=1), tick=False):
        c = make_case("labour")
        case_dispatch(case_id=c.pk, department=rsj, actor=dispatcher)
    with time_machine.travel(LAST, tick=False):
        return case_sign_for(case_id=c.pk, actor=officer)


def sweep(moment):
    with time_machine.travel(moment, tick=False):
        return stalls_sweep(now=moment)


def test_default_period_row_names_its_basis():
    row = Period.objects.get(code="no_progress")
    assert row.amount == 3 and row.unit == "workdays" and "本地规定" in row.legal_basis


def test_cutoff_skips_the_holiday_and_counts_the_makeup_day():
    cal = WorkCalendar.load()
    # On Sun 11 Oct, activity before 8 Oct (30 Sep, or during the holiday) has had three
    # full working days after it: 8, 9 and 10 Oct.
    assert stall_cutoff(3, now=at(2026, 10, 11), cal=cal) == at(2026, 10, 8, 0)
    # On Sat 10 Oct (a working day, not over yet) only 8 and 9 Oct are complete.
    assert stall_cutoff(3, now=at(2026, 10, 10, 23), cal=cal) == at(2026, 9, 30, 0)


def test_no_stall_during_the_holiday_then_one_after_three_working_days(stalled_case):
    assert sweep(at(2026, 10, 7, 18)).created == 0  # seven calendar days, no working day
    assert sweep(at(2026, 10, 10, 23)).created == 0  # 8 and 9 Oct done, 10 Oct not over
    result = sweep(at(2026, 10, 11, 9))
    assert result.created == 1
    stall = Stall.objects.get()
    assert stall.case == stalled_case and stall.since == LAST and stall.workdays == 3


def test_sweep_is_idempotent_one_row_per_stall(stalled_case):
    sweep(at(2026, 10, 11, 9))
    assert sweep(at(2026, 10, 12, 9)).created == 0
    assert Stall.objects.count() == 1


def test_a_note_ends_the_stall_and_a_new_silence_is_a_new_stall(stalled_case, officer):
    sweep(at(2026, 10, 11, 9))
    with time_machine.travel(at(2026, 10, 12, 9), tick=False):
        note_add(case_id=stalled_case.pk, actor=officer, kind="phone", text="电话联系单位")
    assert sweep(at(2026, 10, 12, 10)).resolved == 1
    assert sweep(at(2026, 10, 14, 10)).created == 0  # 13, 14 Oct: not yet three
    assert sweep(at(2026, 10, 16, 0, 5)).created == 1  # 13, 14, 15 Oct complete
    assert Stall.objects.count() == 2
    assert Stall.objects.filter(resolved_at__isnull=True).get().since.date() == dt.date(
        2026, 10, 12
    )


def test_an_event_counts_as_progress_too(stalled_case, dispatcher):
    from dispatch.services import supervision_create

    with time_machine.travel(at(2026, 10, 9, 9), tick=False):
        supervision_create(case_id=stalled_case.pk, level=1, actor=dispatcher, message="请加快")
    assert sweep(at(2026, 10, 11, 9)).created == 0


def test_category_sets_its_own_number_or_switches_off(stalled_case):
    Category.objects.filter(code="labour").update(stall_workdays=5)
    assert sweep(at(2026, 10, 11, 9)).created == 0
    assert sweep(at(2026, 10, 15, 9)).created == 1  # 8, 9, 10, 12, 13 Oct... and 14 Oct
    Stall.objects.all().delete()
    Category.objects.filter(code="labour").update(stall_workdays=0)
    assert sweep(at(2026, 11, 30, 9)).created == 0


def test_a_suspended_case_is_not_stalled(stalled_case, officer):
    with time_machine.travel(LAST + dt.timedelta(hours=1), tick=False):
        case_suspend(case_id=stalled_case.pk, actor=officer, reason="等待当事人补充材料")
    assert sweep(at(2026, 10, 20, 9)).created == 0


# --- the centre's view and the one-click correction -----------------------------------------


def test_workbench_lists_the_stall_and_its_query_count_does_not_grow(
    client, stalled_case, dispatcher, make_case, rsj, officer, django_assert_max_num_queries
):
    sweep(at(2026, 10, 11, 9))
    client.force_login(dispatcher)
    url = reverse("dispatch:workbench")
    with (
        time_machine.travel(at(2026, 10, 11, 9, 5), tick=False),
        django_assert_max_num_queries(40) as one,
    ):
        html = client.get(url).content.decode()
    assert "久未进展" in html and stalled_case.number in html
    for i in range(5):
        with time_machine.travel(LAST, tick=False):
            c = make_case("labour", title=f"另一件{i}")
            case_dispatch(case_id=c.pk, department=rsj, actor=dispatcher)
    sweep(at(2026, 10, 11, 9))
    assert Stall.objects.count() == 6
    with (
        time_machine.travel(at(2026, 10, 11, 9, 5), tick=False),
        django_assert_max_num_queries(len(one.captured_queries)),
    ):
        client.get(url)


def test_suggestion_is_issued_with_one_click_once(client, stalled_case, dispatcher, rsj):
    sweep(at(2026, 10, 11, 9))
    stall = Stall.objects.get()
    with time_machine.travel(at(2026, 10, 11, 9, 5), tick=False):
        sugg = [s for s in correction_suggestions(user=dispatcher) if s.stall_id == stall.pk]
        assert len(sugg) == 1 and "连续3个工作日无办理进展" in sugg[0].reason
        client.force_login(dispatcher)
        resp = client.post(reverse("dispatch:stall_correct", args=[stall.pk]))
        assert resp.status_code == 302
        corr = Correction.objects.get()
        assert corr.problem == "late_handling" and corr.suggested and corr.department == rsj
        assert corr.measure == "remind"
        # a second click does not issue a second one
        resp = client.post(reverse("dispatch:stall_correct", args=[stall.pk]), follow=True)
        assert "不会重复发出" in resp.content.decode()
        assert Correction.objects.count() == 1
        assert not [s for s in correction_suggestions(user=dispatcher) if s.stall_id]
    # the correction is an event: the stall ends at the next sweep
    assert sweep(at(2026, 10, 11, 10)).resolved == 1


def test_only_the_centre_issues_and_invisible_is_404(stalled_case, officer, supervisor, outsider):
    sweep(at(2026, 10, 11, 9))
    stall = Stall.objects.get()
    with pytest.raises(NotAllowed):
        stall_correction_issue(stall_id=stall.pk, actor=officer)
    with pytest.raises(NotAllowed):
        stall_correction_issue(stall_id=stall.pk, actor=outsider)
    with pytest.raises(NotFound):
        stall_correction_issue(stall_id=stall.pk + 100, actor=supervisor)
    with time_machine.travel(at(2026, 10, 11, 9, 5), tick=False):
        assert stall_correction_issue(stall_id=stall.pk, actor=supervisor).suggested
        with pytest.raises(Conflict):
            stall_correction_issue(stall_id=stall.pk, actor=supervisor)


def test_stall_correct_page_refuses_other_roles(client, stalled_case, officer):
    sweep(at(2026, 10, 11, 9))
    stall = Stall.objects.get()
    client.force_login(officer)
    assert client.post(reverse("dispatch:stall_correct", args=[stall.pk])).status_code == 403
    assert not Correction.objects.exists()


def test_beat_runs_the_sweep():
    from luodian_platform.celery import BEAT_ENTRIES

    entry = BEAT_ENTRIES["dispatch-sweep-stalls"]
    assert entry["task"] == "dispatch.sweep_stalls" and entry["options"]["expires"] > 0


def test_sweep_query_count_does_not_grow_with_cases(
    stalled_case, make_case, dispatcher, rsj, django_assert_max_num_queries
):
    with (
        time_machine.travel(at(2026, 10, 11, 9), tick=False),
        django_assert_max_num_queries(12) as one,
    ):
        stalls_sweep()
    for i in range(5):
        with time_machine.travel(LAST, tick=False):
            c = make_case("labour", title=f"又一件{i}")
            case_dispatch(case_id=c.pk, department=rsj, actor=dispatcher)
    with (
        time_machine.travel(at(2026, 10, 12, 9), tick=False),
        django_assert_max_num_queries(len(one.captured_queries)),
    ):
        assert stalls_sweep().created == 5


def test_api_suggestion_and_one_click(api, stalled_case, dispatcher, officer, officer2):
    sweep(at(2026, 10, 11, 9))
    stall = Stall.objects.get()
    with time_machine.travel(at(2026, 10, 11, 9, 5), tick=False):
        rows = api(dispatcher).get(reverse("api:correction-suggestions")).json()
        assert [r["stall"] for r in rows if r["stall"]] == [stall.pk]
        url = reverse("api:stall-correction", args=[stall.pk])
        assert api(officer).post(url, {}, format="json").status_code == 403
        assert api(officer2).post(url, {}, format="json").status_code == 404
        assert api(None).post(url, {}, format="json").status_code in (401, 403)
        resp = api(dispatcher).post(url, {}, format="json")
        assert resp.status_code == 201 and resp.json()["problem"] == "late_handling"
        again = api(dispatcher).post(url, {}, format="json")
        assert again.status_code == 409 and "不会重复发出" in again.json()["error"]["message"]
