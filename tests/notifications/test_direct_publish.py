"""Fan-out with the pub/sub channel layer: an event is one PUBLISH per topic, sent by the same
Redis script that numbers and buffers it, in the message form channels-redis' pub/sub layer reads."""

from __future__ import annotations

import json
import time
import uuid

import pytest
import redis
from asgiref.sync import async_to_sync, sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings as django_settings

from notifications import events
from tests.factories import CaseFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db]


def layer_config() -> dict:
    return django_settings.CHANNEL_LAYERS["default"]["CONFIG"]


def test_the_conftest_layer_publishes_directly():
    # tests/notifications/conftest.py configures the production default: the pub/sub layer in JSON.
    assert events.direct_prefix() == layer_config()["prefix"]


def test_a_consumer_of_the_pubsub_layer_receives_the_event_as_published():
    layer = get_channel_layer()

    async def scenario() -> dict:
        channel = await layer.new_channel()
        await layer.group_add(events.group_name("board"), channel)
        # Published from synchronous code, as an on-commit hook does.
        await sync_to_async(events._send_now_rollback_unsafe, thread_sensitive=False)(
            "board", "timer.breached", {"tracking_no": "2026112300001", "n": 1}
        )
        return await layer.receive(channel)

    message = async_to_sync(scenario)()
    assert message == {
        "type": events.EVENT_MESSAGE_TYPE,
        "event": {
            "topic": "board",
            "seq": 1,
            "type": "timer.breached",
            "data": {"tracking_no": "2026112300001", "n": 1},
        },
    }
    # The same event is in the replay buffer under the same number.
    assert events.replay("board", 0) == [message["event"]]


def test_a_registration_is_one_publish_per_topic(users, django_capture_on_commit_callbacks):
    prefix = layer_config()["prefix"]
    watcher = redis.Redis.from_url(django_settings.REDIS_URL).pubsub(ignore_subscribe_messages=True)
    watcher.psubscribe(f"{prefix}__group__*")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            case = CaseFactory(actor=users["agent"])
        seen: list[tuple[str, dict]] = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(seen) < 3:
            msg = watcher.get_message(timeout=0.2)
            if msg is not None:
                seen.append((msg["channel"].decode(), json.loads(msg["data"])))
            elif len(seen) == 2:
                break
    finally:
        watcher.close()
    channels = sorted(channel for channel, _ in seen)
    assert channels == [f"{prefix}__group__cc.desk", f"{prefix}__group__cc.queue"]
    assert {m["event"]["data"]["tracking_no"] for _, m in seen} == {case.tracking_no}
    assert all(m["event"]["seq"] == 1 for _, m in seen)


@pytest.mark.parametrize(
    "layer",
    [
        {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {"hosts": ["redis://x"]}},
        {"BACKEND": events.PUBSUB_LAYER, "CONFIG": {"hosts": ["redis://elsewhere:6379/0"], "serializer_format": "json"}},
        {"BACKEND": events.PUBSUB_LAYER, "CONFIG": {"hosts": ["SAME"]}},  # msgpack: not written by the script
        {"BACKEND": events.PUBSUB_LAYER, "CONFIG": {"hosts": ["SAME"], "serializer_format": "json",
                                                    "symmetric_encryption_keys": ["k"]}},
        {"BACKEND": "channels.layers.InMemoryChannelLayer"},
    ],
)  # fmt: skip
def test_other_layers_get_the_layers_own_group_send(settings, layer):
    config = layer.get("CONFIG", {})
    if config.get("hosts") == ["SAME"]:
        config["hosts"] = [django_settings.REDIS_URL]
    settings.CHANNEL_LAYERS = {"default": layer}
    assert events.direct_prefix() is None


def test_an_event_is_one_round_trip_to_redis_even_after_redis_lost_the_script(monkeypatch):
    log = events.event_log()
    # A script this Redis has never seen, as after a restart or SCRIPT FLUSH (the shared server is
    # not flushed here): the first event is refused with NOSCRIPT, loads it and runs again.
    log._append_publish = log.client.register_script(f"{events._APPEND_PUBLISH_LUA}\n-- {uuid.uuid4().hex}")
    trips: list[str] = []
    for cls, name in ((redis.client.Pipeline, "execute"), (redis.client.Pipeline, "immediate_execute_command"),
                      (redis.Redis, "execute_command")):  # fmt: skip
        real = getattr(cls, name)
        monkeypatch.setattr(
            cls, name, lambda self, *a, _real=real, _name=name, **kw: trips.append(_name) or _real(self, *a, **kw)
        )
    first = events._send_now_rollback_unsafe("board", "timer.breached", {"n": 1})
    assert trips == ["execute", "execute_command", "execute"]  # refused, SCRIPT LOAD, run again
    trips.clear()
    second = events._send_now_rollback_unsafe("board", "timer.breached", {"n": 2})
    # Not "SCRIPT EXISTS" first (redis-py asks it on every pipeline handed a Script object).
    assert trips == ["execute"]
    assert (first["seq"], second["seq"]) == (1, 2)
    assert [e["data"]["n"] for e in events.replay("board", 0)] == [1, 2]


def test_a_registration_reaches_desk_and_queue_in_one_round_trip(
    users, monkeypatch, django_capture_on_commit_callbacks
):
    trips: list[int] = []
    real = redis.client.Pipeline.execute
    monkeypatch.setattr(
        redis.client.Pipeline,
        "execute",
        lambda self, *a, **kw: trips.append(len(self.command_stack)) or real(self, *a, **kw),
    )
    with django_capture_on_commit_callbacks(execute=True):
        case = CaseFactory(actor=users["agent"])
    assert trips == [2]  # one pipeline: the desk's and the queue's script
    for topic in ("desk", "queue"):
        assert [e["data"]["tracking_no"] for e in events.replay(topic, 0)][-1] == case.tracking_no
