"""Redis goes away and comes back: intake and the outbox never notice; live events resume.

Runs its own redis-server on a free port (never the shared one; tests/own_redis.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from notifications import events
from tests.factories import CaseFactory
from tests.notifications.test_consumer import ask, connect
from tests.own_redis import OwnRedis

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def own_redis(settings) -> Iterator[OwnRedis]:
    server = OwnRedis()
    server.start()
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [server.url]}}
    }
    events.set_event_log(events.RedisLog(server.url))
    try:
        yield server
    finally:
        server.stop()
        events.set_event_log(None)  # later tests get the log their settings name, not a dead server


async def close_quietly(comm) -> None:
    """With Redis gone the consumer's channel read fails and the server drops the socket (the
    browser reconnects); the test only needs it closed."""
    try:
        await comm.disconnect()
    except Exception:  # noqa: BLE001
        pass


def test_intake_survives_a_redis_outage_and_events_flow_again_after_it_returns(users, own_redis):
    async def scenario() -> None:
        comm = await connect("agent")
        assert (await ask(comm, {"subscribe": "desk"}))["type"] == "subscribed"
        await sync_to_async(CaseFactory)(actor=users["agent"])
        assert (await comm.receive_json_from(timeout=3))["seq"] == 1
        await close_quietly(comm)

        own_redis.stop()
        # intake works, the receipt is queued, the event is dropped without an error
        case = await sync_to_async(CaseFactory)(actor=users["agent"])
        assert case.pk is not None
        assert await sync_to_async(case.outbox_messages.count)() == 1
        comm = await connect("agent")
        assert (await ask(comm, {"subscribe": "desk"}))["code"] == "unavailable"
        await close_quietly(comm)

        own_redis.start()  # a fresh, empty Redis: the sequence restarts
        comm = await connect("agent")
        assert await ask(comm, {"subscribe": "desk", "resume_from": 1}) == {
            "type": "subscribed",
            "topic": "desk",
            "seq": 0,
        }
        assert await comm.receive_json_from(timeout=3) == {"type": "refetch", "topic": "desk"}
        later = await sync_to_async(CaseFactory)(actor=users["agent"])
        event = await comm.receive_json_from(timeout=3)
        assert (event["seq"], event["data"]["tracking_no"]) == (1, later.tracking_no)
        await comm.disconnect()

    async_to_sync(scenario)()
