"""Never lost, never doubled: four sweepers at once on PostgreSQL, each with its own connection,
share a few thousand due timers through SKIP LOCKED claims and leases."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection

from cases.enums import State
from cases.models import Case, CaseEvent, Category, Department
from sla import sweeper
from sla.enums import AuditAction, Stage, TermUnit, TimerStatus
from sla.models import Calendar, SupervisionOrder, Timer
from tests.sla.fixtures import at

N_TIMERS = 2000
N_WORKERS = 4
NOW = at(2026, 11, 23, 12, 0)
DUE = at(2026, 11, 23, 11, 0)


def make_due_timers(n: int) -> None:
    cat = Category.objects.get(code="CITY-VEND")
    cgj = Department.objects.get(code="CGJ")
    cases = Case.objects.bulk_create(
        [
            Case(
                tracking_no=f"2026112{i:06d}",
                channel="web",
                kind="complaint",
                category=cat,
                title=f"并发 {i}",
                content="并发测试",
                state=State.IN_PROGRESS,
                department=cgj,
            )
            for i in range(n)
        ],
        batch_size=1000,
    )
    cal = Calendar.objects.get(code="CN")
    Timer.objects.bulk_create(
        [
            Timer(
                case=c,
                stage=Stage.REPLY,
                calendar=cal,
                department=cgj,
                term_unit=TermUnit.WORKING_DAYS,
                term_value=Decimal(13),
                started_at=DUE - dt.timedelta(days=20),
                warn_at=DUE - dt.timedelta(days=2),
                due_at=DUE,
                original_due_at=DUE,
                status=TimerStatus.RUNNING,
                next_action_at=DUE - dt.timedelta(days=2),
            )
            for c in cases
        ],
        batch_size=1000,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_sweepers_act_on_every_due_timer_exactly_once(org):
    make_due_timers(N_TIMERS)
    workers = [sweeper.Sweeper(batch=50) for _ in range(N_WORKERS)]
    errors: list[BaseException] = []
    start = threading.Barrier(N_WORKERS)

    def work(w: sweeper.Sweeper) -> None:
        try:
            start.wait()
            while w.step(now=NOW):
                pass
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    total = Counter()
    for w in workers:
        total.update(w.acted)
    assert total == {"breached": N_TIMERS}  # acted on exactly once each: no 'lost', no 'failed'
    assert sum(1 for w in workers if w.acted.get("breached")) > 1  # the work really was shared
    assert Timer.objects.filter(status=TimerStatus.BREACHED, escalation_level=1).count() == N_TIMERS
    assert not Timer.objects.exclude(claimed_by="").exists()
    per_timer = Counter(SupervisionOrder.objects.filter(level=1).values_list("timer_id", flat=True))
    assert len(per_timer) == N_TIMERS and set(per_timer.values()) == {1}
    per_case = Counter(
        CaseEvent.objects.filter(transition=AuditAction.TIMER_ESCALATED).values_list("case_id", flat=True)
    )
    assert len(per_case) == N_TIMERS and set(per_case.values()) == {1}
    assert sweeper.Sweeper().step(now=NOW) is False
