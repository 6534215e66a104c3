"""Fan-out with the pub/sub channel layer: an event is one PUBLISH per topic, sent by the same
Redis script that numbers and buffers it, in the message form channels-redis' pub/sub layer reads."""

from __future__ import annotations

import json
import time

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
