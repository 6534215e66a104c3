"""Live pages in the embedded default (no Redis): worker processes' events relay through the
database to the web process's sockets, and every socket hears a heartbeat only while that path
works — so a board never says "live" while it is not."""

from __future__ import annotations

import asyncio
from io import StringIO

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from notifications import events
from notifications.models import RelayedEvent
from sla.enums import Stage
from sla.models import Timer
from tests.factories import make_case_in_state
from tests.notifications.test_consumer import ask, connect, run

pytestmark = pytest.mark.django_db(transaction=True)

needs_embedded = pytest.mark.skipif(
    bool(django_settings.REDIS_URL), reason="the relay is the embedded default's path; with Redis workers fan out"
)


async def _poller_started() -> None:
    for _ in range(100):
        if events.relay_poller.last_id is not None and events.relay_poller.healthy():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the relay poller did not start")


def _tracking_nos(data: dict) -> set[str]:
    """The cases an event is about: its own, or those of the events an ``events.batch`` carries."""
    return {data.get("tracking_no")} | {e["data"].get("tracking_no") for e in data.get("events", [])}


@needs_embedded
def test_a_breach_found_by_the_sla_worker_command_reaches_an_open_board(users, settings):
    settings.LIVE_RELAY_POLL_SECONDS = 0.1
    case = make_case_in_state("assigned", users)
    past = timezone.now() - timezone.timedelta(hours=1)
    Timer.objects.filter(case=case, stage=Stage.SIGN_FOR).update(warn_at=past, due_at=past, next_action_at=past)

    async def scenario() -> None:
        comm = await connect("supervisor")
        subscribed = await ask(comm, {"subscribe": "board"})
        assert subscribed["type"] == "subscribed"
        await _poller_started()
        # The worker command, as scripts/serve runs it: it switches its process to the relay.
        await sync_to_async(call_command)("run_sla_worker", "--until-idle", "--idle-sleep", "0", stdout=StringIO())
        assert events.relaying()
        relayed = await sync_to_async(lambda: list(RelayedEvent.objects.values_list("topic", "data")))()
        # One event per topic for the worker's batch: here an events.batch (the breach and its order).
        assert any(t == "board" and case.tracking_no in _tracking_nos(d) for t, d in relayed)
        got = []
        while not any(case.tracking_no in _tracking_nos(e.get("data", {})) for e in got):
            frame = await comm.receive_json_from(timeout=5)
            if frame.get("type") != "heartbeat":
                got.append(frame)
        event = got[-1]
        assert event["topic"] == "board" and event["seq"] >= 1
        await comm.disconnect()

    run(scenario)


@needs_embedded
def test_a_relayed_event_rolls_back_with_the_workers_transaction():
    events.relay_from_this_process()
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish("board", "timer.breached", {"tracking_no": "x"})
        assert RelayedEvent.objects.count() == 1
        raise RuntimeError("the worker's step failed")
    assert RelayedEvent.objects.count() == 0


def test_the_web_process_itself_never_relays(users):
    assert not events.relaying()
    events.publish("board", "timer.breached", {"tracking_no": "x"})
    assert RelayedEvent.objects.count() == 0


def test_the_socket_hears_a_heartbeat_every_interval(users, settings):
    settings.LIVE_HEARTBEAT_SECONDS = 0.2

    async def scenario() -> None:
        comm = await connect("supervisor")
        assert (await ask(comm, {"subscribe": "board"}))["type"] == "subscribed"
        assert await comm.receive_json_from(timeout=2) == {"type": "heartbeat"}
        assert await comm.receive_json_from(timeout=2) == {"type": "heartbeat"}
        await comm.disconnect()

    run(scenario)


@needs_embedded
def test_no_heartbeat_while_worker_events_cannot_arrive(users, settings, monkeypatch):
    settings.LIVE_HEARTBEAT_SECONDS = 0.2
    settings.LIVE_RELAY_POLL_SECONDS = 0.1

    async def scenario() -> None:
        comm = await connect("supervisor")
        assert (await ask(comm, {"subscribe": "board"}))["type"] == "subscribed"
        await _poller_started()
        assert await comm.receive_json_from(timeout=2) == {"type": "heartbeat"}
        # The relay stops (the database is locked, the poller died): the heartbeats stop with it,
        # and the page turns itself grey (static/js/live.js) instead of claiming to be live.
        events.relay_poller.task.cancel()
        await asyncio.sleep(1.5)
        while not await comm.receive_nothing(timeout=0.05):
            await comm.receive_json_from()  # heartbeats already in flight
        assert await comm.receive_nothing(timeout=1.0)
        await comm.disconnect()

    run(scenario)
