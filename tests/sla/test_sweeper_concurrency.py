"""Never lost, never doubled: four sweepers at once on PostgreSQL, each with its own connection,
share a few thousand due timers through SKIP LOCKED claims and leases."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from cases.models import CaseEvent
from sla import sweeper
from sla.enums import AuditAction, TimerStatus
from sla.models import SupervisionOrder, Timer
from tests.sla.fixtures import at, make_due

N_TIMERS = 2000
N_WORKERS = 4
NOW = at(2026, 11, 23, 12, 0)
DUE = at(2026, 11, 23, 11, 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_sweepers_act_on_every_due_timer_exactly_once(org):
    make_due(N_TIMERS, due=DUE)
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
