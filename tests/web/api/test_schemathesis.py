"""A bounded schemathesis run against our OpenAPI schema (/api/v1/schema/, drf-spectacular): every
operation, generated inputs, as a dispatcher and as a clerk (token auth), through Django's WSGI app
on the test database. Nothing generated from the schema may be a server error, and every answer
must match the schema's documented responses.

Deterministic (derandomize) and bounded (MAX_EXAMPLES per operation) so the whole run stays well
under 90 s on two cores. It runs on PostgreSQL (where a stray NUL or an over-long value used to be a
500) and is skipped elsewhere.
"""

from __future__ import annotations

import itertools

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from casecenter.wsgi import application
from cases.enums import State
from tests.factories import make_case_in_state

MAX_EXAMPLES = 12

schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
CHECKS = [schemathesis.checks.not_a_server_error, schemathesis.checks.response_schema_conformance]

SEEN: dict[str, list[int]] = {}  # operation -> statuses answered (read by the -s summary below)

# Every other example that names a case names a real one, so the operations get past the 404.
_alternate = itertools.cycle([True, False])
_calls = itertools.count(1)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # Django's WSGI handler closes "old" connections at the start and end of each request, which
    # would close the test's own transaction; Django's test client disconnects this the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(users):
    return {role: Token.objects.create(user=users[role]).key for role in ("dispatcher", "clerk_cgj")}


@pytest.fixture
def real_case(users):
    return make_case_in_state(State.IN_PROGRESS, users)


@pytest.mark.postgres
@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_generated_request_with_a_server_error(case, tokens, real_case):
    if "tracking_no" in (case.path_parameters or {}) and next(_alternate):
        case.path_parameters["tracking_no"] = real_case.tracking_no
    for key in tokens.values():
        n = next(_calls)  # each call from its own address: the public throttles would answer 429 otherwise
        response = case.call_and_validate(
            headers={"Authorization": f"Token {key}"},
            checks=CHECKS,
            environ_overrides={"REMOTE_ADDR": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"},
        )
        SEEN.setdefault(f"{case.method} {case.path}", []).append(response.status_code)


def teardown_module() -> None:
    if SEEN:
        calls = sum(len(v) for v in SEEN.values())
        print(f"\nschemathesis: {len(SEEN)} operations, {calls} calls")
        for operation, statuses in sorted(SEEN.items()):
            print(f"  {operation}: {len(statuses)} calls, statuses {sorted(set(statuses))}")
