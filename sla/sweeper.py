"""The SLA worker: claims due timers in small batches and acts on each (warn, breach, escalate,
auto-close), correct with any number of copies running (DESIGN.md §4, STYLE.md 5).

Claim: one short transaction takes up to ``BATCH`` timers whose ``next_action_at`` has come
and whose lease is free (or expired) with ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL;
SQLite serialises writers anyway) and stamps a lease on them. Act: each timer in its own
short transaction, locking the case row then the timer row (the order the case services
use, so no deadlock), re-checking that the lease is still ours and the action still due.
The unique (timer, level) constraint on supervision orders makes a double escalation
impossible even if that reasoning were wrong (``services.supervision_escalate``); a dead
worker's lease expires and another worker takes its timers over.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from cases.exceptions import CaseError
from cases.models import Case
from cases.services import case_auto_close
from cases.workers import new_worker_id

from . import events, timers
from .calendar import Schedule, compute_deadline, load_schedule
from .enums import Stage, SupervisionLevel, TimerStatus
from .models import Timer
from .services import supervision_escalate

log = logging.getLogger(__name__)

BATCH = 100
LEASE = dt.timedelta(seconds=60)
IDLE_SLEEP = 5.0  # seconds; the command's default --idle-sleep
# Working days from one escalation level to the next: breach → 1 (催办); +5 → 2 (督办); +10 → 3 (通报).
NEXT_LEVEL_AFTER_WORKING_DAYS = {1: 5, 2: 10}
TOP_LEVEL = max(SupervisionLevel.values)


def claim(worker_id: str, *, now: dt.datetime, limit: int = BATCH) -> list[tuple[int, int]]:
    """Lease up to ``limit`` due timers to ``worker_id``; returns (timer id, case id) pairs, oldest due first."""
    with transaction.atomic():
        qs = (
            Timer.objects.filter(next_action_at__lte=now)
            .filter(Q(claim_expires_at__isnull=True) | Q(claim_expires_at__lt=now))
            .order_by("next_action_at")
        )
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        pairs = list(qs.values_list("id", "case_id")[:limit])
        if pairs:
            Timer.objects.filter(id__in=[t for t, _ in pairs]).update(
                claimed_by=worker_id, claim_expires_at=now + LEASE
            )
    return pairs


def release(worker_id: str) -> int:
    """Give back every lease this worker still holds (clean stop)."""
    return Timer.objects.filter(claimed_by=worker_id).update(claimed_by="", claim_expires_at=None)


class Schedules(dict):
    """Calendars loaded once per batch (hours and holidays), not once per timer."""

    def of(self, timer: Timer) -> Schedule:
        if timer.calendar_id not in self:
            self[timer.calendar_id] = load_schedule(timer.calendar)
        return self[timer.calendar_id]


def _escalate(timer: Timer, case: Case, now: dt.datetime, schedules: Schedules) -> None:
    """Issue the next level's supervision order; schedule the one after."""
    level = min(timer.escalation_level + 1, TOP_LEVEL)
    if level <= timer.escalation_level:
        timer.next_escalation_at = None
        return
    supervision_escalate(case=case, timer=timer, level=level, note=_escalation_note(timer, level), now=now)
    timer.escalation_level = level
    after = NEXT_LEVEL_AFTER_WORKING_DAYS.get(level)
    # Each step of the ladder counts from the previous one: breach, then +5, then +10 more.
    base = (timer.next_escalation_at if level > 1 else timer.breached_at) or now
    timer.next_escalation_at = (
        max(compute_deadline(schedules.of(timer), base, working_days=after).due_at, now) if after else None
    )


def _escalation_note(timer: Timer, level: int) -> str:
    due = timezone.localtime(timer.due_at).strftime("%Y-%m-%d %H:%M")
    return f"{Stage(timer.stage).label}超期（到期时间 {due}），{SupervisionLevel(level).label}。"


def _act_on(timer: Timer, case: Case, now: dt.datetime, schedules: Schedules) -> str:
    """Do whatever is due on one locked timer; returns what was done (for logs and tests)."""
    if timer.status == TimerStatus.BREACHED:
        if timer.next_escalation_at is not None and timer.next_escalation_at <= now:
            _escalate(timer, case, now, schedules)
            return "escalated"
        return "nothing"
    if timer.status != TimerStatus.RUNNING:
        return "nothing"
    if timer.stage in timers.QUIET_STAGES:
        if timer.due_at <= now:
            timers.timer_stop(timer=timer, now=timer.due_at)  # the window lapsed
            return "lapsed"
        return "nothing"
    if timer.stage in timers.SELF_CLOSING_STAGES:
        if timer.due_at > now:
            return "nothing"
        try:
            case_auto_close(case=case, now=now)  # its receiver stops this timer
        except CaseError as exc:
            log.info("auto-close of case %s not possible (%s); stopping its feedback timer", case.pk, exc.message)
            timers.timer_stop(timer=timer, now=now)
        return "auto_closed"
    if timer.due_at <= now:
        timer.status = TimerStatus.BREACHED
        timer.breached_at = timer.due_at
        if timer.warned_at is None:
            timer.warned_at = now
        _escalate(timer, case, now, schedules)
        events.timer_event("timer.breached", timer, case)
        return "breached"
    if timer.warned_at is None and timer.warn_at <= now:
        timer.warned_at = now
        events.timer_event("timer.warning", timer, case)
        return "warned"
    return "nothing"


def act(
    timer_id: int, worker_id: str, *, now: dt.datetime, case_id: int | None = None, schedules: Schedules | None = None
) -> str:
    """Act on one claimed timer in its own transaction; 'lost' if the lease went to another worker."""
    if case_id is None:
        case_id = Timer.objects.filter(pk=timer_id).values_list("case_id", flat=True).first()
        if case_id is None:
            return "gone"
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).select_related("department").filter(pk=case_id).first()
        timer = (
            Timer.objects.select_for_update(of=("self",))
            .select_related("calendar", "department")
            .filter(pk=timer_id, claimed_by=worker_id)
            .first()
        )
        if case is None or timer is None:
            return "lost"
        done = "nothing"
        if timer.next_action_at is not None and timer.next_action_at <= now:
            done = _act_on(timer, case, now, schedules if schedules is not None else Schedules())
        if done == "auto_closed":
            timer.refresh_from_db()  # the case service's receiver changed it
        timer.claimed_by, timer.claim_expires_at = "", None
        timer.next_action_at = timers.next_action_at(timer)
        timer.save()
    return done


@dataclass
class Sweeper:
    """One SLA worker (``cases.workers.Worker``): ``step()`` claims a batch and acts on it; the
    runner of ``cases.workers`` loops it (``manage.py run_sla_worker``)."""

    worker_id: str = field(default_factory=new_worker_id)
    batch: int = BATCH
    stopping: threading.Event = field(default_factory=threading.Event)
    acted: dict[str, int] = field(default_factory=dict)

    def step(self, now: dt.datetime | None = None) -> bool:
        """Claim and act on one batch; True if there was work. Stops between timers when asked:
        the ones not acted on stay claimed until ``release()``. One ``now`` for the whole step, so
        what was claimed as due is acted on as due."""
        now = now or timezone.now()
        pairs = claim(self.worker_id, now=now, limit=self.batch)
        schedules = Schedules()
        for timer_id, case_id in pairs:
            if self.stopping.is_set():
                break
            try:
                done = act(timer_id, self.worker_id, now=now, case_id=case_id, schedules=schedules)
            except Exception:  # one bad timer must not stop the others; its lease expires, it is retried
                log.exception("sla worker %s: timer %s failed", self.worker_id, timer_id)
                done = "failed"
            self.acted[done] = self.acted.get(done, 0) + 1
        return bool(pairs)

    def release(self) -> int:
        """Give back every lease this worker still holds (the loop is ending)."""
        return release(self.worker_id)
