"""One web process's WebSocket fan-out: one channel-layer member per event loop, not one per socket.

Every socket of a process used to be its own channel-layer consumer: for each event each socket's
task woke up, took the message off its own queue (the pub/sub layer also decoded it once per
socket), went through channels' dispatch (a trip to the database thread to close stale
connections) and encoded the same JSON again. ``LocalFanout`` is the process's one member of every
group its sockets follow (one SUBSCRIBE per group per process on the pub/sub layer, one list per
process on the core layer): it reads each message once, encodes the event once and hands the text
to every local socket of that group in one pass, without a task switch per socket
(``LiveConsumer.deliver``). A socket whose send cannot finish at once (the client is slow and the
server's buffer full) finishes in its own task, so it delays no other socket, and keeps its order.

Works with any channel layer (in-memory, channels-redis core or pub/sub). Group membership is kept
alive by the fan-out: it is re-added every ``REFRESH_SECONDS`` (the core and in-memory layers
forget a member after a day) and after the layer failed (a Redis that restarted empty forgot it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import Awaitable, Coroutine, Generator
from typing import Any, Protocol

from channels.layers import get_channel_layer
from django.utils import timezone

from . import events

log = logging.getLogger(__name__)

REFRESH_SECONDS = 3600.0
RETRY_SECONDS = (0.1, 0.5, 1.0, 2.0, 5.0)


class Socket(Protocol):
    """What the fan-out needs of a connection (consumers.LiveConsumer)."""

    def deliver(self, text: str, now: Any) -> None: ...

    async def end_signed_out(self) -> None: ...


class _Resumed:
    """Awaiting this finishes a coroutine that ``start`` already ran up to its first suspension."""

    def __init__(self, coro: Coroutine[Any, Any, Any], yielded: Any) -> None:
        self.coro, self.yielded = coro, yielded

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, value = self.coro, self.yielded
        while True:
            try:
                sent = yield value  # the future the coroutine waits on goes up to the task
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # noqa: BLE001 - thrown in by the task (cancellation): passed on
                try:
                    value = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    value = coro.send(sent)
                except StopIteration as stop:
                    return stop.value


def start(coro: Coroutine[Any, Any, Any]) -> Awaitable[Any] | None:
    """Run ``coro`` now, in the caller's task, until it finishes (None) or first waits (an awaitable
    that finishes it, to be awaited in a task of its own). An ASGI server's ``send`` of one frame
    normally finishes at once, so a pass over many sockets costs no task per socket. Only for
    coroutines that do not care which task runs them (nothing like ``asyncio.timeout`` inside)."""
    try:
        yielded = coro.send(None)
    except StopIteration:
        return None
    return _Resumed(coro, yielded)


class LocalFanout:
    """The fan-out of one event loop (``local()``): which local sockets follow which group."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.channel: str | None = None
        self.members: dict[str, dict[Socket, None]] = {}  # group → its sockets, in join order
        self.joined: set[str] = set()  # groups the fan-out's channel is a member of
        self._locks: dict[str, asyncio.Lock] = {}
        self._channel_lock = asyncio.Lock()
        self.reader: asyncio.Task[None] | None = None
        self.refresher: asyncio.Task[None] | None = None

    # --- membership ---------------------------------------------------------------------

    async def _ensure_channel(self) -> str:
        async with self._channel_lock:
            if self.channel is None:
                self.channel = await self.layer.new_channel()
            if self.reader is None or self.reader.done():
                loop = asyncio.get_running_loop()
                self.reader = loop.create_task(self._read(), name="cc-fanout-reader")
                self.refresher = loop.create_task(self._refresh(), name="cc-fanout-refresh")
            return self.channel

    async def join(self, group: str, socket: Socket) -> None:
        """Deliver ``group``'s messages to ``socket`` from now on. Raises when the layer refuses
        (Redis down): the socket is then not a member."""
        channel = await self._ensure_channel()
        async with self._locks.setdefault(group, asyncio.Lock()):
            if group not in self.joined:
                await self.layer.group_add(group, channel)
                self.joined.add(group)
            self.members.setdefault(group, {})[socket] = None

    async def leave(self, group: str, socket: Socket) -> None:
        """Stop delivering ``group`` to ``socket``; the process leaves the group with its last
        socket. Never raises (Redis gone: the layer forgets the member by itself)."""
        sockets = self.members.get(group)
        if sockets is None:
            return
        sockets.pop(socket, None)
        if sockets:
            return
        async with self._locks.setdefault(group, asyncio.Lock()):
            if self.members.get(group) or group not in self.joined:
                return
            self.members.pop(group, None)
            self.joined.discard(group)
            self._locks.pop(group, None)
            try:
                await self.layer.group_discard(group, self.channel)
            except Exception:  # noqa: BLE001
                log.info("group_discard failed for %s", group)

    async def _rejoin(self) -> None:
        for group in list(self.joined):
            await self.layer.group_add(group, self.channel)

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            try:
                await self._rejoin()
            except Exception:  # the reader's retry rejoins once the layer is back
                log.warning("refreshing the fan-out's groups failed", exc_info=True)

    def stop(self) -> None:
        for task in (self.reader, self.refresher):
            if task is not None:
                task.cancel()

    # --- delivery -----------------------------------------------------------------------

    async def _read(self) -> None:
        failures = 0
        while True:
            try:
                if failures:
                    await self._rejoin()  # a Redis that came back empty no longer has us
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the layer is down: retry, events are lost meanwhile
                delay = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                failures += 1
                log.warning("live fan-out cannot read the channel layer (%r); retrying in %s s", exc, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            try:
                self.dispatch(message)
            except Exception:  # one bad message must not stop the process's fan-out
                log.exception("live fan-out could not deliver %r", message.get("type"))

    def dispatch(self, message: dict[str, Any]) -> None:
        """Hand one layer message to the local sockets of its group."""
        kind = message.get("type")
        if kind == events.EVENT_MESSAGE_TYPE:
            event = message["event"]
            sockets = self.members.get(events.group_name(event["topic"]))
            if not sockets:
                return
            text = json.dumps(event)  # once per process, not once per socket
            now = timezone.now()
            for socket in list(sockets):
                try:
                    socket.deliver(text, now)
                except Exception as exc:  # noqa: BLE001 - a socket closing meanwhile (its leave follows)
                    log.info("delivery to one socket failed: %r", exc)
        elif kind == events.CLOSE_MESSAGE_TYPE:
            sockets = self.members.get(events.group_name(message["topic"]))
            loop = asyncio.get_running_loop()
            for socket in list(sockets or ()):
                loop.create_task(socket.end_signed_out())


_fanouts: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LocalFanout] = weakref.WeakKeyDictionary()


def local() -> LocalFanout | None:
    """The running loop's fan-out on the default channel layer (None without a layer)."""
    layer = get_channel_layer()
    if layer is None:
        return None
    loop = asyncio.get_running_loop()
    fanout = _fanouts.get(loop)
    if fanout is None or fanout.layer is not layer:  # a new layer (tests change the setting)
        if fanout is not None:
            fanout.stop()
        fanout = _fanouts[loop] = LocalFanout(layer)
    return fanout
