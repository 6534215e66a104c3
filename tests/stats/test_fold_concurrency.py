"""Folding the rollups' shards while case actions run: no count lost or doubled, no deadlock
(PostgreSQL: row locks)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from cases import services
from cases.enums import Channel
from stats import rollups
from stats.models import MonthlyRollup
from tests.cases.test_concurrency import in_thread
from tests.factories import CaseFactory

from .helpers import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_folding_while_cases_are_registered_and_assigned_keeps_every_count(users) -> None:
    # One key (month, desk, category, channel, kind) that every registration below writes to,
    # each to its case's shard, and a department's rows that the assignments move counts to.
    for _ in range(20):
        CaseFactory(actor=users["agent"], channel=Channel.WEB, now=at(11, 2))
    start = threading.Event()
    results: dict[str, Any] = {}

    def intake(n: int) -> int:
        for _ in range(n):
            case = CaseFactory(actor=users["agent"], channel=Channel.WEB, now=at(11, 2))
            services.case_assign(case=case, actor=users["dispatcher"], department="CGJ", now=at(11, 2, 11))
        return n

    def fold() -> int:
        return sum(rollups.rollups_fold() for _ in range(15))

    threads = [in_thread(results, f"intake{i}", lambda: intake(8), start) for i in range(2)]
    threads.append(in_thread(results, "fold", fold, start))
    start.set()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(isinstance(r, BaseException) for r in results.values()), results
    assert results["intake0"] == results["intake1"] == 8 and results["fold"] > 0
    _facts, sums = rollups.recount()
    expected = {k: {c: n for c, n in v.items() if n} for k, v in sums.items() if any(v.values())}
    assert rollups.stored_sums() == expected
    rollups.rollups_fold()
    assert not MonthlyRollup.objects.filter(shard__gt=0).exists()
    assert rollups.stored_sums() == expected
