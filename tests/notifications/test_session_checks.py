"""The sockets' session re-reads are coalesced: a burst of sockets due at once costs one trip to the
database thread, sockets of one session share one check, and none is left waiting."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync

from notifications import consumers

# The reads are faked, but channels' database_sync_to_async still closes stale connections around
# them, which touches the database thread's connection when an earlier transactional test (the
# relay's) left it open: allow it.
pytestmark = pytest.mark.django_db


def test_a_burst_of_rechecks_is_one_call_and_each_socket_gets_its_own_answer(monkeypatch):
    calls: list[list[tuple]] = []

    def fake(pairs):
        calls.append(list(pairs))
        return {pair: pair[0] != "gone" for pair in dict.fromkeys(pairs)}

    monkeypatch.setattr(consumers, "sessions_current", fake)

    async def scenario() -> list[bool]:
        checks = consumers.SessionChecks()
        keys = ["a"] * 300 + ["b"] * 200 + ["gone"]
        return await asyncio.gather(*(checks.check(key, 7) for key in keys))

    answers = async_to_sync(scenario)()
    assert answers == [True] * 500 + [False]
    assert len(calls) == 1
    assert sorted(set(calls[0])) == [("a", 7), ("b", 7), ("gone", 7)]


def test_sockets_that_fall_due_during_a_read_are_answered_by_the_next_one(monkeypatch):
    calls: list[list[tuple]] = []

    def fake(pairs):
        calls.append(list(pairs))
        return dict.fromkeys(pairs, True)

    monkeypatch.setattr(consumers, "sessions_current", fake)

    async def scenario() -> list[bool]:
        checks = consumers.SessionChecks()
        first = asyncio.ensure_future(checks.check("a", 1))
        await asyncio.sleep(0)  # the first read is under way
        later = [asyncio.ensure_future(checks.check(key, 1)) for key in ("b", "c")]
        return await asyncio.wait_for(asyncio.gather(first, *later), timeout=10)

    assert async_to_sync(scenario)() == [True, True, True]
    assert sum(len(c) for c in calls) == 3


def test_a_failed_read_fails_the_waiting_sockets_not_the_next_ones(monkeypatch):
    outcomes = iter([RuntimeError("database away"), None])

    def fake(pairs):
        outcome = next(outcomes)
        if outcome is not None:
            raise outcome
        return dict.fromkeys(pairs, True)

    monkeypatch.setattr(consumers, "sessions_current", fake)

    async def scenario() -> tuple[object, bool]:
        checks = consumers.SessionChecks()
        first = await asyncio.gather(checks.check("a", 1), return_exceptions=True)
        return first[0], await checks.check("a", 1)

    failed, then = async_to_sync(scenario)()
    assert isinstance(failed, RuntimeError)
    assert then is True
