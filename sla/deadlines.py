"""Read APIs of a case's clocks: the deadline a citizen is told, the live timers, the one colour rule,
and the late-reply rule of the statistics (DESIGN.md §2, §4, §7). A timer's JSON shape is
``sla.serializers.timer_data``.

Every edge that shows a deadline or a clock — the tracking page, the tracking API, the IVR and SMS
status answers, the console's lists and case page, the supervisor board, the monthly figures — reads
it through this module, so a citizen hears one date and a row shows one colour.

Lists: pass the cases through ``prefetch_timers(qs)`` and the functions taking a case read
``case.timers.all()`` from the prefetch cache (one query for the whole page, none per row).
Every function that depends on the time takes ``now`` from its caller (STYLE.md §17).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import overload

from django.db.models import (
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from cases.enums import State
from cases.models import Case

from .enums import CitizenDeadlineStatus, ClockColour, Stage, TimerStatus
from .models import LIVE, Timer
from .policies import deadline_for, term_for
from .timers import ESCALATING_STAGES

# The clocks somebody works against, shown on a case's list row (the return window is a permission,
# not work; it never gets a colour of its own on a row).
ROW_STAGES = frozenset({Stage.TRIAGE, Stage.SIGN_FOR, Stage.REPLY, Stage.REVIEW, Stage.FEEDBACK})
# Worst first: a row shows the clock in the worst colour, then the soonest due.
SEVERITY = {
    ClockColour.BREACHED: 0,
    ClockColour.WARNING: 1,
    ClockColour.RUNNING: 2,
    ClockColour.PAUSED: 3,
    ClockColour.MET: 4,
}


# --- the timers of a case -----------------------------------------------------------------


def prefetch_timers(qs: QuerySet[Case]) -> QuerySet[Case]:
    """A case list whose ``case.timers.all()`` holds every timer of each case (oldest first), in one
    query for the whole list: what ``citizen_deadline``, ``live_timers``, ``row_clock`` and
    ``sla.serializers.timers_data`` read."""
    return qs.prefetch_related(Prefetch("timers", queryset=Timer.objects.order_by("started_at", "id")))


def case_timers(case: Case) -> list[Timer]:
    """Every timer of the case, oldest first; from the prefetch cache when the list was prepared
    (``prefetch_timers``), else one query."""
    if "timers" in getattr(case, "_prefetched_objects_cache", {}):
        return list(case.timers.all())
    return list(case.timers.order_by("started_at", "id"))


@overload
def live_timers(target: Case) -> list[Timer]: ...
@overload
def live_timers(target: QuerySet[Case]) -> QuerySet[Timer]: ...
def live_timers(target: Case | QuerySet[Case]) -> list[Timer] | QuerySet[Timer]:
    """The live timers — not stopped: running, paused (on hold) or breached and still running — of
    one case (a list, from the prefetch cache when there is one) or of a queryset of cases (a
    queryset of timers). ``sla.models.LIVE`` is the one definition; the board, the sweeper, the
    API's ``overdue`` filter and the console all use it."""
    if isinstance(target, Case):
        return [t for t in case_timers(target) if t.is_live]
    return Timer.objects.filter(LIVE, case__in=target)


def _latest(timers: Iterable[Timer], stage: str) -> Timer | None:
    """The most recent clock of a stage (a reopen or a return starts a new one)."""
    found = [t for t in timers if t.stage == stage]
    return max(found, key=lambda t: (t.started_at, t.pk or 0)) if found else None


# --- the one colour rule ------------------------------------------------------------------


def clock_colour(timer: Timer, *, now: dt.datetime) -> ClockColour:
    """The colour of a clock, everywhere it is shown (list rows, the case page, the board).

    ============  ==========================================================================
    colour        when
    ============  ==========================================================================
    ``met``       stopped in time (grey-green, history)
    ``breached``  red: stopped late; or live and breached; or running and ``now >= due_at``
                  (red at the deadline even if the sweeper has not got to it yet)
    ``paused``    grey: on hold (a paused clock has no current deadline)
    ``warning``   amber: running and ``now >= warn_at`` (80 % of the term), or already warned
    ``running``   green: running, before ``warn_at``
    ============  ==========================================================================

    ``colour_condition`` is the same rule as a filter, for the board's counts.
    """
    if not timer.is_live:
        late = timer.status == TimerStatus.BREACHED or timer.breached_at is not None
        return ClockColour.BREACHED if late else ClockColour.MET
    if timer.status == TimerStatus.PAUSED:
        return ClockColour.PAUSED
    if timer.status == TimerStatus.BREACHED or timer.due_at <= now:
        return ClockColour.BREACHED
    if timer.warned_at is not None or timer.warn_at <= now:
        return ClockColour.WARNING
    return ClockColour.RUNNING


def colour_condition(colour: ClockColour | str, *, now: dt.datetime) -> Q:
    """Q on Timer: the live timers ``clock_colour`` paints ``colour`` at ``now`` (``met`` is never
    live, so it matches nothing live: it is the stopped-in-time history)."""
    running = LIVE & Q(status=TimerStatus.RUNNING)
    if colour == ClockColour.BREACHED:
        return LIVE & (Q(status=TimerStatus.BREACHED) | Q(status=TimerStatus.RUNNING, due_at__lte=now))
    if colour == ClockColour.PAUSED:
        return LIVE & Q(status=TimerStatus.PAUSED)
    if colour == ClockColour.WARNING:
        return running & Q(due_at__gt=now) & (Q(warned_at__isnull=False) | Q(warn_at__lte=now))
    if colour == ClockColour.RUNNING:
        return running & Q(due_at__gt=now, warned_at__isnull=True, warn_at__gt=now)
    if colour == ClockColour.MET:
        return Q(stopped_at__isnull=False, status=TimerStatus.MET)
    raise ValueError(f"unknown clock colour {colour!r}")


def overdue_condition(*, now: dt.datetime) -> Q:
    """Q on Case: a clock of somebody's work (triage, sign-for, reply, review) is red now; a late
    reply already given is history, not overdue (nor is a lapsing return window or feedback window)."""
    red = colour_condition(ClockColour.BREACHED, now=now)
    return Q(Exists(Timer.objects.filter(red, case=OuterRef("pk"), stage__in=ESCALATING_STAGES)))


@dataclass(frozen=True)
class Clock:
    """One clock as a list row or the case page shows it."""

    timer: Timer
    colour: ClockColour
    now: dt.datetime

    @property
    def stage(self) -> str:
        return self.timer.stage

    @property
    def stage_label(self) -> str:
        return str(Stage(self.timer.stage).label)

    @property
    def status_label(self) -> str:
        return str(TimerStatus(self.timer.status).label)

    @property
    def due_at(self) -> dt.datetime:
        return self.timer.due_at

    @property
    def overdue_by(self) -> dt.timedelta:
        """How far past its deadline a red clock is (zero otherwise)."""
        return (
            max(dt.timedelta(0), self.now - self.timer.due_at)
            if self.colour == ClockColour.BREACHED
            else dt.timedelta(0)
        )

    @property
    def escalation_level(self) -> int:
        return self.timer.escalation_level


def case_clocks(case: Case, *, now: dt.datetime) -> list[Clock]:
    """Every clock of the case, oldest first, each in its colour (the case page)."""
    return [Clock(t, clock_colour(t, now=now), now) for t in case_timers(case)]


def row_clock(case: Case, *, now: dt.datetime) -> Clock | None:
    """The one clock a case's list row shows (queue, inbox, case list): of its live clocks of
    ``ROW_STAGES``, the one in the worst colour, then the soonest due; None when none is live."""
    clocks = [Clock(t, clock_colour(t, now=now), now) for t in live_timers(case) if t.stage in ROW_STAGES]
    if not clocks:
        return None
    return min(clocks, key=lambda c: (SEVERITY[c.colour], c.timer.due_at))


# --- the deadline a citizen is told ---------------------------------------------------------


@dataclass(frozen=True)
class CitizenDeadline:
    """The deadline told to a citizen. ``due_at`` is None while the clock is paused (the time left
    is kept; the date is fixed again when the citizen's information arrives)."""

    stage: str
    due_at: dt.datetime | None
    status: CitizenDeadlineStatus
    extended: bool

    @property
    def status_label(self) -> str:
        return str(self.status.label)


def citizen_deadline(case: Case, *, now: dt.datetime) -> CitizenDeadline | None:
    """The one deadline a citizen is told, on the tracking page, the tracking API, the IVR and SMS.

    ==========================  =============================================================
    case state                  deadline told
    ==========================  =============================================================
    registered                  the triage clock's due time: when the hotline decides where the
                                matter goes (2 working hours; letters 15 days — the statutory
                                "told within 15 days whether it is accepted")
    assigned, in_progress       the reply clock's due time, including a granted extension
                                (an extension moves ``due_at``); never the sign-for clock
    on hold (paused clock)      no date, status ``paused``: the clock stands still until the
                                citizen's information arrives
    reply clock breached        its due time, status ``overdue`` (until the reply comes)
    replied (under review)      still the reply deadline, as it stood when the department
                                replied: status ``met``, or ``late`` if it came after it
    answered                    none: the answer is there (the feedback window is the
                                citizen's own and is shown as the feedback form)
    closed, rejected, merged    none
    ==========================  =============================================================

    The return window and the sign-for and review clocks are the services' own and are never
    told to citizens. ``now`` decides ``overdue`` for a clock past due that the sweeper has not
    marked yet, by the same rule as ``clock_colour``.
    """
    if case.state == State.REGISTERED:
        stage = Stage.TRIAGE
    elif case.state in {State.ASSIGNED, State.IN_PROGRESS, State.REPLIED, State.SUB_REPLIED}:
        stage = Stage.REPLY
    else:
        return None
    timers = case_timers(case)
    if case.handling_department_id is not None or case.state == State.SUB_REPLIED:
        # Forwarded to a sub-unit (二次派单): the lead department's deadline binds, not the sub-unit's.
        timers = [t for t in timers if t.department_id == case.department_id]
    timer = _latest(timers, stage)
    if timer is None:
        return None
    colour = clock_colour(timer, now=now)
    if not timer.is_live:
        if case.state != State.REPLIED:
            return None  # a stopped triage clock of a registered case: a return restarted nothing yet
        status = CitizenDeadlineStatus.LATE if colour == ClockColour.BREACHED else CitizenDeadlineStatus.MET
    elif colour == ClockColour.PAUSED:
        return CitizenDeadline(
            stage=timer.stage, due_at=None, status=CitizenDeadlineStatus.PAUSED, extended=timer.extended
        )
    elif colour == ClockColour.BREACHED:
        status = CitizenDeadlineStatus.OVERDUE
    else:
        status = CitizenDeadlineStatus.RUNNING
    return CitizenDeadline(stage=timer.stage, due_at=timer.due_at, status=status, extended=timer.extended)


# --- the statistics' reading of the reply clock ---------------------------------------------


def late_reply_condition() -> Q:
    """Q on Case: a reply of it was late — a reply clock that stopped after its due time, or had
    breached before it stopped (DESIGN.md §7 on-time rate: replies before their deadline ÷
    replies). A reply is judged when it is given: a clock still running (a reply sent back or a
    reopened case) counts once it stops, so the figure moves only with a case action and the
    monthly rollups (``stats``), kept in those actions' transactions, always agree with it."""
    late = Timer.objects.filter(case=OuterRef("pk"), stage=Stage.REPLY, stopped_at__isnull=False).filter(
        Q(breached_at__isnull=False) | Q(status=TimerStatus.BREACHED) | Q(stopped_at__gt=F("due_at"))
    )
    return Q(Exists(late))


def reply_clock_expressions() -> dict[str, Subquery]:
    """Per case (annotations on a Case queryset): ``reply_late`` — the longest lateness of a
    stopped reply clock that stopped after its due time (a duration), and ``reply_live_due`` —
    the earliest due time of a reply clock not stopped. With them a case's place among the most
    overdue (``overdue_reply_timers``) is known without reading its clocks."""
    reply = Timer.objects.filter(case=OuterRef("pk"), stage=Stage.REPLY)
    lateness = ExpressionWrapper(F("stopped_at") - F("due_at"), output_field=DurationField())
    late = reply.filter(stopped_at__gt=F("due_at")).annotate(late=lateness).order_by("-late").values("late")[:1]
    live = reply.filter(stopped_at__isnull=True).order_by("due_at").values("due_at")[:1]
    return {
        "reply_late": Subquery(late, output_field=DurationField()),
        "reply_live_due": Subquery(live, output_field=DateTimeField()),
    }


def overdue_reply_timers(cases: QuerySet[Case], *, now: dt.datetime) -> QuerySet[Timer]:
    """The reply clocks of ``cases`` that are or were overdue, most overdue first, each annotated
    with ``lateness`` (a duration: until ``now`` while it runs, until it stopped otherwise), with
    ``case`` and ``case.department`` joined (the report's "most overdue" list)."""
    lateness = ExpressionWrapper(Coalesce("stopped_at", Value(now)) - F("due_at"), output_field=DurationField())
    return (
        Timer.objects.filter(stage=Stage.REPLY, case__in=cases)
        .filter(Q(stopped_at__isnull=True, due_at__lt=now) | Q(stopped_at__gt=F("due_at")))
        .annotate(lateness=lateness)
        .order_by("-lateness", "pk")
        .select_related("case", "case__department")
    )


# --- the expected reply date (receipt and tracking page; issue 13) --------------------------


@dataclass(frozen=True)
class ExpectedReply:
    """When the citizen can expect the department's reply. ``estimated``: the case is not assigned
    yet, so this is the date its reply term would give if it were assigned at ``now``."""

    due_at: dt.datetime
    estimated: bool


def expected_reply(case: Case, *, now: dt.datetime) -> ExpectedReply | None:
    """The reply date a citizen is told beside the current deadline (``citizen_deadline``).

    - registered (not yet assigned): the reply term (``sla.policies.term_for``: kind, channel,
      category, priority) counted from ``now`` — an estimate;
    - assigned, in progress, replied: the reply clock's due time, with any granted extension;
      none while the clock is paused (on hold);
    - answered and later: none (the answer is there)."""
    if case.state == State.REGISTERED:
        return ExpectedReply(due_at=deadline_for(term_for(case, Stage.REPLY), now).due_at, estimated=True)
    if case.state not in {State.ASSIGNED, State.IN_PROGRESS, State.REPLIED}:
        return None
    timer = _latest(case_timers(case), Stage.REPLY)
    if timer is None or timer.status == TimerStatus.PAUSED:
        return None
    return ExpectedReply(due_at=timer.due_at, estimated=False)
