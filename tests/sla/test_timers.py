"""Every timer effect of every transition (DESIGN.md §4), with the clock pinned in Shanghai.

The week of Monday 23 November 2026 has no holidays; CN works 09:00–12:00 and 13:30–17:30.
"""

from __future__ import annotations

import pytest

from cases import services
from cases.enums import Channel, Priority, State
from sla.enums import ExceptionKind, Stage, TimerStatus
from sla.models import Calendar, CalendarException, Timer
from tests.factories import CaseFactory, make_case_in_state, reply_kwargs
from tests.sla.fixtures import at, clock  # noqa: F401

pytestmark = pytest.mark.django_db


def live(case) -> dict[str, Timer]:
    return {t.stage: t for t in Timer.objects.filter(case=case, stopped_at__isnull=True)}


def only(case, stage: str) -> Timer:
    return Timer.objects.get(case=case, stage=stage)


def assigned_at_ten(users, clock):
    """Registered Monday 09:30, assigned to CGJ at 10:00."""
    case = CaseFactory(actor=users["agent"])
    clock.set(at(2026, 11, 23, 10, 0))
    return services.case_assign(case=case, actor=users["dispatcher"], department="CGJ")


def test_register_starts_a_triage_timer_of_two_working_hours_warning_at_80_percent(users, clock):
    case = CaseFactory(actor=users["agent"])
    timer = only(case, Stage.TRIAGE)
    assert timer.status == TimerStatus.RUNNING
    assert timer.started_at == at(2026, 11, 23, 9, 30)
    assert timer.due_at == at(2026, 11, 23, 11, 30)
    assert timer.warn_at == at(2026, 11, 23, 11, 6)  # 96 of 120 working minutes
    assert timer.next_action_at == timer.warn_at
    assert timer.department.code == "XFJ"  # triage is the dispatch desk's work
    assert timer.calendar.code == "CN" and timer.calendar_incomplete is False


def test_a_letter_gets_a_statutory_triage_term_of_15_calendar_days(users, clock):
    case = CaseFactory(actor=users["agent"], channel=Channel.LETTER)
    timer = only(case, Stage.TRIAGE)
    assert timer.due_at == at(2026, 12, 8, 23, 59, 59)
    span = timer.due_at - timer.started_at
    assert timer.warn_at == timer.started_at + span * 0.8


def test_assign_meets_triage_and_starts_sign_for_return_window_and_reply(users, clock):
    case = assigned_at_ten(users, clock)
    triage = only(case, Stage.TRIAGE)
    assert (triage.status, triage.stopped_at, triage.next_action_at) == (TimerStatus.MET, at(2026, 11, 23, 10, 0), None)
    timers = live(case)
    assert set(timers) == {Stage.SIGN_FOR, Stage.RETURN_WINDOW, Stage.REPLY}
    assert timers[Stage.SIGN_FOR].due_at == at(2026, 11, 24, 17, 30)
    assert timers[Stage.SIGN_FOR].warn_at == at(2026, 11, 24, 14, 54)  # 80 % of 13 working hours
    assert timers[Stage.RETURN_WINDOW].due_at == at(2026, 11, 30, 17, 30)
    assert timers[Stage.REPLY].due_at == at(2026, 12, 10, 17, 30)  # complaint: 13 working days
    assert {t.department.code for t in timers.values()} == {"CGJ"}
    case.refresh_from_db()
    assert case.return_due_at == at(2026, 11, 30, 17, 30)


def test_urgent_assign_gets_half_an_hour_to_sign_and_the_same_day_to_reply(users, clock):
    case = CaseFactory(actor=users["agent"], priority=Priority.URGENT)
    clock.set(at(2026, 11, 23, 10, 0))
    services.case_assign(case=case, actor=users["dispatcher"], department="CGJ")
    timers = live(case)
    assert timers[Stage.SIGN_FOR].due_at == at(2026, 11, 23, 10, 30)
    assert timers[Stage.REPLY].due_at == at(2026, 11, 23, 17, 30)


def test_assigning_after_the_triage_deadline_stops_triage_as_breached(users, clock):
    case = CaseFactory(actor=users["agent"])
    clock.set(at(2026, 11, 23, 14, 0))  # due 11:30; the sweeper has not run
    services.case_assign(case=case, actor=users["dispatcher"], department="CGJ")
    triage = only(case, Stage.TRIAGE)
    assert triage.status == TimerStatus.BREACHED
    assert triage.breached_at == at(2026, 11, 23, 11, 30)
    assert triage.stopped_at == at(2026, 11, 23, 14, 0)


@pytest.mark.parametrize("state", [State.REJECTED, State.MERGED])
def test_reject_and_merge_meet_triage_and_leave_no_clock_running(users, clock, state):
    case = make_case_in_state(state, users)
    assert only(case, Stage.TRIAGE).status == TimerStatus.MET
    assert live(case) == {}


def test_resolve_directly_meets_triage_and_starts_feedback(users, clock):
    case = CaseFactory(actor=users["agent"])
    clock.advance(minutes=5)
    services.case_resolve_directly(case=case, actor=users["agent"], answer="可在政务服务网在线办理。")
    assert only(case, Stage.TRIAGE).status == TimerStatus.MET
    feedback = live(case)[Stage.FEEDBACK]
    assert feedback.due_at == at(2026, 11, 26, 17, 30)  # 3 working days
    assert feedback.next_action_at == feedback.due_at  # no warning: it auto-closes


def test_sign_for_meets_sign_for_and_closes_the_return_window(users, clock):
    case = assigned_at_ten(users, clock)
    clock.set(at(2026, 11, 23, 15, 0))
    services.case_sign_for(case=case, actor=users["clerk_cgj"])
    assert only(case, Stage.SIGN_FOR).status == TimerStatus.MET
    assert only(case, Stage.RETURN_WINDOW).stopped_at == at(2026, 11, 23, 15, 0)
    assert set(live(case)) == {Stage.REPLY}


def test_return_stops_the_department_clocks_and_restarts_triage(users, clock):
    case = assigned_at_ten(users, clock)
    first_triage = only(case, Stage.TRIAGE)
    clock.set(at(2026, 11, 24, 9, 0))
    services.case_return(case=case, actor=users["clerk_cgj"], reason="属于住建局职责。")
    stopped = Timer.objects.filter(case=case, stage__in=[Stage.SIGN_FOR, Stage.RETURN_WINDOW, Stage.REPLY])
    assert {(t.stage, t.status, t.stopped_at) for t in stopped} == {
        (s, TimerStatus.MET, at(2026, 11, 24, 9, 0)) for s in (Stage.SIGN_FOR, Stage.RETURN_WINDOW, Stage.REPLY)
    }
    new_triage = live(case)[Stage.TRIAGE]
    assert new_triage.pk != first_triage.pk
    assert new_triage.started_at == at(2026, 11, 24, 9, 0)
    assert new_triage.due_at == at(2026, 11, 24, 11, 0)


def test_reply_meets_the_reply_clock_and_starts_review(users, clock):
    case = make_case_in_state(State.IN_PROGRESS, users)
    clock.set(at(2026, 11, 25, 10, 0))
    services.case_reply(**reply_kwargs(), case=case, actor=users["clerk_cgj"], text="已处理。")
    reply = only(case, Stage.REPLY)
    assert (reply.status, reply.stopped_at) == (TimerStatus.MET, at(2026, 11, 25, 10, 0))
    review = live(case)[Stage.REVIEW]
    assert review.due_at == at(2026, 11, 26, 17, 30)
    assert review.department.code == "XFJ"


def test_send_back_resumes_the_same_reply_clock_with_its_deadline_unchanged(users, clock):
    case = make_case_in_state(State.REPLIED, users)
    reply = only(case, Stage.REPLY)
    clock.set(at(2026, 11, 24, 10, 0))
    services.case_send_back(case=case, actor=users["dispatcher"], note="答复未说明处理结果。")
    assert only(case, Stage.REVIEW).status == TimerStatus.MET
    resumed = live(case)[Stage.REPLY]
    assert resumed.pk == reply.pk
    assert (resumed.status, resumed.stopped_at, resumed.due_at) == (TimerStatus.RUNNING, None, reply.due_at)
    assert resumed.next_action_at == reply.warn_at
    assert Timer.objects.filter(case=case, stage=Stage.REPLY).count() == 1


def test_approve_meets_review_and_starts_feedback_and_feedback_stops_it(users, clock):
    case = make_case_in_state(State.REPLIED, users)
    clock.set(at(2026, 11, 24, 16, 0))
    services.case_approve(case=case, actor=users["dispatcher"], answer="")
    assert only(case, Stage.REVIEW).status == TimerStatus.MET
    feedback = live(case)[Stage.FEEDBACK]
    assert feedback.due_at == at(2026, 11, 27, 17, 30)
    clock.set(at(2026, 11, 25, 9, 0))
    services.case_feedback(case=case, actor=None, rating="satisfied")
    feedback.refresh_from_db()
    assert (feedback.status, feedback.stopped_at) == (TimerStatus.MET, at(2026, 11, 25, 9, 0))
    assert live(case) == {}


def test_reopen_starts_fresh_department_clocks_and_a_new_return_deadline(users, clock):
    case = make_case_in_state(State.CLOSED, users)
    before = set(Timer.objects.filter(case=case).values_list("pk", flat=True))
    clock.set(at(2026, 11, 30, 9, 0))
    services.case_reopen(case=case, actor=users["supervisor"], reason="群众反映问题仍未解决。")
    timers = live(case)
    assert set(timers) == {Stage.SIGN_FOR, Stage.RETURN_WINDOW, Stage.REPLY}
    assert not before & {t.pk for t in timers.values()}
    assert timers[Stage.REPLY].started_at == at(2026, 11, 30, 9, 0)
    assert timers[Stage.REPLY].due_at == at(2026, 12, 17, 17, 30)
    case.refresh_from_db()
    assert case.return_due_at == timers[Stage.RETURN_WINDOW].due_at == at(2026, 12, 7, 17, 30)


def test_hold_pauses_with_the_working_time_left_and_resume_gives_it_back(users, clock):
    case = make_case_in_state(State.IN_PROGRESS, users)
    reply = only(case, Stage.REPLY)
    assert reply.due_at == at(2026, 12, 10, 17, 30)
    clock.set(at(2026, 11, 24, 10, 0))
    services.case_hold(case=case, actor=users["clerk_cgj"], reason="请群众补充具体地址。")
    reply.refresh_from_db()
    assert reply.status == TimerStatus.PAUSED
    assert reply.next_action_at is None
    assert reply.remaining_seconds == 90 * 3600  # 6 h on Tuesday + 12 working days of 7 h
    clock.set(at(2026, 11, 30, 10, 0))  # 28 working hours later
    services.case_resume(case=case, actor=users["clerk_cgj"])
    reply.refresh_from_db()
    assert reply.status == TimerStatus.RUNNING
    assert reply.due_at == at(2026, 12, 16, 17, 30)  # moved by exactly those 4 working days
    assert reply.next_action_at == reply.warn_at


def test_a_calendar_change_recomputes_running_timers_on_it(users, clock):
    case = make_case_in_state(State.IN_PROGRESS, users)
    reply = only(case, Stage.REPLY)
    assert reply.due_at == at(2026, 12, 10, 17, 30)
    CalendarException.objects.create(
        calendar=Calendar.objects.get(code="CN"), date="2026-12-01", kind=ExceptionKind.HOLIDAY, name="测试假日"
    )
    reply.refresh_from_db()
    assert reply.due_at == at(2026, 12, 11, 17, 30)
    assert reply.next_action_at == reply.warn_at
    # Stopped timers keep the deadline they had.
    assert only(case, Stage.TRIAGE).due_at == at(2026, 11, 23, 11, 30)


def test_a_term_running_into_a_year_without_calendar_data_is_flagged(users, clock):
    clock.set(at(2026, 12, 28, 10, 0))
    case = make_case_in_state(State.ASSIGNED, users)
    reply = only(case, Stage.REPLY)
    assert reply.due_at.year == 2027
    assert reply.calendar_incomplete is True
    assert only(case, Stage.SIGN_FOR).calendar_incomplete is False


def test_administrators_find_timers_counted_on_an_incomplete_calendar(users, clock, client):
    clock.set(at(2026, 12, 28, 10, 0))
    flagged = make_case_in_state(State.ASSIGNED, users)
    fine = CaseFactory(actor=users["agent"])
    client.force_login(users["admin"])
    html = client.get("/admin/sla/timer/?calendar_incomplete__exact=1").content.decode()
    assert flagged.tracking_no in html
    assert fine.tracking_no not in html
    assert client.get(f"/admin/sla/timer/{only(flagged, Stage.REPLY).pk}/delete/").status_code == 403


def test_a_late_reply_sent_back_resumes_breached_and_escalates_at_once(users, clock):
    from sla import sweeper
    from sla.models import SupervisionOrder

    case = make_case_in_state(State.IN_PROGRESS, users)
    clock.set(at(2026, 12, 11, 9, 0))  # a day late; the sweeper never ran
    services.case_reply(**reply_kwargs(), case=case, actor=users["clerk_cgj"], text="已处理。")
    assert only(case, Stage.REPLY).status == TimerStatus.BREACHED
    clock.set(at(2026, 12, 11, 10, 0))
    services.case_send_back(case=case, actor=users["dispatcher"], note="请补充处理结果。")
    reply = live(case)[Stage.REPLY]
    assert (reply.status, reply.next_action_at) == (TimerStatus.BREACHED, at(2026, 12, 11, 10, 0))
    sweeper.Sweeper().step()
    assert SupervisionOrder.objects.get(timer=reply).level == 1


def test_a_hold_moves_the_case_return_deadline_with_its_window(users, clock):
    case = assigned_at_ten(users, clock)
    clock.set(at(2026, 11, 24, 10, 0))
    services.case_hold(case=case, actor=users["clerk_cgj"], reason="请群众补充地址。")
    clock.set(at(2026, 11, 30, 10, 0))  # 4 working days later
    services.case_resume(case=case, actor=users["clerk_cgj"])
    case.refresh_from_db()
    assert only(case, Stage.RETURN_WINDOW).due_at == case.return_due_at == at(2026, 12, 4, 17, 30)
