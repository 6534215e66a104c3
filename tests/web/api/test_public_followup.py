"""The citizens' API of issue 13 (API.md "Replies, citizens' additions, dissatisfaction"):
``public/supplement/``, ``public/urge/``, ``public/feedback/`` with ``resolved`` and ``reason``, and
the tracking answer's expected reply date and merged case. Bad input changes nothing."""

from __future__ import annotations

import pytest
import time_machine

from cases import services
from cases.enums import State
from cases.models import Case
from tests.factories import CaseFactory, make_case_in_state, reply_kwargs
from tests.sla.fixtures import at

from .api_helpers import assert_error, public_client

pytestmark = pytest.mark.django_db

START = at(2026, 11, 23, 9, 30)  # Monday


@pytest.fixture
def pinned():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def creds(case: Case, **body: object) -> dict:
    return {"tracking_no": case.tracking_no, "access_code": case.access_code, **body}


def post(path: str, body: dict):
    return public_client().post(f"/api/v1/public/{path}/", body, format="json")


def unchanged(case: Case) -> tuple:
    fresh = Case.objects.get(pk=case.pk)
    return (fresh.state, fresh.version, fresh.events.count(), fresh.rating)


def test_a_supplement_appears_in_the_public_timeline(users, pinned):
    case = make_case_in_state(State.ASSIGNED, users)
    response = post("supplement", creds(case, text="摊位在幸福路北侧。"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["timeline"][-1]["transition"] == "supplement"
    assert body["timeline"][-1]["note"] == "摊位在幸福路北侧。"
    assert body["can_supplement"] is True


@pytest.mark.parametrize(
    "body,status,code,field",
    [
        ({"text": "有\x00空字符"}, 400, "invalid", "text"),
        ({"text": ["列表"]}, 400, "invalid", "text"),
        ({"text": ""}, 400, "invalid", "text"),
        ({"text": "长" * 2001}, 400, "invalid", "text"),
        ({"text": "好", "access_code": "ZZZZZZ"}, 404, "not_found", None),
    ],
)
def test_bad_supplements_get_a_clear_error_and_change_nothing(users, pinned, body, status, code, field):
    case = make_case_in_state(State.IN_PROGRESS, users)
    before = unchanged(case)
    error = assert_error(post("supplement", {**creds(case), **body}), status, code)
    if field:
        assert field in error["fields"]
    assert unchanged(case) == before


def test_a_supplement_on_a_closed_case_is_a_409(users, pinned):
    case = make_case_in_state(State.CLOSED, users)
    before = unchanged(case)
    error = assert_error(post("supplement", creds(case, text="还有问题")), 409, "conflict")
    assert error["state"] == "closed"
    assert unchanged(case) == before


def test_an_urge_is_409_before_the_deadline_200_after_it_and_429_the_second_time_that_day(users, pinned):
    case = make_case_in_state(State.IN_PROGRESS, users)
    assert_error(post("urge", creds(case)), 409, "conflict")

    pinned.move_to(at(2026, 12, 11, 10, 0))  # the reply was due on 10 December 17:30
    track = public_client().get("/api/v1/public/track/", creds(case)).json()
    assert (track["deadline_status"], track["can_urge"]) == ("overdue", True)
    response = post("urge", creds(case))
    assert response.status_code == 200, response.content
    assert response.json()["timeline"][-1]["transition"] == "sla.citizen.urged"

    before = unchanged(case)
    assert_error(post("urge", creds(case)), 429, "too_many_requests")
    assert_error(post("urge", creds(case, access_code="ZZZZZZ")), 404, "not_found")
    assert unchanged(case) == before


def test_dissatisfied_feedback_needs_a_reason_from_the_list(users, pinned):
    case = make_case_in_state(State.ANSWERED, users)
    before = unchanged(case)
    error = assert_error(post("feedback", creds(case, rating="dissatisfied")), 400, "invalid")
    assert error["fields"] == {"reason": ["请选择不满意的原因。"]}
    assert_error(post("feedback", creds(case, rating="dissatisfied", reason="unstated")), 400, "invalid")
    assert_error(post("feedback", creds(case, rating="satisfied", resolved="yes")), 400, "invalid")
    assert unchanged(case) == before

    response = post(
        "feedback", creds(case, rating="dissatisfied", reason="no_contact", resolved=False, comment="没人联系我")
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["rating"], body["dissatisfied_reason"], body["can_give_feedback"]) == (
        "pending_decision",
        "dissatisfied",
        "no_contact",
        False,
    )
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.feedback_resolved, fresh.closed_at) == (False, None)


def test_satisfied_feedback_with_resolved_closes_the_case(users, pinned):
    case = make_case_in_state(State.ANSWERED, users)
    body = post("feedback", creds(case, rating="satisfied", resolved=True)).json()
    assert body["state"] == "closed"
    assert Case.objects.get(pk=case.pk).feedback_resolved is True


def test_the_tracking_answer_gives_the_expected_reply_date(users, pinned):
    registered = make_case_in_state(State.REGISTERED, users)
    body = public_client().get("/api/v1/public/track/", creds(registered)).json()
    assert (body["expected_reply_at"], body["expected_reply_estimated"]) == ("2026-12-10T17:30:00+08:00", True)
    answered = make_case_in_state(State.ANSWERED, users)
    body = public_client().get("/api/v1/public/track/", creds(answered)).json()
    assert (body["expected_reply_at"], body["can_supplement"], body["merged_into"]) == (None, False, None)


def test_the_citizen_of_a_merged_case_sees_the_surviving_case_and_its_answer(users, pinned):
    survivor = make_case_in_state(State.IN_PROGRESS, users)
    merged = services.case_merge(
        case=CaseFactory(actor=users["agent"]), actor=users["dispatcher"], duplicate_of=survivor.tracking_no
    )
    body = public_client().get("/api/v1/public/track/", creds(merged)).json()
    assert body["merged_into"] == {"tracking_no": survivor.tracking_no, "state": "in_progress", "answer": ""}

    services.case_reply(case=survivor, actor=users["clerk_cgj"], text="已清理占道摊位。", **reply_kwargs())
    services.case_approve(case=survivor, actor=users["dispatcher"], answer="已清理占道摊位，并加强巡查。")
    body = public_client().get("/api/v1/public/track/", creds(merged)).json()
    assert body["merged_into"]["answer"] == "已清理占道摊位，并加强巡查。"


def test_the_supervisor_decides_through_the_staff_api(users, pinned):
    from .api_helpers import act, staff_client

    case = make_case_in_state(State.PENDING_DECISION, users)
    detail = staff_client(users["supervisor"]).get(f"/api/v1/cases/{case.tracking_no}/").json()
    assert (detail["state"], detail["dissatisfied_reason"], detail["feedback_resolved"]) == (
        "pending_decision",
        "not_solved",
        None,
    )
    before = unchanged(case)
    assert_error(act(staff_client(users["dispatcher"]), case, "close", reason="维持"), 403, "forbidden")
    assert_error(act(staff_client(users["supervisor"]), case, "close", reason=""), 400, "invalid")
    assert_error(act(staff_client(users["supervisor"]), case, "close", reason="维持", version=99), 409, "conflict")
    assert unchanged(case) == before

    response = act(staff_client(users["supervisor"]), case, "close", reason="经复核，答复符合规定。")

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "closed"
    assert_error(act(staff_client(users["supervisor"]), case, "close", reason="再次"), 409, "conflict")
