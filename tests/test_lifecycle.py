"""The case lifecycle: numbers, transitions, permissions, the event log, concurrency."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction
from django.utils import timezone

from dispatch.services import (
    case_approve,
    case_dispatch,
    case_resume,
    case_return,
    case_send_back,
    case_sign_for,
    case_suspend,
)
from followup.services import case_archive, case_reopen
from intake.models import Case, CaseEvent, Outcome, State
from intake.services import (
    case_create,
    case_handle_on_spot,
    case_merge,
    case_reject,
    case_take_in,
)
from luodian_platform.errors import Conflict, NotAllowed, NotFound, ServiceError
from mediation.services import case_reply, case_start_mediation

from .conftest import make_case_input, requires_postgres

pytestmark = pytest.mark.django_db


def _events(case) -> list[str]:
    return list(
        CaseEvent.objects.filter(case=case).order_by("id").values_list("transition", flat=True)
    )


def test_case_number_is_readable_and_sequential(make_case):
    a, b = make_case(), make_case()
    year = timezone.localtime().year
    assert a.number.startswith(f"LD{year}-") and len(a.number) == len(f"LD{year}-000001")
    assert int(b.number[-6:]) == int(a.number[-6:]) + 1


def test_rolled_back_registration_gives_its_number_back(make_case, clerk):
    first = make_case()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_case()
        raise RuntimeError("crash after numbering")
    second = make_case()
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1


def test_full_happy_path_logs_one_row_per_transition(
    make_case, dispatcher, officer, rsj, followup_officer
):
    case = make_case()
    case = case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    assert case.state == State.DISPATCHED and case.due_at is not None
    case = case_sign_for(case_id=case.pk, actor=officer)
    case = case_start_mediation(case_id=case.pk, actor=officer)
    case = case_reply(
        case_id=case.pk,
        actor=officer,
        outcome=Outcome.HANDLED,
        text="已答复当事人",
        document="答复意见书 2026-001",
    )
    assert case.state == State.REPLIED
    case = case_approve(case_id=case.pk, actor=dispatcher)
    assert case.state == State.CLOSED and case.closed_at
    case = case_archive(case_id=case.pk, actor=followup_officer)
    assert case.state == State.ARCHIVED
    assert _events(case) == [
        "register",
        "dispatch",
        "sign_for",
        "start_mediation",
        "reply",
        "approve",
        "archive",
    ]
    last = CaseEvent.objects.filter(case=case).last()
    assert (last.from_state, last.to_state, last.actor) == ("closed", "archived", followup_officer)


def test_channel_order_is_taken_in_rejected_or_merged(clerk, dispatcher, make_case):
    original = make_case()
    orders = [
        case_create(
            data=make_case_input(channel="hotline_12345", external_id=f"H-{i}"),
            actor=None,
            initial_state=State.RECEIVED,
            transition="receive",
        )
        for i in range(3)
    ]
    assert case_take_in(case_id=orders[0].pk, actor=dispatcher).state == State.REGISTERED
    rejected = case_reject(
        case_id=orders[1].pk, actor=dispatcher, reason="已进入诉讼程序", route_to="诉讼"
    )
    assert rejected.state == State.REJECTED and rejected.reject_channel == "诉讼"
    merged = case_merge(case_id=orders[2].pk, into_id=original.pk, actor=dispatcher)
    assert merged.state == State.MERGED and merged.merged_into_id == original.pk


def test_return_counts_a_bounce_and_forced_dispatch_cannot_be_returned(
    make_case, dispatcher, officer, rsj, settings
):
    settings.FORCED_DISPATCH_AFTER_RETURNS = 2
    case = make_case()
    for bounce in (1, 2):
        case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
        case = case_return(case_id=case.pk, actor=officer, reason="不属于本部门职责")
        assert case.state == State.REGISTERED and case.bounce_count == bounce
    case = case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    assert case.forced_dispatch
    with pytest.raises(Conflict, match="强制派单"):
        case_return(case_id=case.pk, actor=officer, reason="还是不归我们")
    assert Case.objects.get(pk=case.pk).state == State.DISPATCHED


def test_bounce_does_not_reset_the_clock(make_case, dispatcher, officer, rsj):
    case = make_case()
    first = case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    case_return(case_id=case.pk, actor=officer, reason="不属于本部门")
    again = case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    assert again.due_at == first.due_at and again.dispatched_at == first.dispatched_at


def test_suspend_and_resume_return_to_where_it_was(make_case, dispatcher, officer, rsj):
    case = make_case()
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    case_sign_for(case_id=case.pk, actor=officer)
    case_start_mediation(case_id=case.pk, actor=officer)
    assert (
        case_suspend(case_id=case.pk, actor=officer, reason="等待当事人补充材料").state
        == State.SUSPENDED
    )
    assert case_resume(case_id=case.pk, actor=officer).state == State.MEDIATING


def test_send_back_and_reopen_need_reasons(make_case, dispatcher, officer, rsj, followup_officer):
    case = make_case()
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    case_sign_for(case_id=case.pk, actor=officer)
    case_reply(
        case_id=case.pk, actor=officer, outcome=Outcome.HANDLED, text="已答复", document="答复书"
    )
    with pytest.raises(ServiceError):
        case_send_back(case_id=case.pk, actor=dispatcher, reason="  ")
    assert (
        case_send_back(case_id=case.pk, actor=dispatcher, reason="答复书不规范").state
        == State.ACCEPTED
    )
    case_reply(
        case_id=case.pk, actor=officer, outcome=Outcome.HANDLED, text="已答复", document="答复书"
    )
    case_approve(case_id=case.pk, actor=dispatcher)
    with pytest.raises(ServiceError):
        case_reopen(case_id=case.pk, actor=followup_officer, reason="")
    reopened = case_reopen(case_id=case.pk, actor=followup_officer, reason="当事人不满意")
    assert reopened.state == State.DISPATCHED and reopened.rework_count == 1
    assert reopened.department_id == rsj.pk and reopened.due_at > timezone.now()


def test_on_the_spot_consultation_closes_in_one_step(make_case, clerk):
    case = make_case("consultation")
    closed = case_handle_on_spot(case_id=case.pk, actor=clerk, answer="建议先行协商,可申请劳动仲裁")
    assert closed.state == State.CLOSED and closed.reply_text.startswith("建议")


# ----- refusals ---------------------------------------------------------------------------


def test_illegal_transition_names_the_state_and_allowed_actions(
    make_case, followup_officer, dispatcher
):
    case = make_case()
    with pytest.raises(Conflict) as exc:
        case_archive(case_id=case.pk, actor=dispatcher)
    assert "已登记" in exc.value.message and "派单" in exc.value.message
    assert exc.value.status == 409
    assert _events(case) == ["register"]


def test_wrong_role_cannot_dispatch(make_case, officer, rsj):
    case = make_case()
    with pytest.raises(NotFound):  # an officer does not even see an undispatched case
        case_dispatch(case_id=case.pk, department=rsj, actor=officer)


def test_clerk_sees_but_cannot_dispatch(make_case, clerk, rsj):
    case = make_case()
    with pytest.raises(NotAllowed):
        case_dispatch(case_id=case.pk, department=rsj, actor=clerk)
    assert Case.objects.get(pk=case.pk).state == State.REGISTERED


def test_officer_cannot_sign_for_other_departments_case(make_case, dispatcher, officer2, rsj):
    case = make_case()
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    with pytest.raises(NotFound):
        case_sign_for(case_id=case.pk, actor=officer2)
    with pytest.raises(NotFound):
        case_return(case_id=case.pk, actor=officer2, reason="x")


def test_reply_without_document_is_refused(make_case, dispatcher, officer, rsj):
    case = make_case()
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    case_sign_for(case_id=case.pk, actor=officer)
    with pytest.raises(ServiceError) as exc:
        case_reply(
            case_id=case.pk, actor=officer, outcome=Outcome.HANDLED, text="已答复", document=""
        )
    assert "document" in exc.value.fields
    assert Case.objects.get(pk=case.pk).state == State.ACCEPTED


def test_nobody_approves_their_own_reply(make_case, dispatcher, rsj, officer):
    officer.groups.add(*dispatcher.groups.all())  # an officer who also sits in the dispatch room
    officer._role_cache = None
    case = make_case()
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    case_sign_for(case_id=case.pk, actor=officer)
    case_reply(
        case_id=case.pk,
        actor=officer,
        outcome=Outcome.HANDLED,
        text="已答复",
        document="答复意见书",
    )
    with pytest.raises(NotAllowed):
        case_approve(case_id=case.pk, actor=officer)
    assert case_approve(case_id=case.pk, actor=dispatcher).state == State.CLOSED


def test_return_needs_a_reason(make_case, dispatcher, officer, rsj):
    case = make_case()
    case_dispatch(case_id=case.pk, department=rsj, actor=dispatcher)
    with pytest.raises(ServiceError):
        case_return(case_id=case.pk, actor=officer, reason="")
    assert Case.objects.get(pk=case.pk).bounce_count == 0


def test_stale_version_is_refused_as_a_concurrent_change(make_case, dispatcher, rsj):
    case = make_case()
    with pytest.raises(Conflict) as exc:
        case_dispatch(
            case_id=case.pk, department=rsj, actor=dispatcher, expected_version=case.version + 1
        )
    assert exc.value.code == "stale" and "刷新" in exc.value.message


def test_state_cannot_be_assigned_directly(make_case):
    case = make_case()
    with pytest.raises(AttributeError):
        case.state = State.CLOSED


def test_event_log_is_append_only(make_case):
    case = make_case()
    event = CaseEvent.objects.get(case=case)
    event.note = "tampered"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        CaseEvent.objects.filter(case=case).update(note="x")
    with pytest.raises(TypeError):
        CaseEvent.objects.filter(case=case).delete()


# ----- concurrency on real PostgreSQL --------------------------------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_dispatchers_at_once_one_wins(make_case, dispatcher, rsj):
    case = make_case()
    version = case.version
    barrier = threading.Barrier(20)

    def attempt(_i):
        try:
            barrier.wait()
            case_dispatch(
                case_id=case.pk, department=rsj, actor=dispatcher, expected_version=version
            )
            return "ok"
        except Conflict:
            return "conflict"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(attempt, range(20)))
    assert results.count("ok") == 1
    assert results.count("conflict") == 19
    assert CaseEvent.objects.filter(case=case, transition="dispatch").count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_numbers_stay_gap_free_under_parallel_registration(clerk):
    from intake.services import case_register

    barrier = threading.Barrier(10)

    def register(i):
        try:
            if i < 10:
                barrier.wait()
            return case_register(data=make_case_input(), actor=clerk).number
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        numbers = list(pool.map(register, range(50)))
    seqs = sorted(int(n[-6:]) for n in numbers)
    assert len(set(numbers)) == 50
    assert seqs == list(range(seqs[0], seqs[0] + 50))
