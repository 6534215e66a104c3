"""The SLA worker: warn at 80 %, breach at 100 %, the escalation ladder, auto-close, leases, clean stop."""

from __future__ import annotations

import datetime as dt
import os
import signal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from cases import services
from cases.enums import State, Transition
from cases.models import CaseEvent
from cases.workers import Runner
from sla import sweeper
from sla.enums import AuditAction, Stage, SupervisionLevel, TimerStatus
from sla.models import SupervisionOrder, Timer
from tests.factories import CaseFactory, make_case_in_state
from tests.sla.fixtures import at, clock, published  # noqa: F401

pytestmark = pytest.mark.django_db


def run_until_idle(now: dt.datetime) -> sweeper.Sweeper:
    worker = sweeper.Sweeper()
    while worker.step(now=now):
        pass
    return worker


def test_a_step_with_nothing_due_reports_no_work(users, clock):
    CaseFactory(actor=users["agent"])
    assert sweeper.Sweeper().step() is False


def test_the_worker_warns_at_80_percent_once(users, clock, published):
    case = CaseFactory(actor=users["agent"])
    clock.set(at(2026, 11, 23, 11, 6))
    worker = run_until_idle(clock.now)
    timer = Timer.objects.get(case=case, stage=Stage.TRIAGE)
    assert (timer.status, timer.warned_at) == (TimerStatus.RUNNING, at(2026, 11, 23, 11, 6))
    assert timer.next_action_at == timer.due_at
    assert worker.acted == {"warned": 1}
    assert [(t, ty) for t, ty, _ in published] == [("board", "timer.warning"), ("inbox.XFJ", "timer.warning")]
    assert published[0][2]["tracking_no"] == case.tracking_no
    assert sweeper.Sweeper().step(now=clock.now) is False


def test_a_breach_issues_one_level_1_order_to_the_department_and_a_timeline_entry(users, clock, published):
    case = make_case_in_state(State.IN_PROGRESS, users)
    reply = Timer.objects.get(case=case, stage=Stage.REPLY)
    clock.set(at(2026, 12, 10, 17, 31))
    run_until_idle(clock.now)
    reply.refresh_from_db()
    assert reply.status == TimerStatus.BREACHED
    assert reply.breached_at == at(2026, 12, 10, 17, 30)
    assert reply.escalation_level == 1
    assert reply.next_escalation_at == at(2026, 12, 17, 17, 30)  # 5 working days later
    order = SupervisionOrder.objects.get(timer=reply)
    assert (order.level, order.department.code, order.issued_by) == (SupervisionLevel.REMINDER, "CGJ", None)
    event = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    assert (event.transition, event.public, event.actor_label) == (AuditAction.TIMER_ESCALATED, False, "system")
    assert event.data["level"] == 1 and event.data["stage"] == Stage.REPLY
    types = {(t, ty) for t, ty, _ in published}
    assert {
        ("board", "timer.breached"),
        ("inbox.CGJ", "timer.breached"),
        ("board", "supervision.issued"),
        ("inbox.CGJ", "supervision.issued"),
    } <= types
    # A second pass at the same moment finds nothing to do: never doubled.
    assert sweeper.Sweeper().step(now=clock.now) is False
    assert SupervisionOrder.objects.filter(case=case).count() == 1


def test_the_ladder_climbs_to_level_2_after_5_and_level_3_after_10_more_working_days(users, clock):
    case = CaseFactory(actor=users["agent"])
    triage = Timer.objects.get(case=case, stage=Stage.TRIAGE)
    clock.set(at(2026, 11, 23, 12, 0))
    run_until_idle(clock.now)
    triage.refresh_from_db()
    assert triage.next_escalation_at == at(2026, 11, 30, 17, 30)
    run_until_idle(at(2026, 11, 30, 17, 29))
    assert SupervisionOrder.objects.filter(timer=triage).count() == 1
    run_until_idle(at(2026, 11, 30, 17, 30))
    triage.refresh_from_db()
    assert triage.escalation_level == 2
    assert triage.next_escalation_at == at(2026, 12, 14, 17, 30)
    run_until_idle(at(2026, 12, 14, 17, 30))
    triage.refresh_from_db()
    assert (triage.escalation_level, triage.next_escalation_at, triage.next_action_at) == (3, None, None)
    assert list(SupervisionOrder.objects.filter(timer=triage).order_by("level").values_list("level", flat=True)) == [
        1,
        2,
        3,
    ]
    assert {o.department.code for o in SupervisionOrder.objects.filter(timer=triage)} == {"XFJ"}
    assert run_until_idle(at(2027, 6, 1, 9, 0)).acted == {}


def test_an_unanswered_case_closes_itself_when_the_feedback_window_ends(users, clock):
    case = make_case_in_state(State.ANSWERED, users)
    feedback = Timer.objects.get(case=case, stage=Stage.FEEDBACK)
    clock.set(feedback.due_at)
    worker = run_until_idle(clock.now)
    case.refresh_from_db()
    feedback.refresh_from_db()
    assert case.state == State.CLOSED
    assert case.events.order_by("-seq").first().transition == Transition.AUTO_CLOSE
    assert (feedback.status, feedback.stopped_at, feedback.next_action_at) == (TimerStatus.MET, clock.now, None)
    assert worker.acted == {"auto_closed": 1}
    assert not SupervisionOrder.objects.filter(case=case).exists()


def test_the_return_window_lapses_quietly_while_an_unsigned_case_escalates(users, clock):
    case = make_case_in_state(State.ASSIGNED, users)
    window = Timer.objects.get(case=case, stage=Stage.RETURN_WINDOW)
    run_until_idle(window.due_at)
    window.refresh_from_db()
    assert (window.status, window.stopped_at) == (TimerStatus.MET, window.due_at)
    orders = SupervisionOrder.objects.filter(case=case)
    assert [o.timer.stage for o in orders] == [Stage.SIGN_FOR]


def test_a_paused_timer_is_left_alone(users, clock):
    case = make_case_in_state(State.IN_PROGRESS, users)
    services.case_hold(case=case, actor=users["clerk_cgj"], reason="等待群众补充材料。")
    assert run_until_idle(at(2027, 1, 30, 9, 0)).acted == {}


def test_a_dead_workers_claim_is_taken_over_only_after_its_lease_expires(users, clock):
    case = CaseFactory(actor=users["agent"])
    now = at(2026, 11, 23, 12, 0)
    dead = "dead-worker"
    assert len(sweeper.claim(dead, now=now)) == 1
    other = sweeper.Sweeper()
    assert other.step(now=now + dt.timedelta(seconds=30)) is False  # still leased
    assert other.step(now=now + sweeper.LEASE + dt.timedelta(seconds=1)) is True
    assert other.acted == {"breached": 1}
    timer = Timer.objects.get(case=case, stage=Stage.TRIAGE)
    assert (timer.claimed_by, timer.claim_expires_at, timer.escalation_level) == ("", None, 1)
    # The dead worker wakes up and tries to act on its old claim: it is no longer its own.
    assert sweeper.act(timer.pk, dead, now=now + dt.timedelta(minutes=5)) == "lost"
    assert SupervisionOrder.objects.filter(timer=timer).count() == 1


def test_the_database_refuses_a_second_order_for_the_same_timer_and_level(users, clock):
    case = CaseFactory(actor=users["agent"])
    run_until_idle(at(2026, 11, 23, 12, 0))
    timer = Timer.objects.get(case=case, stage=Stage.TRIAGE)
    with pytest.raises(IntegrityError), transaction.atomic():
        SupervisionOrder.objects.create(case=case, timer=timer, level=1, issued_at=clock.now)


def test_stop_finishes_the_current_batch_and_gives_back_the_rest(users, clock, monkeypatch):
    cases = [CaseFactory(actor=users["agent"]) for _ in range(3)]
    worker = sweeper.Sweeper(batch=2)
    real_act_batch = sweeper.act_batch

    def act_batch_then_sigterm(*args: object, **kwargs: object):
        done = real_act_batch(*args, **kwargs)
        worker.stopping.set()  # what SIGTERM does
        return done

    monkeypatch.setattr(sweeper, "act_batch", act_batch_then_sigterm)
    clock.set(at(2026, 11, 23, 12, 0))
    Runner(worker, idle_sleep=0).run()
    assert worker.acted == {"breached": 2}
    timers = Timer.objects.filter(case__in=cases, stage=Stage.TRIAGE)
    assert sorted(t.status for t in timers) == [TimerStatus.BREACHED, TimerStatus.BREACHED, TimerStatus.RUNNING]
    assert not timers.exclude(claimed_by="").exists()  # the one not acted on is free for another worker


def test_a_failed_batch_is_retried_one_by_one_and_stops_between_timers(users, clock, monkeypatch):
    cases = [CaseFactory(actor=users["agent"]) for _ in range(3)]
    worker = sweeper.Sweeper()
    real_act = sweeper.act

    def broken_batch(*args: object, **kwargs: object):
        raise RuntimeError("deadlock detected")

    def act_then_sigterm(timer_id: int, worker_id: str, **kwargs: object) -> str:
        done = real_act(timer_id, worker_id, **kwargs)
        worker.stopping.set()
        return done

    monkeypatch.setattr(sweeper, "act_batch", broken_batch)
    monkeypatch.setattr(sweeper, "act", act_then_sigterm)
    clock.set(at(2026, 11, 23, 12, 0))
    Runner(worker, idle_sleep=0).run()
    assert worker.acted == {"breached": 1}
    timers = Timer.objects.filter(case__in=cases, stage=Stage.TRIAGE)
    assert sorted(t.status for t in timers) == [TimerStatus.BREACHED, TimerStatus.RUNNING, TimerStatus.RUNNING]
    assert not timers.exclude(claimed_by="").exists()  # released when the loop ended
    assert SupervisionOrder.objects.filter(timer__in=timers).count() == 1


def test_the_command_stops_cleanly_on_sigterm_and_restores_the_handlers(users, clock, monkeypatch):
    CaseFactory(actor=users["agent"])
    clock.set(at(2026, 11, 23, 12, 0))
    before = signal.getsignal(signal.SIGTERM)
    steps: list[bool] = []
    real_step = sweeper.Sweeper.step

    def step_then_sigterm(self: sweeper.Sweeper, now: dt.datetime | None = None) -> bool:
        did = real_step(self, now)
        steps.append(did)
        os.kill(os.getpid(), signal.SIGTERM)  # as `kill <pid>` would; the handler only sets a flag
        return did

    monkeypatch.setattr(sweeper.Sweeper, "step", step_then_sigterm)
    out = StringIO()
    call_command("run_sla_worker", "--idle-sleep", "0", stdout=out)
    assert steps == [True]
    assert "'breached': 1" in out.getvalue()
    assert signal.getsignal(signal.SIGTERM) == before


def test_the_command_until_idle_drains_the_queue_and_exits(users, clock):
    for _ in range(3):
        CaseFactory(actor=users["agent"])
    clock.set(at(2026, 11, 23, 12, 0))
    out = StringIO()
    call_command("run_sla_worker", "--until-idle", "--batch", "2", stdout=out)
    assert "'breached': 3" in out.getvalue()
    assert "stopped after 3 steps" in out.getvalue()  # 2 + 1 timers, then a step that found nothing
    assert not Timer.objects.filter(next_action_at__lte=clock.now).exists()


def test_the_command_once_runs_one_step_and_leaves_the_rest_for_the_next_run(users, time_machine):
    time_machine.move_to(at(2026, 11, 23, 9, 30), tick=False)  # triage terms: 2 working hours
    for _ in range(3):
        CaseFactory(actor=users["agent"])
    time_machine.move_to(at(2026, 11, 23, 12, 0), tick=False)
    out = StringIO()
    call_command("run_sla_worker", "--once", "--batch", "2", "--worker-id", "sla-test-1", stdout=out)
    assert out.getvalue().splitlines()[-1] == "sla worker sla-test-1 stopped after 1 steps: {'breached': 2}"
    assert Timer.objects.filter(next_action_at__lte=at(2026, 11, 23, 12, 0), claimed_by="").count() == 1


def test_warning_and_breach_each_leave_one_message_for_the_departments_staff(users, clock):
    from notifications.models import Outbox

    case = make_case_in_state(State.ASSIGNED, users)
    before = Outbox.objects.count()
    run_until_idle(at(2026, 11, 24, 15, 0))  # sign-for warns at 14:54
    run_until_idle(at(2026, 11, 24, 15, 1))
    warned = Outbox.objects.filter(case=case, template="timer_warning")
    assert warned.count() == Outbox.objects.count() - before > 0
    run_until_idle(at(2026, 11, 24, 17, 31))
    assert Outbox.objects.filter(case=case, template="timer_breached").count() == warned.count()
