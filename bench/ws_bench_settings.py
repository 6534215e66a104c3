"""Settings for bench/ws_latency.py: the project's, with the channel layer chosen by BENCH_LAYER
(``core`` = channels_redis.core.RedisChannelLayer as configured in production settings,
``pubsub`` = channels_redis.pubsub.RedisPubSubChannelLayer)."""

import os

from casecenter.settings import *  # noqa: F403

if os.environ.get("BENCH_LAYER") == "pubsub":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [os.environ["REDIS_URL"]]},
        }
    }
