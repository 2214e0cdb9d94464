"""The bulk channel path stores a batch together (issue 11: >= 200 orders/s): one block of
gap-free numbers, one INSERT each for cases, parties, events and channel orders, while
keeping every guarantee of one-at-a-time posts: per-order results, idempotency, risk
flags, notifications, nothing half-stored, and a race answered with the existing case."""

from __future__ import annotations

import copy

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from followup.models import Reminder, ReminderKind
from intake import channel as channel_module
from intake.channel import channel_token_issue
from intake.models import Case, CaseCounter, CaseEvent, ChannelOrder, Party, State
from intake.selectors import earlier_cases_of_applicants

from .conftest import VALID_ID

pytestmark = pytest.mark.django_db
BULK = "/api/channel/orders/bulk/"
ZHANG = {"role": "applicant", "name": "张三", "id_number": VALID_ID}


def _order(i, **over):
    data = {
        "external_id": f"B-{i}",
        "category": "neighbour",
        "title": f"排水纠纷{i}",
        "facts": "邻居修建排水沟导致雨水流入院内。",
        "township": "longping",
        "parties": [
            {"role": "applicant", "name": f"王{i}", "phone": f"1380000{i:04d}"},
            {"role": "respondent", "name": "李某"},
        ],
    }
    data.update(copy.deepcopy(over))
    return data


@pytest.fixture
def client(admin_user):
    from django.core.cache import cache

    cache.clear()
    _token, raw = channel_token_issue(channel="hotline_12345", name="批量", actor=admin_user)
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Channel {raw}")
    return c


def _post(client, orders):
    r = client.post(BULK, {"orders": orders}, format="json")
    assert r.status_code == 200, r.content
    return r.json()


def test_bulk_batch_gets_consecutive_numbers_parties_events_orders_and_per_order_results(
    client, dispatcher
):
    client.post("/api/channel/orders/", _order(0), format="json")  # already received
    last_before = CaseCounter.objects.get().last
    orders = [
        _order(0),  # existing
        _order(1, parties=[ZHANG, {"role": "respondent", "name": "李某"}]),
        _order(2, category="nope"),  # invalid: reported, blocks nothing
        _order(3, facts="该事项已向法院起诉,法院已立案。"),
        _order(1),  # the same order twice in one batch
        _order(4, title="   "),  # invalid in the service's own check
        _order(5, parties=[ZHANG, {"role": "respondent", "name": "李某"}]),
    ]
    body = _post(client, orders)
    rows = body["results"]
    assert [r["index"] for r in rows] == list(range(7))
    assert [r["status"] for r in rows] == [
        "existing",
        "created",
        "invalid",
        "created",
        "existing",
        "invalid",
        "created",
    ]
    assert (body["created"], body["existing"], body["invalid"]) == (3, 2, 2)
    assert rows[2]["error"]["fields"]["category"]
    assert "title" in rows[5]["error"]["fields"]
    assert rows[4]["number"] == rows[1]["number"]
    assert rows[3]["other_proceeding"] == "litigation" and rows[3]["guidance"]
    # Gap-free: the block is exactly the created orders.
    numbers = sorted(r["number"] for r in rows if r["status"] == "created")
    seqs = [int(n.split("-")[1]) for n in numbers]
    assert seqs == list(range(last_before + 1, last_before + 4))
    assert CaseCounter.objects.get().last == last_before + 3
    for r in rows:
        if r["status"] == "created":
            case = Case.objects.get(number=r["number"])
            assert case.state == State.RECEIVED and case.channel == "hotline_12345"
            assert case.parties.count() >= 1
            assert CaseEvent.objects.filter(case=case, transition="receive").count() == 1
            assert ChannelOrder.objects.filter(case=case, source="bulk").count() == 1
            # The dispatchers hear of each new order (the event's post_save still runs).
            assert Reminder.objects.filter(
                case=case, kind=ReminderKind.NEW_CASE, recipient=dispatcher
            ).exists()
    # Parties are encrypted and blind-indexed like the single path's.
    p = Party.objects.get(case__number=rows[1]["number"], role="applicant")
    assert p.id_number == VALID_ID and p.id_number_bidx
    assert earlier_cases_of_applicants(id_numbers=[VALID_ID], phones=[]) == 2
    # The second order of the same applicant in the batch is a repeat petition (重复访).
    first, second = (Case.objects.get(number=rows[i]["number"]) for i in (1, 6))
    assert not first.is_repeat and second.is_repeat
    assert second.events.get().payload["auto_flags"] == ["repeat"]
    # Repeating the whole batch creates nothing.
    again = _post(client, orders)
    assert (again["created"], again["existing"], again["invalid"]) == (0, 5, 2)


def test_bulk_query_count_does_not_grow_with_the_batch(client):
    _post(client, [_order(i) for i in range(2)])
    with CaptureQueriesContext(connection) as small:
        _post(client, [_order(i) for i in range(10, 13)])
    with CaptureQueriesContext(connection) as large:
        _post(client, [_order(i) for i in range(100, 130)])

    # Storing is constant per batch (SQLite may split a large INSERT in two); per order only
    # the new-case notification (one INSERT … RETURNING; the audience is read once).
    def storing(ctx):
        return [
            q
            for q in ctx.captured_queries
            if "followup_reminder" not in q["sql"] and "luodian_platform_user" not in q["sql"]
        ]

    assert len(storing(large)) <= len(storing(small)) + 3
    assert (len(large) - len(storing(large))) / 30 <= 1.1


def test_a_race_on_an_external_id_falls_back_to_one_order_at_a_time(client, monkeypatch):
    _post(client, [_order(1)])
    before = Case.objects.count()
    # The batch does not see B-1 (as if another post committed it in between).
    monkeypatch.setattr(channel_module, "_existing_many", lambda channel, ids: {})
    body = _post(client, [_order(2), _order(1), _order(3)])
    assert [r["status"] for r in body["results"]] == ["created", "existing", "created"]
    assert Case.objects.count() == before + 2
    assert body["results"][1]["number"] == Case.objects.get(external_id="B-1").number


# --- issue 22: the look-ups of a batch are set-based; results equal the single path's ----


def _id_number(seq: int) -> str:
    from luodian_platform.validators import id_card_check_char

    first17 = f"52272819850315{seq:03d}"
    return first17 + id_card_check_char(first17)


def _mixed_orders(run: str, base: int) -> list[dict]:
    """Orders covering every flag: a repeat of an earlier case (by ID number, by phone), the
    same applicant twice in the batch, a group, a lawsuit in the facts, a violence risk."""
    who = [
        {"role": "applicant", "name": f"申{k}", "phone": f"1391{base + k:07d}"} for k in range(6)
    ]
    with_id = {"role": "applicant", "name": "赵某", "id_number": _id_number(base // 100)}
    resp = {"role": "respondent", "name": "某公司", "kind": "org"}
    return [
        _order(0, external_id=f"{run}-0", parties=[with_id, resp]),  # repeat by ID number
        _order(1, external_id=f"{run}-1", parties=[who[0], resp]),  # repeat by phone
        _order(2, external_id=f"{run}-2", parties=[who[1], resp]),  # new
        _order(3, external_id=f"{run}-3", parties=[who[1], resp]),  # repeat in the batch
        _order(4, external_id=f"{run}-4", parties=[who[2], resp], people_count=8),  # group
        _order(5, external_id=f"{run}-5", parties=[who[3], resp], facts="该事项已向法院起诉。"),
        _order(6, external_id=f"{run}-6", parties=[who[4], resp], is_violence_risk=True),
        _order(7, external_id=f"{run}-7", parties=[who[5], who[3], resp]),  # 2nd applicant seen
        _order(8, external_id=f"{run}-0", parties=[with_id, resp]),  # the same order again
    ]


def _earlier_cases(client, run: str, base: int) -> None:
    """Earlier cases of two of the applicants (in the duplicate window)."""
    orders = _mixed_orders(run, base)
    for i, k in ((0, "a"), (1, "b")):
        order = {**orders[i], "external_id": f"{run}-earlier-{k}"}
        assert client.post("/api/channel/orders/", order, format="json").status_code == 201


def _outcome(row: dict) -> tuple:
    case = Case.objects.get(number=row["number"])
    event = case.events.get(transition="receive")
    return (
        row.get("status") or ("created" if row["created"] else "existing"),
        row["other_proceeding"],
        row["guidance"],
        case.is_repeat,
        case.is_group,
        case.is_violence_risk,
        case.risk_level,
        case.people_count,
        event.payload["auto_flags"],
        event.payload["other_proceeding"],
        Reminder.objects.filter(case=case, kind=ReminderKind.NEW_CASE).count(),
    )


def test_bulk_gives_each_order_the_results_and_flags_of_the_single_path(client, dispatcher):
    _earlier_cases(client, "S", 100)
    single = []
    for order in _mixed_orders("S", 100):
        r = client.post("/api/channel/orders/", order, format="json")
        assert r.status_code in (200, 201), r.content
        single.append(_outcome(r.json()))
    _earlier_cases(client, "M", 200)  # other people: the single run is no earlier case here
    rows = _post(client, _mixed_orders("M", 200))["results"]
    bulk = [_outcome(row) for row in rows]
    assert bulk == single
    # The flags are really there (the comparison is not between two empty runs).
    assert [o[3] for o in bulk] == [True, True, False, True, False, False, False, True, True]
    assert bulk[4][4] and bulk[6][6] == "high" and bulk[5][1] == "litigation"
    assert bulk[8][0] == "existing" and bulk[0][10] >= 1


def test_bulk_query_count_is_the_same_for_3_and_30_orders(client):
    _post(client, [_order(i) for i in range(2)])
    with CaptureQueriesContext(connection) as small:
        _post(client, [_order(i) for i in range(10, 13)])
    with CaptureQueriesContext(connection) as large:
        _post(client, [_order(i) for i in range(100, 130)])

    # Authentication, slugs, duplicates, repeats, numbers, cases, parties, events, channel
    # orders and the new-case notifications: each one statement per batch.
    def statements(ctx):
        return sorted(q["sql"].split("(")[0].split('"s')[0][:40] for q in ctx.captured_queries)

    assert set(statements(large)) == set(statements(small))
    # SQLite caps the parameters of a statement: it sends 30 cases' INSERT in two parts.
    split = 0 if connection.vendor == "postgresql" else 1
    assert len(small) <= len(large) <= len(small) + split, statements(large)


def test_a_frequent_callers_many_earlier_cases_are_one_probe(client):
    """The repeat look-up stops at the first earlier case of an applicant."""
    from intake.selectors import applicant_index_hits
    from luodian_platform.crypto import blind_index

    hot = {"role": "applicant", "name": "常来电", "phone": "13912345678"}
    body = _post(
        client,
        [_order(i, parties=[hot, {"role": "respondent", "name": "李某"}]) for i in range(20)],
    )
    assert body["created"] == 20
    hits = applicant_index_hits(
        id_bidx={blind_index(VALID_ID)},
        phone_bidx={blind_index("13912345678"), blind_index("13900000000")},
    )
    assert hits == {("phone", blind_index("13912345678"))}
    assert applicant_index_hits(id_bidx=set(), phone_bidx={""}) == set()
