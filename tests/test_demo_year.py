"""The demo year: made through the services, deterministic for a seed, loaded once, every
end state and satisfaction level present, a county whose dashboard and evaluation have
figures, and no flood of reminders afterwards. A small year (60 cases) keeps this quick;
the other tests never see it (the test database holds the demo county without cases)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from dispatch.models import Correction, ExtensionRequest, Stall, Supervision
from dispatch.stalls import stalls_sweep
from followup import reminders
from followup.demo_year import already_loaded, load_demo_year
from followup.demo_year.plan import OPEN_PATHS, YEAR_PATHS
from followup.models import CourtFiling, Reminder, SatisfactionResult, Visit
from followup.selectors import Period, dashboard, evaluation_tables
from intake.models import Attachment, Case, CaseEvent, Channel, ProgressNote, State
from luodian_platform.workcal import local_tz
from mediation.models import (
    Agreement,
    CourtReferral,
    JudicialConfirmation,
    LegalService,
    MediationSession,
    Notice,
)

COUNT = 60
# A fixed moment, so the figures do not depend on the day the suite runs.
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=local_tz())


def _snapshot() -> list[tuple]:
    return list(
        Case.objects.order_by("number").values_list(
            "number", "state", "category__code", "channel", "township__code", "created_at"
        )
    )


def _counts() -> dict[str, int]:
    return {
        "cases": Case.objects.count(),
        "events": CaseEvent.objects.count(),
        "visits": Visit.objects.count(),
        "agreements": Agreement.objects.count(),
        "reminders": Reminder.objects.count(),
        "ratings": SatisfactionResult.objects.count(),
        "filings": CourtFiling.objects.count(),
        "notes": ProgressNote.objects.count(),
        "files": Attachment.objects.count(),
        "citizen": Visit.objects.filter(source=Visit.Source.CITIZEN).count(),
        "stalls": Stall.objects.count(),
    }


def test_the_test_database_has_no_demo_year(db):
    assert not already_loaded()
    assert Case.objects.count() == 0


def test_same_seed_same_year_and_a_second_load_adds_nothing(db):
    sid = transaction.savepoint()
    first = load_demo_year(count=COUNT, seed=7, now=NOW)
    snapshot, counts = _snapshot(), _counts()
    transaction.savepoint_rollback(sid)
    assert Case.objects.count() == 0

    second = load_demo_year(count=COUNT, seed=7, now=NOW)
    assert first.loaded and second.loaded
    assert _snapshot() == snapshot
    assert _counts() == counts
    assert counts["cases"] == COUNT

    again = load_demo_year(count=COUNT, seed=7, now=NOW)
    assert not again.loaded
    assert _counts() == counts
    # Another seed does not add a second year either: a loaded year is detected.
    assert not load_demo_year(count=COUNT, seed=8, now=NOW).loaded
    assert _counts() == counts


@pytest.fixture(scope="module")
def year(django_db_setup, django_db_blocker):
    """One small year for the tests below, loaded once for the module and rolled back at
    its end (each test's own transaction nests inside as a savepoint). The two tests above
    run first (file order), before this fixture exists."""
    with django_db_blocker.unblock(), transaction.atomic():
        result = load_demo_year(count=COUNT, seed=2026, now=timezone.now())
        assert result.loaded
        yield result
        transaction.set_rollback(True)


def test_every_step_goes_through_and_every_end_state_is_there(year, db):
    assert not year.failures, year.failures
    states = set(Case.objects.values_list("state", flat=True))
    assert states == set(State.values)
    # One case per path at least (the count allows it), each case made once.
    assert len(YEAR_PATHS) + len(OPEN_PATHS) <= COUNT
    assert len(set(Case.objects.values_list("number", flat=True))) == COUNT
    # Case numbers follow the calendar: the cases were lived in order of arrival.
    by_number = list(Case.objects.order_by("number").values_list("created_at", flat=True))
    assert by_number == sorted(by_number)
    # Online applications (4 % of the mix) may not be drawn in a 60-case test year.
    channels = set(Case.objects.values_list("channel", flat=True))
    assert set(Channel.values) - {Channel.ONLINE} <= channels <= set(Channel.values)


def test_every_satisfaction_level_and_the_mix_of_the_year(year, db):
    done = set(
        Visit.objects.filter(status=Visit.Status.DONE).values_list("satisfaction", flat=True)
    )
    assert done == {"satisfied", "basic", "dissatisfied"}
    assert Visit.objects.filter(status=Visit.Status.UNREACHABLE).exists()
    assert Visit.objects.filter(led_to_rework=True).exists()
    assert Case.objects.filter(rework_count__gt=0).exists()
    assert Case.objects.filter(bounce_count__gt=0).exists()
    assert Case.objects.filter(forced_dispatch=True).exists()
    assert Case.objects.filter(extension_count__gt=0).exists()
    assert ExtensionRequest.objects.filter(status=ExtensionRequest.Status.REFUSED).exists()
    assert CaseEvent.objects.filter(transition="resume").exists()
    assert CaseEvent.objects.filter(transition="send_back").exists()
    levels = set(Supervision.objects.values_list("level", flat=True))
    assert {Supervision.Level.URGE, Supervision.Level.SUPERVISE} <= levels
    assert Correction.objects.filter(feedback_at__isnull=False).exists()
    results = set(MediationSession.objects.values_list("result", flat=True))
    assert {"agreed", "adjourned", "failed"} <= results
    assert Agreement.objects.filter(effective_at__isnull=False).exists()
    assert Notice.objects.exists()
    late = Agreement.objects.filter(terms__performed_at__gt=F("terms__due_at"))
    assert late.exists()
    assert JudicialConfirmation.objects.filter(decided_at__isnull=False).exists()
    assert CourtReferral.objects.filter(reported_at__isnull=False).exists()
    assert LegalService.objects.filter(kind=LegalService.Kind.LEGAL_AID).exists()
    assert SatisfactionResult.objects.exists()
    assert CourtFiling.objects.count() == 12
    # Each step happened at its own time, not at the moment of the load.
    months = {
        timezone.localtime(at).month for at in Case.objects.values_list("created_at", flat=True)
    }
    assert len(months) >= 10


def test_the_dashboard_and_the_evaluation_have_figures(year, supervisor, client):
    today = timezone.localdate()
    period = Period(today - dt.timedelta(days=365), today, "year")
    figures = dashboard(user=supervisor, period=period)
    assert figures["head"]["new"] == COUNT
    assert figures["head"]["handled"] > 0 and figures["head"]["agreements"] > 0
    assert figures["head"]["open"] > 0
    assert figures["satisfaction_rate"] is not None
    assert figures["lawsuit_rate"] is not None
    assert len(figures["charts"]["category"]) > 3 and len(figures["charts"]["township"]) > 3
    departments, townships = evaluation_tables(period=period)
    assert sum(r.handled for r in departments) > 0
    assert any(r.agreements for r in departments) and any(r.rated for r in departments)
    assert sum(r.received for r in townships) > 0

    client.force_login(supervisor)
    page = client.get("/followup/dashboard/", {"period": "year"})
    assert page.status_code == 200
    evaluation = client.get(
        "/followup/evaluation/",
        {"period": "custom", "start": period.start.isoformat(), "end": period.end.isoformat()},
    )
    assert evaluation.status_code == 200
    assert sum(r.handled for r in evaluation.context["departments"]) > 0
    excel = client.get(
        "/followup/evaluation/",
        {
            "period": "custom",
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
            "format": "xlsx",
        },
    )
    assert excel.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(excel.content)).worksheets[0]
    numbers = [c for row in sheet.iter_rows(values_only=True) for c in row if isinstance(c, int)]
    assert any(n > 0 for n in numbers)


def test_notes_files_citizen_evaluations_and_stalls_come_through_their_services(year, db):
    notes = ProgressNote.objects.all()
    assert notes.exists()
    # Written by the officer of the department handling the case, at the step's time.
    assert not notes.exclude(author__groups__name="officer").exists()
    assert set(notes.values_list("kind", flat=True)) <= set(ProgressNote.Kind.values)
    assert not notes.filter(happened_at__lt=F("case__created_at")).exists()
    # Files hang on their note, as the note form's service stores them; each one opens.
    files = Attachment.objects.filter(target_kind="note")
    assert files.exists()
    assert set(files.values_list("file_type", flat=True)) <= {"png", "pdf"}
    from intake.evidence.services import attachment_open

    one = files.select_related("uploaded_by").first()
    opened = attachment_open(attachment_id=one.pk, actor=one.uploaded_by)
    with opened.handle as handle:
        assert handle.read(4) in (b"\x89PNG", b"%PDF")
    assert ProgressNote.objects.filter(pk=one.target_id, case_id=one.case_id).exists()
    # Applicants who answered the SMS link: a done visit of source citizen, one per round,
    # and a used link for each.
    from citizen.models import UsedLink

    citizen = Visit.objects.filter(source=Visit.Source.CITIZEN)
    assert citizen.exists()
    assert set(citizen.values_list("status", flat=True)) == {Visit.Status.DONE}
    assert UsedLink.objects.count() >= citizen.count()
    # 久未进展: the sweep ran at the load's moment; run again, it finds nothing new.
    assert Stall.objects.count() == year.stalls
    assert stalls_sweep(now=year.now).created == 0


def test_no_reminder_of_the_history_is_left_to_send(year, db):
    assert not Reminder.objects.filter(status=Reminder.Status.PENDING).exists()
    assert Reminder.objects.filter(status=Reminder.Status.SENT).exists()
    # The sweep already ran at the load's moment: the same sweep again writes nothing and
    # hands nothing to the workers.
    result = reminders.sweep(now=year.now)
    assert result.created == 0
    assert result.due_ids == []


MAIN_PAGES = [
    "intake:workbench",
    "intake:inbox",
    "intake:case_list",
    "dispatch:workbench",
    "dispatch:officer_workbench",
    "dispatch:corrections",
    "mediation:workbench",
    "mediation:legal_services",
    "followup:workbench",
    "followup:dashboard",
    "followup:evaluation",
]


def test_every_main_page_and_case_page_opens_on_the_demo_year(
    year, client, clerk, dispatcher, officer, officer2, mediator, followup_officer, supervisor
):
    for user in (clerk, dispatcher, officer, officer2, mediator, followup_officer, supervisor):
        client.force_login(user)
        for name in MAIN_PAGES:
            response = client.get(reverse(name))
            # Each role sees its own pages; none of them may break on a year of data.
            assert response.status_code in (200, 302, 403), (user.username, name)
    client.force_login(dispatcher)
    one_per_state = {}
    for pk, state in Case.objects.order_by("pk").values_list("pk", "state"):
        one_per_state.setdefault(state, pk)
    for state, pk in one_per_state.items():
        assert client.get(reverse("intake:case_detail", args=[pk])).status_code == 200, state
