"""Fixtures for the notifications tests: an isolated event log and channel layer per test, so
sequence numbers start at 1 even on a Redis shared with other test runs."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings as django_settings

from notifications import events
from notifications.transports import ConsoleSMSTransport


@pytest.fixture(autouse=True)
def isolated_realtime(settings):
    tag = uuid.uuid4().hex[:10]
    if django_settings.REDIS_URL:
        log = events.RedisLog(django_settings.REDIS_URL, prefix=f"cc:test:{tag}:")
        # The production default (casecenter/settings.py): the pub/sub layer, events published
        # straight from the event log's script (notifications.events.direct_prefix).
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {
                    "hosts": [django_settings.REDIS_URL],
                    "prefix": f"asgi-test-{tag}",
                    "serializer_format": "json",
                },
            }
        }
    else:
        log = events.MemoryLog()
        # A fresh in-memory layer per test (changing the setting resets channels' cache).
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels.layers.InMemoryChannelLayer",
            }
        }
    events.set_event_log(log)
    ConsoleSMSTransport.sent.clear()
    yield log
    try:
        log.clear()
    finally:
        events.set_event_log(None)
