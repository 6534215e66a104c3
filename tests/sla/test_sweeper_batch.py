"""The sweeper's batch: the same effects as acting one timer at a time, in a fixed number of
statements whatever the batch size, one live event per topic, and an audit chain that verifies."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import copy_rows
from cases.enums import State
from cases.integrity import verify_chain
from cases.models import Case, CaseEvent, Department
from notifications import events as live
from notifications.models import Outbox
from sla import sweeper
from sla.enums import AuditAction, Stage, TimerStatus
from sla.models import SupervisionOrder, Timer
from tests.factories import make_case_in_state
from tests.sla.fixtures import at, clock, make_due  # noqa: F401

pytestmark = pytest.mark.django_db

TIMER_FIELDS = ("status", "breached_at", "warned_at", "escalation_level", "next_escalation_at", "next_action_at")
EVENT_FIELDS = ("transition", "note", "public", "actor_label", "role", "from_state", "to_state", "at", "hash_version")


def _timer(t: Timer) -> tuple:
    t.refresh_from_db()
    return tuple(getattr(t, f) for f in TIMER_FIELDS) + (t.claimed_by, t.claim_expires_at)


def _last_event(case: Case) -> tuple:
    ev = CaseEvent.objects.filter(case=case).order_by("-seq").first()
    data = {k: v for k, v in ev.data.items() if k != "order"}
    return tuple(getattr(ev, f) for f in EVENT_FIELDS) + (data,)


def _messages(case: Case) -> Counter:
    return Counter(Outbox.objects.filter(case=case).values_list("template", "channel", "recipient_id"))


def _orders(case: Case) -> list[tuple]:
    return list(
        SupervisionOrder.objects.filter(case=case)
        .order_by("level")
        .values_list("level", "department__code", "note", "issued_at", "issued_by", "timer__stage")
    )


def _both_ways(users, now: dt.datetime) -> tuple[Case, Case, Timer, Timer]:
    """Two like cases; the reply timer of the first acted on alone (``act``), the second's in a batch.
    ``now`` in UTC, as the worker's clock gives it (the hash covers the time as it reads back)."""
    now = now.astimezone(dt.UTC)
    alone, batched = make_case_in_state(State.IN_PROGRESS, users), make_case_in_state(State.IN_PROGRESS, users)
    t1, t2 = (Timer.objects.get(case=c, stage=Stage.REPLY) for c in (alone, batched))
    assert sorted(sweeper.claim("w", now=now)) == sorted([(t1.pk, alone.pk), (t2.pk, batched.pk)])
    assert sweeper.act(t1.pk, "w", now=now, case_id=alone.pk) != "nothing"
    assert sum(sweeper.act_batch([(t2.pk, batched.pk)], "w", now=now).values()) == 1
    return alone, batched, t1, t2


def test_a_batched_breach_writes_what_a_single_one_does(users, clock):
    now = at(2026, 12, 10, 17, 31)
    alone, batched, t1, t2 = _both_ways(users, now)
    assert _timer(t1) == _timer(t2)
    assert t2.status == TimerStatus.BREACHED and t2.escalation_level == 1
    assert _orders(alone) == _orders(batched) and len(_orders(batched)) == 1
    assert _last_event(alone) == _last_event(batched)
    assert _last_event(batched)[0] == AuditAction.TIMER_ESCALATED
    assert _messages(alone) == _messages(batched)
    assert {t for t, _, _ in _messages(batched)} >= {"timer_breached", "supervision_issued"}
    assert verify_chain(alone.pk)[0] and verify_chain(batched.pk)[0]


def test_a_batched_warning_and_level_2_escalation_match_the_single_ones(users, clock):
    probe = make_case_in_state(State.IN_PROGRESS, users)
    warn_at = Timer.objects.get(case=probe, stage=Stage.REPLY).warn_at
    Timer.objects.filter(case=probe).update(next_action_at=None)
    alone, batched, t1, t2 = _both_ways(users, warn_at + dt.timedelta(minutes=1))
    assert _timer(t1) == _timer(t2) and t2.warned_at is not None and t2.status == TimerStatus.RUNNING
    assert _messages(alone) == _messages(batched)
    # Both breach, then reach level 2 five working days later, one alone and one in a batch.
    breach = at(2026, 12, 10, 17, 31).astimezone(dt.UTC)
    sweeper.claim("x", now=breach)
    for t in (t1, t2):
        assert sweeper.act(t.pk, "x", now=breach) == "breached"
    later = at(2026, 12, 17, 17, 30).astimezone(dt.UTC)
    sweeper.claim("y", now=later)
    assert sweeper.act(t1.pk, "y", now=later) == "escalated"
    assert sweeper.act_batch([(t2.pk, batched.pk)], "y", now=later) == {"escalated": 1}
    assert _timer(t1) == _timer(t2) and t2.escalation_level == 2
    assert _orders(alone) == _orders(batched) and [o[0] for o in _orders(batched)] == [1, 2]
    assert _last_event(alone) == _last_event(batched)
    assert verify_chain(alone.pk)[0] and verify_chain(batched.pk)[0]


def test_two_escalations_of_one_case_in_one_batch_chain_one_after_the_other(users, clock):
    case = make_case_in_state(State.IN_PROGRESS, users)
    reply = Timer.objects.get(case=case, stage=Stage.REPLY)
    review = Timer.objects.create(
        case=case,
        stage=Stage.REVIEW,
        calendar=reply.calendar,
        department=Department.objects.get(code="XFJ"),
        term_unit=reply.term_unit,
        term_value=reply.term_value,
        started_at=reply.started_at,
        warn_at=reply.warn_at,
        due_at=reply.due_at,
        original_due_at=reply.due_at,
        next_action_at=reply.warn_at,
    )
    head = case.events.order_by("-seq").first().seq
    worker = sweeper.Sweeper()
    assert worker.step(now=at(2026, 12, 10, 17, 31).astimezone(dt.UTC)) is True
    assert worker.acted == {"breached": 2}
    escalated = list(case.events.filter(seq__gt=head).order_by("seq"))
    assert [e.seq for e in escalated] == [head + 1, head + 2]
    assert escalated[1].prev_hash == escalated[0].hash
    assert {e.data["stage"] for e in escalated} == {Stage.REPLY, Stage.REVIEW}
    case.refresh_from_db()
    assert (case.audit_head_seq, case.audit_head_hash) == (head + 2, escalated[1].hash)
    assert SupervisionOrder.objects.filter(timer__in=[reply, review]).count() == 2
    assert verify_chain(case.pk)[0]


def _queries_of_one_step(n: int) -> tuple[int, int]:
    """(statements other than the outbox INSERTs, outbox INSERTs): SQLite's limit on bound
    parameters splits a multi-row INSERT of wide rows sooner than PostgreSQL does."""
    Timer.objects.update(next_action_at=None)  # earlier rounds' timers are out of the way
    make_due(n)
    worker = sweeper.Sweeper(batch=100)
    with CaptureQueriesContext(connection) as ctx:
        assert worker.step(now=at(2026, 11, 23, 12, 0)) is True
    assert worker.acted == {"breached": n}
    outbox = sum(1 for q in ctx.captured_queries if 'INTO "notifications_outbox"' in q["sql"])
    return len(ctx.captured_queries) - outbox, outbox


def test_a_batch_takes_the_same_number_of_statements_for_3_or_30_breaches(users, monkeypatch):
    monkeypatch.setattr(copy_rows, "COPY_FROM_ROWS", 1)  # a burst's batch: COPY however few rows
    # A running worker's reference caches are warm (the stats rollups read the dispatch desk
    # once per process, cases.selectors.dispatch_department): one round first, not counted.
    _queries_of_one_step(1)
    (few, few_outbox), (many, many_outbox) = _queries_of_one_step(3), _queries_of_one_step(30)
    # The sweep: claim, cases, timers, the timers' UPDATE, orders, heads read, events, heads moved,
    # the staff and their preferences; on PostgreSQL the orders and events are each a sequence
    # read and a COPY, the outbox rows a temporary table, a COPY and one move (21 there, 17 on
    # SQLite). The stats rollups take none: an escalation moves no figure.
    assert few == many <= 21
    assert 1 == few_outbox <= many_outbox <= 3  # 240 rows (30 × 2 messages × 2 staff × in-app and e-mail)
    assert Outbox.objects.filter(template="timer_breached").values("case").distinct().count() == 34


def test_a_batch_sends_one_live_event_per_topic(org, monkeypatch, django_capture_on_commit_callbacks):
    sent: list[tuple[str, str, dict]] = []
    monkeypatch.setattr(live, "_send_now_rollback_unsafe", lambda topic, type_, data: sent.append((topic, type_, data)))
    make_due(5)
    with django_capture_on_commit_callbacks(execute=True):
        sweeper.Sweeper().step(now=at(2026, 11, 23, 12, 0))
    assert sorted(t for t, _, _ in sent) == ["board", "inbox.CGJ"]
    board = next(d for t, ty, d in sent if t == "board" and ty == live.BATCH_EVENT)
    assert board["count"] == 10
    assert board["types"] == {"supervision.issued": 5, "timer.breached": 5}
    assert {e["data"]["tracking_no"] for e in board["events"]} == set(
        Case.objects.values_list("tracking_no", flat=True)
    )


def test_a_batch_of_breaches_leaves_the_rollups_equal_to_a_recount_without_touching_them(users, clock):
    # An escalation moves no figure (stats.rollups.FIGURE_NEUTRAL_ACTIONS): the batch neither reads
    # nor writes the rollups, and they still equal a recount from the raw rows afterwards.
    from stats import rollups

    cases = [make_case_in_state(State.IN_PROGRESS, users) for _ in range(3)]
    before = rollups.stored_sums()
    now = at(2026, 12, 10, 17, 31).astimezone(dt.UTC)
    pairs = sweeper.claim("w", now=now)
    assert {c for _, c in pairs} == {c.pk for c in cases}
    with CaptureQueriesContext(connection) as ctx:
        assert sweeper.act_batch(pairs, "w", now=now)["breached"] == 3
    assert SupervisionOrder.objects.filter(case__in=cases, level=1).count() == 3
    assert not [q["sql"] for q in ctx.captured_queries if "stats_" in q["sql"]]
    assert rollups.stored_sums() == before
    _facts, sums = rollups.recount()
    assert rollups.stored_sums() == {k: {c: n for c, n in v.items() if n} for k, v in sums.items() if any(v.values())}


def _statements_of_a_level_2_step(n: int) -> int:
    """Statements of the step that takes ``n`` breached timers to level 2 (督办: the department, the
    supervisors and the leadership are told), but the outbox INSERTs (SQLite's limit on bound
    parameters splits them sooner)."""
    Timer.objects.update(next_action_at=None)
    make_due(n)
    assert sweeper.Sweeper(batch=100).step(now=at(2026, 11, 23, 12, 0)) is True  # breach: level 1
    worker = sweeper.Sweeper(batch=100)
    with CaptureQueriesContext(connection) as ctx:
        assert worker.step(now=at(2026, 12, 1, 12, 0)) is True  # 5 working days later
    assert worker.acted == {"escalated": n}
    return sum(1 for q in ctx.captured_queries if 'INTO "notifications_outbox"' not in q["sql"])


def test_a_level_2_burst_reads_the_supervisors_once_per_batch_not_once_per_order(users, monkeypatch):
    monkeypatch.setattr(copy_rows, "COPY_FROM_ROWS", 1)  # a burst's batch: COPY however few rows
    _statements_of_a_level_2_step(1)  # warm reference caches, as in a running worker
    assert _statements_of_a_level_2_step(3) == _statements_of_a_level_2_step(30)
    # Each of the 1 + 3 + 30 orders told the supervisor (in-app: the fixture gives no e-mail address).
    assert Outbox.objects.filter(template="supervision_escalated", recipient=users["supervisor"]).count() == 34


def test_a_batch_honours_each_clerks_preferences_as_a_single_breach_does(users, clock):
    from notifications.outbox import preference_save

    clerk = users["clerk_cgj"]
    clerk.email = "clerk@cgj.example"
    clerk.save(update_fields=["email"])
    preference_save(user=clerk, enabled=["timer_breached:inapp", "supervision_issued:email"], language="en")
    alone, batched, _t1, _t2 = _both_ways(users, at(2026, 12, 10, 17, 31))
    assert _messages(alone) == _messages(batched)
    mine = set(Outbox.objects.filter(case=batched, recipient=clerk).values_list("template", "channel", "language"))
    assert mine == {("timer_breached", "inapp", "en"), ("supervision_issued", "email", "en")}
