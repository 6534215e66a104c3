"""The cache backend: Redis while it answers, this process's memory while it does not.

Throttles, portal limits, burnt captchas and the statistics page all live in the cache. When
Redis is down or stalled they must not turn a citizen's message into a 500: every operation
that fails with a Redis connection error or timeout is done on a per-process ``LocMemCache``
instead (so limits hold per web copy rather than across all of them, and cached pages are
rebuilt locally). The outage is logged once when it starts and once when it ends.

After a failure Redis is left alone for ``FALLBACK_RETRY_SECONDS`` (an ``OPTIONS`` entry,
default 5): one request then tries it again, the others keep using memory, so even a Redis that
never answers costs one socket timeout per interval per process, not one per cache call. Pair it
with short ``socket_connect_timeout`` / ``socket_timeout`` options (settings.REDIS_TIMEOUT).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import redis
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

log = logging.getLogger(__name__)

REDIS_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
DEFAULT_RETRY_SECONDS = 5.0


def _where(location: str) -> str:
    """host:port/db of a Redis URL, without any password, for the logs."""
    parts = urlsplit(location)
    return f"{parts.hostname}:{parts.port or 6379}{parts.path}"


class Outage:
    """Whether Redis at one location is considered down, shared by every thread of the process
    (Django builds one cache object per thread). Times are ``time.monotonic()``."""

    def __init__(self, where: str, retry_seconds: float) -> None:
        self.where = where
        self.retry_seconds = retry_seconds
        self.down_since: float | None = None
        self.next_try = 0.0
        self._lock = threading.Lock()

    def should_try(self) -> bool:
        """Up: yes. Down: only once the retry interval is over, and then for one caller only."""
        with self._lock:
            if self.down_since is None:
                return True
            now = time.monotonic()
            if now < self.next_try:
                return False
            self.next_try = now + self.retry_seconds
            return True

    def failed(self, exc: Exception) -> None:
        with self._lock:
            now = time.monotonic()
            self.next_try = now + self.retry_seconds
            if self.down_since is not None:
                return
            self.down_since = now
        log.warning(
            "cache: Redis at %s unavailable (%s: %s); falling back to this process's memory cache",
            self.where,
            type(exc).__name__,
            exc,
        )

    def succeeded(self) -> bool:
        """Record a success; True if it ends an outage."""
        if self.down_since is None:  # the usual case, without taking the lock
            return False
        with self._lock:
            if self.down_since is None:
                return False
            lasted, self.down_since = time.monotonic() - self.down_since, None
        log.warning("cache: Redis at %s answers again after %.1f s; using it again", self.where, lasted)
        return True


_outages: dict[str, Outage] = {}
_outages_lock = threading.Lock()


def outage_for(location: str, retry_seconds: float) -> Outage:
    with _outages_lock:
        if location not in _outages:
            _outages[location] = Outage(_where(location), retry_seconds)
        outage = _outages[location]
        outage.retry_seconds = retry_seconds
        return outage


class FallbackRedisCache(RedisCache):
    """``RedisCache`` that degrades to a per-process ``LocMemCache`` while Redis is unreachable."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        retry_seconds = float(options.pop("FALLBACK_RETRY_SECONDS", DEFAULT_RETRY_SECONDS))
        super().__init__(server, {**params, "OPTIONS": options})
        self.outage = outage_for(self._servers[0], retry_seconds)
        keys = {k: params[k] for k in ("TIMEOUT", "KEY_PREFIX", "VERSION", "KEY_FUNCTION") if k in params}
        self.fallback = LocMemCache(
            f"casecenter-fallback:{self._servers[0]}", {**keys, "OPTIONS": {"MAX_ENTRIES": 5000}}
        )

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self.outage.should_try():
            try:
                result = getattr(super(), name)(*args, **kwargs)
            except REDIS_DOWN as exc:
                self.outage.failed(exc)
            else:
                if self.outage.succeeded():
                    self.fallback.clear()  # nothing from the outage resurfaces in the next one
                return result
        return getattr(self.fallback, name)(*args, **kwargs)

    # BaseCache builds get_or_set, decr, the async methods, etc. on these.
    def add(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("add", *args, **kwargs)

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("get", *args, **kwargs)

    def set(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("set", *args, **kwargs)

    def touch(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("touch", *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("delete_many", *args, **kwargs)

    def clear(self) -> Any:
        self.fallback.clear()
        return self._call("clear")
