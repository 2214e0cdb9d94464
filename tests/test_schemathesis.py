"""Fuzz the whole API from its own OpenAPI schema (schemathesis), on a populated database.

Every operation gets a bounded number of generated requests; none may answer a server error
(5xx) or a response that contradicts the schema (status, body). So that the requests reach
the code behind the 404s, the module builds once (in a transaction rolled back at the end)
objects every role involved can see — a 人社局 case with an agreement, notice, judicial
confirmation, session, extension, supervision, correction, court referral and a legal-aid
application (tests/access_matrix.World) — and points each path ``{id}`` at the object of its
kind. Requests rotate over several roles (dispatcher, 人社局 officer and mediator, supervisor,
clerk, administrator), each with its own API token, and the channel endpoints are called
with a channel token. Runs in both CI passes; ``FUZZ_EXAMPLES`` raises the bound for a longer
local run (default 3 per operation).
"""

from __future__ import annotations

import itertools
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from luodian_platform.wsgi import application

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
ROLES = ("dispatcher", "officer", "mediator", "supervisor", "clerk", "admin")

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)

# Path prefix -> the World kind whose id goes into ``{id}``.
KINDS = {
    "/api/cases/": "case",
    "/api/agreements/": "agreement",
    "/api/notices/": "notice",
    "/api/judicial-confirmations/": "jc_applied",
    "/api/sessions/": "session",
    "/api/extensions/": "extension",
    "/api/supervisions/": "supervision",
    "/api/corrections/": "correction",
    "/api/court-referrals/": "referral",
    "/api/legal-services/": "legal_aid",
    "/api/files/": "file",
}
_turn = itertools.count()


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup, django_db_blocker):
    from django.db import transaction

    from intake.channel import channel_token_issue
    from luodian_platform.models import User
    from luodian_platform.tokens import staff_token_issue
    from tests.access_matrix import World

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            users = {
                name: User.objects.select_related("department", "window").get(username=name)
                for name in (*ROLES, "followup")
            }
            world = World(users)
            ids = {prefix: world.obj(kind).pk for prefix, kind in KINDS.items()}
            ids["/api/parties/"] = world.case.parties.order_by("pk").first().pk
            tokens = {role: staff_token_issue(actor=users[role], name="fuzz")[1] for role in ROLES}
            _row, channel_raw = channel_token_issue(
                channel="hotline_12345", name="fuzz", actor=users["admin"]
            )
            yield {"ids": ids, "tokens": tokens, "channel": channel_raw}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """schemathesis calls the WSGI app directly, so Django's request signals run
    ``close_old_connections``, which closes the test's connection (it sits inside the test
    transaction) on PostgreSQL. Django's test client disconnects it the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _headers(path: str, world: dict) -> dict:
    if path.startswith("/api/channel/"):
        return {"Authorization": f"Channel {world['channel']}"}
    role = ROLES[next(_turn) % len(ROLES)]
    return {"Authorization": f"Token {world['tokens'][role]}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_from_its_schema(case, fuzz_world):
    path = case.operation.path
    if "id" in (case.path_parameters or {}):
        prefix = next((p for p in fuzz_world["ids"] if path.startswith(p)), None)
        if prefix is not None:
            case.path_parameters = {**case.path_parameters, "id": fuzz_world["ids"][prefix]}
    case.call_and_validate(
        headers=_headers(path, fuzz_world),
        checks=[not_a_server_error, response_schema_conformance],
    )


def test_the_fuzz_reaches_objects_not_only_404s(fuzz_world, dispatcher):
    """The ids the fuzz uses exist and the roles see them (else every call is a 404)."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {fuzz_world['tokens']['officer']}")
    ids = fuzz_world["ids"]
    assert client.get(f"/api/cases/{ids['/api/cases/']}/").status_code == 200
    assert client.get(f"/api/agreements/{ids['/api/agreements/']}/").status_code == 200
    assert client.get(f"/api/notices/{ids['/api/notices/']}/").status_code == 200
