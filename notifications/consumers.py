"""The WebSocket edge at /ws/: authenticate by session, check each subscription, relay events.

Protocol (API.md): the client sends ``{"subscribe": "desk"|"queue"|"board"|"inbox"}`` (inbox may
name a ``"department"``), optionally with ``"resume_from": seq``; later ``{"resume_from": seq,
"topic": ...}`` asks for missed events. The server answers ``{"type": "subscribed", "topic",
"seq"}``, then events ``{"topic", "seq", "type", "data"}``; ``{"type": "refetch", "topic"}`` when
it cannot fill a gap; ``{"type": "error", "code", "message"}`` for anything it refuses.
Every signed-in user also receives their own ``user.<id>`` topic (in-app notifications).

A connection lives no longer than the session that opened it: signing out closes the session's
connections and a password change all of the user's (``events.close_connections``: the server
sends ``{"type": "signed_out"}`` and closes with 4401). Should that message be lost (Redis down),
the consumer re-reads its session at most every ``SESSION_RECHECK`` when it has something to send
or receive, and closes the same way once the session is gone.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections import deque
from collections.abc import Awaitable
from datetime import datetime, timedelta
from importlib import import_module
from types import SimpleNamespace
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib import auth
from django.utils import timezone

from cases.enums import Role

from . import events, fanout
from .enums import Subscription

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
# How stale a connection's belief in its session may get when the close message was lost.
SESSION_RECHECK = timedelta(seconds=60)

# Which pages each role may follow. Department staff follow only their own inbox.
ALLOWED = {
    Role.AGENT: {Subscription.DESK},
    Role.DISPATCHER: {Subscription.QUEUE, Subscription.DESK, Subscription.WALLBOARD},
    Role.SUPERVISOR: {Subscription.BOARD, Subscription.QUEUE, Subscription.INBOX, Subscription.WALLBOARD},
    Role.LEADER: {Subscription.WALLBOARD},
    Role.CLERK: {Subscription.INBOX},
    Role.HEAD: {Subscription.INBOX},
    Role.ADMIN: set(Subscription),
}
ANY_DEPARTMENT = frozenset({Role.SUPERVISOR, Role.ADMIN})


class SubscriptionRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def resolve_topic(role: str, own_department: str | None, name: Any, department: Any = None) -> str:
    """The topic ``name`` means for this user, or SubscriptionRefused."""
    if not isinstance(name, str) or name not in Subscription.values:
        raise SubscriptionRefused("unknown_subscription", "subscribe to one of: desk, queue, board, inbox, wallboard")
    if name not in ALLOWED.get(role, set()):
        raise SubscriptionRefused("forbidden", f"role {role} may not subscribe to {name}")
    if name != Subscription.INBOX:
        return name
    if department in (None, ""):
        department = own_department
    if not isinstance(department, str) or not department:
        raise SubscriptionRefused("forbidden", "no department to follow")
    if department != own_department and role not in ANY_DEPARTMENT:
        raise SubscriptionRefused("forbidden", "you may only follow your own department's inbox")
    return f"inbox.{department}"


def session_is_current(session_key: str | None, user_id: int) -> bool:
    """Whether the session ``session_key`` still signs in user ``user_id``: not signed out, not
    expired, the password unchanged since (Django's session hash), the account active."""
    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = auth.get_user(SimpleNamespace(session=store))  # reads only request.session
    return bool(user.is_authenticated and user.pk == user_id and user.is_active)


def sessions_current(pairs: list[tuple[str | None, int]]) -> dict[tuple[str | None, int], bool]:
    """``session_is_current`` of each distinct (session key, user id)."""
    return {pair: session_is_current(*pair) for pair in dict.fromkeys(pairs)}


class SessionChecks:
    """The session re-reads of one event loop's sockets, coalesced: the sockets that fall due while
    a read is under way share the next one (one trip to the database thread for all of them), and
    the sockets of one session (a user's tabs) share one check."""

    def __init__(self) -> None:
        self.pending: dict[tuple[str | None, int], list[asyncio.Future[bool]]] = {}
        self.flushing: asyncio.Task[None] | None = None

    async def check(self, session_key: str | None, user_id: int) -> bool:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self.pending.setdefault((session_key, user_id), []).append(future)
        if self.flushing is None or self.flushing.done():
            self.flushing = loop.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self.pending:
            batch, self.pending = self.pending, {}
            try:
                results = await database_sync_to_async(sessions_current)(list(batch))
            except Exception as exc:  # noqa: BLE001 - handed to every waiting socket
                for futures in batch.values():
                    for future in futures:
                        if not future.done():
                            future.set_exception(exc)
                continue
            for pair, futures in batch.items():
                for future in futures:
                    if not future.done():
                        future.set_result(results[pair])


_session_checks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SessionChecks] = weakref.WeakKeyDictionary()


def session_checks() -> SessionChecks:
    loop = asyncio.get_running_loop()
    if loop not in _session_checks:
        _session_checks[loop] = SessionChecks()
    return _session_checks[loop]


def _valid_seq(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class LiveConsumer(AsyncJsonWebsocketConsumer):
    # No channel-layer channel of its own: the process's fan-out (notifications.fanout) is the one
    # member of every group and hands each event to this socket's ``deliver``.
    channel_layer_alias = None

    async def connect(self) -> None:
        user = self.scope.get("user")
        self.backlog: deque[str] | None = None  # texts waiting behind a send or a session re-read
        self.topics: set[str] = set()
        self.last_topic: str | None = None
        self.ended = False
        self.session_group: str | None = None
        if (
            user is None
            or not user.is_authenticated
            or not user.is_active
            or getattr(user, "role", None) not in Role.values
        ):
            # Accept first so the browser sees our close code (a refused handshake has none).
            self.ended = True
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.role = user.role
        self.user_id = user.pk
        self.session_key = self.scope["session"].session_key
        self.session_checked_at = timezone.now()
        self.department = await database_sync_to_async(lambda: user.department.code if user.department_id else None)()
        await self.accept()
        await self._join(events.user_topic(user.pk))
        # Not a topic the client can resume: only the close message of a sign-out arrives here.
        session_group = events.group_name(events.session_topic(self.session_key))
        try:
            if (local := fanout.local()) is not None:
                await local.join(session_group, self)
                self.session_group = session_group
        except Exception:
            log.warning("group_add failed for the session group", exc_info=True)
        events.ensure_relay_poller()
        self.heartbeat = asyncio.get_running_loop().create_task(self._heartbeat())

    async def _heartbeat(self) -> None:
        """Every LIVE_HEARTBEAT_SECONDS, ``{"type": "heartbeat"}`` - only while events from every
        process can reach this page (events.live_path_healthy): a page that stops hearing it
        marks itself not live (static/js/live.js) instead of claiming to be."""
        # The session is re-read here, ahead of its due time, so that an event never waits for the
        # database: a burst to a thousand sockets would otherwise find their rechecks due at once.
        ahead = timedelta(seconds=2 * settings.LIVE_HEARTBEAT_SECONDS)
        while not self.ended:
            await asyncio.sleep(settings.LIVE_HEARTBEAT_SECONDS)
            if not await self.session_still_current(ahead=ahead):
                return
            if events.live_path_healthy() and not self.ended:
                await self.send_json({"type": "heartbeat"})

    async def disconnect(self, code: int) -> None:
        for task in (getattr(self, "heartbeat", None), getattr(self, "sending", None)):
            if task is not None:
                task.cancel()
        await self._leave_groups()

    async def _leave_groups(self) -> None:
        groups = [events.group_name(topic) for topic in self.topics]
        if self.session_group:
            groups.append(self.session_group)
        self.topics, self.session_group = set(), None
        if groups and (local := fanout.local()) is not None:
            for group in groups:
                await local.leave(group, self)

    async def end_signed_out(self) -> None:
        """Tell the page it was signed out and close; nothing is sent on this connection after."""
        if self.ended:
            return
        self.ended = True
        await self._leave_groups()
        await self.send_json({"type": "signed_out"})
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def session_still_current(self, ahead: timedelta = timedelta(0)) -> bool:
        """Re-reads the session at most every SESSION_RECHECK (``ahead`` of that from the
        heartbeat); ends the connection if it is gone."""
        if self.ended:
            return False
        now = timezone.now()
        if now - self.session_checked_at < SESSION_RECHECK - ahead:
            return True
        self.session_checked_at = now
        if await session_checks().check(self.session_key, self.user_id):
            return True
        await self.end_signed_out()
        return False

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            content = json.loads(text_data if text_data is not None else (bytes_data or b"").decode())
        except (ValueError, UnicodeDecodeError):
            await self.error("bad_frame", "frames must be JSON objects")
            return
        if not isinstance(content, dict):
            await self.error("bad_frame", "frames must be JSON objects")
            return
        await self.receive_json(content)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        if not await self.session_still_current():
            return
        if "subscribe" in content:
            await self.subscribe(content)
        elif "resume_from" in content:
            topic = content.get("topic") or self.last_topic
            if topic not in self.topics:
                await self.error("not_subscribed", "subscribe before resuming")
                return
            await self.resume(topic, content["resume_from"])
        elif content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.error("unknown_command", "expected subscribe or resume_from")

    async def subscribe(self, content: dict[str, Any]) -> None:
        try:
            topic = resolve_topic(self.role, self.department, content.get("subscribe"), content.get("department"))
        except SubscriptionRefused as exc:
            await self.error(exc.code, exc.message)
            return
        if "resume_from" in content and not _valid_seq(content["resume_from"]):
            await self.error("bad_frame", "resume_from must be a non-negative integer")
            return
        if not await self._join(topic):
            return
        self.last_topic = topic
        seq = await database_sync_to_async(events.current_seq)(topic)
        await self.send_json({"type": "subscribed", "topic": topic, "seq": seq})
        if "resume_from" in content:
            await self.resume(topic, content["resume_from"])

    async def resume(self, topic: str, resume_from: Any) -> None:
        if not _valid_seq(resume_from):
            await self.error("bad_frame", "resume_from must be a non-negative integer")
            return
        missed = await database_sync_to_async(events.replay)(topic, resume_from)
        if missed is None:
            await self.send_json({"type": "refetch", "topic": topic})
            return
        for event in missed:
            await self.send_json(event)

    async def _join(self, topic: str) -> bool:
        # Two tries: after a Redis restart the first command on a pooled connection fails once.
        local = fanout.local()
        for attempt in (1, 2):
            try:
                if local is not None:
                    await local.join(events.group_name(topic), self)
                break
            except Exception:
                if attempt == 2:
                    log.warning("group_add failed for %s", topic, exc_info=True)
                    await self.error("unavailable", "live updates are unavailable; reload to see changes")
                    return False
        self.topics.add(topic)
        return True

    async def error(self, code: str, message: str) -> None:
        await self.send_json({"type": "error", "code": code, "message": message})

    def deliver(self, text: str, now: datetime) -> None:
        """One event (its JSON text, encoded once per process) from the fan-out, ``now`` read once
        for the whole pass. Sent at once when the session needs no re-read and nothing waits
        ahead of it; otherwise it queues behind, in order, and a task of this socket sends it."""
        if self.ended:
            return
        if self.backlog is not None:
            self.backlog.append(text)
            return
        if now - self.session_checked_at >= SESSION_RECHECK:
            self.backlog = deque([text])
            self.sending = asyncio.get_running_loop().create_task(self._send_backlog(None))
            return
        unfinished = fanout.start(self.send(text_data=text))
        if unfinished is not None:  # the server could not take the frame at once (a slow client)
            self.backlog = deque()
            self.sending = asyncio.get_running_loop().create_task(self._send_backlog(unfinished))

    async def _send_backlog(self, unfinished: Awaitable[Any] | None) -> None:
        try:
            if unfinished is not None:
                await unfinished
            elif not await self.session_still_current():
                return
            while self.backlog and not self.ended:
                await self.send(text_data=self.backlog.popleft())
        except Exception as exc:  # noqa: BLE001 - the client went away meanwhile: its disconnect follows
            log.info("sending to a socket failed: %r", exc)
        finally:
            self.backlog = None
