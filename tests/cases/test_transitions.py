"""The state machine, transition by transition: who may, from where, and what is recorded.

For every transition: each allowed role succeeds from the right state and the event row
says who did what from which state to which; each other role that can see the case is
refused with CasePermissionDenied; from every other state it is a CaseConflict naming the
current state; and a department that cannot see the case gets CaseNotFound.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from cases import services
from cases.enums import Rating, State
from cases.exceptions import CaseConflict, CaseNotFound, CasePermissionDenied
from cases.models import Case, CaseEvent, Department, User
from tests.factories import CaseFactory, make_case_in_state, reply_kwargs

pytestmark = pytest.mark.django_db

ALL_STATES = [
    State.REGISTERED,
    State.ASSIGNED,
    State.IN_PROGRESS,
    State.REPLIED,
    State.ANSWERED,
    State.CLOSED,
    State.REJECTED,
    State.MERGED,
    State.TRANSFERRED,
    State.PENDING_DECISION,
]
CITIZEN = "citizen"  # stands for actor=None


def _merge(case: Case, actor: User | None, users: dict) -> Case:
    other = CaseFactory(actor=users["agent"])
    return services.case_merge(case=case, actor=actor, duplicate_of=other.tracking_no)


# name → how to call its service with a valid body
CALLS: dict[str, Callable[[Case, Any, dict], Case]] = {
    "resolve_directly": lambda c, a, u: services.case_resolve_directly(
        case=c, actor=a, answer="可通过12345网站查询办事指南。"
    ),
    "reject": lambda c, a, u: services.case_reject(case=c, actor=a, reason="out_of_remit", note="属市级事权"),
    "merge": _merge,
    "assign": lambda c, a, u: services.case_assign(case=c, actor=a, department="HBJ", instructions="请核实"),
    "return": lambda c, a, u: services.case_return(case=c, actor=a, reason="不属于本单位职责"),
    "sign_for": lambda c, a, u: services.case_sign_for(case=c, actor=a),
    "reply": lambda c, a, u: services.case_reply(**reply_kwargs(), case=c, actor=a, text="已处理完毕。"),
    "send_back": lambda c, a, u: services.case_send_back(case=c, actor=a, note="答复过于简单"),
    "approve": lambda c, a, u: services.case_approve(case=c, actor=a, answer="您反映的问题已处理。"),
    "feedback": lambda c, a, u: services.case_feedback(case=c, actor=a, rating=Rating.SATISFIED, comment="好"),
    "auto_close": lambda c, a, u: services.case_auto_close(case=c),
    "reopen": lambda c, a, u: services.case_reopen(case=c, actor=a, department="HBJ", reason="群众反映未解决"),
    "transfer": lambda c, a, u: services.case_transfer_emergency(case=c, actor=a, number="120"),
    "close": lambda c, a, u: services.case_close(case=c, actor=a, reason="答复符合政策规定，予以维持。"),
}

# name: (from, to, roles allowed, roles refused although they can see the case)
MATRIX: dict[str, tuple[State, State, list[str], list[str]]] = {
    "resolve_directly": (State.REGISTERED, State.ANSWERED, ["agent", "dispatcher", "admin"], ["supervisor"]),
    "reject": (State.REGISTERED, State.REJECTED, ["dispatcher", "admin"], ["agent", "supervisor"]),
    "merge": (State.REGISTERED, State.MERGED, ["dispatcher", "admin"], ["agent", "supervisor"]),
    "assign": (State.REGISTERED, State.ASSIGNED, ["dispatcher", "admin"], ["agent", "supervisor"]),
    "return": (
        State.ASSIGNED,
        State.REGISTERED,
        ["clerk_cgj", "head_cgj", "supervisor", "admin"],
        ["agent", "dispatcher"],
    ),
    "sign_for": (
        State.ASSIGNED,
        State.IN_PROGRESS,
        ["clerk_cgj", "head_cgj"],
        ["agent", "dispatcher", "supervisor", "admin"],
    ),
    "reply": (State.IN_PROGRESS, State.REPLIED, ["clerk_cgj", "head_cgj"], ["agent", "dispatcher", "supervisor"]),
    "send_back": (State.REPLIED, State.IN_PROGRESS, ["dispatcher", "admin"], ["agent", "supervisor", "clerk_cgj"]),
    "approve": (State.REPLIED, State.ANSWERED, ["dispatcher", "admin"], ["agent", "supervisor", "clerk_cgj"]),
    "feedback": (
        State.ANSWERED,
        State.CLOSED,
        [CITIZEN, "agent", "dispatcher", "admin"],
        ["supervisor", "clerk_cgj", "head_cgj"],
    ),
    "auto_close": (State.ANSWERED, State.CLOSED, [CITIZEN], []),
    "reopen": (State.ANSWERED, State.ASSIGNED, ["supervisor", "admin"], ["agent", "dispatcher", "clerk_cgj"]),
    "transfer": (State.REGISTERED, State.TRANSFERRED, ["agent", "dispatcher", "admin"], ["supervisor"]),
    "close": (State.PENDING_DECISION, State.CLOSED, ["supervisor", "admin"], ["agent", "dispatcher", "clerk_cgj"]),
}
# a role allowed to act from the right state, used to probe the wrong ones
PROBE = {
    "return": "supervisor",
    "sign_for": "head_cgj",
    "reply": "head_cgj",
    "feedback": "agent",
    "auto_close": CITIZEN,
}


def actor(users: dict, role: str) -> User | None:
    return None if role == CITIZEN else users[role]


def run(name: str, case: Case, role: str, users: dict) -> Case:
    return CALLS[name](case, actor(users, role), users)


ALLOWED = [(name, role) for name, (_f, _t, allowed, _r) in MATRIX.items() for role in allowed]
REFUSED = [(name, role) for name, (_f, _t, _a, refused) in MATRIX.items() for role in refused]
WRONG_STATES = [
    (name, state)
    for name, (source, *_rest) in MATRIX.items()
    for state in ALL_STATES
    if state != source and not (name == "reopen" and state in {State.CLOSED, State.PENDING_DECISION})
]


@pytest.mark.parametrize(("name", "role"), ALLOWED)
def test_allowed_role_moves_the_case_and_records_the_event(users, name, role):
    source, target, _allowed, _refused = MATRIX[name]
    case = make_case_in_state(source, users)
    before = CaseEvent.objects.filter(case=case).count()

    result = run(name, case, role, users)

    assert result.state == target
    case.refresh_from_db()
    assert case.state == target
    assert case.version == result.version
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert event.seq == before + 1
    assert event.transition == name
    assert (event.from_state, event.to_state) == (source, target)
    assert event.actor == actor(users, role)
    expected_label = {"auto_close": "system"}.get(name, "citizen" if role == CITIZEN else users[role].display_name)
    assert event.actor_label == expected_label
    assert event.role == (users[role].role if role != CITIZEN else expected_label)


@pytest.mark.parametrize(("name", "role"), REFUSED)
def test_other_roles_are_refused_and_nothing_changes(users, name, role):
    source = MATRIX[name][0]
    case = make_case_in_state(source, users)
    version, events = case.version, case.events.count()
    with pytest.raises(CasePermissionDenied):
        run(name, case, role, users)
    case.refresh_from_db()
    assert (case.state, case.version, case.events.count()) == (source, version, events)


@pytest.mark.parametrize(("name", "state"), WRONG_STATES)
def test_from_a_wrong_state_it_is_a_conflict_naming_the_state(users, name, state):
    allowed = MATRIX[name][2]
    role = PROBE.get(name, allowed[0])
    case = make_case_in_state(state, users)
    version = case.version
    try:
        run(name, case, role, users)
    except CaseConflict as exc:
        assert exc.state == state
    except CaseNotFound:
        # department staff cannot even see a case that is not (or no longer) theirs
        assert role in {"clerk_cgj", "head_cgj"} and state in {
            State.REGISTERED,
            State.REJECTED,
            State.MERGED,
            State.TRANSFERRED,
        }
    else:
        pytest.fail(f"{name} from {state} should have been refused")
    case.refresh_from_db()
    assert (case.state, case.version) == (state, version)


@pytest.mark.parametrize("name", ["return", "sign_for", "reply", "hold"])
def test_another_department_cannot_see_the_case(users, name):
    source = MATRIX[name][0] if name in MATRIX else State.IN_PROGRESS
    case = make_case_in_state(source, users)  # assigned to CGJ
    with pytest.raises(CaseNotFound):
        if name == "hold":
            services.case_hold(case=case, actor=users["clerk_hbj"], reason="等待")
        else:
            run(name, case, "clerk_hbj", users)


def test_department_staff_cannot_triage_a_registered_case(users):
    case = make_case_in_state(State.REGISTERED, users)
    with pytest.raises(CaseNotFound):  # not theirs: they cannot see it at all
        services.case_assign(case=case, actor=users["clerk_cgj"], department="CGJ")


def test_reopen_from_closed_goes_back_to_assigned_with_a_new_department(users):
    case = make_case_in_state(State.CLOSED, users)
    result = services.case_reopen(case=case, actor=users["supervisor"], department="HBJ", reason="未解决")
    assert (result.state, result.department.code, result.reopen_count) == (State.ASSIGNED, "HBJ", 1)
    assert result.rating == "" and result.closed_at is None
    event = result.events.order_by("-seq").first()
    assert (event.transition, event.from_state, event.to_state, event.actor) == (
        "reopen",
        State.CLOSED,
        State.ASSIGNED,
        users["supervisor"],
    )


def test_reopen_without_a_department_keeps_the_current_one(users):
    case = make_case_in_state(State.ANSWERED, users)
    assert services.case_reopen(case=case, actor=users["supervisor"], reason="未解决").department.code == "CGJ"


# --- the return window ----------------------------------------------------------------------


def test_clerk_may_return_within_the_window(users):
    case = make_case_in_state(State.ASSIGNED, users)
    Case.objects.filter(pk=case.pk).update(return_due_at=timezone.now() + timedelta(days=1))
    result = services.case_return(case=case, actor=users["clerk_cgj"], reason="不属于本单位职责")
    assert (result.state, result.department, result.return_count) == (State.REGISTERED, None, 1)


@pytest.mark.parametrize("role", ["clerk_cgj", "head_cgj"])
def test_after_the_return_window_the_department_is_refused(users, role):
    case = make_case_in_state(State.ASSIGNED, users)
    Case.objects.filter(pk=case.pk).update(return_due_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(CasePermissionDenied):
        services.case_return(case=case, actor=users[role], reason="不属于本单位职责")
    case.refresh_from_db()
    assert case.state == State.ASSIGNED


def test_after_the_return_window_a_supervisor_may_still_return(users):
    case = make_case_in_state(State.ASSIGNED, users)
    Case.objects.filter(pk=case.pk).update(return_due_at=timezone.now() - timedelta(minutes=1))
    result = services.case_return(case=case, actor=users["supervisor"], reason="确属市级事权")
    assert result.state == State.REGISTERED
    event = result.events.order_by("-seq").first()
    assert (event.transition, event.actor, event.from_state, event.to_state) == (
        "return",
        users["supervisor"],
        State.ASSIGNED,
        State.REGISTERED,
    )


# --- a department whose head submits replies ---------------------------------------------------


@pytest.fixture
def head_approval(users):
    Department.objects.filter(code="CGJ").update(reply_needs_head_approval=True)


def test_clerk_cannot_reply_where_the_head_must_approve(users, head_approval):
    case = make_case_in_state(State.IN_PROGRESS, users)
    with pytest.raises(CasePermissionDenied):
        services.case_reply(**reply_kwargs(), case=case, actor=users["clerk_cgj"], text="已处理。")
    # the clerk saves a draft instead, which the head then submits
    services.case_save_reply_draft(case=case, actor=users["clerk_cgj"], text="草稿：已处理。")
    case.refresh_from_db()
    assert (case.state, case.reply_draft) == (State.IN_PROGRESS, "草稿：已处理。")


def test_head_replies_where_the_head_must_approve(users, head_approval):
    case = make_case_in_state(State.IN_PROGRESS, users)
    result = services.case_reply(**reply_kwargs(), case=case, actor=users["head_cgj"], text="已处理。")
    assert (result.state, result.reply_text, result.reply_draft) == (State.REPLIED, "已处理。", "")
    event = result.events.order_by("-seq").first()
    assert (event.actor, event.role) == (users["head_cgj"], "head")


# --- hold and resume: recorded in the chain, never a state ---------------------------------------


HOLDABLE = [State.REGISTERED, State.ASSIGNED, State.IN_PROGRESS]


@pytest.mark.parametrize(
    ("state", "role"),
    [
        (state, role)
        for state in HOLDABLE
        for role in ["dispatcher", "admin", "clerk_cgj", "head_cgj"]
        # a registered case has no department yet, so department staff cannot see it
        if not (state == State.REGISTERED and role in {"clerk_cgj", "head_cgj"})
    ],
)
def test_hold_and_resume_keep_the_state_and_are_recorded(users, state, role):
    case = make_case_in_state(state, users)
    held = services.case_hold(case=case, actor=users[role], reason="等待群众补充材料")
    assert (held.state, held.on_hold, held.hold_reason) == (state, True, "等待群众补充材料")
    resumed = services.case_resume(case=case, actor=users[role])
    assert (resumed.state, resumed.on_hold, resumed.hold_reason) == (state, False, "")
    hold_ev, resume_ev = case.events.order_by("-seq")[:2][::-1]
    assert (hold_ev.transition, hold_ev.from_state, hold_ev.to_state, hold_ev.actor, hold_ev.note) == (
        "hold",
        state,
        state,
        users[role],
        "等待群众补充材料",
    )
    assert (resume_ev.transition, resume_ev.from_state, resume_ev.to_state, resume_ev.actor) == (
        "resume",
        state,
        state,
        users[role],
    )


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_hold_is_refused_for_roles_that_do_not_handle_the_case(users, role):
    case = make_case_in_state(State.IN_PROGRESS, users)
    with pytest.raises(CasePermissionDenied):
        services.case_hold(case=case, actor=users[role], reason="等待")
    services.case_hold(case=case, actor=users["dispatcher"], reason="等待")
    with pytest.raises(CasePermissionDenied):
        services.case_resume(case=case, actor=users[role])


@pytest.mark.parametrize("state", [State.REPLIED, State.ANSWERED, State.CLOSED, State.REJECTED, State.MERGED])
def test_hold_from_a_state_without_a_running_clock_is_a_conflict(users, state):
    case = make_case_in_state(state, users)
    with pytest.raises(CaseConflict) as exc:
        services.case_hold(case=case, actor=users["dispatcher"], reason="等待")
    assert exc.value.state == state


def test_hold_twice_or_resume_without_hold_is_a_conflict(users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    with pytest.raises(CaseConflict):
        services.case_resume(case=case, actor=users["clerk_cgj"])
    services.case_hold(case=case, actor=users["clerk_cgj"], reason="等待")
    with pytest.raises(CaseConflict):
        services.case_hold(case=case, actor=users["clerk_cgj"], reason="等待")


# --- what the transitions leave behind -----------------------------------------------------


def test_state_cannot_be_set_directly(users):
    case = make_case_in_state(State.REGISTERED, users)
    with pytest.raises(AttributeError):
        case.state = State.CLOSED


def test_every_transition_bumps_the_version(users):
    case = make_case_in_state(State.CLOSED, users)
    assert case.version == 6  # register=1, then assign, sign_for, reply, approve, feedback


def test_send_back_then_reply_again_is_recorded_in_order(users):
    case = make_case_in_state(State.REPLIED, users)
    services.case_send_back(case=case, actor=users["dispatcher"], note="请补充整改措施")
    services.case_reply(**reply_kwargs(), case=case, actor=users["clerk_cgj"], text="已补充：加强夜间巡查。")
    rows = list(case.events.order_by("seq").values_list("transition", "from_state", "to_state", "note"))
    assert rows[-2:] == [
        ("send_back", "replied", "in_progress", "请补充整改措施"),
        ("reply", "in_progress", "replied", "已补充：加强夜间巡查。"),
    ]
