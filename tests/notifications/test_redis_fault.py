"""Redis goes away and comes back: intake and the outbox never notice; live events resume.

Runs its own redis-server on a free port (never the shared one)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis
from asgiref.sync import async_to_sync, sync_to_async

from notifications import events
from tests.factories import CaseFactory
from tests.notifications.test_consumer import ask, connect

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


class OwnRedis:
    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        for _ in range(100):  # wait for it to accept connections
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("own redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


@pytest.fixture
def own_redis(settings) -> Iterator[OwnRedis]:
    if not shutil.which("redis-server"):
        pytest.skip("redis-server binary not installed")
    server = OwnRedis()
    server.start()
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": [server.url]}}
    }
    events.set_event_log(events.RedisLog(server.url))
    yield server
    server.stop()


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
