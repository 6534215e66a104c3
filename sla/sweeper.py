"""The SLA worker: claims due timers in batches and acts on each batch set-wise (warn, breach,
escalate), the rare actions one by one (auto-close, a lapsing window), correct with any number of
copies running (DESIGN.md §4, STYLE.md 5).

Claim: one short transaction takes up to ``BATCH`` timers whose ``next_action_at`` has come
and whose lease is free (or expired) with ``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL;
SQLite serialises writers anyway) and stamps a lease on them.

Act (``act_batch``): one transaction for the batch. It locks the batch's case rows, then its
timers still leased to this worker (both in id order: the order every case service uses, case
then timer, and the same order in every worker, so two workers never deadlock), and sorts the
timers by what is due. Auto-closes, lapsing windows and anything unusual go one by one through
the same code as ``act``. The common work goes set-wise: one UPDATE for the warned timers, one
per (level, next escalation) for the breached and escalated ones (a 17:30 burst is one group),
one multi-row INSERT of the supervision orders, the audit events in three statements
(``cases.batch.record_many``: heads read in one query, seq and keyed hash computed here), the
outbox rows in one INSERT (``notifications.outbox.bulk``) and one real-time event per topic for
the whole batch (``notifications.events.coalesced``). If the batch fails (a deadlock with a case
action, say) it is rolled back and the same timers are acted on one at a time (``act``), so a
bad timer costs speed, never correctness.

Guarantees: the lease is re-checked under the timer lock (a timer whose lease went to another
worker is 'lost'); the unique (timer, level) constraint on supervision orders makes a double
escalation impossible even if that reasoning were wrong (the batch rolls back, the one-by-one
path skips the doubled level, ``services.supervision_escalate``); a dead worker's lease expires
and another worker takes its timers over.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from cases.batch import Entry, record_many
from cases.copy_rows import insert_rows
from cases.exceptions import CaseError
from cases.models import Case
from cases.services import case_auto_close
from cases.workers import new_worker_id
from notifications import events as live
from notifications import outbox

from . import board_counts, events, timers
from .calendar import Schedule, compute_deadline, load_schedule
from .enums import AuditAction, Stage, SupervisionLevel, TimerStatus
from .models import SupervisionOrder, Timer
from .services import order_event_data, supervision_escalate

log = logging.getLogger(__name__)

BATCH = 500
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
    """Calendars loaded once per batch (hours and holidays), not once per timer; and the
    escalation dates counted on them, once per (calendar, start, days): a burst's timers all
    fell due at the same 17:30."""

    def __init__(self) -> None:
        super().__init__()
        self.deadlines: dict[tuple[int, dt.datetime, int], dt.datetime] = {}

    def of(self, timer: Timer) -> Schedule:
        if timer.calendar_id not in self:
            self[timer.calendar_id] = load_schedule(timer.calendar)
        return self[timer.calendar_id]

    def working_days_after(self, timer: Timer, start: dt.datetime, days: int) -> dt.datetime:
        key = (timer.calendar_id, start, days)
        if key not in self.deadlines:
            self.deadlines[key] = compute_deadline(self.of(timer), start, working_days=days).due_at
        return self.deadlines[key]


def _next_escalation_at(timer: Timer, level: int, now: dt.datetime, schedules: Schedules) -> dt.datetime | None:
    """When the level after ``level`` falls due. Each step of the ladder counts from the previous
    one: breach, then +5, then +10 more working days."""
    after = NEXT_LEVEL_AFTER_WORKING_DAYS.get(level)
    if not after:
        return None
    base = (timer.next_escalation_at if level > 1 else timer.breached_at) or now
    return max(schedules.working_days_after(timer, base, after), now)


def _escalate(timer: Timer, case: Case, now: dt.datetime, schedules: Schedules) -> None:
    """Issue the next level's supervision order; schedule the one after."""
    level = min(timer.escalation_level + 1, TOP_LEVEL)
    if level <= timer.escalation_level:
        timer.next_escalation_at = None
        return
    supervision_escalate(case=case, timer=timer, level=level, note=_escalation_note(timer, level), now=now)
    timer.escalation_level = level
    timer.next_escalation_at = _next_escalation_at(timer, level, now, schedules)


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


def _act_locked(timer: Timer, case: Case, now: dt.datetime, schedules: Schedules) -> str:
    """Act on one timer whose case and timer rows this transaction has locked, and give back its lease."""
    done = "nothing"
    if timer.next_action_at is not None and timer.next_action_at <= now:
        done = _act_on(timer, case, now, schedules)
    if done == "auto_closed":
        timer.refresh_from_db()  # the case service's receiver changed it
    timer.claimed_by, timer.claim_expires_at = "", None
    timer.next_action_at = timers.next_action_at(timer)
    timer.save()
    return done


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
        return _act_locked(timer, case, now, schedules if schedules is not None else Schedules())


# --- the batch ---------------------------------------------------------------------------


def _set_wise(timer: Timer, now: dt.datetime) -> str | None:
    """What the batch does set-wise to this locked timer: 'warned', 'breached', 'escalated'; None
    for the rest, acted on one by one (auto-close, a lapsing window, the top of the ladder, not due)."""
    if timer.next_action_at is None or timer.next_action_at > now or timer.escalation_level >= TOP_LEVEL:
        return None
    if timer.status == TimerStatus.BREACHED:
        due = timer.next_escalation_at is not None and timer.next_escalation_at <= now
        return "escalated" if due else None
    if timer.status != TimerStatus.RUNNING or timer.stage in timers.QUIET_STAGES | timers.SELF_CLOSING_STAGES:
        return None
    if timer.due_at <= now:
        return "breached"
    if timer.warned_at is None and timer.warn_at <= now:
        return "warned"
    return None


def act_batch(
    pairs: list[tuple[int, int]], worker_id: str, *, now: dt.datetime, schedules: Schedules | None = None
) -> Counter[str]:
    """Act on a claimed batch in one transaction (the module docstring); returns what was done."""
    schedules = schedules if schedules is not None else Schedules()
    done: Counter[str] = Counter()
    timer_ids = [t for t, _ in pairs]
    with transaction.atomic(), outbox.bulk(), live.coalesced():
        cases = {
            c.pk: c
            for c in Case.objects.select_for_update(of=("self",))
            .select_related("department")
            .filter(pk__in={c for _, c in pairs})
            .order_by("pk")
        }
        locked = list(
            Timer.objects.select_for_update(of=("self",))
            .select_related("calendar", "department")
            .filter(pk__in=timer_ids, claimed_by=worker_id, case_id__in=list(cases))
            .order_by("pk")
        )
        done["lost"] += len(timer_ids) - len(locked)
        planned = [(t, _set_wise(t, now)) for t in locked]
        # One by one first: an auto-close changes its case, whose other timers then go one by one too.
        touched = set()
        for timer, kind in planned:
            if kind is None:
                outcome = _act_locked(timer, cases[timer.case_id], now, schedules)
                done[outcome] += 1
                if outcome != "nothing":
                    touched.add(timer.case_id)
        batch = [(t, kind) for t, kind in planned if kind is not None and t.case_id not in touched]
        for timer, kind in planned:
            if kind is not None and timer.case_id in touched:
                timer.refresh_from_db()
                case = Case.objects.select_related("department").get(pk=timer.case_id)
                done[_act_locked(timer, case, now, schedules)] += 1
        _warn_all([t for t, kind in batch if kind == "warned"], cases, now)
        _escalate_all([(t, kind) for t, kind in batch if kind != "warned"], cases, now, schedules)
        done.update(kind for _, kind in batch)
    return +done


def _warn_all(warned: list[Timer], cases: dict[int, Case], now: dt.datetime) -> None:
    """80 %: one UPDATE; a message and a live event each (gathered by the batch)."""
    if not warned:
        return
    Timer.objects.filter(pk__in=[t.pk for t in warned]).update(
        warned_at=now, next_action_at=F("due_at"), claimed_by="", claim_expires_at=None
    )
    for timer in warned:
        timer.warned_at = now
        timer.next_action_at, timer.claimed_by, timer.claim_expires_at = timer.due_at, "", None
        events.timer_event("timer.warning", timer, cases[timer.case_id])


def _escalate_all(
    planned: list[tuple[Timer, str]], cases: dict[int, Case], now: dt.datetime, schedules: Schedules
) -> None:
    """Breaches and escalations: one UPDATE per (what, level, next escalation) — a burst that fell
    due at one 17:30 is one group — then the orders in one INSERT, their audit entries
    (``record_many``) and the live events and messages, as ``_act_on`` does them one at a time."""
    if not planned:
        return
    outbox.prefetch_staff({timer.department for timer, _ in planned})
    groups: dict[tuple[str, int, dt.datetime | None], list[int]] = defaultdict(list)
    for timer, kind in planned:
        level = timer.escalation_level + 1
        if kind == "breached":
            timer.status, timer.breached_at = TimerStatus.BREACHED, timer.due_at
            timer.warned_at = timer.warned_at or now
        timer.next_escalation_at = _next_escalation_at(timer, level, now, schedules)
        timer.escalation_level = level
        timer.next_action_at, timer.claimed_by, timer.claim_expires_at = timer.next_escalation_at, "", None
        groups[(kind, level, timer.next_escalation_at)].append(timer.pk)
    for (kind, level, next_at), ids in groups.items():
        changes = {"escalation_level": level, "next_escalation_at": next_at, "next_action_at": next_at}
        if kind == "breached":
            changes |= {
                "status": TimerStatus.BREACHED,
                "breached_at": F("due_at"),
                "warned_at": Coalesce(F("warned_at"), Value(now)),
            }
        Timer.objects.filter(pk__in=ids).update(claimed_by="", claim_expires_at=None, **changes)
    orders = insert_rows(
        [
            SupervisionOrder(
                case=cases[timer.case_id],
                timer=timer,
                department=timer.department,
                level=timer.escalation_level,
                issued_by=None,
                issued_at=now,
                note=_escalation_note(timer, timer.escalation_level),
            )
            for timer, _ in planned
        ]
    )
    record_many(
        [
            Entry(case=order.case, action=AuditAction.TIMER_ESCALATED, note=order.note, data=order_event_data(order))
            for order in orders
        ],
        now=now,
    )
    for order, (timer, kind) in zip(orders, planned, strict=True):
        events.supervision_event(order, order.case)
        if kind == "breached":
            events.timer_event("timer.breached", timer, order.case)


@dataclass
class Sweeper:
    """One SLA worker (``cases.workers.Worker``): ``step()`` claims a batch and acts on it; the
    runner of ``cases.workers`` loops it (``manage.py run_sla_worker``)."""

    worker_id: str = field(default_factory=new_worker_id)
    batch: int = BATCH
    stopping: threading.Event = field(default_factory=threading.Event)
    acted: dict[str, int] = field(default_factory=dict)
    # Fold the board's counter deltas (sla.board_counts) at most this often, in seconds; None = never
    # (run_sla_worker sets it; tests step the sweeper without it).
    compact_every: float | None = None
    _compacted_at: float = field(default=float("-inf"), init=False, repr=False)

    def step(self, now: dt.datetime | None = None) -> bool:
        """Claim and act on one batch (``act_batch``); True if there was work. A stop request is
        seen between batches (a batch is one transaction), or between timers when a failed batch
        is retried one by one: the ones not acted on then stay claimed until ``release()``. One
        ``now`` for the whole step, so what was claimed as due is acted on as due."""
        now = now or timezone.now()
        self._compact_board_counts()
        pairs = claim(self.worker_id, now=now, limit=self.batch)
        if not pairs:
            return False
        schedules = Schedules()
        try:
            outcomes = act_batch(pairs, self.worker_id, now=now, schedules=schedules)
        except Exception:  # rolled back: the same timers one at a time, each in its own transaction
            log.exception("sla worker %s: batch of %s failed; acting one by one", self.worker_id, len(pairs))
            outcomes = self._one_by_one(pairs, now, schedules)
        for outcome, n in outcomes.items():
            self.acted[outcome] = self.acted.get(outcome, 0) + n
        return True

    def _compact_board_counts(self) -> None:
        clock = time.monotonic()
        if self.compact_every is not None and board_counts.kept() and clock - self._compacted_at >= self.compact_every:
            self._compacted_at = clock
            board_counts.compact()

    def _one_by_one(self, pairs: list[tuple[int, int]], now: dt.datetime, schedules: Schedules) -> Counter[str]:
        outcomes: Counter[str] = Counter()
        for timer_id, case_id in pairs:
            if self.stopping.is_set():
                break
            try:
                done = act(timer_id, self.worker_id, now=now, case_id=case_id, schedules=schedules)
            except Exception:  # one bad timer must not stop the others; its lease expires, it is retried
                log.exception("sla worker %s: timer %s failed", self.worker_id, timer_id)
                done = "failed"
            outcomes[done] += 1
        return outcomes

    def release(self) -> int:
        """Give back every lease this worker still holds (the loop is ending)."""
        return release(self.worker_id)
