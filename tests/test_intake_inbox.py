"""The dispatch room's channel inbox: one-click and batch take-in, reject/merge with a
reason, access per role, and a query count that does not grow with rows."""

from __future__ import annotations

import pytest

from intake.channel import channel_order_submit
from intake.models import Case, State
from intake.services import CaseInput, PartyInput, case_take_in_many
from luodian_platform.models import Category

pytestmark = pytest.mark.django_db

INBOX = "/intake/inbox/"
TAKE_IN = "/intake/inbox/take-in/"


@pytest.fixture
def receive(db):
    counter = iter(range(1, 10_000))

    def _receive(**over):
        data = CaseInput(
            title=over.pop("title", "咨询劳动仲裁流程"),
            facts=over.pop("facts", "来电人咨询如何申请劳动仲裁。"),
            category=Category.objects.get(code="consultation"),
            external_id=over.pop("external_id", f"ext-{next(counter)}"),
            parties=[PartyInput(role="applicant", name="王小明", phone="13800138000")],
        )
        return channel_order_submit(channel="hotline_12345", data=data, payload={}).case

    return _receive


def test_dispatcher_takes_in_one_order_with_one_click(client, dispatcher, receive):
    case = receive()
    client.force_login(dispatcher)
    response = client.post(TAKE_IN, {"one": case.pk, "selected": []})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.REGISTERED
    assert case.events.order_by("id").last().actor == dispatcher


def test_dispatcher_takes_in_selected_orders_together(client, dispatcher, receive):
    a, b, c = receive(), receive(), receive()
    client.force_login(dispatcher)
    response = client.post(TAKE_IN, {"selected": [a.pk, b.pk]}, follow=True)
    states = dict(Case.objects.values_list("pk", "state"))
    assert states[a.pk] == states[b.pk] == State.REGISTERED and states[c.pk] == State.RECEIVED
    assert a.number in response.content.decode()


def test_batch_take_in_reports_those_already_handled(dispatcher, receive):
    a, b = receive(), receive()
    case_take_in_many(case_ids=[a.pk], actor=dispatcher)
    result = case_take_in_many(case_ids=[a.pk, b.pk], actor=dispatcher)
    assert [c.pk for c in result.done] == [b.pk]
    assert result.failed[0][0] == a.pk and "已登记" in result.failed[0][1]


def test_take_in_without_selection_is_a_message(client, dispatcher):
    client.force_login(dispatcher)
    response = client.post(TAKE_IN, {}, follow=True)
    assert "请先勾选要接单的工单" in response.content.decode()


@pytest.mark.parametrize("who", ["clerk", "officer", "supervisor", "outsider"])
def test_inbox_refuses_other_roles(client, request, receive, who):
    case = receive()
    client.force_login(request.getfixturevalue(who))
    assert client.get(INBOX).status_code == 403
    assert client.post(TAKE_IN, {"one": case.pk}).status_code == 403
    case.refresh_from_db()
    assert case.state == State.RECEIVED


def test_take_in_is_post_only_and_ignores_garbage_ids(client, dispatcher, receive):
    receive()
    client.force_login(dispatcher)
    assert client.get(TAKE_IN).status_code == 405
    client.post(TAKE_IN, {"selected": ["abc", "999999"]})
    assert Case.objects.filter(state=State.RECEIVED).count() == 1


def test_reject_with_reason_and_guidance_prefilled(client, dispatcher, receive):
    case = receive(facts="此事已申请仲裁,仲裁委已受理。")
    client.force_login(dispatcher)
    inbox = client.get(INBOX).content.decode()
    assert "已进入仲裁程序" in inbox
    form = client.get(f"/cases/{case.pk}/act/reject/?reason=x&route_to=仲裁").content.decode()
    assert 'value="仲裁"' in form
    response = client.post(
        f"/cases/{case.pk}/act/reject/",
        {
            "reason": "已进入仲裁程序,请向仲裁委了解进展",
            "route_to": "仲裁",
            "version": case.version,
        },
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.REJECTED and case.reject_channel == "仲裁"


def test_merge_order_into_existing_case(client, dispatcher, receive, make_case):
    earlier = make_case()
    case = receive()
    client.force_login(dispatcher)
    client.post(
        f"/cases/{case.pk}/act/merge/",
        {"into": earlier.number, "note": "同一欠薪纠纷", "version": case.version},
    )
    case.refresh_from_db()
    assert case.state == State.MERGED and case.merged_into == earlier


def test_inbox_query_count_does_not_grow_with_rows(
    client, dispatcher, receive, django_assert_max_num_queries
):
    receive()
    client.force_login(dispatcher)
    with django_assert_max_num_queries(15) as ctx:
        assert client.get(INBOX).status_code == 200
    first = len(ctx.captured_queries)
    for _ in range(10):
        receive(facts="已向法院起诉")
    with django_assert_max_num_queries(first):
        html = client.get(INBOX).content.decode()
    assert html.count('name="one"') == 11
