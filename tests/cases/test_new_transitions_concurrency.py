"""Two actors at once on the transitions of issues 12 and 13, through the API on PostgreSQL (real
connections, real row locks): both requests queue on the case's row lock and go one after the other
(``queued_behind_a_lock``), so the race is certain, not lucky. Exactly one wins; the other gets a
409 (or the 429 of a second urge) naming the state it found — never a 500, never a lost or doubled
write. Two supplements are no conflict: both are kept, in one unbroken audit chain."""

from __future__ import annotations

import pytest
import time_machine

from cases import forwarding, services
from cases.enums import Role, State
from cases.integrity import verify_chain
from cases.models import Case
from cases.models_dispatch import Dispute
from tests.cases.dispatch_fixtures import MONDAY, forwarded_to_community, returned_by_cgj, tier_users  # noqa: F401
from tests.cases.test_concurrency import queued_behind_a_lock
from tests.factories import UserFactory, make_case_in_state, reply_kwargs
from tests.sla.fixtures import at
from tests.web.api.api_helpers import act, public_client, staff_client

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def one_winner(results: dict, *, loser_status: int = 409) -> tuple[str, dict]:
    """The name of the request that won and the loser's error; fails on anything but one 200 and
    one ``loser_status`` (a 500 included)."""
    statuses = {name: r.status_code for name, r in results.items()}
    assert sorted(statuses.values()) == [200, loser_status], {n: r.content[:300] for n, r in results.items()}
    winner = next(name for name, status in statuses.items() if status == 200)
    loser = next(r for name, r in results.items() if name != winner)
    return winner, loser.json()["error"]


def transitions(case: Case) -> list[str]:
    return list(case.events.order_by("seq").values_list("transition", flat=True))


def test_approve_up_and_send_down_at_once_one_wins_the_other_is_told(tier_users):
    u = tier_users
    with time_machine.travel(MONDAY):
        case = forwarded_to_community(u)
        case = services.case_sign_for(case=case, actor=u["clerk_jde01"])
        case = services.case_reply(case=case, actor=u["clerk_jde01"], text="已上门核实。", **reply_kwargs())
        head = UserFactory(username="head_jde", role=Role.HEAD, department_code="JD-E")
        # Both review the reply they saw (the console and the API send its version): without it the
        # loser of a send_down would be a 403, the case having left the street office's review
        # (cases.services.case_action checks who may act before the state).
        seen = case.version
        results = queued_behind_a_lock(
            case,
            approve_up=lambda: act(staff_client(u["clerk_jde"]), case, "approve_up", note="同意", version=seen),
            send_down=lambda: act(staff_client(head), case, "send_down", note="请补充照片", version=seen),
        )
    winner, error = one_winner(results)
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.state == {"approve_up": State.REPLIED, "send_down": State.IN_PROGRESS}[winner]
    assert error["code"] == "conflict" and error["state"] == fresh.state
    assert transitions(fresh)[-1] == winner and transitions(fresh).count(winner) == 1
    assert {"approve_up", "send_down"} & set(transitions(fresh)[:-1]) == set()
    assert verify_chain(fresh.pk)[0]


def test_two_supervisors_arbitrating_at_once_one_decides_the_dispute(tier_users):
    u = tier_users
    other = UserFactory(username="supervisor2", role=Role.SUPERVISOR, department_code="GOV")
    with time_machine.travel(MONDAY):
        case = returned_by_cgj(u)
        forwarding.case_dispute(case=case, actor=u["dispatcher"], note="属城管职责")
        results = queued_behind_a_lock(
            case,
            CGJ=lambda: act(staff_client(u["supervisor"]), case, "arbitrate", department="CGJ", reason="归城管"),
            HBJ=lambda: act(staff_client(other), case, "arbitrate", department="HBJ", reason="归环保"),
        )
    winner, error = one_winner(results)
    fresh = Case.objects.get(pk=case.pk)
    assert (fresh.state, fresh.department.code) == (State.ASSIGNED, winner)
    assert error["state"] == State.ASSIGNED
    dispute = Dispute.objects.get(case=case)
    assert dispute.decision_department.code == winner
    assert transitions(fresh).count("arbitrate") == 1
    assert verify_chain(fresh.pk)[0]


def test_a_dispute_and_a_new_assignment_of_a_returned_case_at_once_one_wins(tier_users):
    u = tier_users
    other = UserFactory(username="dispatcher2", role=Role.DISPATCHER, department_code="XFJ")
    with time_machine.travel(MONDAY):
        case = returned_by_cgj(u)
        results = queued_behind_a_lock(
            case,
            dispute=lambda: act(staff_client(u["dispatcher"]), case, "dispute", note="属城管职责"),
            assign=lambda: act(staff_client(other), case, "assign", department="HBJ"),
        )
    winner, error = one_winner(results)
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.state == {"dispute": State.DISPUTED, "assign": State.ASSIGNED}[winner]
    assert error["state"] == fresh.state
    assert Dispute.objects.filter(case=case).count() == (1 if winner == "dispute" else 0)
    assert verify_chain(fresh.pk)[0]


def test_closing_and_reopening_a_dissatisfied_case_at_once_one_decides(users):
    other = UserFactory(username="supervisor2", role=Role.SUPERVISOR, department_code="GOV")
    case = make_case_in_state(State.PENDING_DECISION, users)
    seen = case.version  # both opened the case at this version (the console and the API send it)
    results = queued_behind_a_lock(
        case,
        close=lambda: act(staff_client(users["supervisor"]), case, "close", reason="已解释清楚", version=seen),
        reopen=lambda: act(staff_client(other), case, "reopen", department="CGJ", reason="请重新办理", version=seen),
    )
    winner, error = one_winner(results)
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.state == {"close": State.CLOSED, "reopen": State.ASSIGNED}[winner]
    assert error["state"] == fresh.state
    assert fresh.reopen_count == (1 if winner == "reopen" else 0)
    assert verify_chain(fresh.pk)[0]


def test_a_citizens_double_submitted_rating_is_kept_once(users):
    case = make_case_in_state(State.ANSWERED, users)
    body = {"tracking_no": case.tracking_no, "access_code": case.access_code}
    results = queued_behind_a_lock(
        case,
        satisfied=lambda: public_client().post("/api/v1/public/feedback/", {**body, "rating": "satisfied"}, "json"),
        dissatisfied=lambda: public_client().post(
            "/api/v1/public/feedback/",
            {**body, "rating": "dissatisfied", "reason": "not_solved", "resolved": False},
            "json",
        ),
    )
    winner, error = one_winner(results)
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.rating == winner
    assert transitions(fresh).count("feedback") == 1
    assert error["state"] == fresh.state


def test_two_urges_through_the_api_at_once_make_one_urge_and_one_429(users):
    with time_machine.travel(at(2026, 11, 23, 9, 30)):
        case = make_case_in_state(State.IN_PROGRESS, users)
    body = {"tracking_no": case.tracking_no, "access_code": case.access_code}
    with time_machine.travel(at(2026, 12, 11, 9, 0)):  # the reply is late
        results = queued_behind_a_lock(
            case,
            a=lambda: public_client().post("/api/v1/public/urge/", body, "json"),
            b=lambda: public_client().post("/api/v1/public/urge/", body, "json"),
        )
    one_winner(results, loser_status=429)
    assert case.events.filter(transition="sla.citizen.urged").count() == 1


def test_two_supplements_at_once_are_both_kept_in_one_chain(users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    body = {"tracking_no": case.tracking_no, "access_code": case.access_code}
    results = queued_behind_a_lock(
        case,
        a=lambda: public_client().post("/api/v1/public/supplement/", {**body, "text": "摊位在北侧。"}, "json"),
        b=lambda: public_client().post("/api/v1/public/supplement/", {**body, "text": "晚上九点最多。"}, "json"),
    )
    assert [r.status_code for r in results.values()] == [200, 200], [r.content[:300] for r in results.values()]
    notes = sorted(case.events.filter(transition="supplement").values_list("note", flat=True))
    assert notes == sorted(["摊位在北侧。", "晚上九点最多。"])
    seqs = list(case.events.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert verify_chain(case.pk)[0]
