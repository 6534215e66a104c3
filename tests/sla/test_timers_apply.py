"""``timers_apply``, the timer policy of DESIGN.md §4, one case action at a time.

Each test calls the policy directly on a case whose clocks are set up by hand, so it states
what an action does to the clocks, whatever the state machine allows around it. The wall
clock is pinned (time-machine) two days away from the action's moment, so a timer that took
the wall clock instead of ``at`` would show.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cases.enums import Transition
from cases.models import Case, Department
from sla import timers
from sla.enums import AuditAction, Stage, TimerStatus
from sla.models import Timer
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
STARTED = dt.datetime(2026, 11, 23, 9, 30, tzinfo=SH)  # Monday of a week without holidays
AT = dt.datetime(2026, 11, 23, 10, 30, tzinfo=SH)  # the action's moment
WALL = dt.datetime(2026, 11, 25, 15, 0, tzinfo=SH)  # what timezone.now() says meanwhile

EVERY = frozenset(Stage.values)
DEPARTMENT = frozenset({Stage.SIGN_FOR, Stage.RETURN_WINDOW, Stage.REPLY})
# The assisting departments' opinion clocks (the case in these tests has none assisting).
ASSIST = frozenset({Stage.ASSIST})

# (action, clocks it stops, clocks it starts): DESIGN.md §4's table, given a case whose every
# clock is running. The orthogonal actions that are not on a clock stop and start nothing.
POLICY = [
    (Transition.REGISTER, frozenset(), {Stage.TRIAGE}),
    (Transition.ASSIGN, {Stage.TRIAGE}, DEPARTMENT),
    (Transition.REJECT, EVERY, set()),
    (Transition.MERGE, EVERY, set()),
    (Transition.TRANSFER, EVERY, set()),  # handed over to 110/119/120/122: nothing left to time
    (Transition.RESOLVE_DIRECTLY, EVERY, {Stage.FEEDBACK}),
    (Transition.RETURN, EVERY, {Stage.TRIAGE}),
    (Transition.SIGN_FOR, {Stage.SIGN_FOR, Stage.RETURN_WINDOW}, set()),
    (Transition.REPLY, DEPARTMENT | ASSIST, {Stage.REVIEW}),
    (Transition.SEND_BACK, {Stage.REVIEW}, set()),  # the reply clock was running and stays so
    (Transition.APPROVE, EVERY, {Stage.FEEDBACK}),
    (Transition.FEEDBACK, EVERY, set()),
    (Transition.AUTO_CLOSE, EVERY, set()),
    (Transition.REOPEN, EVERY, DEPARTMENT),
    (Transition.NOTE, set(), set()),
    (Transition.REVEAL, set(), set()),
    (Transition.DRAFT_REPLY, set(), set()),
    (Transition.PUBLISH, set(), set()),
    (Transition.WITHDRAW, set(), set()),
    (Transition.ATTACH, set(), set()),
    (AuditAction.EXTENSION_REQUESTED, set(), set()),
    (AuditAction.EXTENSION_GRANTED, set(), set()),  # a grant moves the deadline in extension_decide
    (AuditAction.EXTENSION_REFUSED, set(), set()),
    (AuditAction.SUPERVISION_ISSUED, set(), set()),
    (AuditAction.SUPERVISION_ANSWERED, set(), set()),
    (AuditAction.TIMER_ESCALATED, set(), set()),
    # Multi-tier dispatch (二次派单) on a case the lead department holds; the levels themselves are
    # tested in tests/sla/test_forwarding_clocks.py.
    (Transition.FORWARD, set(), {Stage.SIGN_FOR, Stage.REPLY}),
    (Transition.RETURN_UP, set(), set()),  # stops the clocks of the sub-unit named in the event only
    (Transition.APPROVE_UP, DEPARTMENT, {Stage.REVIEW}),  # adopted by the lead department
    (Transition.SEND_DOWN, set(), set()),  # the sub-unit's reply clock resumes (none stopped here)
    (Transition.DISPUTE, {Stage.TRIAGE}, set()),
    (Transition.ARBITRATE, EVERY, DEPARTMENT),
    (Transition.RECLASSIFY, set(), set()),  # recounts running clocks when the terms change
    # issue 13: additions, urges and the decision on a dissatisfied rating are not on any clock
    (Transition.SUPPLEMENT, set(), set()),
    (Transition.CLOSE, set(), set()),
    (AuditAction.CITIZEN_URGED, set(), set()),
]


@pytest.fixture
def wall_clock(time_machine):
    time_machine.move_to(STARTED, tick=False)
    return time_machine


def every_clock_running(users, wall_clock) -> Case:
    """A case at CGJ with one running timer of every stage, all started Monday 09:30."""
    case = CaseFactory(actor=users["agent"])  # registering starts its triage clock
    Case.objects.filter(pk=case.pk).update(department=Department.objects.get(code="CGJ"))
    case.refresh_from_db()
    for stage in sorted(EVERY - {Stage.TRIAGE}):
        timers.timer_start(case=case, stage=stage, now=STARTED)
    wall_clock.move_to(WALL, tick=False)
    return case


def test_these_tests_decide_for_every_case_action_what_it_does_to_the_clocks():
    on_hold = {Transition.HOLD, Transition.RESUME}  # tested below: they pause, not stop
    # The cases app's actions and the sla app's own (dotted, sla.enums.AuditAction).
    assert {action for action, _stops, _starts in POLICY} | on_hold == set(Transition.values) | set(AuditAction.values)


@pytest.mark.parametrize(("action", "stops", "starts"), POLICY, ids=[str(a) for a, _, _ in POLICY])
def test_an_action_stops_and_starts_exactly_the_clocks_of_the_policy(users, wall_clock, action, stops, starts):
    case = every_clock_running(users, wall_clock)
    before = {t.pk: t.stage for t in Timer.objects.filter(case=case)}
    assert sorted(before.values()) == sorted(EVERY)

    timers.timers_apply(case=case, action=action, at=AT)

    after = {t.pk: t for t in Timer.objects.filter(case=case)}
    stopped = {t.stage for pk, t in after.items() if pk in before and t.stopped_at is not None}
    assert stopped == set(stops)
    assert {after[pk].stopped_at for pk in before if after[pk].stage in stops} <= {AT}
    assert {after[pk].status for pk in before if after[pk].stage in stops} <= {TimerStatus.MET}  # none was late
    new = [t for pk, t in after.items() if pk not in before]
    assert sorted(t.stage for t in new) == sorted(starts)
    assert all(t.started_at == AT and t.status == TimerStatus.RUNNING and t.stopped_at is None for t in new)
    untouched = [after[pk] for pk in before if after[pk].stage not in stops]
    assert all(t.stopped_at is None and t.status == TimerStatus.RUNNING for t in untouched)


def test_assign_and_reopen_tell_the_case_its_return_deadline(users, wall_clock):
    case = every_clock_running(users, wall_clock)
    timers.timers_apply(case=case, action=Transition.REOPEN, at=AT)
    window = Timer.objects.get(case=case, stage=Stage.RETURN_WINDOW, stopped_at__isnull=True)
    assert window.due_at == dt.datetime(2026, 11, 30, 17, 30, tzinfo=SH)  # 5 working days after Monday
    case.refresh_from_db()
    assert case.return_due_at == window.due_at


def test_a_late_clock_stopped_by_an_action_is_breached_at_its_deadline(users, wall_clock):
    case = every_clock_running(users, wall_clock)
    late = dt.datetime(2026, 11, 23, 12, 0, tzinfo=SH)  # triage (2 working hours) was due at 11:30
    timers.timers_apply(case=case, action=Transition.ASSIGN, at=late)
    triage = Timer.objects.get(case=case, stage=Stage.TRIAGE)
    assert (triage.status, triage.breached_at, triage.stopped_at) == (
        TimerStatus.BREACHED,
        dt.datetime(2026, 11, 23, 11, 30, tzinfo=SH),
        late,
    )


def test_send_back_resumes_the_stopped_reply_clock_with_its_deadline_unchanged(users, wall_clock):
    case = every_clock_running(users, wall_clock)
    timers.timers_apply(case=case, action=Transition.REPLY, at=AT)
    reply = Timer.objects.get(case=case, stage=Stage.REPLY)
    due = reply.due_at
    later = AT + dt.timedelta(hours=3)

    timers.timers_apply(case=case, action=Transition.SEND_BACK, at=later)

    reply.refresh_from_db()
    assert (reply.stopped_at, reply.status, reply.due_at) == (None, TimerStatus.RUNNING, due)
    reviews = Timer.objects.filter(case=case, stage=Stage.REVIEW)
    assert {(r.status, r.stopped_at) for r in reviews} == {(TimerStatus.MET, later)}
    assert Timer.objects.filter(case=case, stage=Stage.REPLY).count() == 1  # resumed, not a new clock


def test_hold_pauses_every_running_clock_and_resume_restarts_them_with_the_time_they_had_left(users, wall_clock):
    case = every_clock_running(users, wall_clock)
    timers.timers_apply(case=case, action=Transition.HOLD, at=AT)
    assert set(Timer.objects.filter(case=case).values_list("status", flat=True)) == {TimerStatus.PAUSED}
    triage = Timer.objects.get(case=case, stage=Stage.TRIAGE)
    assert triage.paused_at == AT and triage.remaining_seconds == 3600  # 09:30 + 2 h, paused at 10:30

    resumed = dt.datetime(2026, 11, 24, 9, 0, tzinfo=SH)  # Tuesday's first working minute
    timers.timers_apply(case=case, action=Transition.RESUME, at=resumed)

    assert set(Timer.objects.filter(case=case).values_list("status", flat=True)) == {TimerStatus.RUNNING}
    triage.refresh_from_db()
    assert (triage.resumed_at, triage.due_at) == (resumed, dt.datetime(2026, 11, 24, 10, 0, tzinfo=SH))
