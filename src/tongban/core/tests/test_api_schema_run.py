"""A bounded property-based run of the whole API against its own OpenAPI file (issue 9,
ADR 0090): Schemathesis generates valid and invalid requests for every operation
(~25 examples each, fixed seed), sends them to the WSGI app in-process with a real bearer
token of a staff user and of the platform admin on the test world, and fails on any 5xx
and on any answer whose status, content type or body the OpenAPI file does not describe.

Runs inside `make test` like every other test; on both databases (a few minutes each)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import RequestFactory
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tongban.accounts import actions as account_actions
from tongban.testing.world import PASSWORD
from tongban.wsgi import application

EXAMPLES_PER_OPERATION = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    max_examples=EXAMPLES_PER_OPERATION,
    deterministic=True,  # same examples on every run: a failure is reproducible
    database="none",  # nothing written to .hypothesis/
)
schema.config.phases.update(phases=["examples", "fuzzing"])


@pytest.fixture
def requests_share_the_test_transaction() -> Iterator[None]:
    """The WSGI handler closes "old" connections at each request's start and end, which
    would drop the test's transaction; Django's test client disconnects the same hook."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture(params=["421102-officer", "platform-admin"])
def bearer(request, world, requests_share_the_test_transaction) -> str:
    # the sign-in goes through django-axes, which needs the request it counts against
    http_request = RequestFactory().post("/api/v1/auth/token")
    issued = account_actions.issue_token(http_request, request.param, PASSWORD)
    return f"Bearer {issued.key}"


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case, bearer):
    case.call_and_validate(headers={"Authorization": bearer}, checks=CHECKS)
