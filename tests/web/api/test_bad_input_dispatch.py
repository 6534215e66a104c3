"""Bad input on the multi-tier dispatch transitions (issue 12): forward, a sub-unit's return,
approve_up, send_down, dispute, arbitrate, reclassify. Every wrong JSON type, NUL, lone surrogate,
unknown or wrongly typed id is a 400 naming the field (or the 404 of an unknown case) and changes
nothing: not the case's row, its events, its clocks or its levels."""

from __future__ import annotations

import pytest

from cases import forwarding, services
from cases.models import Case
from tests.cases.dispatch_fixtures import (  # noqa: F401
    MONDAY,
    forwarded_to_community,
    returned_by_cgj,
    signed_at_street_office,
    tier_users,
)
from tests.factories import CaseFactory, reply_kwargs
from tests.web.api.api_helpers import (
    NOT_INTEGER,
    NOT_TEXT,
    assert_error,
    assert_refused,
    case_row,
    send,
    staff_client,
    transition_path,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _monday(time_machine):
    time_machine.move_to(MONDAY, tick=False)


def _sub_replied(u: dict) -> Case:
    case = forwarded_to_community(u)
    case = services.case_sign_for(case=case, actor=u["clerk_jde01"], now=MONDAY)
    return services.case_reply(
        case=case, actor=u["clerk_jde01"], text="已上门核实。", now=MONDAY, **reply_kwargs(at=MONDAY)
    )


def _disputed(u: dict) -> Case:
    return forwarding.case_dispute(case=returned_by_cgj(u), actor=u["dispatcher"], note="属城管职责", now=MONDAY)


# name: (how to reach the state, who acts, a valid body, the fields to spoil)
TRANSITIONS = {
    "forward": (
        signed_at_street_office,
        "clerk_jde",
        {"department": "JD-E-01", "instructions": "请社区核实"},
        ["department", "instructions"],
    ),
    "return": (forwarded_to_community, "clerk_jde01", {"reason": "不属本社区"}, ["reason"]),
    "approve_up": (_sub_replied, "clerk_jde", {"note": "同意"}, ["note"]),
    "send_down": (_sub_replied, "clerk_jde", {"note": "请补充照片"}, ["note"]),
    "dispute": (returned_by_cgj, "dispatcher", {"note": "属城管职责"}, ["note"]),
    "arbitrate": (_disputed, "supervisor", {"department": "CGJ", "reason": "占道经营归城管"}, ["department", "reason"]),
    "reclassify": (
        lambda u: CaseFactory(actor=u["agent"], now=MONDAY),
        "dispatcher",
        {"kind": "help", "note": "应为求助"},
        ["category", "kind", "priority", "note"],
    ),
}
CASES = [(name, field) for name, (_, _, _, fields) in TRANSITIONS.items() for field in fields]


@pytest.mark.parametrize("value", NOT_TEXT, ids=repr)
@pytest.mark.parametrize(("name", "field"), CASES, ids=[f"{n}-{f}" for n, f in CASES])
def test_a_non_text_value_is_a_400_naming_the_field_and_changes_nothing(tier_users, name, field, value):
    reach, actor, body, _fields = TRANSITIONS[name]
    case = reach(tier_users)
    before = case_row(case)
    response = send(staff_client(tier_users[actor]), transition_path(case, name), {**body, field: value})
    assert_refused(response, field)
    assert case_row(case) == before


@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_the_valid_body_of_each_transition_passes(tier_users, name):
    # What the other tests spoil one field at a time is a body the transition takes.
    reach, actor, body, _fields = TRANSITIONS[name]
    case = reach(tier_users)
    response = send(staff_client(tier_users[actor]), transition_path(case, name), {**body, "version": case.version})
    assert response.status_code == 200, response.content
    assert response.json()["version"] == case.version + 1


@pytest.mark.parametrize("value", NOT_INTEGER, ids=repr)
@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_a_version_that_is_not_a_whole_number_is_a_400(tier_users, name, value):
    reach, actor, body, _fields = TRANSITIONS[name]
    case = reach(tier_users)
    before = case_row(case)
    response = send(staff_client(tier_users[actor]), transition_path(case, name), {**body, "version": value})
    assert_refused(response, "version")
    assert case_row(case) == before


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("forward", "department", "NOPE"),
        ("forward", "department", "x" * 5000),
        ("arbitrate", "department", "NOPE"),
        ("arbitrate", "department", "XFJ"),  # the dispatch desk is no department to arbitrate to
        ("reclassify", "category", "NOPE"),
        ("reclassify", "kind", "rant"),
        ("reclassify", "priority", "yesterday"),
    ],
)
def test_an_unknown_code_is_a_400_naming_the_field_and_changes_nothing(tier_users, name, field, value):
    reach, actor, body, _fields = TRANSITIONS[name]
    case = reach(tier_users)
    before = case_row(case)
    error = assert_refused(
        send(staff_client(tier_users[actor]), transition_path(case, name), {**body, field: value}), field
    )
    assert len(error["message"]) < 200  # the message quotes a long value only in part
    assert case_row(case) == before


@pytest.mark.parametrize("body", [[], "forward", 7, None, [{"department": "JD-E-01"}]], ids=repr)
def test_a_body_that_is_not_an_object_is_a_400_and_changes_nothing(tier_users, body):
    case = signed_at_street_office(tier_users)
    before = case_row(case)
    response = send(staff_client(tier_users["clerk_jde"]), transition_path(case, "forward"), body)
    assert_error(response, 400, "invalid")
    assert case_row(case) == before


@pytest.mark.parametrize("tracking_no", ["99999999999999", "²", "１２３", "x" * 40, "2026-11-23"])
def test_an_unknown_or_malformed_tracking_number_is_the_404_of_an_unknown_case(tier_users, tracking_no):
    response = send(
        staff_client(tier_users["clerk_jde"]),
        f"/api/v1/cases/{tracking_no}/transitions/forward/",
        {"department": "JD-E-01", "instructions": "请社区核实"},
    )
    assert_error(response, 404, "not_found")
