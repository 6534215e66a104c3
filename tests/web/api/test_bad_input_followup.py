"""Bad input on the citizen's follow-up (issue 13): ``public/supplement/``, ``public/urge/`` and
``public/feedback/`` with ``resolved`` and ``reason``. A wrong JSON type, NUL or lone surrogate in
any field is a 400 naming it, a wrong tracking number or code the 404 of an unknown case; nothing is
written either way."""

from __future__ import annotations

import pytest
import time_machine

from cases.enums import State
from tests.factories import make_case_in_state
from tests.sla.fixtures import at
from tests.web.api.api_helpers import NOT_TEXT, assert_error, assert_refused, case_row, public_client, send

pytestmark = pytest.mark.django_db

START = at(2026, 11, 23, 9, 30)  # Monday
OVERDUE = at(2026, 12, 11, 9, 0)  # the reply (13 working days) is late: an urge is allowed


@pytest.fixture
def pinned():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


# path: (the state the case is in, the extra body of a valid request)
ENDPOINTS = {
    "supplement": (State.ASSIGNED, {"text": "摊位在幸福路北侧。"}),
    "urge": (State.IN_PROGRESS, {}),
    "feedback": (State.ANSWERED, {"rating": "dissatisfied", "resolved": False, "reason": "not_solved"}),
}
FIELDS = [
    ("supplement", "tracking_no"),
    ("supplement", "access_code"),
    ("supplement", "text"),
    ("urge", "tracking_no"),
    ("urge", "access_code"),
    ("feedback", "tracking_no"),
    ("feedback", "access_code"),
    ("feedback", "rating"),
    ("feedback", "comment"),
    ("feedback", "reason"),
]


def _ready(users, pinned, name: str):
    state, extra = ENDPOINTS[name]
    case = make_case_in_state(state, users)
    if name == "urge":
        pinned.move_to(OVERDUE)
    return case, {"tracking_no": case.tracking_no, "access_code": case.access_code, **extra}


@pytest.mark.parametrize("name", list(ENDPOINTS))
def test_the_valid_request_passes(users, pinned, name):
    case, body = _ready(users, pinned, name)
    before = case_row(case)
    response = send(public_client(), f"/api/v1/public/{name}/", body)
    assert response.status_code == 200, response.content
    assert case_row(case) != before  # what the refusals below must not do


@pytest.mark.parametrize("value", NOT_TEXT, ids=repr)
@pytest.mark.parametrize(("name", "field"), FIELDS, ids=[f"{n}-{f}" for n, f in FIELDS])
def test_a_non_text_value_is_a_400_naming_the_field_and_changes_nothing(users, pinned, name, field, value):
    case, body = _ready(users, pinned, name)
    before = case_row(case)
    assert_refused(send(public_client(), f"/api/v1/public/{name}/", {**body, field: value}), field)
    assert case_row(case) == before


@pytest.mark.parametrize("resolved", ["false", 0, 1, "是", [], {}], ids=repr)
def test_feedback_with_resolved_not_a_boolean_is_a_400_and_changes_nothing(users, pinned, resolved):
    case, body = _ready(users, pinned, "feedback")
    before = case_row(case)
    assert_refused(send(public_client(), "/api/v1/public/feedback/", {**body, "resolved": resolved}), "resolved")
    assert case_row(case) == before


@pytest.mark.parametrize("reason", ["bored", "x" * 33])
def test_feedback_with_an_unknown_reason_is_a_400_and_changes_nothing(users, pinned, reason):
    case, body = _ready(users, pinned, "feedback")
    before = case_row(case)
    assert_refused(send(public_client(), "/api/v1/public/feedback/", {**body, "reason": reason}), "reason")
    assert case_row(case) == before


@pytest.mark.parametrize("name", list(ENDPOINTS))
@pytest.mark.parametrize(
    "change",
    [
        {"tracking_no": "99999999999999"},
        {"tracking_no": "２０２６１１２３０００01"},
        {"tracking_no": "²"},
        {"access_code": "ZZZZZZ"},
        {"access_code": "查询码查询码"},
    ],
    ids=repr,
)
def test_an_unknown_case_or_wrong_code_is_a_404_and_changes_nothing(users, pinned, name, change):
    case, body = _ready(users, pinned, name)
    before = case_row(case)
    assert_error(send(public_client(), f"/api/v1/public/{name}/", {**body, **change}), 404, "not_found")
    assert case_row(case) == before


@pytest.mark.parametrize("name", list(ENDPOINTS))
@pytest.mark.parametrize("body", [[], "x", 7, None], ids=repr)
def test_a_body_that_is_not_an_object_is_a_400(users, pinned, name, body):
    assert_error(send(public_client(), f"/api/v1/public/{name}/", body), 400, "invalid")
