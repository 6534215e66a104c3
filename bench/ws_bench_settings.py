"""Settings for bench/ws_latency.py: the project's, with the channel layer chosen by BENCH_LAYER
(``project`` = as casecenter/settings.py configures it: the pub/sub layer in JSON, events published
by the event log's script; ``core`` = channels_redis.core.RedisChannelLayer; ``pubsub`` =
channels_redis.pubsub.RedisPubSubChannelLayer in msgpack, through the layer's own group_send)."""

import os

from casecenter.settings import *  # noqa: F403

if os.environ.get("BENCH_LAYER") == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [os.environ["REDIS_URL"]]},
        }
    }
elif os.environ.get("BENCH_LAYER") == "core":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [os.environ["REDIS_URL"]], "capacity": 1500, "expiry": 10},
        }
    }
