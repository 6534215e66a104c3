"""Fixtures of the sla timer tests. ``clock`` pins ``django.utils.timezone.now``; ``published``
records the real-time events.

Use: ``from tests.sla.fixtures import at, clock, published  # noqa: F401`` then ``clock.set(at(2026, 11, 23, 9, 30))``
and ``clock.advance(hours=2)``. The services, receivers and the sweeper all read the time
through ``timezone.now()``, so every timer effect happens at a known moment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
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
