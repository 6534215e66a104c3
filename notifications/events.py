"""Real-time events: built here, sent only after commit, numbered per topic for catch-up.

Topics (channel-layer groups): ``desk`` (agents), ``queue`` (dispatchers), ``board``
(supervisors), ``inbox.<DEPARTMENT CODE>`` (a department's staff), ``user.<id>`` (one user).

Every event leaves as ``{"topic", "seq", "type", "data"}``. ``seq`` rises by one per topic
(Redis ``INCR`` when ``REDIS_URL`` is set, otherwise a counter in this process) and the last
``REPLAY_SIZE`` events of each topic are kept (a Redis list, or a deque) so a reconnecting
client can ask for what it missed. Delivery is at-most-once: if Redis is down the event is
dropped with a warning, the request that caused it still succeeds, and the gap in ``seq``
tells clients to refetch.

Worker processes in the embedded default (no ``REDIS_URL``): the in-memory channel layer lives in
one process, so an SLA worker's warning sent on it would reach nobody. Its commands call
``relay_from_this_process()``; from then on ``publish`` writes a ``RelayedEvent`` row in the
worker's own transaction (rolled back with it), and the web process's ``RelayPoller`` (started by
the first WebSocket connection) reads new rows every ``LIVE_RELAY_POLL_SECONDS`` and sends them
as if they had been published there: numbered, buffered for replay, fanned out. With Redis every
process publishes directly and nothing is relayed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import hashlib
import json
import logging
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import redis
from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import transaction
from django.utils import timezone

log = logging.getLogger(__name__)

REPLAY_SIZE = 500
REPLAY_TTL_SECONDS = 24 * 3600
EVENT_MESSAGE_TYPE = "cc.event"  # delivered by fanout.LocalFanout.dispatch


def group_name(topic: str) -> str:
    return "cc." + topic.replace(" ", "_")


# --- sequence numbers and the replay buffer -------------------------------------------


class MemoryLog:
    """Per-process counters and buffers: the embedded default (one web process)."""

    def __init__(self, size: int = REPLAY_SIZE) -> None:
        self._lock = threading.Lock()
        self._seq: dict[str, int] = defaultdict(int)
        self._buf: dict[str, deque[dict[str, Any]]] = defaultdict(lambda: deque(maxlen=size))

    def append(self, topic: str, type_: str, data: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._seq[topic] += 1
            event = {"topic": topic, "seq": self._seq[topic], "type": type_, "data": data}
            self._buf[topic].append(event)
            return event

    def current(self, topic: str) -> int:
        with self._lock:
            return self._seq.get(topic, 0)

    def since(self, topic: str, seq: int) -> tuple[int, list[dict[str, Any]]]:
        with self._lock:
            return self._seq.get(topic, 0), [e for e in self._buf.get(topic, ()) if e["seq"] > seq]

    def clear(self) -> None:
        with self._lock:
            self._seq.clear()
            self._buf.clear()


# INCR, append "<seq>|<json>", trim and expire in one step, so numbers and buffer agree.
_APPEND_LUA = """
local seq = redis.call('INCR', KEYS[1])
redis.call('RPUSH', KEYS[2], seq .. '|' .. ARGV[1])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
return seq
"""


# The same, and the PUBLISH of the numbered event to the group's channel of channels-redis'
# pub/sub layer (``publish_channel``): numbering, buffering and fan-out in one round trip. The
# message is the layer's JSON form of {"type": EVENT_MESSAGE_TYPE, "event": …}: ARGV[4] .. seq .. ARGV[5].
_APPEND_PUBLISH_LUA = (
    _APPEND_LUA.replace("return seq", "")
    + """redis.call('PUBLISH', KEYS[3], ARGV[4] .. seq .. ARGV[5])
return seq
"""
)


class RedisLog:
    """Counters and buffers shared by every web process through Redis."""

    def __init__(self, url: str, size: int = REPLAY_SIZE, prefix: str = "cc:rt:") -> None:
        import redis

        # Short timeouts: a stalled Redis must not hold a request for long.
        timeout = getattr(settings, "REDIS_TIMEOUT", 0.5)
        self.client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        self.size = size
        self.prefix = prefix
        self._append = self.client.register_script(_APPEND_LUA)
        self._append_publish = self.client.register_script(_APPEND_PUBLISH_LUA)

    def _keys(self, topic: str) -> list[str]:
        return [f"{self.prefix}seq:{topic}", f"{self.prefix}buf:{topic}"]

    def append(self, topic: str, type_: str, data: dict[str, Any]) -> dict[str, Any]:
        body = json.dumps({"type": type_, "data": data}, ensure_ascii=False, separators=(",", ":"))
        seq = int(self._append(keys=self._keys(topic), args=[body, self.size, REPLAY_TTL_SECONDS]))
        return {"topic": topic, "seq": seq, "type": type_, "data": data}

    def append_and_publish(self, topics: list[str], type_: str, data: dict[str, Any], prefix: str) -> list[dict]:
        """``append`` each topic's event and PUBLISH it to the topic's group on the pub/sub layer
        (channel names with ``prefix``): one script per topic, all in one pipeline (one round trip)."""
        body = json.dumps({"type": type_, "data": data}, ensure_ascii=False, separators=(",", ":"))
        calls = []
        for topic in topics:
            head = json.dumps(
                {"type": EVENT_MESSAGE_TYPE, "event": {"topic": topic, "type": type_, "data": data}},
                ensure_ascii=False,
                separators=(",", ":"),
            )
            # {"type":…,"event":{…,"data":…}} → {"type":…,"event":{…,"data":…,"seq":<seq>}}
            channel = publish_channel(prefix, group_name(topic))
            keys = [*self._keys(topic), channel]
            calls.append((*keys, body, self.size, REPLAY_TTL_SECONDS, head[:-2] + ',"seq":', "}}"))
        seqs = self._evalsha_all(self._append_publish, calls, numkeys=3)
        return [
            {"topic": topic, "seq": int(seq), "type": type_, "data": data}
            for topic, seq in zip(topics, seqs, strict=True)
        ]

    def _evalsha_all(self, script: Any, calls: list[tuple], *, numkeys: int) -> list[Any]:
        """``script`` once per call (keys then args), as EVALSHAs in one pipeline: one round trip.
        (A pipeline handed the ``Script`` object itself first asks SCRIPT EXISTS, every time: a
        second round trip.) A Redis that lost its scripts (restarted, flushed) answers NOSCRIPT
        without running them: those are loaded and run again."""

        def run(batch: list[tuple]) -> list[Any]:
            pipe = self.client.pipeline(transaction=False)
            for args in batch:
                pipe.evalsha(script.sha, numkeys, *args)
            return pipe.execute(raise_on_error=False)

        results = run(calls)
        missing = [i for i, r in enumerate(results) if isinstance(r, redis.exceptions.NoScriptError)]
        if missing:
            script.sha = self.client.script_load(script.script)
            for i, again in zip(missing, run([calls[i] for i in missing]), strict=True):
                results[i] = again
        for result in results:
            if isinstance(result, Exception):
                raise result
        return results

    def current(self, topic: str) -> int:
        return int(self.client.get(self._keys(topic)[0]) or 0)

    def since(self, topic: str, seq: int) -> tuple[int, list[dict[str, Any]]]:
        seq_key, buf_key = self._keys(topic)
        pipe = self.client.pipeline(transaction=False)
        pipe.get(seq_key)
        pipe.lrange(buf_key, 0, -1)
        current, raw = pipe.execute()
        events = []
        for item in raw:
            n, _, body = item.decode().partition("|")
            if int(n) > seq:
                events.append({"topic": topic, "seq": int(n), **json.loads(body)})
        events.sort(key=lambda e: e["seq"])
        return int(current or 0), events

    def clear(self) -> None:
        keys = list(self.client.scan_iter(f"{self.prefix}*"))
        if keys:
            self.client.delete(*keys)


_log: MemoryLog | RedisLog | None = None
_log_lock = threading.Lock()


def event_log() -> MemoryLog | RedisLog:
    global _log
    with _log_lock:
        if _log is None:
            _log = RedisLog(settings.REDIS_URL) if settings.REDIS_URL else MemoryLog()
        return _log


def set_event_log(new: MemoryLog | RedisLog | None) -> None:
    """Swap the log (tests, benchmarks); None means rebuild from settings on next use."""
    global _log
    with _log_lock:
        _log = new


def current_seq(topic: str) -> int | None:
    """The last number used on ``topic`` (0 if none yet), or None if the store is unreachable."""
    try:
        return event_log().current(topic)
    except Exception:
        log.warning("sequence of %s unavailable", topic, exc_info=True)
        return None


def replay(topic: str, resume_from: int) -> list[dict[str, Any]] | None:
    """Events after ``resume_from`` on ``topic``, or None when some of them are gone (the client
    must refetch): too old for the buffer, or the counter went backwards (Redis was wiped)."""
    try:
        current, events = event_log().since(topic, resume_from)
    except Exception:
        log.warning("replay of %s unavailable", topic, exc_info=True)
        return None
    if resume_from > current:
        return None
    if resume_from < current and (not events or events[0]["seq"] != resume_from + 1):
        return None
    return events


# --- publishing ------------------------------------------------------------------------

# The longest a request waits for the channel layer to take one event (a stalled Redis): the
# event is then dropped. A refused connection (Redis down) fails at once.
SEND_TIMEOUT_SECONDS = 1.0
_sender_loop: asyncio.AbstractEventLoop | None = None


def _sender() -> asyncio.AbstractEventLoop:
    """One long-lived event loop per process for sending from synchronous code.

    ``async_to_sync`` outside an event loop builds a new loop per call, and channels-redis keeps
    its connection pool per loop: every event paid for a fresh Redis connection (a sweeper
    breaching thousands of timers spent most of its time there). One loop keeps one pool."""
    global _sender_loop
    with _log_lock:
        if _sender_loop is None or _sender_loop.is_closed():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="cc-event-sender", daemon=True).start()
            _sender_loop = loop
        return _sender_loop


def _group_send(layer: Any, group: str, message: dict[str, Any]) -> None:
    try:
        asyncio.get_running_loop()
        in_loop = True
    except RuntimeError:
        in_loop = False
    if in_loop or isinstance(layer, InMemoryChannelLayer):
        # The in-memory layer's queues belong to the loop its consumers run on; asgiref finds it.
        async_to_sync(layer.group_send)(group, message)
        return
    for attempt in (1, 2):
        future = asyncio.run_coroutine_threadsafe(layer.group_send(group, message), _sender())
        try:
            future.result(timeout=SEND_TIMEOUT_SECONDS)
            return
        except concurrent.futures.TimeoutError:
            # Stalled Redis: give up on this event (never retried, the request must go on).
            future.cancel()
            raise
        except (ConnectionError, OSError, redis.exceptions.ConnectionError):
            # After Redis restarts, the pooled connection is stale: the first command on it fails
            # and the pool drops it; one retry goes out on a fresh connection.
            if attempt == 2:
                raise


PUBSUB_LAYER = "channels_redis.pubsub.RedisPubSubChannelLayer"


def publish_channel(prefix: str, group: str) -> str:
    """The Redis channel channels-redis' pub/sub layer subscribes to for ``group`` (its
    ``_get_group_channel_name``; tests/notifications/test_direct_publish.py checks they agree)."""
    return f"{prefix}__group__{group}"


def direct_prefix() -> str | None:
    """The channel prefix when events can be published straight from the event log's script: the
    channel layer is the pub/sub layer, in JSON, on the event log's Redis. Else None."""
    layer = settings.CHANNEL_LAYERS.get("default", {})
    config = layer.get("CONFIG", {})
    if layer.get("BACKEND") != PUBSUB_LAYER or config.get("serializer_format") != "json":
        return None
    if config.get("symmetric_encryption_keys") or not settings.REDIS_URL:
        return None
    hosts = config.get("hosts") or []
    addresses = [h.get("address") if isinstance(h, dict) else h for h in hosts]
    if addresses != [settings.REDIS_URL]:
        return None
    return config.get("prefix", "asgi")


def _send_now_rollback_unsafe(topic: str, type_: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """Number, buffer and fan out one event now, whatever the transaction state. Never raises.

    With the pub/sub layer (``direct_prefix``) that is one round trip to Redis: the script that
    numbers and buffers the event also PUBLISHes it, once, to the topic's group channel, which
    every web process subscribes to once and hands to its own sockets in memory."""
    prefix = direct_prefix()
    if prefix is not None and isinstance(event_log(), RedisLog):
        try:
            return event_log().append_and_publish([topic], type_, data, prefix)[0]
        except Exception as exc:  # noqa: BLE001 - Redis down: as below
            log.warning("real-time event %s to %s dropped (Redis unavailable: %r)", type_, topic, exc)
            return None
    try:
        event = event_log().append(topic, type_, data)
    except Exception as exc:  # noqa: BLE001 - Redis down: the event is lost; clients see a gap and refetch.
        # One line, no traceback: during an outage every event says this.
        log.warning("real-time event %s to %s dropped (sequence store unavailable: %r)", type_, topic, exc)
        return None
    layer = get_channel_layer()
    if layer is None:
        return event
    try:
        _group_send(layer, group_name(topic), {"type": EVENT_MESSAGE_TYPE, "event": event})
    except Exception as exc:  # noqa: BLE001 - Redis down: pages work on reload; never fail the request.
        log.warning("real-time event %s to %s dropped (channel layer unavailable: %r)", type_, topic, exc)
    return event


def _send_all_now_rollback_unsafe(topics: list[str], type_: str, data: dict[str, Any]) -> list[dict[str, Any] | None]:
    """``_send_now_rollback_unsafe`` for one event to several topics: with the pub/sub layer
    (``direct_prefix``) all of them in one round trip to Redis (one pipeline of scripts)."""
    prefix = direct_prefix()
    if len(topics) > 1 and prefix is not None and isinstance(event_log(), RedisLog):
        try:
            return list(event_log().append_and_publish(topics, type_, data, prefix))
        except Exception as exc:  # noqa: BLE001 - Redis down: as _send_now_rollback_unsafe
            log.warning("real-time event %s to %s dropped (Redis unavailable: %r)", type_, ",".join(topics), exc)
            return [None] * len(topics)
    return [_send_now_rollback_unsafe(topic, type_, data) for topic in topics]


def publish(topic: str, type_: str, data: dict[str, Any]) -> None:
    """Send ``{type, data}`` to everyone subscribed to ``topic`` once the transaction commits
    (at once when no transaction is open). Nothing is sent if the transaction rolls back.
    Inside ``coalesced()`` the event is only gathered."""
    if (gathering := _coalescing.get()) is not None:
        gathering.setdefault(topic, []).append((type_, data))
        return
    if relaying():
        from .models import RelayedEvent

        RelayedEvent.objects.create(topic=topic, type=type_, data=data)  # commits with the work
        return
    transaction.on_commit(lambda: _send_now_rollback_unsafe(topic, type_, data))


# --- one event per topic for a batch of work ---------------------------------------------

BATCH_EVENT = "events.batch"
BATCH_SAMPLE = 20  # events carried whole in a batch event; the rest are only counted
_coalescing: ContextVar[dict[str, list[tuple[str, dict[str, Any]]]] | None] = ContextVar(
    "events_coalescing", default=None
)


def batch_payload(items: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """``events.batch``: how many events of each type the batch had, and the first few whole."""
    return {
        "count": len(items),
        "types": dict(Counter(type_ for type_, _ in items)),
        "events": [{"type": type_, "data": data} for type_, data in items[:BATCH_SAMPLE]],
        "truncated": len(items) > BATCH_SAMPLE,
    }


@contextmanager
def coalesced() -> Iterator[dict[str, list[tuple[str, dict[str, Any]]]]]:
    """Inside the block ``publish`` only gathers; on a normal exit each topic gets one event: the
    one gathered if it was alone, else an ``events.batch`` (``batch_payload``). A worker acting on
    hundreds of items sends one message per topic, not one per item (pages refetch on any event).
    Use it inside the work's transaction: the events still leave only after commit; an exception
    leaves without publishing."""
    gathered: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    token = _coalescing.set(gathered)
    try:
        yield gathered
    finally:
        _coalescing.reset(token)
    for topic, items in gathered.items():
        if len(items) == 1:
            publish(topic, *items[0])
        else:
            publish(topic, BATCH_EVENT, batch_payload(items))


# --- the relay through the database (embedded default, worker processes) ---------------

_relay_here = False


def relay_from_this_process(on: bool = True) -> None:
    """This process is not the web process (a worker): relay its events through the database
    when there is no Redis to fan them out."""
    global _relay_here
    _relay_here = on


def relaying() -> bool:
    return _relay_here and not settings.REDIS_URL


RELAY_KEEP = dt.timedelta(minutes=10)
RELAY_BATCH = 500


class RelayPoller:
    """The web process's side of the relay: one asyncio task on the server's loop."""

    def __init__(self) -> None:
        self.last_id: int | None = None
        self.last_ok = 0.0  # time.monotonic() of the last successful poll
        self.task: asyncio.Task | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._pruned = 0.0

    def fetch(self) -> list[dict[str, Any]]:
        from .models import RelayedEvent

        if self.last_id is None:  # start from now: a page loaded later is newer than older rows
            self.last_id = RelayedEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
            return []
        rows = list(
            RelayedEvent.objects.filter(id__gt=self.last_id)
            .order_by("id")
            .values("id", "topic", "type", "data")[:RELAY_BATCH]
        )
        if rows:
            self.last_id = rows[-1]["id"]
        if time.monotonic() - self._pruned > 60:
            self._pruned = time.monotonic()
            RelayedEvent.objects.filter(created_at__lt=timezone.now() - RELAY_KEEP).delete()
        return rows

    async def poll_once(self) -> int:
        from channels.db import database_sync_to_async

        rows = await database_sync_to_async(self.fetch)()
        layer = get_channel_layer()
        for row in rows:
            event = event_log().append(row["topic"], row["type"], row["data"])
            if layer is not None:
                await layer.group_send(group_name(row["topic"]), {"type": EVENT_MESSAGE_TYPE, "event": event})
        self.last_ok = time.monotonic()
        return len(rows)

    async def run(self) -> None:
        while True:
            try:
                await self.poll_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is busy or gone: try again; heartbeats stop meanwhile
                log.warning("relay poll failed", exc_info=True)
            await asyncio.sleep(settings.LIVE_RELAY_POLL_SECONDS)

    def healthy(self) -> bool:
        return time.monotonic() - self.last_ok < 3 * settings.LIVE_RELAY_POLL_SECONDS + 1


relay_poller = RelayPoller()


def ensure_relay_poller() -> RelayPoller | None:
    """Start the relay poller on the running loop (once per loop); None when Redis fans out."""
    if settings.REDIS_URL:
        return None
    loop = asyncio.get_running_loop()
    if relay_poller.task is None or relay_poller.task.done() or relay_poller.loop is not loop:
        old_task, old_loop = relay_poller.task, relay_poller.loop
        if old_task is not None and not old_task.done() and old_loop is not None and not old_loop.is_closed():
            # One poller per process: left running on another loop (a server thread in the tests)
            # it would keep reporting the relay healthy after this loop's poller stopped.
            old_loop.call_soon_threadsafe(old_task.cancel)
        relay_poller.loop = loop
        relay_poller.last_id = None
        relay_poller.task = loop.create_task(relay_poller.run(), name="cc-event-relay")
    return relay_poller


def live_path_healthy() -> bool:
    """Whether events from every process can reach this web process's pages now: true with
    Redis; without it, while the relay poller keeps polling."""
    return bool(settings.REDIS_URL) or relay_poller.healthy()


def publish_many(topics: list[str], type_: str, data: dict[str, Any]) -> None:
    """``publish`` to each of ``topics`` (once each), sent together after the commit."""
    topics = list(dict.fromkeys(topics))
    if len(topics) < 2 or _coalescing.get() is not None or relaying():
        for topic in topics:
            publish(topic, type_, data)
        return
    transaction.on_commit(lambda: _send_all_now_rollback_unsafe(topics, type_, data))


# --- ending connections ------------------------------------------------------------------

CLOSE_MESSAGE_TYPE = "cc.close"  # handled by fanout.LocalFanout.dispatch


def user_topic(user_id: int) -> str:
    """Every connection of one user (their notifications, and a password change closes them)."""
    return f"user.{user_id}"


def session_topic(session_key: str) -> str:
    """Every connection signed in by one session. A digest, not the key: group names end up in Redis."""
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:32]


def _close_now_rollback_unsafe(topic: str, reason: str) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        _group_send(layer, group_name(topic), {"type": CLOSE_MESSAGE_TYPE, "topic": topic, "reason": reason})
    except Exception:  # Redis down: the consumers' own session re-check closes them a little later
        log.warning("closing the connections of %s failed", topic, exc_info=True)


def close_connections(topic: str, *, reason: str) -> None:
    """Close every WebSocket following ``topic`` (``user_topic``, ``session_topic``) once the
    transaction commits (at once when none is open). Never raises."""
    transaction.on_commit(lambda: _close_now_rollback_unsafe(topic, reason))


# --- payloads (the only place event bodies are built) ---------------------------------


def case_payload(case: Any, *, action: str, from_state: str) -> dict[str, Any]:
    """Small and free of personal data: enough for a page to decide to refetch."""
    return {
        "tracking_no": case.tracking_no,
        "state": case.state,
        "from": from_state,
        "action": str(action),
        "department": case.department.code if case.department_id else None,
        "priority": case.priority,
        "version": case.version,
    }


def notification_payload(notification: Any) -> dict[str, Any]:
    return {
        "id": notification.pk,
        "title": notification.title,
        "tracking_no": notification.case.tracking_no if notification.case_id else None,
        "template": notification.template,
    }
