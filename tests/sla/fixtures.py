"""Fixtures of the sla timer tests. ``clock`` pins ``django.utils.timezone.now``; ``published``
records the real-time events.

Use: ``from tests.sla.fixtures import at, clock, published  # noqa: F401`` then ``clock.set(at(2026, 11, 23, 9, 30))``
and ``clock.advance(hours=2)``. The services, receivers and the sweeper all read the time
through ``timezone.now()``, so every timer effect happens at a known moment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

SH = ZoneInfo("Asia/Shanghai")


def at(*args: int) -> dt.datetime:
    """A moment in Asia/Shanghai."""
    return dt.datetime(*args, tzinfo=SH)


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, moment: dt.datetime) -> dt.datetime:
        self.now = moment
        return moment

    def advance(self, **delta: float) -> dt.datetime:
        self.now = self.now + dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Iterator[Clock]:
    """Monday 23 November 2026, 09:30 in Shanghai: an ordinary working week (no holidays until 2027)."""
    c = Clock(at(2026, 11, 23, 9, 30))
    with mock.patch("django.utils.timezone.now", c):
        yield c


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, dict]]:
    """The real-time events the sla app sends, as (topic, type, data), recorded instead of sent."""
    sent: list[tuple[str, str, dict]] = []
    monkeypatch.setattr("sla.events.publish", lambda topic, type_, data: sent.append((topic, type_, data)))
    return sent


def make_due(n: int, *, due: dt.datetime | None = None) -> list:
    """``n`` cases in progress at CGJ, each with a running reply timer that fell due at ``due``
    (default Monday 23 November 2026, 11:00 Shanghai). Bulk-created, without history: for the
    sweeper's own tests, which need many due timers fast."""
    from cases.enums import State
    from cases.models import Case, Category, Department
    from sla.enums import Stage, TermUnit, TimerStatus
    from sla.models import Calendar, Timer

    due = due or at(2026, 11, 23, 11, 0)
    cat, cgj = Category.objects.get(code="CITY-VEND"), Department.objects.get(code="CGJ")
    start = Case.objects.count()  # tracking numbers stay unique over several calls in one test
    cases = Case.objects.bulk_create(
        [
            Case(
                tracking_no=f"99{start + i:011d}",  # no real number starts so (not a date)
                channel="web",
                kind="complaint",
                category=cat,
                title=f"到期 {i}",
                content="到期测试",
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
                started_at=due - dt.timedelta(days=20),
                warn_at=due - dt.timedelta(days=2),
                due_at=due,
                original_due_at=due,
                status=TimerStatus.RUNNING,
                next_action_at=due - dt.timedelta(days=2),
            )
            for c in cases
        ],
        batch_size=1000,
    )
    return cases
