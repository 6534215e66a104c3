"""The one primitive every write to a case goes through (``cases.services.case_action``).

What would break if it broke: who is refused first (403 before 409), a stale form writing
anything, an action recorded or announced twice, a save overwriting a column it did not change,
the one clock, and the sla app's writes bypassing it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import rules, services
from cases.domain import case_changed
from cases.enums import State, Transition
from cases.exceptions import CaseConflict, CasePermissionDenied, CaseValidationError
from cases.models import Case, CaseEvent
from notifications.models import Outbox
from sla import services as sla_services
from sla import sweeper
from sla.enums import AuditAction, Stage
from sla.models import Extension, SupervisionOrder, Timer
from tests.cases.test_transitions import CALLS, MATRIX
from tests.factories import make_case_in_state, reply_kwargs

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
# Tuesday 24 November 2026, 10:00 in Shanghai: an ordinary working week.
TUESDAY = dt.datetime(2026, 11, 24, 10, 0, tzinfo=SH)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(TUESDAY, tick=False):
        yield


@pytest.fixture
def announced() -> Iterator[list[dict[str, Any]]]:
    """Every ``case_changed`` sent, as its keyword arguments."""
    calls: list[dict[str, Any]] = []

    def record(sender: Any, **kwargs: Any) -> None:
        calls.append(kwargs)

    case_changed.connect(record, weak=False, dispatch_uid="test_case_action.announced")
    yield calls
    case_changed.disconnect(dispatch_uid="test_case_action.announced")


@pytest.fixture
def entered(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The keyword arguments of every ``case_action`` entered, by the cases and the sla services."""
    calls: list[dict[str, Any]] = []
    real = services.case_action

    @contextmanager
    def spy(case: Any, **kwargs: Any) -> Iterator[services.CaseAction]:
        calls.append(kwargs)
        with real(case, **kwargs) as act:
            yield act

    monkeypatch.setattr(services, "case_action", spy)
    monkeypatch.setattr(sla_services, "case_action", spy)
    return calls


def footprint(case: Case) -> tuple:
    """Everything an action could have written."""
    row = Case.objects.filter(pk=case.pk).values_list("state", "version", "updated_at", "on_hold").get()
    return (
        row,
        CaseEvent.objects.filter(case=case).count(),
        Outbox.objects.filter(case=case).count(),
        list(Timer.objects.filter(case=case).order_by("id").values_list("status", "due_at", "stopped_at")),
        Extension.objects.filter(case=case).count(),
        SupervisionOrder.objects.filter(case=case).count(),
    )


def last_event(case: Case) -> CaseEvent:
    return CaseEvent.objects.filter(case=case).order_by("-seq").first()


# --- who is refused first ----------------------------------------------------------------------


def _sla_request(case: Case, actor: Any) -> Any:
    return sla_services.extension_request(case=case, actor=actor, until="2026-12-20", reason="需协调。")


def _sla_supervise(case: Case, actor: Any) -> Any:
    return sla_services.supervision_issue(case=case, actor=actor, level=1, note="请加快办理。")


# (what, state that does not allow it, an actor who may not act but can see the case, one who may)
WRONG_BOTH: list[tuple[str, Callable[[Case, Any], Any], str, str, str]] = [
    (
        "approve",
        lambda c, a: services.case_approve(case=c, actor=a, answer="已处理。"),
        State.IN_PROGRESS,
        "agent",
        "dispatcher",
    ),
    ("sign_for", lambda c, a: services.case_sign_for(case=c, actor=a), State.IN_PROGRESS, "dispatcher", "clerk_cgj"),
    (
        "reopen",
        lambda c, a: services.case_reopen(case=c, actor=a, reason="未解决"),
        State.REPLIED,
        "dispatcher",
        "supervisor",
    ),
    (
        "hold",
        lambda c, a: services.case_hold(case=c, actor=a, reason="等待材料"),
        State.CLOSED,
        "supervisor",
        "dispatcher",
    ),
    (
        "draft_reply",
        lambda c, a: services.case_save_reply_draft(case=c, actor=a, text="草稿"),
        State.REPLIED,
        "dispatcher",
        None,
    ),
    ("sla.extension.requested", _sla_request, State.REPLIED, "dispatcher", "clerk_cgj"),
    ("sla.supervision.issued", _sla_supervise, State.CLOSED, "agent", "supervisor"),
]


@pytest.mark.parametrize(
    ("name", "call", "state", "wrong_actor", "right_actor"), WRONG_BOTH, ids=[w[0] for w in WRONG_BOTH]
)
def test_an_actor_who_may_not_act_gets_403_even_when_the_state_is_wrong_too(
    users, name, call, state, wrong_actor, right_actor
):
    case = make_case_in_state(state, users)
    before = footprint(case)
    with pytest.raises(CasePermissionDenied):
        call(case, users[wrong_actor])
    assert footprint(case) == before
    if right_actor is None:  # the draft's permission includes the state: nobody gets a 409 there
        return
    with pytest.raises(CaseConflict) as exc:
        call(case, users[right_actor])
    assert exc.value.state == state
    assert footprint(case) == before


def test_a_stale_version_is_reported_before_the_permission_as_it_always_was(users):
    # The order of _lock in the old services: visibility, then the version, then who may act.
    case = make_case_in_state(State.IN_PROGRESS, users)
    seen = case.version
    services.case_add_note(case=case, actor=users["dispatcher"], note="来电催办")  # no version change
    services.case_hold(case=case, actor=users["dispatcher"], reason="等待群众补充材料")
    before = footprint(case)
    with pytest.raises(CaseConflict) as exc:  # the agent may not reply either, but the form is stale first
        services.case_reply(**reply_kwargs(), case=case, actor=users["agent"], text="已处理。", expected_version=seen)
    assert "已被他人更新" in exc.value.message
    assert footprint(case) == before


def test_the_state_machine_and_the_services_check_the_same_named_permission(users, entered):
    declared = {t.name: t.permission for t in Case().get_all_state_transitions()}
    # Every FSM permission is a named function of cases.rules, not a lambda hidden in the model.
    for name, permission in declared.items():
        assert (permission.__module__, permission.__name__ != "<lambda>") == ("cases.rules", True), name
    checked = set()
    for name, (source, _target, allowed, _refused) in MATRIX.items():
        case = make_case_in_state(source, users)
        entered.clear()
        CALLS[name](case, None if allowed[0] == "citizen" else users[allowed[0]], users)
        kwargs = entered[-1]
        method = kwargs["transition"].__name__
        assert kwargs["may"] is declared[method], name
        checked.add(method)
    # The multi-tier dispatch transitions need a forwarded case: tests/cases/test_forwarding.py
    # checks the same for them (test_forwarding_transitions_check_the_named_permission).
    assert checked == set(declared) - {"forward", "return_up", "approve_up", "send_down", "dispute", "arbitrate"}


# --- a stale form writes nothing -------------------------------------------------------------


def test_a_stale_expected_version_is_a_conflict_and_nothing_is_written_or_announced(users, announced):
    case = make_case_in_state(State.IN_PROGRESS, users)
    seen = case.version
    services.case_hold(case=case, actor=users["dispatcher"], reason="等待群众补充材料", expected_version=seen)
    before, announced[:] = footprint(case), []
    with time_machine.travel(TUESDAY + dt.timedelta(hours=1), tick=False):
        for stale in (
            lambda: services.case_resume(case=case, actor=users["clerk_cgj"], expected_version=seen),
            lambda: services.case_reply(
                **reply_kwargs(), case=case, actor=users["clerk_cgj"], text="已处理。", expected_version=seen
            ),
        ):
            with pytest.raises(CaseConflict) as exc:
                stale()
            assert exc.value.state == State.IN_PROGRESS
    assert footprint(case) == before  # same version, same updated_at, no event, no outbox row, timers alone
    assert announced == []


# --- once, and at one moment ----------------------------------------------------------------------


def _ext(case: Case, users: dict) -> Any:
    return sla_services.extension_request(case=case, actor=users["clerk_cgj"], until="2026-12-20", reason="需协调。")


# (action, state, how, whether the case row (and so its version) changes)
ONCE: list[tuple[str, str, Callable[[Case, dict], Any], bool]] = [
    (
        "assign",
        State.REGISTERED,
        lambda c, u: services.case_assign(case=c, actor=u["dispatcher"], department="CGJ"),
        True,
    ),
    ("hold", State.IN_PROGRESS, lambda c, u: services.case_hold(case=c, actor=u["clerk_cgj"], reason="等待材料"), True),
    (
        "draft_reply",
        State.IN_PROGRESS,
        lambda c, u: services.case_save_reply_draft(case=c, actor=u["clerk_cgj"], text="草稿"),
        True,
    ),
    ("publish", State.CLOSED, None, True),
    (
        "note",
        State.IN_PROGRESS,
        lambda c, u: services.case_add_note(case=c, actor=u["clerk_cgj"], note="已联系"),
        False,
    ),
    ("reveal", State.IN_PROGRESS, lambda c, u: services.case_reveal_contact(case=c, actor=u["clerk_cgj"]), False),
    ("sla.extension.requested", State.IN_PROGRESS, _ext, False),
    (
        "sla.supervision.issued",
        State.IN_PROGRESS,
        lambda c, u: sla_services.supervision_issue(case=c, actor=u["supervisor"], level=2, note="请三日内办结。"),
        False,
    ),
]


@pytest.mark.parametrize(("action", "state", "how", "row_changes"), ONCE, ids=[o[0] for o in ONCE])
def test_one_action_appends_one_event_and_announces_it_once(users, announced, action, state, how, row_changes):
    case = make_case_in_state(state, users)
    if how is None:  # publication goes through cases.publication, which calls case_set_publication
        from cases import publication

        def how(c: Case, u: dict) -> Any:
            return publication.publication_publish(
                case=c, actor=u["dispatcher"], title="路灯不亮", content="小区门口路灯坏了。", answer="已修复。"
            )

    seq, version = last_event(case).seq, case.version
    announced[:] = []
    how(case, users)
    events = list(CaseEvent.objects.filter(case=case, seq__gt=seq))
    assert [e.transition for e in events] == [action]
    assert [(a["action"], a["event"].pk) for a in announced] == [(action, events[0].pk)]
    assert events[0].at == TUESDAY
    case.refresh_from_db()
    assert case.version == version + (1 if row_changes else 0)


def test_an_explicit_now_is_the_moment_of_the_event_the_fields_and_the_timers(users):
    case = make_case_in_state(State.REGISTERED, users)
    when = dt.datetime(2026, 11, 24, 11, 15, tzinfo=SH)  # not the (frozen) wall clock
    services.case_assign(case=case, actor=users["dispatcher"], department="CGJ", now=when)
    case.refresh_from_db()
    assert (last_event(case).at, case.assigned_at) == (when, when)
    assert Timer.objects.get(case=case, stage=Stage.SIGN_FOR).started_at == when


# --- the save ---------------------------------------------------------------------------------

SET_COLUMN = re.compile(r'"(\w+)" = ')


def _case_updates(queries: list[dict]) -> list[set[str]]:
    table = Case._meta.db_table
    found = []
    for q in queries:
        sql = q["sql"]
        if sql.startswith(f'UPDATE "{table}" SET'):
            found.append(set(SET_COLUMN.findall(sql.split(" WHERE ")[0])))
    return found


def test_an_action_saves_only_the_columns_it_changed(users):
    case = make_case_in_state(State.REGISTERED, users)
    with CaptureQueriesContext(connection) as ctx:
        services.case_assign(case=case, actor=users["dispatcher"], department="CGJ", instructions="请核实")
    own = [cols for cols in _case_updates(ctx.captured_queries) if "version" in cols]
    assert own == [{"state", "department_id", "instructions", "assigned_at", "version", "updated_at"}]


def test_a_column_changed_inside_the_action_by_someone_else_is_not_overwritten(users):
    case = make_case_in_state(State.IN_PROGRESS, users)
    elsewhere = dt.datetime(2026, 11, 30, 17, 30, tzinfo=SH)
    with services.case_action(case, actor=users["dispatcher"], action=Transition.HOLD, may=rules.may_hold) as act:
        # The SLA app writes return_due_at with a queryset update in the same transaction; the
        # locked instance still holds the old value, which a whole-row save would write back.
        Case.objects.filter(pk=case.pk).update(return_due_at=elsewhere)
        act.case.on_hold, act.case.hold_reason = True, "等待群众补充材料"
    case.refresh_from_db()
    assert (case.return_due_at, case.on_hold, case.hold_reason) == (elsewhere, True, "等待群众补充材料")


def test_a_body_that_skips_its_declared_transition_is_a_bug_and_writes_nothing(users, announced):
    case = make_case_in_state(State.REGISTERED, users)
    before, announced[:] = footprint(case), []
    with (
        pytest.raises(RuntimeError, match="did not run assign"),
        services.case_action(
            case, actor=users["dispatcher"], action=Transition.ASSIGN, may=rules.may_triage, transition=Case.assign
        ) as act,
    ):
        act.case.instructions = "忘了转办"
    assert footprint(case) == before
    assert announced == []


# --- the sla app's writes ----------------------------------------------------------------------


def test_every_sla_write_goes_through_the_primitive_once(users, entered, announced, monkeypatch):
    case = make_case_in_state(State.IN_PROGRESS, users)
    late = make_case_in_state(State.ASSIGNED, users)  # assigned Tuesday, sign-for due Wednesday 17:30
    versions = (case.version, late.version)
    entered.clear()
    announced.clear()
    ext = _ext(case, users)
    sla_services.extension_decide(extension=ext, actor=users["supervisor"], grant=True)
    order = sla_services.supervision_issue(case=case, actor=users["supervisor"], level=1, note="请加快。")
    sla_services.supervision_answer(order=order, actor=users["clerk_cgj"], text="正在办理。")
    thursday = dt.datetime(2026, 11, 26, 9, 0, tzinfo=SH)
    # The worker breaches the sign-for timer and escalates, through case_action's batch twin.
    real_record_many = sweeper.record_many
    monkeypatch.setattr(
        sweeper,
        "record_many",
        lambda entries, **kw: entered.extend({"action": e.action} for e in entries) or real_record_many(entries, **kw),
    )
    sweeper.Sweeper().step(now=thursday)
    actions = [kw["action"] for kw in entered]
    assert actions == [
        AuditAction.EXTENSION_REQUESTED,
        AuditAction.EXTENSION_GRANTED,
        AuditAction.SUPERVISION_ISSUED,
        AuditAction.SUPERVISION_ANSWERED,
        AuditAction.TIMER_ESCALATED,
    ]
    assert [a["action"] for a in announced] == actions
    assert [e.transition for e in CaseEvent.objects.filter(case=case).order_by("seq")][-4:] == actions[:4]
    escalated = last_event(late)
    assert (escalated.transition, escalated.actor_label, escalated.at) == (
        AuditAction.TIMER_ESCALATED,
        "system",
        thursday,
    )
    # None of them touched the case row, so a form open on either case is still current.
    assert (Case.objects.get(pk=case.pk).version, Case.objects.get(pk=late.pk).version) == versions


def test_a_refused_sla_write_leaves_nothing_behind(users, announced):
    case = make_case_in_state(State.IN_PROGRESS, users)
    before, announced[:] = footprint(case), []
    with pytest.raises(CaseValidationError):  # beyond the +15 working days cap
        sla_services.extension_request(case=case, actor=users["clerk_cgj"], until="2027-03-01", reason="需协调。")
    assert footprint(case) == before
    assert announced == []
