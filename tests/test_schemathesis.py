"""Fuzz the whole API from its own OpenAPI schema (schemathesis), as the dispatcher.

Every operation gets a bounded number of generated requests; none may answer a server
error (5xx) or a response that contradicts the schema. Runs in both CI passes (PostgreSQL
and SQLite); ``FUZZ_EXAMPLES`` raises the bound for a longer local run.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from luodian_platform.wsgi import application

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


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


@pytest.fixture
def dispatcher_token(dispatcher):
    from luodian_platform.tokens import staff_token_issue

    return staff_token_issue(actor=dispatcher, name="fuzz")[1]


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_from_its_schema(case, dispatcher_token):
    case.call_and_validate(
        headers={"Authorization": f"Token {dispatcher_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
