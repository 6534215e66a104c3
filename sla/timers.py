"""Timer services: start, stop, pause, resume, reopen and recompute (DESIGN.md §4).

A timer is one stage's clock on one case. Its deadline comes from the stage's
term (``policies.term_for``) counted on the term's calendar (``calendar.py``);
it warns at 80 % of the term, breaches at 100 % and then escalates (the sweeper
does those three). ``timers_apply`` at the end is the policy: which case action
starts, stops, pauses or resumes which clock. Every function here is called inside
the transaction of the case action that caused it (``timers_apply``, from
``receivers.py``) or of the sweeper's step, with the case row already locked, so
timers commit or roll back with the action.

Where a timer's clock stands is kept as an *anchor* so that a calendar change can
recompute it: the term from ``started_at``; or, after a hold, the remaining
budget from ``resumed_at``; or, after a granted extension, the granted date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction

from cases import answer as case_answer
from cases.copy_rows import insert_rows
from cases.enums import State, Transition
from cases.models import Case, Department
from cases.selectors import dispatch_department

from .calendar import (
    Deadline,
    Schedule,
    add_working_time,
    calendar_and_schedule,
    compute_deadline,
    load_schedule,
    working_seconds_between,
)
from .enums import Stage, TermUnit, TimerStatus
from .models import LIVE, Calendar, Timer
from .policies import term_for

WARN_FRACTION = 0.8
# Stages whose timer only marks a window: it lapses quietly at its due time.
QUIET_STAGES = frozenset({Stage.RETURN_WINDOW})
# Stages whose timer, when due, closes the case instead of breaching (no feedback → auto-close).
SELF_CLOSING_STAGES = frozenset({Stage.FEEDBACK})
# Stages that are somebody's work: they warn, breach and escalate.
ESCALATING_STAGES = frozenset({Stage.TRIAGE, Stage.SIGN_FOR, Stage.REPLY, Stage.REVIEW, Stage.ASSIST})
# Stages whose work lies with the dispatch desk (信访局), not the case's department.
DISPATCH_STAGES = frozenset({Stage.TRIAGE, Stage.REVIEW, Stage.FEEDBACK})


def _is_working(unit: str) -> bool:
    return unit != TermUnit.CALENDAR_DAYS


def term_kwargs(unit: str, value: Decimal | float) -> dict[str, int | float]:
    """``compute_deadline`` wants a float of hours or a whole number of days."""
    return {unit: float(value) if unit == TermUnit.WORKING_HOURS else int(value)}


def budget_seconds(calendar: Calendar | Schedule, unit: str, start: dt.datetime, end: dt.datetime) -> float:
    """How much of the clock lies between two moments, in the term's own units (as seconds)."""
    if end <= start:
        return 0.0
    if _is_working(unit):
        return float(working_seconds_between(calendar, start, end))
    return (end - start).total_seconds()


def advance(calendar: Calendar | Schedule, unit: str, start: dt.datetime, seconds: float) -> Deadline:
    """``start`` plus ``seconds`` of the term's clock (working time, or plain time for calendar days)."""
    if _is_working(unit):
        return add_working_time(calendar, start, max(0, round(seconds)))
    return Deadline(start + dt.timedelta(seconds=max(0.0, seconds)), False)


def warn_moment(calendar: Calendar | Schedule, unit: str, start: dt.datetime, due: dt.datetime) -> Deadline:
    """80 % of the way from ``start`` to ``due``, measured in the term's own units."""
    return advance(calendar, unit, start, budget_seconds(calendar, unit, start, due) * WARN_FRACTION)


def next_action_at(timer: Timer) -> dt.datetime | None:
    """When the sweeper must next look at this timer (its work queue); None = nothing to do."""
    if timer.stopped_at is not None or timer.status == TimerStatus.PAUSED:
        return None
    if timer.status == TimerStatus.BREACHED:
        return timer.next_escalation_at
    if timer.stage in QUIET_STAGES or timer.stage in SELF_CLOSING_STAGES:
        return timer.due_at
    if timer.warned_at is None and timer.warn_at < timer.due_at:
        return timer.warn_at
    return timer.due_at


def responsible_department(case: Case, stage: str) -> Department | None:
    if case.about_staff_of_id is not None and case.department_id is not None:
        return case.department  # a report about staff: its restricted queue does the desk's work too
    if stage in DISPATCH_STAGES or case.department_id is None:
        return dispatch_department()
    # A forwarded case's clocks run for the sub-unit holding it (二次派单).
    return case.handling_department if case.handling_department_id else case.department


def _save(timer: Timer, *fields: str) -> None:
    timer.next_action_at = next_action_at(timer)
    timer.save(update_fields=[*fields, "next_action_at"])
    if timer.stage == Stage.RETURN_WINDOW and timer.stopped_at is None and "due_at" in fields:
        # The case's return permission reads this copy of the window (resume, calendar change).
        Case.objects.filter(pk=timer.case_id).update(return_due_at=timer.due_at)


# --- start / stop ------------------------------------------------------------------


def timer_start(
    *,
    case: Case,
    stage: str,
    now: dt.datetime,
    department: Department | None = None,
    not_after: dt.datetime | None = None,
) -> Timer:
    """Start the clock of ``stage`` with the term the policies give for this case; ``department``
    is whom it runs against when that is not ``responsible_department`` (an assisting one).
    ``not_after`` caps its deadline (a sub-unit's clock never ends after its parent's reply deadline)."""
    term = term_for(case, stage)
    calendar, sched = calendar_and_schedule(term.calendar_code)  # the process's copy: no query
    unit, value = str(term.unit), Decimal(str(term.value))
    due = compute_deadline(sched, now, **term_kwargs(unit, value))
    if not_after is not None and not_after < due.due_at:
        due = Deadline(max(not_after, now), due.incomplete)
    warn = warn_moment(sched, unit, now, due.due_at)
    timer = Timer(
        case=case,
        stage=stage,
        calendar=calendar,
        department=department or responsible_department(case, stage),
        term_unit=unit,
        term_value=value,
        started_at=now,
        due_at=due.due_at,
        original_due_at=due.due_at,
        warn_at=warn.due_at,
        calendar_incomplete=due.incomplete or warn.incomplete,
        status=TimerStatus.RUNNING,
    )
    timer.next_action_at = next_action_at(timer)
    insert_rows([timer])
    if case.on_hold:  # a case waiting for the citizen starts its new clocks paused
        timer_pause(timer=timer, now=now)
    return timer


def timer_stop(*, timer: Timer, now: dt.datetime) -> Timer:
    """Stop the clock: met if in time, breached if late (even when the sweeper had not yet noticed)."""
    if timer.stopped_at is not None:
        return timer
    if timer.status == TimerStatus.RUNNING and timer.due_at < now:
        timer.status = TimerStatus.BREACHED
        timer.breached_at = timer.due_at
    elif timer.status in {TimerStatus.RUNNING, TimerStatus.PAUSED}:
        timer.status = TimerStatus.MET
    timer.stopped_at = now
    _save(timer, "status", "breached_at", "stopped_at")
    return timer


def live_timers(case: Case, stages: Iterable[str] | None = None, *, department_id: int | None = None) -> list[Timer]:
    """The case's running, paused or breached timers, locked (the case row is locked already);
    with ``department_id``, only the clocks running for that department (one level of 二次派单)."""
    qs = Timer.objects.filter(LIVE, case=case)
    if stages is not None:
        qs = qs.filter(stage__in=list(stages))
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    return list(qs.select_for_update(of=("self",)).order_by("id"))


def timers_stop(
    *, case: Case, now: dt.datetime, stages: Iterable[str] | None = None, department_id: int | None = None
) -> list[Timer]:
    return [timer_stop(timer=t, now=now) for t in live_timers(case, stages, department_id=department_id)]


def timers_start_department(*, case: Case, now: dt.datetime) -> list[Timer]:
    """On assign and reopen: sign-for, return-window and reply clocks; the case learns its return deadline."""
    started = [timer_start(case=case, stage=s, now=now) for s in (Stage.SIGN_FOR, Stage.RETURN_WINDOW, Stage.REPLY)]
    window = next(t for t in started if t.stage == Stage.RETURN_WINDOW)
    case.return_due_at = window.due_at
    Case.objects.filter(pk=case.pk).update(return_due_at=window.due_at)
    return started


def timer_reopen_reply(*, case: Case, now: dt.datetime, department_id: int | None = None) -> Timer | None:
    """send_back: the department's reply clock carries on from where it was (its due time unchanged).
    ``department_id``: the department whose clock it is (a forwarded case has one per level)."""
    qs = Timer.objects.select_for_update(of=("self",)).filter(case=case, stage=Stage.REPLY)
    if department_id is not None:
        qs = qs.filter(department_id=department_id)
    timer = qs.order_by("-started_at", "-id").first()
    if timer is None or timer.stopped_at is None:
        return timer
    timer.stopped_at = None
    timer.status = TimerStatus.BREACHED if timer.breached_at is not None else TimerStatus.RUNNING
    if timer.status == TimerStatus.BREACHED and timer.escalation_level == 0:
        timer.next_escalation_at = now  # it was late when replied, before the sweeper noticed: escalate now
    _save(timer, "stopped_at", "status", "next_escalation_at")
    if case.on_hold and timer.status == TimerStatus.RUNNING:
        timer_pause(timer=timer, now=now)
    return timer


def timers_start_assist(*, case: Case, now: dt.datetime) -> list[Timer]:
    """On assign and reopen: one opinion clock per assisting department (协办意见)."""
    return [
        timer_start(case=case, stage=Stage.ASSIST, now=now, department=d)
        for d in case.assisting_departments.exclude(pk=case.department_id).order_by("code")
    ]


def timer_stop_assist(*, case: Case, department_code: str, now: dt.datetime) -> list[Timer]:
    """An assisting department gave its opinion: its clock is met (or breached, if late)."""
    timers = [t for t in live_timers(case, [Stage.ASSIST]) if t.department and t.department.code == department_code]
    return [timer_stop(timer=t, now=now) for t in timers]


# --- hold ----------------------------------------------------------------------------


def timer_pause(*, timer: Timer, now: dt.datetime) -> Timer:
    """Hold: remember how much of the clock was left, in the term's units, and stop the sweeper's interest."""
    if timer.status != TimerStatus.RUNNING or timer.stopped_at is not None:
        return timer
    cal, unit = load_schedule(timer.calendar), timer.term_unit
    timer.remaining_seconds = budget_seconds(cal, unit, now, timer.due_at)
    timer.remaining_warn_seconds = (
        budget_seconds(cal, unit, now, timer.warn_at) if timer.warned_at is None and timer.warn_at > now else None
    )
    timer.paused_at = now
    timer.status = TimerStatus.PAUSED
    _save(timer, "remaining_seconds", "remaining_warn_seconds", "paused_at", "status")
    return timer


def _from_resume_anchor(timer: Timer) -> None:
    cal, unit, start = load_schedule(timer.calendar), timer.term_unit, timer.resumed_at
    due = advance(cal, unit, start, timer.remaining_seconds or 0)
    timer.due_at = due.due_at
    incomplete = due.incomplete
    if timer.remaining_warn_seconds is not None:
        warn = advance(cal, unit, start, timer.remaining_warn_seconds)
        timer.warn_at, incomplete = warn.due_at, incomplete or warn.incomplete
    timer.calendar_incomplete = incomplete


def timer_resume(*, timer: Timer, now: dt.datetime) -> Timer:
    """End of hold: the clock restarts now with the time it had left."""
    if timer.status != TimerStatus.PAUSED or timer.stopped_at is not None:
        return timer
    timer.resumed_at = now
    timer.status = TimerStatus.RUNNING
    _from_resume_anchor(timer)
    _save(timer, "resumed_at", "status", "due_at", "warn_at", "calendar_incomplete")
    return timer


def timers_pause(*, case: Case, now: dt.datetime) -> list[Timer]:
    return [timer_pause(timer=t, now=now) for t in live_timers(case) if t.status == TimerStatus.RUNNING]


def timers_resume(*, case: Case, now: dt.datetime) -> list[Timer]:
    return [timer_resume(timer=t, now=now) for t in live_timers(case) if t.status == TimerStatus.PAUSED]


# --- extension and recompute --------------------------------------------------------


def timer_extend(*, timer: Timer, until: dt.datetime, now: dt.datetime) -> Timer:
    """A granted extension: the deadline moves to ``until``; a breach is cleared; 80 % is re-measured."""
    warn = warn_moment(timer.calendar, timer.term_unit, timer.started_at, until)
    timer.due_at = until
    timer.warn_at = warn.due_at
    timer.extended = True
    timer.resumed_at = None  # the granted date is now the anchor, not an earlier hold
    timer.remaining_seconds = timer.remaining_warn_seconds = None
    if timer.warn_at > now:
        timer.warned_at = None
    if timer.status == TimerStatus.BREACHED:
        timer.status = TimerStatus.RUNNING
        timer.breached_at = None
        timer.next_escalation_at = None
    _save(
        timer,
        "due_at",
        "warn_at",
        "extended",
        "resumed_at",
        "remaining_seconds",
        "remaining_warn_seconds",
        "warned_at",
        "status",
        "breached_at",
        "next_escalation_at",
    )
    return timer


def timer_recompute(*, timer: Timer) -> Timer:
    """Recount a running timer's deadlines from its anchor after its calendar changed."""
    if timer.stopped_at is not None or timer.status != TimerStatus.RUNNING:
        return timer  # paused ones recount on resume; breached ones have escalated already
    cal, unit = load_schedule(timer.calendar), timer.term_unit
    if timer.resumed_at is not None:
        _from_resume_anchor(timer)
    else:
        if not timer.extended:
            due = compute_deadline(cal, timer.started_at, **term_kwargs(unit, timer.term_value))
            timer.due_at, timer.original_due_at = due.due_at, due.due_at
        else:
            due = Deadline(timer.due_at, False)
        warn = warn_moment(cal, unit, timer.started_at, timer.due_at)
        timer.warn_at = warn.due_at
        timer.calendar_incomplete = due.incomplete or warn.incomplete
    _save(timer, "due_at", "original_due_at", "warn_at", "calendar_incomplete")
    return timer


def timers_recompute_for_calendar(*, calendar: Calendar) -> int:
    """Every running timer on ``calendar``, each recounted under its case's lock."""
    ids = list(Timer.objects.filter(LIVE, calendar=calendar, status=TimerStatus.RUNNING).values_list("case_id", "id"))
    for case_id, timer_id in ids:
        with transaction.atomic():
            Case.objects.select_for_update().filter(pk=case_id).values_list("pk", flat=True).first()
            timer = Timer.objects.select_for_update(of=("self",)).select_related("calendar").filter(pk=timer_id).first()
            if timer is not None:
                timer.calendar = calendar  # the changed instance, not a stale copy
                timer_recompute(timer=timer)
    return len(ids)


# --- the policy: what each case action does to the clocks ------------------------------


def timers_start_sub_unit(*, case: Case, now: dt.datetime) -> list[Timer]:
    """On forward (二次派单): the sub-unit's sign-for and reply clocks, each capped at the reply
    deadline of the department that forwarded it, which stays binding and keeps running."""
    parent = (
        Timer.objects.filter(LIVE, case=case, stage=Stage.REPLY)
        .exclude(department_id=case.handling_department_id)
        .order_by("-started_at", "-id")
        .first()
    )
    cap = parent.due_at if parent is not None else None
    return [timer_start(case=case, stage=s, now=now, not_after=cap) for s in (Stage.SIGN_FOR, Stage.REPLY)]


def timers_retarget(*, case: Case, now: dt.datetime) -> list[Timer]:
    """After the dispatcher corrected category, kind or priority: every running clock takes the
    term the policies now give the case, counted from its own start (a clock that was extended,
    held or has breached keeps its deadline: those were decided on the old terms)."""
    changed = []
    for timer in live_timers(case):
        if timer.status != TimerStatus.RUNNING or timer.extended or timer.resumed_at is not None:
            continue
        term = term_for(case, timer.stage)
        unit, value = str(term.unit), Decimal(str(term.value))
        if (unit, value, term.calendar_code) == (timer.term_unit, timer.term_value, timer.calendar.code):
            continue
        timer.calendar = Calendar.objects.get(code=term.calendar_code)
        timer.term_unit, timer.term_value = unit, value
        sched = load_schedule(timer.calendar)
        due = compute_deadline(sched, timer.started_at, **term_kwargs(unit, value))
        warn = warn_moment(sched, unit, timer.started_at, due.due_at)
        timer.due_at, timer.original_due_at, timer.warn_at = due.due_at, due.due_at, warn.due_at
        timer.calendar_incomplete = due.incomplete or warn.incomplete
        if timer.warned_at is not None and timer.warn_at > now:
            timer.warned_at = None
        _save(
            timer,
            "calendar",
            "term_unit",
            "term_value",
            "due_at",
            "original_due_at",
            "warn_at",
            "calendar_incomplete",
            "warned_at",
        )
        changed.append(timer)
    return changed


def timers_apply(*, case: Case, action: str, at: dt.datetime, data: dict | None = None) -> None:
    """Apply one case action to the case's clocks: DESIGN.md §4's table, row by row.

    Called (through ``receivers.py``) inside the action's transaction with the case row locked;
    ``at`` is the moment of the action's audit event, so every timer it touches agrees with the
    case's history. ``timers_stop`` without ``stages`` stops every live clock of the case; a
    stopped clock is met, or breached if it was already late. Actions that are not on a clock (notes, publication,
    extensions, supervision orders) change nothing here.
    """
    match action:
        case Transition.REGISTER:
            # A new case has this one clock: kept on the object so the registration's answer (the
            # API's 201) need not read it back (sla.serializers.timers_data(fresh=True)).
            case.fresh_timers = [timer_start(case=case, stage=Stage.TRIAGE, now=at)]
        case Transition.ASSIGN:
            timers_stop(case=case, now=at, stages=[Stage.TRIAGE])
            timers_start_department(case=case, now=at)  # sign_for, return_window, reply
            timers_start_assist(case=case, now=at)
        case Transition.REJECT | Transition.MERGE | Transition.TRANSFER:
            timers_stop(case=case, now=at)
        case Transition.RESOLVE_DIRECTLY | Transition.APPROVE:
            # Answered: nothing is left but the citizen's feedback window.
            timers_stop(case=case, now=at)
            timer_start(case=case, stage=Stage.FEEDBACK, now=at)
        case Transition.RETURN:
            # The department handed the case back: its clocks stop, the dispatch desk's starts again.
            timers_stop(case=case, now=at)
            timer_start(case=case, stage=Stage.TRIAGE, now=at)
        case Transition.SIGN_FOR:
            # Once signed for, the case can no longer be returned: the return window is moot.
            timers_stop(case=case, now=at, stages=[Stage.SIGN_FOR, Stage.RETURN_WINDOW])
        case Transition.REPLY if case.state == State.SUB_REPLIED:
            # A sub-unit replied to the department above it: only the sub-unit's clocks stop.
            timers_stop(
                case=case, now=at, stages=[Stage.SIGN_FOR, Stage.REPLY], department_id=case.handling_department_id
            )
        case Transition.REPLY:
            # The lead department answered: opinions still missing can no longer be included.
            timers_stop(case=case, now=at, stages=[Stage.SIGN_FOR, Stage.RETURN_WINDOW, Stage.REPLY, Stage.ASSIST])
            timer_start(case=case, stage=Stage.REVIEW, now=at)
        case Transition.SEND_BACK:
            # The department's clock did not stop for a weak answer: the reply timer carries on.
            timers_stop(case=case, now=at, stages=[Stage.REVIEW])
            timer_reopen_reply(case=case, now=at, department_id=case.department_id)
        # --- multi-tier dispatch (二次派单), disputes, correction: cases/forwarding.py ---
        case Transition.FORWARD:
            timers_start_sub_unit(case=case, now=at)
        case Transition.RETURN_UP:
            # Back one level: the sub-unit's clocks stop; the parent's reply clock never stopped.
            sub = Department.objects.filter(code=(data or {}).get("from_department", "")).first()
            if sub is not None:
                timers_stop(case=case, now=at, department_id=sub.pk)
        case Transition.APPROVE_UP if case.state == State.SUB_REPLIED:
            # Adopted one level up, still below the lead department: that level's reply clock is met.
            timers_stop(case=case, now=at, stages=[Stage.REPLY], department_id=case.handling_department_id)
        case Transition.APPROVE_UP:
            # The lead department's reply: its clocks stop and the dispatcher's review starts.
            timers_stop(case=case, now=at, stages=[Stage.SIGN_FOR, Stage.RETURN_WINDOW, Stage.REPLY])
            timer_start(case=case, stage=Stage.REVIEW, now=at)
        case Transition.SEND_DOWN:
            timer_reopen_reply(case=case, now=at, department_id=case.handling_department_id)
        case Transition.DISPUTE:
            # The dispatcher has decided: the case now waits for a supervisor's arbitration.
            timers_stop(case=case, now=at, stages=[Stage.TRIAGE])
        case Transition.ARBITRATE:
            timers_stop(case=case, now=at)
            timers_start_department(case=case, now=at)  # as on assign
        case Transition.RECLASSIFY:
            timers_retarget(case=case, now=at)
        case Transition.FEEDBACK | Transition.AUTO_CLOSE:
            timers_stop(case=case, now=at)
        case Transition.REOPEN:
            timers_stop(case=case, now=at)
            timers_start_department(case=case, now=at)  # new clocks, counted from the reopening
            timers_start_assist(case=case, now=at)
        case Transition.HOLD:
            timers_pause(case=case, now=at)
        case Transition.RESUME:
            timers_resume(case=case, now=at)
        case case_answer.ASSIST_OPINION:
            timer_stop_assist(case=case, department_code=(data or {}).get("department", ""), now=at)
        case Transition.SUPPLEMENT:
            # The citizen's information ended a hold (cases.supplements): the paused clocks resume.
            if not case.on_hold:
                timers_resume(case=case, now=at)
