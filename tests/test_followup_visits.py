"""Issue 8: visits, satisfaction, rework, unreachable, phone reveal, 12345 import."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from dispatch.services import case_approve, case_dispatch, case_sign_for
from followup.models import SatisfactionResult, Visit
from followup.services import satisfaction_import, visit_record
from intake.models import Case, Channel, Outcome, State
from luodian_platform.errors import NotAllowed, NotFound, ServiceError

from .scenery import reply_with_records

pytestmark = pytest.mark.django_db


def handle_and_close(case_id, officer, dispatcher, outcome=Outcome.AGREEMENT):
    case_sign_for(case_id=case_id, actor=officer)
    reply_with_records(case_id, officer, outcome)
    return case_approve(case_id=case_id, actor=dispatcher)


@pytest.fixture
def closed_case(make_case, dispatcher, officer, rsj):
    case = make_case()
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    return handle_and_close(case.pk, officer, dispatcher)


def first_visit(case):
    return Visit.objects.filter(case=case).order_by("round", "seq").first()


def test_dissatisfied_visit_reopens_with_new_deadline_and_new_visit_after_handling(
    closed_case, followup_officer, officer, dispatcher, rsj
):
    import datetime as dt

    from django.utils import timezone

    visit = first_visit(closed_case)
    old_due = timezone.now() - dt.timedelta(days=10)
    Case.objects.filter(pk=closed_case.pk).update(due_at=old_due)
    visit = visit_record(
        visit_id=visit.pk,
        actor=followup_officer,
        reached=True,
        satisfaction="dissatisfied",
        comments="工资仍未结清",
    )
    assert visit.led_to_rework and visit.status == Visit.Status.DONE
    case = Case.objects.get(pk=closed_case.pk)
    assert case.state == State.DISPATCHED and case.department_id == rsj.pk
    assert case.rework_count == 1 and case.due_at > timezone.now() > old_due
    assert "工资仍未结清" in case.events.filter(transition="reopen").get().note
    # The round's later visit is cancelled; the next round's come when it is closed again.
    assert not Visit.objects.filter(case=case, status=Visit.Status.SCHEDULED).exists()
    handle_and_close(case.pk, officer, dispatcher)
    new = Visit.objects.filter(case=case, round=1, status=Visit.Status.SCHEDULED)
    assert new.count() == 2


def test_agreement_not_performed_also_reworks(closed_case, followup_officer):
    visit = visit_record(
        visit_id=first_visit(closed_case).pk,
        actor=followup_officer,
        reached=True,
        satisfaction="basic",
        agreement_performed=False,
    )
    assert visit.led_to_rework
    assert Case.objects.get(pk=closed_case.pk).state == State.DISPATCHED


def test_unreachable_after_n_failed_attempts(closed_case, followup_officer):
    visit = first_visit(closed_case)
    assert visit.max_attempts == 3
    for _ in range(2):
        visit = visit_record(visit_id=visit.pk, actor=followup_officer, reached=False)
        assert visit.status == Visit.Status.SCHEDULED
    visit = visit_record(visit_id=visit.pk, actor=followup_officer, reached=False)
    assert visit.status == Visit.Status.UNREACHABLE and visit.attempts.count() == 3
    assert Case.objects.get(pk=closed_case.pk).state == State.CLOSED


def test_satisfied_visit_allows_archiving(closed_case, followup_officer):
    from followup.services import case_archive

    visit_record(
        visit_id=first_visit(closed_case).pk,
        actor=followup_officer,
        reached=True,
        satisfaction="satisfied",
        agreement_performed=True,
    )
    assert case_archive(case_id=closed_case.pk, actor=followup_officer).state == State.ARCHIVED


def test_reached_visit_needs_satisfaction_and_cannot_be_recorded_twice(
    closed_case, followup_officer
):
    visit = first_visit(closed_case)
    with pytest.raises(ServiceError):
        visit_record(visit_id=visit.pk, actor=followup_officer, reached=True)
    visit_record(visit_id=visit.pk, actor=followup_officer, reached=True, satisfaction="satisfied")
    with pytest.raises(ServiceError):  # Conflict
        visit_record(
            visit_id=visit.pk, actor=followup_officer, reached=True, satisfaction="satisfied"
        )


def test_other_roles_cannot_record_visits(closed_case, officer, clerk):
    visit = first_visit(closed_case)
    for user in (officer, clerk):
        with pytest.raises(NotFound):
            visit_record(visit_id=visit.pk, actor=user, reached=False)


def test_workbench_masks_phone_until_call_and_logs_the_reveal(
    client, closed_case, followup_officer, supervisor
):
    visit = first_visit(closed_case)
    Visit.objects.filter(pk=visit.pk).update(due_date=visit.due_date.replace(year=2020))
    client.force_login(followup_officer)
    page = client.get(reverse("followup:workbench")).content.decode()
    assert closed_case.number in page and "13800138000" not in page and "138****8000" in page
    party = closed_case.parties.exclude(phone="").get()
    url = reverse("followup:phone_reveal", args=[visit.pk, party.pk])
    assert client.get(url).status_code == 405
    resp = client.post(url)
    assert resp.status_code == 200 and "13800138000" in resp.content.decode()
    # One log (issue 14): the visit's call is a reveal of the party's phone, tied to the visit.
    from intake.models import PersonalDataReveal

    log = PersonalDataReveal.objects.get(party=party, actor=followup_officer)
    assert (log.fields, log.subject, log.object_ref, log.case_id) == (
        "phone",
        "visit",
        f"visit:{visit.pk}",
        closed_case.pk,
    )
    page = client.get(reverse("followup:visit", args=[visit.pk])).content.decode()
    assert "号码查看记录" in page and party.name in page


def test_workbench_and_reveal_refuse_other_roles(client, closed_case, officer, outsider):
    visit = first_visit(closed_case)
    party = closed_case.parties.exclude(phone="").get()
    assert client.get(reverse("followup:workbench")).status_code == 302  # anonymous
    client.force_login(officer)
    assert client.get(reverse("followup:workbench")).status_code == 403
    assert (
        client.post(reverse("followup:phone_reveal", args=[visit.pk, party.pk])).status_code == 403
    )


def test_visit_page_records_a_visit(client, closed_case, followup_officer):
    visit = first_visit(closed_case)
    client.force_login(followup_officer)
    url = reverse("followup:visit", args=[visit.pk])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"reached": "1", "agreement_performed": "unknown"})
    assert bad.status_code == 200 and "满意度" in bad.content.decode()
    ok = client.post(
        url, {"reached": "1", "satisfaction": "satisfied", "agreement_performed": "true"}
    )
    assert ok.status_code == 302
    visit.refresh_from_db()
    assert visit.satisfaction == "satisfied" and visit.agreement_performed is True


# --- 12345 import ------------------------------------------------------------------------


@pytest.fixture
def hotline_case(make_case):
    return make_case(channel=Channel.HOTLINE_12345, external_id="GZ12345-0001")


def test_import_matches_by_channel_and_external_id_and_reports_unmatched(hotline_case, dispatcher):
    rows = [
        {"external_id": "GZ12345-0001", "satisfaction": "不满意", "rated_at": "2026-03-05 10:00"},
        {"external_id": "GZ12345-9999", "satisfaction": "满意"},
        {"external_id": "GZ12345-0001", "satisfaction": "还行"},
        {"external_id": "GZ12345-0001", "satisfaction": "满意", "channel": Channel.ZONGZHI},
    ]
    report = satisfaction_import(rows=rows, actor=dispatcher)
    assert (report.matched, report.created) == (1, 1)
    assert [u["row"] for u in report.unmatched] == [2, 3, 4]
    assert SatisfactionResult.objects.get().case_id == hotline_case.pk
    again = satisfaction_import(rows=rows[:1], actor=dispatcher)
    assert again.created == 0  # re-import does not double count


def test_import_refuses_other_roles(hotline_case, clerk):
    with pytest.raises(NotAllowed):
        satisfaction_import(rows=[], actor=clerk)


def test_import_page_with_csv(client, hotline_case, followup_officer):
    client.force_login(followup_officer)
    data = "工单号,满意度,评价时间,备注\nGZ12345-0001,满意,2026-03-05,\nNOPE,满意,,\n".encode()
    f = io.BytesIO(data)
    f.name = "r.csv"
    resp = client.post(reverse("followup:import"), {"file": f})
    body = resp.content.decode()
    assert resp.status_code == 200 and "NOPE" in body and "未找到对应案件" in body


def test_import_api(api, hotline_case, dispatcher, clerk):
    url = reverse("api:followup-satisfaction-import")
    payload = {
        "rows": [
            {"external_id": "GZ12345-0001", "satisfaction": "满意"},
            {"external_id": "X", "satisfaction": "满意"},
        ]
    }
    assert api(None).post(url, payload, format="json").status_code in (401, 403)
    assert api(clerk).post(url, payload, format="json").status_code == 403
    assert api(dispatcher).post(url, {}, format="json").status_code == 400
    resp = api(dispatcher).post(url, payload, format="json")
    assert resp.status_code == 200
    assert resp.json()["matched"] == 1 and resp.json()["unmatched"][0]["external_id"] == "X"


def test_visit_call_refuses_a_party_of_another_case_even_one_the_caller_sees(
    client, make_case, closed_case, dispatcher, officer, followup_officer, rsj
):
    """The visit's case bounds the reveal: someone who sees another case (the dispatch room
    sees all; a follow-up officer sees every case they visit) cannot read its parties'
    numbers through this visit. Removing the case check in followup.services.phone_reveal
    makes this fail."""
    from followup.services import phone_reveal
    from intake.models import PersonalDataReveal

    other = make_case()
    case_dispatch(case_id=other.pk, department=rsj, actor=dispatcher)
    other = handle_and_close(other.pk, officer, dispatcher)
    visit = first_visit(closed_case)
    stranger = other.parties.exclude(phone="").first()
    assert stranger is not None
    callers = [dispatcher]
    if Visit.objects.filter(case=other, assignee=followup_officer).exists() and (
        Visit.objects.filter(pk=visit.pk, assignee=followup_officer).exists()
    ):
        callers.append(followup_officer)
    for caller in callers:
        with pytest.raises(NotFound):
            phone_reveal(visit_id=visit.pk, party_id=stranger.pk, actor=caller)
        client.force_login(caller)
        url = reverse("followup:phone_reveal", args=[visit.pk, stranger.pk])
        assert client.post(url).status_code == 404
    assert not PersonalDataReveal.objects.filter(party=stranger).exists()
    # The same caller may call the visit's own party (the refusal above is about the case).
    own = closed_case.parties.exclude(phone="").first()
    assert phone_reveal(visit_id=visit.pk, party_id=own.pk, actor=dispatcher) == own.phone
